"""The scorecard and the comparison script on two hand-made results folders."""

import json

import numpy as np
import pytest

from mine_lib.experiments import compare, scorecard
from mine_lib.experiments import evidence as ev
from mine_lib.experiments.results import save_results

BASE = np.array([1.0, 1.1, 0.9, 1.05, 0.95])
SPREAD = np.array([0.01, -0.01, 0.02, -0.02, 0.0])


def make_run(folder, monkeypatch, effect: float, slope: float):
    """One run's results: chapter 03's claim follows the sign of ``effect``."""
    monkeypatch.setenv("MINE_RESULTS_DIR", str(folder))
    monkeypatch.setenv("MINE_PROFILE", "smoke")
    d = ev.difference(BASE + effect + SPREAD, BASE, paired=True, names=("EMA", "plain"),
                      expected="a>b")
    claims = [ev.claim("03_mine_estimator", "EMA beats plain", "a>b", d)]
    save_results("03_mine_estimator", {"slope": slope, "curve": list(range(20)),
                                       "claims": claims}, seeds=[0, 1, 2, 3, 4])
    save_results("01_mutual_information", {"mi": 1.0, "claims": []})


def test_opposite_runs_give_different_decisions(tmp_path, monkeypatch):
    make_run(tmp_path / "a", monkeypatch, effect=0.3, slope=-0.5)
    make_run(tmp_path / "b", monkeypatch, effect=-0.3, slope=-0.7)
    rows_a = json.loads(scorecard.write_scorecard(tmp_path / "a").read_text())
    rows_b = json.loads(scorecard.write_scorecard(tmp_path / "b").read_text())
    assert [r["decision"] for r in rows_a] == ["agrees"]
    assert [r["decision"] for r in rows_b] == ["disagrees"]
    assert set(rows_a[0]) >= {"chapter", "claim", "paper", "this_run", "seeds", "decision"}
    assert rows_a[0]["seeds"] == 5
    assert scorecard.counts(rows_b)["disagrees"] == 1
    # writing the scorecard does not make it a chapter
    assert sorted(scorecard.load_results(tmp_path / "a")) == [
        "01_mutual_information", "03_mine_estimator"]
    shown = scorecard.table(rows_a)
    assert list(shown.columns) == ["chapter", "claim", "paper", "this run", "seeds", "decision",
                                   "of record"]
    assert 'href="03_mine_estimator.html"' in shown["chapter"][0]

    lines = compare.compare(tmp_path / "a", tmp_path / "b")
    text = "\n".join(lines)
    assert "EMA beats plain: agrees -> disagrees" in text
    assert "slope: -0.5 -> -0.7" in text
    assert "== 01_mutual_information (A: smoke, B: smoke)\n  no change" in text


def test_empty_folder_and_wall_times(tmp_path, monkeypatch):
    assert scorecard.scorecard_rows(tmp_path) == []
    assert scorecard.wall_times(tmp_path).empty
    make_run(tmp_path, monkeypatch, effect=0.3, slope=-0.5)
    walls = scorecard.wall_times(tmp_path)
    assert list(walls["chapter"]) == ["01_mutual_information", "03_mine_estimator"]
    assert list(walls["profile"]) == ["smoke", "smoke"]
    assert walls["CPU seconds"].notna().all()


def test_bad_decision_word_is_an_error(tmp_path):
    (tmp_path / "x.json").write_text(json.dumps(
        {"chapter": "x", "results": {"claims": [{"claim": "c", "decision": "yes"}]}}))
    with pytest.raises(ValueError, match="not one of"):
        scorecard.scorecard_rows(tmp_path)


def test_compare_command_line(tmp_path, monkeypatch, capsys):
    make_run(tmp_path / "a", monkeypatch, effect=0.3, slope=-0.5)
    make_run(tmp_path / "b", monkeypatch, effect=0.3, slope=-0.5)
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "b")]) == 0
    assert "no change" in capsys.readouterr().out
    assert compare.main([str(tmp_path / "a"), str(tmp_path / "missing")]) == 2
    assert "not a folder" in capsys.readouterr().err
    (tmp_path / "empty").mkdir()
    assert compare.main([str(tmp_path / "empty"), str(tmp_path / "empty")]) == 2


