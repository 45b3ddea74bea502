"""mine_lib: Mutual Information Neural Estimation and friends.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

__version__ = "0.1.0"

from .errors import DataError, DivergenceError, InputError, MineError  # noqa: E402
from .estimator import MIEstimate, TrainConfig, estimate_mi, methods, train_critic  # noqa: E402

__all__ = [
    "DataError", "DivergenceError", "InputError", "MineError",
    "MIEstimate", "TrainConfig", "estimate_mi", "methods", "train_critic", "__version__",
]
