"""tools/execute_book.py: chapters that read other chapters' results start after them."""

import importlib.util
from pathlib import Path

TOOL = Path(__file__).resolve().parents[1] / "tools" / "execute_book.py"
spec = importlib.util.spec_from_file_location("execute_book", TOOL)
execute_book = importlib.util.module_from_spec(spec)
spec.loader.exec_module(execute_book)

CHAPTERS = sorted(execute_book.SECONDS)


def schedule(jobs: int) -> list[list[str]]:
    """Simulate the workers with the measured seconds: the chapters each start with."""
    waiting, done, running, clock, starts = list(CHAPTERS), set(), {}, 0.0, []
    while waiting or running:
        while len(running) < jobs and (c := execute_book.next_ready(waiting, done, CHAPTERS)):
            waiting.remove(c)
            running[c] = clock + execute_book.SECONDS[c]
            starts.append((c, set(done)))
        first = min(running, key=running.get)
        clock = running.pop(first)
        done.add(first)
    return starts


def test_scorecard_starts_after_every_other_chapter():
    starts = dict(schedule(2))
    assert starts["12_scorecard"] == set(CHAPTERS) - {"12_scorecard"}


def test_own_data_chapter_starts_after_the_benchmark():
    starts = dict(schedule(2))
    assert "10_estimators_benchmark" in starts["11_your_own_data"]


def test_longest_ready_chapter_starts_first():
    first = execute_book.next_ready(list(CHAPTERS), set(), CHAPTERS)
    assert first == max((c for c in CHAPTERS if c not in ("11_your_own_data", "12_scorecard")),
                        key=execute_book.SECONDS.get)
    # nothing is ready while the only waiting chapter needs one that has not run
    assert execute_book.next_ready(["12_scorecard"], {"01_mutual_information"}, CHAPTERS) is None


def test_every_chapter_of_the_book_has_a_measured_time():
    book = Path(__file__).resolve().parents[1] / "book"
    assert {p.stem for p in book.glob("[0-9][0-9]_*.ipynb")} == set(CHAPTERS)


def test_a_chapter_that_reads_one_that_runs_again_runs_again_too():
    rerun = execute_book.with_dependents(["10_estimators_benchmark"], CHAPTERS)
    assert rerun == ["10_estimators_benchmark", "11_your_own_data", "12_scorecard"]
    assert execute_book.with_dependents(["02_dual_bounds"], CHAPTERS) == [
        "02_dual_bounds", "12_scorecard"]
    assert execute_book.with_dependents([], CHAPTERS) == []
    assert execute_book.with_dependents(["12_scorecard"], CHAPTERS) == ["12_scorecard"]
