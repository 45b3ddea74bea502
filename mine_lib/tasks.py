"""Samplers whose mutual information is known in closed form.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .errors import InputError


def gaussian_mi(dim: int, rho: float) -> float:
    """I(X; Z) in nats for componentwise-correlated standard Gaussians: -(d/2) log(1 - rho^2)."""
    if not -1.0 < rho < 1.0:
        raise InputError(f"rho must lie strictly between -1 and 1, got {rho}")
    return -0.5 * dim * math.log1p(-rho * rho)


def correlated_gaussian(n: int, dim: int, rho: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n pairs (x, z), each of dimension dim, with corr(x_i, z_j) = rho if i == j else 0."""
    gaussian_mi(dim, rho)  # validates rho
    if n < 1 or dim < 1:
        raise InputError(f"need n >= 1 and dim >= 1, got n={n}, dim={dim}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, dim))
    noise = rng.standard_normal((n, dim))
    z = rho * x + math.sqrt(1.0 - rho * rho) * noise
    return x.astype(np.float32), z.astype(np.float32)


@dataclass(frozen=True)
class Task:
    """A distribution of (x, z) pairs with a known MI."""

    name: str
    true_mi: float
    sampler: Callable[[int, int], tuple[np.ndarray, np.ndarray]]  # (n, seed) -> (x, z)
    dim_x: int = 0  # dimensions of x and z (0: not stated)
    dim_z: int = 0
    family: str = ""
    # the standard error of true_mi where it is a Monte Carlo integral (mine_lib.families);
    # 0.0 where it is a closed form
    true_mi_se: float = 0.0

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self.sampler(n, seed)


def gaussian_task(dim: int, rho: float) -> Task:
    return Task(
        name=f"gaussian-{dim}d-rho{rho:g}",
        true_mi=gaussian_mi(dim, rho),
        sampler=lambda n, seed: correlated_gaussian(n, dim, rho, seed),
        dim_x=dim, dim_z=dim, family="gaussian",
    )


FUNCTIONS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "x": lambda x: x,
    "x^3": lambda x: x ** 3,
    "sin(x)": np.sin,
}


