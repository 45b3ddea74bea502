"""Recorded runs: the long profile's sizes, the settings hash, staleness, and one real
recording of a tiny notebook."""

import json

import nbformat
import pytest

from mine_lib import InputError
from mine_lib.experiments import profiles, record


def test_long_profile_falls_back_to_standard(monkeypatch):
    monkeypatch.setenv("MINE_PROFILE", "long")
    assert profiles.choose(smoke=1, standard=2, paper=3) == 2
    assert profiles.choose(smoke=1, standard=2, paper=3, long=4) == 4


def write_notebook(path, *sources):
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_markdown_cell("# A chapter")]
    nb.cells += [nbformat.v4.new_code_cell(src) for src in sources]
    nbformat.write(nb, path)
    return path


def test_a_fixed_setting_counts_in_every_profile_and_its_change_shows(tmp_path):
    nb = write_notebook(tmp_path / "c.ipynb", "TOY = profiles.fixed(dict(lr=1e-4))\n"
                        "N = profiles.choose(1, 2, 3)")
    assert profiles.fixed(5) == 5
    assert record.settings(nb, "smoke") == ["dict(lr=0.0001)", "1"]
    before = record.settings_hash(record.settings(nb, "long"))
    write_notebook(tmp_path / "c.ipynb", "TOY = profiles.fixed(dict(lr=2e-4))\n"
                   "N = profiles.choose(1, 2, 3)")
    assert record.settings_hash(record.settings(nb, "long")) != before


def test_settings_pick_each_profile_and_long_falls_back(tmp_path):
    nb = write_notebook(tmp_path / "c.ipynb",
                        "%matplotlib inline\nN = profiles.choose(smoke=1, standard=2, paper=3)",
                        "S = profiles.choose(smoke=dict(a=1), standard=dict(a=2), paper=dict(a=3),"
                        " long=dict(a=9))")
    assert record.settings(nb, "smoke") == ["1", "dict(a=1)"]
    assert record.settings(nb, "long") == ["2", "dict(a=9)"]
    with pytest.raises(InputError, match="unknown profile"):
        record.settings(nb, "huge")


def test_a_changed_long_setting_makes_the_recording_stale(tmp_path):
    book = tmp_path / "book"
    (book / "recorded" / "long").mkdir(parents=True)
    nb = write_notebook(book / "c.ipynb", "S = profiles.choose(1, 2, 3, long=40)")
    rec = {"chapter": "c", "profile": "long", "command": "python -m ... c",
           "settings_hash": record.settings_hash(record.settings(nb, "long"))}
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(rec))
    assert record.stale_recordings(book / "recorded", book) == []
    write_notebook(book / "c.ipynb", "S = profiles.choose(1, 2, 3, long=50)")
    assert len(record.stale_recordings(book / "recorded", book)) == 1
    write_notebook(book / "c.ipynb", "S = profiles.choose(1, 7, 3, long=40)")  # standard only
    assert record.stale_recordings(book / "recorded", book) == []


def test_the_books_recordings_are_not_stale():
    assert record.stale_recordings() == []


def test_record_runs_the_chapter_and_keeps_provenance(tmp_path, monkeypatch):
    monkeypatch.setattr(record, "git_commit", lambda: "abc123")
    book = tmp_path / "book"
    book.mkdir()
    write_notebook(book / "c.ipynb",
                   "from mine_lib.experiments import profiles\n"
                   "from mine_lib.experiments.results import save_results\n"
                   "N = profiles.choose(smoke=1, standard=2, paper=3, long=4)\n"
                   "save_results('c', {'n': N})")
    out = record.record("c", "long", timeout=120, book=book)
    rec = json.loads(out.read_text())
    assert out == book / "recorded" / "long" / "c.json"
    assert rec["results"]["results"] == {"n": 4} and rec["results"]["profile"] == "long"
    assert rec["settings"] == ["4"] and rec["command"].endswith("c --profile long")
    assert rec["commit"] and rec["date"] and rec["machine"]["cpus"]
    assert rec["conditions"]["torch_threads"] == 2 and rec["conditions"]["torch"]
    assert record.stale_recordings(book / "recorded", book) == []


def test_uncommitted_code_is_refused_and_stale_by_rule(tmp_path, monkeypatch):
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


def test_the_commit_is_the_one_checked_out_when_the_run_starts(tmp_path, monkeypatch):
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


def test_recorded_run_box_says_none_then_shows_provenance_and_staleness(tmp_path):
    book = tmp_path / "book"
    (book / "recorded" / "long").mkdir(parents=True)
    nb = write_notebook(book / "c.ipynb", "S = profiles.choose(1, 2, 3, long=40)")
    rec, box = record.recorded_run("c", book=book)
    assert rec is None and "mine_lib.experiments.record c --profile long" in repr(box)
    saved = {"chapter": "c", "profile": "long", "command": "python -m x c", "commit": "abc+x",
             "date": "2026-12-02T10:00:00+00:00", "wall_seconds": 125.0,
             "machine": {"cpus": 2, "processor": "x86_64", "python": "3.11"},
             "settings_hash": record.settings_hash(record.settings(nb, "long")), "results": {}}
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(saved))
    rec, box = record.recorded_run("c", book=book)
    text = repr(box)
    assert rec["results"] == {} and "2 min 05 s" in text and "uncommitted" in text
    assert "stale (made from uncommitted code" in text
    (book / "recorded" / "long" / "c.json").write_text(json.dumps(dict(saved, commit="abc")))
    text = repr(record.recorded_run("c", book=book)[1])
    assert "current" in text and "stale" not in text and "threads and versions unknown" in text
    write_notebook(book / "c.ipynb", "S = profiles.choose(1, 2, 3, long=41)")
    assert "stale" in repr(record.recorded_run("c", book=book)[1])
