"""Recorded runs: a profile too long for ``make book`` (``long``, ``paper``) is run once by a
command and its results kept, with provenance, under ``book/recorded/<profile>/``.

    python -m mine_lib.experiments.record CHAPTER [--profile long]

executes ``book/CHAPTER.ipynb`` top to bottom with ``MINE_PROFILE=<profile>`` (the chapter's
own experiment code, nothing else), reads the results JSON it writes, and writes
``book/recorded/<profile>/CHAPTER.json``: the results, plus the profile, the chapter's
settings for that profile and their hash, the commit, the date, the machine and the command.
Nothing in a recording is written by hand.

The *settings* of a chapter for a profile are the source text of the argument that every
``profiles.choose(...)`` call in its code cells picks for that profile (``standard`` where a
call gives no ``long``), and of every ``profiles.fixed(...)`` (a setting the same in all
profiles). A recording is stale when the hash of the chapter's current
settings differs from the one it was recorded with; ``stale_recordings`` lists them (a test
runs it).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import argparse
import ast
import datetime
import hashlib
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from ..errors import InputError
from . import profiles

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
RECORDED = BOOK / "recorded"


def code_cells(notebook: Path) -> list[str]:
    cells = json.loads(notebook.read_text())["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _profiles_call(call: ast.Call, name: str) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == name
            and isinstance(f.value, ast.Name) and f.value.id == "profiles")


def settings(notebook: Path, profile: str) -> list[str]:
    """The source of what each ``profiles.choose`` call picks for ``profile``, and of each
    ``profiles.fixed`` call's value, in order."""
    if profile not in profiles.PROFILES:
        raise InputError(f"unknown profile {profile!r}; use one of {', '.join(profiles.PROFILES)}")
    picked = []
    for source in code_cells(notebook):
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        for node in ast.walk(ast.parse("\n".join(lines))):
            if isinstance(node, ast.Call) and _profiles_call(node, "fixed"):
                picked.append(ast.unparse(node.args[0]) if node.args else "None")
            if isinstance(node, ast.Call) and _profiles_call(node, "choose"):
                args = dict(zip(("smoke", "standard", "paper", "long"), node.args))
                args.update({k.arg: k.value for k in node.keywords})
                chosen = args.get(profile)
                if chosen is None and profile == "long":
                    chosen = args.get("standard")
                picked.append(ast.unparse(chosen) if chosen is not None else "None")
    return picked


def settings_hash(picked: list[str]) -> str:
    return hashlib.sha256(json.dumps(picked).encode()).hexdigest()[:16]


def git_commit() -> str:
    def git(*args):
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True).stdout.strip()

    commit = git("rev-parse", "HEAD") or "unknown"
    return commit + ("+uncommitted changes" if git("status", "--porcelain", "--", "book", "mine_lib")
                     else "")


