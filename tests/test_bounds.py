"""Each bound on hand-made scores, against values worked out by hand."""

import math

import numpy as np
import pytest
import torch

from mine_lib import bounds


def close(a, b, tol=1e-9):
    return abs(float(a) - float(b)) < tol


def test_log_mean_exp_by_hand():
    assert close(bounds.log_mean_exp([0.0, math.log(3.0)]), math.log(2.0))
    assert close(bounds.log_mean_exp([[1.0, 1.0], [1.0, 1.0]]), 1.0)


@pytest.mark.parametrize("scores, expected", [
    ([1e4, 1e4], 1e4),
    ([1e4, -1e4], 1e4 - math.log(2.0)),
    ([-1e4, -1e4, -1e4], -1e4),
])
def test_log_mean_exp_is_stable_for_huge_scores(scores, expected):
    value = bounds.log_mean_exp(torch.tensor(scores, dtype=torch.float64))
    assert torch.isfinite(value)
    assert close(value, expected, 1e-6)


def test_dv_bound_by_hand():
    # E_P[T] = 2, log E_Q[e^T] = log((1 + 3) / 2) = log 2
    assert close(bounds.dv_bound([1.0, 2.0, 3.0], [0.0, math.log(3.0)]), 2.0 - math.log(2.0))


def test_nwj_bound_by_hand():
    # E_Q[e^(T-1)] = (e^-1 + 3 e^-1) / 2 = 2 / e
    assert close(bounds.nwj_bound([1.0, 2.0, 3.0], [0.0, math.log(3.0)]), 2.0 - 2.0 / math.e)


def test_infonce_by_hand():
    s = torch.tensor([[2.0, 0.0], [0.0, 2.0]], dtype=torch.float64)
    expected = 2.0 - math.log(math.exp(2.0) + 1.0) + math.log(2.0)
    assert close(bounds.infonce_bound(s), expected)


def test_infonce_never_exceeds_log_k():
    gen = torch.Generator().manual_seed(0)
    for k in (4, 16, 64):
        s = torch.randn(k, k, generator=gen, dtype=torch.float64) + 50.0 * torch.eye(k, dtype=torch.float64)
        value = float(bounds.infonce_bound(s))
        assert value <= math.log(k) + 1e-12
        assert value > math.log(k) - 1e-6  # a dominant diagonal reaches the ceiling


def test_smile_clips_marginal_scores():
    # marginal scores [10, 0] clipped to [1, 0]: log((e + 1) / 2)
    expected = 1.0 - math.log((math.e + 1.0) / 2.0)
    assert close(bounds.smile_bound([1.0], [10.0, 0.0], tau=1.0), expected)
    # with a wide clip SMILE equals DV
    assert close(bounds.smile_bound([1.0], [3.0, 0.0], tau=50.0), bounds.dv_bound([1.0], [3.0, 0.0]))


def test_split_scores():
    s = torch.arange(9.0).reshape(3, 3)
    diag, off = bounds.split_scores(s)
    assert diag.tolist() == [0.0, 4.0, 8.0]
    assert sorted(off.tolist()) == [1.0, 2.0, 3.0, 5.0, 6.0, 7.0]
    with pytest.raises(ValueError, match="square"):
        bounds.split_scores(torch.zeros(2, 3))


def test_dv_at_least_nwj_for_any_scores():
    rng = np.random.default_rng(1)
    for _ in range(50):
        tj, tm = rng.normal(size=20) * 3, rng.normal(size=30) * 3
        assert float(bounds.dv_bound(tj, tm)) >= float(bounds.nwj_bound(tj, tm)) - 1e-12


def test_dv_is_shift_invariant_nwj_is_not():
    tj, tm = torch.tensor([0.5, 1.5]), torch.tensor([0.1, -0.3, 0.7])
    assert close(bounds.dv_bound(tj, tm), bounds.dv_bound(tj + 5, tm + 5), 1e-5)
    assert not close(bounds.nwj_bound(tj, tm), bounds.nwj_bound(tj + 5, tm + 5), 1e-2)


def test_optimal_critic_attains_kl():
    # P = N(1, 1), Q = N(0, 1): log dP/dQ = x - 1/2 and KL(P || Q) = 1/2
    gen = torch.Generator().manual_seed(0)
    p = torch.randn(400_000, generator=gen, dtype=torch.float64) + 1.0
    q = torch.randn(400_000, generator=gen, dtype=torch.float64)
    t_star = lambda x: x - 0.5  # noqa: E731
    assert abs(float(bounds.dv_bound(t_star(p), t_star(q))) - 0.5) < 0.02
    assert abs(float(bounds.dv_bound(t_star(p) + 3, t_star(q) + 3)) - 0.5) < 0.02  # any constant
    assert abs(float(bounds.nwj_bound(t_star(p) + 1, t_star(q) + 1)) - 0.5) < 0.02  # NWJ needs +1
    # a wrong critic gives less
    assert float(bounds.dv_bound(0.5 * p, 0.5 * q)) < 0.5 - 0.05
