"""What an estimate returns (``MIEstimate``, ``MIUncertainty``), its warnings (``MIWarning``)
and the checks every estimator runs on its input.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import torch

from ..errors import InputError

MIN_ROWS = 50  # a neural estimate needs train, validation and test samples

# Every warning an estimate can carry: its stable code and what it means. Programs test the
# code; the sentence (the warning's text) is for people and may be reworded.
WARNING_CODES: dict[str, str] = {
    "constant-input": "every column of x (or of z) is constant: the true MI is 0",
    "constant-columns": "some columns of x or z are constant and carry no information",
    "near-log-n": "the estimate is within a few nats of log(rows read out), the most a bound "
                  "from that many rows can show (McAllester and Stratos 2020)",
    "indistinguishable-from-zero": "read-outs on shuffled pairs reach the estimate too often "
                                   "(a permutation test)",
    "still-rising": "training stopped on max_steps or max_seconds while the validation "
                    "read-out was still rising",
    "folds-diverged": "some fold critics diverged and were left out",
    "fold-outlier": "a fold's estimate strays far from the others'",
    "likely-higher": "the truth is likely higher than the estimate: the fold critics disagree "
                     "beyond their read-out noise, or (with growth_check) the estimate still "
                     "rises with the rows",
}


class MIWarning(str):
    """A reason not to trust an estimate: a stable ``code`` (one of ``WARNING_CODES``) for
    programs, and a sentence for people. The warning *is* its sentence (a ``str``), so
    ``str(w)``, printing and searching its text work as on a plain string; test ``w.code``."""

    code: str

    def __new__(cls, code: str, message: str) -> MIWarning:
        if code not in WARNING_CODES:
            raise ValueError(f"unknown warning code {code!r}; known: {', '.join(WARNING_CODES)}")
        self = super().__new__(cls, message)
        self.code = code
        return self

    @property
    def message(self) -> str:
        return str.__str__(self)

    def as_dict(self) -> dict:
        """The JSON form: ``{"code": ..., "message": ...}``."""
        return {"code": self.code, "message": self.message}

    def __repr__(self) -> str:
        return f"MIWarning({self.code!r}, {self.message!r})"

    def __reduce__(self):  # pickle and copy keep the code
        return (MIWarning, (self.code, self.message))


def warning_dict(w) -> dict:
    """``{"code", "message"}`` of a warning; a plain string (written by hand) has code "other"."""
    return w.as_dict() if isinstance(w, MIWarning) else {"code": "other", "message": str(w)}


@dataclass
class MIEstimate:
    """An MI estimate in nats, measured on samples the critic never trained on."""

    mi: float
    method: str
    n_train: int = 0
    n_val: int = 0
    n_test: int = 0
    steps: int = 0
    best_step: int = 0
    seconds: float = 0.0
    seed: int = 0
    history: dict = field(default_factory=dict, repr=False)  # step-wise curves
    critic: torch.nn.Module | None = field(default=None, repr=False)
    config: dict = field(default_factory=dict, repr=False)
    # a one-sided lower confidence bound for the MI, its level, the standard error it is built
    # from and what that accounts for (NaN when none is computed). No upper end is given: a
    # lower bound's bias can put the estimate far below the truth, and nothing here measures it
    lower_bound: float = math.nan
    lower_level: float = math.nan
    stderr: float = math.nan
    lower_accounts_for: str = ""
    # reasons not to trust the number (``MIWarning``: a code and a sentence; empty when all is well)
    warnings: list = field(default_factory=list)

    @property
    def bits(self) -> float:
        return self.mi / math.log(2)

    def __str__(self) -> str:
        """One line for people (print(result)); repr() keeps every field."""
        text = f"I(X;Z) = {self.mi:.4f} nats ({self.bits:.4f} bits), method {self.method}"
        if math.isfinite(self.lower_bound):
            text += (f", at least {self.lower_bound:.4f} with {100 * self.lower_level:g}% "
                     f"confidence ({self.lower_accounts_for})")
        text += f", {self.n_test} rows read out, {self.seconds:.1f} s"
        return text + "".join(f"\nwarning: {w}" for w in self.warnings)

    def summary(self) -> dict:
        """The JSON-friendly part: no curves, no network. ``warnings`` is a list of
        ``{"code", "message"}`` objects."""
        keys = ("mi", "method", "n_train", "n_val", "n_test", "steps", "best_step", "seconds", "seed",
                "lower_bound", "lower_level", "stderr", "lower_accounts_for")
        out = {"units": "nats", "bits": self.bits, **{k: getattr(self, k) for k in keys}}
        for key in ("lower_bound", "lower_level", "stderr"):  # JSON has no NaN: null instead
            if not math.isfinite(out[key]):
                out[key] = None
        out["warnings"] = [warning_dict(w) for w in self.warnings]
        return out


@dataclass
class MIUncertainty:
    """Several estimates of one I(X; Z): their mean, spread and the values themselves."""

    method: str
    values: list[float]
    seeds: list[int]
    subsample: float | None
    seconds: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Sample standard deviation of the estimates (0 for one value)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def stderr(self) -> float:
        return self.std / math.sqrt(len(self.values))

    def summary(self) -> dict:
        return {"units": "nats", "method": self.method, "mean": self.mean, "std": self.std,
                "stderr": self.stderr, "values": list(self.values), "seeds": list(self.seeds),
                "subsample": self.subsample, "seconds": self.seconds}


# ---------------------------------------------------------------- input checks

def as_matrix(name: str, a) -> np.ndarray:
    """A float 2-D array (1-D becomes one column), or a clear InputError."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric: {err}") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise InputError(f"{name} must be a 1-D or 2-D array (samples x features), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{name} is empty (shape {a.shape})")
    bad = ~np.isfinite(a)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise InputError(f"{name} has {bad.sum()} NaN or infinite values (first in row {rows[0]})")
    return a


def constant_column_warnings(x, z) -> list[MIWarning]:
    """One warning for each of x and z that has constant columns (they carry no information)."""
    notes = []
    for name, a in (("x", as_matrix("x", x)), ("z", as_matrix("z", z))):
        constant = np.flatnonzero(np.ptp(a, axis=0) == 0)
        if constant.size == a.shape[1]:
            notes.append(MIWarning("constant-input",
                                   f"every column of {name} is constant: {name} carries no "
                                   "information, so the true MI is 0"))
        elif constant.size:
            cols = ", ".join(str(c) for c in constant[:10]) + (" ..." if constant.size > 10 else "")
            what = "a constant column" if constant.size == 1 else f"{constant.size} constant columns"
            notes.append(MIWarning("constant-columns",
                                   f"{name} has {what} (index {cols}), which carries no information"))
    return notes


def check_pair(x, z, min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    x, z = as_matrix("x", x), as_matrix("z", z)
    if x.shape[0] != z.shape[0]:
        raise InputError(f"x and z must have the same number of rows (paired samples): "
                         f"x has {x.shape[0]}, z has {z.shape[0]}")
    if x.shape[0] < min_rows:
        raise InputError(f"{x.shape[0]} rows are too few: this method needs at least {min_rows}")
    return x, z
