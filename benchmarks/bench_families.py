"""The default estimator and KSG on task families that are not Gaussian copulas (issue 22).

Families (``mine_lib.families``): Gaussian mixtures in (x, z) (X-shape, shuffled clusters,
ring, a random 5 + 5-dimensional mixture), scale mixtures (a three-scale mixture and two
Student-t tasks) and discrete-continuous pairs (a class label and Gaussian class
conditionals). Truths are Monte Carlo integrals over 200,000 fresh samples (standard error
printed beside them) or closed forms (Student-t, standard error 0).

Per family, one table: per task and estimator the true MI, the median estimate over seeds,
solved (|log(median estimate / true)| < log 1.5, the criterion of Czyz et al. 2023) and the
share of single runs solved, the median |estimate - true|, how many of the default's 95 %
intervals (``ci_low``, ``ci_high``) hold the truth (KSG gives none: "-"), and seconds per
estimate (wall, single-threaded). Data of seed s are ``task.sample(n, 1000 + s)``, as in
``bench_estimators.py``. Prints figures; asserts nothing (a shared, noisy machine).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_families.py --quick
    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/bench_families.py --n 5000 --seeds 1 \
        --family gaussian-mixture          (one family per run keeps each run short)

Measured on 2026-12-07 on a shared 2-core CPU (load average 4 to 7 from other developers'
torch jobs, so the seconds are inflated), single-threaded, commit after 78bcc56:

RESULTS
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import numpy as np
import pandas as pd
import torch

from mine_lib.experiments.benchmark import COLUMNS, Estimator, is_solved, log_ratio, run_one
from mine_lib.families import FAMILIES, tasks_of

ESTIMATORS = (Estimator("default", "crossfit"), Estimator("KSG k=3", "ksg", {"k": 3}))


def family_table(rows: pd.DataFrame, tasks: dict) -> pd.DataFrame:
    """One line per (task, estimator) from the runs of one family."""
    out = []
    for (name, label), g in rows.groupby(["task", "estimator"], sort=False):
        task = tasks[name]
        median = float(np.median(g["estimate"]))
        covered = pd.to_numeric(g["covered"], errors="coerce").dropna()
        out.append({
            "task": name, "estimator": label,
            "true": f"{task.true_mi:.3f}" + (f" ± {task.true_mi_se:.3f}" if task.true_mi_se else ""),
            "median est": round(median, 3),
            "solved": "yes" if is_solved(log_ratio(median, task.true_mi)) else "no",
            "runs solved": f"{int(g['solved'].astype(bool).sum())}/{len(g)}",
            "median |err|": round(float(np.median(np.abs(g["estimate"] - task.true_mi))), 3),
            "interval covers": f"{int(covered.astype(bool).sum())}/{len(covered)}"
                               if len(covered) else "-",
            "wall s": round(float(g["seconds"].mean()), 2),
            "CPU s": round(float(g["cpu_seconds"].mean()), 2),
        })
    return pd.DataFrame(out)


def load(path: Path | None) -> pd.DataFrame:
    if path is None or not path.exists():
        return pd.DataFrame(columns=COLUMNS)
    return pd.read_csv(path, keep_default_na=False, na_values=["", "nan", "NaN"],
                       dtype={"error": object, "warnings": object})


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=5000, help="rows per estimate (default 5000)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per task and estimator")
    ap.add_argument("--quick", action="store_true",
                    help="a smoke run: n = 1000, one seed, the first task of each family")
    ap.add_argument("--family", action="append", choices=FAMILIES, default=None,
                    help="run only this family (repeatable; default: all)")
    ap.add_argument("--out", type=Path, default=None,
                    help="CSV of runs, appended; runs already in it are not run again")
    ap.add_argument("--time-limit", type=float, default=None,
                    help="seconds after which no new run starts (resume later with --out)")
    args = ap.parse_args()
    if args.quick:
        args.n, args.seeds = 1000, 1
    torch.set_num_threads(1)
    families = args.family or list(FAMILIES)
    print(f"families {', '.join(families)}; n = {args.n}; seeds {args.seeds}; "
          f"estimators: {', '.join(e.label for e in ESTIMATORS)}; torch threads "
          f"{torch.get_num_threads()}", flush=True)
    done = load(args.out)
    done = done[done["n"].astype(int) == args.n] if len(done) else done
    have = {(r.task, r.estimator, int(r.seed)) for r in done.itertuples()}
    start, rows = time.perf_counter(), done.to_dict("records")
    tasks = {}
    for family in families:
        chosen = tasks_of(family)[:1] if args.quick else tasks_of(family)  # builds the truths
        tasks.update({t.name: t for t in chosen})
    for task in tasks.values():
        for estimator in ESTIMATORS:
            for seed in range(args.seeds):
                if (task.name, estimator.label, seed) in have:
                    continue
                if args.time_limit and time.perf_counter() - start > args.time_limit:
                    print("time limit reached; run the same command again to resume")
                    break
                row = run_one(task, estimator, seed, args.n)
                rows.append(row)
                print(f"  {task.name:24s} {estimator.label:8s} seed {seed}: "
                      f"{row['estimate']:7.3f} (true {task.true_mi:.3f}) "
                      f"{row['seconds']:5.1f} s", flush=True)
                if args.out:
                    pd.DataFrame([row], columns=COLUMNS).to_csv(
                        args.out, mode="a", index=False,
                        header=not args.out.exists() or args.out.stat().st_size == 0)
    df = pd.DataFrame(rows, columns=COLUMNS)
    df = df[df["task"].isin(tasks) & (df["seed"].astype(int) < args.seeds)]
    pd.set_option("display.width", 200)
    for family in families:
        part = df[df["task"].isin([t.name for t in tasks.values() if t.family == family])]
        if part.empty:
            continue
        table = family_table(part, tasks)
        solved = table.groupby("estimator", sort=False)["solved"].apply(lambda s: (s == "yes").sum())
        count = table["task"].nunique()
        print(f"\n{family} (n = {args.n}, {args.seeds} seed(s)); tasks solved: "
              + ", ".join(f"{k} {v}/{count}" for k, v in solved.items()))
        print(table.to_string(index=False))
    print(f"\nthis call: {time.perf_counter() - start:.0f} s")


if __name__ == "__main__":
    main()
