"""The default estimator (cross-fitted): lower bound, warnings, rank transform, reproducibility."""

import numpy as np
import pytest

from mine_lib import InputError, estimate_mi
from mine_lib.estimator import (
    DEFAULT_METHOD,
    fitted_gaussian_log_ratio,
    fold_lower_bound,
    rank_gauss,
)
from mine_lib.tasks import correlated_gaussian, gaussian_mi, student_t_task

QUICK = {"max_steps": 300}


def ceiling_warned(result):
    return any("McAllester" in w for w in result.warnings)


def zero_warned(result):
    return any("not distinguishable from zero" in w for w in result.warnings)


def test_default_is_cross_fitted_and_every_row_is_read_out():
    x, z = correlated_gaussian(1000, 1, 0.5, seed=0)
    r = estimate_mi(x, z, seed=0, **QUICK)
    assert r.method == DEFAULT_METHOD == "crossfit"
    assert r.n_test == 1000  # five folds of 200, each read out by a critic that never saw it
    assert r.lower_bound < r.mi and r.stderr > 0
    assert r.lower_level == 0.975 and "fold" in r.lower_accounts_for
    s = r.summary()
    assert s["lower_bound"] == r.lower_bound
    # no field promises a two-sided interval
    assert not any(key.startswith("ci_") for key in s)
    assert s["warnings"] == [{"code": w.code, "message": str(w)} for w in r.warnings]


def test_ceiling_warning_fires_near_log_n_and_not_on_a_weak_link():
    x, z = correlated_gaussian(2000, 20, 0.99, seed=0)  # true MI 39 nats, far above log(2000)
    high = estimate_mi(x, z, seed=0, max_steps=600)
    x, z = correlated_gaussian(2000, 1, 0.5, seed=0)
    low = estimate_mi(x, z, seed=0, **QUICK)
    assert ceiling_warned(high), high.warnings
    assert not ceiling_warned(low), low.warnings
    assert not zero_warned(low), low.warnings  # 0.14 nats on 2000 rows is clearly not zero


def test_zero_warning_on_independent_data():
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(2000, 2)), rng.normal(size=(2000, 2))
    r = estimate_mi(x, z, seed=0, **QUICK)
    assert zero_warned(r), r.warnings
    assert not ceiling_warned(r)


def test_rank_transform_keeps_a_gaussian_and_helps_a_heavy_tailed_task():
    x, z = correlated_gaussian(1500, 2, 0.6, seed=1)
    with_rank = estimate_mi(x, z, seed=0, **QUICK).mi
    without = estimate_mi(x, z, seed=0, rank_gauss=False, **QUICK).mi
    assert abs(with_rank - without) < 0.06, (with_rank, without)
    assert abs(with_rank - gaussian_mi(2, 0.6)) < 0.1
    task = student_t_task(1, 1, 1.0)  # Cauchy margins
    x, z = task.sample(1500, seed=0)
    err_rank = abs(estimate_mi(x, z, seed=0, **QUICK).mi - task.true_mi)
    err_raw = abs(estimate_mi(x, z, seed=0, rank_gauss=False, **QUICK).mi - task.true_mi)
    assert err_rank < err_raw, (err_rank, err_raw)


def test_rank_gauss_is_monotone_and_standard_normal():
    a = np.array([[3.0, 1.0], [-1.0, 1.0], [10.0, 2.0], [0.0, 5.0]])
    g = rank_gauss(a)
    assert list(np.argsort(g[:, 0])) == list(np.argsort(a[:, 0]))
    assert g[0, 1] == g[1, 1]  # ties share a score
    assert abs(g[:, 0].sum()) < 1e-12


def test_same_seed_same_number_other_seed_differs():
    x, z = correlated_gaussian(600, 2, 0.7, seed=1)
    a = estimate_mi(x, z, seed=4, max_steps=200)
    b = estimate_mi(x, z, seed=4, max_steps=200)
    c = estimate_mi(x, z, seed=5, max_steps=200)
    assert a.mi == b.mi and a.lower_bound == b.lower_bound and a.warnings == b.warnings
    assert c.mi != a.mi


def test_lower_bound_is_the_one_sided_normal_bound_and_drops_when_critics_disagree():
    stderr = np.full(5, 0.01)
    bound, se, _ = fold_lower_bound(np.array([0.5, 0.5, 0.51, 0.49, 0.5]), stderr, 0.975)
    assert se == pytest.approx(np.sqrt(5 * 0.01 ** 2) / 5)          # read-out noise
    assert bound == pytest.approx(0.5 - 1.959964 * se, abs=1e-6)
    values = np.array([0.3, 0.7, 0.5, 0.4, 0.6])
    low, se2, _ = fold_lower_bound(values, stderr, 0.975)
    assert se2 == pytest.approx(values.std(ddof=1) / np.sqrt(5))    # the spread, with t(4)
    assert low == pytest.approx(0.5 - 2.776445 * se2, abs=1e-6)
    assert fold_lower_bound(values, stderr, 0.9)[0] > low            # a lower level, a higher bound


