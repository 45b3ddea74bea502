"""The names ``mine_lib.estimator`` held before the estimators became a package
(``mine_lib.estimators``), for code and chapters that import them from here. New code imports
from ``mine_lib`` or from the module of ``mine_lib.estimators`` that holds the name.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from .estimators.api import (  # noqa: F401
    DEFAULT_METHOD,
    METHOD_CONFIGS,
    estimate_mi,
    estimate_with_uncertainty,
    ksg_estimate,
    method_config,
    methods,
)
from .estimators.configs import (  # noqa: F401
    DVConfig,
    InfoNCEConfig,
    JSConfig,
    KSGConfig,
    MineConfig,
    MineFConfig,
    NWJConfig,
    SmileConfig,
)
from .estimators.crossfit import (  # noqa: F401
    CEILING_MARGIN,
    ZERO_ALPHA,
    CriticStack,
    CrossFitConfig,
    crossfit_estimate,
    crossfit_warnings,
    dv_of,
    dv_parts,
    dv_parts_pairs,
    dv_stderr,
    fitted_gaussian_log_ratio,
    fold_lower_bound,
    fold_rows,
    permutation_perms,
    rank_gauss,
    read_cap,
    stack_rows,
)
from .estimators.result import (  # noqa: F401
    MIN_ROWS,
    WARNING_CODES,
    MIEstimate,
    MIUncertainty,
    MIWarning,
    as_matrix,
    check_pair,
    constant_column_warnings,
)
from .estimators.trainer import (  # noqa: F401
    TrainConfig,
    batch_scores,
    held_out_estimate,
    split_rows,
    train_critic,
)
