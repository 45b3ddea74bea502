"""Chapter 03's report functions on hand-made bias and consistency rows: the slope fit uses
only resolved points, the control fails when its test finds bias, the consistency decisions
follow the errors."""

from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import estimator_report as report

BATCHES = [4, 16, 64, 256]


def bias_rows(dv_bias, nwj_p=0.5, noise=1e-4):
    rows = []
    for b, db in zip(BATCHES, dv_bias):
        rows.append(dict(method="dv", rate=1.0, batch_size=b, bias_norm=db, noise_norm=noise, bias_p=0.01,
                         full_norm=1.0, relative_bias=db, term_norm=1.0))
        rows.append(dict(method="mine-f", rate=1.0, batch_size=b, bias_norm=noise, noise_norm=noise, bias_p=nwj_p,
                         full_norm=1.0, relative_bias=0.0, term_norm=1.0))
        for r in (0.1, 0.01):
            rows.append(dict(method="mine", rate=r, batch_size=b, bias_norm=db * r, noise_norm=noise, bias_p=0.01,
                             full_norm=1.0, relative_bias=db * r, term_norm=1.0))
    return report.label_bias(pd.DataFrame(rows))


def test_dv_slope_uses_resolved_points_only():
    bias = bias_rows([0.1 / b for b in BATCHES])          # exactly 1/B, all far above the noise
    dv = bias[bias["method"] == "dv"].set_index("batch_size")
    slope, ci, points = report.dv_slope(dv)
    assert slope == pytest.approx(-1.0, abs=1e-6) and ci is not None and len(points) == 4
    buried = bias_rows([0.1 / 4, 0.1 / 16, 1e-5, 1e-5])    # two points under twice the noise floor
    dv = buried[buried["method"] == "dv"].set_index("batch_size")
    slope, ci, points = report.dv_slope(dv)
    assert ci is None and len(points) == 2 and slope == pytest.approx(-1.0, abs=1e-6)
    assert np.isnan(report.dv_slope(dv.iloc[:1])[0])


def test_the_control_fails_when_its_test_finds_bias():
    ok = report.bias_decisions(bias_rows([0.1 / b for b in BATCHES]), (0.1, 0.01), 16)
    assert ok[3].kind == "agrees" and ok[5].status == "holds"
    assert ok[4][0.01].kind == "agrees"                     # the moving average measurably lowers the bias
    bad = report.bias_decisions(bias_rows([0.1 / b for b in BATCHES], nwj_p=1e-4), (0.1, 0.01), 16)
    assert bad[5].status == "fails"


def test_consistency_follows_the_errors():
    rows = []
    for n in (300, 1200, 4800):
        for seed in range(5):
            err = (0.5 + 0.05 * seed) / np.sqrt(n) * 10 * (1 if seed % 2 else -1)
            rows.append(dict(n=n, seed=seed, fresh_estimate=1.0 + err, fresh_error=err, error=err, seconds=1.0,
                             parameters=100))
    sweep = pd.DataFrame(rows)
    agg = report.consistency_summary(sweep)
    slope, ci, slope_test, d, consistent, rate, glue = report.consistency_findings(sweep, agg, [300, 1200, 4800],
                                                                                   range(5))
    assert slope == pytest.approx(-0.5, abs=1e-6) and rate.kind == "agrees"
    assert consistent.kind == "agrees" and glue["cons-monotone"] == "falls at every step"
    assert glue["cons-factor"] == pytest.approx(4.0) and d == 100
    assert list(report.consistency_table(agg).columns)[:3] == ["n", "mean estimate", "sd"]


def consistency_rows():
    rows = []
    for n in (300, 1200, 4800):
        for seed in range(3):
            err = 0.1 * (seed + 1) / np.sqrt(n)
            rows.append(dict(n=n, seed=seed, fresh_estimate=1.0 + err, fresh_error=err, error=err, seconds=1.0,
                             parameters=100))
    return pd.DataFrame(rows)


def test_training_figure_draws_every_run_against_the_optimal_critic():
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(2000, 1)), rng.normal(size=(2000, 1))
    runs = {m: SimpleNamespace(history={"train_estimate": [0.1, 0.2, 0.3], "val_step": [1, 3],
                                        "val_estimate": [0.2, 0.4]}) for m in ("mine", "dv")}
    log_r = rng.normal(size=3000)
    fits = {m: {"scores": log_r + 1} for m in runs}
    fig = report.training_figure(x, z, runs, fits, log_r, 0.8, {"mine": "C0", "dv": "C1"})
    joint, curves, critic = fig.axes
    assert len(fig.axes) == 3 and critic.get_title() == "what the network learns"
    assert [len(c.get_offsets()) for c in joint.collections] == [2000, 2000]
    assert len(curves.lines) == 2 * len(runs) + 1 and curves.get_ylim() == pytest.approx((-0.2, 1.3))
    assert list(curves.lines[0].get_xdata()) == [1, 2, 3]
    assert [len(c.get_offsets()) for c in critic.collections] == [1500, 1500] and len(critic.lines) == 2
    plt.close(fig)


def test_bias_figure_marks_unresolved_points_and_the_one_over_b_line():
    bias = bias_rows([0.1 / 4, 0.1 / 16, 1e-5, 1e-5])       # DV's two largest batches are buried
    fig = report.bias_figure(bias, BATCHES)
    ax, = fig.axes
    labels = list(dict.fromkeys(bias["label"]))
    assert len(ax.lines) == 3 * len(labels) + 2
    assert len(ax.lines[0].get_xdata()) == 2 and len(ax.lines[1].get_xdata()) == 2   # DV: resolved, not
    one_over_b = ax.lines[-2]
    assert list(one_over_b.get_xdata()) == [4, 256] and one_over_b.get_ydata()[1] == pytest.approx(0.1 / 256)
    assert [t.get_text() for t in ax.get_xticklabels()] == [str(b) for b in BATCHES]
    assert ax.get_xscale() == ax.get_yscale() == "log"
    plt.close(fig)


def test_consistency_figure_shows_every_run_and_the_rmse_per_n():
    sweep = consistency_rows()
    agg = report.consistency_summary(sweep)
    fig = report.consistency_figure(sweep, agg, 1.0)
    runs, errors = fig.axes
    assert len(runs.collections[0].get_offsets()) == len(sweep)
    assert runs.get_title() == "estimate against n" and errors.get_yscale() == "log"
    assert len(errors.lines) == 3 and all(len(line.get_xdata()) == len(agg) for line in errors.lines)
    assert errors.lines[2].get_ydata()[-1] == pytest.approx(agg["rmse"].iloc[0] / 4)
    plt.close(fig)
