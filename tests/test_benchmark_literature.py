"""Chapter 10's checks of later work, decided with intervals, on hand-made data."""

import math

import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import benchmark, evidence
from mine_lib.experiments.results import save_results
from mine_lib.tasks import benchmark_tasks

SHAPE = np.array([-1.2, -0.4, 0.0, 0.5, 1.1])  # five seeds' deviations, sd about 0.87


def by_level(sds, levels=(2.0, 4.0, 6.0), shape=SHAPE):
    return {lv: lv + sd * shape for lv, sd in zip(levels, sds)}


def test_a_spread_that_grows_agrees_a_flat_one_does_not_and_a_shrinking_one_disagrees():
    grows = benchmark.spread_growth(by_level([0.05, 0.4, 3.0]), label="MINE")
    assert grows.kind == evidence.Kind.AGREES and grows.ci[0] > 0
    assert grows.sentence.startswith("From 2 to 6 nats the spread of MINE over 5 seeds grew")
    flat = benchmark.spread_growth(by_level([0.3, 0.3, 0.3]), label="MINE")
    assert flat.kind == evidence.Kind.UNDECIDED and flat.ci[0] < 0 < flat.ci[1]
    assert "was not shown to change" in flat.sentence
    shrinks = benchmark.spread_growth(by_level([3.0, 0.4, 0.05]), label="NWJ")
    assert shrinks.kind == evidence.Kind.DISAGREES


def test_too_few_seeds_or_levels_is_not_measurable():
    two_seeds = benchmark.spread_growth(by_level([0.05, 0.4, 3.0], shape=SHAPE[:2]), label="MINE")
    assert two_seeds.kind == evidence.Kind.UNDECIDED and two_seeds.status == "too few seeds"
    one_level = benchmark.spread_growth({2.0: 2 + SHAPE}, label="MINE")
    assert one_level.status == "too few levels"
    none = benchmark.spread_growth({}, label="MINE")
    assert none.kind == evidence.Kind.UNDECIDED


def test_no_spread_at_a_level_gives_no_verdict():
    d = benchmark.spread_growth({2.0: np.ones(3), 4.0: SHAPE[:3]}, label="KSG")
    assert d.kind == evidence.Kind.INCONCLUSIVE


def false_alarms(rule, reps=1500, seeds=3):
    rng = np.random.default_rng(0)
    hits = 0
    for _ in range(reps):
        if rule(rng, seeds).kind == evidence.Kind.AGREES:
            hits += 1
    return hits / reps


def test_growth_false_alarm_rate_on_a_flat_spread_stays_at_its_level():
    rate = false_alarms(lambda rng, k: benchmark.spread_growth(
        {lv: rng.normal(lv, 0.5, k) for lv in (2.0, 4.0, 6.0)}, label="MINE"))
    assert rate <= 0.04  # one-sided claim at 95 %: 2.5 % expected


def test_smaller_spread_agrees_and_its_false_alarm_rate_stays_at_its_level():
    small = benchmark.spread_smaller(by_level([0.05, 0.05, 0.05]), by_level([0.5, 0.6, 0.8]),
                                     names=("SMILE", "MINE"))
    assert small.kind == evidence.Kind.AGREES and small.estimate < 0
    assert "was smaller than that of MINE" in small.sentence
    same = benchmark.spread_smaller(by_level([0.5, 0.5, 0.5]), by_level([0.5, 0.5, 0.5]),
                                    names=("SMILE", "MINE"))
    assert same.kind == evidence.Kind.UNDECIDED
    assert benchmark.spread_smaller({2.0: SHAPE[:2]}, {2.0: SHAPE[:2]},
                                    names=("SMILE", "MINE")).status == "too few seeds"
    rate = false_alarms(lambda rng, k: benchmark.spread_smaller(
        {lv: rng.normal(lv, 0.5, k) for lv in (2.0, 4.0)},
        {lv: rng.normal(lv, 0.5, k) for lv in (2.0, 4.0)}, names=("SMILE", "MINE")))
    assert rate <= 0.04


