"""Every estimator on the ground-truth tasks: solved counts and seconds per estimator.

The default against its peers (the library's default, its former default MINE, KSG k = 5
and torch-mist's SMILE through /work/tm-venv/bin/python when that environment exists):
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_estimators.py --set compare \
        --tasks paper --n 5000 --seeds 3 --out compare.csv
    ... --peer-seeds 1         fewer seeds for every estimator but the default
    ... --seeds-of MINE=1      seeds for one estimator (MINE takes ~80 s a run)
    ... --record book/recorded/estimator_comparison.json
                               also write the tables with their provenance (command, commit,
                               date, machine) for chapter 10
Seconds are per estimate, single-threaded (torch.set_num_threads(1)); torch-mist's are its
fit and read-out inside its own process. The lower bound held is the share of runs whose
lower bound lies at or below the true MI. torch-mist's row uses its held-out read-out; its read-out on the
rows it trained on is printed as a row of its own.

Run (full grid, resumable: rows already in --out are not run again):
    OMP_NUM_THREADS=2 .venv/bin/python benchmarks/bench_estimators.py --out bench.csv
    ... --tasks paper|standard|smoke  --seeds 3  --n 5000  --estimators MINE,SMILE,KSG
    ... --staircase            the high-MI staircase (2 to 10 nats, 20 + 20 dimensions)
    ... --time-limit 300       stop starting new runs after this many seconds (then resume)
A task is solved when |log(mean estimate over seeds / true MI)| < log 1.5.
Prints figures; asserts nothing (these machines are shared and noisy).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import pandas as pd
import torch

from mine_lib.experiments.benchmark import (
    COLUMNS,
    TorchMist,
    comparison_estimators,
    default_candidates,
    default_estimators,
    is_solved,
    log_ratio,
    run_one,
    solved_summary,
    task_means,
)
from mine_lib.tasks import benchmark_tasks, staircase_tasks


def estimator_set(name: str, only: str | None):
    if name == "compare":
        chosen = comparison_estimators()
        peers = [e for e in chosen if isinstance(e, TorchMist)]
        for peer in peers:
            if not peer.available():
                print(f"torch-mist is not installed at {peer.python}: '{peer.label}' left out "
                      f"(python3 -m venv /work/tm-venv && /work/tm-venv/bin/pip install "
                      f"torch==2.13.0 torch-mist)")
                chosen.remove(peer)
    else:
        chosen = default_candidates() if name == "candidates" else default_estimators()
    if only:
        wanted = only.split(",")
        unknown = sorted(set(wanted) - {e.label for e in chosen})
        if unknown:
            raise SystemExit(f"unknown estimator label(s) {unknown}; have {[e.label for e in chosen]}")
        chosen = [e for e in chosen if e.label in wanted]
    return chosen


def load(path: Path | None) -> pd.DataFrame:
    if path is None or not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    df = pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"], dtype={"error": object, "warnings": object})
    for column in ("error", "warnings"):
        if column in df:
            df[column] = df[column].fillna("").astype(str)
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="paper", choices=["smoke", "standard", "paper"])
    ap.add_argument("--staircase", action="store_true", help="the 20-d high-MI staircase instead")
    ap.add_argument("--set", default="methods", choices=["methods", "candidates", "compare"],
                    help="methods: every method at its defaults; candidates: the default choices; "
                         "compare: the default against KSG, MINE and torch-mist SMILE")
    ap.add_argument("--estimators", default=None, help="comma-separated labels to run")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--peer-seeds", type=int, default=None,
                    help="seeds for every estimator but 'default' (default: --seeds)")
    ap.add_argument("--seeds-of", action="append", default=[], metavar="LABEL=N",
                    help="seeds for one estimator, e.g. MINE=1 (overrides --seeds/--peer-seeds)")
    ap.add_argument("--n", type=int, default=5000, help="samples per task")
    ap.add_argument("--out", type=Path, default=None, help="CSV of runs (appended, resumed)")
    ap.add_argument("--record", type=Path, default=None,
                    help="write the summary and per-task means, with provenance, to this JSON")
    ap.add_argument("--runs-commit", default=None,
                    help="with --report-only: the commit the runs in --out were made at")
    ap.add_argument("--report-only", action="store_true",
                    help="run nothing: print (and record) the tables of the runs in --out")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds after which no new run starts (resume later with --out)")
    args = ap.parse_args()

    tasks = staircase_tasks() if args.staircase else benchmark_tasks(args.tasks)
    estimators = estimator_set(args.set, args.estimators)
    done = load(args.out)
    have = {(r.task, r.estimator, int(r.seed)) for r in done.itertuples()}
    own = {}
    for item in args.seeds_of:
        label, _, count = item.rpartition("=")
        if not label or not count.isdigit():
            raise SystemExit(f"--seeds-of wants LABEL=N, got {item!r}")
        own[label] = int(count)

    def seeds_of(e):
        if e.label in own:
            return own[e.label]
        return args.seeds if e.label == "default" or args.peer_seeds is None else args.peer_seeds

    most = max(map(seeds_of, estimators))
    todo = [(t, e, s) for s in range(most) for t in tasks for e in estimators
            if s < seeds_of(e) and (t.name, e.label, s) not in have]
    print(f"{len(tasks)} tasks x {len(estimators)} estimators x {args.seeds} seeds, n = {args.n}: "
          f"{len(have)} runs on file, {len(todo)} to run")
    torch.set_num_threads(1)
    start, rows = time.perf_counter(), done.to_dict("records")
    for task, estimator, seed in [] if args.report_only else todo:
        if args.time_limit and time.perf_counter() - start > args.time_limit:
            print(f"time limit reached: {len(todo) - (len(rows) - len(done))} runs left; run again to resume")
            break
        row = run_one(task, estimator, seed, args.n)
        rows.append(row)
        print(f"  {task.name:32s} {estimator.label:14s} seed {seed}: {row['estimate']:7.3f} "
              f"(true {task.true_mi:.3f}) {row['seconds']:6.1f} s, CPU {row['cpu_seconds']:6.1f} s "
              f"{row['error'][:60]}", flush=True)
        if args.out:
            pd.DataFrame([row], columns=COLUMNS).to_csv(
                args.out, mode="a", header=not args.out.exists() or args.out.stat().st_size == 0,
                index=False)
    df = pd.DataFrame(rows, columns=COLUMNS)
    names = {t.name for t in tasks}
    labels = {e.label for e in estimators}
    df = df[df["task"].isin(names) & df["estimator"].isin(labels)]
    if df.empty:
        return
    peer = df[df["method"] == "torch-mist"].copy()
    if len(peer):  # the same runs read out on the rows they trained on
        peer["estimator"] = peer["estimator"] + " (train rows)"
        peer["estimate"] = pd.to_numeric(peer["estimate_train_rows"])
        peer["log_ratio"] = [log_ratio(e, t) for e, t in zip(peer["estimate"], peer["true_mi"])]
        peer["solved"] = [is_solved(r) for r in peer["log_ratio"]]
        df = pd.concat([df, peer], ignore_index=True)
    pd.set_option("display.width", 200)
    means = task_means(df)
    print("\nmean estimate over seeds (true MI in the first column)")
    table = means.pivot(index="task", columns="estimator", values="mean")
    table.insert(0, "true", means.groupby("task")["true_mi"].first())
    print(table.round(3).to_string())
    summary = solved_summary(df)
    print(f"\nsolved: |log(mean estimate / true)| < log 1.5, of {len(names)} tasks; n = {args.n}; "
          f"seconds per estimate single-threaded (wall; and CPU: the process's own time, what "
          f"the estimate costs on an idle core)")
    print(summary.round(3).to_string())
    seeds = df.groupby("estimator")["seed"].nunique()
    print("seeds per estimator: " + ", ".join(f"{k}: {v}" for k, v in seeds.items()))
    if args.record:
        record_comparison(args.record, df, summary, means, seeds, args)
        print(f"recorded to {args.record}")


def interval_by_task(df) -> list[dict]:
    """Per task, for estimators with a lower bound: runs, and how many bounds lay above the
    truth (misses)."""
    have = df[pd.to_numeric(df["lower_bound"], errors="coerce").notna()]
    rows = []
    for (task, label), g in have.groupby(["task", "estimator"], sort=False):
        lower = pd.to_numeric(g["lower_bound"])
        truth = float(g["true_mi"].iloc[0])
        rows.append({"task": task, "estimator": label, "runs": len(g),
                     "above": int((lower > truth).sum())})
    return rows


def record_comparison(path: Path, df, summary, means, seeds, args) -> None:
    """The tables as JSON with where they came from: command, commit, date, machine."""
    import json
    import os
    import platform
    import subprocess
    import sys
    from datetime import datetime, timezone

    def git(*cmd):
        out = subprocess.run(["git", *cmd], capture_output=True, text=True, check=False,
                             cwd=Path(__file__).resolve().parent)
        return out.stdout.strip()

    provenance = {
        "command": " ".join(["python", *sys.argv]),
        "commit": args.runs_commit or git("rev-parse", "HEAD"),
        "recorded_at_commit": git("rev-parse", "HEAD"), "dirty": bool(git("status", "--porcelain", "mine_lib")),
        "date": datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": f"{platform.node()}, {platform.processor() or platform.machine()}, "
                   f"{os.cpu_count()} cores shared with other jobs (load average when the "
                   f"tables were written: {os.getloadavg()[0]:.1f}), single-threaded runs",
        "n": args.n, "seeds": {k: int(v) for k, v in seeds.items()},
        "tasks": sorted(set(df["task"])),
        "torch_mist_readout": "torch-mist SMILE: held-out 20 % read-out; '(train rows)': the "
                            "same runs read out on the rows they trained on",
    }
    cols = ["task", "estimator", "true_mi", "mean", "std", "runs", "log_ratio", "solved"]
    record = {"provenance": provenance,
              "summary": summary.reset_index().to_dict("records"),
              "task_means": means[cols].to_dict("records"),
              "interval_by_task": interval_by_task(df)}
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=1, default=float, allow_nan=True) + "\n")


if __name__ == "__main__":
    main()
