"""The command line: results as JSON, and one clear line for every bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

from mine_lib.tasks import correlated_gaussian


def run(*args, cwd):
    return subprocess.run([sys.executable, "-m", "mine_lib", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, timeout=300)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("cli")
    x, z = correlated_gaussian(2000, 2, 0.8, seed=0)
    np.save(d / "x.npy", x)
    np.save(d / "z.npy", z)
    np.savez(d / "z.npz", z=z)
    np.savetxt(d / "x.csv", x, delimiter=",", header="a,b", comments="")
    np.save(d / "x3d.npy", np.zeros((10, 2, 2)))
    np.save(d / "short.npy", x[:100])
    bad = x.copy()
    bad[5, 1] = np.nan
    np.save(d / "nan.npy", bad)
    (d / "empty.csv").write_text("")
    (d / "broken.npy").write_bytes(b"this is not numpy")
    (d / "ragged.csv").write_text("1,2\n3\n")
    return d


def test_json_output_for_every_file_type(files):
    truth = -np.log(1 - 0.8 ** 2)  # d = 2
    out = run("estimate", "x.csv", "z.npz", "--json", "--seed", "1", "--max-steps", "1500", cwd=files)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout)
    assert result["method"] == "mine"
    assert abs(result["mi"] - truth) < 0.25


def test_ksg_method_from_the_command_line(files):
    out = run("estimate", "x.npy", "z.npy", "--method", "ksg", "--json", cwd=files)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)["method"] == "ksg"


@pytest.mark.parametrize("args, message", [
    (("x.npy", "short.npy"), "same number of rows"),
    (("nan.npy", "z.npy"), "NaN or infinite"),
    (("x3d.npy", "z.npy"), "1-D or 2-D"),
    (("empty.csv", "z.npy"), "empty"),
    (("broken.npy", "z.npy"), "cannot read"),
    (("ragged.csv", "z.npy"), "different numbers of columns"),
    (("missing.npy", "z.npy"), "no such file"),
    (("x.npy", "z.npy", "--method", "magic"), "unknown method"),
    (("x.npy", "z.npy", "--batch-size", "0"), "batch_size must be a positive integer"),
    (("x.npy", "z.npy", "--max-steps", "-3"), "max_steps must be a positive integer"),
])
def test_bad_input_one_line_and_nonzero_exit(files, args, message):
    out = run("estimate", *args, cwd=files)
    assert out.returncode == 2
    assert message in out.stderr
    assert "Traceback" not in out.stderr
    assert out.stderr.strip().count("\n") == 0
