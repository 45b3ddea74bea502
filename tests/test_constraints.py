"""torch: a range for the package, the exact CPU build for the book's own environment.

The library must install beside a user's torch, so pyproject.toml declares a range; the
book (make book/test/lab) takes the exact build from constraints.txt, which the Makefile
passes to every `pip install` and which its venv stamps depend on. Read with `make -n`
and `make -p` only: nothing is installed here.
"""

import re
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


def torch_requirement():
    from packaging.requirements import Requirement

    deps = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["dependencies"]
    (torch,) = [Requirement(d) for d in deps if Requirement(d).name == "torch"]
    return torch


def constraint_pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, _, version = line.partition("==")
            assert version, f"constraints.txt: not an exact pin: {line!r}"
            pins[name.strip().lower()] = version.strip()
    return pins


def test_package_asks_for_a_torch_range_that_holds_the_pinned_build():
    pytest.importorskip("packaging")
    spec = torch_requirement().specifier
    assert all(s.operator not in ("==", "===") for s in spec), f"torch pinned exactly: {spec}"
    assert any(s.operator in (">=", ">") for s in spec) and any(
        s.operator in ("<", "<=") for s in spec), f"torch range not bounded both ways: {spec}"
    pinned = constraint_pins()["torch"]
    assert spec.contains(pinned), f"constraints.txt torch=={pinned} is outside {spec}"


@needs_make
@pytest.mark.parametrize("target", ["book", "test", "lab"])
def test_every_pip_install_of_make_uses_the_constraints(target):
    # -B: print every recipe, as on a fresh machine, whatever .venv/ holds now.
    out = subprocess.run(["make", "-B", "-n", target], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout
    installs = [line for line in out.splitlines()
                if re.search(r"-m pip install\b", line) and not line.lstrip().startswith("echo")]
    assert installs, out
    for line in installs:
        assert "-c constraints.txt" in line, line


@needs_make
def test_venv_stamps_depend_on_the_constraints():
    db = subprocess.run(["make", "-p", "-n", "help"], cwd=ROOT, capture_output=True,
                        text=True, check=True).stdout
    for extra in ("book", "test", "lab"):
        rule = next(line for line in db.splitlines()
                    if line.startswith(f".venv/.stamp-{extra}:"))
        prerequisites = rule.split(":", 1)[1].split("|")[0].split()
        assert {"pyproject.toml", "constraints.txt"} <= set(prerequisites), rule
