"""Each chapter's headline numbers, written to $MINE_RESULTS_DIR/<chapter>.json, with what
ran them (profile, wall time, seeds, data, versions, device), and the "this run" box a chapter
shows in its last cell.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import html
import json
import math
import os
import platform
import time
from pathlib import Path

import numpy as np
import torch

from .. import __version__, datasets
from . import profiles

# chapter -> the record save_results wrote in this process (the box prefers it to the file)
RECORDS: dict[str, dict] = {}
DATA_NAMES = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}


def results_dir() -> Path:
    """$MINE_RESULTS_DIR, else _build/results beside the book's _config.yml (or the cwd)."""
    env = os.environ.get("MINE_RESULTS_DIR")
    if env:
        return Path(env)
    here = Path.cwd().resolve()
    for folder in (here, *here.parents):
        if (folder / "_config.yml").exists():
            return folder / "_build" / "results"
    return here / "_build" / "results"


def _plain(value):
    """JSON-friendly copies of numpy and torch values."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, torch.Tensor):
        return _plain(value.detach().cpu().numpy())
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def glue_all(prefix: str, values: dict, sep: str = "-") -> None:
    """Glue each value under ``prefix + sep + key`` (under ``key`` alone when the prefix is
    empty), hidden (the page places it). Numpy scalars are glued as Python numbers, so that a
    page's format spec (``{glue:text}`name:.2f```) applies; a DataFrame as a table without
    its index."""
    import pandas as pd
    from myst_nb import glue

    for key, value in values.items():
        if isinstance(value, np.generic):
            value = value.item()
        elif isinstance(value, pd.DataFrame):
            value = value.style.hide(axis="index")
        glue(f"{prefix}{sep}{key}" if prefix else key, value, display=False)


def json_rows(table) -> list[dict]:
    """A DataFrame's rows for a results file: NaN and infinity (e.g. "never within
    tolerance") become null, which JSON can hold."""
    return [{k: (None if isinstance(v, float) and not math.isfinite(v) else v) for k, v in row.items()}
            for row in table.to_dict(orient="records")]


def process_start() -> float | None:
    """When this process (the notebook's kernel) started, as time.time(); None if unknown."""
    try:
        ticks = int(Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()[19])
        boot = next(float(line.split()[1]) for line in Path("/proc/stat").read_text().splitlines()
                    if line.startswith("btime"))
        return boot + ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError, StopIteration, AttributeError):
        return None


def run_started() -> float:
    """The start of this chapter's run: its profiles.announce(), else the kernel's start."""
    return profiles.STARTED or process_start() or IMPORTED


IMPORTED = time.time()


def device_used() -> str:
    """The device the library's 'auto' picks here, in words."""
    if torch.cuda.is_available():
        return f"GPU ({torch.cuda.get_device_name(0)})"
    threads = torch.get_num_threads()
    return f"CPU ({threads} thread{'s' if threads != 1 else ''})"


def data_loaded() -> list[dict]:
    """Image datasets this process loaded, and whether each stood in for MNIST."""
    return [{"name": name, "fallback": fallback}
            for name, fallback in sorted(datasets.LOADED.items())]


class ResultsFile(type(Path())):
    """The path of a chapter's JSON. As a cell's last value it shows nothing (no
    ``PosixPath('/tmp/...')`` on a page): the chapter's "this run" box says where it went."""

    def _ipython_display_(self) -> None:
        pass


def save_results(chapter: str, results: dict, *, dataset: str | None = None, seeds=None) -> Path:
    """Write the chapter's numbers with the context needed to compare two runs: profile,
    wall time since the chapter started, seeds, the data that really ran, versions, device."""
    started = run_started()
    record = {
        "chapter": chapter,
        "profile": profiles.current(),
        "dataset": dataset,
        "data_loaded": data_loaded(),
        "seeds": _plain(seeds),
        "wall_seconds": round(time.time() - started, 1),
        # CPU time of the kernel process, all its threads: unlike the wall time it does not
        # grow when other jobs share the cores
        "cpu_seconds": round(time.process_time() - (profiles.CPU_STARTED or 0.0), 1),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(started)),
        "mine_lib_version": __version__,
        "torch_version": torch.__version__,
        "python": platform.python_version(),
        "device": device_used(),
        "written": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "results": _plain(results),
    }
    folder = results_dir()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{chapter}.json"
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(record, indent=2))
    os.replace(tmp, path)
    RECORDS[chapter] = record
    return ResultsFile(path)


