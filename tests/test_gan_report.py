"""Chapter 07's report functions on hand-made runs: the ceiling and the baseline gate decide
what can be claimed, the clip check fails when the clip fails, sentences follow the numbers,
and each figure draws one mark per run, model or picture of its input."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mine_lib.experiments import gan_report as report
from mine_lib.experiments.gan import GANConfig

GRID = SimpleNamespace(name="25 Gaussians", n_modes=25)
DATASETS = {"25-gaussians": GRID}


def final_rows(gan_modes, mine_modes, gan_hq=90.0, seeds=8):
    rows = []
    for seed in range(seeds):
        for model, m, hq in (("GAN", gan_modes, gan_hq), ("GAN+MINE", mine_modes, 90.0)):
            value = m(seed) if callable(m) else m
            rows.append({"dataset": GRID.name, "model": model, "seed": seed, "step": 100,
                         "modes covered": value, "of": 25, "high quality %": hq + 0.1 * seed,
                         "KL": 0.5 - value / 100})
    return pd.DataFrame(rows)


def test_a_gan_at_the_ceiling_leaves_nothing_to_recover():
    final = final_rows(25, 25)
    base, raw, decided, glue = report.toy_decisions(final, DATASETS, 50.0)
    assert decided["25-gaussians", "modes covered"].status == "at the ceiling"
    assert "nothing for GAN+MINE to recover" in glue["base-25-gaussians"]
    d, text = report.drops_modes(final, GRID)
    assert text.startswith("The plain GAN does not clearly drop modes here")


def test_mode_dropping_measured_and_recovered():
    final = final_rows(lambda s: 18 + s % 3, lambda s: 24 + s % 2)
    base, raw, decided, glue = report.toy_decisions(final, DATASETS, 50.0)
    assert decided["25-gaussians", "modes covered"].kind == "agrees"
    assert glue["dec-25-gaussians-modes"] == decided["25-gaussians", "modes covered"].sentence
    d, text = report.drops_modes(final, GRID)
    assert d.kind == "agrees" and text.startswith("The plain GAN drops modes")


def test_a_baseline_that_did_not_train_gates_every_toy_decision():
    final = final_rows(lambda s: 18 + s % 3, lambda s: 24 + s % 2, gan_hq=10.0)
    base, raw, decided, glue = report.toy_decisions(final, DATASETS, 50.0)
    assert base["25-gaussians"].status != "baseline trained"
    assert raw["25-gaussians", "modes covered"].kind == "agrees"        # measured, but ...
    assert glue["dec-25-gaussians-modes"] == "inconclusive: the baseline did not train."


def fake_run(ratio_max):
    steps = np.arange(10)
    adv = np.ones(10)
    return SimpleNamespace(history={"step": steps, "adv_norm": adv, "mi_norm": np.linspace(0.5, 2.0, 10),
                                    "mi_norm_clipped": np.minimum(np.linspace(0.5, 2.0, 10), ratio_max)})


def test_clip_check_fails_when_the_clip_fails():
    jobs = [(GRID, GANConfig(beta=1.0, seed=0)), (GRID, GANConfig(beta=0.0, seed=0))]
    largest, active, clip = report.clip_check(jobs, [fake_run(1.0), fake_run(9.0)])
    assert clip.status == "holds" and largest == 1.0 and active == 60.0
    assert report.clip_check(jobs[:1], [fake_run(1.5)])[2].status == "fails"


def dc_frame(gan_conf, seeds=4):
    rows = []
    for seed in range(seeds):
        for model, modes, conf in (("DCGAN", 100 + seed, gan_conf), ("DCGAN+MINE", 300 + seed, 0.8)):
            rows.append({"model": model, "seed": seed, "modes": modes, "KL": 3.0 - modes / 200,
                         "confidence": conf + 0.001 * seed, "I(G; c) (nats)": 0.1 * seed})
    return pd.DataFrame(rows)


def test_stacked_decisions_need_a_confident_classifier_on_the_baseline():
    base, raw, decided, mi, glue = report.stacked_decisions(dc_frame(0.8), 0.9, 0.85)
    assert base.status == "baseline trained" and decided["modes"].kind == "agrees"
    base, raw, decided, mi, glue = report.stacked_decisions(dc_frame(0.4), 0.9, 0.85)
    assert decided["modes"].status == "baseline did not train"
    assert glue["dc-modes"] == "inconclusive: the baseline did not train."
    assert raw["modes"].kind == "agrees"


def test_stacked_table_and_recording_text():
    real = SimpleNamespace(modes_covered=1000, kl_to_uniform=0.01)
    table = report.stacked_table(dc_frame(0.8), real, real, 0.85, "stacked X", 100)
    assert list(table.columns) == ["source", "model", "modes", "KL", "confidence %", "I(G; c) (nats)"]
    assert table.loc[1, "confidence %"] == "85.0" and len(table) == 2 + 2 + 6
    assert report.recording_text(None, {}, DATASETS).startswith("There is no recorded long run")


def test_norms_figure_draws_the_three_norms_smoothed():
    steps = np.arange(300)
    history = {"step": steps, "adv_norm": np.ones(300), "mi_norm": np.arange(300.0) + 1,
               "mi_norm_clipped": np.full(300, 0.5)}
    fig = report.norms_figure(history, "spiral, GAN+MINE, seed 0")
    ax, = fig.axes
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == ["adversarial", "MI, before clipping",
                                                     "MI, after clipping"]
    assert all(len(line.get_xdata()) == 300 for line in lines)
    assert list(lines[1].get_ydata()[:3]) == [1.0, 1.5, 2.0]  # running mean over 3 steps
    assert ax.get_yscale() == "log" and ax.get_title() == "spiral, GAN+MINE, seed 0"
    plt.close(fig)


def toy_jobs():
    """Two seeds of GAN and GAN+MINE on one dataset, snapshots at steps 10 and 20."""
    jobs, runs = [], []
    for beta in (0.0, 1.0):
        for seed in (0, 1):
            jobs.append((SPIRAL, GANConfig(beta=beta, seed=seed)))
            runs.append(SimpleNamespace(snapshots={s: np.full((3000, 2), beta + seed) for s in (10, 20)}))
    return jobs, runs


SPIRAL = SimpleNamespace(name="spiral", centers=np.array([[0.0, 1.0], [-2.0, 0.5]]))
COLORS = {"GAN": "red", "GAN+MINE": "blue"}


def test_snapshots_figure_draws_one_seed_per_row_and_step():
    jobs, runs = toy_jobs()
    fig = report.snapshots_figure(SPIRAL, jobs, runs, (10, 20), 1, list(COLORS), COLORS)
    assert [ax.get_title() for ax in fig.axes] == ["GAN, step 10", "GAN, step 20",
                                                   "GAN+MINE, step 10", "GAN+MINE, step 20"]
    for ax, value in zip(fig.axes, (1.0, 1.0, 2.0, 2.0)):  # seed 1 only: beta + seed
        samples, centres = ax.collections
        assert len(samples.get_offsets()) == 2000 and (samples.get_offsets() == value).all()
        assert len(centres.get_offsets()) == 2
    assert fig.axes[0].get_xlim() == (-3.5, 3.5)
    plt.close(fig)


def test_toy_metrics_figure_one_errorbar_per_model_and_panel():
    rows = [{"dataset": name, "model": model, "seed": seed, "step": step, "modes covered": 5 + seed,
             "KL": 0.1 * step} for name in ("spiral", "grid") for model in COLORS
            for seed in (0, 1) for step in (10, 20, 30)]
    datasets = {"spiral": SPIRAL, "25-gaussians": SimpleNamespace(name="grid")}
    fig = report.toy_metrics_figure(pd.DataFrame(rows), datasets, list(COLORS), COLORS)
    assert len(fig.axes) == 4
    assert [ax.get_title() for ax in fig.axes[:2]] == ["spiral", "grid"]
    assert [ax.get_ylabel() for ax in fig.axes] == ["modes covered", "modes covered", "KL", "KL"]
    for ax in fig.axes:
        assert len(ax.containers) == 2  # GAN and GAN+MINE
        assert list(ax.containers[0].lines[0].get_xdata()) == [10, 20, 30]
    assert list(fig.axes[0].containers[0].lines[0].get_ydata()) == [5.5] * 3
    assert fig.axes[0].get_legend() is not None and fig.axes[1].get_legend() is None
    plt.close(fig)


def test_stacked_figure_tiles_64_pictures_per_panel():
    real = np.zeros((64, 3, 28, 28))
    samples = {"DCGAN": np.full((70, 3, 28, 28), 0.5), "DCGAN+MINE": np.ones((64, 3, 28, 28))}
    fig = report.stacked_figure(real, samples, "stacked X")
    assert [ax.get_title() for ax in fig.axes] == ["real stacked X", "DCGAN", "DCGAN+MINE"]
    images = [ax.get_images()[0].get_array() for ax in fig.axes]
    assert all(image.shape == (8 * 28, 8 * 28, 3) for image in images)
    assert [float(image.mean()) for image in images] == [0.0, 0.5, 1.0]
    assert not fig.axes[0].axison
    plt.close(fig)


class Stub:
    """A decision or label summary that knows its name."""

    def __init__(self, name):
        self.name = name

    def as_dict(self):
        return {"sentence": self.name}

    summary = as_dict


def test_toy_and_stacked_results_hold_every_decision():
    final = pd.DataFrame({"seed": [0, 1], "KL": [0.1, 0.2]})
    toy = report.toy_results(final, final, final, (1.0, 40.0, Stub("clip")), {"spiral": Stub("base")},
                             {"spiral": Stub("drops")}, {"spiral": "drops text"}, {"lr": 1e-3},
                             {("spiral", "KL"): Stub("kl")}, {"spiral": 2.0})
    assert list(toy) == ["final", "all_snapshots", "critic_mi", "clip_max_ratio", "clip_active_percent",
                         "clip", "baseline_trained", "drops_modes", "settings", "decisions", "seconds"]
    assert toy["final"] == [{"seed": 0, "KL": 0.1}, {"seed": 1, "KL": 0.2}]
    assert toy["clip_max_ratio"] == 1.0 and toy["clip"] == {"sentence": "clip"}
    assert toy["drops_modes"] == {"spiral": {"sentence": "drops", "text": "drops text"}}
    assert toy["decisions"] == {"spiral: KL": {"sentence": "kl"}}
    stacked = report.stacked_results(dc_frame(0.8, seeds=1), 97.5, Stub("true"), Stub("judged"), 0.9,
                                     Stub("base"), {"modes": Stub("modes")}, Stub("mi"), 3.0)
    assert len(stacked["runs"]) == 2 and stacked["classifier_test_accuracy"] == 97.5
    assert stacked["real_classifier_labels"] == {"sentence": "judged"}
    assert stacked["decisions"] == {"modes": {"sentence": "modes"}}
    assert stacked["critic_mi_decision"] == {"sentence": "mi"} and stacked["seconds"] == 3.0
    assert set(report.METRIC_DEFINITIONS) == {"high quality", "modes covered", "KL", "confidence"}
