"""Chapter 06's report functions on hand-made cells: the step counts say how many runs
reached the tolerance, the summaries follow the numbers, JSON rows hold no NaN, and each
figure draws one mark per row of its input."""

import json
import math
from types import SimpleNamespace

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

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


LOSSES = ("dv", "mine-f", "eam")


def summary():
    """Two cells (rho 0.5, 0.9; batch 64) per loss; eam diverged at 0.9, one seed at 0.5."""
    rows = []
    for loss in LOSSES:
        for rho, mi in ((0.5, 0.1), (0.9, 0.8)):
            bias = np.nan if (loss, rho) == ("eam", 0.9) else 0.1 * rho
            rows.append({"loss": loss, "rho": rho, "batch_size": 64, "true_mi": mi, "bias_dv": bias,
                         "bias": bias - 0.05, "sd": np.nan if loss == "eam" else 0.02,
                         "collapsed": int(loss == "mine-f")})
    return pd.DataFrame(rows)


def test_bias_figure_has_a_row_per_loss_and_mine_f_own_bound():
    fig = report.bias_figure(summary(), LOSSES)
    ax = fig.axes[0]
    assert len(fig.axes) == 2  # the heatmap and its colour bar
    assert [t.get_text() for t in ax.get_yticklabels()] == ["dv", "mine-f", report.OWN, "eam"]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["ρ=0.5\nN=64", "ρ=0.9\nN=64"]
    texts = [t.get_text() for t in ax.texts]
    # 4 rows x 2 cells; seaborn leaves the NaN cell blank, the figure labels it "diverged"
    assert texts == ["+0.05\n±0.02", "+0.09\n±0.02", "+0.05\n±0.02", "+0.09\n±0.02",
                     "+0.00\n±0.02", "+0.04\n±0.02", "+0.05", "diverged"]
    assert ax.get_xlabel() == "correlation ρ and batch size N"
    plt.close(fig)


def test_curves_figure_draws_each_loss_and_the_truth_per_panel():
    curves = pd.DataFrame([{"loss": loss, "rho": rho, "batch_size": b, "seed": s, "step": step,
                            "val_estimate": 0.1 * step + s}
                           for loss in LOSSES for rho in (0.5, 0.9) for b in (64, 256)
                           for s in (0, 1) for step in (1, 2, 3)])
    runs = summary()[["rho", "true_mi"]]
    colors = dict(zip(LOSSES, ("r", "g", "b")))
    fig = report.curves_figure(curves, runs, LOSSES, (64, 256), [0.9], colors, (("eam", "mine"),))
    assert len(fig.axes) == 2
    ax = fig.axes[1]
    assert ax.get_title() == "ρ = 0.9 (I = 0.80 nats), batch 256"
    lines = ax.get_lines()
    assert [line.get_label() for line in lines] == [*LOSSES, "true MI"]
    assert [line.get_linestyle() for line in lines[:3]] == ["-", "-", "--"]
    assert list(lines[0].get_ydata()) == pytest.approx([0.6, 0.7, 0.8])  # mean over the two seeds
    assert ax.get_ylim() == (0, 0.8 + 0.6) and ax.get_legend() is not None
    assert fig.axes[0].get_legend() is None
    plt.close(fig)


def test_curves_glue_names_the_collapsed_losses():
    curves = pd.DataFrame({"loss": ["eam", "mine"], "rho": [0.9, 0.9], "batch_size": [64, 64],
                           "step": [1, 1], "val_estimate": [0.5, 0.5]})
    glue = report.curves_glue(summary(), curves, LOSSES, (("eam", "mine"),), [0.9], 0.1)
    assert list(glue) == ["collapsed_list", "twin_curves"]
    assert glue["collapsed_list"] == "mine-f" and isinstance(glue["twin_curves"], str)
    none = report.curves_glue(summary().assign(collapsed=0), curves, LOSSES, (), [0.9], 0.1)
    assert none["collapsed_list"] == "none"


