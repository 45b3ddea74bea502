"""InfoNCE, SMILE, JS (and KSG) behind estimate_mi and the command line; uncertainty over
seeds; the benchmark's scoring."""

import json
import math
import subprocess
import sys

import numpy as np
import pandas as pd
import pytest
import torch

from mine_lib import InputError, bounds, estimate_mi
from mine_lib.__main__ import main
from mine_lib.estimator import estimate_with_uncertainty, methods
from mine_lib.experiments.benchmark import (
    Estimator,
    is_solved,
    log_ratio,
    run_benchmark,
    solved_summary,
    task_means,
)
from mine_lib.objectives import InfoNCELoss, JSLoss, SmileLoss
from mine_lib.tasks import benchmark_tasks, correlated_gaussian, gaussian_mi

SHORT = dict(hidden=(64, 64), lr=1e-3, max_steps=600, eval_every=50, patience=6)


def test_new_methods_are_listed():
    assert {"infonce", "smile", "js", "ksg", "mine", "nwj"} <= set(methods())


# Tolerance 0.15 nats at I = 0.67: with 500 test samples the held-out DV readout has a
# standard deviation of about sqrt((e^I - 1) / 2500) = 0.02 nats (5 shuffles), and the short
# run (a 64-64 critic, 600 steps) leaves a gap below the truth; InfoNCE's ceiling log 256 = 5.5
# is far.
@pytest.mark.parametrize("method", ["infonce", "smile", "js"])
def test_new_method_lands_near_the_closed_form(method):
    x, z = correlated_gaussian(2500, 2, 0.7, seed=5)
    truth = gaussian_mi(2, 0.7)
    result = estimate_mi(x, z, method=method, seed=0, **SHORT)
    assert result.method == method
    assert abs(result.mi - truth) < 0.15, (method, result.mi, truth)


def test_infonce_never_exceeds_log_batch_on_the_held_out_readout():
    # 10 + 10 dimensions with rho = 0.99: I = 19.6 nats, far above log 32 = 3.47
    x, z = correlated_gaussian(2000, 10, 0.99, seed=0)
    result = estimate_mi(x, z, method="infonce", seed=0, batch_size=32, max_steps=400,
                         eval_every=100, hidden=(64, 64))
    assert result.mi <= math.log(32) + 1e-6
    assert result.mi > math.log(32) - 1.0  # and it gets close to the ceiling


def test_infonce_bound_on_a_perfect_critic_is_log_k():
    scores = torch.full((16, 16), -50.0)
    scores.fill_diagonal_(50.0)
    loss = InfoNCELoss()
    assert loss.needs_matrix
    assert float(loss.estimate(scores.diagonal(), scores)) == pytest.approx(math.log(16), abs=1e-6)
    assert float(loss(scores.diagonal(), scores)) == pytest.approx(-math.log(16), abs=1e-6)


def test_smile_clips_the_marginal_scores_and_trains_with_js():
    t_joint = torch.tensor([2.0, 3.0, 4.0])
    t_marg = torch.tensor([10.0, 10.0, -10.0, -10.0])  # e^10 and e^-10: both outside [e^-1, e^1]
    loss = SmileLoss(tau=1.0)
    # clipped to +-1: log mean(e, e, 1/e, 1/e) = log cosh(1)
    assert float(loss.estimate(t_joint, t_marg)) == pytest.approx(3.0 - math.log(math.cosh(1.0)))
    assert float(loss.estimate(t_joint, t_marg)) > float(bounds.dv_bound(t_joint, t_marg))
    # within the clip range SMILE is the DV bound
    small = torch.tensor([0.1, -0.2, 0.3, 0.0])
    assert float(SmileLoss(tau=5.0).estimate(t_joint, small)) == pytest.approx(
        float(bounds.dv_bound(t_joint, small)))
    # the gradient comes from the JS objective (as in the authors' code), not from the clip
    assert float(loss(t_joint, t_marg)) == pytest.approx(-float(bounds.js_objective(t_joint, t_marg)))
    clipped = SmileLoss(tau=1.0, train="clipped-dv")
    assert float(clipped(t_joint, t_marg)) == pytest.approx(-float(loss.estimate(t_joint, t_marg)))


def test_smile_tau_reaches_the_objective_through_estimate_mi():
    x, z = correlated_gaussian(1500, 3, 0.9, seed=1)  # I = 2.49 nats: log-ratios beyond tau = 0.5
    loose = estimate_mi(x, z, method="smile", seed=0, max_steps=300, eval_every=100)
    tight = estimate_mi(x, z, method="smile", seed=0, tau=0.5, max_steps=300, eval_every=100)
    assert loose.config["loss_options"]["tau"] == 5.0
    assert tight.config["loss_options"]["tau"] == 0.5
    assert tight.mi != loose.mi  # same seed, same training signal: only the clip differs


