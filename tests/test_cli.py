"""The command line: results as JSON, and one clear line for every bad input."""

import json
import subprocess
import sys

import numpy as np
import pytest

import mine_lib.__main__ as cli
from mine_lib.__main__ import main
from mine_lib.errors import InputError
from mine_lib.estimator import estimate_mi, methods
from mine_lib.tasks import correlated_gaussian


def run_main(capsys, *args):
    """The command line in this process (no torch import per call): (exit code, out, err)."""
    try:
        code = main([str(a) for a in args])
    except SystemExit as stop:  # argparse refusing an argument
        code = stop.code
    out = capsys.readouterr()
    return code, out.out, out.err


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
    assert result["method"] == "crossfit"  # the default
    assert abs(result["mi"] - truth) < 0.25
    assert result["lower_bound"] < result["mi"] and result["lower_level"] == 0.975
    assert "ci_high" not in result  # no upper end is promised
    assert isinstance(result["warnings"], list)


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
    (("x.npy", "z.npy", "--batch-size", "0"), "batch size must be positive, got 0"),
    (("x.npy", "z.npy", "--max-steps", "-3"), "max steps must be positive, got -3"),
    (("x.npy", "z.npy", "--max-steps", "0"), "max steps must be positive, got 0"),
    (("x.npy", "z.npy", "--seed", "-1"), "seed must be zero or more, got -1"),
    (("x.npy", "z.npy", "--seed", "1.5"), "seed must be an integer"),
    (("x.npy", "z.npy", "--seed", str(2**70)), "seed must be at most 4294967295"),
    (("x.npy", "z.npy", "--method", "ksg", "--max-steps", "5"), "apply to neural methods"),
    (("x.npy", "z.npy", "--method", "ksg", "--growth-check"), "applies to the default method"),
    (("z.npz:nokey", "z.npy"), "no array named 'nokey'"),
    (("x.npy",), "give two files"),
])
def test_bad_input_one_line_and_nonzero_exit(files, capsys, monkeypatch, args, message):
    monkeypatch.chdir(files)
    code, out, err = run_main(capsys, "estimate", *args)
    assert code == 2
    assert err.startswith("error: ") and message in err
    assert err.strip().count("\n") == 0 and out == ""


def test_bad_input_from_a_real_process_has_no_traceback(files):
    out = run("estimate", "x.npy", "z.npy", "--seed", "-1", cwd=files)
    assert out.returncode == 2
    assert out.stderr.startswith("error: argument --seed: seed must be zero or more")
    assert out.stderr.strip().count("\n") == 0


def test_methods_one_line_each_with_a_description(capsys):
    code, out, _ = run_main(capsys, "methods")
    assert code == 0
    lines = out.strip().splitlines()
    assert [ln.split()[0] for ln in lines] == methods()
    assert all(len(ln.split(None, 1)[1]) > 20 and "undocumented" not in ln for ln in lines)


def test_npz_keys_by_name_or_option_agree(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    np.savez("both.npz", x=np.load("x.npy"), z=np.load("z.npy"))
    results = []
    for args in (("both.npz:x", "both.npz:z"), ("both.npz", "--x-key", "x", "--z-key", "z"),
                 ("x.npy", "z.npy")):
        code, out, err = run_main(capsys, "estimate", *args, "--method", "ksg", "--json")
        assert code == 0, err
        results.append(json.loads(out)["mi"])
    assert results[0] == results[1] == results[2]


def test_header_detection_is_reported_on_stderr(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    np.savetxt("z.txt", np.load("z.npy"))  # whitespace-separated, no header
    code, out, err = run_main(capsys, "estimate", "x.csv", "z.txt", "--method", "ksg", "--json")
    assert code == 0
    assert "note: x.csv: header row detected (a, b)" in err
    assert "note: z.txt: no header row; 2000 rows x 2 columns separated by spaces" in err
    reference = estimate_mi(np.load("x.npy"), np.load("z.npy"), method="ksg").mi
    assert json.loads(out)["mi"] == pytest.approx(reference, abs=1e-9)


@pytest.mark.parametrize("scale", [1e300, 1e-300, 1e-310])
def test_extreme_magnitudes_give_the_same_estimate(files, scale):
    x = np.load(files / "x.npy")[:600].astype(np.float64)  # float32 cannot hold 1e300
    z = np.load(files / "z.npy")[:600].astype(np.float64)
    for method, options in (("ksg", {}), ("mine", {"max_steps": 60, "eval_every": 20})):
        plain = estimate_mi(x, z, method=method, **options).mi
        scaled = estimate_mi(x * scale, z / scale if scale > 1 else z, method=method, **options)
        assert plain > 0.3  # the data are strongly dependent: a 0 would be the old bug
        assert scaled.mi == pytest.approx(plain, abs=1e-3), method
        assert not scaled.warnings


def test_constant_column_warning_in_json_and_on_stderr(files, capsys, monkeypatch):
    monkeypatch.chdir(files)
    x = np.load("x.npy")
    np.save("xc.npy", np.c_[x, np.full(len(x), 3.0)])
    code, out, err = run_main(capsys, "estimate", "xc.npy", "z.npy", "--method", "ksg", "--json")
    assert code == 0
    assert json.loads(out)["warnings"] == [{"code": "constant-columns",
                                            "message": "x has a constant column (index 2), which "
                                                       "carries no information"}]
    code, out, err = run_main(capsys, "estimate", "xc.npy", "z.npy", "--method", "ksg")
    assert out.startswith("I(X;Z) = ")
    assert "warning: x has a constant column (index 2)" in err
    np.save("zc.npy", np.ones((len(x), 1)))
    code, out, err = run_main(capsys, "estimate", "x.npy", "zc.npy", "--method", "ksg")
    assert "warning: every column of z is constant" in err
    code, out, err = run_main(capsys, "estimate", "x.npy", "z.npy", "--method", "ksg")
    assert "warning" not in err


def test_library_refuses_a_seed_out_of_range():
    x = np.random.default_rng(0).normal(size=(100, 1))
    for method in ("ksg", "mine"):
        for seed in (-1, 2**64, 1.0, True):
            with pytest.raises(InputError, match="seed must be an integer from 0"):
                estimate_mi(x, x, method=method, seed=seed)


@pytest.mark.parametrize("error, code, words", [
    (RuntimeError("CUDA error: device-side assert triggered\nmore detail"), 1,
     "RuntimeError: CUDA error: device-side assert triggered more detail"),
    (MemoryError(), 1, "out of memory"),
    (KeyboardInterrupt(), 130, "interrupted"),
])
def test_foreign_errors_one_line_and_debug_shows_them(files, capsys, monkeypatch, error, code,
                                                     words):
    def broken(*args, **kwargs):
        raise error

    monkeypatch.chdir(files)
    monkeypatch.setattr(cli, "estimate_mi", broken)
    got, out, err = run_main(capsys, "estimate", "x.npy", "z.npy")
    assert got == code
    assert err.startswith("error: ") and words in err
    assert err.count("\n") == 1 and out == ""
    with pytest.raises(type(error)):
        main(["estimate", "x.npy", "z.npy", "--debug"])
    with pytest.raises(type(error)):
        main(["--debug", "estimate", "x.npy", "z.npy"])


def test_debug_prints_the_traceback_from_the_command_line(files):
    out = run("estimate", "x3d.npy", "z.npy", "--debug", cwd=files)
    assert out.returncode != 0
    assert "Traceback" in out.stderr and "InputError" in out.stderr
