"""The Kraskov-Stoegbauer-Grassberger k-nearest-neighbour MI estimator (their algorithm 1).

Kraskov, Stoegbauer & Grassberger, "Estimating mutual information", Phys. Rev. E 69 (2004):

    I(X; Z) = psi(k) + psi(N) - < psi(n_x + 1) + psi(n_z + 1) >

where eps_i is the max-norm distance from sample i to its k-th neighbour in the joint
space (x, z), and n_x(i), n_z(i) count the other samples strictly closer than eps_i to
sample i in the x space and in the z space.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import numpy as np
from scipy.spatial import cKDTree
from scipy.spatial.distance import cdist
from scipy.special import digamma

from .errors import InputError
from .utils import standardize_columns

JITTER = 1e-10  # noise added to standardised columns, to break ties between equal values
TREE_MAX_DIM = 8  # joint dimension up to which KD-trees beat brute force (measured, n=1e4)
BLOCK = 1 << 22  # distances held at once by the brute-force path (32 MB per array)


def ksg_mi(x: np.ndarray, z: np.ndarray, k: int = 3, seed: int = 0) -> float:
    """KSG estimate of I(X; Z) in nats; x is (n, dx), z is (n, dz), a 1-D array is one column.

    The estimate is not clipped at zero: for independent data it scatters around 0.
    """
    x, z = as_samples(x, "x"), as_samples(z, "z")
    check_sizes(x, z, k)
    rng = np.random.default_rng(seed)
    x, z = prepare(x, rng), prepare(z, rng)
    counts = tree_counts if x.shape[1] + z.shape[1] <= TREE_MAX_DIM else brute_counts
    n_x, n_z = counts(x, z, k)
    n = len(x)
    return float(digamma(k) + digamma(n) - np.mean(digamma(n_x + 1) + digamma(n_z + 1)))


def as_samples(a: np.ndarray, label: str) -> np.ndarray:
    """A finite float array of shape (n, d); a 1-D array becomes one column."""
    try:
        arr = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{label} must hold numbers (an array of shape (n_samples, "
                         f"n_features)); got values of type {type(a).__name__} that are "
                         "not numeric.") from None
    if arr.ndim == 0:
        raise InputError(f"{label} is a single number; pass an array of samples, shape "
                         "(n_samples,) or (n_samples, n_features).")
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim > 2:
        raise InputError(f"{label} has shape {arr.shape}, i.e. {arr.ndim} dimensions; "
                         "expected (n_samples, n_features). Flatten each sample first, "
                         f"e.g. {label}.reshape(len({label}), -1).")
    if arr.shape[1] == 0:
        raise InputError(f"{label} has no columns (shape {arr.shape}).")
    bad_rows = np.flatnonzero(~np.isfinite(arr).all(axis=1))
    if len(bad_rows):
        raise InputError(f"{label} contains NaN or infinite values in {len(bad_rows)} "
                         f"row(s), the first is row {bad_rows[0]}; drop or impute those "
                         "rows (in both x and z) first.")
    return arr


def check_sizes(x: np.ndarray, z: np.ndarray, k: int) -> None:
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise InputError(f"k (the number of neighbours) must be a positive integer, got {k!r}.")
    if len(x) != len(z):
        raise InputError(f"x has {len(x)} rows but z has {len(z)}; each row must be one "
                         "sample, with x[i] and z[i] observed together.")
    if len(x) <= k:
        raise InputError(f"KSG with k={k} needs more than {k} samples, got {len(x)} "
                         "(and a few hundred for a useful estimate).")


def prepare(a: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Standardise each column and add tiny seeded noise, so no two distances tie."""
    scaled = standardize_columns(a, a)  # safe at any magnitude; a constant column stays constant
    return scaled + JITTER * rng.standard_normal(a.shape)


def tree_counts(x: np.ndarray, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """n_x and n_z with KD-trees: fast in low dimension."""
    eps = kth_neighbour_distance(np.hstack([x, z]), k)
    return count_within(x, eps), count_within(z, eps)


def kth_neighbour_distance(points: np.ndarray, k: int) -> np.ndarray:
    """Max-norm distance from each point to its k-th neighbour (the point itself excluded)."""
    distances, _ = cKDTree(points).query(points, k=[k + 1], p=np.inf)
    return distances[:, 0]


def count_within(points: np.ndarray, radius: np.ndarray) -> np.ndarray:
    """Number of other points at max-norm distance strictly below radius[i] from point i."""
    below = np.nextafter(radius, 0)  # the tree counts distance <= r; we want < radius
    counts = cKDTree(points).query_ball_point(points, below, p=np.inf, return_length=True)
    return np.asarray(counts) - 1  # the point itself is always within


def brute_counts(x: np.ndarray, z: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """n_x and n_z from blocks of all pairwise distances: faster than trees in high dimension."""
    n = len(x)
    n_x, n_z = np.empty(n, np.int64), np.empty(n, np.int64)
    step = max(1, BLOCK // n)
    for start in range(0, n, step):
        rows = slice(start, start + step)
        d_x = cdist(x[rows], x, "chebyshev")
        d_z = cdist(z[rows], z, "chebyshev")
        # index 0 of the sorted joint distances is the point itself (distance 0)
        eps = np.partition(np.maximum(d_x, d_z), k, axis=1)[:, k:k + 1]
        n_x[rows] = (d_x < eps).sum(axis=1) - 1
        n_z[rows] = (d_z < eps).sum(axis=1) - 1
    return n_x, n_z
