"""The sweep runners: tidy tables, summaries by hand, the oracle replay, EMA rate 1 = DV."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import torch

from mine_lib import DivergenceError, InputError, TrainConfig
from mine_lib.bounds import dv_bound
from mine_lib.estimator import train_critic
from mine_lib.experiments import evidence, sweeps
from mine_lib.experiments.sweeps import (
    batch_size_study,
    ema_rate_study,
    estimates,
    first_step_reaching,
    fmt_cell,
    fmt_mean_sd,
    gaussian_log_ratio,
    gaussian_sweep,
    held_out_rows,
    iteration_curves,
    oracle_estimate,
    summarize,
    tolerance_over,
    wins_over,
    worst_error,
)
from mine_lib.tasks import correlated_gaussian, gaussian_mi
from mine_lib.utils import standardize_columns

TINY = TrainConfig(hidden=(32, 32), batch_size=128, lr=1e-3, max_steps=120, eval_every=40,
                   early_stopping=False)


def test_ksg_sweep_is_tidy_and_carries_the_truth():
    table = gaussian_sweep(["ksg"], [-0.5, 0.0, 0.8], [1, 2], [0, 1], 1500, TINY)
    assert len(table) == 3 * 2 * 2
    assert set(table["status"]) == {"ok"}
    for _, row in table.iterrows():
        assert row["true_mi"] == pytest.approx(gaussian_mi(row["dim"], row["rho"]))
    assert np.allclose(table["error"], table["estimate"] - table["true_mi"])
    assert table["oracle"].isna().all()  # KSG has no held-out rows
    # KSG at n=1500, d<=2: within 0.08 nats of the truth (its SD is about 0.02 here)
    assert (table["error"].abs() < 0.08).all(), table


def test_neural_sweep_close_to_truth_and_to_its_oracle():
    # d=1, rho=0.8 (0.51 nats), n=4000, 400 steps: the held-out bound of a trained critic
    # has SD ~0.03 here; 0.1 nats is three SD plus the critic's small shortfall.
    config = TrainConfig(hidden=(64, 64), batch_size=256, lr=1e-3, max_steps=400, eval_every=50,
                         early_stopping=False)
    table = gaussian_sweep(["mine", "mine-f"], [0.8], [1], [0], 4000, config)
    truth = gaussian_mi(1, 0.8)
    assert (table["estimate"] - truth).abs().max() < 0.1, table
    # a lower bound read on the same rows cannot beat the optimal critic by much
    assert (table["estimate"] <= table["oracle"] + 0.03).all(), table


def test_summarize_by_hand():
    table = pd.DataFrame({
        "method": ["mine"] * 3 + ["ksg"] * 2, "dim": [1] * 5, "rho": [0.5] * 5,
        "true_mi": [0.2] * 5, "estimate": [1.0, 1.2, math.nan, 0.1, 0.3],
        "status": ["ok", "ok", "diverged", "ok", "ok"],
    })
    s = summarize(table).set_index("method")
    assert s.loc["mine", "mean"] == pytest.approx(1.1)
    assert s.loc["mine", "sd"] == pytest.approx(math.sqrt(0.02))
    assert s.loc["mine", "n_runs"] == 3 and s.loc["mine", "n_diverged"] == 1
    assert s.loc["mine", "bias"] == pytest.approx(0.9)
    assert s.loc["ksg", "mean"] == pytest.approx(0.2) and s.loc["ksg", "bias"] == pytest.approx(0.0)


def test_one_seed_is_no_spread_not_zero_spread():
    table = pd.DataFrame({"method": ["mine", "ksg", "ksg"], "dim": [1] * 3, "rho": [0.5] * 3,
                          "true_mi": [0.2] * 3, "estimate": [1.0, 0.1, 0.3], "status": ["ok"] * 3})
    s = summarize(table).set_index("method")
    assert math.isnan(s.loc["mine", "sd"]) and s.loc["mine", "n_ok"] == 1
    assert fmt_mean_sd(s.loc["mine", "mean"], s.loc["mine", "sd"], s.loc["mine", "n_ok"]) \
        == "1.000 (one seed, no spread)"
    ksg = s.loc["ksg"]
    assert fmt_mean_sd(ksg["mean"], ksg["sd"], ksg["n_ok"]) == "0.200 ± 0.141"
    assert fmt_mean_sd(math.nan, math.nan, 0).startswith("n/a")
    assert fmt_cell([0.1, 0.3]) == "0.200 ± 0.141"
    assert fmt_cell([0.5]) == "0.500 (one seed, no spread)"
    assert fmt_cell([0.5, math.nan]) == "0.500 (one seed, no spread); 1 of 2 diverged"


def test_worst_error_respects_the_rho_limit():
    summary = pd.DataFrame({"method": ["mine"] * 3, "dim": [1] * 3, "rho": [-0.9, 0.5, 0.99],
                            "mean": [0.7, 0.14, 0.5], "true_mi": [0.83, 0.144, 1.96]})
    summary["bias"] = summary["mean"] - summary["true_mi"]
    assert worst_error(summary, "mine", 1, 0.9)["rho"] == -0.9
    assert worst_error(summary, "mine", 1, 1.0)["rho"] == 0.99
    with pytest.raises(InputError):
        worst_error(summary, "mine", 10, 0.9)


def test_diverged_runs_are_rows_not_crashes(monkeypatch):
    def explode(*args, **kwargs):
        raise DivergenceError("training diverged at step 3")

    monkeypatch.setattr(sweeps, "train_critic", explode)
    table = gaussian_sweep(["mine", "ksg"], [0.5], [1], [0], 500, TINY)
    mine = table[table["method"] == "mine"].iloc[0]
    assert mine["status"] == "diverged" and math.isnan(mine["estimate"])
    assert table[table["method"] == "ksg"].iloc[0]["status"] == "ok"
    assert summarize(table).set_index("method").loc["mine", "n_diverged"] == 1


def test_held_out_rows_replay_the_trainer():
    """The oracle is only meaningful on the trainer's own test rows: check the replay."""
    x, z = correlated_gaussian(900, 2, 0.6, seed=5)
    cfg = sweeps.neural_config("mine", TINY, seed=7)
    result = train_critic(x, z, cfg)
    rows, perms = held_out_rows(len(x), cfg)
    assert len(rows) == result.n_test and len(perms) == cfg.eval_shuffles
    # rebuild the trainer's standardisation from its training rows (everything not held out)
    rng = np.random.default_rng(cfg.seed)
    train_idx, _, test_idx = sweeps.split_rows(len(x), cfg, rng)
    assert np.array_equal(test_idx, rows)
    xs = torch.as_tensor(standardize_columns(x, x[train_idx])[rows], dtype=torch.float32)
    zs = torch.as_tensor(standardize_columns(z, z[train_idx])[rows], dtype=torch.float32)
    with torch.no_grad():
        t_joint = result.critic(xs, zs)
        t_marg = torch.cat([result.critic(xs, zs[torch.as_tensor(p)]) for p in perms])
    assert float(dv_bound(t_joint, t_marg)) == pytest.approx(result.mi, abs=1e-5)


