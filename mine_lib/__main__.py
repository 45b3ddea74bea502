"""Command line: ``python -m mine_lib estimate X Z [--method mine] [--seed 0] [--json]``.

Layer: library (the command line). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np

from .errors import InputError, MineError
from .estimator import estimate_mi, methods


def load_array(path: str) -> np.ndarray:
    """A 2-D float array from .npy, .npz (one array) or .csv (all columns, optional header)."""
    p = Path(path)
    if not p.is_file():
        raise InputError(f"{path}: no such file")
    if p.stat().st_size == 0:
        raise InputError(f"{path}: the file is empty")
    suffix = p.suffix.lower()
    try:
        if suffix == ".npy":
            return np.load(p, allow_pickle=False)
        if suffix == ".npz":
            with np.load(p, allow_pickle=False) as data:
                if len(data.files) != 1:
                    raise InputError(f"{path}: expected one array in the .npz, found {data.files}")
                return data[data.files[0]]
        if suffix in (".csv", ".txt"):
            return load_csv(p)
    except MineError:
        raise
    except Exception as err:  # unreadable or corrupt file: one line, no traceback
        raise InputError(f"{path}: cannot read it ({type(err).__name__}: {err})") from None
    raise InputError(f"{path}: unknown file type {suffix!r}; use .npy, .npz or .csv")


def load_csv(p: Path) -> np.ndarray:
    lines = [ln for ln in p.read_text().splitlines() if ln.strip()]
    if not lines:
        raise InputError(f"{p}: the file has no rows")
    try:
        [float(v) for v in lines[0].split(",")]
        start = 0
    except ValueError:
        start = 1  # a header row
    rows = [ln.split(",") for ln in lines[start:]]
    if not rows:
        raise InputError(f"{p}: the file has a header but no data rows")
    widths = {len(r) for r in rows}
    if len(widths) != 1:
        raise InputError(f"{p}: rows have different numbers of columns {sorted(widths)}")
    try:
        return np.array(rows, dtype=np.float64)
    except ValueError as err:
        raise InputError(f"{p}: non-numeric value ({err})") from None


def parser() -> argparse.ArgumentParser:
    ap = argparse.ArgumentParser(prog="python -m mine_lib", description="Mutual information estimation.")
    sub = ap.add_subparsers(dest="command", required=True)
    est = sub.add_parser("estimate", help="estimate I(X; Z) from paired samples")
    est.add_argument("x", help="samples of X: .npy, .npz or .csv, one row per sample")
    est.add_argument("z", help="samples of Z, same number of rows as X")
    est.add_argument("--method", default="mine", help=f"one of {', '.join(methods())} (default mine)")
    est.add_argument("--seed", type=int, default=0)
    est.add_argument("--batch-size", type=int, default=None)
    est.add_argument("--max-steps", type=int, default=None)
    est.add_argument("--json", action="store_true", help="print one JSON object")
    est.add_argument("--progress", action="store_true", help="show a progress bar on stderr")
    sub.add_parser("methods", help="list the method names")
    return ap


def run_estimate(args) -> dict:
    x, z = load_array(args.x), load_array(args.z)
    options = {}
    if args.method != "ksg":
        for name in ("batch_size", "max_steps"):
            if getattr(args, name) is not None:
                options[name] = getattr(args, name)
        options["progress"] = args.progress
    elif args.batch_size is not None or args.max_steps is not None:
        raise InputError("--batch-size and --max-steps apply to neural methods, not ksg")
    result = estimate_mi(x, z, method=args.method, seed=args.seed, **options)
    return result.summary()


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    if args.command == "methods":
        print("\n".join(methods()))
        return 0
    try:
        summary = run_estimate(args)
    except MineError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(summary))
    else:
        print(f"I(X;Z) = {summary['mi']:.4f} nats ({summary['bits']:.4f} bits), method {summary['method']}, "
              f"{summary['n_test']} held-out samples, {summary['steps']} steps, {summary['seconds']:.1f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
