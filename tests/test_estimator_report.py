"""Chapter 03's report functions on hand-made bias and consistency rows: the slope fit uses
only resolved points, the control fails when its test finds bias, the consistency decisions
follow the errors."""

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
