"""This build's claims beside a recorded run's: one table row per claim of the chapter.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import pandas as pd


def recorded_claims(recording: dict | None) -> dict[str, dict]:
    """The scorecard rows of a recording (``record.load_recording``), by claim; {} for None."""
    if not recording:
        return {}
    rows = recording.get("results", {}).get("results", {}).get("claims", [])
    return {row["claim"]: row for row in rows}


def run_cell(row: dict) -> str:
    """A claim's value with its seed count, said once: "[n seeds]" is added only when the
    value does not already name its seeds."""
    text = str(row["this_run"])
    return text if "seed" in text else f"{text} [{row['seeds']} seeds]"


def claims_beside(claims: list[dict], recording: dict | None,
                  label: str = "recorded long run") -> pd.DataFrame:
    """One row per claim of this build: the paper, this run (difference, interval, seeds)
    and its decision, then the same from the recording (or "none recorded")."""
    recorded = recorded_claims(recording)
    rows = []
    for row in claims:
        other = recorded.get(row["claim"])
        rows.append({
            "claim": row["claim"], "paper": row["paper"],
            "this build": run_cell(row),
            "decision": row["decision"],
            label: run_cell(other) if other else "none recorded",
            f"{label}: decision": other["decision"] if other else "none recorded",
        })
    return pd.DataFrame(rows)