def test_oracle_on_a_large_sample():
    # the optimal critic's held-out DV and NWJ bounds are unbiased up to O(1/n): 20,000 rows,
    # 4,000 held out, SD about 0.02 nats at I = 0.51; tolerance 0.08
    x, z = correlated_gaussian(20000, 1, 0.8, seed=2)
    for method in ("mine", "mine-f"):
        value = oracle_estimate(x, z, lambda a, b: gaussian_log_ratio(a, b, 0.8), method, TINY, seed=0)
        assert value == pytest.approx(gaussian_mi(1, 0.8), abs=0.08)
    with pytest.raises(InputError):
        oracle_estimate(x, z, lambda a, b: gaussian_log_ratio(a, b, 0.8), "ksg", TINY, seed=0)


def test_iteration_curves_have_every_step():
    curves = iteration_curves(1, 0.5, ["mine", "mine-f"], [0], 800, TINY)
    train = curves[(curves["kind"] == "train") & (curves["method"] == "mine")]
    assert list(train["step"]) == list(range(1, TINY.max_steps + 1))
    val = curves[(curves["kind"] == "validation") & (curves["method"] == "mine-f")]
    assert list(val["step"]) == [40, 80, 120]
    assert (curves["true_mi"] == gaussian_mi(1, 0.5)).all()
    with pytest.raises(InputError, match="no training curve"):
        iteration_curves(1, 0.5, ["ksg"], [0], 800, TINY)