# ---------------------------------------------------------------- the "this run" box

def duration(seconds: float) -> str:
    """42 s, 3 min 05 s, 1 h 02 min."""
    seconds = round(seconds)
    if seconds < 60:
        return f"{seconds} s"
    minutes, secs = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def seed_text(seeds) -> str:
    """0-4 (5 seeds); 0, 3, 7; benchmark: 0-2; staircase: 0."""
    if seeds is None or seeds == [] or seeds == {}:
        return "none"
    if isinstance(seeds, dict):
        return "; ".join(f"{key}: {seed_text(value)}" for key, value in seeds.items())
    if not isinstance(seeds, (list, tuple)):
        return str(seeds)
    values = list(seeds)
    if len(values) > 2 and all(isinstance(v, int) for v in values) and \
            values == list(range(values[0], values[0] + len(values))):
        return f"{values[0]}\u2013{values[-1]} ({len(values)} seeds)"
    return ", ".join(str(v) for v in values)


def data_text(record: dict) -> str:
    """The data that really ran: the image datasets loaded (and any fallback), else the
    chapter's own description."""
    loaded = record.get("data_loaded") or []
    parts = []
    for item in loaded:
        name = DATA_NAMES.get(item["name"], item["name"])
        parts.append(f"{name} (stand-in: MNIST was not available)" if item["fallback"] else name)
    if parts:
        return ", ".join(parts)
    return str(record.get("dataset") or "not recorded")


def run_rows(record: dict) -> list[tuple[str, str]]:
    """The box's lines, as (label, value)."""
    return [
        ("Profile", str(record.get("profile"))),
        ("Wall time", duration(record.get("wall_seconds", 0.0))
         + (f" (CPU time {duration(record['cpu_seconds'])})" if "cpu_seconds" in record else "")),
        ("Seeds", seed_text(record.get("seeds"))),
        ("Data", data_text(record)),
        ("Versions", f"mine_lib {record.get('mine_lib_version')}, torch "
                     f"{record.get('torch_version')}, Python {record.get('python')}"),
        ("Device", str(record.get("device", "not recorded"))),
        ("Numbers", f"{record.get('chapter')}.json in the results folder"),
    ]


class RunBox:
    """The "this run" box: an admonition in HTML (book, JupyterLab) and Markdown (text)."""

    def __init__(self, rows: list[tuple[str, str]], title: str = "This run"):
        self.rows, self.title = rows, title

    def _repr_html_(self) -> str:
        items = "".join(f"<li><strong>{html.escape(k)}:</strong> {html.escape(v)}</li>"
                        for k, v in self.rows)
        return (f'<div class="admonition note this-run"><p class="admonition-title">'
                f"{html.escape(self.title)}</p><ul class=\"simple\">{items}</ul></div>")

    def _repr_markdown_(self) -> str:
        lines = "\n".join(f"- *{k}:* {v}" for k, v in self.rows)
        return f"**{self.title}**\n\n{lines}\n"

    def __repr__(self) -> str:
        return "\n".join([self.title, *(f"  {k}: {v}" for k, v in self.rows)])


def this_run(chapter: str) -> RunBox:
    """The box for the chapter's last cell: what the run that wrote its numbers was."""
    record = RECORDS.get(chapter)
    if record is None:
        path = results_dir() / f"{chapter}.json"
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            return RunBox([("Results", f"none saved yet for {chapter} in this run")])
    return RunBox(run_rows(record))


def wall_times() -> list[dict]:
    """Every chapter's wall and CPU time in the results folder:
    [{chapter, profile, wall_seconds, cpu_seconds}] (cpu_seconds None when not recorded)."""
    rows = []
    for path in sorted(results_dir().glob("*.json")):
        try:
            record = json.loads(path.read_text())
        except (OSError, ValueError):
            continue
        if isinstance(record, dict) and "wall_seconds" in record:
            rows.append({"chapter": record.get("chapter", path.stem),
                         "profile": record.get("profile"),
                         "wall_seconds": record["wall_seconds"],
                         "cpu_seconds": record.get("cpu_seconds")})
    return rows
