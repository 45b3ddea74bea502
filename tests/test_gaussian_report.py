"""Chapter 04's report functions on hand-made sweeps: the unit of replication is the seed,
the tolerance decision follows the estimates, the sentences follow the numbers."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import gaussian_report as report
from mine_lib.experiments import results
from mine_lib.experiments.sweeps import summarize
from mine_lib.tasks import gaussian_mi

RHOS = [-0.9, -0.5, 0.0, 0.5, 0.9]


def fake_sweep(rhos=RHOS, seeds=range(6), offset=None, noise=0.01, dims=(1, 10), methods=("mine", "mine-f", "ksg")):
    """Rows as ``sweeps.gaussian_sweep`` gives them: each estimate is the truth plus
    ``offset[method](dim, rho)`` plus a small seed-dependent wobble; the optimal critic
    reads the truth minus 0.01."""
    offset = offset or {}
    rows = []
    for method in methods:
        for dim in dims:
            for rho in rhos:
                truth = gaussian_mi(dim, rho)
                for seed in seeds:
                    shift = offset.get(method, lambda d, r: 0.0)(dim, rho)
                    est = truth + shift + noise * ((seed % 3) - 1)
                    rows.append({"method": method, "dim": dim, "rho": rho, "seed": seed, "true_mi": truth,
                                 "estimate": est, "error": est - truth, "oracle": truth - 0.01,
                                 "status": "ok", "seconds": 0.5})
    return pd.DataFrame(rows)


def test_tolerance_decision_follows_the_estimates():
    inner = [r for r in RHOS if abs(r) <= 0.9]
    close = fake_sweep()
    assert report.within_tolerance(close, "mine", 1, inner, 0.1).kind == "agrees"
    off = fake_sweep(offset={"mine": lambda d, r: 0.3 if r == 0.5 else 0.0})
    far = report.within_tolerance(off, "mine", 1, inner, 0.1)
    assert far.kind == "disagrees" and "ρ = 0.5" in far.sentence
    assert "|ρ| ≤ 0.9" in far.sentence
    assert "|ρ| > 0.9" in report.within_tolerance(fake_sweep(rhos=[0.99]), "mine", 1, [0.99], 0.1).sentence


def test_closer_than_ksg_replicates_over_seeds_not_rhos():
    # KSG reads 0.2 low everywhere, MINE on the truth: MINE is measurably closer overall
    sweep = fake_sweep(seeds=range(2), offset={"ksg": lambda d, r: -0.2})
    overall, per_rho = report.closer_than_ksg(sweep, RHOS)
    assert overall.n == 2          # 2 seeds x 4 non-zero rhos are 2 replicates, not 8
    assert "4 non-zero ρ" in overall.sentence
    # two seeds under a Holm correction over four rhos cannot reach the level: no count
    assert per_rho.kind == "not measurable" and "cannot reach its level" in per_rho.sentence
    reverse = fake_sweep(seeds=range(6), offset={"mine": lambda d, r: -0.2})
    assert report.closer_than_ksg(reverse, RHOS)[0].kind == "disagrees"


def test_sweep_table_cells_and_optimal_critic():
    table = report.sweep_table(fake_sweep(seeds=range(3)), 1, [0.5], ["mine", "ksg"])
    truth = gaussian_mi(1, 0.5)
    assert list(table.columns) == ["ρ", "true MI", "MINE", "KSG", "optimal critic (MINE's test rows)"]
    assert table.loc[0, "MINE"] == f"{truth:.3f} ± 0.010"
    assert table.loc[0, "optimal critic (MINE's test rows)"] == f"{truth - 0.01:.3f}"


def test_readout_split_names_the_larger_part():
    # MINE reads what the optimal critic reads, 0.01 low: all of the error is the read-out's
    sweep = fake_sweep(noise=0.0, offset={"mine": lambda d, r: -0.01})
    assert "is the readout's" in report.readout_split(sweep, 10, 0.5)
    far = fake_sweep(noise=0.0, offset={"mine": lambda d, r: -0.5})
    assert report.readout_split(far, 10, 0.5).endswith("is the network's")


def test_findings_glue_the_numbers_they_state():
    sweep = fake_sweep(offset={"mine": lambda d, r: -0.05 if r == -0.5 else 0.0})
    glue, decided, facts = report.sweep_findings(sweep, summarize(sweep), RHOS, ["mine", "mine-f", "ksg"], 0.1,
                                                 {1: 200, 10: 100})
    assert glue["sweep-runs"] == len(sweep) and glue["worst-rho"] == -0.5
    assert glue["worst-noise"] == pytest.approx(-0.01)
    assert glue["worst-gap"] == pytest.approx(-0.04)
    assert glue["worst-cause"].startswith("the larger part is the trained critic's")
    assert glue["hi-rho"] == -0.9 and facts["edge"] == []
    assert decided["crit_edge"].kind == "not tested"
    assert glue["n-test10"] == 100 and glue["log-ntest10"] == pytest.approx(math.log(100))
    rows = report.claims_table(sweep, summarize(sweep), decided, facts)
    assert rows[2][3] == "not in this profile's grid"
    assert "largest |mean error| 0.050 nats (ρ = -0.5)" in rows[0][3]


def test_readout_floor_does_not_overflow():
    out = report.readout_floor(900.0, 1000, np.array([5.0, 6.0]))
    assert out["hi-oracle-values"] == "5.00, 6.00"
    assert math.isfinite(float(out["hi-sdfloor"])) and math.isfinite(float(out["hi-ratio"]))


def test_curves_reach_and_value_at():
    steps = np.arange(0, 1001, 100)
    truth = gaussian_mi(3, 0.9)
    curves = pd.DataFrame({"dim": 3, "rho": 0.9, "method": "mine", "kind": "validation", "step": steps,
                           "estimate": truth * np.minimum(steps / 500, 1.0)})
    assert report.reach_text(curves, 3, 0.9, "mine", 1000) == "reaches 90 % of the truth at step 500"
    assert report.value_at(curves, 3, 0.9, "mine", 240) == pytest.approx(truth * 0.4)
    low = curves.assign(estimate=curves["estimate"] * 0.5)
    assert report.reach_text(low, 3, 0.9, "mine", 1000) == "does not reach 90 % of the truth in 1000 steps"


def test_ema_findings_pair_by_seed_at_the_smallest_batch():
    rows = []
    for seed in range(6):
        for b in (32, 256):
            for rate, est in ((1.0, 1.0), (0.01, 1.2)):
                rows.append({"seed": seed, "batch_size": b, "ema_rate": rate, "status": "ok",
                             "estimate": est + 0.01 * seed, "train_sd": 0.1})
    glue, vs_plain, _ = report.ema_findings(pd.DataFrame(rows), 0.01)
    assert glue["ema-small-b"] == 32 and glue["ema-worst-rate"] == 1.0
    assert vs_plain.estimate == pytest.approx(0.2) and vs_plain.n == 6


def test_glue_all_prefixes_and_plain_numbers(monkeypatch):
    import myst_nb

    seen = {}
    monkeypatch.setattr(myst_nb, "glue", lambda name, value, display=True: seen.setdefault(name, value))
    results.glue_all("g4", {"x": np.float64(0.25), "n": np.int64(3), "t": pd.DataFrame({"a": [1]})})
    assert type(seen["g4-x"]) is float and type(seen["g4-n"]) is int
    assert all(seen["g4-t"].hide_index_)   # a table without its index
    results.glue_all("", {"n-kl": 5})
    results.glue_all("sl", {"tol": 0.1}, sep="_")
    assert seen["n-kl"] == 5 and seen["sl_tol"] == 0.1


def test_edge_rhos_get_their_own_decision_and_claim_text():
    rhos = [-0.99, -0.5, 0.0, 0.5, 0.99]
    sweep = fake_sweep(rhos=rhos, offset={"mine": lambda d, r: -0.3 if abs(r) > 0.9 else 0.0})
    glue, decided, facts = report.sweep_findings(sweep, summarize(sweep), rhos, ["mine", "mine-f", "ksg"], 0.1,
                                                 {1: 200, 10: 100})
    assert facts["edge"] == [-0.99, 0.99] and decided["crit_edge"].kind == "disagrees"
    assert decided["crit"]["mine"].kind == "agrees"
    rows = report.claims_table(sweep, summarize(sweep), decided, facts)
    assert rows[2][3].startswith("ρ = -0.99: ") and "(truth 1.959)" in rows[2][3]
    assert glue["hi-rho"] == -0.99


COLORS = {"mine": "C0", "mine-f": "C1", "ksg": "C2", "dv": "C3"}


def fake_curves(tasks, methods, steps=20):
    return pd.DataFrame([{"dim": d, "rho": r, "method": m, "kind": kind, "step": step, "estimate": 0.1 * step}
                         for d, r in tasks for m in methods for kind in ("train", "validation")
                         for step in range(0, steps, 1 if kind == "train" else 5)])


def test_sweep_figure_has_a_panel_per_dimension_and_a_point_per_rho():
    summary = summarize(fake_sweep(seeds=range(3)))
    fig = report.sweep_figure(summary, ["mine", "mine-f", "ksg"], RHOS, COLORS)
    assert [ax.get_title() for ax in fig.axes] == ["d = 1 (X, Z ∈ R^1)", "d = 10 (X, Z ∈ R^10)"]
    for ax in fig.axes:
        truth, critic = ax.lines[0], ax.lines[-1]
        assert len(truth.get_xdata()) == 400 and critic.get_marker() == "D" and len(critic.get_xdata()) == len(RHOS)
        assert len(ax.containers) == 3 and all(len(bars.lines[0].get_xdata()) == len(RHOS) for bars in ax.containers)
    assert fig.axes[1].get_ylim() == pytest.approx((-0.5, 1.1 * gaussian_mi(10, 0.9)))
    assert fig.axes[0].get_legend() is not None and fig.axes[1].get_legend() is None
    plt.close(fig)


def test_curves_figure_draws_train_and_validation_per_method():
    tasks, methods = [(3, 0.9), (10, 0.7)], ["dv", "mine"]
    fig = report.curves_figure(fake_curves(tasks, methods), tasks, methods, COLORS, 15)
    assert [ax.get_title() for ax in fig.axes] == ["d = 3, ρ = 0.9", "d = 10, ρ = 0.7"]
    ax = fig.axes[0]
    assert len(ax.lines) == 2 * len(methods) + 2
    assert len(ax.lines[0].get_xdata()) == 20 and len(ax.lines[1].get_xdata()) == 4
    assert list(ax.lines[-1].get_xdata()) == [15, 15]                 # the sweep runs' steps
    assert ax.get_ylim()[1] == pytest.approx(1.25 * gaussian_mi(3, 0.9))
    plt.close(fig)


def test_studies_figure_has_a_line_per_batch_size_and_the_batch_ticks():
    ema = pd.DataFrame([{"seed": s, "batch_size": b, "ema_rate": r, "status": "ok", "estimate": 1.0 + 0.01 * s,
                         "train_sd": r} for s in range(3) for b in (32, 256) for r in (1.0, 0.1, 0.01)])
    batches = pd.DataFrame([{"method": m, "batch_size": b, "seed": s, "estimate": 1.0, "train_sd": 0.1,
                             "seconds": 1.0} for m in ("mine", "mine-f") for b in (32, 128, 512) for s in range(3)])
    fig = report.studies_figure(report.ema_summary(ema), report.batch_summary(batches), [32, 256],
                                [32, 128, 512], 1.2, COLORS)
    estimate, noise, batch = fig.axes
    assert noise.get_title() == "MINE: noise of training" and len(noise.lines) == 2
    assert sorted(noise.lines[0].get_ydata()) == pytest.approx([0.01, 0.1, 1.0])
    assert len(estimate.containers) == 2 and len(batch.containers) == 2
    assert sorted(t.get_text() for t in batch.get_legend().get_texts()) == ["MINE", "MINE-f", "true MI"]
    assert [t.get_text() for t in batch.get_xticklabels()] == ["32", "128", "512"]
    assert sorted(t.get_text() for t in estimate.get_legend().get_texts()) == ["B = 256", "B = 32", "true MI"]
    plt.close(fig)