def test_lower_bound_holds_on_a_gaussian_over_seeds():
    truth = gaussian_mi(1, 0.6)
    bounds = [estimate_mi(*correlated_gaussian(1000, 1, 0.6, seed=s), seed=s, **QUICK).lower_bound
              for s in range(8)]
    # at a 97.5 % level two misses in eight would happen by chance 1.6 % of the time
    assert sum(b > truth for b in bounds) <= 1, (bounds, truth)
    assert np.median(bounds) > truth - 0.25                          # and it is not vacuous


def test_gaussian_log_ratio_averages_to_the_gaussian_mi():
    x, z = correlated_gaussian(20000, 3, 0.7, seed=0)
    v = np.concatenate([x, z], 1).astype(np.float64)
    a, c = fitted_gaussian_log_ratio(v, 3, shrink=0.0)
    log_ratio = -0.5 * np.einsum("ni,ij,nj->n", v, a, v) + c
    assert abs(log_ratio.mean() - gaussian_mi(3, 0.7)) < 0.03
    shuffled = np.concatenate([x, z[np.random.default_rng(1).permutation(len(z))]], 1)
    marginal = -0.5 * np.einsum("ni,ij,nj->n", shuffled, a, shuffled) + c
    assert abs(np.log(np.exp(marginal).mean())) < 0.05  # a density ratio: E_q[p/q] = 1


def test_gaussian_offset_lifts_a_high_dimensional_gaussian_and_is_chosen_there():
    x, z = correlated_gaussian(2500, 15, 0.3, seed=0)  # true MI 0.71 nats in 15 + 15 dims
    truth = gaussian_mi(15, 0.3)
    with_offset = estimate_mi(x, z, seed=0, max_steps=400)
    without = estimate_mi(x, z, seed=0, max_steps=400, gaussian_offset=False)
    assert abs(with_offset.mi - truth) < 0.5 * abs(without.mi - truth), (with_offset.mi, without.mi)
    assert with_offset.history["fold_offset"].sum() >= 3
    assert not without.history["fold_offset"].any()


@pytest.mark.parametrize("options, message", [
    ({"min_delta": -1}, "min_delta"),
    ({"folds": 2}, "folds must be at least 3"),
    ({"lower_level": 1.5}, "lower_level"),
    ({"null_shuffles": -1}, "null_shuffles"),
    ({"loss": "mine"}, "unknown option"),
])
def test_bad_options_of_the_default(options, message):
    x, z = correlated_gaussian(200, 1, 0.5, seed=0)
    with pytest.raises(InputError, match=message):
        estimate_mi(x, z, **options)


def test_read_out_clips_scores_so_one_far_marginal_pair_cannot_swamp_it():
    import math

    import torch

    from mine_lib.estimator import dv_of, dv_parts, read_cap

    m = 200
    x = torch.arange(m, dtype=torch.float32).reshape(m, 1)
    z = x.clone()

    def critic(xz):  # 1 on joint pairs, 0 on marginal ones, 1000 on one far marginal pair
        xs, zs = xz[..., 0], xz[..., 1]
        far = (xs == 0) & (zs == m - 1)
        return torch.where(xs == zs, 1.0, 0.0) + 1000.0 * far

    rows = torch.arange(m).reshape(1, m)
    perms = torch.stack([torch.roll(torch.arange(m), 1)])  # z of the next row: no joint pair left
    joint, marg = dv_parts(critic, x, z, rows, perms)
    assert read_cap(m) == math.log(m)
    assert abs(float(marg.max()) - math.log(m)) < 1e-5
    value = float(dv_of(joint, marg)[0])
    assert abs(value - (1 - math.log((2 * m - 1) / m))) < 1e-4  # unclipped: 1 - 1000 + log m


def test_every_validation_read_out_non_finite_is_a_divergence_error(monkeypatch):
    """Once no critic is alive, the stopping rule has no critic to ask; it used to take the
    min of an empty tensor (a RuntimeError) instead of reporting the divergence."""
    import torch

    from mine_lib import DivergenceError
    from mine_lib.estimators import crossfit

    monkeypatch.setattr(crossfit, "dv_of", lambda joint, marg: torch.full(
        (joint.shape[0],), float("nan"), dtype=torch.float64))
    x, z = correlated_gaussian(300, 1, 0.5, seed=0)
    with pytest.raises(DivergenceError, match="validation estimate became non-finite"):
        estimate_mi(x, z, seed=0, max_steps=30, eval_every=10)


# ---------------------------------------------------------------- large inputs (issue 22, item 5)

def test_capped_rows_draws_nothing_below_the_cap_and_a_random_subset_above():
    import torch

    from mine_lib.estimators.crossfit import capped_rows

    rows = torch.arange(30).reshape(3, 10)
    rng = np.random.default_rng(0)
    assert capped_rows(rows, 10, rng) is rows
    assert rng.random() == np.random.default_rng(0).random()  # no draw was made
    kept = capped_rows(rows, 4, np.random.default_rng(1))
    assert kept.shape == (3, 4)
    cols = kept[0].numpy()
    assert len(set(cols)) == 4 and list(cols) == sorted(cols)
    assert (kept[1] == kept[0] + 10).all()  # the same columns in every fold


