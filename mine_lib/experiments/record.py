"""Recorded runs: a profile too long for ``make book`` (``long``, ``paper``) is run once by a
command and its results kept, with provenance, under ``book/recorded/<profile>/``.

    python -m mine_lib.experiments.record CHAPTER [--profile long]

executes ``book/CHAPTER.ipynb`` top to bottom with ``MINE_PROFILE=<profile>`` (the chapter's
own experiment code, nothing else), reads the results JSON it writes, and writes
``book/recorded/<profile>/CHAPTER.json``: the results, plus the profile, the chapter's
settings for that profile and their hash, the commit, the date, the machine and the command.
Nothing in a recording is written by hand.

The *settings* of a chapter for a profile are the values that ``settings.py`` gives its
chapter in that profile (name -> repr). A recording is stale when the hash of the chapter's
current settings differs from the one it was recorded with, or when it was made from
uncommitted code (its numbers cannot be reproduced from any commit); ``stale_recordings``
lists them (a test runs it). ``record`` refuses uncommitted code unless told ``--dirty``.

Until the sizes moved to ``settings.py``, they were ``profiles.choose(...)`` calls in the
notebooks, and a recording hashed their source text. ``--migrate-settings REV`` rewrites such
a recording's settings and hash, only after proving that the notebook at REV gave the hash
it was recorded with and picked, call by call, the values that ``settings.py`` picks now.

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
from . import profiles, settings

ROOT = Path(__file__).resolve().parents[2]
BOOK = ROOT / "book"
RECORDED = BOOK / "recorded"


def code_cells(notebook_text: str) -> list[str]:
    """The source of each code cell of a notebook, from its JSON text."""
    cells = json.loads(notebook_text)["cells"]
    return ["".join(c["source"]) for c in cells if c["cell_type"] == "code"]


def _profiles_call(call: ast.Call, name: str) -> bool:
    f = call.func
    return (isinstance(f, ast.Attribute) and f.attr == name
            and isinstance(f.value, ast.Name) and f.value.id == "profiles")


def notebook_picks(cells: list[str], profile: str, in_source_order: bool = False) -> list[str]:
    """The old way a chapter held its sizes: the source of what each ``profiles.choose`` call
    in ``cells`` picks for ``profile`` (``standard`` where a call gives no ``long``), and of
    each ``profiles.fixed`` call's value; in ``ast.walk`` order (the order the old hash used)
    or in source order (the order ``settings.py`` picks in)."""
    picked = []
    for source in cells:
        lines = [ln for ln in source.splitlines() if not ln.lstrip().startswith(("%", "!"))]
        calls = [node for node in ast.walk(ast.parse("\n".join(lines)))
                 if isinstance(node, ast.Call)
                 and (_profiles_call(node, "fixed") or _profiles_call(node, "choose"))]
        if in_source_order:
            calls.sort(key=lambda node: (node.lineno, node.col_offset))
        for node in calls:
            if _profiles_call(node, "fixed"):
                picked.append(ast.unparse(node.args[0]) if node.args else "None")
                continue
            args = dict(zip(("smoke", "standard", "paper", "long"), node.args))
            args.update({k.arg: k.value for k in node.keywords})
            chosen = args.get(profile)
            if chosen is None and profile == "long":
                chosen = args.get("standard")
            picked.append(ast.unparse(chosen) if chosen is not None else "None")
    return picked


def notebook_hash(picked: list[str]) -> str:
    """The hash a recording carried while sizes lived in notebooks."""
    return hashlib.sha256(json.dumps(picked).encode()).hexdigest()[:16]


def chapter_settings(chapter: str, profile: str) -> dict[str, str]:
    """What a recording stores as its settings: name -> repr of each value in ``profile``."""
    if profile not in profiles.PROFILES:
        raise InputError(f"unknown profile {profile!r}; use one of {', '.join(profiles.PROFILES)}")
    return settings.described(chapter, profile)


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
    described = chapter_settings(chapter, profile)
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
        "chapter": chapter, "profile": profile, "settings": described,
        "settings_hash": settings.settings_hash(described), "commit": commit,
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
    if rec["chapter"] not in settings.CHAPTERS:
        return "settings.py holds no settings for the chapter"
    if settings.settings_hash(chapter_settings(rec["chapter"], rec["profile"])) != rec["settings_hash"]:
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


def _old_value(source: str):
    """Evaluate the source of an old ``profiles.choose`` pick: literals, ``range``, ``list``,
    ``tuple`` and ``dict`` only (a name it needs is an error, not a guess)."""
    return eval(source, {"__builtins__": {}, "range": range, "list": list, "tuple": tuple,
                         "dict": dict})


def migrate_settings(rec: dict, old_cells: list[str], rev: str) -> dict:
    """The recording ``rec`` with its settings in today's form, when ``old_cells`` (the code
    cells of its chapter at commit ``rev``, while sizes lived in notebooks) gave the hash it was recorded with
    and pick, call by call in source order, the values that ``settings.py`` picks now;
    otherwise ``InputError`` saying what differs. A recording already in today's form comes
    back unchanged."""
    chapter, profile = rec["chapter"], rec["profile"]
    new = chapter_settings(chapter, profile)
    if rec["settings_hash"] == settings.settings_hash(new):
        return rec
    old_hash = notebook_hash(notebook_picks(old_cells, profile))
    if old_hash != rec["settings_hash"]:
        raise InputError(f"{chapter}: the old notebook gives settings hash {old_hash}, the "
                         f"recording carries {rec['settings_hash']}: it was stale already")
    try:
        old = [repr(_old_value(src)) for src in notebook_picks(old_cells, profile, True)]
    except Exception as err:  # a pick that is not a plain value cannot be proven equal
        raise InputError(f"{chapter}: an old setting is not a plain value ({err})") from err
    now = [repr(v) for v in settings.picked(chapter, profile)]
    if old != now:
        diff = [f"#{i}: {a} -> {b}" for i, (a, b) in enumerate(zip(old, now)) if a != b]
        raise InputError(f"{chapter}: settings.py picks differently from the old notebook "
                         f"({len(old)} old picks, {len(now)} now; {'; '.join(diff) or 'count'})")
    out = dict(rec)
    out["settings"], out["settings_hash"] = new, settings.settings_hash(new)
    out["settings_migrated"] = {
        "from_hash": rec["settings_hash"], "old_picks": len(old),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "command": f"python -m mine_lib.experiments.record --migrate-settings {rev}"}
    return out


def migrate_all(rev: str, recorded: Path = RECORDED) -> list[str]:
    """Migrate every recording under ``recorded`` against the notebooks at commit ``rev``;
    return a line per recording. Writes nothing unless all of them prove equal."""
    def git_show(path):
        out = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True,
                             text=True)
        if out.returncode:
            raise InputError(f"git show {rev}:{path} failed: {out.stderr.strip()}")
        return out.stdout

    commit = subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True,
                            text=True).stdout.strip()
    done, lines = [], []
    for path in sorted(recorded.glob("*/*.json")):
        rec = json.loads(path.read_text())
        new = migrate_settings(rec, code_cells(git_show(f"book/{rec['chapter']}.ipynb")), rev)
        if new is rec:
            lines.append(f"{path.parent.name}/{path.name}: already current")
            continue
        new["settings_migrated"]["from_commit"] = commit
        done.append((path, new))
        lines.append(f"{path.parent.name}/{path.name}: {new['settings_migrated']['old_picks']} "
                     f"settings equal; hash {rec['settings_hash']} -> {new['settings_hash']}")
    for path, new in done:
        tmp = path.with_suffix(".json.tmp")
        tmp.write_text(json.dumps(new, indent=1) + "\n")
        tmp.replace(path)
    return lines


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="python -m mine_lib.experiments.record",
                                 description="Run a chapter in a long profile and record it.")
    ap.add_argument("chapter", nargs="?", help="e.g. 08_ali_reconstruction")
    ap.add_argument("--profile", default="long", choices=("long", "paper"))
    ap.add_argument("--timeout", type=int, default=7200, help="seconds per cell")
    ap.add_argument("--threads", type=int, default=2, help="torch threads (OMP_NUM_THREADS)")
    ap.add_argument("--dirty", action="store_true",
                    help="record even with uncommitted changes (the recording is stale)")
    ap.add_argument("--check", action="store_true",
                    help="rerun the recording and print what differs, instead of recording")
    ap.add_argument("--migrate-settings", metavar="REV",
                    help="rewrite recordings made while sizes lived in notebooks, after proving "
                         "that the notebooks at commit REV picked what settings.py picks now")
    args = ap.parse_args(argv)
    if not args.chapter and not args.migrate_settings:
        ap.error("give a chapter (or --migrate-settings REV)")
    try:
        if args.migrate_settings:
            print("\n".join(migrate_all(args.migrate_settings)))
            return 0
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
