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
settings differs from the one it was recorded with, or when it was made from uncommitted
code (its numbers cannot be reproduced from any commit); ``stale_recordings`` lists them (a
test runs it). ``record`` refuses uncommitted code unless told ``--dirty``.

The provenance names what changes numbers: torch's thread count (fixed for the kernel with
``OMP_NUM_THREADS``), whether torch's deterministic algorithms were on, and the versions of
Python, torch and numpy. ``--check CHAPTER`` reruns a recording's chapter with its profile
and the recorded thread count and prints every number and decision that differs.

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


def conditions(threads: int) -> dict:
    """What besides the code and the settings changes a recording's numbers."""
    from importlib import metadata

    def version(name):
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return None

    return {"torch_threads": threads, "deterministic_algorithms": False,
            "python": platform.python_version(), "torch": version("torch"),
            "numpy": version("numpy")}


def execute(notebook: Path, profile: str, results_dir: Path, timeout: int,
            threads: int = 2) -> float:
    """Run the notebook in its folder with the profile and ``threads`` threads for torch;
    return the wall time in seconds."""
    import nbformat
    from nbclient import NotebookClient

    nb = nbformat.read(notebook, as_version=4)
    env = {"MINE_PROFILE": profile, "MINE_RESULTS_DIR": str(results_dir),
           "OMP_NUM_THREADS": str(threads), "MKL_NUM_THREADS": str(threads)}
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


def record(chapter: str, profile: str = "long", timeout: int = 7200, book: Path = BOOK,
           threads: int = 2, dirty: bool = False) -> Path:
    notebook = book / f"{chapter}.ipynb"
    if not notebook.is_file():
        raise InputError(f"no chapter {chapter!r}: {notebook} does not exist")
    picked = settings(notebook, profile)
    commit = git_commit()  # the code that runs: later commits during a long run do not count
    if "+" in commit and not dirty:
        raise InputError("book/ or mine_lib/ has uncommitted changes: a recording made from "
                         "them could not be reproduced from any commit (and would be stale); "
                         "commit first, or pass --dirty for a trial run")
    with tempfile.TemporaryDirectory() as tmp:
        wall = execute(notebook, profile, Path(tmp), timeout, threads)
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
        "conditions": conditions(threads),
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


def stale_reason(rec: dict, book: Path = BOOK) -> str | None:
    """Why a recording no longer counts, or None when it is current."""
    notebook = book / f"{rec['chapter']}.ipynb"
    if not notebook.is_file():
        return f"the chapter {notebook.name} no longer exists"
    if "+" in str(rec.get("commit", "")):
        return "made from uncommitted code, so no commit reproduces it"
    if settings_hash(settings(notebook, rec["profile"])) != rec["settings_hash"]:
        return "the chapter's settings changed since"
    return None


def is_stale(rec: dict, book: Path = BOOK) -> bool:
    return stale_reason(rec, book) is not None


def current_recordings(chapters, profile: str = "long", book: Path = BOOK) -> dict[str, dict]:
    """Chapter -> its current recording, for those of ``chapters`` that have one; stale
    recordings (``stale_reason``) are left out, so they never count."""
    out = {}
    for chapter in dict.fromkeys(chapters):
        path = book / "recorded" / profile / f"{chapter}.json"
        if path.is_file():
            rec = json.loads(path.read_text())
            if not is_stale(rec, book):
                out[chapter] = rec
    return out


def provenance_rows(rec: dict, book: Path = BOOK) -> list[tuple[str, str]]:
    """The lines of a recording's box: what ran, where, when, and whether it is current."""
    from .results import duration

    machine = rec.get("machine", {})
    commit = str(rec.get("commit", "unknown"))
    why = stale_reason(rec, book)
    state = (f"stale ({why}); rerun the command" if why
             else "current: recorded with this chapter's settings from a commit")
    cond = rec.get("conditions") or {}
    return [
        ("Profile", str(rec.get("profile"))),
        ("Command", rec.get("command", "")),
        ("Commit", commit[:10] + (" (with uncommitted changes)" if "+" in commit else "")),
        ("Date", str(rec.get("date", ""))[:16].replace("T", " ") + " UTC"),
        ("Machine", f"{machine.get('cpus')} CPUs, {machine.get('processor')}, "
                    f"Python {machine.get('python')}"),
        ("Conditions", (f"torch {cond.get('torch')}, numpy {cond.get('numpy')}, "
                        f"{cond.get('torch_threads')} torch threads, deterministic algorithms "
                        f"{'on' if cond.get('deterministic_algorithms') else 'off'}")
         if cond else "not recorded (threads and versions unknown)"),
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
        why = stale_reason(rec, book)
        if why:
            stale.append(f"{path.parent.name}/{path.name}: {why}; rerun `{rec['command']}`")
    return stale


def check(chapter: str, profile: str = "long", timeout: int = 7200, book: Path = BOOK) -> list[str]:
    """Rerun a recording's chapter (its profile, its thread count) and list every number
    and decision that differs from the recording (``compare``'s lines; "no change" when the
    rerun reproduces it)."""
    from .compare import compare

    rec = load_recording(chapter, profile)
    if rec is None:
        raise InputError(f"no {profile} recording of {chapter}")
    threads = int((rec.get("conditions") or {}).get("torch_threads") or 2)
    with tempfile.TemporaryDirectory() as tmp:
        old, new = Path(tmp) / "recorded", Path(tmp) / "rerun"
        old.mkdir()
        (old / f"{chapter}.json").write_text(json.dumps(rec["results"]))
        execute(book / f"{chapter}.ipynb", profile, new, timeout, threads)
        return compare(old, new)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mine_lib.experiments.record",
                                 description="Run a chapter in a long profile and record it.")
    ap.add_argument("chapter", help="e.g. 08_ali_reconstruction")
    ap.add_argument("--profile", default="long", choices=("long", "paper"))
    ap.add_argument("--timeout", type=int, default=7200, help="seconds per cell")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (OMP_NUM_THREADS)")
    ap.add_argument("--dirty", action="store_true",
                    help="record even with uncommitted changes (the recording is stale)")
    ap.add_argument("--check", action="store_true",
                    help="rerun the recording and print what differs, instead of recording")
    args = ap.parse_args(argv)
    try:
        if args.check:
            print("\n".join(check(args.chapter, args.profile, args.timeout)))
            return 0
        out = record(args.chapter, args.profile, args.timeout, threads=args.threads,
                     dirty=args.dirty)
    except InputError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    print(f"recorded {args.chapter} ({args.profile}) in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
