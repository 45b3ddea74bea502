"""The BMI export reader (benchmarks/bmi_tasks.py): checksums, seeds and sizes are checked,
never substituted."""

import hashlib
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from mine_lib import InputError

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))
from bmi_tasks import bmi_tasks, family_of  # noqa: E402


def export(folder, task="spiral-multinormal-sparse-3-3-2-2.0", seed=1000, n=50):
    rng = np.random.default_rng(0)
    name = f"{task}__seed{seed}.npz"
    np.savez(folder / name, x=rng.standard_normal((n, 3), dtype=np.float32),
             z=rng.standard_normal((n, 3), dtype=np.float32), true_mi=1.02)
    entry = {"task": task, "name": task, "seed": seed, "n": n, "dim_x": 3, "dim_z": 3,
             "true_mi": 1.02, "file": name,
             "sha256": hashlib.sha256((folder / name).read_bytes()).hexdigest()}
    (folder / "manifest.json").write_text(json.dumps({"n": n, "files": [entry]}))
    return folder / name


def test_an_exported_task_reads_back_its_rows(tmp_path):
    export(tmp_path)
    (task,) = bmi_tasks(tmp_path)
    x, z = task.sample(20, 1000)
    assert x.shape == (20, 3) and z.shape == (20, 3) and task.true_mi == 1.02
    assert task.family == "bmi:spiral" and family_of("1v1-normal-0.75") == "bmi:normal"


def test_a_missing_seed_a_larger_n_and_a_changed_file_are_errors(tmp_path):
    path = export(tmp_path)
    (task,) = bmi_tasks(tmp_path)
    with pytest.raises(InputError, match="seed 1001 was not exported"):
        task.sample(20, 1001)
    with pytest.raises(InputError, match="51 rows asked, 50 exported"):
        task.sample(51, 1000)
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # one byte of the sample changed after the export
    path.write_bytes(bytes(data))
    with pytest.raises(InputError, match="checksum"):
        task.sample(20, 1000)
    with pytest.raises(InputError, match="no manifest.json"):
        bmi_tasks(tmp_path / "nowhere")
