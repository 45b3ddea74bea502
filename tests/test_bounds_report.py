"""Chapter 02's report functions on hand-made bound summaries: the glued numbers are the
ones in the rows, the verdict follows the ratio, the figures draw one mark per row."""


import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import bounds_report as report
from mine_lib.experiments import theory


def optimal():
    return pd.DataFrame({"shift": [-2.0, 0.0, 1.0, 2.0], "dv": [1.01, 1.02, 0.99, 1.0],
                         "dv_sd": [0.01, 0.02, 0.03, 0.01], "nwj": [0.5, 0.6, 1.0, 0.7],
                         "nwj_sd": [0.1, 0.1, 0.1, 0.1], "dv_exact": [1.0] * 4, "nwj_exact": [0.45, 0.63, 1.0, 0.72]})


def by_scale():
    return pd.DataFrame({"scale": [0.5, 1.5, 2.0], "dv": [0.5, 1.1, 0.9], "dv_sd": [0.1, 0.2, 0.3],
                         "nwj": [0.4, 0.8, 0.1], "nwj_sd": [0.1, 0.1, 0.1], "dv_exact": [0.5, 1.0, 0.95],
                         "nwj_exact": [0.4, 0.8, 0.1]})


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


def test_spread_figure_one_point_per_mi():
    fig = report.spread_figure(spread(0.2), 5000)
    ax = fig.axes[0]
    assert [len(line.get_xdata()) for line in ax.lines] == [3, 3, 3, 3]
    assert ax.get_yscale() == "log" and ax.get_title() == "spread at the optimal critic, n = 5000"
    assert ax.get_legend().get_texts()[3].get_text() == "sqrt((e^I − 1)/n)"
    plt.close(fig)
