"""mine_lib.experiments.theory against closed forms, limits, independent estimators and autograd."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from mine_lib import objectives
from mine_lib.critics import ConcatCritic
from mine_lib.errors import InputError
from mine_lib.experiments import theory
from mine_lib.ksg import ksg_mi
from mine_lib.tasks import correlated_gaussian, gaussian_mi, gaussian_task

# ---------------------------------------------------------------- Gaussian density ratio


def test_rho_for_mi_inverts_the_closed_form():
    for dim, mi in [(1, 0.3), (4, 1.0), (16, 2.5)]:
        assert math.isclose(gaussian_mi(dim, theory.rho_for_mi(dim, mi)), mi, rel_tol=1e-12)


def test_log_ratio_matches_scipy_densities():
    rho = 0.7
    x, z = correlated_gaussian(50, 1, rho, seed=0)
    joint = stats.multivariate_normal([0, 0], [[1, rho], [rho, 1]]).logpdf(np.hstack([x, z]))
    expected = joint - stats.norm.logpdf(x[:, 0]) - stats.norm.logpdf(z[:, 0])
    assert np.allclose(theory.gaussian_log_ratio(x, z, rho), expected, atol=1e-5)


def test_mean_log_ratio_is_the_mutual_information():
    # I = E_P[log dP/dQ]; Monte Carlo with 200k samples, tolerance 4 standard errors
    x, z = correlated_gaussian(200_000, 3, 0.6, seed=1)
    lr = theory.gaussian_log_ratio(x, z, 0.6)
    assert abs(lr.mean() - gaussian_mi(3, 0.6)) < 4 * lr.std() / math.sqrt(len(lr))


@pytest.mark.parametrize("power", [0.0, 1.0])
def test_moment_of_the_ratio_at_zero_and_one(power):
    # E_Q[r^0] = 1 and E_Q[r] = int p = 1
    assert abs(theory.log_ratio_moment(2, 0.8, power)) < 1e-12


def test_moment_of_the_ratio_by_numerical_integration():
    rho, power = 0.5, 1.7
    g = np.linspace(-12, 12, 1201)
    xx, zz = np.meshgrid(g, g)
    log_r = theory.gaussian_log_ratio(xx.ravel(), zz.ravel(), rho)
    q = stats.norm.pdf(xx.ravel()) * stats.norm.pdf(zz.ravel())
    numeric = np.log(np.sum(np.exp(power * log_r) * q) * (g[1] - g[0]) ** 2)
    assert abs(theory.log_ratio_moment(1, rho, power) - numeric) < 1e-6


def test_moment_is_infinite_beyond_one_plus_one_over_rho():
    assert math.isinf(theory.log_ratio_moment(1, 0.5, 3.0))
    assert math.isfinite(theory.log_ratio_moment(1, 0.5, 2.9))


def test_bounds_of_the_optimal_critic():
    dim, rho = 2, 0.6
    mi = gaussian_mi(dim, rho)
    dv, nwj = theory.shifted_critic_bounds(dim, rho, 1.0, 0.0)
    assert math.isclose(dv, mi) and math.isclose(nwj, mi - math.exp(-1.0))  # I - E_Q[r]/e
    dv, nwj = theory.shifted_critic_bounds(dim, rho, 1.0, 1.0)  # NWJ's optimum is log r + 1
    assert math.isclose(dv, mi) and math.isclose(nwj, mi)


def test_dv_is_never_below_nwj_and_neither_exceeds_kl():
    dim, rho = 1, 0.8
    mi = gaussian_mi(dim, rho)
    for scale in np.linspace(0.0, 2.2, 12):
        for shift in np.linspace(-3, 3, 13):
            dv, nwj = theory.shifted_critic_bounds(dim, rho, scale, shift)
            assert nwj <= dv + 1e-12 and dv <= mi + 1e-12


def test_sampled_bounds_agree_with_exact_values():
    rows = theory.sampled_critic_bounds(1, 0.5, [0.5, 1.0], [0.0, 1.0], n=100_000, repeats=1)
    for row in rows:
        assert abs(row["dv"] - row["dv_exact"]) < 0.02
        assert abs(row["nwj"] - row["nwj_exact"]) < 0.02


# ---------------------------------------------------------------- Z = X^2 + sigma * eps


def test_square_noise_density_moments():
    grid, p, h = theory.square_noise_density(0.3)
    assert abs(p.sum() * h - 1) < 1e-9
    mean = (grid * p).sum() * h
    assert abs(mean - 1) < 1e-9  # E[X^2] = 1
    assert abs((grid ** 2 * p).sum() * h - mean ** 2 - (2 + 0.09)) < 1e-5  # Var = 2 + sigma^2


def test_square_noise_mi_converges_on_finer_grids():
    assert abs(theory.square_noise_mi(0.3, 20) - theory.square_noise_mi(0.3, 40)) < 1e-5


def test_square_noise_mi_low_noise_limit():
    # I = h(X^2 + sigma eps) - h(sigma eps) >= h(X^2) - h(sigma eps) (adding independent noise
    # never lowers entropy), and the gap closes as sigma -> 0
    def gap(sigma):
        limit = stats.chi2(1).entropy() - 0.5 * math.log(2 * math.pi * math.e * sigma ** 2)
        return theory.square_noise_mi(sigma) - limit

    gaps = [gap(s) for s in (0.8, 0.2, 0.05)]
    assert 0 < gaps[2] < gaps[1] < gaps[0]


def test_square_noise_mi_high_noise_limit():
    # a Gaussian channel at low signal-to-noise: I = Var(U) / (2 sigma^2) + O(sigma^-4), Var(X^2) = 2
    sigma = 20.0
    assert math.isclose(theory.square_noise_mi(sigma), 1 / sigma ** 2, rel_tol=0.01)


@pytest.mark.parametrize("sigma", [0.1, 0.5])
def test_square_noise_mi_agrees_with_ksg(sigma):
    # an independent estimator: KSG at n = 20000 in one dimension is within a few 0.01 nats
    x, z = theory.square_noise_sample(20_000, sigma, seed=3)
    assert abs(ksg_mi(x, z) - theory.square_noise_mi(sigma)) < 0.03


def test_square_noise_is_uncorrelated_but_dependent():
    x, z = theory.square_noise_sample(100_000, 0.3, seed=0)
    assert abs(np.corrcoef(x[:, 0], z[:, 0])[0, 1]) < 0.02
    assert theory.gaussian_formula_mi(x, z) < 1e-3
    assert theory.square_noise_mi(0.3) > 1.0


def test_square_noise_log_ratio_averages_to_the_mi():
    x, z = theory.square_noise_sample(50_000, 0.4, seed=2)
    lr = theory.square_noise_log_ratio(x, z, 0.4)
    assert abs(lr.mean() - theory.square_noise_mi(0.4)) < 4 * lr.std() / math.sqrt(len(lr))


def test_square_noise_rejects_bad_sigma():
    with pytest.raises(InputError, match="sigma"):
        theory.square_noise_mi(0.0)
    with pytest.raises(InputError, match="sigma"):
        theory.square_noise_sample(10, -1.0)


def test_gaussian_formula_recovers_gaussian_mi():
    x, z = correlated_gaussian(100_000, 2, 0.6, seed=0)
    assert abs(theory.gaussian_formula_mi(x, z) - gaussian_mi(2, 0.6)) < 0.02


# ---------------------------------------------------------------- classical estimators


def test_dimension_sweep_rows_and_bad_names():
    rows = theory.dimension_sweep([1, 2], mi=0.5, n=300, seeds=[0], estimators=("ksg",))
    assert [r["dim"] for r in rows] == [1, 2]
    assert all(math.isclose(r["error"], r["estimate"] - 0.5) for r in rows)
    with pytest.raises(InputError, match="unknown estimator"):
        theory.dimension_sweep([1], 0.5, 100, [0], estimators=("magic",))


# ---------------------------------------------------------------- the minibatch gradient bias


def autograd_mean_gradient(critic, objective, xj, zj, xm, zm, joint_idx, marg_idx):
    """The average over batches of the gradient of the objective (minus the loss), by autograd."""
    objective.reset()
    params = list(critic.parameters())
    total = [torch.zeros_like(p) for p in params]
    tensor = lambda a: torch.as_tensor(a, dtype=torch.float32)  # noqa: E731
    for ji, mi in zip(joint_idx, marg_idx):
        loss = objective(critic(tensor(xj[ji]), tensor(zj[ji])), critic(tensor(xm[mi]), tensor(zm[mi])))
        for t, g in zip(total, torch.autograd.grad(-loss, params)):
            t += g
    return torch.cat([t.reshape(-1) for t in total]).double().numpy() / len(joint_idx)


@pytest.mark.parametrize("method, objective", [
    ("dv", objectives.DVLoss()), ("mine", objectives.MineLoss(rate=0.3)), ("mine-f", objectives.NWJLoss()),
])
def test_batch_weights_reproduce_the_objectives_gradients(method, objective):
    torch.manual_seed(0)
    critic = ConcatCritic(1, 1, (8,))
    rng = np.random.default_rng(0)
    xj, zj = correlated_gaussian(40, 1, 0.8, seed=0)
    xm, zm = theory.marginal_pool(xj, zj, shuffles=1, seed=0)
    joint_idx, marg_idx = rng.integers(0, 40, (7, 5)), rng.integers(0, 40, (7, 5))
    expected = autograd_mean_gradient(critic, objective, xj, zj, xm, zm, joint_idx, marg_idx)
    scores = theory.critic_scores(critic, xm, zm)
    w = theory.mean_batch_weights(scores, marg_idx, method, rate=0.3, groups=1)[0]
    joint_w = np.bincount(joint_idx.ravel(), minlength=40) / joint_idx.size
    ours = theory.weighted_gradient(critic, xj, zj, joint_w) - theory.weighted_gradient(critic, xm, zm, w)
    assert np.allclose(ours, expected, atol=1e-5, rtol=1e-4)


def test_moving_average_with_rate_one_is_plain_dv():
    scores = np.random.default_rng(1).normal(size=30)
    idx = np.random.default_rng(2).integers(0, 30, (6, 4))
    dv = theory.per_batch_weights(scores, idx, "dv")
    assert np.allclose(theory.per_batch_weights(scores, idx, "mine", rate=1.0), dv)
    assert np.allclose(dv.sum(axis=1), 1.0)


def test_dv_gradient_is_biased_and_shrinks_with_batch_size():
    torch.manual_seed(0)
    critic = ConcatCritic(1, 1, (16,))
    with torch.no_grad():  # a critic with spread-out scores, so that the bias is large
        critic.net[-1].weight.mul_(8.0)
    x, z = correlated_gaussian(2000, 1, 0.8, seed=0)
    rows = theory.gradient_bias(critic, x, z, [4, 64], draws=2 ** 18, groups=16, seed=0)
    by = {(r["method"], r["batch_size"]): r for r in rows}
    small, large = by["dv", 4], by["dv", 64]
    assert small["bias_norm"] > 5 * small["noise_norm"]
    assert large["bias_norm"] < small["bias_norm"] / 4
    # the moving average removes most of the bias at batch size 4; NWJ has none
    assert by["mine", 4]["bias_norm"] < small["bias_norm"] / 4
    assert by["mine-f", 4]["bias_norm"] < 4 * by["mine-f", 4]["noise_norm"]
    # the test of "no bias": clear for DV at B = 4, not for the unbiased f-bound
    assert small["bias_p"] < 1e-3 and by["mine-f", 4]["bias_p"] > 1e-3


def test_gradient_bias_rejects_one_group():
    with pytest.raises(InputError, match="groups"):
        theory.gradient_bias(ConcatCritic(1, 1, (4,)), np.zeros((10, 1)), np.zeros((10, 1)), [2],
                             draws=100, groups=1)


# ---------------------------------------------------------------- consistency and helpers


def test_consistency_sweep_rows():
    task = gaussian_task(1, 0.5)
    rows = theory.consistency_sweep(task, [200], [0, 1], max_steps=30, eval_every=10, hidden=(8,))
    assert [(r["n"], r["seed"]) for r in rows] == [(200, 0), (200, 1)]
    assert all(math.isclose(r["error"], r["estimate"] - task.true_mi) for r in rows)


def test_parameter_count_and_slope_by_hand():
    assert theory.parameter_count(ConcatCritic(1, 1, (4,))) == (2 * 4 + 4) + (4 + 1)
    n = np.array([10.0, 100.0, 1000.0])
    assert math.isclose(theory.loglog_slope(n, 3 / n), -1.0)
    assert math.isclose(theory.loglog_slope(n, 2 / np.sqrt(n)), -0.5)


def test_fresh_readout_of_the_optimal_critic_is_close_to_the_truth():
    class Optimal(torch.nn.Module):
        def forward(self, x, z):
            return torch.as_tensor(theory.gaussian_log_ratio(x.numpy(), z.numpy(), 0.5))

    task = gaussian_task(1, 0.5)
    value = theory.fresh_readout(Optimal(), task, 100_000, "mine", seed=3)
    assert abs(value - task.true_mi) < 0.02
    with pytest.raises(InputError, match="no fresh read-out"):
        theory.fresh_readout(Optimal(), task, 10, "infonce", seed=3)


def test_consistency_sweep_fresh_readout_needs_the_task_scale():
    task = gaussian_task(1, 0.5)
    with pytest.raises(InputError, match="standardize=False"):
        theory.consistency_sweep(task, [200], [0], fresh=1000, max_steps=10)
    rows = theory.consistency_sweep(task, [200], [0], fresh=2000, standardize=False,
                                    max_steps=30, eval_every=10, hidden=(8,))
    assert math.isclose(rows[0]["fresh_error"], rows[0]["fresh_estimate"] - task.true_mi)


def test_slope_intervals_cover_a_known_rate():
    rng = np.random.default_rng(0)
    sizes = np.repeat([100.0, 1000.0, 10000.0], 8)
    seeds = np.tile(np.arange(8), 3)
    errors = rng.normal(0, 1, sizes.size) / np.sqrt(sizes)
    slope, low, high = theory.rmse_slope_interval(sizes, errors, seeds)
    assert low < -0.5 < high and low < slope < high
    two = seeds < 2
    assert math.isnan(theory.rmse_slope_interval(sizes[two], errors[two], seeds[two])[1])
    b = np.array([4.0, 16.0, 64.0, 256.0])
    s, lo, hi = theory.weighted_loglog_slope(b, 2 / b, 0.01 * 2 / b)
    assert math.isclose(s, -1.0) and lo < -1.0 < hi and hi - lo < 0.1


def test_bias_text_quotes_resolved_biases_and_bounds_the_rest():
    dv = {"bias_norm": 0.2, "noise_norm": 0.01, "resolved": True}
    lost = {"bias_norm": 0.0, "noise_norm": 0.01, "resolved": False}
    seen = {"bias_norm": 0.05, "noise_norm": 0.01, "resolved": True}
    assert theory.describe_bias(dv) == "0.2000 (noise floor 0.0100)"
    assert theory.describe_bias(lost) == "below twice the noise floor of 0.0100"
    assert theory.bias_reduction(dv, seen) == "4 times"
    assert theory.bias_reduction(dv, lost) == "at least 10 times"
    assert theory.bias_reduction(lost, seen).startswith("not measurably")


def test_bound_summary_by_hand():
    rows = [{"shift": s, "dv": dv, "nwj": nwj, "dv_exact": 1.0, "nwj_exact": 0.5}
            for s, dv, nwj in ((0.0, 1.0, 0.4), (0.0, 3.0, 0.6), (1.0, 2.0, 0.5))]
    out = theory.bound_summary(rows, ["shift"]).set_index("shift")
    assert out.loc[0.0, "dv"] == 2.0 and out.loc[0.0, "dv_sd"] == pytest.approx(2 ** 0.5)
    assert out.loc[0.0, "nwj"] == pytest.approx(0.5) and out.loc[1.0, "dv_exact"] == 1.0
    assert math.isnan(out.loc[1.0, "dv_sd"])  # one repeat: no spread
