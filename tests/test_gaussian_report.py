"""Chapter 04's report functions on hand-made sweeps: the unit of replication is the seed,
the tolerance decision follows the estimates, the sentences follow the numbers."""

import math

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
