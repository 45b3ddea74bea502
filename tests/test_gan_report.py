"""Chapter 07's report functions on hand-made runs: the ceiling and the baseline gate decide
what can be claimed, the clip check fails when the clip fails, sentences follow the numbers."""

from types import SimpleNamespace

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
