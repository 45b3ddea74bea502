"""The reproduction scorecard and the wall-time table, built from a results folder.

Layer: the book's experiments. Reads every ``<chapter>.json`` written by
``results.save_results`` in a folder (default: ``results.results_dir()``) and collects the
rows that each chapter put under ``results["claims"]`` (see ``evidence.claim``).
``write_scorecard`` also writes them to ``<folder>/scorecard.json``: a list of objects with
the keys ``chapter``, ``claim``, ``paper``, ``this_run``, ``seeds``, ``decision`` (plus
``status``, ``sentence``, ``source``, ``direction``, ``size``) and ``record``, the decision of
record: this build's when it decides, else that of a current recording of the chapter (named
as such, with its commit and date), else this build's undecided row. A stale recording
(other settings, or made from uncommitted code) never counts.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pandas as pd

from .beside import decided_by_recording, of_record, recorded_claims, run_cell
from .evidence import KINDS, SOURCES, reread
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


def source_of(row: dict) -> str:
    """Whose claim a row tests: the row's own ``source`` when a chapter named one other than
    the default, else by chapter (06 tests the seed report, 10 and 11 later work and the
    book's own estimator) and by wording ("Check ..." rows are the book's own checks)."""
    named = row.get("source")
    claim, chapter = str(row.get("claim", "")), str(row.get("chapter", ""))
    if named in SOURCES and named != SOURCES[0]:
        return named
    if claim.lower().startswith("check") or chapter.startswith(("10", "11")) and \
            ("default" in claim or "warning" in claim):
        return "the book's own checks"
    if chapter.startswith("06"):
        return "the seed report"
    if chapter.startswith(("10", "11")) or "Song-Ermon" in claim:
        return "later work"
    return "the paper"


def with_record(rows: list[dict], recordings: dict[str, dict] | None = None) -> list[dict]:
    """``rows`` with their ``source`` and their decision of record (key ``record``);
    ``recordings``: chapter -> its current recording (``record.current_recordings``)."""
    recordings = recordings or {}
    return [dict(r, source=source_of(r), record=of_record(r, recordings.get(r["chapter"])))
            for r in rows]


def write_scorecard(folder: str | Path | None = None,
                    recordings: dict[str, dict] | None = None) -> Path:
    """Write ``<folder>/scorecard.json`` (a list of rows, each with its decision of record,
    from ``recordings`` as in ``with_record``) and return its path."""
    folder = Path(folder) if folder is not None else results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / SCORECARD
    path.write_text(json.dumps(with_record(scorecard_rows(folder), recordings), indent=2))
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


def counts(rows: list[dict], of_record: bool = False) -> dict[str, int]:
    """How many claims got each decision (every kind listed, zeros included); with
    ``of_record`` the decision of record (rows from ``with_record``)."""
    pick = (lambda r: r["record"]["decision"]) if of_record else (lambda r: r["decision"])
    return {kind: sum(pick(r) == kind for r in rows) for kind in KINDS}


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def verdict(rows: list[dict]) -> list[str]:
    """One sentence per source, from the decisions of record (rows from ``with_record``):
    "Of the paper's 20 claims tested, 9 hold, ..." in ``SOURCES`` order."""
    words = {"agrees": ("holds", "hold"),
             "smaller effect": ("holds only with a smaller effect than claimed",
                                "hold only with a smaller effect than claimed"),
             "disagrees": ("is contradicted", "are contradicted"),
             "not measurable": ("stays undecided", "stay undecided"),
             "inconclusive": ("is inconclusive", "are inconclusive"),
             "not tested": ("was not tested", "were not tested")}
    owner = {"the paper": "the paper's", "the seed report": "the seed report's",
             "later work": "later work's", "the book's own checks": "the book's own"}
    out = []
    for source in SOURCES:
        mine = [r for r in rows if r["source"] == source]
        if not mine:
            continue
        tally = counts(mine, of_record=True)
        parts = [f"{n} {words[k][n != 1]}" for k, n in tally.items() if n]
        recorded = sum(decided_by_recording(r["record"]) for r in mine)
        tail = (f" ({recorded} of these decided by a recorded long run)" if recorded else "")
        head = (f"Of {owner[source]} {_plural(len(mine), 'claim')} tested"
                if source != "the book's own checks"
                else f"Of the book's own {_plural(len(mine), 'check')}")
        out.append(f"{head}, {_join(parts)}{tail}.")
    return out


def _join(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


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
    if rows and all("record" in r for r in rows):
        frame["of record"] = [r["record"]["decision"] + (
            "" if r["record"]["from"] == "this build" else " (recorded run)") for r in rows]
        columns.append("of record")
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
    return run_cell(row), reread(row)["decision"]


# Colours of the decisions in the scorecard's picture (colour-blind safe, from seaborn's
# "colorblind" palette), and the order of the sources.
COLOURS = {"agrees": "#029e73", "smaller effect": "#ece133", "disagrees": "#d55e00",
           "not measurable": "#c8c8c8", "inconclusive": "#cc78bc", "not tested": "#ffffff"}


def _short(text: str, width: int = 70) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def picture(rows: list[dict], recordings: dict[str, dict]):
    """The scorecard at a glance: one row per claim, grouped by source; three cells
    coloured by decision: this build, the recorded long run (blank where the chapter has
    none) and the decision of record. Returns a matplotlib figure."""
    import matplotlib.pyplot as plt
    from matplotlib.patches import Patch

    ordered = [r for source in SOURCES for r in rows if r["source"] == source]
    labels, cells, heads = [], [], []
    for source in SOURCES:
        mine = [r for r in ordered if r["source"] == source]
        if not mine:
            continue
        heads.append((len(labels), source))
        for r in mine:
            rec = recordings.get(r["chapter"])
            other = recorded_claims(rec).get(r["claim"]) if rec else None
            labels.append(f"{r['chapter'][:2]}  {_short(r['claim'], 60)}")
            cells.append((r["decision"], reread(other)["decision"] if other else None,
                          r["record"]["decision"]))
    fig, ax = plt.subplots(figsize=(7.5, 0.3 * len(labels) + 1.6))
    for y, row in enumerate(cells):
        for x, kind in enumerate(row):
            if kind is not None:
                ax.add_patch(plt.Rectangle((x, y), 0.94, 0.9, color=COLOURS[kind], ec="#888",
                                           lw=0.4))
    ax.set_xlim(0, 3)
    ax.set_ylim(len(labels), -0.2)
    ax.set_yticks([y + 0.45 for y in range(len(labels))], labels, fontsize=9)
    ax.set_xticks([0.47, 1.47, 2.47], ["this build", "recorded\nlong run", "of record"],
                  fontsize=9)
    ax.xaxis.tick_top()
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    for y, source in heads:
        ax.axhline(y - 0.05, color="black", lw=0.8)
        ax.text(3.05, y + 0.5, source, fontsize=9, fontweight="bold", va="center")
    ax.legend(handles=[Patch(facecolor=c, edgecolor="#888", label=k) for k, c in COLOURS.items()],
              loc="upper center", bbox_to_anchor=(0.5, -0.01), ncol=6, fontsize=7.5,
              frameon=False)
    return fig


def findings_html(rows: list[dict], link_prefix: str = "") -> str:
    """The front page's list: per source, the verdict sentence and the chapters whose
    claims it counts, each a link (``link_prefix`` + chapter + ".html")."""
    lines = verdict(rows)
    items = []
    for line, source in zip(lines, [s for s in SOURCES if any(r["source"] == s for r in rows)]):
        chapters = dict.fromkeys(r["chapter"] for r in rows if r["source"] == source)
        links = ", ".join(f'<a href="{link_prefix}{c}.html">{c[:2]}</a>' for c in chapters)
        items.append(f"<li>{html.escape(line)} Chapters: {links}.</li>")
    return f"<ul>{''.join(items)}</ul>"
