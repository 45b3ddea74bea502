"""Two classical estimators of I(X; Z) beside KSG (``ksg.py``): the plug-in MI of an
equal-frequency histogram and the resubstitution MI of leave-one-out kernel density
estimates. Neither trains anything; both are biased in ways chapter 01 measures (the
histogram up by about (cells - 1) / 2n, both toward zero as the dimension grows).

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special
from scipy.spatial.distance import cdist

from .errors import InputError
from .estimators.result import as_matrix
from .utils import standardize_columns


def default_bins(n: int, total_dim: int, per_cell: float = 5.0) -> int:
    """Bins per axis so that the joint histogram has about per_cell samples a cell (at least 2)."""
    return max(2, int((n / per_cell) ** (1.0 / total_dim)))


def equal_frequency_codes(a: np.ndarray, bins: int) -> np.ndarray:
    """Each row's histogram cell: per column, its rank cut into ``bins`` equal-count bins."""
    ranks = np.argsort(np.argsort(a, axis=0, kind="stable"), axis=0)
    return (ranks * bins) // len(a)


def plug_in_entropy(codes: np.ndarray) -> float:
    """Entropy (nats) of the empirical distribution of the rows of an integer array."""
    _, counts = np.unique(codes, axis=0, return_counts=True)
    p = counts / counts.sum()
    return float(-np.sum(p * np.log(p)))


def _pair(x, z, min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    x, z = as_matrix("x", x), as_matrix("z", z)
    if len(x) != len(z) or len(x) < min_rows:
        raise InputError(f"need as many rows in x as in z, and at least {min_rows}; got "
                         f"{len(x)} and {len(z)}")
    return x, z


def histogram_mi(x: np.ndarray, z: np.ndarray, bins: int | None = None) -> float:
    """Plug-in MI of an equal-frequency histogram: H(X) + H(Z) - H(X, Z) on the cells.

    ``bins`` per axis; default ``default_bins``. In d dimensions there are bins^d cells.
    """
    x, z = _pair(x, z, 2)
    bins = bins or default_bins(len(x), x.shape[1] + z.shape[1])
    if bins < 2:
        raise InputError(f"bins must be at least 2, got {bins}")
    cx, cz = equal_frequency_codes(x, bins), equal_frequency_codes(z, bins)
    return plug_in_entropy(cx) + plug_in_entropy(cz) - plug_in_entropy(np.hstack([cx, cz]))


def loo_kde_log_density(a: np.ndarray, block: int = 2048) -> np.ndarray:
    """Leave-one-out Gaussian kernel density at each row of a standardised sample.

    Isotropic kernel of width n^(-1/(d+4)) (Scott's rule on standardised columns).
    """
    n, d = a.shape
    width = n ** (-1.0 / (d + 4))
    out = np.empty(n)
    for start in range(0, n, block):
        rows = slice(start, start + block)
        logk = -cdist(a[rows], a, "sqeuclidean") / (2.0 * width * width)
        logk[np.arange(logk.shape[0]), np.arange(start, start + logk.shape[0])] = -np.inf
        out[rows] = special.logsumexp(logk, axis=1)
    return out - math.log(n - 1) - 0.5 * d * math.log(2.0 * math.pi * width * width)


def kde_mi(x: np.ndarray, z: np.ndarray) -> float:
    """Resubstitution MI of leave-one-out kernel density estimates:
    mean of log p(x, z) - log p(x) - log p(z), each density estimated on its own."""
    x, z = _pair(x, z, 3)
    x, z = standardize_columns(x, x), standardize_columns(z, z)
    joint = loo_kde_log_density(np.hstack([x, z]))
    return float(np.mean(joint - loo_kde_log_density(x) - loo_kde_log_density(z)))
