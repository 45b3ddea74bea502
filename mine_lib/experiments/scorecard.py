"""The reproduction scorecard and the wall-time table, built from a results folder.

Layer: the book's experiments. Reads every ``<chapter>.json`` written by
``results.save_results`` in a folder (default: ``results.results_dir()``) and collects the
rows that each chapter put under ``results["claims"]`` (see ``evidence.claim``).
``write_scorecard`` also writes them to ``<folder>/scorecard.json``: a list of objects with
the keys ``chapter``, ``claim``, ``paper``, ``this_run``, ``seeds``, ``decision`` (plus
``status`` and ``sentence``).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from .beside import recorded_claims, run_cell
from .evidence import KINDS
from .results import results_dir

SCORECARD = "scorecard.json"
ROW_KEYS = ("chapter", "claim", "paper", "this_run", "seeds", "decision", "status", "sentence")
# Keys under which a results JSON may carry the chapter's wall time (top level or results).
WALL_KEYS = ("wall_seconds", "wall_s", "wall_time_s", "wall_time")


def load_results(folder: str | Path | None = None) -> dict[str, dict]:
    """Chapter name -> its results record, for every chapter JSON in ``folder``."""
    folder = Path(folder) if folder is not None else results_dir()
    records = {}
    if not folder.is_dir():
        return records
    for path in sorted(folder.glob("*.json")):
        if path.name == SCORECARD:
            continue
        try:
            record = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError) as err:
            raise ValueError(f"{path}: not a readable results JSON ({err})") from err
        if isinstance(record, dict) and "results" in record:
            records[record.get("chapter") or path.stem] = record
    return records


def _row(chapter: str, claim: dict) -> dict:
    row = {key: claim.get(key) for key in ROW_KEYS}
    row["chapter"] = claim.get("chapter") or chapter
    if row["decision"] not in KINDS:
        raise ValueError(f"chapter {chapter}: claim {row['claim']!r} has decision "
                         f"{row['decision']!r}, not one of {', '.join(KINDS)}")
    return row


def scorecard_rows(folder: str | Path | None = None) -> list[dict]:
    """Every claim of every chapter in ``folder``, in chapter order."""
    rows = []
    for chapter, record in load_results(folder).items():
        for claim in (record.get("results") or {}).get("claims") or []:
            rows.append(_row(chapter, claim))
    return rows


def write_scorecard(folder: str | Path | None = None) -> Path:
    """Write ``<folder>/scorecard.json`` (a list of rows) and return its path."""
    folder = Path(folder) if folder is not None else results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SCORECARD
    path.write_text(json.dumps(scorecard_rows(folder), indent=2))
    return path


def _wall_seconds(record: dict):
    for where in (record, record.get("results") or {}):
        for key in WALL_KEYS:
            if isinstance(where.get(key), (int, float)):
                return float(where[key])
    return None


def wall_times(folder: str | Path | None = None) -> pd.DataFrame:
    """Chapter, profile, wall and CPU seconds (None where the JSON does not record them)."""
    rows = [{"chapter": chapter, "profile": record.get("profile"),
             "wall seconds": _wall_seconds(record), "CPU seconds": record.get("cpu_seconds")}
            for chapter, record in load_results(folder).items()]
    return pd.DataFrame(rows, columns=["chapter", "profile", "wall seconds", "CPU seconds"])


def counts(rows: list[dict]) -> dict[str, int]:
    """How many claims got each decision (every kind listed, zeros included)."""
    return {kind: sum(r["decision"] == kind for r in rows) for kind in KINDS}


def table(rows: list[dict], link: bool = True,
          recorded: dict[str, dict] | None = None) -> pd.DataFrame:
    """The scorecard as a table; with ``link`` the chapter is an HTML link to its page.

    ``recorded`` (chapter -> a recording, ``record.load_recording``) adds, for each claim of
    those chapters, the recorded run's value and decision ("none recorded" where it has no
    such claim, blank for chapters without a recording)."""
    frame = pd.DataFrame(rows, columns=list(ROW_KEYS))
    columns = ["chapter", "claim", "paper", "this run", "seeds", "decision"]
    if recorded:
        found = [recorded_row(recorded.get(r["chapter"]), r["claim"]) for r in rows]
        frame["recorded run"] = [f[0] for f in found]
        frame["recorded decision"] = [f[1] for f in found]
        columns += ["recorded run", "recorded decision"]
    if link and not frame.empty:
        frame["chapter"] = [f'<a href="{c}.html">{c[:2]}</a>' for c in frame["chapter"]]
    frame = frame.rename(columns={"this_run": "this run"})
    return frame[columns]


def recorded_row(recording: dict | None, claim: str) -> tuple[str, str]:
    """A claim's value ([seeds]) and decision in a recording; blank without a recording."""
    if not recording:
        return "", ""
    row = recorded_claims(recording).get(claim)
    if row is None:
        return "none recorded", "none recorded"
    return run_cell(row), row["decision"]
