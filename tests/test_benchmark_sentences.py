"""Chapter 10's sentences about the recorded comparison, on hand-made tables."""

import math

import pandas as pd
import pytest

from mine_lib import InputError
from mine_lib.experiments import benchmark


def test_wilson_interval_known_value_and_bad_input():
    low, high = benchmark.wilson_interval(31, 48)  # 0.646 of 48 runs
    assert (round(low, 3), round(high, 3)) == (0.504, 0.766)
    low, high = benchmark.wilson_interval(0, 10)
    assert low == pytest.approx(0.0, abs=1e-12) and 0 < high < 0.35  # never below 0
    with pytest.raises(InputError, match="hits"):
        benchmark.wilson_interval(11, 10)


def test_lower_bound_decision_flips_with_the_share_of_runs_it_held():
    assert benchmark.lower_bound_decision(48, 48).kind == "agrees"      # Wilson 0.926 to 1
    assert benchmark.lower_bound_decision(240, 400).kind == "disagrees"
    assert benchmark.lower_bound_decision(9, 10).kind == "not measurable"  # too few runs


def test_interval_misses_name_the_tasks_always_below():
    rows = pd.DataFrame([
        dict(estimator="default", task="a", runs=3, below=3, above=0),
        dict(estimator="default", task="b", runs=3, below=1, above=1),
        dict(estimator="KSG k=5", task="c", runs=3, below=3, above=0)])
    text = benchmark.interval_misses_sentence(rows)
    assert text == "On 1 task every interval lay below the truth: a."
    rows.loc[0, "below"] = 2
    assert benchmark.interval_misses_sentence(rows) == (
        "On no task did every interval lie below the truth.")
    assert "No two-sided" in benchmark.interval_misses_sentence(pd.DataFrame())
    assert "No two-sided" in benchmark.interval_misses_sentence(rows.drop(columns="below"))


def test_lower_bound_by_family_and_the_withdrawn_interval():
    rows = pd.DataFrame([
        dict(estimator="default", task="a", runs=3, covered=2, below=0, above=1),
        dict(estimator="default", task="b", runs=3, covered=0, below=3, above=0),
        dict(estimator="default", task="c", runs=3, covered=3, below=0, above=0)])
    table = benchmark.lower_bound_by_family(rows, {"a": "gaussian", "c": "gaussian", "b": "student-t"})
    assert table.loc["gaussian", "runs"] == 6 and table.loc["gaussian", "lower bound above the truth"] == 1
    assert table.loc["student-t", "old two-sided interval held the truth"] == 0
    text = benchmark.withdrawn_interval_sentence(rows)
    assert "held the truth in 5 of 9 runs; in 3 the whole interval lay below the truth, in 1 " \
        "above it" in text
    # a recording made after the interval was withdrawn has only the bound's misses
    later = rows[["estimator", "task", "runs", "above"]]
    assert math.isnan(benchmark.lower_bound_by_family(later, {}).loc[
        "a", "old two-sided interval held the truth"])
    assert benchmark.withdrawn_interval_sentence(later).startswith("No two-sided")


def test_rank_invariance_counts_only_per_coordinate_maps_of_present_bases():
    means = pd.DataFrame([
        dict(estimator="default", task="g", mean=1.0),
        dict(estimator="default", task="asinh@g", mean=1.005),      # same: counted
        dict(estimator="default", task="half-cube@g", mean=1.2),    # differs: counted
        dict(estimator="default", task="spiral/id@g", mean=0.5),    # not per coordinate
        dict(estimator="default", task="asinh@missing", mean=0.5),  # no base
        dict(estimator="KSG k=5", task="asinh@g", mean=9.0)])
    assert benchmark.rank_invariance_sentence(means).startswith("On 1 of the 2 tasks")
    assert benchmark.rank_invariance_sentence(means[means.task == "g"]) == ""


def test_solved_verdict_says_ahead_level_or_behind():
    peers = {"KSG": "K", "SMILE": "S"}
    assert benchmark.solved_verdict({"default": 5, "K": 3, "S": 5}, 6, peers=peers).endswith(
        "it solved more than KSG, as many as SMILE")
    assert "no more than either peer" in benchmark.solved_verdict(
        {"default": 2, "K": 3, "S": 5}, 6, peers=peers)