def test_below_zero_reads_direction_size_and_one_seed():
    assert benchmark.below_zero([-1.0, -1.1, -0.9], what="x").kind == evidence.Kind.AGREES
    short = benchmark.below_zero([-0.1, -0.11, -0.09], what="x", smallest_effect=math.log(1.5))
    assert short.kind == evidence.Kind.SMALLER
    assert benchmark.below_zero([1.0, 1.1, 0.9], what="x").kind == evidence.Kind.DISAGREES
    assert benchmark.below_zero([-1.0], what="x").status == "one seed, no spread"
    assert benchmark.below_zero([], what="x").kind == evidence.Kind.NOT_TESTED


def test_spread_levels_keep_the_regime_of_the_variance_law():
    assert benchmark.readout_rows(4000) == 800
    assert benchmark.spread_levels([2.0, 4.0, 6.0, 8.0, 10.0], 800) == [2.0, 4.0, 6.0]
    assert benchmark.spread_levels([2.0, 10.0], 100) == [2.0]


def hand_made_runs(seeds=(0, 1, 2)):
    rng = np.random.default_rng(1)
    stair, runs = [], []
    for label, sd in (("MINE", lambda lv: 0.02 * math.exp(lv / 2)), ("NWJ", lambda lv: 0.3),
                      ("SMILE", lambda lv: 0.01), ("InfoNCE", lambda lv: 0.01),
                      ("KSG", lambda lv: 0.01)):
        for lv in (2.0, 4.0, 6.0, 10.0):
            for seed in seeds:
                top = {"InfoNCE": 5.0}.get(label, 6.0)
                est = min(lv, top) + sd(lv) * rng.standard_normal()
                stair.append(dict(estimator=label, level=lv, true_mi=lv, seed=seed, estimate=est))
    for seed in seeds:
        runs.append(dict(estimator="KSG", dim_x=1, family="gaussian", seed=seed,
                         log_ratio=0.01 * (seed - 1)))
        runs.append(dict(estimator="KSG", dim_x=25, family="gaussian", seed=seed,
                         log_ratio=-1.0 + 0.05 * seed))
    return pd.DataFrame(runs), pd.DataFrame(stair)


