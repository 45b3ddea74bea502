"""Exceptions with messages meant for people, not tracebacks.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""


class MineError(Exception):
    """Base class of every error mine_lib raises on purpose."""


class InputError(MineError, ValueError):
    """The data or the settings handed to mine_lib cannot be used."""


class DivergenceError(MineError, RuntimeError):
    """A training run produced NaN or infinite values."""


class DataError(MineError, OSError):
    """A dataset file is missing, truncated or fails its checksum."""