def test_table_sets_a_recorded_runs_decision_beside_each_claim(tmp_path, monkeypatch):
    make_run(tmp_path, monkeypatch, effect=0.3, slope=-0.5)
    rows = scorecard.scorecard_rows(tmp_path)
    long_claim = dict(rows[0], this_run="+0.1 (CI -0.2 to +0.4, 8 seeds)", seeds=8,
                      decision="not measurable")
    recording = {"results": {"results": {"claims": [long_claim]}}}
    shown = scorecard.table(rows, recorded={"03_mine_estimator": recording})
    assert list(shown["recorded decision"]) == ["not measurable"]
    assert shown["recorded run"][0] == "+0.1 (CI -0.2 to +0.4, 8 seeds)"  # seeds said once
    other = {"results": {"results": {"claims": [dict(long_claim, claim="another")]}}}
    assert scorecard.table(rows, recorded={"03_mine_estimator": other})[
        "recorded decision"][0] == "none recorded"
    assert scorecard.table(rows, recorded={"07_x": recording})["recorded run"][0] == ""


def _row(decision, claim="EMA beats plain", chapter="07_gan", **extra):
    return {"chapter": chapter, "claim": claim, "paper": "a>b", "this_run": "+0.1",
            "seeds": 3, "decision": decision, "status": "x", "sentence": "s", **extra}


def test_decision_of_record_takes_a_current_recording_only_when_the_build_is_undecided():
    recorded = _row("agrees", this_run="+0.3 (CI +0.1 to +0.5, 8 seeds)", seeds=8, rule=ev.RULE)
    recording = {"profile": "long", "commit": "abcdef123", "date": "2026-12-03T05:00",
                 "results": {"results": {"claims": [recorded]}}}
    undecided = scorecard.of_record(_row("not measurable"), recording)
    assert undecided["decision"] == "agrees" and undecided["from"].startswith(
        "recorded long run (commit abcdef1, 2026-12-03)")
    decided = scorecard.of_record(_row("disagrees"), recording)
    assert decided["decision"] == "disagrees" and decided["from"] == "this build"
    # no recording (e.g. a stale one, which recordings_for leaves out): the build's row
    assert scorecard.of_record(_row("not measurable"), None)["decision"] == "not measurable"
    # a rule-1 recording reads in this rule's words: "refuted with power" -> smaller effect
    old = _row("disagrees", status="refuted with power")
    rec1 = dict(recording, results={"results": {"claims": [old]}})
    assert scorecard.of_record(_row("not measurable"), rec1)["decision"] == "smaller effect"


def test_verdict_says_decided_by_a_recording_only_for_its_decisions():
    longer = _row("not measurable", seeds=30, this_run="+0.1 (CI -0.2 to +0.4, 30 seeds)")
    recording = {"profile": "long", "commit": "abcdef123", "date": "2026-12-03T05:00",
                 "results": {"results": {"claims": [longer]}}}
    rows = scorecard.with_record([_row("not measurable")], recordings={"07_gan": recording})
    assert rows[0]["record"]["seeds"] == 30          # read on the recording's 30 seeds
    assert scorecard.verdict(rows) == ["Of the paper's 1 claim tested, 1 stays undecided."]
    decided = dict(recording, results={"results": {"claims": [_row("agrees", seeds=30)]}})
    rows = scorecard.with_record([_row("not measurable")], recordings={"07_gan": decided})
    assert scorecard.verdict(rows) == ["Of the paper's 1 claim tested, 1 holds (1 of these "
                                       "decided by a recorded long run)."]


def test_stale_recordings_never_count(tmp_path, monkeypatch):
    from mine_lib.experiments import record

    monkeypatch.setattr(record, "is_stale", lambda rec, book=None: rec["x"] == "stale")
    (tmp_path / "recorded" / "long").mkdir(parents=True)
    for chapter, state in (("07_a", "stale"), ("08_b", "ok")):
        (tmp_path / "recorded" / "long" / f"{chapter}.json").write_text(json.dumps({"x": state}))
    assert list(record.current_recordings(["07_a", "08_b", "09_c"], book=tmp_path)) == ["08_b"]
    assert scorecard.with_record([_row("not measurable")])[0]["record"]["from"] == "this build"


def test_verdict_counts_the_decisions_of_record_by_source():
    rows = scorecard.with_record([
        _row("agrees", claim="a"), _row("smaller effect", claim="b"),
        _row("not measurable", claim="c"),
        _row("agrees", claim="Check of the measurement: x", chapter="03_x"),
        _row("disagrees", claim="d", chapter="06_improved_losses")], recordings={})
    assert [r["source"] for r in rows] == ["the paper"] * 3 + [
        "the book's own checks", "the seed report"]
    lines = scorecard.verdict(rows)
    assert lines[0] == ("Of the paper's 3 claims tested, 1 holds, 1 holds only with a smaller "
                        "effect than claimed and 1 stays undecided.")
    assert lines[1] == "Of the seed report's 1 claim tested, 1 is contradicted."
    assert lines[2].startswith("Of the book's own 1 check, 1 hold")
    assert scorecard.counts(rows, of_record=True)["smaller effect"] == 1
