"""The estimators of I(X; Z), one module per part:

- ``result``: what an estimate returns (``MIEstimate``, ``MIUncertainty``, ``MIWarning``) and
  the input checks;
- ``trainer``: ``TrainConfig`` and ``train_critic``, the single-critic trainer;
- ``crossfit``: ``CrossFitConfig`` and ``crossfit_estimate``, the default;
- ``configs``: the typed config of every other method (``KSGConfig``, ``MineConfig``, ...);
- ``api``: the method registry, ``estimate_mi`` and ``estimate_with_uncertainty``.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from .api import (
    DEFAULT_METHOD,
    METHOD_CONFIGS,
    NO_TRAINING,
    estimate_mi,
    estimate_with_uncertainty,
    method_config,
    methods,
)
from .configs import (
    CriticMethodConfig,
    DVConfig,
    HistogramConfig,
    InfoNCEConfig,
    JSConfig,
    KDEConfig,
    KSGConfig,
    MineConfig,
    MineFConfig,
    NWJConfig,
    SmileConfig,
)
from .crossfit import CrossFitConfig, crossfit_estimate
from .result import WARNING_CODES, MIEstimate, MIUncertainty, MIWarning
from .trainer import TrainConfig, train_critic

__all__ = [
    "DEFAULT_METHOD", "METHOD_CONFIGS", "NO_TRAINING", "estimate_mi", "estimate_with_uncertainty",
    "method_config", "methods",
    "CriticMethodConfig", "DVConfig", "InfoNCEConfig", "JSConfig", "KSGConfig", "HistogramConfig", "KDEConfig", "MineConfig",
    "MineFConfig", "NWJConfig", "SmileConfig", "CrossFitConfig", "crossfit_estimate",
    "WARNING_CODES", "MIEstimate", "MIUncertainty", "MIWarning", "TrainConfig", "train_critic",
]
