"""The equitability study: Y = f(X) + sigma * eps, and its true mutual information.

With X ~ U(low, high) and eps ~ N(0, 1) independent of X,

    I(X; Y) = h(Y) - h(Y | X) = h(Y) - 1/2 log(2 pi e sigma^2),

and Y has the density p(y) = 1/(high - low) * integral_low^high phi_sigma(y - f(x)) dx.
The truth therefore depends on f through the distribution of f(X) (Y depends on X only
through f(X)), so it is NOT the same for x, x^3 and sin x at a given sigma. This module
computes it by numerical integration: f is replaced by its piecewise-linear interpolant
on an x grid fine enough that the chords stay within min(1e-5, sigma / 1000) of f; on
each piece the x-integral of the Gaussian is exact (a difference of normal CDFs), and
h(Y) = -integral p log p dy is taken by Simpson's rule on a y grid ten points per sigma
wide.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd
from scipy.integrate import simpson
from scipy.special import ndtr

from ..errors import InputError
from ..estimator import TrainConfig
from ..tasks import FUNCTIONS, functional_noise
from .sweeps import check_methods, oracle_estimate, run_method

Function = str | Callable[[np.ndarray], np.ndarray]
PAPER_DOMAIN = (-1.0, 1.0)  # X ~ U(-1, 1), as in tasks.functional_noise
TAIL = 12.0  # the y grid reaches this many sigma beyond the range of f
MAX_CHORD_ERROR = 1e-5  # largest gap allowed between f and its piecewise-linear interpolant
CHUNK = 4_000_000  # density evaluations held in memory at once


# ---------------------------------------------------------------- the truth

def resolve(f: Function) -> Callable[[np.ndarray], np.ndarray]:
    """A function name from tasks.FUNCTIONS ("x", "x^3", "sin(x)") or a callable."""
    if callable(f):
        return f
    if f not in FUNCTIONS:
        raise InputError(f"unknown function {f!r}; choose one of {', '.join(FUNCTIONS)} or pass a callable")
    return FUNCTIONS[f]


def check_setting(sigma: float, low: float, high: float) -> None:
    if not (isinstance(sigma, (int, float, np.floating)) and math.isfinite(sigma) and sigma > 0):
        raise InputError(f"sigma must be a positive number, got {sigma!r}")
    if not (math.isfinite(low) and math.isfinite(high) and low < high):
        raise InputError(f"the domain of X must be a finite interval low < high, got ({low}, {high})")


def evaluate(fn: Callable[[np.ndarray], np.ndarray], xs: np.ndarray) -> np.ndarray:
    """f on the grid xs, checked: same shape, finite values."""
    with np.errstate(all="ignore"):
        fs = np.asarray(fn(xs), dtype=np.float64)
    if fs.shape != xs.shape or not np.all(np.isfinite(fs)):
        raise InputError("f must map an array of x values to finite values of the same shape")
    return fs


def segment_integrals(t: np.ndarray) -> np.ndarray:
    """(Phi(t_k) - Phi(t_k+1)) / (t_k - t_k+1) along the last axis, without cancellation.

    Phi is evaluated once per node; where both ends lie far right the upper tails are used
    (they are not rounded to 1), and a piece shorter than 1e-7 uses phi at its midpoint.
    """
    lower, upper = ndtr(t), ndtr(-t)
    a, b = t[..., :-1], t[..., 1:]
    diff = a - b
    right = (a + b) > 0
    num = np.where(right, upper[..., 1:] - upper[..., :-1], lower[..., :-1] - lower[..., 1:])
    close = np.abs(diff) < 1e-7
    mid = 0.5 * (a + b)
    return np.where(close, np.exp(-0.5 * mid * mid) / math.sqrt(2 * math.pi),
                    num / np.where(close, 1.0, diff))


def pieces_for(f: Function, sigma: float, low: float, high: float) -> int:
    """Number of equal pieces whose chords stay within min(1e-5, sigma / 1000) of f.

    The chord error on a piece of width h is at most h^2 max|f''| / 8; max|f''| is
    taken from second differences on a fine grid.
    """
    xs = np.linspace(low, high, 20001)
    step = xs[1] - xs[0]
    curvature = float(np.max(np.abs(np.diff(evaluate(resolve(f), xs), 2)))) / step ** 2
    allowed = min(MAX_CHORD_ERROR, sigma / 1000)
    pieces = (high - low) * math.sqrt(curvature / (8 * allowed))
    return int(min(max(math.ceil(pieces), 50), 20000))


def output_density(f: Function, sigma: float, y: np.ndarray, low: float = -1.0, high: float = 1.0,
                   segments: int | None = None) -> np.ndarray:
    """p(y) of Y = f(X) + sigma eps, X ~ U(low, high), at the points y.

    f is linear between ``segments + 1`` equally spaced x nodes (by default as many as
    ``pieces_for`` asks); on each piece the x-integral of the Gaussian density is exact.
    """
    check_setting(sigma, low, high)
    fn = resolve(f)
    segments = segments or pieces_for(f, sigma, low, high)
    xs = np.linspace(low, high, segments + 1)
    fs = evaluate(fn, xs)
    y = np.asarray(y, dtype=np.float64).reshape(-1)
    width = (high - low) / segments
    out = np.empty_like(y)
    rows = max(1, CHUNK // segments)
    for start in range(0, len(y), rows):
        t = (y[start:start + rows, None] - fs[None, :]) / sigma
        out[start:start + rows] = segment_integrals(t).sum(axis=1)
    return out * width / (sigma * (high - low))


def y_grid(f: Function, sigma: float, low: float, high: float, per_sigma: int = 10) -> np.ndarray:
    """Equally spaced y values covering the range of f plus TAIL sigma on each side."""
    check_setting(sigma, low, high)
    xs = np.linspace(low, high, 20001)
    fs = evaluate(resolve(f), xs)
    lo, hi = float(np.min(fs)) - TAIL * sigma, float(np.max(fs)) + TAIL * sigma
    points = int(math.ceil((hi - lo) / sigma * per_sigma)) + 1
    points = max(points, 2001) | 1  # odd, for Simpson's rule
    return np.linspace(lo, hi, points)


def output_entropy(f: Function, sigma: float, low: float = -1.0, high: float = 1.0,
                   segments: int | None = None) -> float:
    """h(Y) in nats, by Simpson's rule on the density."""
    y = y_grid(f, sigma, low, high)
    p = output_density(f, sigma, y, low, high, segments)
    plogp = np.where(p > 0, p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return float(-simpson(plogp, x=y))


def true_mi(f: Function, sigma: float, low: float = -1.0, high: float = 1.0,
            segments: int | None = None) -> float:
    """I(X; Y) in nats for Y = f(X) + sigma eps, X ~ U(low, high): h(Y) - 1/2 log(2 pi e sigma^2)."""
    return output_entropy(f, sigma, low, high, segments) - 0.5 * math.log(2 * math.pi * math.e * sigma ** 2)


def small_noise_limit(f: Function, sigma: float, low: float = -1.0, high: float = 1.0) -> float:
    """h(f(X)) - 1/2 log(2 pi e sigma^2) with h(f(X)) = log(high - low) + E log|f'(X)|.

    The limit of I(X; Y) as sigma -> 0 for an injective, differentiable f (f' by finite
    differences on a fine grid, i.e. the midpoint rule for E); a guide, not the truth, at finite sigma.
    """
    check_setting(sigma, low, high)
    fn = resolve(f)
    xs = np.linspace(low, high, 200_001)
    slope = np.abs(np.diff(evaluate(fn, xs)) / np.diff(xs))
    h_fx = math.log(high - low) + float(np.mean(np.log(slope[slope > 0])))
    return h_fx - 0.5 * math.log(2 * math.pi * math.e * sigma ** 2)


def log_density_ratio(f: Function, sigma: float, low: float = -1.0,
                      high: float = 1.0) -> Callable[[np.ndarray, np.ndarray], np.ndarray]:
    """The optimal critic log p(y | x) / p(y), as a function of (x, y) columns.

    log p(y) is tabulated once on the y grid (ten points per sigma) and interpolated.
    """
    fn = resolve(f)
    grid = y_grid(f, sigma, low, high)
    log_p = np.log(np.maximum(output_density(f, sigma, grid, low, high), 1e-300))

    def ratio(x: np.ndarray, y: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float64).reshape(-1)
        y = np.asarray(y, np.float64).reshape(-1)
        resid = (y - fn(x)) / sigma
        log_cond = -0.5 * resid * resid - math.log(sigma * math.sqrt(2 * math.pi))
        return log_cond - np.interp(y, grid, log_p)

    return ratio


# ---------------------------------------------------------------- samples and the study

def sample(n: int, f: Function, sigma: float, seed: int = 0, low: float = -1.0,
           high: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs (x, y) with X ~ U(low, high), Y = f(X) + sigma eps, as float32 columns.

    For a named f on the paper's domain (-1, 1) this is exactly ``tasks.functional_noise``.
    """
    if isinstance(f, str) and (low, high) == PAPER_DOMAIN:
        return functional_noise(n, f, sigma, seed)
    check_setting(sigma, low, high)
    if n < 1:
        raise InputError(f"need n >= 1 samples, got {n}")
    fn = resolve(f)
    rng = np.random.default_rng(seed)
    x = rng.uniform(low, high, size=(n, 1))
    y = fn(x) + sigma * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


def equitability_study(functions: Sequence[str], sigmas: Sequence[float], seeds: Sequence[int], n: int,
                       config: TrainConfig, methods: Sequence[str] = ("mine",), low: float = -1.0,
                       high: float = 1.0, ksg_k: int = 3, verbose: bool = False) -> pd.DataFrame:
    """Every method on Y = f(X) + sigma eps for each f, sigma and seed, beside the true MI.

    Columns: method, f, low, high, sigma, seed, n, true_mi, oracle (the optimal critic read
    on the run's own test rows, see ``sweeps.oracle_estimate``; NaN for KSG), estimate, error,
    status, seconds, steps, best_step. Seed s draws the sample and initialises the critic.
    """
    methods = check_methods(methods)
    rows = []
    for f in functions:
        for sigma in sigmas:
            truth = true_mi(f, sigma, low, high)
            ratio = log_density_ratio(f, sigma, low, high)
            for seed in seeds:
                x, y = sample(n, f, sigma, seed, low, high)
                for method in methods:
                    row, _ = run_method(x, y, method, config, seed, ksg_k=ksg_k)
                    oracle = math.nan if method == "ksg" else oracle_estimate(x, y, ratio, method, config, seed)
                    rows.append({"method": method, "f": f, "low": low, "high": high, "sigma": sigma,
                                 "seed": seed, "n": n, "true_mi": truth, "oracle": oracle, **row})
                    if verbose:
                        print(f"f={f:7s} sigma={sigma:<6g} seed={seed} {method:7s} "
                              f"{row['estimate']:7.3f} (truth {truth:.3f})")
    table = pd.DataFrame(rows)
    table["error"] = table["estimate"] - table["true_mi"]
    return table
