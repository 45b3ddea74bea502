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
