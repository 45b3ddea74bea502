"""Chapter 02's report functions on hand-made bound summaries: the glued numbers are the
ones in the rows, the verdict follows the ratio, the figures draw one mark per row."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import bounds_report as report
from mine_lib.experiments import theory
from mine_lib.tasks import gaussian_mi


def optimal():
    return pd.DataFrame({"shift": [-2.0, 0.0, 1.0, 2.0], "dv": [1.01, 1.02, 0.99, 1.0],
                         "dv_sd": [0.01, 0.02, 0.03, 0.01], "nwj": [0.5, 0.6, 1.0, 0.7],
                         "nwj_sd": [0.1, 0.1, 0.1, 0.1], "dv_exact": [1.0] * 4, "nwj_exact": [0.45, 0.63, 1.0, 0.72]})


def test_optimal_table_names_each_critic():
    table = report.optimal_table(optimal())
    assert table["critic"].tolist() == ["log r -2", "log r", "log r +1", "log r +2"]
    assert list(table.columns) == ["critic", "DV exact", "DV sampled", "DV sd", "f-bound exact",
                                   "f-bound sampled", "f-bound sd"]
    assert table["f-bound sampled"].tolist() == [0.5, 0.6, 1.0, 0.7]


def test_optimal_glue_reads_the_rows_of_b_0_and_1():
    glue = report.optimal_glue(optimal(), 1.0)
    assert glue["dv-exact-err"] == 0.0 and glue["dv-mc-err"] == pytest.approx(0.02)
    assert glue["dv-sd"] == 0.03
    assert (glue["nwj1-exact"], glue["nwj1-mc"], glue["nwj0-exact"], glue["nwj0-mc"]) == (1.0, 1.0, 0.63, 0.6)
    assert all(type(v) is float for v in glue.values())


def by_scale():
    return pd.DataFrame({"scale": [0.5, 1.5, 2.0], "dv": [0.5, 1.1, 0.9], "dv_sd": [0.1, 0.2, 0.3],
                         "nwj": [0.4, 0.8, 0.1], "nwj_sd": [0.1, 0.1, 0.1], "dv_exact": [0.5, 1.0, 0.95],
                         "nwj_exact": [0.4, 0.8, 0.1]})


def test_gap_glue_counts_and_extremes():
    mc_gap = pd.Series([0.1, -0.01, 0.2, 0.0])
    gap = np.array([[0.0, 0.5], [0.25, 1.0], [2.0, 3.0]])
    values = np.stack([np.full((3, 2), 1.0), np.full((3, 2), 0.5)], axis=-1)
    scales = by_scale()
    big = scales[scales["scale"] >= 1.5]
    glue = report.gap_glue(mc_gap, gap, values, big, scales.iloc[2])
    assert glue["mc-gap-min"] == -0.01 and glue["mc-gap-frac"] == 75.0 and glue["mc-count"] == 4
    assert glue["grid-gap-min"] == 0.0 and glue["grid-points"] == 6
    assert glue["grid-dv-max"] == 1.0 and glue["grid-nwj-max"] == 0.5
    assert (glue["big-scale"], glue["big-above"], glue["big-count"]) == (1.5, 1, 2)
    assert (glue["a2-dv-mc"], glue["a2-dv-exact"], glue["a2-dv-sd"]) == (0.9, 0.95, 0.3)


def test_in_repeats():
    assert report.in_repeats("higher (over 20 seeds).") == "higher (over 20 repeats)."
    assert report.in_repeats("one (1 seed) and (3 seeds)") == "one (1 repeat) and (3 repeats)"
    assert report.in_repeats("seeds of doubt") == "seeds of doubt"


def test_shift_scale_figure_panels():
    fine = np.linspace(-3, 3, 7)
    exact = np.column_stack([np.full(7, 1.0), 1.0 - fine ** 2 / 10])
    by_shift = optimal()
    fig = report.shift_scale_figure(fine, exact, by_shift, fine[:5], exact[:5], by_scale(), 1.0, 2.25)
    left, right = fig.axes
    assert left.get_title() == "shifting the optimal critic" and right.get_title() == "scaling the optimal critic"
    assert len(left.containers) == 2 and len(right.containers) == 2     # DV and f-bound, sampled
    assert len(left.containers[0].lines[0].get_xdata()) == 4 and len(right.containers[1].lines[0].get_xdata()) == 3
    assert [len(line.get_xdata()) for line in left.lines[:2]] == [7, 7]
    assert left.get_ylim() == pytest.approx((-2.0, 1.3))
    assert right.lines[-1].get_xdata()[0] == 2.25                       # the infinite-moment line
    assert len(left.get_legend().get_texts()) == 5 and len(right.get_legend().get_texts()) == 5
    plt.close(fig)


def test_gap_figure_mesh_and_zero_curve():
    grid_a, grid_b = np.linspace(0.0, 2.0, 5), np.linspace(-3, 3, 4)
    gap = np.abs(np.subtract.outer(grid_b, grid_a)) + 0.1
    fig = report.gap_figure(grid_a, grid_b, gap, 2, 0.8)
    ax = fig.axes[0]
    assert len(fig.axes) == 2                                          # the map and its colour bar
    assert ax.collections[0].get_array().size == gap.size
    zero = ax.lines[0].get_ydata()
    assert zero == pytest.approx([1 - theory.log_ratio_moment(2, 0.8, a) for a in grid_a])
    assert ax.get_ylim() == (-3, 3) and ax.get_xlabel() == "scale a"
    plt.close(fig)


def spread(nwj_hi):
    return pd.DataFrame({"mi": [0.5, 1.0, 2.0], "dv_sd": [0.01, 0.02, 0.05], "nwj_sd": [0.02, 0.04, nwj_hi],
                         "marginal_term_sd": [0.02, 0.05, 0.1], "song_ermon_sd": [0.01, 0.03, 0.08]})


def test_spread_glue_and_verdict():
    glue = report.spread_glue(spread(0.2))
    assert (glue["lo-mi"], glue["hi-mi"], glue["dv-lo"], glue["dv-hi"]) == (0.5, 2.0, 0.01, 0.05)
    assert glue["nwj-factor"] == pytest.approx(10.0) and glue["term-ratio"] == pytest.approx(2.0)
    assert glue["term-verdict"].startswith("above that of the marginal term alone")
    below = report.spread_glue(spread(0.05))
    assert below["term-ratio"] == pytest.approx(0.5) and below["term-verdict"].startswith("below")


def test_looseness_glue_is_the_distance_to_the_truth():
    mi = gaussian_mi(2, 0.8)
    glue = report.looseness_glue(2, 0.8, mi)
    assert sorted(glue) == ["dv-loose-09", "dv-loose-11", "dv-loose-15", "dv-loose-20", "f-loose-3", "f-loose-m2"]
    assert all(v > 0 for v in glue.values())                            # no bound is above the truth
    assert glue["dv-loose-20"] == pytest.approx(mi - theory.shifted_critic_bounds(2, 0.8, 2.0, 0.0)[0])
    assert glue["f-loose-m2"] == pytest.approx(math.exp(-3) + 2) and glue["f-loose-3"] == pytest.approx(math.e ** 2 - 3)


def test_spread_figure_one_point_per_mi():
    fig = report.spread_figure(spread(0.2), 5000)
    ax = fig.axes[0]
    assert [len(line.get_xdata()) for line in ax.lines] == [3, 3, 3, 3]
    assert ax.get_yscale() == "log" and ax.get_title() == "spread at the optimal critic, n = 5000"
    assert ax.get_legend().get_texts()[3].get_text() == "sqrt((e^I − 1)/n)"
    plt.close(fig)