def test_top_glue_takes_the_largest_bias_at_the_highest_rho():
    table = summary()
    table.loc[(table["loss"] == "mine-f") & (table["rho"] == 0.9), "bias"] = 0.7
    table.loc[(table["loss"] == "dv") & (table["rho"] == 0.5), "bias"] = 2.0  # not the top rho
    glue = report.top_glue(table, (0.5, 0.9))
    assert glue == {"top_rho": 0.9, "top_mi": 0.8, "top_bias": 0.7, "top_loss": "mine-f, batch 64"}
    assert all(type(v) is float for k, v in glue.items() if k != "top_loss")


def own_rows():
    return pd.DataFrame({"loss": ["softplus", "softplus", "noise", "lse"],
                         "rho": [0.5, 0.9, 0.5, 0.5], "own_error": [0.1, 0.3, 0.0, 1.0],
                         "own_gap": [-0.2, -0.4, 0.0, 0.5], "offset": [-1.0, -1.0, 0.5, 3.0]})


def test_own_table_means_per_loss():
    t = report.own_table(own_rows())
    assert list(t.columns) == ["loss", "own value − true MI", "own value − DV (same critic)",
                               "offset log E_Q[e^T]"]
    assert list(t["loss"]) == ["lse", "noise", "softplus"]
    assert t.loc[t["loss"] == "softplus", "own value − DV (same critic)"].item() == pytest.approx(-0.3)


def test_written_figure_bars_per_loss_and_rho_and_offsets():
    written = own_rows()
    colors = {"dv": "k", "softplus": "r", "noise": "g", "lse": "b"}
    fig = report.written_figure(written, written, ("dv", "softplus", "lse", "noise"), colors, 0.5)
    ax1, ax2 = fig.axes
    assert [t.get_text() for t in ax1.get_xticklabels()] == ["softplus", "lse", "noise"]
    assert [h.get_label() for h in ax1.get_legend().legend_handles] == ["0.5", "0.9",
                                                                  "−A* (softplus, theory)"]
    # one bar per (loss, rho) present: softplus, lse, noise at 0.5, then softplus at 0.9
    assert [p.get_height() for p in ax1.patches[:4]] == pytest.approx([-0.2, 0.5, 0.0, -0.4])
    assert list(ax1.get_lines()[-1].get_ydata()) == [-0.5, -0.5]  # -A*
    assert ax2.get_yscale() == "symlog" and ax2.get_lines()[0].get_ydata()[0] == math.log(0.5)
    points = [len(c.get_offsets()) for c in ax2.collections]  # one strip per loss on the axis
    assert points == [0, 2, 1, 1] and sum(points) == len(written)
    assert ax2.get_title() == "where each loss puts the critic's offset"
    plt.close(fig)


def test_headline_lists_usable_losses_and_holds_no_nan():
    from mine_lib.experiments.evidence import Decision
    d = Decision("agrees", "better", "DV is worse.", 0.1)
    verdicts = pd.DataFrame({"loss": ["dv", "eam"], "usable": [True, False], "mae": [0.1, np.nan],
                             "accuracy": [None, d], "smoothness": [None, None]}).set_index("loss")
    checks = {k: 0.5 for k in ("sp_gap", "sp_offset", "nwj_offset", "lse_above", "lse_final",
                                "reg_offset", "eam_vs_mine", "noise_vs_dv", "lsec_vs_dv")}
    runs = pd.DataFrame({"loss": ["dv"], "mi": [np.inf], "message": ["x"]})
    out = report.headline({"rhos": (0.5,), "dim": 3}, 12.0, 0.5, summary(), runs, verdicts, checks,
                          [], ("dv", "eam"))
    assert out["sizes"] == {"rhos": [0.5], "dim": 3}
    assert out["usable"] == ["dv"] and out["unusable"] == ["eam"]
    assert out["decisions"] == {"dv": {}, "eam": {"accuracy": d.as_dict()}}
    assert out["runs"] == [{"loss": "dv", "mi": None}] and out["verdicts"][1]["mae"] is None
    assert out["checks"]["lse_corrected_vs_dv_max_gap"] == 0.5 and len(out["checks"]) == 9
    json.dumps(out, allow_nan=False)