def test_read_shuffles_fall_with_the_rows_but_never_below_five():
    from mine_lib.estimators.crossfit import READ_PAIRS, read_shuffles

    assert read_shuffles(1_000, 20) == 20  # n = 5000: unchanged
    assert read_shuffles(10_000, 20) == 20  # n = 50,000: unchanged
    assert read_shuffles(100_000, 20) == READ_PAIRS // 100_000 == 5
    assert read_shuffles(1_000_000, 20) == 5
    assert read_shuffles(1_000, 3) == 3  # never more than asked


def test_scores_in_chunks_equal_the_scores_at_once(monkeypatch):
    import torch

    from mine_lib.estimators import crossfit

    x, z = correlated_gaussian(400, 2, 0.5, seed=0)
    xt, zt = (torch.as_tensor(a, dtype=torch.float32) for a in (x, z))
    torch.manual_seed(0)
    critics = crossfit.CriticStack(3, 4, (16, 16))
    rows = torch.arange(300).reshape(3, 100)
    perms = crossfit.permutation_perms(100, 7, np.random.default_rng(0))
    whole = crossfit.dv_parts(critics, xt, zt, rows, perms)
    monkeypatch.setattr(crossfit, "CHUNK_ROWS", 64)  # 700 marginal pairs: 11 chunks
    chunked = crossfit.dv_parts(critics, xt, zt, rows, perms)
    for a, b in zip(whole, chunked):
        assert a.shape == b.shape and torch.allclose(a, b, atol=1e-6)


def test_caps_that_bind_keep_the_estimate_and_report_the_rows_used(monkeypatch):
    from mine_lib.estimators import crossfit

    x, z = correlated_gaussian(3000, 1, 0.5, seed=0)
    free = estimate_mi(x, z, seed=0, max_steps=600)
    for name, value in (("VAL_ROWS", 200), ("NULL_ROWS", 150), ("READ_PAIRS", 1_000), ("CHUNK_ROWS", 500)):
        monkeypatch.setattr(crossfit, name, value)
    capped = estimate_mi(x, z, seed=0, max_steps=600)
    assert free.n_val == 600 and capped.n_val == 200
    assert capped.n_test == free.n_test == 3000  # the read-out still uses every row
    assert abs(capped.mi - free.mi) < 0.03 and abs(capped.mi - gaussian_mi(1, 0.5)) < 0.05
    assert len(capped.history["null"]) == len(free.history["null"]) == 20


# ---------------------------------------------------------------- "likely higher" (issue 22, item 4)

def test_critics_disagree_beyond_their_noise_is_a_likely_higher_warning():
    from mine_lib.estimators.crossfit import critics_disagree

    se = np.full(5, 0.02)
    assert critics_disagree(np.array([0.30, 0.31, 0.29, 0.30, 0.32]), se) is None  # chi2 = 5
    w = critics_disagree(np.array([0.30, 0.31, 0.29, 0.30, 0.10]), se)  # one critic far behind
    assert w.code == "likely-higher" and "truth is likely higher" in w
    assert critics_disagree(np.array([0.30, 0.31, 0.29, 0.30, 0.10]), se * 10) is None  # noise explains it


def test_rising_with_rows_fires_only_beyond_the_noise_of_both_estimates():
    from mine_lib.estimators.crossfit import GROWTH_Z, rising_with_rows

    assert rising_with_rows(1000, 0.10, 0.03, 2000, 0.15, 0.02) is None  # 1.4 standard errors
    w = rising_with_rows(1000, 0.05, 0.02, 2000, 0.20, 0.02)  # 5.3 standard errors
    assert w.code == "likely-higher" and "1000 rows" in w and "2000" in w
    assert rising_with_rows(1000, 0.30, 0.02, 2000, 0.10, 0.02) is None  # falling is not rising
    noise = float(np.hypot(0.02, 0.02))
    assert rising_with_rows(1000, 0.0, 0.02, 2000, GROWTH_Z * noise * 0.99, 0.02) is None
    assert rising_with_rows(1000, 0.0, 0.02, 2000, GROWTH_Z * noise * 1.01, 0.02) is not None


def likely_higher(result):
    return any(w.code == "likely-higher" for w in result.warnings)


def test_growth_check_warns_on_a_heavy_tailed_task_that_reads_low_and_not_on_a_gaussian():
    task = student_t_task(5, 5, 3.0)  # true MI 0.299: the default reads about half at n = 8000
    x, z = task.sample(8000, 1000)
    low = estimate_mi(x, z, seed=0, growth_check=True)
    assert low.mi < 0.7 * task.true_mi and likely_higher(low)
    assert low.history["growth"]["rows"] == 4000 and low.history["growth"]["mi"] < low.mi
    x, z = correlated_gaussian(2000, 1, 0.5, seed=1)
    fine = estimate_mi(x, z, seed=0, growth_check=True)
    assert abs(fine.mi - gaussian_mi(1, 0.5)) < 0.04 and not likely_higher(fine)
    assert fine.history["growth"]["rows"] == 1000
