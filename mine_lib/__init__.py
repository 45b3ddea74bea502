"""mine_lib: Mutual Information Neural Estimation and friends.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

__version__ = "0.1.0"

from .errors import DataError, DivergenceError, InputError, MineError  # noqa: E402
from .estimators import (  # noqa: E402
    WARNING_CODES,
    CrossFitConfig,
    DVConfig,
    HistogramConfig,
    InfoNCEConfig,
    JSConfig,
    KDEConfig,
    KSGConfig,
    MIEstimate,
    MineConfig,
    MineFConfig,
    MIUncertainty,
    MIWarning,
    NWJConfig,
    SmileConfig,
    TrainConfig,
    estimate_mi,
    estimate_with_uncertainty,
    methods,
    train_critic,
)

__all__ = [
    "DataError", "DivergenceError", "InputError", "MineError",
    "MIEstimate", "MIUncertainty", "MIWarning", "WARNING_CODES",
    "TrainConfig", "CrossFitConfig", "KSGConfig", "MineConfig", "MineFConfig", "NWJConfig",
    "DVConfig", "InfoNCEConfig", "SmileConfig", "JSConfig", "HistogramConfig", "KDEConfig",
    "estimate_mi", "estimate_with_uncertainty", "methods", "train_critic", "__version__",
]
