"""The seed report's six losses (mine_lib.objectives) and the loss study runner."""

import math

import numpy as np
import pandas as pd
import pytest
import torch

from mine_lib import bounds, objectives
from mine_lib.errors import InputError
from mine_lib.estimator import TrainConfig, train_critic
from mine_lib.experiments import evidence
from mine_lib.experiments.loss_study import (
    StudyConfig,
    cell_decisions,
    cell_summary,
    compare,
    first_within,
    jitter,
    report_claim,
    run_study,
    running_mean,
)
from mine_lib.tasks import correlated_gaussian

TJ = torch.tensor([1.0, 2.0, 4.0], dtype=torch.float64)
TM = torch.tensor([0.0, math.log(2.0), math.log(6.0)], dtype=torch.float64)  # E[e^t] = 3
DV = (7.0 / 3.0) - math.log(3.0)  # the DV bound on TJ, TM by hand


def grads(loss_fn, tj, tm):
    tj = tj.clone().requires_grad_(True)
    tm = tm.clone().requires_grad_(True)
    loss_fn(tj, tm).backward()
    return tj.grad, tm.grad


def test_every_seed_loss_is_registered_and_read_out_with_dv():
    for name in ("eam", "softplus", "clipped", "lse", "lse-corrected", "regularised", "noise"):
        loss = objectives.make_loss(name)
        assert loss.name == name
        assert isinstance(loss, objectives.Objective)
        assert math.isclose(float(loss.estimate(TJ, TM)), DV, rel_tol=1e-12)


def test_eam_gradient_is_the_papers_moving_average_gradient():
    rate = 0.2
    eam, mine = objectives.EAMLoss(rate=rate), objectives.MineLoss(rate=rate)
    tj = torch.tensor([0.5, 1.5], dtype=torch.float64)
    batches = [torch.tensor(b, dtype=torch.float64) for b in ([0.0, 0.0], [1.0, 2.0], [-1.0, 3.0])]
    avg = None
    for tm in batches:
        gj, gm = grads(eam, tj, tm)
        _, gm_mine = grads(mine, tj, tm)
        mean = float(torch.exp(tm).mean())
        avg = mean if avg is None else (1 - rate) * avg + rate * mean  # the paper's update
        assert torch.allclose(gj, torch.full((2,), -0.5, dtype=torch.float64))
        assert torch.allclose(gm, torch.exp(tm) / (2 * avg), rtol=1e-12)
        assert torch.allclose(gm, gm_mine, rtol=1e-10)  # same gradient as the log-domain "mine"


def test_eam_reset_and_rate_check():
    loss = objectives.EAMLoss()
    loss(TJ, TM)
    loss.reset()
    assert loss.avg is None
    with pytest.raises(ValueError, match="rate"):
        objectives.EAMLoss(rate=0.0)


def test_softplus_value_by_hand():
    loss = objectives.SoftplusLoss()
    expected = 7.0 / 3.0 - math.log1p(math.exp(3.0))  # softplus(E[e^t]) = log(1 + e^3)
    assert math.isclose(float(loss(TJ, TM)), -expected, rel_tol=1e-12)
    assert float(loss.written_value(TJ, TM)) <= DV - 1.0  # at most DV - 1, as derived


def test_softplus_fixed_point_pins_the_offset_and_costs_a_star_nats():
    a_star = objectives.softplus_fixed_point()
    assert math.isclose(a_star / (1 + math.exp(-a_star)), 1.0, rel_tol=1e-12)  # A* sigmoid(A*) = 1
    loss = objectives.SoftplusLoss()
    tj, tm = torch.tensor([0.3, 0.7], dtype=torch.float64), torch.zeros(4, dtype=torch.float64)

    def slope(c: float) -> float:  # d(loss)/d(offset) when every score is shifted by c
        shift = torch.tensor(c, dtype=torch.float64, requires_grad=True)
        loss(tj + shift, tm + shift).backward()
        return float(shift.grad)

    c_star = math.log(a_star)  # E_Q[e^(t + c)] = e^c here, so the optimum is e^c = A*
    assert abs(slope(c_star)) < 1e-12
    assert slope(c_star - 0.5) < 0 < slope(c_star + 0.5)  # a minimum of the loss
    value = float(loss.written_value(tj + c_star, tm + c_star))
    assert math.isclose(value, float(tj.mean()) - a_star, rel_tol=1e-12)  # "I - A*"


