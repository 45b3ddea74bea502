"""This build's claims beside a recorded run's: one table row per claim of the chapter.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import pandas as pd

from . import evidence
from .evidence import Kind, reread

PLAIN_STATUSES = ("measured", "within tolerance", "outside tolerance", "not tested in this run")


def plural(n: int, word: str) -> str:
    """"1 seed", "3 seeds"."""
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def decision_text(d: evidence.Decision) -> str:
    """A decision's kind, with its status in brackets where the status says more than the kind."""
    return d.kind if d.status in PLAIN_STATUSES else f"{d.kind} ({d.status})"


def run_text(d: evidence.Decision, unit: str = "", ungated: evidence.Decision | None = None) -> str:
    """This run's cell of the scorecard: the difference with its interval, unit and seeds;
    where the baseline failed its check, the check's number too (``ungated``: the difference
    itself, shown before the check)."""
    u = f" {unit}" if unit else ""
    if d.status == "baseline did not train":
        check = f"the baseline did not train (its check: {d.estimate:.3g})"
        return check if ungated is None else f"{run_text(ungated, unit)}; {check}"
    if d.ci is None:
        return f"{d.estimate:+.3g}{u} ({d.status})"
    return f"{d.estimate:+.3g}{u} (CI {d.ci[0]:+.3g} to {d.ci[1]:+.3g}, {d.n} seeds)"


def claim_row(chapter: str, claim: str, paper: str, decision: evidence.Decision,
              ungated: evidence.Decision | None = None, unit: str = "") -> dict:
    """A scorecard row of an application chapter: ``evidence.claim`` with ``run_text``."""
    return evidence.claim(chapter, claim, paper, decision, run_text(decision, unit, ungated))


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
                  label: str = "recorded long run", current: bool = True) -> pd.DataFrame:
    """One row per claim of this build: the paper, this run (difference, interval, seeds)
    and its decision, then the same from the recording (or "none recorded"), read in this
    rule's words, and the decision of record (the recording counts only when ``current``)."""
    recorded = recorded_claims(recording)
    rows = []
    for row in claims:
        other = recorded.get(row["claim"])
        record = of_record(row, recording if current else None)
        rows.append({
            "claim": row["claim"], "paper": row["paper"],
            "this build": run_cell(row),
            "decision": row["decision"],
            label: run_cell(other) if other else "none recorded",
            f"{label}: decision": reread(other)["decision"] if other else "none recorded",
            "decision of record": record["decision"] + (
                "" if record["from"] == "this build" else " (recorded)"),
        })
    return pd.DataFrame(rows)


def _provenance(rec: dict) -> str:
    return (f"recorded {rec.get('profile', 'long')} run (commit {str(rec.get('commit'))[:7]}, "
            f"{str(rec.get('date', ''))[:10]})")


def of_record(row: dict, recording: dict | None) -> dict:
    """The decision of record of one build row: this build's when it decides, else the
    current recording's when that decides, else the undecided reading on more seeds (the
    recording's when it has more, since it rules out smaller effects; else this build's).
    ``recording`` must be current (``record.current_recordings``); its rows are read in this
    rule's words."""
    keys = ("decision", "status", "direction", "size", "this_run", "seeds", "sentence")
    here = {**{k: row.get(k) for k in keys}, "from": "this build"}
    if Kind(row["decision"]).decided or recording is None:
        return here
    other = recorded_claims(recording).get(row["claim"])
    if other is None:
        return here
    other = reread(other)
    if not Kind(other["decision"]).decided and (other.get("seeds") or 0) <= (row.get("seeds") or 0):
        return here
    return {**{k: other.get(k) for k in keys}, "this_run": run_cell(other),
            "from": _provenance(recording)}


def decided_by_recording(record: dict) -> bool:
    """Whether a decision of record (``of_record``) is a recording's decision, not only its
    undecided reading."""
    return record["from"] != "this build" and Kind(record["decision"]).decided


def recorded_sentence(row: dict, recording: dict | None) -> str:
    """What a current recording adds to one claim that this build leaves undecided: a
    sentence naming the run and its reading, or that none decides it. Empty when this build
    decides (``recording`` must be current, or None)."""
    if Kind(row["decision"]).decided:
        return ""
    record = of_record(row, recording)
    if record["from"] == "this build":
        return "No current recorded long run decides it either."
    if not Kind(record["decision"]).decided:
        return (f"The {record['from']} does not decide it either, on "
                f"{plural(record['seeds'], 'seed')}: {record['sentence']}")
    return f"The {record['from']} decides it: {record['sentence']}"


def record_summary(claims: list[dict], recording: dict | None) -> str:
    """One sentence on a chapter's decisions of record: how many claims agree, hold with a
    smaller effect, are contradicted or stay undecided, and how many of those decisions come
    from the recording (``recording`` must be current, or None)."""
    records = [of_record(row, recording) for row in claims]
    words = [("agrees", "agrees", "agree"),
             ("smaller effect", "holds only with a smaller effect",
              "hold only with a smaller effect"),
             ("disagrees", "is contradicted", "are contradicted"),
             ("not measurable", "stays undecided", "stay undecided"),
             ("inconclusive", "is inconclusive", "are inconclusive"),
             ("not tested", "was not tested", "were not tested")]
    parts = [f"{n} {one if n == 1 else many}" for k, one, many in words
             if (n := sum(r["decision"] == k for r in records))]
    recorded = sum(decided_by_recording(r) for r in records)
    text = (f"Of this chapter's {len(records)} claims, taking the recorded long run where this "
            f"build cannot decide: {', '.join(parts)}")
    if recorded:
        text += (f"; {recorded} of these decisions "
                 f"{'comes' if recorded == 1 else 'come'} from the {records_from(records)}")
    return text + "."


def records_from(records: list[dict]) -> str:
    return next(r["from"] for r in records if r["from"] != "this build")
