"""Reading a user's samples from a file: .npy, .npz (one array or a chosen key), CSV with or
without a header row, and tab- or whitespace-separated text.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.

``load_samples(spec)`` returns a ``Loaded``: the float64 array and a list of notes for people
(a header row that was skipped, the separator that was found). Every problem with the file is
an ``InputError`` whose message names the file.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .errors import InputError, MineError

TEXT_SUFFIXES = (".csv", ".tsv", ".txt", ".dat", ".tab")
SEPARATORS = {",": "commas", "\t": "tabs", ";": "semicolons"}


@dataclass
class Loaded:
    """An array read from a file, and what people should know about how it was read."""

    array: np.ndarray
    source: str
    notes: list[str] = field(default_factory=list)


def split_spec(spec: str, key: str | None = None) -> tuple[Path, str | None]:
    """``FILE.npz:KEY`` -> (FILE.npz, KEY); a path that exists as given is never split."""
    path = Path(spec)
    if not path.exists() and ":" in spec:
        head, _, tail = spec.rpartition(":")
        if head.lower().endswith(".npz") and tail:
            if key is not None and key != tail:
                raise InputError(f"{spec}: the key {tail!r} in the name and the option key "
                                 f"{key!r} disagree; give one of them")
            return Path(head), tail
    return path, key


def load_samples(spec: str, key: str | None = None) -> Loaded:
    """The samples in ``spec`` (a path, or ``FILE.npz:KEY``) as a float64 array."""
    path, key = split_spec(str(spec), key)
    if not path.is_file():
        what = "a folder, not a file" if path.is_dir() else "no such file"
        raise InputError(f"{path}: {what}")
    if path.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    suffix = path.suffix.lower()
    if key is not None and suffix != ".npz":
        raise InputError(f"{path}: a key ({key!r}) only applies to .npz files")
    try:
        if suffix == ".npy":
            loaded = Loaded(np.load(path, allow_pickle=False), str(path))
        elif suffix == ".npz":
            loaded = load_npz(path, key)
        elif suffix in TEXT_SUFFIXES:
            loaded = load_text(path)
        else:
            raise InputError(f"{path}: unknown file type {suffix!r}; use .npy, .npz, "
                             f"or text ({', '.join(TEXT_SUFFIXES)})")
    except MineError:
        raise
    except MemoryError:
        raise InputError(f"{path}: not enough memory to read it") from None
    except Exception as err:  # unreadable or corrupt file: one line, no traceback
        reason = str(err).splitlines()[0] if str(err) else ""
        raise InputError(f"{path}: cannot read it ({type(err).__name__}: {reason})") from None
    loaded.array = numeric(loaded.array, loaded.source)
    return loaded


def numeric(a: np.ndarray, source: str) -> np.ndarray:
    """A float64 copy of a numeric array (bool and integers too), else an InputError."""
    if a.dtype.kind not in "biuf":
        raise InputError(f"{source}: holds {a.dtype} values, not numbers")
    return a.astype(np.float64)


def load_npz(path: Path, key: str | None) -> Loaded:
    with np.load(path, allow_pickle=False) as data:
        names = list(data.files)
        if not names:
            raise InputError(f"{path}: the .npz holds no arrays")
        if key is None:
            if len(names) > 1:
                raise InputError(f"{path}: holds {len(names)} arrays ({', '.join(names)}); "
                                 f"choose one with {path}:KEY or --x-key/--z-key")
            key = names[0]
        elif key not in names:
            raise InputError(f"{path}: no array named {key!r}; it holds {', '.join(names)}")
        return Loaded(data[key], f"{path}:{key}")


def load_text(path: Path) -> Loaded:
    """Numbers separated by commas, tabs, semicolons or spaces; an optional header row;
    lines starting with '#' are comments."""
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not a text file (it is not UTF-8)") from None
    lines = [(i + 1, ln) for i, ln in enumerate(text.splitlines())
             if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines:
        raise InputError(f"{path}: the file has no rows")
    sep = sniff_separator(lines[0][1])
    rows = [(number, split_fields(line, sep)) for number, line in lines]
    notes = []
    header = None
    if is_header(rows[0][1]):
        header, rows = rows[0][1], rows[1:]
        if not rows:
            raise InputError(f"{path}: the file has a header row but no data rows")
    widths = sorted({len(r) for _, r in rows})
    if len(widths) != 1:
        first = next(n for n, r in rows if len(r) != len(rows[0][1]))
        raise InputError(f"{path}: rows have different numbers of columns {widths} "
                         f"(line {first} has {len(dict(rows)[first])})")
    values = np.empty((len(rows), widths[0]), dtype=np.float64)
    for r, (number, fields) in enumerate(rows):
        for c, item in enumerate(fields):
            try:
                values[r, c] = float(item)
            except ValueError:
                shown = repr(item) if item else "an empty field"
                raise InputError(f"{path}: line {number}, column {c + 1}: {shown} is not a "
                                 "number") from None
    shape = f"{len(rows)} rows x {widths[0]} columns"
    if widths[0] > 1:
        shape += f" separated by {SEPARATORS.get(sep, 'spaces')}"
    if header is not None:
        if len(header) != widths[0]:
            raise InputError(f"{path}: the header row has {len(header)} names but the data "
                             f"rows have {widths[0]} columns")
        notes.append(f"{path}: header row detected ({', '.join(header)}) and skipped; {shape}")
    else:
        notes.append(f"{path}: no header row; {shape}")
    return Loaded(values, str(path), notes)


def sniff_separator(line: str) -> str | None:
    """The separator of a text table: comma, tab or semicolon if the line has one, else
    runs of whitespace (None)."""
    for sep in (",", "\t", ";"):
        if sep in line:
            return sep
    return None


def split_fields(line: str, sep: str | None) -> list[str]:
    parts = line.split(sep) if sep else line.split()
    return [p.strip().strip('"').strip("'").strip() for p in parts]


NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$|^[+-]?(inf|infinity|nan)$",
                    re.IGNORECASE)


def is_header(fields: list[str]) -> bool:
    """A header row: every field is a non-empty name that is not a number."""
    return all(f and not NUMBER.match(f) for f in fields)