def test_ema_rate_one_is_plain_dv():
    """With rate 1 the moving average is the batch mean: MINE's gradient is DV's gradient."""
    table = sweeps.settings_study(1, 0.7, [{"method": "mine", "ema_rate": 1.0}, {"method": "dv"}],
                                  [3], 1000, TINY)
    mine, dv = table["estimate"]
    assert mine == pytest.approx(dv, abs=1e-3)


def test_ema_and_batch_studies_label_their_rows():
    table = ema_rate_study(1, 0.5, [1.0, 0.01], [64, 128], [0], 600, TINY)
    assert sorted(zip(table["ema_rate"], table["batch_size"])) == [(0.01, 64), (0.01, 128), (1.0, 64), (1.0, 128)]
    assert table["train_sd"].notna().all()
    with pytest.raises(InputError, match="rate"):
        ema_rate_study(1, 0.5, [0.0], [64], [0], 600, TINY)
    batches = batch_size_study(1, 0.5, ["mine-f"], [32, 64], [0], 600, TINY)
    assert list(batches["batch_size"]) == [32, 64] and batches["ema_rate"].isna().all()


def test_step_noise_ignores_a_trend():
    steps = np.arange(1000)
    wiggle = 0.1 * (-1.0) ** steps  # +-0.1 alternating: diff = +-0.2, sd(diff)/sqrt(2) = 0.1414
    assert sweeps.step_noise(0.01 * steps + wiggle) == pytest.approx(0.2 / math.sqrt(2))
    assert sweeps.step_noise(0.01 * steps) == pytest.approx(0.0, abs=1e-12)


def test_first_step_reaching():
    assert first_step_reaching(np.array([10, 20, 30]), np.array([0.1, 0.5, 0.9]), 0.5) == 20
    assert math.isnan(first_step_reaching(np.array([10, 20]), np.array([0.1, 0.2]), 0.5))


def test_unknown_method_is_an_input_error():
    with pytest.raises(InputError, match="unknown method"):
        gaussian_sweep(["mime"], [0.5], [1], [0], 500, TINY)
    with pytest.raises(InputError):
        gaussian_sweep([], [0.5], [1], [0], 500, TINY)


def test_tolerance_over_settings_flips_with_one_setting():
    good = evidence.tracks_truth([1.0, 1.01, 0.99], 1.0, 0.1)
    bad = evidence.tracks_truth([2.0, 2.01, 1.99], 1.0, 0.1)
    one = evidence.tracks_truth([1.0], 1.0, 0.1)
    assert tolerance_over([("a", good), ("b", good)], "X").kind == "agrees"
    d = tolerance_over([("a", good), ("b", bad)], "X")
    assert d.kind == "disagrees" and "outside it at b" in d.sentence
    assert tolerance_over([("a", one)], "X").status == "one seed, no spread"
    assert tolerance_over([], "X").kind == "not tested"


def test_wins_over_settings():
    closer = evidence.difference([0.1, 0.11, 0.12], [0.5, 0.52, 0.5], paired=True)
    further = evidence.difference([0.5, 0.52, 0.5], [0.1, 0.11, 0.12], paired=True)
    open_ = evidence.difference([0.1, 0.3], [0.2, 0.1], paired=True)
    assert wins_over([("r1", closer), ("r2", open_)], "X", "A", "B").kind == "agrees"
    assert wins_over([("r1", further)], "X", "A", "B").kind == "disagrees"
    assert wins_over([("r1", closer), ("r2", further)], "X", "A", "B").kind == "inconclusive"
    d = wins_over([("r2", open_)], "X", "A", "B")
    assert d.kind == "not measurable" and "too few" in d.sentence


def test_estimates_keep_diverged_runs_as_nan():
    table = pd.DataFrame({"method": ["mine"] * 2, "seed": [1, 0], "estimate": [math.nan, 0.5]})
    assert np.isnan(estimates(table, method="mine")).tolist() == [False, True]