def test_literature_checks_decide_every_claim_and_make_scorecard_rows():
    runs, stair = hand_made_runs()
    checks = benchmark.literature_checks(runs, stair, n=4000, log_k=math.log(256))
    kinds = {c.claim: c.decision.kind for c in checks}
    assert kinds["InfoNCE never exceeds log K"] == evidence.Kind.AGREES
    assert kinds["the spread of MINE grows with the MI"] == evidence.Kind.AGREES
    assert kinds["the spread of NWJ grows with the MI"] == evidence.Kind.UNDECIDED
    assert kinds["SMILE's clip gives a smaller spread than NWJ"] == evidence.Kind.AGREES
    assert kinds["KSG is accurate in low dimension"] == evidence.Kind.AGREES
    assert kinds["KSG falls toward zero in high dimension"] == evidence.Kind.AGREES
    assert kinds["large MI is underestimated from finite samples"] == evidence.Kind.AGREES
    # the 10-nat level lies outside the spread's regime (log 800 = 6.7)
    assert "From 2 to 6 nats" in checks[1].decision.sentence
    rows = benchmark.literature_claims("10_estimators_benchmark", checks)
    assert len(rows) == len(checks) == 8
    assert {r["source"] for r in rows} == {"later work"}
    assert rows[1]["this_run"].startswith("staircase at 2, 4, 6 nats (I <= log 800 read-out "
                                          "rows, read-out within a factor 1.5 of the truth): 1.")
    table = benchmark.literature_table(checks)
    assert list(table.columns) == ["source", "measured on", "decision", "why"]
    assert benchmark.literature_counts(checks) == "agrees: 7, not measurable: 1"
    advice = benchmark.spread_advice(rows)
    assert advice.startswith("the spread of MINE over seeds grew with the MI")
    assert "could not tell whether the spread of NWJ grows" in advice
    assert "has not run" in benchmark.spread_advice(None)
    # a decision of record from a recording is what the advice reads, and it says so
    recorded = [dict(r, record={"decision": "agrees", "from": "recorded long run (commit x)"})
                if r["claim"] == benchmark.SPREAD_CLAIM.format("NWJ") else r for r in rows]
    advice = benchmark.spread_advice(recorded)
    assert advice.startswith("the spread of MINE and NWJ over seeds grew with the MI in the "
                             "recorded long run")
    shrunk = [dict(r, decision="disagrees") if r["claim"] == benchmark.SPREAD_CLAIM.format("MINE")
              else r for r in rows]
    assert "shrank as the MI grew on the staircase of chapter 10" in benchmark.spread_advice(shrunk)
    # growth measured below the variance law's is said as such, never as "could not tell"
    slower = [dict(r, record={"decision": "smaller effect", "direction": "the paper's",
                              "from": "recorded long run (commit x)"})
              if r["claim"] == benchmark.SPREAD_CLAIM.format("MINE") else r for r in recorded]
    advice = benchmark.spread_advice(slower)
    assert advice == ("the spread of NWJ over seeds grew with the MI in the recorded long run of "
                      "chapter 10's staircase; the spread of MINE grew more slowly than Song and "
                      "Ermon's variance law predicts there")
    bounded = [dict(r, record=dict(r["record"], direction=None)) if "record" in r else r
               for r in slower]
    assert "MINE grew, if at all, more slowly" in benchmark.spread_advice(bounded)


def test_levels_where_the_read_out_stops_short_of_the_truth_are_left_out():
    runs, stair = hand_made_runs()
    stair.loc[(stair.estimator == "MINE") & (stair.level >= 4), "estimate"] *= 0.5
    assert benchmark.tracking_levels(stair, "MINE", [2.0, 4.0, 6.0]) == [2.0]
    checks = benchmark.literature_checks(runs, stair, n=4000, log_k=math.log(256))
    assert checks[1].decision.status == "too few levels"
    assert checks[3].scope.startswith("staircase at 2 nats")


def test_literature_checks_with_two_seeds_do_not_decide_the_spread():
    runs, stair = hand_made_runs(seeds=(0, 1))
    checks = benchmark.literature_checks(runs, stair, n=4000, log_k=math.log(256))
    spread = [c for c in checks if "spread" in c.claim]
    assert {c.decision.status for c in spread} == {"too few seeds"}
    rows = benchmark.literature_claims("10_estimators_benchmark", checks)
    assert rows[1]["this_run"].endswith(": too few seeds")


def test_task_table_marks_the_tasks_of_this_run_by_name():
    every, run = benchmark_tasks("paper"), benchmark_tasks("smoke")
    table = benchmark.task_table(every, run)
    assert int(table["in this run"].sum()) == len({t.name for t in run}) > 0
    assert set(table.index[table["in this run"]]) == {t.name for t in run}


def test_unequal_seeds_are_said_and_equal_ones_are_not():
    text = benchmark.unequal_seeds_sentence({"default": 3, "KSG k=5": 3, "MINE": 1})
    assert text.startswith("The peers did not all run as many seeds: MINE (1 seed a task), "
                           "against 3 for the default.")
    assert benchmark.unequal_seeds_sentence({"default": 3, "MINE": 3}) == ""


