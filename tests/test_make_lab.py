"""`make lab`: the commands it would run (make -n; no server is started in a test)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parents[1]


needs_make = pytest.mark.skipif(shutil.which("make") is None, reason="no make")


def make_n_lab(*variables: str) -> str:
    return subprocess.run(["make", "-n", "lab", *variables], cwd=ROOT, capture_output=True,
                          text=True, check=True).stdout


def jupyter_line(out: str) -> str:
    return next(line for line in out.splitlines() if "jupyter lab " in line)


@needs_make
def test_make_lab_registers_the_kernel_and_opens_book():
    out = make_n_lab("MINE_PROFILE=smoke")
    assert "-m ipykernel install --user --name mine-book" in out
    lab = next(line for line in out.splitlines() if "MINE_RESULTS_DIR=" in line)
    assert 'MINE_PROFILE="smoke"' in lab
    assert f"{ROOT}/_build/smoke/results" in lab  # where `make book` writes smoke results
    assert f'jupyter lab --notebook-dir "{ROOT}/book"' in out
    assert out.index("ipykernel install") < out.index("jupyter lab")


@needs_make
def test_make_lab_is_headless_on_localhost_8888_by_default():
    lab = jupyter_line(make_n_lab())
    assert "--no-browser" in lab
    assert '--ip="127.0.0.1"' in lab and '--port="8888"' in lab


@needs_make
def test_make_lab_takes_port_ip_and_extra_arguments_from_make_variables():
    lab = jupyter_line(make_n_lab("LAB_PORT=9123", "LAB_IP=0.0.0.0",
                                  "LAB_ARGS=--ServerApp.token=abc"))
    assert '--ip="0.0.0.0"' in lab and '--port="9123"' in lab
    assert lab.rstrip().endswith("--ServerApp.token=abc")


@needs_make
def test_make_lab_opens_a_browser_only_when_asked():
    assert "--no-browser" not in jupyter_line(make_n_lab("LAB_BROWSER=yes"))


@needs_make
@pytest.mark.parametrize("uid, allowed", [("0", True), ("1000", False)])
def test_make_lab_allows_root_only_as_root(uid, allowed):
    # Jupyter refuses to start as root without --allow-root (containers run as root).
    assert ("--allow-root" in jupyter_line(make_n_lab(f"LAB_UID={uid}"))) is allowed


@needs_make
def test_make_lab_as_this_user():
    root = hasattr(os, "getuid") and os.getuid() == 0
    assert ("--allow-root" in jupyter_line(make_n_lab())) is root


def test_lab_extra_is_the_book_plus_jupyterlab_and_myst():
    from packaging.requirements import Requirement

    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert "mine_lib[book]" in extras["lab"]
    names = {Requirement(req).name.lower() for req in extras["lab"]}
    assert "jupyterlab" in names
    # Renders the chapters' MyST (citations, labels, admonitions) instead of raw markup.
    assert "jupyterlab-myst" in names
    assert "ipykernel" in " ".join(extras["book"])
