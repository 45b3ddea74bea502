"""The paper's objectives: Donsker-Varadhan, MINE (DV with the moving-average gradient
correction) and the f-divergence bound MINE-f (NWJ).

Layer: library. Imports ``base`` and ``mine_lib.bounds``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .. import bounds
from .base import Objective, register


@register('dv')
class DVLoss(Objective):
    """Plain Donsker-Varadhan: its minibatch gradient is biased (the log of a batch mean)."""

    name = "dv"

    def __call__(self, t_joint, t_marg):
        return -bounds.dv_bound(t_joint, t_marg)


@register('mine')
class MineLoss(Objective):
    """DV with the paper's bias correction: the denominator E[e^T] of the gradient is an
    exponential moving average over batches. ``rate`` is the weight of the new batch."""

    name = "mine"

    def __init__(self, rate: float = 0.01):
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"the moving-average rate must be in (0, 1], got {rate}")
        self.rate = rate
        self.log_avg: Tensor | None = None  # log of the moving average of E_batch[e^T]

    def reset(self):
        self.log_avg = None

    def __call__(self, t_joint, t_marg):
        batch = bounds.log_mean_exp(t_marg).detach()
        if self.log_avg is None or self.rate == 1.0:
            self.log_avg = batch
        else:  # log((1 - r) avg + r batch), in the log domain so nothing overflows
            self.log_avg = torch.logaddexp(
                math.log1p(-self.rate) + self.log_avg, math.log(self.rate) + batch
            )
        # gradient: E[dT] - E[dT e^T] / avg, as in the paper's Algorithm 1
        return -(t_joint.mean() - torch.exp(t_marg - self.log_avg).mean())

    def __repr__(self):
        return f"MineLoss(rate={self.rate})"


@register('mine-f', 'nwj')
class NWJLoss(Objective):
    """The f-divergence bound ("MINE-f"): unbiased minibatch gradient, higher variance."""

    name = "mine-f"

    def __call__(self, t_joint, t_marg):
        return -bounds.nwj_bound(t_joint, t_marg)

    def estimate(self, t_joint, t_marg):
        return bounds.nwj_bound(t_joint, t_marg)
