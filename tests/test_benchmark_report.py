"""Chapter 10's report functions on the committed comparison record and on a hand-made one:
unequal seeds are said in the claim, the tables keep their rows, the glue names what ran."""

import json
import math
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd

from mine_lib.estimator import TrainConfig
from mine_lib.experiments import benchmark, evidence
from mine_lib.experiments import benchmark_report as report
from mine_lib.tasks import gaussian_task

RECORD = json.loads((Path(__file__).resolve().parents[1] / "book" / "recorded" /
                     "estimator_comparison.json").read_text())


def test_comparison_on_the_committed_record():
    prov, summary, means = report.comparison_frames(RECORD)
    assert summary.loc["default", "seeds"] == prov["seeds"]["default"]
    table = report.comparison_table(summary)
    assert "coverage" not in " ".join(table.columns) and "default" in table.index
    vs, bound, verdict, glue = report.comparison_findings(RECORD, prov, summary, means)
    # the recorded lower ends are the lower bounds: none lay above the truth in 48 runs
    assert (glue["bound_runs"], glue["bound_misses"]) == (48, 0) and bound.kind == "agrees"
    assert "held the truth in 31 of 48 runs" in glue["withdrawn_sentence"]
    assert report.bound_table(RECORD)["runs"].sum() == 48
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
    assert rows[-1]["claim"] == "the default's 97.5 % lower bound holds at its level"


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


def test_tasks_figure_draws_the_tasks_shown():
    tasks = [gaussian_task(3, 0.75), gaussian_task(1, 0.5)]
    fig = report.tasks_figure(tasks, [tasks[1].name, tasks[0].name])
    assert len(fig.axes) == 8
    first = fig.axes[0]
    assert first.get_title() == f"{tasks[1].name}\nI = {tasks[1].true_mi:.3f} nats"
    assert len(first.collections[0].get_offsets()) == 1500 and first.get_xlabel() == "$x_1$"
    assert not fig.axes[2].collections   # two tasks shown: the other panels stay empty
    plt.close(fig)


def test_heatmap_frames_the_solved_cells():
    heat = pd.DataFrame({"MINE": [0.1, -1.0], "KSG": [0.5, 0.0]}, index=["a", "b"])
    fig = report.heatmap_figure(heat)
    ax = fig.axes[0]
    frames = [(p.get_x(), p.get_y()) for p in ax.patches]
    assert sorted(frames) == [(0, 0), (1, 1)]   # |log ratio| < log 1.5 = 0.405: (a, MINE), (b, KSG)
    assert [t.get_text() for t in ax.get_xticklabels()] == ["MINE", "KSG"]
    plt.close(fig)


def test_staircase_sizes_and_figure():
    assert report.infonce_k({}, 10_000) == TrainConfig().batch_size
    assert report.infonce_k({"batch_size": 512}, 500) == 300    # 200 rows kept out of training
    glue = report.staircase_glue(12.0, 256, [0, 1], 4000, {"max_steps": 500}, (2.0, 10.0))
    assert list(glue) == ["stair_seconds", "log_k", "batch", "stair_seeds", "stair_n", "stair_steps",
                          "spread_levels"]
    assert glue["log_k"] == math.log(256) and glue["stair_seeds"] == 2 and glue["stair_steps"] == 500
    assert glue["spread_levels"].endswith(f"below log 800 = {math.log(800):.2f}")
    stats = pd.DataFrame({"estimator": ["MINE", "MINE", "InfoNCE", "InfoNCE"], "level": [2.0, 10.0] * 2,
                          "mean": [2.1, 9.0, 2.0, 5.5], "std": [0.1, 1.0, 0.05, None]})
    fig = report.staircase_figure(stats, ["MINE", "InfoNCE"], {"MINE": "C0", "InfoNCE": "C1"}, (2.0, 10.0),
                                  math.log(256))
    left, right = fig.axes
    assert len(right.lines) == 2 and right.lines[0].get_ydata().tolist() == [0.1, 1.0]
    assert [t.get_text() for t in left.get_legend().get_texts()] == ["truth", "log K = 5.55", "MINE", "InfoNCE"]
    assert left.get_title() == "mean ± sd over seeds" and right.get_title() == "spread over seeds"
    plt.close(fig)


def test_literature_glue_reads_the_top_level():
    stats = pd.DataFrame({"estimator": ["KSG", "InfoNCE", "KSG", "InfoNCE"], "level": [2.0, 2.0, 6.0, 6.0],
                          "mean": [2.0, 1.9, 4.0, 5.0], "std": 0.1})
    claims = ["InfoNCE never exceeds log K", "the spread of MINE grows with the MI",
              "the spread of NWJ grows with the MI", "SMILE's clip gives a smaller spread than MINE",
              "SMILE's clip gives a smaller spread than NWJ"]
    checks = [benchmark.Check(c, "someone", "runs", evidence.not_tested(c)) for c in claims]
    glue = report.literature_glue(checks, stats, ["KSG", "InfoNCE"], (2.0, 6.0))
    assert glue["best_top"] == "InfoNCE" and glue["best_top_value"] == 5.0 and glue["ksg_top"] == 4.0
    assert glue["low"] == 2.0 and glue["high"] == 6.0 and glue["nce_top"] == 5.0
    assert glue["mine_spread"] == checks[1].decision.sentence
    assert list(glue) == ["nce_verdict", "nce_top", "mine_spread", "nwj_spread", "smile_mine", "smile_nwj",
                          "high", "low", "best_top", "best_top_value", "ksg_top"]
