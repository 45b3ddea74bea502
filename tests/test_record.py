"""Recorded runs: the chapters' settings (settings.py), the settings hash, staleness, the
migration from settings held in notebooks, and one real recording of a tiny notebook."""

import json

import nbformat
import pytest

from mine_lib import InputError
from mine_lib.experiments import profiles, record, settings


@pytest.fixture
def chapter_c(monkeypatch):
    """A chapter "c" in settings.py whose long size the test can change."""
    sizes = {"long": 40, "standard": 2, "lr": 1e-4}

    def c(pick):
        N = pick(smoke=1, standard=sizes["standard"], paper=3, long=sizes["long"])
        TOY = pick.fixed(dict(lr=sizes["lr"]))
        return {"N": N, "TOY": TOY}

    monkeypatch.setitem(settings.CHAPTERS, "c", c)
    return sizes


def test_long_profile_falls_back_to_standard(monkeypatch):
    def c(pick):
        A = pick(smoke=1, standard=2, paper=3)
        B = pick(smoke=1, standard=2, paper=3, long=4)
        return locals()

    monkeypatch.setitem(settings.CHAPTERS, "c", c)
    assert settings.values("c", "long") == {"A": 2, "B": 4}
    monkeypatch.setenv("MINE_PROFILE", "smoke")
    assert settings.chapter("c").A == 1 and settings.picked("c", "paper") == [3, 3]


def test_settings_of_an_unknown_chapter_or_profile_are_errors(chapter_c):
    with pytest.raises(InputError, match="unknown profile"):
        record.chapter_settings("c", "huge")
    with pytest.raises(InputError, match="no settings for chapter 'nope'"):
        settings.values("nope", "smoke")


def test_every_chapter_has_settings_in_every_profile():
    chapters = sorted(p.stem for p in record.BOOK.glob("[0-9][0-9]_*.ipynb"))
    assert chapters == sorted(settings.CHAPTERS)
    for chapter in chapters:
        for profile in profiles.PROFILES:
            described = settings.described(chapter, profile)
            assert "at 0x" not in "".join(described.values())  # a repr that names no address


def test_a_fixed_setting_counts_and_its_change_shows(chapter_c):
    assert record.chapter_settings("c", "smoke") == {"N": "1", "TOY": "{'lr': 0.0001}"}
    before = settings.settings_hash(record.chapter_settings("c", "long"))
    chapter_c["lr"] = 2e-4
    assert settings.settings_hash(record.chapter_settings("c", "long")) != before


def test_a_changed_long_setting_makes_the_recording_stale(tmp_path, chapter_c):
    book = tmp_path / "book"
    (book / "recorded" / "long").mkdir(parents=True)
    write_notebook(book / "c.ipynb", "S = settings.chapter('c')")
    rec = {"chapter": "c", "profile": "long", "command": "python -m ... c",
           "settings_hash": settings.settings_hash(record.chapter_settings("c", "long"))}
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(rec))
    assert record.stale_recordings(book / "recorded", book) == []
    chapter_c["long"] = 50
    assert len(record.stale_recordings(book / "recorded", book)) == 1
    chapter_c["long"], chapter_c["standard"] = 40, 7  # standard only: long is unchanged
    assert record.stale_recordings(book / "recorded", book) == []


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


OLD_CELLS = ["%matplotlib inline\nTOY = profiles.fixed(dict(lr=1e-4))",
             "N = F(k=profiles.choose(smoke=1, standard=2, paper=3, long=list(range(40))))\n"
             "M = profiles.choose(smoke=1, standard=2, paper=3)"]


def old_recording():
    old = record.notebook_picks(OLD_CELLS, "long")
    return {"chapter": "c", "profile": "long", "settings": old,
            "settings_hash": record.notebook_hash(old), "results": {"x": 1}}


def test_old_picks_in_walk_order_and_in_source_order():
    assert record.notebook_picks(OLD_CELLS, "long") == ["dict(lr=0.0001)", "2", "list(range(40))"]
    assert record.notebook_picks(OLD_CELLS, "long", True) == ["dict(lr=0.0001)", "list(range(40))",
                                                              "2"]
    assert record.notebook_picks(OLD_CELLS, "smoke") == ["dict(lr=0.0001)", "1", "1"]


def test_migration_proves_equal_settings_then_rewrites_the_hash(monkeypatch):
    def c(pick):
        TOY = pick.fixed(dict(lr=1e-4))
        N = pick(smoke=1, standard=2, paper=3, long=list(range(40)))
        M = pick(smoke=1, standard=2, paper=3)
        return locals()

    monkeypatch.setitem(settings.CHAPTERS, "c", c)
    rec = old_recording()
    new = record.migrate_settings(rec, OLD_CELLS, "abc1234")
    assert new["results"] == rec["results"] and new["settings"]["M"] == "2"
    assert new["settings_hash"] == settings.settings_hash(record.chapter_settings("c", "long"))
    assert new["settings_migrated"]["from_hash"] == rec["settings_hash"]
    assert new["settings_migrated"]["command"].endswith("--migrate-settings abc1234")
    assert record.code_cells('{"cells": [{"cell_type": "code", "source": ["a = 1\\n", "b"]}, '
                             '{"cell_type": "markdown", "source": ["x"]}]}') == ["a = 1\nb"]
    assert record.migrate_settings(new, OLD_CELLS, "abc1234") is new  # already in today's form


