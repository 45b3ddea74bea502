"""Chapter 05's report functions on hand-made runs: the tolerance scales with the truth, the
sentences follow the decisions."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from mine_lib.experiments import equitability_report as report
from mine_lib.experiments import evidence


def runs_at(truth, offset, seeds=5, f="x", sigma=0.1):
    return pd.DataFrame({"method": "mine", "f": f, "sigma": sigma, "seed": range(seeds), "true_mi": truth,
                         "estimate": truth + offset + 0.005 * np.arange(seeds), "status": "ok"})


def test_the_tolerance_is_the_larger_of_absolute_and_relative():
    # truth 2 nats: 10 % is 0.2, larger than 0.05
    assert report.track(runs_at(2.0, 0.15), "mine", "x", 0.05, 0.10, f="x", sigma=0.1).kind == "agrees"
    assert report.track(runs_at(2.0, 0.30), "mine", "x", 0.05, 0.10, f="x", sigma=0.1).kind == "disagrees"
    # truth 0.1 nats: 10 % is 0.01, so 0.05 applies
    assert report.track(runs_at(0.1, 0.03), "mine", "x", 0.05, 0.10, f="x", sigma=0.1).kind == "agrees"


def decision(kind):
    return evidence.Decision(kind, "within tolerance" if kind == "agrees" else "underpowered", "", n=5)


def test_good_from_needs_every_function_from_that_sigma_on():
    cells = {("mine", f, s): decision("agrees" if s >= 0.1 or f == "x" else "not measurable")
             for f in ("x", "sin(x)") for s in (0.01, 0.1, 1.0)}
    assert report.good_from(cells, ("x", "sin(x)"), (0.01, 0.1, 1.0)).startswith("from σ = 0.1 up")
    cells["mine", "sin(x)", 1.0] = decision("not measurable")
    assert report.good_from(cells, ("x", "sin(x)"), (0.01, 0.1, 1.0)).startswith("at no σ of this run")


def test_dependence_reading_follows_the_decision():
    up = evidence.Decision("agrees", "measured", "", estimate=0.3, ci=(0.1, 0.5), n=5)
    down = evidence.Decision("disagrees", "measured", "", estimate=-0.3, ci=(-0.5, -0.1), n=5)
    same = evidence.Decision("agrees", "equivalent", "", estimate=0.0, ci=(-0.01, 0.01), n=5)
    assert "in the direction of the truth" in report.dependence_reading(up)
    assert "opposite direction" in report.dependence_reading(down)
    assert "heatmap's reading holds" in report.dependence_reading(same)


def test_worst_glue_names_the_worst_cell():
    summary = pd.DataFrame({"method": ["mine", "mine", "ksg"], "f": ["x", "x^3", "x"], "sigma": [0.1, 0.01, 0.1],
                            "bias": [0.01, -0.2, -0.5], "true_mi": [1.0, 2.0, 1.0], "mean": [1.01, 1.8, 0.5],
                            "oracle_mean": [1.0, 1.95, 1.0]})
    glue = report.worst_glue(summary)
    assert glue["worst-f"] == "f(x) = x³" and glue["worst-sigma"] == 0.01
    assert abs(glue["worst-gap"] + 0.15) < 1e-9 and glue["worst-x3"].startswith("; the flat stretch")


FUNCTIONS = ["x", "sin(x)"]
COLORS = {"x": "C0", "sin(x)": "C1"}


def truth_curves(sigmas=(0.01, 0.1, 1.0)):
    return pd.DataFrame([{"f": f, "sigma": s, "true_mi": 1.0 / s, "limit": 0.9 / s} for f in FUNCTIONS for s in sigmas])


def study_summary(sigmas=(0.1, 1.0)):
    return pd.DataFrame([{"method": m, "f": f, "sigma": s, "mean": 1.0 / s, "sd": 0.1, "bias": 0.02}
                         for m in ("mine", "ksg") for f in FUNCTIONS for s in sigmas])


def test_truth_figure_draws_the_truth_and_its_limit_per_function():
    fig = report.truth_figure(truth_curves(), FUNCTIONS, COLORS)
    ax, = fig.axes
    assert len(ax.lines) == 2 * len(FUNCTIONS) and all(len(line.get_xdata()) == 3 for line in ax.lines)
    assert [line.get_linestyle() for line in ax.lines] == ["-", ":", "-", ":"]
    assert ax.get_xscale() == "log" and ax.get_ylim()[0] == 0
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["f(x) = x: true I(X; Y)",
                                                                   "f(x) = sin x: true I(X; Y)"]
    plt.close(fig)


def test_study_figure_shows_estimates_and_errors_with_the_tolerance_band():
    fig = report.study_figure(truth_curves(), study_summary(), FUNCTIONS, COLORS, 0.05)
    estimates, errors = fig.axes
    assert len(estimates.containers) == len(FUNCTIONS)                 # MINE's error bars
    squares = [line for line in estimates.lines if line.get_marker() == "s"]
    assert len(squares) == len(FUNCTIONS) and all(len(line.get_xdata()) == 2 for line in squares)
    assert len(errors.lines) == 2 * len(FUNCTIONS) + 1                  # MINE and KSG per f, the zero line
    band, = errors.patches
    assert band.get_y() == -0.05 and band.get_height() == 0.1
    assert errors.get_title() == "errors"
    plt.close(fig)
