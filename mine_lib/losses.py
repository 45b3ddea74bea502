"""Training objectives for a critic, each a small object with one call signature.

``loss(t_joint, t_marg)`` returns the tensor to minimise for one minibatch, and
``loss.estimate(t_joint, t_marg)`` the MI bound that this objective is read out with.
Objectives with ``needs_matrix = True`` receive the full score matrix
``S[i, j] = T(x_i, z_j)`` as ``t_marg`` (its diagonal is ``t_joint``).
Stateful objectives (moving averages) are reset with ``reset()`` before a run.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from . import bounds


class Objective:
    name = "objective"
    needs_matrix = False
    grad_clip: float | None = None  # max gradient norm, applied by the trainer

    def reset(self) -> None:
        pass

    def __call__(self, t_joint: Tensor, t_marg: Tensor) -> Tensor:
        raise NotImplementedError

    def estimate(self, t_joint: Tensor, t_marg: Tensor) -> Tensor:
        return bounds.dv_bound(t_joint, t_marg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"


class DVLoss(Objective):
    """Plain Donsker-Varadhan: its minibatch gradient is biased (the log of a batch mean)."""

    name = "dv"

    def __call__(self, t_joint, t_marg):
        return -bounds.dv_bound(t_joint, t_marg)


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


class NWJLoss(Objective):
    """The f-divergence bound ("MINE-f"): unbiased minibatch gradient, higher variance."""

    name = "mine-f"

    def __call__(self, t_joint, t_marg):
        return -bounds.nwj_bound(t_joint, t_marg)

    def estimate(self, t_joint, t_marg):
        return bounds.nwj_bound(t_joint, t_marg)


class InfoNCELoss(Objective):
    """InfoNCE (CPC): each joint pair against the batch's other z. Needs the score matrix;
    its value never exceeds log(batch size), however large the true MI."""

    name = "infonce"
    needs_matrix = True

    def __call__(self, t_joint, t_marg):
        return -bounds.infonce_bound(t_marg)

    def estimate(self, t_joint, t_marg):
        return bounds.infonce_bound(t_marg)


class JSLoss(Objective):
    """The Jensen-Shannon f-GAN objective trains the critic (a logistic classifier of joint
    against marginal pairs, whose optimum is log p/q); the DV bound reads it out."""

    name = "js"

    def __call__(self, t_joint, t_marg):
        return -bounds.js_objective(t_joint, t_marg)


class SmileLoss(Objective):
    """SMILE (Song & Ermon 2020): read out with DV, the marginal scores clipped to
    [-tau, tau] (so e^T to [e^-tau, e^tau]), which bounds the variance of the estimate.

    ``train`` chooses the training signal: "js" (the default, as in the authors' code: the
    gradient is that of the JS objective, only the value is the clipped DV) or
    "clipped-dv" (the clipped DV itself, whose supremum over critics is unbounded: scores
    above tau on marginal pairs cost nothing, so it is offered only for comparison).
    """

    name = "smile"
    TRAIN = ("js", "clipped-dv")

    def __init__(self, tau: float = 5.0, train: str = "js"):
        if not (isinstance(tau, (int, float)) and tau > 0 and math.isfinite(tau)):
            raise ValueError(f"the SMILE clip tau must be a positive number, got {tau!r}")
        if train not in self.TRAIN:
            raise ValueError(f"train must be one of {self.TRAIN}, got {train!r}")
        self.tau = float(tau)
        self.train = train

    def __call__(self, t_joint, t_marg):
        if self.train == "clipped-dv":
            return -bounds.smile_bound(t_joint, t_marg, self.tau)
        return -bounds.js_objective(t_joint, t_marg)

    def estimate(self, t_joint, t_marg):
        return bounds.smile_bound(t_joint, t_marg, self.tau)

    def __repr__(self):
        return f"SmileLoss(tau={self.tau}, train={self.train!r})"


LOSSES: dict[str, type[Objective]] = {
    "dv": DVLoss,
    "mine": MineLoss,
    "mine-f": NWJLoss,
    "nwj": NWJLoss,
    "infonce": InfoNCELoss,
    "js": JSLoss,
    "smile": SmileLoss,
}


def make_loss(name: str, **options) -> Objective:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name](**options)


def _register_seed_losses() -> None:
    from .seed_losses import SEED_LOSSES  # imported late: it subclasses Objective

    LOSSES.update(SEED_LOSSES)


_register_seed_losses()
