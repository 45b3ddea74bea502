"""False-alarm rates of the tests the chapters use as evidence, on simulated nulls.

Rule of evidence: every test used as evidence has a unit test of its false-alarm rate.
Each test below draws many nulls, counts how often the test rejects (or how often an
interval misses the truth), and allows the level plus three Monte Carlo standard errors,
rate <= alpha + 3 sqrt(alpha (1 - alpha) / reps). A power check beside each shows that the
test does reject a clear effect, so that none passes by never rejecting.

Only the numeric fields of evidence's decisions are used (``ci``, ``p``) and
``holm_adjust``: the decision kinds' names may change.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from mine_lib.critics import ConcatCritic
from mine_lib.experiments import evidence, theory
from mine_lib.tasks import correlated_gaussian

ALPHA = 0.05


def allowed(alpha: float, reps: int) -> float:
    """The level plus three Monte Carlo standard errors of a rate measured on ``reps`` nulls."""
    return alpha + 3 * math.sqrt(alpha * (1 - alpha) / reps)


def excludes_zero(decision) -> bool:
    low, high = decision.ci
    return low > 0 or high < 0


# ---------------------------------------------------------------- the gradient-bias test


def blocks_with_mean(rng, mean, groups: int, kind: str) -> np.ndarray:
    """``groups`` independent block estimates in d = len(mean) dimensions around ``mean``:
    "isotropic" Gaussian, "one direction" (almost all the noise along one axis, where a
    normal reference for the squared norm fails most), or "skewed" (centred Poisson counts
    times a heavy-tailed loading, like the pool samples' hits in a block of batches)."""
    d = len(mean)
    if kind == "isotropic":
        noise = rng.standard_normal((groups, d))
    elif kind == "one direction":
        noise = 0.05 * rng.standard_normal((groups, d))
        noise[:, 0] += 3 * rng.standard_normal(groups)
    else:
        loading = rng.lognormal(0, 1.5, size=(40, d)) * rng.choice([-1, 1], size=(40, d))
        counts = rng.poisson(3.0, size=(groups, 40)) - 3.0
        noise = counts @ loading / 40
    return mean + noise


@pytest.mark.parametrize("kind", ["isotropic", "one direction", "skewed"])
def test_no_bias_test_holds_its_level_on_zero_mean_blocks(kind):
    rng = np.random.default_rng(0)
    reps, d = 600, 30
    tests = [theory.no_bias_test(blocks_with_mean(rng, np.zeros(d), 16, kind)) for _ in range(reps)]
    p = np.array([t["bias_p"] for t in tests])
    assert np.mean(p < ALPHA) <= allowed(ALPHA, reps)
    assert np.mean(p < 0.01) <= allowed(0.01, reps)
    # power: a mean of three noise floors (standard errors of the mean) is found nearly always
    shifted = np.zeros(d)
    shifted[1] = 3 * np.mean([t["noise_norm"] for t in tests])
    hits = [theory.no_bias_test(blocks_with_mean(rng, shifted, 16, kind))["bias_p"] < ALPHA
            for _ in range(100)]
    assert np.mean(hits) > 0.8


def test_no_bias_test_with_random_signs_above_sixteen_blocks():
    rng = np.random.default_rng(1)
    reps = 300
    p = np.array([theory.no_bias_test(rng.standard_normal((24, 10)), reps=2000, seed=i)["bias_p"]
                  for i in range(reps)])
    assert np.mean(p < ALPHA) <= allowed(ALPHA, reps)
    assert theory.no_bias_test(rng.standard_normal((24, 10)) + 1.0, reps=2000)["bias_p"] < 0.01


def test_no_bias_test_needs_two_blocks():
    with pytest.raises(Exception, match="groups"):
        theory.no_bias_test(np.zeros((1, 3)))


@pytest.fixture(scope="module")
def f_bound_nulls():
    """gradient_bias on one fixed critic with spread-out scores (heavy-tailed weights
    e^(T - 1)), repeated over independent draws of the batches: the f-bound's rows are
    nulls (a plain mean, unbiased by construction), plain DV's at B = 4 a clear bias."""
    torch.manual_seed(0)
    critic = ConcatCritic(1, 1, (8,))
    with torch.no_grad():
        critic.net[-1].weight.mul_(6.0)
    x, z = correlated_gaussian(400, 1, 0.9, seed=0)
    runs = []
    for seed in range(120):
        rows = theory.gradient_bias(critic, x, z, [4, 16, 64], draws=2 ** 13, rates=(),
                                    groups=16, min_batches=256, seed=seed)
        runs.append(rows)
    return runs


def test_f_bound_control_rejects_at_most_at_its_level(f_bound_nulls):
    p = np.array([r["bias_p"] for rows in f_bound_nulls for r in rows if r["method"] == "mine-f"])
    assert np.mean(p < ALPHA) <= allowed(ALPHA, len(p))
    # the chapter's control: Holm over the batch sizes, family-wise
    families = [[r["bias_p"] for r in rows if r["method"] == "mine-f"] for rows in f_bound_nulls]
    fails = [min(evidence.holm_adjust(f)) < ALPHA for f in families]
    assert np.mean(fails) <= allowed(ALPHA, len(families))


def test_the_same_test_finds_the_dv_bias(f_bound_nulls):
    p = [r["bias_p"] for rows in f_bound_nulls for r in rows
         if r["method"] == "dv" and r["batch_size"] == 4]
    assert np.mean(np.array(p) < ALPHA) > 0.9


# ---------------------------------------------------------------- evidence.difference


@pytest.mark.parametrize("paired", [True, False])
@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_difference_interval_excludes_zero_at_most_at_its_level(paired, seeds):
    rng = np.random.default_rng(seeds + 10 * paired)
    reps = 1500
    false_alarms = 0
    for _ in range(reps):
        shared = rng.normal(0, 2, seeds)  # the seed's own effect, shared by a paired run
        a = shared + rng.normal(0, 1, seeds)
        b = (shared if paired else rng.normal(0, 2, seeds)) + rng.normal(0, 3 if not paired else 1, seeds)
        d = evidence.difference(a, b, paired=paired, level=1 - ALPHA)
        false_alarms += excludes_zero(d)
        assert (d.p < ALPHA) == excludes_zero(d)
    assert false_alarms / reps <= allowed(ALPHA, reps)
    hits = [excludes_zero(evidence.difference(rng.normal(4, 0.5, seeds), rng.normal(0, 0.5, seeds),
                                              paired=paired)) for _ in range(200)]
    assert np.mean(hits) > 0.8


# ---------------------------------------------------------------- evidence.tracks_truth


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_tracks_truth_at_the_tolerance_edge(seeds):
    """The mean error sits exactly on the edge of the tolerance band: "outside" and "inside"
    are both wrong there, and each may be said at most at half the level (one side)."""
    rng = np.random.default_rng(seeds)
    reps, truth, tol = 2000, 1.0, 0.2
    outside = inside = 0
    for _ in range(reps):
        d = evidence.tracks_truth(truth + tol + rng.normal(0, 0.3, seeds), truth, tol,
                                  level=1 - ALPHA)
        low, high = d.ci
        outside += (low - truth > tol) or (high - truth < -tol)
        inside += (-tol <= low - truth) and (high - truth <= tol)
    assert outside / reps <= allowed(ALPHA / 2, reps)
    assert inside / reps <= allowed(ALPHA / 2, reps)
    # power: a mean error of twice the tolerance, with little noise, is found outside
    d = evidence.tracks_truth(truth + 2 * tol + rng.normal(0, 0.02, seeds), truth, tol)
    assert d.ci[0] - truth > tol


# ---------------------------------------------------------------- Holm over a family


def test_holm_keeps_the_family_wise_rate():
    rng = np.random.default_rng(7)
    reps, family = 1500, 6
    fails = 0
    for _ in range(reps):
        p = [evidence.difference(rng.normal(0, 1, 5), rng.normal(0, 1, 5), paired=False).p
             for _ in range(family)]
        fails += min(evidence.holm_adjust(p)) < ALPHA
    assert fails / reps <= allowed(ALPHA, reps)
    # power: one clear effect among nulls is still found
    p = [evidence.difference(rng.normal(5, 1, 5), rng.normal(0, 1, 5), paired=False).p]
    p += [float(rng.uniform()) for _ in range(family - 1)]
    assert evidence.holm_adjust(p)[0] < ALPHA


# ---------------------------------------------------------------- chapter 03's slope intervals


@pytest.mark.parametrize("seeds", [3, 5, 10])
def test_rmse_slope_interval_covers_a_known_rate(seeds):
    rng = np.random.default_rng(seeds)
    sizes = np.array([300.0, 1200.0, 4800.0, 19200.0])
    n, seed_ids = np.repeat(sizes, seeds), np.tile(np.arange(seeds), len(sizes))
    reps, miss, widths = 1500, 0, []
    for rep in range(reps):
        bias = 1.0 if rep % 2 else 0.0  # a bias that scales with the spread, half the runs
        errors = (bias + rng.standard_normal(n.size)) / np.sqrt(n)
        _, low, high = theory.rmse_slope_interval(n, errors, seed_ids, level=1 - ALPHA)
        miss += not (low <= -0.5 <= high)
        widths.append(high - low)
    assert miss / reps <= allowed(ALPHA, reps)
    assert np.median(widths) < 6.0 / seeds  # an interval, not the whole line


@pytest.mark.parametrize("relative_noise", [0.02, 0.1, 0.3])
def test_weighted_loglog_slope_covers_a_known_rate(relative_noise):
    rng = np.random.default_rng(3)
    b = np.array([4.0, 8.0, 16.0, 32.0, 64.0])
    truth = 2 / b
    reps, miss = 2000, 0
    for _ in range(reps):
        y = np.abs(truth + rng.normal(0, relative_noise * truth))
        _, low, high = theory.weighted_loglog_slope(b, y, relative_noise * truth, level=1 - ALPHA)
        miss += not (low <= -1.0 <= high)
    assert miss / reps <= allowed(ALPHA, reps)