@pytest.mark.parametrize("long_n, m, message", [
    (list(range(41)), 2, "picks differently"),     # a value changed
    (2, list(range(40)), "picks differently"),     # two values swapped
])
def test_migration_refuses_settings_that_differ(monkeypatch, long_n, m, message):
    def c(pick):
        TOY = pick.fixed(dict(lr=1e-4))
        N = pick(smoke=1, standard=2, paper=3, long=long_n)
        M = pick(smoke=1, standard=m, paper=3)
        return {"TOY": TOY, "N": N, "M": M}

    monkeypatch.setitem(settings.CHAPTERS, "c", c)
    with pytest.raises(InputError, match=message):
        record.migrate_settings(old_recording(), OLD_CELLS, "abc1234")


def test_migration_refuses_a_recording_that_was_stale_already(monkeypatch):
    monkeypatch.setitem(settings.CHAPTERS, "c", lambda pick: {"N": pick(1, 2, 3)})
    rec = dict(old_recording(), settings_hash="0" * 16)
    with pytest.raises(InputError, match="stale already"):
        record.migrate_settings(rec, OLD_CELLS, "abc1234")


def test_the_books_recordings_are_not_stale():
    assert record.stale_recordings() == []


def test_record_runs_the_chapter_and_keeps_provenance(tmp_path, monkeypatch, chapter_c):
    monkeypatch.setattr(record, "git_commit", lambda: "abc123")
    book = tmp_path / "book"
    book.mkdir()
    write_notebook(book / "c.ipynb",
                   "from mine_lib.experiments.results import save_results\n"
                   "save_results('c', {'n': 4})")
    out = record.record("c", "long", timeout=120, book=book)
    rec = json.loads(out.read_text())
    assert out == book / "recorded" / "long" / "c.json"
    assert rec["results"]["results"] == {"n": 4} and rec["results"]["profile"] == "long"
    assert rec["settings"] == {"N": "40", "TOY": "{'lr': 0.0001}"} and rec["command"].endswith("c --profile long")
    assert rec["commit"] and rec["date"] and rec["machine"]["cpus"]
    assert rec["conditions"]["torch_threads"] == 2 and rec["conditions"]["torch"]
    assert record.stale_recordings(book / "recorded", book) == []


def test_uncommitted_code_is_refused_and_stale_by_rule(tmp_path, monkeypatch, chapter_c):
    book = tmp_path / "book"
    book.mkdir()
    write_notebook(book / "c.ipynb", "N = 1")
    monkeypatch.setattr(record, "git_commit", lambda: "abc+uncommitted changes")
    with pytest.raises(InputError, match="uncommitted"):
        record.record("c", "long", book=book)

    def run(notebook, profile, results_dir, timeout, threads):
        (results_dir / "c.json").write_text(json.dumps({"results": {}}))
        return 1.0

    monkeypatch.setattr(record, "execute", run)
    record.record("c", "long", book=book, dirty=True)
    assert "uncommitted" in record.stale_recordings(book / "recorded", book)[0]


def test_the_commit_is_the_one_checked_out_when_the_run_starts(tmp_path, monkeypatch, chapter_c):
    book = tmp_path / "book"
    book.mkdir()
    write_notebook(book / "c.ipynb", "N = 1")
    state = {"ran": False}  # a commit is made while the chapter runs
    monkeypatch.setattr(record, "git_commit", lambda: "after" if state["ran"] else "before")

    def run(notebook, profile, results_dir, timeout, threads):
        (results_dir / "c.json").write_text(json.dumps({"results": {}}))
        state["ran"] = True
        return 1.0

    monkeypatch.setattr(record, "execute", run)
    rec = json.loads(record.record("c", "long", book=book).read_text())
    assert rec["commit"] == "before"


def test_recorded_run_box_says_none_then_shows_provenance_and_staleness(tmp_path, chapter_c):
    book = tmp_path / "book"
    (book / "recorded" / "long").mkdir(parents=True)
    write_notebook(book / "c.ipynb", "S = settings.chapter('c')")
    rec, box = record.recorded_run("c", book=book)
    assert rec is None and "mine_lib.experiments.record c --profile long" in repr(box)
    saved = {"chapter": "c", "profile": "long", "command": "python -m x c", "commit": "abc+x",
             "date": "2026-12-02T10:00:00+00:00", "wall_seconds": 125.0,
             "machine": {"cpus": 2, "processor": "x86_64", "python": "3.11"},
             "settings_hash": settings.settings_hash(record.chapter_settings("c", "long")),
             "results": {}}
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(saved))
    rec, box = record.recorded_run("c", book=book)
    text = repr(box)
    assert rec["results"] == {} and "2 min 05 s" in text and "uncommitted" in text
    assert "stale (made from uncommitted code" in text
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(dict(saved, commit="abc")))
    text = repr(record.recorded_run("c", book=book)[1])
    assert "current" in text and "stale" not in text and "threads and versions unknown" in text
    chapter_c["long"] = 41
    assert "stale" in repr(record.recorded_run("c", book=book)[1])
