"""`make test` lints with ruff before the unit tests (make -n; nothing is run here)."""

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
def test_ruff_check_is_the_first_step_of_make_test():
    out = subprocess.run(["make", "-n", "test"], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout
    steps = [line for line in out.splitlines() if not line.lstrip().startswith("echo")]
    ruff = next(i for i, line in enumerate(steps) if line.rstrip().endswith("ruff check ."))
    pytest_ = next(i for i, line in enumerate(steps) if "-m pytest" in line)
    assert ruff < pytest_


def test_ruff_comes_with_the_test_extra_and_picks_its_rules():
    pyproject = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert any(req.replace(" ", "").startswith("ruff>=")
               for req in pyproject["project"]["optional-dependencies"]["test"])
    # Explicit rules: a newer ruff's defaults do not change what `make test` checks.
    assert pyproject["tool"]["ruff"]["lint"]["select"]
