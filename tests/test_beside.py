"""A chapter's claims beside a recorded run's."""

from mine_lib.experiments import beside, evidence


def rows(shift):
    d = evidence.difference([1.0 + shift, 2.0 + shift, 1.5 + shift], [0.0, 0.1, 0.2],
                            paired=True, names=("A", "B"), expected="a>b")
    return [evidence.claim("c", "A beats B", "2 vs 1", d)]


def test_each_claim_gets_the_recorded_decision_beside_its_own():
    rec = {"results": {"results": {"claims": rows(-3.0)}}}
    table = beside.claims_beside(rows(0.0), rec)
    assert list(table["decision"]) == ["agrees"]
    assert list(table["recorded long run: decision"]) == ["disagrees"]
    assert "[3 seeds]" in table.loc[0, "recorded long run"]


def test_no_recording_or_a_missing_claim_says_none_recorded():
    assert list(beside.claims_beside(rows(0.0), None)["recorded long run"]) == ["none recorded"]
    other = {"results": {"results": {"claims": [dict(rows(0.0)[0], claim="another")]}}}
    assert beside.claims_beside(rows(0.0), other).loc[0, "recorded long run: decision"] == \
        "none recorded"


def test_seeds_are_said_once():
    row = dict(rows(0.0)[0], this_run="+1.2 (CI +0.4 to +2.0, 3 seeds)", seeds=3)
    assert beside.run_cell(row) == "+1.2 (CI +0.4 to +2.0, 3 seeds)"
    assert beside.run_cell(dict(row, this_run="+1.2")) == "+1.2 [3 seeds]"


def test_record_summary_counts_the_decisions_of_record():
    from mine_lib.experiments import beside

    build = [{"claim": "a", "paper": "p", "this_run": "+1", "seeds": 3, "decision": "agrees"},
             {"claim": "b", "paper": "p", "this_run": "+0", "seeds": 3,
              "decision": "not measurable"}]
    old = dict(build[1], decision="disagrees", status="refuted with power", seeds=12)
    recording = {"profile": "long", "commit": "1234567abc", "date": "2026-12-07T10:00",
                 "results": {"results": {"claims": [old]}}}
    text = beside.record_summary(build, recording)
    assert text == ("Of this chapter's 2 claims, taking the recorded long run where this build "
                    "cannot decide: 1 agrees, 1 holds only with a smaller effect; 1 of these "
                    "decisions comes from the recorded long run (commit 1234567, 2026-12-07).")
    assert "1 stays undecided" in beside.record_summary(build, None)
    assert "2 stay undecided" in beside.record_summary([build[1], dict(build[1], claim="c")], None)
    table = beside.claims_beside(build, recording)
    assert list(table["decision of record"]) == ["agrees", "smaller effect (recorded)"]
    assert list(beside.claims_beside(build, recording, current=False)[
        "decision of record"]) == ["agrees", "not measurable"]



def test_recorded_sentence_names_the_recording_only_where_this_build_cannot_decide():
    undecided = dict(rows(0.0)[0], decision="not measurable")
    recording = {"profile": "long", "commit": "abcdef123", "date": "2026-12-07T10:00",
                 "results": {"results": {"claims": rows(0.0)}}}
    text = beside.recorded_sentence(undecided, recording)
    assert text.startswith("The recorded long run (commit abcdef1, 2026-12-07) decides it: ")
    assert text.endswith(rows(0.0)[0]["sentence"])
    assert beside.recorded_sentence(rows(0.0)[0], recording) == ""
    assert beside.recorded_sentence(undecided, None) == \
        "No current recorded long run decides it either."
    still_open = {**recording, "results": {"results": {"claims": [undecided]}}}
    assert beside.recorded_sentence(undecided, still_open).startswith("No current")

def test_an_undecided_claim_is_read_on_the_run_with_more_seeds():
    build = dict(rows(0.0)[0], decision="not measurable", seeds=3)
    longer = dict(build, seeds=30, this_run="+0.1 (CI -0.2 to +0.4, 30 seeds)",
                  sentence="No difference shown at 30 seeds.")
    recording = {"profile": "long", "commit": "abcdef123", "date": "2026-12-07T10:00",
                 "results": {"results": {"claims": [longer]}}}
    record = beside.of_record(build, recording)
    assert record["decision"] == "not measurable" and record["seeds"] == 30
    assert record["from"].startswith("recorded long run")
    assert not beside.decided_by_recording(record)
    assert beside.recorded_sentence(build, recording) == (
        "The recorded long run (commit abcdef1, 2026-12-07) does not decide it either, on "
        "30 seeds: No difference shown at 30 seeds.")
    # counted as undecided, not as a decision from the recording
    assert beside.record_summary([build], recording).endswith("1 stays undecided.")
    # a recording with fewer seeds than this build adds nothing
    shorter = {**recording, "results": {"results": {"claims": [dict(longer, seeds=2)]}}}
    assert beside.of_record(build, shorter)["from"] == "this build"


# ---------------------------------------------------------------- the application chapters' row text

def test_plural():
    assert beside.plural(1, "seed") == "1 seed" and beside.plural(3, "seed") == "3 seeds"


def test_run_text_says_interval_seeds_and_a_failed_baseline():
    d = evidence.Decision(evidence.Kind.AGREES, "measured", "", 2.5, (0.5, 4.5), n=5)
    assert beside.run_text(d, "points") == "+2.5 points (CI +0.5 to +4.5, 5 seeds)"
    no_ci = evidence.Decision(evidence.Kind.AGREES, "holds", "", 0.0)
    assert beside.run_text(no_ci) == "+0 (holds)"
    failed = evidence.Decision(evidence.Kind.INCONCLUSIVE, "baseline did not train", "", 47.7)
    assert beside.run_text(failed) == "the baseline did not train (its check: 47.7)"
    assert beside.run_text(failed, "modes", ungated=d) == (
        "+2.5 modes (CI +0.5 to +4.5, 5 seeds); the baseline did not train (its check: 47.7)")
    row = beside.claim_row("08_ali_reconstruction", "a claim", "the paper", d, unit="points")
    assert row["this_run"] == beside.run_text(d, "points") and row["decision"] == "agrees"


def test_decision_text_adds_a_status_that_says_more():
    plain = evidence.Decision(evidence.Kind.AGREES, "measured", "")
    more = evidence.Decision(evidence.Kind.UNDECIDED, "too few seeds", "")
    assert beside.decision_text(plain) == "agrees"
    assert beside.decision_text(more) == "not measurable (too few seeds)"
