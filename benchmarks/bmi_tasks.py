"""The BMI benchmark's tasks as ``mine_lib.tasks.Task`` objects, read from an export made by
``bmi_export.py`` (in the benchmark's own environment). Each file's SHA-256 is checked
against the manifest before it is used; a seed or a size that was not exported is an error,
never a silent substitute."""

from __future__ import annotations

import hashlib
import json
from functools import partial
from pathlib import Path

import numpy as np

from mine_lib.errors import InputError
from mine_lib.tasks import Task


def family_of(task_id: str) -> str:
    """BMI's task families by their outer transform: ``bmi:spiral``, ``bmi:student``, ..."""
    head = task_id.split("-")[0]
    return "bmi:" + ("normal" if head == "1v1" else head)


def _sample(folder: Path, files: dict, task_id: str, n: int, seed: int):
    entry = files.get((task_id, seed))
    if entry is None:
        raise InputError(f"{task_id}: seed {seed} was not exported (run bmi_export.py with "
                         f"more --seeds)")
    if n > entry["n"]:
        raise InputError(f"{task_id}: {n} rows asked, {entry['n']} exported")
    path = folder / entry["file"]
    if hashlib.sha256(path.read_bytes()).hexdigest() != entry["sha256"]:
        raise InputError(f"{path} does not match its checksum in the manifest")
    with np.load(path) as data:
        return data["x"][:n], data["z"][:n]


def bmi_tasks(folder: Path) -> list[Task]:
    """One Task per exported BMI task, its samples read from ``folder``."""
    folder = Path(folder)
    manifest_path = folder / "manifest.json"
    if not manifest_path.is_file():
        raise InputError(f"no manifest.json in {folder}: run benchmarks/bmi_export.py first")
    manifest = json.loads(manifest_path.read_text())
    files = {(f["task"], f["seed"]): f for f in manifest["files"]}
    tasks = {}
    for f in manifest["files"]:
        tasks.setdefault(f["task"], Task(
            name=f["task"], true_mi=f["true_mi"], dim_x=f["dim_x"], dim_z=f["dim_z"],
            family=family_of(f["task"]),
            sampler=partial(_sample, folder, files, f["task"])))
    return list(tasks.values())
