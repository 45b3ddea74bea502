"""`make lab`: the commands it would run (make -n; no server is started in a test)."""

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


@pytest.mark.skipif(shutil.which("make") is None, reason="no make")
def test_make_lab_registers_the_kernel_and_opens_book():
    out = subprocess.run(["make", "-n", "lab", "MINE_PROFILE=smoke"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    assert "-m ipykernel install --user --name mine-book" in out
    lab = next(line for line in out.splitlines() if "MINE_RESULTS_DIR=" in line)
    assert 'MINE_PROFILE="smoke"' in lab
    assert f"{ROOT}/_build/smoke/results" in lab  # where `make book` writes smoke results
    assert f'jupyter lab --notebook-dir "{ROOT}/book"' in out
    assert out.index("ipykernel install") < out.index("jupyter lab")


def test_lab_extra_is_the_book_plus_jupyterlab():
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = project["optional-dependencies"]
    assert "mine_lib[book]" in extras["lab"]
    assert any(req.startswith("jupyterlab") for req in extras["lab"])
    assert "ipykernel" in " ".join(extras["book"])
