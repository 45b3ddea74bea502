"""Every estimator on the ground-truth tasks: solved counts and seconds per estimator.

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

from mine_lib.experiments.benchmark import (
    COLUMNS,
    default_candidates,
    default_estimators,
    run_one,
    solved_summary,
    task_means,
)
from mine_lib.tasks import benchmark_tasks, staircase_tasks


def estimator_set(name: str, only: str | None):
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
    df = pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"], dtype={"error": object})
    df["error"] = df["error"].fillna("").astype(str)
    return df


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--tasks", default="paper", choices=["smoke", "standard", "paper"])
    ap.add_argument("--staircase", action="store_true", help="the 20-d high-MI staircase instead")
    ap.add_argument("--set", default="methods", choices=["methods", "candidates"],
                    help="methods: every method at its defaults; candidates: the default choices")
    ap.add_argument("--estimators", default=None, help="comma-separated labels to run")
    ap.add_argument("--seeds", type=int, default=3)
    ap.add_argument("--n", type=int, default=5000, help="samples per task")
    ap.add_argument("--out", type=Path, default=None, help="CSV of runs (appended, resumed)")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds after which no new run starts (resume later with --out)")
    args = ap.parse_args()

    tasks = staircase_tasks() if args.staircase else benchmark_tasks(args.tasks)
    estimators = estimator_set(args.set, args.estimators)
    done = load(args.out)
    have = {(r.task, r.estimator, int(r.seed)) for r in done.itertuples()}
    todo = [(t, e, s) for t in tasks for e in estimators for s in range(args.seeds)
            if (t.name, e.label, s) not in have]
    print(f"{len(tasks)} tasks x {len(estimators)} estimators x {args.seeds} seeds, n = {args.n}: "
          f"{len(have)} runs on file, {len(todo)} to run")
    start, rows = time.perf_counter(), done.to_dict("records")
    for task, estimator, seed in todo:
        if args.time_limit and time.perf_counter() - start > args.time_limit:
            print(f"time limit reached: {len(todo) - (len(rows) - len(done))} runs left; run again to resume")
            break
        row = run_one(task, estimator, seed, args.n)
        rows.append(row)
        print(f"  {task.name:32s} {estimator.label:14s} seed {seed}: {row['estimate']:7.3f} "
              f"(true {task.true_mi:.3f}) {row['seconds']:6.1f} s {row['error'][:60]}", flush=True)
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
    pd.set_option("display.width", 200)
    means = task_means(df)
    print("\nmean estimate over seeds (true MI in the first column)")
    table = means.pivot(index="task", columns="estimator", values="mean")
    table.insert(0, "true", means.groupby("task")["true_mi"].first())
    print(table.round(3).to_string())
    summary = solved_summary(df)
    print(f"\nsolved: |log(mean estimate / true)| < log 1.5, of {len(names)} tasks")
    print(summary.round(3).to_string())


if __name__ == "__main__":
    main()