def test_default_vs_peer_and_advice_follow_the_decisions():
    means = pd.DataFrame(
        [dict(estimator="default", task=f"t{i}", log_ratio=0.01 * i) for i in range(6)]
        + [dict(estimator="MINE", task=f"t{i}", log_ratio=-0.5 - 0.01 * i) for i in range(6)]
        + [dict(estimator="KSG", task=f"t{i}", log_ratio=0.01 * i + (0.02 if i % 2 else -0.02))
           for i in range(6)])
    decisions = {p: benchmark.default_vs_peer(means, p) for p in ("MINE", "KSG")}
    assert decisions["MINE"].kind == evidence.Kind.AGREES
    assert decisions["KSG"].kind != evidence.Kind.AGREES
    assert benchmark.peer_advice(decisions) == (
        "on the recorded benchmark, it erred less than MINE task by task; no difference was "
        "shown against KSG")


@pytest.mark.parametrize("label", ["MINE", "NWJ"])
def test_stair_value_reads_one_cell(label):
    stats = pd.DataFrame([dict(estimator=label, level=2.0, mean=1.5, std=0.1)])
    assert benchmark.stair_value(stats, label, 2.0, "std") == 0.1


def test_chapter_11_reads_chapter_10s_decisions(tmp_path, monkeypatch):
    decisions = benchmark.comparison_decisions()  # the recorded comparison in book/recorded
    assert set(decisions) == set(benchmark.PEERS)
    assert benchmark.peer_advice(decisions).startswith("on the recorded benchmark")
    assert benchmark.saved_claims("10_estimators_benchmark", tmp_path) is None
    runs, stair = hand_made_runs()
    rows = benchmark.literature_claims("10_estimators_benchmark", benchmark.literature_checks(
        runs, stair, n=4000, log_k=math.log(256)))
    monkeypatch.setenv("MINE_RESULTS_DIR", str(tmp_path))
    save_results("10_estimators_benchmark", {"claims": rows})
    saved = benchmark.saved_claims("10_estimators_benchmark", tmp_path)
    assert benchmark.spread_advice(saved) == benchmark.spread_advice(rows)
    # with no current recording of chapter 10, the decision of record is this build's
    from mine_lib.experiments import record
    monkeypatch.setattr(record, "current_recordings", lambda chapters: {})
    of_record = benchmark.saved_claims_of_record("10_estimators_benchmark", tmp_path)
    assert [r["record"]["decision"] for r in of_record] == [r["decision"] for r in rows]


def test_the_variance_law_is_the_effect_to_detect():
    assert benchmark.law_slope([2.0, 3.0, 4.0, 5.0, 6.0]) == pytest.approx(1.04, abs=0.01)
    assert math.isnan(benchmark.law_slope([2.0]))
    # a spread that hardly grows, measured on many seeds: growth at the law's rate ruled out
    rng = np.random.default_rng(1)
    slow = {lv: lv + 0.1 * np.exp(0.1 * lv) * rng.standard_normal(40) for lv in (2.0, 3.0, 4.0, 5.0, 6.0)}
    d = benchmark.spread_growth(slow, label="MINE", law=True)
    assert d.kind == evidence.Kind.SMALLER and d.ci[1] < benchmark.law_slope(slow)
    assert "more slowly than the variance law" in d.sentence and "the variance law's growth is" in d.sentence
    assert benchmark.spread_growth(slow, label="MINE").kind != evidence.Kind.SMALLER  # no law, no size
    # growth measured (interval above zero) is said without "if at all"; an interval around zero keeps it
    assert d.ci[0] > 0 and "grew more slowly" in d.sentence
    flat = {lv: lv + 0.1 * rng.standard_normal(40) for lv in (2.0, 3.0, 4.0, 5.0, 6.0)}
    f = benchmark.spread_growth(flat, label="MINE", law=True)
    assert f.kind == evidence.Kind.SMALLER and f.ci[0] < 0 < f.ci[1]
    assert "grew, if at all, more slowly" in f.sentence
    # a spread that grows as the law says: agrees
    fast = {lv: lv + 0.05 * np.sqrt(np.expm1(lv)) * rng.standard_normal(40) for lv in (2.0, 3.0, 4.0, 5.0, 6.0)}
    assert benchmark.spread_growth(fast, label="NWJ", law=True).kind == evidence.Kind.AGREES