def test_js_trains_with_the_js_objective_and_reads_out_dv():
    t_joint, t_marg = torch.tensor([1.0, 2.0]), torch.tensor([0.5, -1.0, 0.0])
    loss = JSLoss()
    assert float(loss(t_joint, t_marg)) == pytest.approx(-float(bounds.js_objective(t_joint, t_marg)))
    assert float(loss.estimate(t_joint, t_marg)) == pytest.approx(float(bounds.dv_bound(t_joint, t_marg)))


@pytest.mark.parametrize("options, message", [
    ({"method": "mine", "tau": 2.0}, "applies to method 'smile'"),
    ({"method": "smile", "tau": -1.0}, "tau"),
    ({"method": "smile", "ema_rate": 0.1}, "applies to method 'mine'"),
    ({"method": "js", "max_seconds": -2}, "max_seconds"),
])
def test_bad_options_get_clear_errors(options, message):
    x, z = correlated_gaussian(200, 1, 0.5, seed=0)
    with pytest.raises(InputError, match=message):
        estimate_mi(x, z, **options)


def test_time_budget_stops_a_run():
    x, z = correlated_gaussian(2000, 2, 0.5, seed=0)
    result = estimate_mi(x, z, method="js", seed=0, max_steps=1_000_000, early_stopping=False,
                         max_seconds=0.5)
    assert result.steps < 1_000_000
    assert result.history["val_step"][-1] == result.steps  # evaluated where it stopped
    assert result.seconds < 10


@pytest.fixture(scope="module")
def pair_files(tmp_path_factory):
    d = tmp_path_factory.mktemp("more")
    x, z = correlated_gaussian(800, 2, 0.8, seed=0)
    np.save(d / "x.npy", x)
    np.savetxt(d / "z.csv", z, delimiter=",")
    return d


@pytest.mark.parametrize("method", ["infonce", "smile", "js"])
def test_new_method_through_the_command_line_entry_point(pair_files, method, capsys, monkeypatch):
    monkeypatch.chdir(pair_files)
    code = main(["estimate", "x.npy", "z.csv", "--method", method, "--max-steps", "150",
                 "--batch-size", "64", "--json"])
    assert code == 0
    result = json.loads(capsys.readouterr().out)
    assert result["method"] == method
    assert result["steps"] <= 150
    assert 0.2 < result["mi"] < 1.5  # true 1.02 nats; 150 steps land well inside this


def test_new_method_as_a_command(pair_files):
    out = subprocess.run([sys.executable, "-m", "mine_lib", "estimate", "x.npy", "z.csv",
                          "--method", "smile", "--max-steps", "100", "--json"],
                         capture_output=True, text=True, cwd=pair_files, timeout=120)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["method"] == "smile"


def test_uncertainty_over_seeds_reports_mean_spread_and_values():
    x, z = correlated_gaussian(3000, 1, 0.8, seed=2)
    u = estimate_with_uncertainty(x, z, method="ksg", seeds=[0, 1, 2, 3], subsample=0.7)
    assert len(u.values) == 4 and u.seeds == [0, 1, 2, 3]
    assert u.mean == pytest.approx(np.mean(u.values))
    assert u.std == pytest.approx(np.std(u.values, ddof=1)) and u.std > 0  # subsets differ
    assert u.stderr == pytest.approx(u.std / 2)
    assert abs(u.mean - gaussian_mi(1, 0.8)) < 0.1
    assert set(u.summary()) >= {"mean", "std", "values", "method"}
    with pytest.raises(InputError, match="subsample"):
        estimate_with_uncertainty(x, z, method="ksg", subsample=1.5)


def test_solved_criterion_and_log_ratio():
    assert is_solved(log_ratio(1.49, 1.0)) and is_solved(log_ratio(1.0 / 1.49, 1.0))
    assert not is_solved(log_ratio(1.51, 1.0)) and not is_solved(log_ratio(0.66, 1.0))
    assert log_ratio(-0.2, 1.0) == -math.inf and not is_solved(log_ratio(-0.2, 1.0))


def test_benchmark_table_and_summary():
    tasks = benchmark_tasks("smoke")[:2]
    estimators = [Estimator("KSG", "ksg"), Estimator("KSG-k10", "ksg", {"k": 10})]
    df = run_benchmark(tasks, estimators, seeds=[0, 1], n=500)
    assert len(df) == 2 * 2 * 2
    expected = [abs(math.log(e / t)) < math.log(1.5) for e, t in zip(df["estimate"], df["true_mi"])]
    assert df["solved"].tolist() == expected
    means = task_means(df)
    assert len(means) == 4
    summary = solved_summary(df)
    for label in ("KSG", "KSG-k10"):
        assert summary.loc[label, "solved"] == means[means.estimator == label]["solved"].sum()
        assert summary.loc[label, "runs"] == 4
    # resuming: rows on file are not run again
    again = run_benchmark(tasks, estimators, seeds=[0, 1], n=500, done=df)
    pd.testing.assert_frame_equal(again.reset_index(drop=True), df.reset_index(drop=True))
