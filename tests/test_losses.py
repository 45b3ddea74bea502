"""The training objectives: their gradients and their state."""

import math

import pytest
import torch

from mine_lib import objectives


def grads(loss_fn, tj, tm):
    tj = tj.clone().requires_grad_(True)
    tm = tm.clone().requires_grad_(True)
    loss_fn(tj, tm).backward()
    return tj.grad, tm.grad


def test_dv_gradient_is_softmax_of_marginal_scores():
    tj, tm = torch.tensor([0.3, 0.9]), torch.tensor([0.0, 1.0, 2.0])
    gj, gm = grads(objectives.DVLoss(), tj, tm)
    assert torch.allclose(gj, torch.full((2,), -0.5))
    assert torch.allclose(gm, torch.softmax(tm, 0))


def test_mine_gradient_uses_moving_average():
    rate = 0.1
    loss = objectives.MineLoss(rate=rate)
    tj = torch.tensor([0.5, 0.5])
    first, second = torch.tensor([0.0, 0.0]), torch.tensor([1.0, 2.0])
    _, g1 = grads(loss, tj, first)  # first batch: the average is the batch mean (= 1)
    assert torch.allclose(g1, torch.exp(first) / 2)
    _, g2 = grads(loss, tj, second)
    avg = (1 - rate) * 1.0 + rate * torch.exp(second).mean()
    assert torch.allclose(g2, torch.exp(second) / (2 * avg), atol=1e-6)
    # the biased DV gradient would divide by the batch mean instead
    _, g_dv = grads(objectives.DVLoss(), tj, second)
    assert not torch.allclose(g2, g_dv, atol=1e-3)


def test_mine_reset_forgets_the_average():
    loss = objectives.MineLoss(rate=0.5)
    loss(torch.zeros(2), torch.zeros(2))
    loss.reset()
    assert loss.log_avg is None


def test_mine_loss_stays_finite_for_huge_scores():
    loss = objectives.MineLoss()
    for _ in range(3):
        value = loss(torch.tensor([1e4]), torch.tensor([1e4, -1e4]))
        assert torch.isfinite(value)


def test_mine_rate_is_checked():
    with pytest.raises(ValueError, match="rate"):
        objectives.MineLoss(rate=0.0)
    with pytest.raises(ValueError, match="rate"):
        objectives.MineLoss(rate=1.5)


def test_nwj_reads_out_its_own_bound():
    tj, tm = torch.tensor([1.0, 2.0, 3.0]), torch.tensor([0.0, math.log(3.0)])
    loss = objectives.NWJLoss()
    assert math.isclose(float(loss.estimate(tj, tm)), 2.0 - 2.0 / math.e, rel_tol=1e-6)
    assert math.isclose(float(loss(tj, tm)), -(2.0 - 2.0 / math.e), rel_tol=1e-6)


def test_unknown_loss_is_named():
    with pytest.raises(ValueError, match="unknown loss 'nope'"):
        objectives.make_loss("nope")
