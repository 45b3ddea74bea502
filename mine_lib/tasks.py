"""Samplers whose mutual information is known in closed form."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable

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

    def sample(self, n: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
        return self.sampler(n, seed)


def gaussian_task(dim: int, rho: float) -> Task:
    return Task(
        name=f"gaussian-{dim}d-rho{rho:g}",
        true_mi=gaussian_mi(dim, rho),
        sampler=lambda n, seed: correlated_gaussian(n, dim, rho, seed),
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
