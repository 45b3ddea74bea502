"""Task families whose true MI is known without a Gaussian copula.

The tasks of ``mine_lib.tasks`` get their truth from closed forms, and most of them are
Gaussian copulas seen through injective maps. The families here are not:

- **Gaussian mixtures in (x, z)**: K Gaussian components in the joint space. The margins of
  a Gaussian mixture are Gaussian mixtures (the same weights, the sub-vectors of the means,
  the sub-blocks of the covariances), so log p(x, z), log p(x) and log p(z) are closed forms
  and I(X; Z) = E[log p(x, z) - log p(x) - log p(z)] is a Monte Carlo mean over fresh
  samples, with its standard error.
- **Scale mixtures**: x and z jointly Gaussian times one random scale that both share. A
  chi-square scale gives the multivariate Student-t (closed form in ``mine_lib.tasks``);
  a scale taking a few values is a Gaussian mixture.
- **Discrete-continuous pairs**: a class label c in {0, ..., K-1} and z | c ~ N(mu_c, s^2 I);
  I(C; Z) = E[log p(z | c) - log p(z)] <= H(C) <= log K, by Monte Carlo.

Each named task is a ``mine_lib.tasks.Task``: ``sample(n, seed)``, ``true_mi`` and
``true_mi_se`` (the Monte Carlo standard error; 0.0 for a closed form). The truth is computed
once per process, from a random stream that no ``sample(n, seed)`` call uses.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
from dataclasses import replace
from functools import cache

import numpy as np

from .errors import InputError
from .tasks import Task, student_t_task

TRUTH_SAMPLES = 200_000  # Monte Carlo samples behind each named task's true MI
TRUTH_STREAM = 0x7472757468  # "truth": seeds the Monte Carlo stream apart from sample()'s
CHUNK = 100_000  # rows evaluated at once (bounds memory in the Monte Carlo integral)
LOG_2PI = math.log(2.0 * math.pi)


def truth_rng(seed: int) -> np.random.Generator:
    """The Monte Carlo stream for the truth: [TRUTH_STREAM, seed] never equals the stream of
    ``sample(n, seed)`` (a plain integer seed), so the truth uses fresh samples."""
    return np.random.default_rng([TRUTH_STREAM, int(seed)])


def mean_and_stderr(values: np.ndarray) -> tuple[float, float]:
    """The mean of i.i.d. values and its standard error, std / sqrt(n)."""
    n = len(values)
    if n < 2:
        raise InputError(f"a Monte Carlo estimate needs at least 2 samples, got {n}")
    return float(values.mean()), float(values.std(ddof=1) / math.sqrt(n))


def check_count(name: str, value, least: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < least:
        raise InputError(f"{name} must be an integer >= {least}, got {value!r}")
    return int(value)


def as_array(name: str, value, ndim: int) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name} must hold numbers, got {type(value).__name__}") from None
    if arr.ndim != ndim:
        raise InputError(f"{name} must be a {ndim}-D array, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise InputError(f"{name} contains NaN or infinite values")
    return arr


def check_weights(weights, what: str = "weights") -> np.ndarray:
    w = as_array(what, weights, 1)
    if len(w) == 0:
        raise InputError(f"{what} is empty: need at least one component")
    if (w < 0).any():
        raise InputError(f"{what} must be non-negative, got {w.tolist()}")
    if abs(w.sum() - 1.0) > 1e-6:
        raise InputError(f"{what} must sum to 1, got {w.tolist()} (sum {w.sum():.6g})")
    return w


def cholesky_of(cov: np.ndarray, label: str) -> np.ndarray:
    """The lower Cholesky factor of a symmetric positive definite matrix, or an InputError
    that names the matrix and its smallest eigenvalue."""
    scale = max(1.0, float(np.abs(cov).max()))
    if not np.allclose(cov, cov.T, rtol=0.0, atol=1e-10 * scale):
        raise InputError(f"{label} is not symmetric (largest |C - C^T| = "
                         f"{np.abs(cov - cov.T).max():.3g})")
    try:
        return np.linalg.cholesky(cov)
    except np.linalg.LinAlgError:
        smallest = float(np.linalg.eigvalsh(cov).min())
        raise InputError(f"{label} is not positive definite (smallest eigenvalue "
                         f"{smallest:.3g}); a Gaussian component needs a covariance with "
                         "positive eigenvalues") from None


class Whitener:
    """What the log densities of K Gaussians need, computed once: the means, the transposed
    inverse Cholesky factors (so a density is one product, no solve per call; einsum, not
    BLAS, so no threads contend for a shared machine's cores) and the log-determinants."""

    def __init__(self, means: np.ndarray, chols: np.ndarray):
        self.means = means
        d = means.shape[1]
        self.inv_t = np.stack([np.linalg.inv(c).T for c in chols])
        self.const = -np.log(np.diagonal(chols, axis1=1, axis2=2)).sum(axis=1) - 0.5 * d * LOG_2PI

    def logpdf(self, v: np.ndarray) -> np.ndarray:
        """log N(v_i; mean_k, L_k L_k^T) for every row i and component k: shape (n, K)."""
        out = np.empty((len(v), len(self.means)))
        for k, (mean, inv_t) in enumerate(zip(self.means, self.inv_t)):
            y = np.einsum("ij,jk->ik", v - mean, inv_t)  # y = L^-1 (v - mean), per row
            out[:, k] = -0.5 * np.einsum("ij,ij->i", y, y) + self.const[k]
        return out


def log_sum_exp(a: np.ndarray) -> np.ndarray:
    """log sum_k exp(a[:, k]) per row, stable (a row of -inf gives -inf)."""
    top = a.max(axis=1, keepdims=True)
    top = np.where(np.isfinite(top), top, 0.0)
    return np.log(np.exp(a - top).sum(axis=1)) + top[:, 0]


class GaussianMixture:
    """A mixture of K Gaussians over the joint vector v = (x, z), x the first dim_x entries.

    ``weights`` (K,), summing to 1; ``means`` (K, dim_x + dim_z); ``covs`` (K, D, D),
    symmetric positive definite.
    """

    def __init__(self, weights, means, covs, dim_x: int):
        self.weights = check_weights(weights)
        k = len(self.weights)
        self.means = as_array("means", means, 2)
        self.covs = as_array("covs", covs, 3)
        if self.means.shape[0] != k:
            raise InputError(f"means has {self.means.shape[0]} rows but there are {k} weights; "
                             "need one mean per component, shape (K, dim_x + dim_z)")
        d = self.means.shape[1]
        if self.covs.shape != (k, d, d):
            raise InputError(f"covs has shape {self.covs.shape}; with {k} components in "
                             f"{d} dimensions it must be ({k}, {d}, {d})")
        self.dim_x = check_count("dim_x", dim_x)
        if not dim_x < d:
            raise InputError(f"dim_x must be below the joint dimension {d} (z needs at least "
                             f"one coordinate), got {dim_x}")
        self.dim_z = d - self.dim_x
        self.chols = np.stack([cholesky_of(c, f"covariance {i}") for i, c in enumerate(self.covs)])
        self.log_weights = np.log(np.where(self.weights > 0, self.weights, 1.0))
        self.log_weights[self.weights == 0] = -np.inf
        # margins: the same weights, sub-vectors of the means, sub-blocks of the covariances
        x, z = slice(0, self.dim_x), slice(self.dim_x, d)
        self.joint = Whitener(self.means, self.chols)
        self.margin_x = Whitener(self.means[:, x], np.linalg.cholesky(self.covs[:, x, x]))
        self.margin_z = Whitener(self.means[:, z], np.linalg.cholesky(self.covs[:, z, z]))

    @property
    def dim(self) -> int:
        return self.dim_x + self.dim_z

    def sample_joint(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """n joint vectors (float64) drawn with ``rng``."""
        n = check_count("n", n)
        labels = rng.choice(len(self.weights), size=n, p=self.weights)
        noise = rng.standard_normal((n, self.dim))
        v = np.empty((n, self.dim))
        for k in range(len(self.weights)):
            rows = labels == k
            v[rows] = self.means[k] + np.einsum("ij,kj->ik", noise[rows], self.chols[k])
        return v

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        """n pairs (x, z) as float32 arrays (n, dim_x), (n, dim_z); the same seed, the same pairs."""
        v = self.sample_joint(n, np.random.default_rng(seed))
        return v[:, :self.dim_x].astype(np.float32), v[:, self.dim_x:].astype(np.float32)

    def log_joint(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        v = np.hstack([self.rows(x, self.dim_x, "x"), self.rows(z, self.dim_z, "z")])
        return log_sum_exp(self.joint.logpdf(v) + self.log_weights)

    def log_px(self, x: np.ndarray) -> np.ndarray:
        x = self.rows(x, self.dim_x, "x")
        comp = self.margin_x.logpdf(x)
        return log_sum_exp(comp + self.log_weights)

    def log_pz(self, z: np.ndarray) -> np.ndarray:
        z = self.rows(z, self.dim_z, "z")
        comp = self.margin_z.logpdf(z)
        return log_sum_exp(comp + self.log_weights)

    def log_ratio(self, x: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(x, z) - log p(x) - log p(z) per row: its mean under p(x, z) is I(X; Z)."""
        return self.log_joint(x, z) - self.log_px(x) - self.log_pz(z)

    def mi_monte_carlo(self, n: int = TRUTH_SAMPLES, seed: int = 0) -> tuple[float, float]:
        """I(X; Z) in nats by Monte Carlo over n fresh samples, and its standard error."""
        n = check_count("n", n, least=2)
        rng, parts = truth_rng(seed), []
        for start in range(0, n, CHUNK):
            v = self.sample_joint(min(CHUNK, n - start), rng)
            parts.append(self.log_ratio(v[:, :self.dim_x], v[:, self.dim_x:]))
        return mean_and_stderr(np.concatenate(parts))

    @staticmethod
    def rows(a, dim: int, label: str) -> np.ndarray:
        arr = np.asarray(a, dtype=np.float64)
        if arr.ndim == 1 and dim == 1:
            arr = arr[:, None]
        if arr.ndim != 2 or arr.shape[1] != dim:
            raise InputError(f"{label} must have shape (n, {dim}), got {arr.shape}")
        return arr


class LabelledGaussians:
    """A class label c with P(c = k) = probs[k], and z | c ~ N(means[c], sigma^2 I).

    ``sample`` gives x = c as one float32 column (the label's integer value) and z.
    """

    def __init__(self, probs, means, sigma: float):
        self.probs = check_weights(probs, "probs")
        self.means = as_array("means", means, 2)
        if self.means.shape[0] != len(self.probs):
            raise InputError(f"means has {self.means.shape[0]} rows but there are "
                             f"{len(self.probs)} class probabilities; need one mean per class")
        if not (isinstance(sigma, (int, float)) and math.isfinite(sigma) and sigma > 0):
            raise InputError(f"sigma must be a positive number, got {sigma!r}")
        self.sigma = float(sigma)
        self.dim_x, self.dim_z = 1, self.means.shape[1]
        self.log_probs = np.log(np.where(self.probs > 0, self.probs, 1.0))
        self.log_probs[self.probs == 0] = -np.inf

    @property
    def entropy(self) -> float:
        """H(C) in nats: an upper bound on I(C; Z)."""
        p = self.probs[self.probs > 0]
        return float(-(p * np.log(p)).sum())

    def sample_labelled(self, n: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
        n = check_count("n", n)
        c = rng.choice(len(self.probs), size=n, p=self.probs)
        z = self.means[c] + self.sigma * rng.standard_normal((n, self.dim_z))
        return c, z

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        c, z = self.sample_labelled(n, np.random.default_rng(seed))
        return c[:, None].astype(np.float32), z.astype(np.float32)

    def log_pz_given_each(self, z: np.ndarray) -> np.ndarray:
        """log p(z | c = k) for every row and class: shape (n, K)."""
        sq = ((z[:, None, :] - self.means[None]) ** 2).sum(axis=2)
        return -0.5 * sq / self.sigma ** 2 - self.dim_z * (math.log(self.sigma) + 0.5 * LOG_2PI)

    def log_ratio(self, c: np.ndarray, z: np.ndarray) -> np.ndarray:
        """log p(z | c) - log p(z) per row (c integer labels)."""
        each = self.log_pz_given_each(np.asarray(z, dtype=np.float64))
        c = np.asarray(c).astype(np.int64).reshape(-1)
        return each[np.arange(len(c)), c] - log_sum_exp(each + self.log_probs)

    def mi_monte_carlo(self, n: int = TRUTH_SAMPLES, seed: int = 0) -> tuple[float, float]:
        """I(C; Z) in nats by Monte Carlo over n fresh samples, and its standard error."""
        n = check_count("n", n, least=2)
        rng, parts = truth_rng(seed), []
        for start in range(0, n, CHUNK):
            c, z = self.sample_labelled(min(CHUNK, n - start), rng)
            parts.append(self.log_ratio(c, z))
        return mean_and_stderr(np.concatenate(parts))


# ---------------------------------------------------------------- building blocks

def correlation_block(dim_x: int, dim_z: int, rho: float) -> np.ndarray:
    """The (dim_x + dim_z) correlation matrix with corr(x_i, z_i) = rho, i < min(dim_x, dim_z)."""
    cov = np.eye(dim_x + dim_z)
    for i in range(min(dim_x, dim_z)):
        cov[i, dim_x + i] = cov[dim_x + i, i] = rho
    return cov


def scale_mixture(cov, scales, weights, dim_x: int) -> GaussianMixture:
    """(x, z) = s * g with g ~ N(0, cov) and one scale s shared by x and z, P(s = scales[k]) =
    weights[k]: a Gaussian mixture with covariances scales[k]^2 cov."""
    cov = as_array("cov", cov, 2)
    scales = as_array("scales", scales, 1)
    if (scales <= 0).any():
        raise InputError(f"scales must be positive, got {scales.tolist()}")
    return GaussianMixture(weights, np.zeros((len(scales), len(cov))),
                           scales[:, None, None] ** 2 * cov, dim_x)


def student_t_quadrature(dim_x: int, dim_z: int, nu: float, rho: float = 0.0,
                         nodes: int = 40) -> GaussianMixture:
    """The Student-t of ``mine_lib.tasks.student_t_pair`` with its chi-square scale replaced by
    ``nodes`` points of generalised Gauss-Laguerre quadrature: a finite scale mixture that
    tends to the t as nodes grows (a check of the Monte Carlo truth against a closed form)."""
    from scipy.special import gammaln, roots_genlaguerre

    if not nu > 0:
        raise InputError(f"the degrees of freedom nu must be positive, got {nu}")
    # W ~ chi2(nu) = 2 T with T ~ Gamma(nu / 2): density t^(nu/2 - 1) e^(-t) / Gamma(nu / 2)
    t, w = roots_genlaguerre(check_count("nodes", nodes), nu / 2.0 - 1.0)
    weights = np.exp(np.log(w) - gammaln(nu / 2.0))
    weights = weights / weights.sum()  # the quadrature's sum is 1 up to rounding
    return scale_mixture(correlation_block(dim_x, dim_z, rho), np.sqrt(nu / (2.0 * t)), weights,
                         dim_x)


def mixture_task(name: str, model: GaussianMixture | LabelledGaussians, family: str,
                 truth_samples: int = TRUTH_SAMPLES) -> Task:
    """A ``Task`` whose true MI is the Monte Carlo integral over ``truth_samples`` samples."""
    mi, se = model.mi_monte_carlo(truth_samples)
    return Task(name=name, true_mi=mi, true_mi_se=se, sampler=model.sample,
                dim_x=model.dim_x, dim_z=model.dim_z, family=family)


# ---------------------------------------------------------------- named instances

def x_shape(r: float = 0.9) -> GaussianMixture:
    """Two equal components with correlation +r and -r: Pearson correlation 0, yet dependent
    (|z| follows |x|). Both margins are N(0, 1)."""
    if not 0 < r < 1:
        raise InputError(f"r must lie strictly between 0 and 1, got {r}")
    covs = [[[1.0, r], [r, 1.0]], [[1.0, -r], [-r, 1.0]]]
    return GaussianMixture([0.5, 0.5], np.zeros((2, 2)), covs, dim_x=1)


def scale_mixture_example() -> GaussianMixture:
    """2 + 2 dimensions, correlation 0.5 on the pairs (x_i, z_i), a shared scale 0.25, 1 or 4."""
    return scale_mixture(correlation_block(2, 2, 0.5), [0.25, 1.0, 4.0], [0.3, 0.4, 0.3], dim_x=2)


# cluster i of x goes with cluster SHUFFLE[i] of z: up, down, down, up (not monotone), and
# the cluster centres are uncorrelated (sum of (i - 2) (SHUFFLE[i] - 2) is 0)
SHUFFLE = (1, 4, 2, 0, 3)


def shuffled_clusters(spacing: float = 2.0, sd: float = 0.5, rho: float = 0.5) -> GaussianMixture:
    """Five clusters on a line in x, paired with five clusters in z in shuffled order (no
    monotone relation, uncorrelated centres), each a Gaussian with correlation rho inside it."""
    k = len(SHUFFLE)
    centres = spacing * (np.arange(k) - (k - 1) / 2.0)
    means = np.stack([centres, centres[list(SHUFFLE)]], axis=1)
    cov = sd * sd * np.array([[1.0, rho], [rho, 1.0]])
    return GaussianMixture(np.full(k, 1.0 / k), means, np.repeat(cov[None], k, axis=0), dim_x=1)


def ring(k: int = 8, radius: float = 3.0, sd: float = 0.4) -> GaussianMixture:
    """k round components evenly spaced on a circle in the (x, z) plane: a noisy ring."""
    angles = 2.0 * math.pi * np.arange(check_count("k", k, least=2)) / k
    means = radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)
    return GaussianMixture(np.full(k, 1.0 / k), means, np.repeat(sd * sd * np.eye(2)[None], k, 0),
                           dim_x=1)


def random_mixture(dim_x: int = 5, dim_z: int = 5, k: int = 4, seed: int = 7) -> GaussianMixture:
    """k components in dim_x + dim_z dimensions with random weights (Dirichlet(2)), means
    (N(0, 1.5^2 I)) and covariances (A A^T / d + 0.2 I, A standard normal), from ``seed``."""
    rng = np.random.default_rng(seed)
    d = dim_x + dim_z
    weights = rng.dirichlet(np.full(k, 2.0))
    means = 1.5 * rng.standard_normal((k, d))
    a = rng.standard_normal((k, d, d))
    covs = a @ a.transpose(0, 2, 1) / d + 0.2 * np.eye(d)
    return GaussianMixture(weights, means, covs, dim_x=dim_x)


def labelled_square(sigma: float = 1.0) -> LabelledGaussians:
    """Four equally likely classes at the corners of a square of side 2 in 2-D, z | c with
    standard deviation sigma: I(C; Z) < log 4."""
    means = np.array([[-1.0, -1.0], [-1.0, 1.0], [1.0, -1.0], [1.0, 1.0]])
    return LabelledGaussians(np.full(4, 0.25), means, sigma)


def labelled_random(k: int = 10, dim: int = 5, sigma: float = 1.0, seed: int = 3) -> LabelledGaussians:
    """k classes with random probabilities (Dirichlet(1)) and means (N(0, I)) in dim dimensions."""
    rng = np.random.default_rng(seed)
    return LabelledGaussians(rng.dirichlet(np.ones(k)), rng.standard_normal((k, dim)), sigma)


@cache
def family_tasks() -> tuple[Task, ...]:
    """The named tasks of the families above (truths by Monte Carlo, computed once per
    process, a few seconds), plus two Student-t tasks (closed form) as scale mixtures."""
    tasks = [
        mixture_task("x-shape-r0.9", x_shape(0.9), "gaussian-mixture"),
        mixture_task("shuffled-clusters-5", shuffled_clusters(), "gaussian-mixture"),
        mixture_task("ring-8", ring(), "gaussian-mixture"),
        mixture_task("random-mixture-5x5-k4", random_mixture(), "gaussian-mixture"),
        mixture_task("scale-mixture-2x2", scale_mixture_example(), "scale-mixture"),
        student_t_task(1, 1, 1.0),
        student_t_task(2, 2, 2.0, 0.5),
        mixture_task("labels-4-square-2d", labelled_square(), "discrete-continuous"),
        mixture_task("labels-10-random-5d", labelled_random(), "discrete-continuous"),
    ]
    # the Student-t tasks are scale mixtures too (a chi-square scale)
    return tuple(replace(t, family="scale-mixture") if t.family == "student-t" else t
                 for t in tasks)


FAMILIES = ("gaussian-mixture", "scale-mixture", "discrete-continuous")


def tasks_of(family: str | None = None) -> list[Task]:
    """The named tasks of one family (one of FAMILIES), or of all when family is None."""
    if family is not None and family not in FAMILIES:
        raise InputError(f"unknown family {family!r}; choose one of {', '.join(FAMILIES)}")
    return [t for t in family_tasks() if family is None or t.family == family]
