"""The public entry points: the method registry (``METHOD_CONFIGS``, ``methods``),
``estimate_mi`` and ``estimate_with_uncertainty``.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import time
from dataclasses import fields, replace

import numpy as np

from ..errors import InputError
from ..objectives import make_loss
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
from .result import MIEstimate, MIUncertainty, as_matrix, constant_column_warnings
from .trainer import train_critic

DEFAULT_METHOD = "crossfit"  # the method of estimate_mi and estimate_with_uncertainty by default

# method name -> its typed config; the config's type also says how the method runs
METHOD_CONFIGS: dict[str, type] = {
    "crossfit": CrossFitConfig,
    "ksg": KSGConfig,
    "histogram": HistogramConfig,
    "kde": KDEConfig,
    "mine": MineConfig,
    "mine-f": MineFConfig,
    "nwj": NWJConfig,
    "dv": DVConfig,
    "infonce": InfoNCEConfig,
    "smile": SmileConfig,
    "js": JSConfig,
}


# the methods that train nothing (no steps, no batch size, no held-out split)
NO_TRAINING = ("ksg", "histogram", "kde")


def methods() -> list[str]:
    return sorted(METHOD_CONFIGS)


def option_names(method: str) -> list[str]:
    """The options of ``method``: the fields of its config a caller sets (``seed`` is an
    argument of its own)."""
    return sorted(f.name for f in fields(METHOD_CONFIGS[method]) if f.init and f.name != "seed")


def check_seed(seed) -> None:
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise InputError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}")


def resolve_method(method: str | None, config=None) -> str:
    """``method``, checked; when None, the method of ``config``'s type, else the default."""
    if method is None:
        if config is None:
            return DEFAULT_METHOD
        named = [m for m, cls in METHOD_CONFIGS.items() if type(config) is cls]
        if not named:
            raise InputError(f"config must be one of {', '.join(configs_by_name())}, got "
                             f"{type(config).__name__} (a plain TrainConfig goes to train_critic)")
        return named[0]
    if method not in METHOD_CONFIGS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(methods())}")
    return method


def configs_by_name() -> list[str]:
    return [f"{cls.__name__} ({m})" for m, cls in METHOD_CONFIGS.items()]


def check_options(method: str, options: dict) -> None:
    """An InputError naming the valid options if ``options`` has a key ``method`` lacks."""
    valid = option_names(method)
    unknown = sorted(set(options) - set(valid))
    if not unknown:
        return
    valid_text = f"valid options of {method!r}: {', '.join(valid)}"
    for key in unknown:
        owners = [m for m in methods() if key in option_names(m)]
        if owners:
            whose = f"method {owners[0]!r}" if len(owners) == 1 else f"methods {', '.join(owners)}"
            raise InputError(f"option {key!r} applies to {whose}, not {method!r}; {valid_text}")
    raise InputError(f"unknown option(s) {', '.join(unknown)} for {method!r}; {valid_text}")


def method_config(method: str, seed: int | None = None, config=None, **options):
    """The typed config that ``estimate_mi`` runs for ``method``: ``config`` (default: the
    method's defaults) with the fields named in ``options`` replaced, and ``seed`` if given."""
    cls = METHOD_CONFIGS[method]
    if config is not None and not isinstance(config, cls):
        raise InputError(f"method {method!r} takes a {cls.__name__} as config, not a "
                         f"{type(config).__name__}")
    check_options(method, options)
    if seed is not None:
        options["seed"] = seed
    cfg = replace(config, **options) if config is not None else cls(**options)
    check_seed(cfg.seed)
    return cfg


def ksg_estimate(x, z, config: KSGConfig | None = None) -> MIEstimate:
    from ..ksg import ksg_mi

    cfg = config or KSGConfig()
    start = time.perf_counter()
    mi = ksg_mi(x, z, k=cfg.k, seed=cfg.seed)
    n = np.shape(x)[0] if np.ndim(x) else 0
    return MIEstimate(mi=mi, method="ksg", n_test=n, seconds=time.perf_counter() - start,
                      seed=cfg.seed)


