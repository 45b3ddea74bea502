"""Training objectives for a critic, all in one registry (``LOSSES``, ``make_loss``).

Three kinds, one module each, every one registering into ``base.LOSSES``:
``paper`` (DV, MINE, MINE-f), ``estimators`` (InfoNCE, JS, SMILE) and ``seed_report``
(the student report's six losses). None of them imports another kind except
``seed_report``, whose clipped loss extends DV.

Layer: library.
"""

from .base import LOSSES, Objective, make_loss, register
from .estimators import InfoNCELoss, JSLoss, SmileLoss
from .paper import DVLoss, MineLoss, NWJLoss
from .seed_report import (
    SEED_LOSSES,
    ClippedLoss,
    EAMLoss,
    LSECorrectedLoss,
    LSELoss,
    NoiseLoss,
    RegularisedLoss,
    SoftplusLoss,
    softplus_fixed_point,
)

__all__ = [
    "LOSSES", "Objective", "make_loss", "register",
    "DVLoss", "MineLoss", "NWJLoss", "InfoNCELoss", "JSLoss", "SmileLoss",
    "SEED_LOSSES", "EAMLoss", "SoftplusLoss", "ClippedLoss", "LSELoss", "LSECorrectedLoss",
    "RegularisedLoss", "NoiseLoss", "softplus_fixed_point",
]
