"""The six training losses of the student report (shared/seed), beside DV, MINE and MINE-f.

Each class trains the critic with the report's formula as written. Every one is read out
(``estimate``) with the Donsker-Varadhan bound on held-out data, whatever it was trained
with, so that the losses are compared on one valid bound. Where the report's formula is
itself offered as an MI value, ``written_value`` gives it (no gradient, no state change).
The report states no hyper-parameters; the defaults here are stated in each class.

Layer: library. Imports ``base``, ``paper`` (DV, which one loss extends) and ``mine_lib.bounds``.
Scores ``t_marg`` of the marginal pairs are the ``t`` inside the report's ``e^t``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from scipy.optimize import brentq
from torch import Tensor

from .. import bounds
from .base import Objective, register
from .paper import DVLoss


def _check_positive(name: str, value: float) -> float:
    if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a positive number, got {value!r}")
    return float(value)


class EAMLoss(Objective):
    """Report loss 1, -(E_P[t] - E_Q[e^t] / ma(e^t)) with the moving average ma detached, in the
    linear domain as written. Its gradient is the paper's moving-average correction ("mine").
    Read out with DV."""

    name = "eam"

    def __init__(self, rate: float = 0.01):
        if not 0.0 < rate <= 1.0:
            raise ValueError(f"the moving-average rate must be in (0, 1], got {rate}")
        self.rate = rate
        self.avg: Tensor | None = None  # moving average of the batch means E_B[e^t]

    def reset(self):
        self.avg = None

    def __call__(self, t_joint, t_marg):
        batch = torch.exp(t_marg).mean().detach()
        self.avg = batch if self.avg is None else (1 - self.rate) * self.avg + self.rate * batch
        return -(t_joint.mean() - torch.exp(t_marg).mean() / self.avg)

    def __repr__(self):
        return f"EAMLoss(rate={self.rate})"


class SoftplusLoss(Objective):
    """Report loss 2, -(E_P[t] - softplus(E_Q[e^t])). Its value is a valid but loose bound
    (at most I - 1; at its optimum I - A*, see ``softplus_fixed_point``); read out with DV."""

    name = "softplus"

    def written_value(self, t_joint, t_marg):
        return t_joint.mean() - F.softplus(torch.exp(t_marg).mean())

    def __call__(self, t_joint, t_marg):
        return -self.written_value(t_joint, t_marg)


class ClippedLoss(DVLoss):
    """Report loss 3: the plain DV loss with the gradient norm clipped to ``max_norm``
    (the trainer applies ``grad_clip``; the report gives no threshold). Read out with DV."""

    name = "clipped"

    def __init__(self, max_norm: float = 1.0):
        self.grad_clip = _check_positive("max_norm", max_norm)

    def __repr__(self):
        return f"ClippedLoss(max_norm={self.grad_clip})"


class LSELoss(Objective):
    """Report loss 4 as written, -(E_P[t] - log sum_i e^(t_i - max t)): it equals DV plus
    max(t) - log N, which is no bound (unbounded in a constant shift of t); read out with DV."""

    name = "lse"

    def __init__(self, detach_max: bool = False):
        self.detach_max = bool(detach_max)  # True: the max gets no gradient (then grad = DV's)

    def written_value(self, t_joint, t_marg):
        top = t_marg.max().detach() if self.detach_max else t_marg.max()
        return t_joint.mean() - torch.log(torch.exp(t_marg - top).sum())

    def __call__(self, t_joint, t_marg):
        return -self.written_value(t_joint, t_marg)

    def __repr__(self):
        return f"LSELoss(detach_max={self.detach_max})"


class LSECorrectedLoss(Objective):
    """Report loss 4 corrected: log E[e^t] = max t + log sum_i e^(t_i - max t) - log N, i.e. the
    DV loss computed with the max-shift trick (value and gradient equal DV's). Read out with DV."""

    name = "lse-corrected"

    def __call__(self, t_joint, t_marg):
        top = t_marg.max().detach()
        log_mean = top + torch.log(torch.exp(t_marg - top).sum()) - math.log(t_marg.numel())
        return -(t_joint.mean() - log_mean)


class RegularisedLoss(Objective):
    """Report loss 5, -DV + lam * ||e^t||_2^2 over the batch's marginal scores (a sum, as
    written, so the penalty grows with the batch size). Its value DV - penalty is a valid,
    looser bound with no finite maximiser (a downward shift of t always helps). Read out with DV."""

    name = "regularised"

    def __init__(self, lam: float = 1e-3):
        self.lam = _check_positive("lam", lam)

    def written_value(self, t_joint, t_marg):
        return bounds.dv_bound(t_joint, t_marg) - self.lam * (torch.exp(t_marg) ** 2).sum()

    def __call__(self, t_joint, t_marg):
        return -self.written_value(t_joint, t_marg)

    def __repr__(self):
        return f"RegularisedLoss(lam={self.lam})"


class NoiseLoss(Objective):
    """Report loss 6, -(E_P[t + N(0, sigma^2)] - log E_Q[e^t]): the noise does not depend on the
    critic, so the gradient is exactly DV's; only the loss value is noisy. Readout: DV, no noise."""

    name = "noise"

    def __init__(self, sigma: float = 0.5, seed: int = 0):
        self.sigma = _check_positive("sigma", sigma)
        self.seed = int(seed)
        self.gen = torch.Generator().manual_seed(self.seed)

    def reset(self):
        self.gen = torch.Generator().manual_seed(self.seed)

    def written_value(self, t_joint, t_marg):
        noise = torch.randn(t_joint.shape, generator=self.gen, dtype=t_joint.dtype)
        noisy = t_joint + self.sigma * noise.to(t_joint.device)
        return noisy.mean() - bounds.log_mean_exp(t_marg)

    def __call__(self, t_joint, t_marg):
        return -self.written_value(t_joint, t_marg)

    def __repr__(self):
        return f"NoiseLoss(sigma={self.sigma})"


def softplus_fixed_point() -> float:
    """A* > 0 with A* sigmoid(A*) = 1 (about 1.2785): at the softplus loss's optimum the critic
    is log(p/q) + log A*, so E_Q[e^T] = A*, and the loss's own value is I - A*."""
    return brentq(lambda a: a * (1.0 / (1.0 + math.exp(-a))) - 1.0, 0.5, 3.0, xtol=1e-14)


SEED_LOSSES: dict[str, type[Objective]] = {
    "eam": EAMLoss,
    "softplus": SoftplusLoss,
    "clipped": ClippedLoss,
    "lse": LSELoss,
    "lse-corrected": LSECorrectedLoss,
    "regularised": RegularisedLoss,
    "noise": NoiseLoss,
}

for _name, _cls in SEED_LOSSES.items():
    register(_name)(_cls)