def classic_estimate(x, z, method: str, config) -> MIEstimate:
    """``method="histogram"`` or ``"kde"`` (``mine_lib.classic``): every row enters the estimate."""
    from ..classic import histogram_mi, kde_mi

    start = time.perf_counter()
    mi = histogram_mi(x, z, bins=config.bins) if method == "histogram" else kde_mi(x, z)
    return MIEstimate(mi=mi, method=method, n_test=np.shape(x)[0] if np.ndim(x) else 0,
                      seconds=time.perf_counter() - start, seed=config.seed)


def single_critic_estimate(x, z, method: str, config: CriticMethodConfig) -> MIEstimate:
    """One critic trained with the method's objective (``train_critic``)."""
    cfg = config.train_config()
    try:
        objective = make_loss(cfg.loss, **cfg.loss_options)
    except (TypeError, ValueError) as err:
        raise InputError(f"bad options for {method!r}: {err}") from None
    return train_critic(x, z, cfg, objective)


def estimate_mi(x, z, method: str | None = None, seed: int | None = None, config=None,
                **options) -> MIEstimate:
    """Estimate I(X; Z) in nats from paired samples x (n, dx) and z (n, dz).

    ``method`` is one of ``methods()`` (default: the method of ``config``, else "crossfit",
    ``crossfit_estimate``, which fills the lower bound ``lower_bound``). Each method has
    one typed config (``METHOD_CONFIGS``: ``CrossFitConfig``, ``KSGConfig``, ``MineConfig``,
    ``SmileConfig``, ...); pass one as ``config``, or its fields as keyword ``options``, a
    shorthand (``estimate_mi(x, z, max_steps=500)``); options given with a config replace its
    fields. An option the method does not have is an ``InputError`` naming the valid ones.
    ``seed``, when given, replaces the config's seed (default 0). The returned object's
    ``mi`` is measured on held-out samples; its ``warnings`` are ``MIWarning``s (a stable
    code and a sentence).
    """
    if seed is not None:
        check_seed(seed)
    method = resolve_method(method, config)
    notes = constant_column_warnings(x, z)
    cfg = method_config(method, seed, config, **options)
    if isinstance(cfg, CrossFitConfig):
        result = crossfit_estimate(x, z, cfg)
    elif isinstance(cfg, KSGConfig):
        result = ksg_estimate(x, z, cfg)
    elif isinstance(cfg, (HistogramConfig, KDEConfig)):
        result = classic_estimate(x, z, method, cfg)
    else:
        result = single_critic_estimate(x, z, method, cfg)
    result.method = method
    result.warnings.extend(notes)
    return result


def estimate_with_uncertainty(x, z, method: str | None = None, seeds=(0, 1, 2, 3, 4),
                              subsample: float | None = None, config=None,
                              **options) -> MIUncertainty:
    """Repeat ``estimate_mi`` over ``seeds`` and report the spread of the estimates.

    Each seed draws a new train / validation / test split, critic initialisation and
    minibatch order, so the spread measures how much one estimate depends on those choices.
    With ``subsample`` (a fraction in (0, 1)), each seed also keeps a random subset of the
    rows (drawn without replacement: a bootstrap's repeated rows would sit in both the
    training and the test split, or at distance zero for KSG), which adds the variation of
    the data themselves (for a subset of that size, so a little wider than for all rows).
    ``method``, ``config`` and ``options`` are those of ``estimate_mi``; each seed replaces
    the config's.
    """
    method = resolve_method(method, config)
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("estimate_with_uncertainty needs at least one seed")
    if subsample is not None and not 0.0 < subsample < 1.0:
        raise InputError(f"subsample must be a fraction in (0, 1) or None, got {subsample!r}")
    x, z = as_matrix("x", x), as_matrix("z", z)
    start = time.perf_counter()
    values = []
    for seed in seeds:
        xs, zs = x, z
        if subsample is not None:
            keep = np.random.default_rng(10_000 + seed).choice(
                len(x), size=max(2, int(round(subsample * len(x)))), replace=False)
            xs, zs = x[keep], z[keep]
        result = estimate_mi(xs, zs, method=method, seed=seed, config=config, **options)
        values.append(float(result.mi))
    return MIUncertainty(method=method, values=values, seeds=seeds, subsample=subsample,
                         seconds=time.perf_counter() - start)
