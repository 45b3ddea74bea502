"""Later estimators' objectives: InfoNCE (CPC), the Jensen-Shannon objective and SMILE.

Layer: library. Imports ``base`` and ``mine_lib.bounds``.
"""

from __future__ import annotations

import math

from .. import bounds
from .base import Objective, register


@register('infonce')
class InfoNCELoss(Objective):
    """InfoNCE (CPC): each joint pair against the batch's other z. Needs the score matrix;
    its value never exceeds log(batch size), however large the true MI."""

    name = "infonce"
    needs_matrix = True

    def __call__(self, t_joint, t_marg):
        return -bounds.infonce_bound(t_marg)

    def estimate(self, t_joint, t_marg):
        return bounds.infonce_bound(t_marg)


@register('js')
class JSLoss(Objective):
    """The Jensen-Shannon f-GAN objective trains the critic (a logistic classifier of joint
    against marginal pairs, whose optimum is log p/q); the DV bound reads it out."""

    name = "js"

    def __call__(self, t_joint, t_marg):
        return -bounds.js_objective(t_joint, t_marg)


@register('smile')
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
