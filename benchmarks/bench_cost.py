"""What an estimate costs as the rows grow: the default and KSG on a 2 + 2-dimensional
Gaussian (rho 0.5) at 1,000, 5,000, 50,000 and 500,000 rows, two seeds, single-threaded (CPU
seconds) and on both cores (wall seconds). Prints every run; asserts nothing.

    .venv/bin/python benchmarks/bench_cost.py                 print only
    .venv/bin/python benchmarks/bench_cost.py --record        also write
                                  book/recorded/cost_by_rows.json for chapter 10
Run it on an otherwise idle machine, from committed code (the recording notes both).
About 6 minutes here.
"""

from __future__ import annotations

import argparse
import sys

from mine_lib.experiments import cost


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--record", action="store_true", help=f"write {cost.COST_RECORD}")
    ap.add_argument("--rows", default=",".join(str(n) for n in cost.ROWS))
    ap.add_argument("--seeds", type=int, default=2)
    args = ap.parse_args()
    rows = [int(v) for v in args.rows.split(",")]
    runs = cost.cost_runs(rows=rows, seeds=range(args.seeds))
    if args.record:
        record = cost.record_cost(runs, " ".join(["python", *sys.argv]))
        print(cost.cost_table(record).round(3).to_string())
        print(f"recorded to {cost.COST_RECORD}")


if __name__ == "__main__":
    main()
