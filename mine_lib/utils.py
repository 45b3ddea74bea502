"""Small helpers shared by the trainers.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
import random

import numpy as np
import torch

from .errors import DivergenceError, InputError


def pick_device(name: str = "auto") -> torch.device:
    """'auto' means CUDA when present, else the CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        return torch.device(name)
    except RuntimeError as err:
        raise InputError(f"unknown device {name!r}: {err}") from None


def standardize_columns(a: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """(a - mean) / std per column, with the mean and std of ``reference`` (rows of ``a``).

    Safe for any finite magnitude: each column is first divided by its largest absolute
    value, in float64, so squares of 1e300 cannot overflow nor squares of 1e-300 underflow
    to a zero spread. Neither step changes mutual information. A constant column stays
    constant (its spread counts as 1).
    """
    a = np.asarray(a, dtype=np.float64)
    reference = np.asarray(reference, dtype=np.float64)
    peak = np.abs(a).max(axis=0) if a.size else np.ones(a.shape[1:])
    peak = np.maximum(peak, np.abs(reference).max(axis=0) if reference.size else 0.0)
    peak = np.where(peak > 0, peak, 1.0)
    a, reference = a / peak, reference / peak
    std = reference.std(axis=0)
    return (a - reference.mean(axis=0)) / np.where(std > 0, std, 1.0)


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python, numpy and torch; return a torch generator for sampling."""
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def ensure_finite(value, what: str, step: int, hint: str = "try a smaller learning rate") -> float:
    """Raise DivergenceError when a training quantity became NaN or infinite."""
    value = float(value.detach() if isinstance(value, torch.Tensor) else value)
    if not math.isfinite(value):
        raise DivergenceError(f"training diverged at step {step}: {what} became {value}; {hint}")
    return value
