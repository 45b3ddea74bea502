"""Chapter 06's report functions on hand-made cells: the step counts say how many runs
reached the tolerance, the summaries follow the numbers, JSON rows hold no NaN."""

import json
import math
from types import SimpleNamespace

import numpy as np
import pandas as pd

from mine_lib.experiments import loss_report as report
from mine_lib.experiments.results import json_rows


def cells(reached, runs, diverged, medians):
    return pd.DataFrame({"reached": reached, "runs": runs, "diverged": diverged, "steps_val_median": medians})


def test_steps_text_counts_the_runs_that_reached_the_tolerance():
    assert report.steps_text(cells([0, 0], [4, 4], [1, 0], [np.inf, np.inf])) == "never (0/7)"
    assert report.steps_text(cells([1, 1], [4, 4], [0, 0], [np.inf, np.inf])) == "median not reached (2/8)"
    assert report.steps_text(cells([4, 3], [4, 4], [0, 0], [100.0, 300.0])) == "200 (7/8)"
    assert report.steps_text(cells([], [], [], [])) == "never (0/0)"


def test_steps_summary_per_rho():
    table = pd.DataFrame({"rho": [0.5, 0.5, 0.9, 0.9, 0.99, 0.99], "loss": ["dv", "eam"] * 3,
                          "steps_val_median": [100.0, 100.0, 100.0, 300.0, np.inf, np.inf]})
    text = report.steps_summary(table, [0.5, 0.9, 0.99], 600)
    assert text == "ρ = 0.5: 100 steps; ρ = 0.9: 100 to 300 steps; ρ = 0.99: no loss within 600 steps"
    part = table.assign(steps_val_median=[100.0, np.inf] * 3)
    assert "100 to 100 steps for 1 of 2 loss-batch pairs, never for the rest" in report.steps_summary(part, [0.5], 600)


def test_speed_table_rows():
    cfg = SimpleNamespace(losses=("dv",), rhos=(0.5,), tolerance=0.1)
    table = cells([4], [4], [0], [120.0]).assign(loss="dv", rho=0.5, collapsed=1)
    runs = pd.DataFrame({"loss": ["dv", "dv"], "seconds": [1.0, 2.0]})
    row = report.speed_table(table, runs, cfg).iloc[0]
    assert row["steps to 0.1 nats, ρ=0.5"] == "120 (4/4)"
    assert row["collapsed"] == "1/4" and row["seconds per run"] == "1.50"


def test_settings_glue_counts_runs():
    cfg = SimpleNamespace(losses=("dv", "eam"), rhos=(0.1, 0.9), batch_sizes=(64,), seeds=(0,), steps=60,
                          eval_every=20, n_samples=10, n_eval=5, lr=1e-3, hidden=(8, 8), tolerance=0.1, window=5)
    glue = report.settings_glue(cfg, 2.0)
    assert glue["n_runs"] == 4 and glue["seeds_text"] == "1 seed" and glue["hidden"] == "8 x 8"
    assert glue["log_a_star"] == math.log(2.0)


def test_json_rows_replace_nan_and_infinity():
    rows = json_rows(pd.DataFrame({"a": [1.0, np.nan], "b": [np.inf, 2.0], "c": ["x", "y"]}))
    assert rows == [{"a": 1.0, "b": None, "c": "x"}, {"a": None, "b": 2.0, "c": "y"}]
    json.dumps(rows, allow_nan=False)
