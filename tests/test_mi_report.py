"""Chapter 01's report functions on hand-made results: the table shows the numbers it is
given, the glued numbers follow the curve and the sweep, the figures draw one mark per row."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.classic import default_bins
from mine_lib.experiments import mi_report as report


def curve():
    return pd.DataFrame({"sigma": [0.1, 0.3, 1.0], "exact": [1.5, 0.9, 0.4], "ksg": [1.45, 0.95, 0.38],
                         "gaussian formula": [0.01, 0.0, 0.02]})


def test_example_table_rows_and_format():
    styled = report.example_table(0.012, 0.0001, 0.9, 0.91, 0.89, 0.88, 5, 6)
    table = styled.data
    assert len(table) == 6 and list(table.columns) == ["quantity", report.VALUE]
    assert table[report.VALUE].tolist() == [0.012, 0.0001, 0.9, 0.91, 0.89, 0.88]
    assert table.loc[4, "quantity"] == "KSG, k = 3 (mean of 5 samples)"
    assert table.loc[5, "quantity"] == "MINE, held-out split (mean of 6 runs)"
    assert all(styled.hide_index_)
    html = styled.to_html()
    assert "0.0120" in html and "0.0001" in html and "0.012<" not in html


def test_curve_glue_numbers():
    glue = report.curve_glue(curve())
    assert set(glue) == {"ksg-err", "formula-max", "mi-min", "mi-max", "n"}
    assert glue["ksg-err"] == pytest.approx(0.05)
    assert glue["formula-max"] == 0.02 and glue["mi-min"] == 0.4 and glue["mi-max"] == 1.5
    assert glue["n"] == 3 and type(glue["ksg-err"]) is float


def test_square_figure_panels_and_marks():
    rng = np.random.default_rng(0)
    xs = rng.normal(size=(2500, 1))
    zs = xs ** 2 + 0.3 * rng.normal(size=(2500, 1))
    grid = np.linspace(-1, 8, 50)
    fig = report.square_figure(xs, zs, grid, np.exp(-np.abs(grid)), curve(), [0.9, 0.95], 0.3, 0.0123)
    left, middle, right = fig.axes
    assert left.get_title() == "Z = X² + 0.3·ε   (r = 0.012)"
    assert len(left.collections[0].get_offsets()) == 2000       # the first 2000 points only
    assert middle.get_xlim() == (-1.5, 8) and len(middle.patches) == 120
    assert len(middle.lines[0].get_xdata()) == 50
    assert [len(line.get_xdata()) for line in right.lines] == [3, 3, 3, 2]
    assert list(right.lines[3].get_xdata()) == [0.3, 0.3]
    assert right.get_xscale() == "log" and right.get_title() == "MI against the noise"
    assert [t.get_text() for t in right.get_legend().get_texts()] == [
        "numerical integration", "KSG (k = 3)", "Gaussian formula from r", "MINE"]
    plt.close(fig)


def sweep_pivot(kde_hi):
    return pd.DataFrame({"histogram": [1.2, 3.0], "kde": [0.9, kde_hi], "ksg": [0.98, 0.6]},
                        index=pd.Index([1, 8], name="dim"))


def test_dimension_glue_numbers_note_and_table():
    glue = report.dimension_glue(sweep_pivot(-0.1), [1, 2, 4, 8], 1.0, 500)
    for name in ("ksg", "kde", "histogram"):
        assert {f"{name}-lo", f"{name}-hi", f"{name}-err-lo", f"{name}-err-hi"} <= set(glue)
    assert glue["ksg-lo"] == 0.98 and glue["ksg-err-hi"] == pytest.approx(0.4)
    assert glue["histogram-err-hi"] == pytest.approx(2.0)
    assert glue["ksg-factor"] == pytest.approx(0.4 / 0.02)
    assert glue["log-n"] == pytest.approx(math.log(500)) and glue["lo"] == 1
    assert glue["bins-hi"] == default_bins(500, 16) and glue["bins-lo"] == default_bins(500, 2)
    assert glue["kde-note"].startswith(" (below zero")
    assert report.dimension_glue(sweep_pivot(0.1), [1, 8], 1.0, 500)["kde-note"] == ""
    table = glue["table"]
    assert list(table.data.columns) == ["histogram (mean)", "kde (mean)", "ksg (mean)"]
    assert "0.980" in table.to_html()


def test_dims_figure_one_point_per_dimension():
    dims = [1, 2, 4]
    summary = pd.DataFrame([{"estimator": e, "dim": d, "mean": 1.0 + 0.1 * d, "std": 0.05}
                            for e in ("histogram", "kde", "ksg") for d in dims])
    fig = report.dims_figure(summary, dims, 1.0, 300)
    left, right = fig.axes
    assert len(left.containers) == 3                         # one error bar per estimator
    assert [len(line.get_xdata()) for line in right.lines] == [3, 3, 3]
    assert right.lines[0].get_ydata() == pytest.approx([0.1, 0.2, 0.4])
    assert left.get_title() == "fixed MI, n = 300" and right.get_title() == "absolute error"
    assert [t.get_text() for t in left.get_xticklabels()] == ["1", "2", "4"]
    assert right.get_yscale() == "log" and right.get_legend() is None
    labels = [t.get_text() for t in left.get_legend().get_texts()]
    assert labels == ["true MI", "log n", "ksg", "kde", "histogram"]
    plt.close(fig)


def test_recorded_mine_sentence_names_the_recorded_sample_size():
    from mine_lib.experiments import evidence

    decided = evidence.tracks_truth([1.09, 1.10, 1.08], 1.14, 0.1, what="MINE", unit="nats")
    row = evidence.claim("01", "MINE within 0.1", "1.14", decided)
    undecided = dict(row, decision="not measurable")
    recording = {"profile": "long", "commit": "abcdef123", "date": "2026-12-07",
                 "results": {"results": {"claims": [row], "square_example": {"n": 50_000}}}}
    text = report.recorded_mine_sentence(undecided, recording)
    assert text.startswith("The recorded long run (commit abcdef1, 2026-12-07) decides it: MINE")
    assert text.endswith("(That run drew 50,000 samples per seed.)")
    assert report.recorded_mine_sentence(row, recording) == ""
    assert report.recorded_mine_sentence(undecided, None).startswith("No current")