def execute(notebook: Path, profile: str, results_dir: Path, timeout: int) -> float:
    """Run the notebook in its folder with the profile; return the wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    env = {"MINE_PROFILE": profile, "MINE_RESULTS_DIR": str(results_dir)}
    old = {k: os.environ.get(k) for k in env}
    os.environ.update(env)  # the kernel inherits this process's environment
    start = time.time()
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(notebook.parent)}}).execute()
    finally:
        for k, v in old.items():
            os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    return time.time() - start


def record(chapter: str, profile: str = "long", timeout: int = 7200, book: Path = BOOK) -> Path:
    notebook = book / f"{chapter}.ipynb"
    if not notebook.is_file():
        raise InputError(f"no chapter {chapter!r}: {notebook} does not exist")
    picked = settings(notebook, profile)
    commit = git_commit()  # the code that runs: later commits during a long run do not count
    with tempfile.TemporaryDirectory() as tmp:
        wall = execute(notebook, profile, Path(tmp), timeout)
        produced = Path(tmp) / f"{chapter}.json"
        if not produced.is_file():
            raise InputError(f"{chapter} ran but wrote no results JSON ({produced.name})")
        results = json.loads(produced.read_text())
    out = book / "recorded" / profile / f"{chapter}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    recording = {
        "chapter": chapter, "profile": profile, "settings": picked,
        "settings_hash": settings_hash(picked), "commit": commit,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"node": platform.node(), "processor": platform.machine(),
                    "cpus": os.cpu_count(), "python": platform.python_version()},
        "command": f"python -m mine_lib.experiments.record {chapter} --profile {profile}",
        "wall_seconds": round(wall, 1), "results": results,
    }
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(recording, indent=1) + "\n")
    tmp_out.replace(out)
    return out


def load_recording(chapter: str, profile: str = "long") -> dict | None:
    """The recorded run of a chapter in a profile, or None (chapters show it beside theirs)."""
    path = RECORDED / profile / f"{chapter}.json"
    return json.loads(path.read_text()) if path.is_file() else None


def is_stale(rec: dict, book: Path = BOOK) -> bool:
    notebook = book / f"{rec['chapter']}.ipynb"
    return not notebook.is_file() or \
        settings_hash(settings(notebook, rec["profile"])) != rec["settings_hash"]


def provenance_rows(rec: dict, book: Path = BOOK) -> list[tuple[str, str]]:
    """The lines of a recording's box: what ran, where, when, and whether it is current."""
    from .results import duration

    machine = rec.get("machine", {})
    commit = str(rec.get("commit", "unknown"))
    state = ("stale: the chapter's settings changed since; rerun the command" if is_stale(rec, book)
             else "current: recorded with this chapter's settings")
    return [
        ("Profile", str(rec.get("profile"))),
        ("Command", rec.get("command", "")),
        ("Commit", commit[:10] + (" (with uncommitted changes)" if "+" in commit else "")),
        ("Date", str(rec.get("date", ""))[:16].replace("T", " ") + " UTC"),
        ("Machine", f"{machine.get('cpus')} CPUs, {machine.get('processor')}, "
                    f"Python {machine.get('python')}"),
        ("Wall time", duration(float(rec.get("wall_seconds", 0.0)))),
        ("Settings", f"hash {rec.get('settings_hash')}; {state}"),
    ]


def recorded_run(chapter: str, profile: str = "long", book: Path = BOOK):
    """The box a chapter shows beside its own run: the recording's provenance, or a line
    saying there is none and how to make it. Returns (recording or None, box)."""
    from .results import RunBox

    path = book / "recorded" / profile / f"{chapter}.json"
    if not path.is_file():
        return None, RunBox([("Recording", f"none yet; make it with `python -m "
                                           f"mine_lib.experiments.record {chapter} --profile "
                                           f"{profile}`")], title=f"Recorded {profile} run")
    rec = json.loads(path.read_text())
    return rec, RunBox(provenance_rows(rec, book), title=f"Recorded {profile} run (not this build)")


def stale_recordings(recorded: Path = RECORDED, book: Path = BOOK) -> list[str]:
    """Recordings whose settings hash no longer matches their chapter's settings."""
    stale = []
    for path in sorted(recorded.glob("*/*.json")):
        rec = json.loads(path.read_text())
        notebook = book / f"{rec['chapter']}.ipynb"
        if not notebook.is_file():
            stale.append(f"{path.name}: the chapter {notebook.name} no longer exists")
        elif is_stale(rec, book):
            stale.append(f"{path.parent.name}/{path.name}: recorded with other settings; "
                         f"rerun `{rec['command']}`")
    return stale


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mine_lib.experiments.record",
                                 description="Run a chapter in a long profile and record it.")
    ap.add_argument("chapter", help="e.g. 08_ali_reconstruction")
    ap.add_argument("--profile", default="long", choices=("long", "paper"))
    ap.add_argument("--timeout", type=int, default=7200, help="seconds per cell")
    args = ap.parse_args(argv)
    try:
        out = record(args.chapter, args.profile, args.timeout)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"recorded {args.chapter} ({args.profile}) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
