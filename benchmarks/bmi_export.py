"""Export the 40 tasks of the BMI benchmark (Czyz et al. 2023) as samples the project reads.

Runs in the benchmark's own environment, never the project's (``bmi`` needs jax < 0.4.34):

    python3.11 -m venv /work/venv-bmi
    /work/venv-bmi/bin/pip install benchmark-mi "jax==0.4.31" "jaxlib==0.4.31"
    /work/venv-bmi/bin/python benchmarks/bmi_export.py --out ~/.cache/mine_lib/bmi --n 5000

writes, per task and seed, ``<task id>__seed<seed>.npz`` (x, z as float32, the true MI) and a
``manifest.json`` naming every file with its SHA-256, the true MI, the dimensions and the
bmi version. Files are written to a temporary name and renamed, so an interrupted export
leaves no half file; the manifest is written last. Seeds are 1000 + s, the seeds
``benchmark.run_one`` asks a task for; ``bmi_tasks.py`` reads the export in the project's
environment.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
from pathlib import Path

import numpy as np


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def export(out: Path, n: int, seeds: int) -> dict:
    import bmi

    out.mkdir(parents=True, exist_ok=True)
    files = []
    for task in bmi.benchmark.BENCHMARK_TASKS.values():
        for s in range(seeds):
            seed = 1000 + s
            x, z = task.sample(n, seed=seed)
            path = out / f"{task.id}__seed{seed}.npz"
            tmp = path.with_name(path.name + ".tmp.npz")
            np.savez(tmp, x=np.asarray(x, np.float32), z=np.asarray(z, np.float32),
                     true_mi=float(task.mutual_information))
            os.replace(tmp, path)
            files.append({"task": task.id, "name": task.name, "seed": seed, "n": n,
                          "dim_x": task.dim_x, "dim_z": task.dim_y,
                          "true_mi": float(task.mutual_information), "file": path.name,
                          "sha256": sha256(path)})
    manifest = {"source": "bmi.benchmark.BENCHMARK_TASKS", "bmi_version": bmi.__version__
                if hasattr(bmi, "__version__") else "unknown", "n": n, "files": files}
    tmp = out / "manifest.json.tmp"
    tmp.write_text(json.dumps(manifest, indent=1) + "\n")
    os.replace(tmp, out / "manifest.json")
    return manifest


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=Path.home() / ".cache" / "mine_lib" / "bmi")
    ap.add_argument("--n", type=int, default=5000, help="rows per sample (default 5000)")
    ap.add_argument("--seeds", type=int, default=3, help="seeds per task (1000, 1001, ...)")
    args = ap.parse_args()
    manifest = export(args.out, args.n, args.seeds)
    tasks = {f["task"] for f in manifest["files"]}
    print(f"{len(manifest['files'])} samples of {len(tasks)} tasks, n = {args.n}, in {args.out}")


if __name__ == "__main__":
    main()
