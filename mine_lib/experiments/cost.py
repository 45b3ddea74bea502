"""What an estimate costs as the rows grow (issue 22, item 5): the default and KSG timed on a
2 + 2-dimensional Gaussian from 1,000 to 500,000 rows, recorded once on an idle machine with
its provenance (``benchmarks/bench_cost.py --record``), and shown in chapter 10.

Timings are not taken during a book build: the build runs two chapters at a time, and a
second torch process slows the first several times over. The recording carries a hash of
the estimators' source, and a test fails when that source has changed since (then run the
command again).

Layer: experiments (the book's runs). May import the library.
"""

from __future__ import annotations

import hashlib
import json
import os
import platform
import subprocess
import time
from datetime import datetime, timezone
from pathlib import Path

import pandas as pd
import torch

from ..estimator import estimate_mi
from ..tasks import correlated_gaussian, gaussian_mi

ROOT = Path(__file__).resolve().parents[2]
COST_RECORD = ROOT / "book" / "recorded" / "cost_by_rows.json"
# the code whose speed the recording measures: a change to any of it makes the recording stale
COST_SOURCES = ("mine_lib/estimators/crossfit.py", "mine_lib/stacking.py", "mine_lib/ksg.py",
                "mine_lib/estimators/result.py")
DIM, RHO = 2, 0.5  # the task: x and z 2-dimensional, correlation 0.5 per coordinate pair
ROWS = (1_000, 5_000, 50_000, 500_000)
METHODS = ("crossfit", "ksg")


def sources_hash(root: Path = ROOT) -> str:
    """A hash of ``COST_SOURCES`` as they are on disk."""
    digest = hashlib.sha256()
    for name in COST_SOURCES:
        digest.update(name.encode() + b"\0" + (root / name).read_bytes())
    return digest.hexdigest()[:16]


def timed_estimate(rows: int, method: str, seed: int, threads: int) -> dict:
    """One estimate on fresh rows of the task, with its wall and CPU seconds (the process's
    own time, all threads)."""
    x, z = correlated_gaussian(rows, DIM, RHO, seed=1000 + seed)
    torch.set_num_threads(threads)
    wall, cpu = time.perf_counter(), time.process_time()
    result = estimate_mi(x, z, method=method, seed=seed)
    return {"rows": rows, "method": method, "threads": threads, "seed": seed,
            "estimate": result.mi, "true_mi": gaussian_mi(DIM, RHO),
            "wall_s": time.perf_counter() - wall, "cpu_s": time.process_time() - cpu,
            "steps": result.steps, "warnings": [w.code for w in result.warnings]}


def cost_runs(rows=ROWS, seeds=(0, 1), threads=(1, 2), methods=METHODS, log=print) -> list[dict]:
    runs = []
    for n in rows:
        for method in methods:
            for t in threads:
                for seed in seeds:
                    runs.append(timed_estimate(n, method, seed, t))
                    r = runs[-1]
                    log(f"{n:>7} rows  {method:<8} {t} thread(s)  seed {seed}: {r['estimate']:.4f} "
                        f"(true {r['true_mi']:.4f})  {r['wall_s']:.1f} s wall, {r['cpu_s']:.1f} CPU-s")
    return runs


def git(*args: str) -> str:
    out = subprocess.run(["git", *args], capture_output=True, text=True, check=False, cwd=ROOT)
    return out.stdout.strip()


def record_cost(runs: list[dict], command: str, path: Path = COST_RECORD) -> dict:
    """Write the runs with where they came from: command, commit, whether the library had
    uncommitted changes, date, machine, load average, and the hash of ``COST_SOURCES``."""
    provenance = {
        "command": command, "commit": git("rev-parse", "--short", "HEAD"),
        "dirty": bool(git("status", "--porcelain", "mine_lib")),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()}, {platform.processor() or platform.machine()}, "
                   f"{os.cpu_count()} cores",
        "load_average": round(os.getloadavg()[0], 2), "torch": torch.__version__,
        "task": f"Gaussian, {DIM} + {DIM} dimensions, rho = {RHO} per coordinate pair",
        "sources_hash": sources_hash(),
    }
    record = {"provenance": provenance, "runs": runs}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1) + "\n")
    return record


def load_cost(path: Path = COST_RECORD) -> dict:
    return json.loads(Path(path).read_text())


def is_stale(record: dict, root: Path = ROOT) -> bool:
    """True when the estimators' source has changed since the recording (or it was made
    from uncommitted code)."""
    prov = record["provenance"]
    return prov["dirty"] or prov["sources_hash"] != sources_hash(root)


def state_sentence(record: dict) -> str:
    """Whether the recording still measures the code the book runs."""
    if record["provenance"]["dirty"]:
        return ("This recording was made from uncommitted code and may not measure the code "
                "the book runs; record it again.")
    if is_stale(record):
        return ("The estimators' code has changed since this recording: its times may no "
                "longer hold; record it again.")
    return ("The estimators' code is unchanged since the recording (a test fails when it "
            "changes).")


LABELS = {"crossfit": "default", "ksg": "KSG"}


def cost_table(record: dict) -> pd.DataFrame:
    """Per number of rows: each method's median seconds over seeds, single-threaded (CPU
    seconds) and on every core (wall seconds), and the default's median estimate."""
    runs = pd.DataFrame(record["runs"])
    med = runs.groupby(["rows", "method", "threads"])[["wall_s", "cpu_s", "estimate"]].median()
    out = pd.DataFrame(index=sorted(runs["rows"].unique()))
    out.index.name = "rows"
    most = int(runs["threads"].max())
    for method in [m for m in METHODS if m in set(runs["method"])]:
        label = LABELS[method]
        out[f"{label}: CPU s (1 thread)"] = [med.loc[(n, method, 1), "cpu_s"] for n in out.index]
        out[f"{label}: wall s ({most} threads)"] = [med.loc[(n, method, most), "wall_s"] for n in out.index]
    out["default estimate"] = [med.loc[(n, "crossfit", most), "estimate"] for n in out.index]
    out["true MI"] = float(runs["true_mi"].iloc[0])
    return out


def cost_glue(record: dict) -> dict:
    """Numbers for the chapter's sentences: the default's cost at 5,000 and at the largest
    number of rows, the cores, the largest n, and the provenance."""
    table = cost_table(record)
    runs = pd.DataFrame(record["runs"])
    most, top = int(runs["threads"].max()), int(table.index.max())
    prov = record["provenance"]
    return {"cpu_5000": float(table.loc[5000, "default: CPU s (1 thread)"]),
            "wall_top": float(table.loc[top, f"default: wall s ({most} threads)"]),
            "ksg_wall_top": float(table.loc[top, f"KSG: wall s ({most} threads)"]),
            "top_rows": f"{top:,}", "cores": most, "seeds": int(runs["seed"].nunique()),
            "commit": prov["commit"], "date": prov["date"], "load": prov["load_average"],
            "task": prov["task"], "command": prov["command"]}