def functional_noise(n: int, f: str, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """The equitability setting: X ~ U(-1, 1), Y = f(X) + sigma * eps with eps ~ N(0, 1)."""
    if f not in FUNCTIONS:
        raise InputError(f"unknown function {f!r}; choose one of {', '.join(FUNCTIONS)}")
    if sigma <= 0:
        raise InputError(f"sigma must be positive, got {sigma}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(-1.0, 1.0, size=(n, 1))
    y = FUNCTIONS[f](x) + sigma * rng.standard_normal((n, 1))
    return x.astype(np.float32), y.astype(np.float32)


# ---------------------------------------------------------------- beyond Gaussians
# The tasks below follow the benchmark of Czyz et al., "Beyond Normality" (NeurIPS 2023):
# distributions with a closed-form MI (Gaussian, Student-t, additive uniform noise), and
# smooth injective maps of X and of Z separately, which leave I(X; Z) unchanged.


def student_t_correction(nu: float, dim_x: int, dim_z: int) -> float:
    """The non-Gaussian part of the MI of a multivariate Student-t, in nats.

    With differential entropy h_d = 1/2 log det S + log Gamma(nu/2) - log Gamma((nu+d)/2)
    + d/2 log(nu pi) + (nu+d)/2 [psi((nu+d)/2) - psi(nu/2)] for a d-dimensional t with
    dispersion S, I = h_x + h_z - h_xz; the log det terms give the Gaussian MI of S and the
    rest is this correction (positive: X and Z share one random scale).
    """
    from scipy.special import digamma, gammaln

    if not nu > 0:
        raise InputError(f"the degrees of freedom nu must be positive, got {nu}")

    def part(d: int) -> float:  # the entropy terms that do not cancel
        a = (nu + d) / 2.0
        return -gammaln(a) + a * (digamma(a) - digamma(nu / 2.0))

    return float(gammaln(nu / 2.0) + part(dim_x) + part(dim_z) - part(dim_x + dim_z))


def student_t_mi(dim_x: int, dim_z: int, nu: float, rho: float = 0.0) -> float:
    """I(X; Z) of a multivariate Student-t with nu degrees of freedom whose dispersion has
    unit diagonal and correlation rho between x_i and z_i for i < min(dim_x, dim_z)."""
    return gaussian_mi(min(dim_x, dim_z), rho) + student_t_correction(nu, dim_x, dim_z)


def student_t_pair(n: int, dim_x: int, dim_z: int, nu: float, rho: float = 0.0,
                   seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """n samples of a Student-t: correlated Gaussians divided by one shared sqrt(W / nu),
    W ~ chi^2(nu)."""
    student_t_mi(dim_x, dim_z, nu, rho)  # validates nu and rho
    if n < 1 or dim_x < 1 or dim_z < 1:
        raise InputError(f"need n, dim_x, dim_z >= 1, got {n}, {dim_x}, {dim_z}")
    rng = np.random.default_rng(seed)
    k = min(dim_x, dim_z)
    x = rng.standard_normal((n, dim_x))
    z = rng.standard_normal((n, dim_z))
    z[:, :k] = rho * x[:, :k] + math.sqrt(1.0 - rho * rho) * z[:, :k]
    scale = np.sqrt(rng.chisquare(nu, size=(n, 1)) / nu)
    return (x / scale).astype(np.float32), (z / scale).astype(np.float32)


def additive_noise_mi(dim: int, eps: float) -> float:
    """I(X; Y) for X ~ U(0, 1)^dim, Y = X + N, N ~ U(-eps, eps)^dim, in nats.

    Per coordinate, with noise width a = 2 eps: Y has a trapezoid density, h(Y) = a/2 when
    a <= 1 and log a + 1/(2a) when a >= 1, h(N) = log a, so I = a/2 - log a or 1/(2a).
    """
    if not eps > 0:
        raise InputError(f"the noise half-width eps must be positive, got {eps}")
    a = 2.0 * eps
    per_coordinate = a / 2.0 - math.log(a) if a <= 1.0 else 1.0 / (2.0 * a)
    return dim * per_coordinate


def additive_noise_pair(n: int, dim: int, eps: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    additive_noise_mi(dim, eps)  # validates eps
    if n < 1 or dim < 1:
        raise InputError(f"need n >= 1 and dim >= 1, got n={n}, dim={dim}")
    rng = np.random.default_rng(seed)
    x = rng.uniform(0.0, 1.0, size=(n, dim))
    y = x + rng.uniform(-eps, eps, size=(n, dim))
    return x.astype(np.float32), y.astype(np.float32)


# ---- smooth injective maps, applied to each sample (rows of an (n, d) array)

def half_cube(a: np.ndarray) -> np.ndarray:
    """x |x|^(1/2), coordinatewise: a homeomorphism, smooth away from 0."""
    return a * np.sqrt(np.abs(a))


def normal_cdf(a: np.ndarray) -> np.ndarray:
    """The standard normal CDF, coordinatewise: Gaussian margins become uniform."""
    from scipy.special import ndtr

    return ndtr(a)


WIGGLE = ((0.3, 1.5, 0.0), (0.1, 3.5, 1.0))  # (amplitude, frequency, phase); sum a*w < 1


def wiggly(a: np.ndarray) -> np.ndarray:
    """x + sum_k a_k sin(w_k x + phi_k): derivative >= 1 - sum a_k w_k = 0.2 > 0, so injective."""
    return a + sum(amp * np.sin(freq * a + phase) for amp, freq, phase in WIGGLE)


SPIRAL_SPEED = 0.5


def spiral(a: np.ndarray) -> np.ndarray:
    """Rotate each pair of coordinates (0, 1), (2, 3), ... by the angle speed * |x|^2.

    The rotation keeps |x|, so y -> rotation by -speed * |y|^2 inverts it: injective and
    smooth. With one coordinate there is no plane to turn in and the map is the identity.
    """
    a = np.asarray(a, dtype=np.float64)
    out = a.copy()
    angle = SPIRAL_SPEED * (a ** 2).sum(axis=1)
    c, s = np.cos(angle), np.sin(angle)
    for i in range(0, a.shape[1] - 1, 2):
        out[:, i] = c * a[:, i] - s * a[:, i + 1]
        out[:, i + 1] = s * a[:, i] + c * a[:, i + 1]
    return out


TRANSFORMS: dict[str, Callable[[np.ndarray], np.ndarray]] = {
    "half-cube": half_cube,
    "asinh": np.arcsinh,
    "normal-cdf": normal_cdf,
    "spiral": spiral,
    "wiggly": wiggly,
}


def student_t_task(dim_x: int, dim_z: int, nu: float, rho: float = 0.0) -> Task:
    name = f"student-{dim_x}x{dim_z}-nu{nu:g}" + (f"-rho{rho:g}" if rho else "")
    return Task(name=name, true_mi=student_t_mi(dim_x, dim_z, nu, rho),
                sampler=lambda n, seed: student_t_pair(n, dim_x, dim_z, nu, rho, seed),
                dim_x=dim_x, dim_z=dim_z, family="student-t")


def additive_noise_task(dim: int, eps: float) -> Task:
    return Task(name=f"uniform-noise-{dim}x{dim}-eps{eps:g}", true_mi=additive_noise_mi(dim, eps),
                sampler=lambda n, seed: additive_noise_pair(n, dim, eps, seed),
                dim_x=dim, dim_z=dim, family="additive-noise")


def transformed(task: Task, x_map: str | None = None, z_map: str | None = None) -> Task:
    """The task with a smooth injective map applied to X and/or Z: the same true MI."""
    for m in (x_map, z_map):
        if m is not None and m not in TRANSFORMS:
            raise InputError(f"unknown transform {m!r}; choose one of {', '.join(TRANSFORMS)}")
    if x_map is None and z_map is None:
        raise InputError("transformed() needs x_map, z_map or both")

    def sampler(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
        x, z = task.sample(n, seed)
        if x_map is not None:
            x = TRANSFORMS[x_map](x.astype(np.float64)).astype(np.float32)
        if z_map is not None:
            z = TRANSFORMS[z_map](z.astype(np.float64)).astype(np.float32)
        return x, z

    label = x_map if x_map == z_map else f"{x_map or 'id'}/{z_map or 'id'}"
    return Task(name=f"{label}@{task.name}", true_mi=task.true_mi, sampler=sampler,
                dim_x=task.dim_x, dim_z=task.dim_z, family=f"{task.family}+{label}")


def benchmark_tasks(profile: str = "paper") -> list[Task]:
    """Named tasks with known MI in 1 to 25 dimensions per variable.

    "paper" is the full grid; "standard" a subset covering every family and transform;
    "smoke" three small tasks.
    """
    g1, g3, g5 = gaussian_task(1, 0.75), gaussian_task(3, 0.75), gaussian_task(5, 0.5)
    g25 = gaussian_task(25, 0.3)
    t2 = student_t_task(2, 2, 2.0)
    full = [
        g1, g3, g5, g25,
        student_t_task(1, 1, 1.0), t2, student_t_task(5, 5, 3.0, 0.5),
        additive_noise_task(1, 0.1), additive_noise_task(1, 0.75),
        transformed(g3, "half-cube", "half-cube"),
        transformed(t2, "asinh", "asinh"),
        transformed(g3, "normal-cdf", "normal-cdf"),
        transformed(g5, "spiral", None),
        transformed(g3, "wiggly", "wiggly"),
        transformed(g5, "wiggly", "half-cube"),
        transformed(g25, "half-cube", "half-cube"),
    ]
    by_name = {t.name: t for t in full}
    standard = ["gaussian-1d-rho0.75", "gaussian-5d-rho0.5", "gaussian-25d-rho0.3",
                "student-2x2-nu2", "uniform-noise-1x1-eps0.1",
                "half-cube@gaussian-3d-rho0.75", "asinh@student-2x2-nu2",
                "normal-cdf@gaussian-3d-rho0.75", "spiral/id@gaussian-5d-rho0.5",
                "wiggly@gaussian-3d-rho0.75"]
    smoke = ["gaussian-1d-rho0.75", "uniform-noise-1x1-eps0.1", "spiral/id@gaussian-5d-rho0.5"]
    choice = {"paper": [t.name for t in full], "standard": standard, "smoke": smoke}
    if profile not in choice:
        raise InputError(f"unknown profile {profile!r}; choose one of {', '.join(choice)}")
    return [by_name[name] for name in choice[profile]]


def staircase_tasks(dim: int = 20, levels=(2.0, 4.0, 6.0, 8.0, 10.0)) -> list[Task]:
    """Correlated Gaussians in dim + dim dimensions whose MI climbs the given levels (nats)."""
    return [gaussian_task(dim, rho_for_mi(dim, level)) for level in levels]


def rho_for_mi(dim: int, mi: float) -> float:
    """The componentwise correlation whose Gaussian MI in dim dimensions is mi nats."""
    if not mi >= 0:
        raise InputError(f"mi must be non-negative, got {mi}")
    if dim < 1:
        raise InputError(f"dim must be at least 1, got {dim}")
    return math.sqrt(-math.expm1(-2.0 * mi / dim))


def example_task() -> Task:
    """The data of the chapter "MI on your own data": a heavy-tailed 3-d X and 2-d Z, related
    through a Student-t (nu = 5, rho = 0.8 on two pairs) seen through the wiggly map on X and
    asinh on Z. Its true MI is known, which a user's data would not be."""
    return transformed(student_t_task(3, 2, 5.0, 0.8), "wiggly", "asinh")


def write_example_csv(folder, n: int = 5000, seed: int = 0) -> tuple[str, str]:
    """Write ``example_task()`` samples to ``folder``/x.csv (columns x1..x3) and z.csv
    (z1, z2), with header rows; returns the two paths."""
    from pathlib import Path

    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    x, z = example_task().sample(n, seed)
    paths = []
    for name, a in (("x", x), ("z", z)):
        path = folder / f"{name}.csv"
        header = ",".join(f"{name}{i + 1}" for i in range(a.shape[1]))
        np.savetxt(path, a, delimiter=",", header=header, comments="", fmt="%.9g")
        paths.append(str(path))
    return paths[0], paths[1]
