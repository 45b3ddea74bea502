"""Execute the book's chapters a few at a time into the jupyter-cache that `jupyter-book
build` reads, so that the build itself only renders.

    python tools/execute_book.py --cache _build/.jupyter_cache [--jobs 2] [--threads 1]

`make book` runs this first. On two cores, two chapters with one torch thread each finish
sooner than one chapter at a time with two threads: measured, 1.32 times the throughput on
MINE runs, and a fresh standard build in 33 min against about 40. The gain differs by
chapter (06 took 523 s beside another chapter against 345 s alone on two threads, the GAN
chapter 825 s against 394 s). Two chapters with two threads each would fight over the cores.
Chapters that read other chapters' results wait for them (chapter 11 reads chapter 10's
claims, the scorecard reads every chapter's). A chapter already in the cache (same code) is
skipped, as `jupyter-book build` would skip it, unless a chapter it reads runs again. A chapter that fails is left out of the
cache: the build then runs it again and reports the error with its traceback.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
LAST = "12_scorecard"  # reads every other chapter's results
AFTER = {"11_your_own_data": {"10_estimators_benchmark"}}  # chapter -> chapters it reads
# Seconds each chapter took in a standard build (two threads, one chapter at a time): the
# longest start first, so that the two workers end together.
SECONDS = {"01_mutual_information": 97, "02_dual_bounds": 6, "03_mine_estimator": 104,
           "04_gaussian_reproduction": 286, "05_equitability": 173, "06_improved_losses": 345,
           "07_gan_mode_dropping": 394, "08_ali_reconstruction": 242,
           "09_information_bottleneck": 282, "10_estimators_benchmark": 219,
           "11_your_own_data": 173, "12_scorecard": 10}


def needs(chapter: str, chapters: list[str]) -> set[str]:
    """The chapters of ``chapters`` that must finish before ``chapter`` starts."""
    if chapter == LAST:
        return set(chapters) - {chapter}
    return AFTER.get(chapter, set()) & set(chapters)


def with_dependents(rerun: list[str], chapters: list[str]) -> list[str]:
    """``rerun`` and every chapter that reads one of them, however indirectly: a cached
    chapter whose inputs run again would keep numbers from their old run."""
    out = set(rerun)
    grew = True
    while grew:
        grew = False
        for chapter in chapters:
            if chapter not in out and needs(chapter, chapters) & out:
                out.add(chapter)
                grew = True
    return [c for c in chapters if c in out]


def next_ready(waiting: list[str], done: set[str], chapters: list[str]) -> str | None:
    """The longest waiting chapter whose inputs are done, or None."""
    ready = [c for c in waiting if needs(c, chapters) <= done]
    return max(ready, key=lambda c: SECONDS.get(c, 0), default=None)


def run_chapter(path: str, timeout: int, threads: int) -> tuple[str, str | None, float, str]:
    """Execute one notebook in its folder; (path, executed notebook or None, seconds, error)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    for key in ("OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[key] = str(threads)  # the kernel inherits them
    nb = nbformat.read(path, as_version=4)
    result = single_nb_execution(nb, cwd=str(Path(path).parent), timeout=timeout,
                                 allow_errors=False, meta_override=True)
    if result.err is not None:
        return path, None, result.time, result.exc_string or str(result.err)
    return path, nbformat.writes(result.nb), result.time, ""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cache", required=True, help="the jupyter-cache folder of the build")
    ap.add_argument("--jobs", type=int, default=2, help="chapters at once")
    ap.add_argument("--threads", type=int, default=1, help="torch threads per chapter")
    ap.add_argument("--timeout", type=int, default=1800, help="seconds per cell")
    ap.add_argument("chapters", nargs="*", help="notebook stems (default: every chapter)")
    args = ap.parse_args(argv)

    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    cache = get_cache(args.cache)
    chapters = args.chapters or sorted(p.stem for p in BOOK.glob("[0-9][0-9]_*.ipynb"))
    changed = []
    for chapter in chapters:
        try:
            cache.match_cache_notebook(nbformat.read(BOOK / f"{chapter}.ipynb", as_version=4))
        except KeyError:
            changed.append(chapter)
    waiting = with_dependents(changed, chapters)
    for chapter in chapters:
        if chapter not in waiting:
            print(f"[execute] {chapter}: cached", flush=True)
        elif chapter not in changed:
            print(f"[execute] {chapter}: cached, but runs again: it reads a chapter that does",
                  flush=True)
    done = set(chapters) - set(waiting)
    failed, start = [], time.time()
    with ProcessPoolExecutor(max_workers=max(1, args.jobs)) as pool:
        running = {}
        while waiting or running:
            while len(running) < args.jobs and (chapter := next_ready(waiting, done, chapters)):
                waiting.remove(chapter)
                path = str(BOOK / f"{chapter}.ipynb")
                running[pool.submit(run_chapter, path, args.timeout, args.threads)] = chapter
                print(f"[execute] {chapter}: started at {time.time() - start:.0f} s", flush=True)
            if not running:  # what waits needs a chapter that failed: the build runs it
                break
            finished, _ = wait(running, return_when=FIRST_COMPLETED)
            for future in finished:
                chapter = running.pop(future)
                path, text, seconds, error = future.result()
                done.add(chapter)
                if text is None:
                    failed.append(chapter)
                    print(f"[execute] {chapter}: FAILED after {seconds:.0f} s (the build reruns "
                          f"it and shows the error)\n{error[-2000:]}", flush=True)
                    continue
                record = cache.add_nb_to_project(path)
                cache.cache_notebook_bundle(
                    CacheBundleIn(nbformat.reads(text, as_version=4), record.uri,
                                  data={"execution_seconds": seconds}),
                    check_validity=False, overwrite=True)
                print(f"[execute] {chapter}: {seconds:.0f} s", flush=True)
    print(f"[execute] {len(chapters) - len(failed)} of {len(chapters)} chapters in the cache "
          f"after {time.time() - start:.0f} s", flush=True)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
