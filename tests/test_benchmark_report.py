"""Chapter 10's report functions on the committed comparison record and on a hand-made one:
unequal seeds are said in the claim, the tables keep their rows, the glue names what ran."""

import json
from pathlib import Path

import pandas as pd

from mine_lib.experiments import benchmark_report as report

RECORD = json.loads((Path(__file__).resolve().parents[1] / "book" / "recorded" /
                     "estimator_comparison.json").read_text())


def test_comparison_on_the_committed_record():
    prov, summary, means = report.comparison_frames(RECORD)
    assert summary.loc["default", "seeds"] == prov["seeds"]["default"]
    table = report.comparison_table(summary)
    assert "interval coverage" in table.columns and "default" in table.index
    vs, coverage, verdict, glue = report.comparison_findings(RECORD, prov, summary, means)
    assert set(vs) == {"KSG", "SMILE", "MINE"} and glue["vs_ksg"] == vs["KSG"].sentence
    assert glue["prov_commit"] == str(prov["commit"])


def test_unequal_seeds_are_said_in_the_claim():
    prov, summary, means = report.comparison_frames(RECORD)
    vs, coverage, _, _ = report.comparison_findings(RECORD, prov, summary, means)
    rows = report.claims([], vs, coverage, {**prov, "seeds": {"default": 3, "KSG k=5": 3, "MINE": 1,
                                                              "torch-mist SMILE": 3}})
    text = {r["claim"] for r in rows}
    assert "the default errs less than KSG k=5 per task" in text
    assert "the default errs less than MINE per task (MINE: 1 seed a task, the default: 3)" in text
    assert rows[-1]["claim"] == "the default's 95 % interval covers the truth at its level"


def test_summary_glue_and_table():
    summary = pd.DataFrame({"solved": [5, 5, 3], "tasks": 6, "runs_solved": 0.5, "median_abs_log_ratio": 0.1,
                            "seconds_per_run": [2.0, 0.5, 4.0], "solved_per_minute": 1.0},
                           index=pd.Index(["SMILE", "KSG", "MINE"], name="estimator"))
    means = pd.DataFrame({"dim_x": [25, 25, 1], "estimator": ["KSG", "MINE", "KSG"], "log_ratio": [-1.0, 0.0, 0.0]})
    glue = report.summary_glue(summary, means)
    assert glue["best"] == "SMILE" and glue["tied"] == "SMILE, KSG" and glue["neural_seconds"] == 3.0
    assert abs(glue["ksg_high_ratio"] - 0.36787944) < 1e-6
    assert list(report.summary_table(summary).columns)[0] == "tasks solved"
    assert report.long_sizes(None) == "not recorded yet"
