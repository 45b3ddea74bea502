"""`pip install .` without extras gives a working `mine-lib` command and `import mine_lib`.

Marked `install` (about 30 s): it creates a fresh virtual environment, so it is the slowest
unit test; deselect it with `-m "not install"` when iterating.

How, and why this way: a real `pip install --no-deps --no-build-isolation .` of a copy of
the package into a new venv made with `python -m venv` (no system site-packages). Downloading
torch into every test run would take minutes and needs the network, so the library's
dependencies come from the environment running the tests, but only they: the test resolves
the closure of the package's declared `dependencies` (torch, numpy, scipy, tqdm and what they
require, read from their installed metadata, plus setuptools, the build backend) and links
just those distributions into a folder that a `.pth` file puts on the new venv's path.
pandas, matplotlib, seaborn, IPython and the rest of the book's extras are not there, which
the test checks, so an accidental import of them by the library fails here.
"""

from __future__ import annotations

import importlib.metadata as metadata
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    tomllib = pytest.importorskip("tomli")

pytestmark = pytest.mark.install
ROOT = Path(__file__).resolve().parents[1]
BOOK_ONLY = ("pandas", "matplotlib", "seaborn", "IPython", "myst_nb")


def declared_dependencies() -> list[str]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return list(project["project"]["dependencies"])


def closure(requirements: list[str]) -> set[str]:
    """Distribution names needed by ``requirements`` (extras off), from installed metadata."""
    from packaging.requirements import Requirement

    needed: set[str] = set()
    todo = list(requirements)
    while todo:
        req = Requirement(todo.pop())
        if req.marker is not None and not req.marker.evaluate({"extra": ""}):
            continue
        name = re.sub(r"[-_.]+", "-", req.name).lower()
        if name in needed:
            continue
        needed.add(name)
        todo += metadata.distribution(name).requires or []
    return needed


def link_distributions(names: set[str], folder: Path) -> None:
    """Symlink every top-level file or package of the named distributions into ``folder``."""
    folder.mkdir()
    for name in names:
        dist = metadata.distribution(name)
        base = Path(dist.locate_file(""))
        for top in {Path(f).parts[0] for f in dist.files or []}:
            if top == ".." or top.endswith(".pth") or (folder / top).exists():
                continue
            if (base / top).exists():
                (folder / top).symlink_to(base / top)


def run(cmd, **kwargs):
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["OMP_NUM_THREADS"] = "1"
    return subprocess.run(cmd, capture_output=True, text=True, env=env, timeout=300, **kwargs)


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX venv layout (bin/)")
def test_plain_install_gives_the_command_and_the_library_only(tmp_path):
    pytest.importorskip("packaging")
    src = tmp_path / "src"  # a copy: building writes build/ and *.egg-info next to the source
    src.mkdir()
    for item in ("pyproject.toml", "README.md"):
        shutil.copy2(ROOT / item, src / item)
    shutil.copytree(ROOT / "mine_lib", src / "mine_lib",
                    ignore=shutil.ignore_patterns("__pycache__"))

    needed = closure(declared_dependencies()) | {"setuptools"}
    assert {"torch", "numpy", "scipy", "tqdm"} <= needed
    assert not needed & {"pandas", "matplotlib", "seaborn"}
    venv = tmp_path / "venv"
    made = run([sys.executable, "-m", "venv", "--without-pip", str(venv)])
    assert made.returncode == 0, made.stderr
    python = venv / "bin" / "python"
    site = Path(run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"]
                    ).stdout.strip())
    link_distributions(needed, tmp_path / "deps")
    (site / "_library_deps.pth").write_text(str(tmp_path / "deps") + "\n")

    # pip itself runs from this environment and installs into the new one (--python).
    pip = run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps",
               "--no-build-isolation", "--no-index", "--quiet", str(src)], cwd=tmp_path)
    assert pip.returncode == 0, pip.stdout + pip.stderr

    probe = ("import importlib.util as u, mine_lib, mine_lib.io, mine_lib.ksg; "
             "print(mine_lib.__file__); "
             f"print([m for m in {BOOK_ONLY!r} if u.find_spec(m)])")
    out = run([str(python), "-c", probe], cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    where, book_modules = out.stdout.splitlines()
    assert where.startswith(str(site)), where  # the installed copy, not the source tree
    assert book_modules == "[]"  # the book's extras are not importable there

    requires = run([str(python), "-c", "import importlib.metadata as m; "
                    "print('\\n'.join(m.requires('mine_lib')))"]).stdout.splitlines()
    plain = sorted(re.split("[=<>;~! ]", r)[0] for r in requires if "extra ==" not in r)
    assert plain == ["numpy", "scipy", "torch", "tqdm"]
    # The installed metadata asks for a torch range (it lives beside a user's torch); the
    # exact CPU build is the book's, in constraints.txt (tests/test_constraints.py).
    from packaging.requirements import Requirement

    torch_req = Requirement(next(r for r in requires if r.startswith("torch")))
    assert not any(s.operator in ("==", "===") for s in torch_req.specifier), torch_req
    assert torch_req.specifier.contains(metadata.version("torch").split("+")[0]), torch_req

    rng = np.random.default_rng(0)
    x = rng.normal(size=(400, 1))
    np.save(tmp_path / "x.npy", x)
    np.savetxt(tmp_path / "z.csv", x + 0.5 * rng.normal(size=(400, 1)), header="z", comments="")
    command = venv / "bin" / "mine-lib"
    listed = run([str(command), "methods"], cwd=tmp_path)
    assert listed.returncode == 0 and {"crossfit", "dv", "ksg"} <= {
        line.split()[0] for line in listed.stdout.splitlines() if line.strip()}, listed.stderr
    estimated = run([str(command), "estimate", "x.npy", "z.csv", "--method", "mine",
                     "--max-steps", "30", "--json"], cwd=tmp_path)
    assert estimated.returncode == 0, estimated.stderr
    assert json.loads(estimated.stdout)["method"] == "mine"
    assert "header row detected (z)" in estimated.stderr