def test_clipped_is_dv_with_a_gradient_clip():
    loss = objectives.ClippedLoss(max_norm=0.5)
    assert loss.grad_clip == 0.5
    assert math.isclose(float(loss(TJ, TM)), -DV, rel_tol=1e-12)
    with pytest.raises(ValueError, match="max_norm"):
        objectives.ClippedLoss(max_norm=-1.0)


def test_trainer_clips_the_gradient_norm(monkeypatch):
    original = torch.nn.utils.clip_grad_norm_
    seen = []

    def recording(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        before = float(original(parameters, math.inf))  # the norm, nothing clipped
        original(parameters, max_norm, *args, **kwargs)
        after = math.sqrt(sum(float((p.grad ** 2).sum()) for p in parameters))
        seen.append((max_norm, before, after))

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", recording)
    x, z = correlated_gaussian(400, 2, 0.9, seed=0)
    cfg = TrainConfig(hidden=(16,), batch_size=64, max_steps=20, eval_every=10, seed=0)
    train_critic(x, z, cfg, objectives.ClippedLoss(max_norm=0.01))
    assert len(seen) == 20  # once per step
    assert all(m == 0.01 and after <= 0.01 * (1 + 1e-4) for m, _, after in seen)
    assert any(before > 0.01 for _, before, _ in seen)  # the clip was active
    seen.clear()
    train_critic(x, z, cfg, objectives.DVLoss())
    assert seen == []  # the plain DV loss is not clipped


def test_lse_as_written_differs_from_dv_by_max_minus_log_n():
    loss = objectives.LSELoss()
    gap = float(loss.written_value(TJ, TM)) - DV
    assert math.isclose(gap, math.log(6.0) - math.log(3.0), rel_tol=1e-12)  # max(t) - log N
    # not a bound: a constant critic on independent data (MI = 0) scores max(t) - log N > 0
    const = torch.full((4,), 5.0, dtype=torch.float64)
    assert math.isclose(float(loss.written_value(const, const)), 5.0 - math.log(4.0), rel_tol=1e-12)


def test_lse_gradient_has_an_extra_push_on_the_max():
    _, g_dv = grads(objectives.DVLoss(), TJ, TM)
    _, g_lse = grads(objectives.LSELoss(), TJ, TM)
    _, g_detached = grads(objectives.LSELoss(detach_max=True), TJ, TM)
    push = torch.tensor([0.0, 0.0, -1.0], dtype=torch.float64)  # minus: the loss is -value
    assert torch.allclose(g_lse, g_dv + push)
    assert torch.allclose(g_detached, g_dv)


def test_lse_corrected_equals_dv_and_stays_finite():
    loss = objectives.LSECorrectedLoss()
    assert math.isclose(float(loss(TJ, TM)), -DV, rel_tol=1e-12)
    _, g = grads(loss, TJ, TM)
    _, g_dv = grads(objectives.DVLoss(), TJ, TM)
    assert torch.allclose(g, g_dv)
    big = torch.tensor([1e4, -1e4, 0.0])  # float32: e^1e4 would overflow without the shift
    assert math.isclose(float(loss(big, big)), -(0.0 - (1e4 - math.log(3.0))), rel_tol=1e-6)


def test_regularised_value_by_hand():
    loss = objectives.RegularisedLoss(lam=0.01)
    penalty = 0.01 * (1.0 + 4.0 + 36.0)  # ||e^t||^2 summed over the batch
    assert math.isclose(float(loss(TJ, TM)), -DV + penalty, rel_tol=1e-12)
    assert float(loss.written_value(TJ, TM)) < DV  # a looser, still valid, bound
    with pytest.raises(ValueError, match="lam"):
        objectives.RegularisedLoss(lam=0.0)


def test_noise_changes_the_value_not_the_gradient_nor_the_readout():
    loss = objectives.NoiseLoss(sigma=1.0, seed=3)
    values = torch.stack([loss(TJ, TM) for _ in range(4000)])
    assert float(values.std()) > 0.3  # the value is noisy: sd sigma / sqrt(3) = 0.58
    assert abs(float(values.mean()) + DV) < 0.05  # and unbiased for -DV (4 standard errors)
    gj, gm = grads(loss, TJ, TM)
    gj_dv, gm_dv = grads(objectives.DVLoss(), TJ, TM)
    assert torch.equal(gj, gj_dv) and torch.allclose(gm, gm_dv)
    readouts = {float(loss.estimate(TJ, TM)) for _ in range(5)}
    assert readouts == {float(bounds.dv_bound(TJ, TM))}  # noise-free and equal to DV
    loss.reset()
    first = float(loss(TJ, TM))
    loss.reset()
    assert float(loss(TJ, TM)) == first  # reset restarts the noise stream


def test_curve_helpers():
    assert first_within([10, 20, 30], [0.5, 0.85, 1.02], 1.0, 0.1) == 30
    assert first_within([10, 20], [1.3, 0.95], 1.0, 0.1) == 20
    assert math.isnan(first_within([10, 20], [0.1, 0.2], 1.0, 0.1))
    assert np.allclose(running_mean([1, 2, 3, 4], 2), [1.0, 1.5, 2.5, 3.5])
    assert math.isclose(jitter([9.0, 9.0, 1.0, 2.0, 0.0, 3.0]), (2 + 3) / 2)  # second half only


class ExplodingLoss(objectives.Objective):
    name = "exploding"

    def __call__(self, t_joint, t_marg):
        return t_joint.mean() * math.inf


def test_study_table_counts_divergence_without_crashing(monkeypatch):
    monkeypatch.setitem(objectives.LOSSES, "exploding", ExplodingLoss)
    cfg = StudyConfig(losses=("dv", "noise", "exploding"), rhos=(0.5,), batch_sizes=(32,),
                      seeds=(0, 1), n_samples=400, steps=30, eval_every=10, hidden=(16,),
                      n_eval=256)
    result = run_study(cfg)
    runs = result.runs
    assert len(runs) == 6
    assert runs.loc[runs["loss"] == "exploding", "diverged"].all()
    assert not runs.loc[runs["loss"] != "exploding", "diverged"].any()
    truth = -1.5 * math.log(1 - 0.25)
    assert np.allclose(runs["true_mi"], truth)
    # noise trains exactly like DV: the same estimates, run for run
    dv = runs[runs["loss"] == "dv"]["mi"].to_numpy()
    assert np.array_equal(runs[runs["loss"] == "noise"]["mi"].to_numpy(), dv)
    table = cell_summary(runs)
    assert set(table["loss"]) == {"dv", "noise", "exploding"}
    assert int(table.loc[table["loss"] == "exploding", "diverged"].iloc[0]) == 2
    verdicts = compare(runs).set_index("loss")
    assert not verdicts.loc["exploding", "usable"]
    assert verdicts.loc["noise", "vs_baseline"] == "same"
    assert verdicts.loc["noise", "max_gap"] == 0.0


def hand_runs(effect: float, seeds=(0, 1, 2), noise=(0.0, 0.003, 0.006)) -> pd.DataFrame:
    """Two cells with very different error sizes; 'new' differs from 'dv' by ``effect``
    nats of |error| in every cell, plus ``noise[seed]``."""
    rows = []
    for rho, truth, base_err in ((0.1, 0.02, 0.5), (0.99, 5.9, -2.0)):
        for seed in seeds:
            wiggle = 0.01 * (seed - 1)
            for loss, err in (("dv", base_err + wiggle),
                              ("new", base_err + wiggle
                               + math.copysign(1.0, base_err) * (effect + noise[seed]))):
                rows.append({"loss": loss, "rho": rho, "batch_size": 64, "seed": seed,
                             "true_mi": truth, "mi": truth + err, "mi_dv": truth + err,
                             "diverged": False, "val_jitter": 0.1, "val_best": 1.0,
                             "val_last": 1.0, "steps_val": 10.0, "seconds": 1.0})
    return pd.DataFrame(rows)


def test_compare_pairs_within_cells_and_flips_with_the_effect():
    better = compare(hand_runs(-0.2)).set_index("loss").loc["new"]
    assert better["vs_baseline"] == "better" and better["diff_high"] < 0 and better["usable"]
    assert better["cells"] == 2 and better["seeds"] == 3
    assert better["diff_vs_baseline"] == pytest.approx(-0.2 + 0.003)
    worse = compare(hand_runs(+0.2)).set_index("loss").loc["new"]
    assert worse["vs_baseline"] == "worse" and worse["diff_low"] > 0 and not worse["usable"]
    none = compare(hand_runs(0.0, noise=(0.05, -0.05, 0.0))).set_index("loss").loc["new"]
    assert none["vs_baseline"] == "no difference shown"
    assert none["diff_low"] < 0 < none["diff_high"]
    one = compare(hand_runs(-0.2, seeds=(1,), noise=(0.0, 0.0))).set_index("loss").loc["new"]
    assert one["vs_baseline"] == "one seed, no spread"
    cells = cell_decisions(hand_runs(-0.2), "new")
    assert [(r, b) for r, b, _ in cells] == [(0.1, 64), (0.99, 64)]
    assert all(d.status == "measured" and "Holm" in d.sentence for _, _, d in cells)


def test_compare_ignores_the_spread_between_cells():
    # the effect differs a lot between the cells (-0.4 and -0.05) but is steady within each
    # seed: the interval over the per-seed means (each the mean over the cells) excludes
    # zero, while one pooled over the runs would not
    runs = pd.concat([hand_runs(-0.4).query("rho == 0.1"), hand_runs(-0.05).query("rho == 0.99")])
    row = compare(runs).set_index("loss").loc["new"]
    assert row["vs_baseline"] == "better"
    pooled = evidence.difference(np.r_[[-0.4] * 3, [-0.05] * 3] + 0.003 * np.r_[0, 1, 2, 0, 1, 2],
                                 np.zeros(6), paired=True)
    assert pooled.ci[1] - pooled.ci[0] > row["diff_high"] - row["diff_low"]


def test_report_claims_follow_the_comparison():
    better = compare(hand_runs(-0.2)).set_index("loss")
    worse = compare(hand_runs(+0.2)).set_index("loss")
    assert report_claim(better.loc["new"], better.loc["dv"], "accuracy").kind == "agrees"
    assert report_claim(worse.loc["new"], worse.loc["dv"], "accuracy").kind == "disagrees"
    # DV never failed: fewer failures cannot be shown
    stab = report_claim(better.loc["new"], better.loc["dv"], "stability")
    assert stab.kind == "not measurable" and "never failed" in stab.sentence
    with pytest.raises(InputError):
        report_claim(better.loc["new"], better.loc["dv"], "speed")


def test_every_loss_is_also_read_out_with_dv():
    cfg = StudyConfig(losses=("dv", "mine-f"), rhos=(0.5,), batch_sizes=(32,), seeds=(0,),
                      n_samples=400, steps=30, eval_every=10, hidden=(16,), n_eval=256)
    runs = run_study(cfg).runs.set_index("loss")
    assert runs.loc["dv", "mi_dv"] == pytest.approx(runs.loc["dv", "mi"], abs=1e-6)
    # the same critic, the same rows: DV can only read higher than the f-divergence bound
    assert runs.loc["mine-f", "mi_dv"] >= runs.loc["mine-f", "mi"] - 1e-6


def test_study_config_is_checked():
    with pytest.raises(InputError, match="unknown loss"):
        StudyConfig(losses=("nope",)).check()
    with pytest.raises(InputError, match="steps"):
        StudyConfig(steps=0).check()
