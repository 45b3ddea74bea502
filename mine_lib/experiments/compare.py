"""Compare two runs of the book: ``python -m mine_lib.experiments.compare RESULTS_A RESULTS_B``.

Layer: the book's experiments. For each chapter JSON in the two results folders, prints
the decisions that flipped (claims matched by chapter and claim text) and the numbers that
changed (every numeric leaf of ``results``, by its key path; long lists are summarised by
their largest change), plus chapters, keys and claims found in only one run.
"""

from __future__ import annotations

import argparse
import math
import sys
from pathlib import Path

from .scorecard import load_results

LONG_LIST = 8  # lists of more numbers than this are summarised by their largest change


def _is_number(x) -> bool:
    return isinstance(x, (int, float)) and not isinstance(x, bool)


def flatten(value, prefix: str = "") -> dict:
    """Key path -> leaf, for the numbers and strings of a results dict (claims left out)."""
    out = {}
    if isinstance(value, dict):
        for key, item in value.items():
            if prefix == "" and key == "claims":
                continue
            out.update(flatten(item, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list):
        if len(value) > LONG_LIST and all(_is_number(v) or v is None for v in value):
            out[prefix] = [math.nan if v is None else float(v) for v in value]
        else:
            for i, item in enumerate(value):
                out.update(flatten(item, f"{prefix}[{i}]"))
    else:
        out[prefix] = value
    return out


def _same(a, b, rtol: float) -> bool:
    if _is_number(a) and _is_number(b):
        if math.isnan(a) and math.isnan(b):
            return True
        return math.isclose(a, b, rel_tol=rtol, abs_tol=1e-12)
    return a == b


def _show(x) -> str:
    if _is_number(x):
        return f"{x:.6g}"
    return repr(x)


def _change(key: str, a, b, rtol: float) -> str | None:
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{key}: {len(a)} numbers -> {len(b)} numbers"
        gaps = [abs(x - y) for x, y in zip(a, b) if not (math.isnan(x) and math.isnan(y))]
        if all(_same(x, y, rtol) for x, y in zip(a, b)):
            return None
        return f"{key}: {len(a)} numbers, largest change {max(gaps, default=math.nan):.6g}"
    if _same(a, b, rtol):
        return None
    return f"{key}: {_show(a)} -> {_show(b)}"


def _claims(record: dict) -> dict:
    return {c.get("claim"): c for c in (record.get("results") or {}).get("claims") or []}


def compare_chapter(a: dict, b: dict, rtol: float = 1e-9) -> dict[str, list[str]]:
    """The flipped decisions, changed numbers and one-sided keys of one chapter."""
    report = {"flipped": [], "changed": [], "only_a": [], "only_b": []}
    ca, cb = _claims(a), _claims(b)
    for text in ca:
        if text in cb and ca[text].get("decision") != cb[text].get("decision"):
            report["flipped"].append(f"{text}: {ca[text].get('decision')} -> "
                                     f"{cb[text].get('decision')}")
    report["only_a"] += [f"claim: {t}" for t in ca if t not in cb]
    report["only_b"] += [f"claim: {t}" for t in cb if t not in ca]
    fa, fb = flatten(a.get("results") or {}), flatten(b.get("results") or {})
    for key in fa:
        if key in fb:
            line = _change(key, fa[key], fb[key], rtol)
            if line:
                report["changed"].append(line)
    report["only_a"] += [k for k in fa if k not in fb]
    report["only_b"] += [k for k in fb if k not in fa]
    return report


def compare(folder_a: str | Path, folder_b: str | Path, rtol: float = 1e-9) -> list[str]:
    """The comparison as printable lines."""
    ra, rb = load_results(folder_a), load_results(folder_b)
    if not ra and not rb:
        raise ValueError(f"no results JSON in {folder_a} nor in {folder_b}")
    lines = []
    for chapter in sorted(set(ra) | set(rb)):
        if chapter not in rb:
            lines.append(f"== {chapter}: only in A")
            continue
        if chapter not in ra:
            lines.append(f"== {chapter}: only in B")
            continue
        a, b = ra[chapter], rb[chapter]
        rep = compare_chapter(a, b, rtol)
        lines.append(f"== {chapter} (A: {a.get('profile')}, B: {b.get('profile')})")
        if not any(rep.values()):
            lines.append("  no change")
        for title, key in (("decisions flipped", "flipped"), ("numbers changed", "changed"),
                           ("only in A", "only_a"), ("only in B", "only_b")):
            if rep[key]:
                lines.append(f"  {title}:")
                lines += [f"    {line}" for line in rep[key]]
    return lines


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m mine_lib.experiments.compare",
        description="Per chapter: decisions that flipped and numbers that changed between "
                    "two results folders.")
    parser.add_argument("results_a", type=Path)
    parser.add_argument("results_b", type=Path)
    parser.add_argument("--rtol", type=float, default=1e-9,
                        help="relative change below which two numbers count as equal")
    args = parser.parse_args(argv)
    for folder in (args.results_a, args.results_b):
        if not folder.is_dir():
            print(f"error: {folder} is not a folder", file=sys.stderr)
            return 2
    try:
        print("\n".join(compare(args.results_a, args.results_b, args.rtol)))
    except ValueError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
