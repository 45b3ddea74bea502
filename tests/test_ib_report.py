"""Chapter 09's report functions on hand-made error rates: which comparisons are made, that
a baseline that did not train gates them, and that labels and sentences follow the numbers."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import ib
from mine_lib.experiments import ib_report as report

MODELS = ib.paper_models(ib.IBConfig(hidden=(8,), code_dim=4, critic_hidden=(8,)))
CONTROLS = ib.beta0_controls(MODELS)
SEEDS = 8


def make_errors(base=15.0, mine_gain=0.0, control_cost=0.0):
    """Error rates per model over 8 seeds: the baseline at ``base``, each MINE-IB model
    ``mine_gain`` points below its beta = 0 control, the controls ``control_cost`` above the
    baseline, everything else at the baseline; a small seed wobble shared by all models."""
    wobble = np.linspace(-0.1, 0.1, SEEDS)
    out = {}
    for name, cfg in {**MODELS, **CONTROLS}.items():
        level = base
        if name in CONTROLS:
            level += control_cost
        if name.startswith("MINE"):
            level += control_cost - mine_gain
        out[name] = level + wobble + 0.01 * (len(name) % 3) * np.sin(np.arange(SEEDS))
    return out


def test_the_comparisons_made_and_their_directions():
    wanted = report.wanted_comparisons(MODELS, CONTROLS)
    assert wanted["MINE (Additive)", "Baseline"] == "a<b" and wanted["MINE (Additive)", "DVB"] == "a<b"
    assert wanted["Dropout", "Baseline"] is None        # the paper claims no direction for it
    assert wanted["MINE (Additive)", ib.control_of(MODELS["MINE (Additive)"])] == "a<b"
    assert wanted["DVB", ib.control_of(MODELS["DVB"])] == "a<b"
    assert ("Baseline", "Baseline") not in wanted
    # 7 models and 3 controls against the baseline, 3 MINE against DVB, 4 against controls
    assert len(wanted) == 10 + 3 + 4


def test_the_mi_term_is_judged_against_its_matched_control():
    # the noisy encoder costs 2 points; the MI term wins 1 back: worse than the baseline,
    # better than its own control
    errors = make_errors(control_cost=2.0, mine_gain=1.0)
    raw, decided = report.decide(errors, MODELS, CONTROLS, report.baseline_check(errors))
    name = "MINE (Additive)"
    assert decided[name, "Baseline"].estimate == pytest.approx(1.0, abs=0.05)
    assert decided[name, ib.control_of(MODELS[name])].estimate == pytest.approx(-1.0, abs=0.05)
    assert decided[name, ib.control_of(MODELS[name])].kind == "agrees"


def test_a_baseline_that_did_not_train_gates_the_baseline_comparisons_only():
    errors = make_errors(base=85.0, control_cost=-3.0, mine_gain=2.0)
    base_ok = report.baseline_check(errors)
    raw, decided = report.decide(errors, MODELS, CONTROLS, base_ok)
    assert decided["MINE (Additive)", "Baseline"].status == "baseline did not train"
    assert raw["MINE (Additive)", "Baseline"].status != "baseline did not train"
    ctrl = ib.control_of(MODELS["MINE (Additive)"])
    assert decided["MINE (Additive)", ctrl] is raw["MINE (Additive)", ctrl]
    table = report.error_table(errors, decided, MODELS, CONTROLS)
    assert table.loc["MINE (Additive)", "minus baseline"] == "inconclusive: the baseline did not train"
    assert table.loc["DVB + additive noise", "this run, error %"] == "not run"   # the paper's row not trained


def test_paper_text_says_which_effect_was_tested():
    # at 15 % error the paper's share of the way to zero is larger than its gap in points
    high = report.paper_text({"Baseline": np.array([15.0])}, "MINE (Additive)", "Baseline")
    assert "effect tested: -0.37 points, the paper's gap in points, as it stands" in high
    # at 0.5 % error the share is the smaller: 26.8 % of 0.5 points
    low = report.paper_text({"Baseline": np.array([0.5])}, "MINE (Additive)", "Baseline")
    assert "effect tested: -0.13 points, the paper's share of the way to zero error" in low


def test_claim_rows_and_glue_follow_the_decisions():
    errors = make_errors(control_cost=2.0, mine_gain=1.0)
    raw, decided = report.decide(errors, MODELS, CONTROLS, report.baseline_check(errors))
    rows = report.claim_rows("09", errors, MODELS, raw, decided)
    assert len(rows) == 3 + 3 + 1 + 3
    assert rows[-1]["claim"] == "The MI term lowers the error of MINE (Additive) (against its β = 0 control)"
    glue = report.comparison_glue(errors, decided, MODELS, report.baseline_check(errors))
    assert glue["n-comparisons"] == 17
    assert glue["n-mine-control"] == "3 of 3" and glue["n-mine-lower"] == "0 of 3"
    assert list(report.claims_frame(rows).columns) == ["claim", "paper", "this run", "seeds", "decision"]


def test_cell_text():
    errors = make_errors(mine_gain=1.0)
    _, decided = report.decide(errors, MODELS, CONTROLS, report.baseline_check(errors))
    d = decided["MINE (Additive)", "Baseline"]
    assert report.cell_text(d) == f"{d.estimate:+.2f} [{d.ci[0]:+.2f}, {d.ci[1]:+.2f}]: {d.status}"


def test_sweep_readings():
    sweep = pd.DataFrame({"error": [15.0, 15.5, 60.0], "mi_test": [2.0, 1.0, -3.0], "share": [0, 5, 50],
                          "seconds": [1, 1, 1]}, index=pd.Index([0.0, 0.01, 1.0], name="beta"))
    collapsed, negative = report.broken_runs(sweep, 15.0)
    assert collapsed.tolist() == [False, False, True] and negative.tolist() == [False, False, True]
    assert report.sweep_trend(sweep, collapsed, negative, 1).startswith(
        "goes from 2.00 nats at β = 0 to 1.00 nats at β = 0.01 (one seed, no spread")
    assert "At β = 1 the classifier broke down (60.0 % test error) and the held-out estimate is negative" in \
        report.sweep_breakdowns(sweep, collapsed, negative)
    fine = sweep.iloc[:2]
    ok = report.broken_runs(fine, 15.0)
    assert report.sweep_breakdowns(fine, *ok).startswith("No β of the sweep broke training down")
    assert report.sweep_trend(sweep.iloc[2:], *report.broken_runs(sweep.iloc[2:], 15.0), 2).startswith(
        "cannot be read")
    assert report.sweep_table(sweep).loc["1", "held-out MINE estimate (nats)"] == "-3.000"


def test_long_sizes_without_a_recording():
    assert report.long_sizes(None) == "not recorded yet"
    rec = {"results": {"seeds": [0, 1], "results": {"settings": {"epochs": 8, "n_train": 10, "n_test": 5}}}}
    assert report.long_sizes(rec) == "2 seeds, 8 epochs on 10 training images, 5 test images"


def test_errors_figure_draws_a_column_per_model():
    errors = {"Baseline": np.array([15.0, 15.2]), "DVB": np.array([14.0]), "MINE (Additive)": np.array([13.0, 13.5])}
    colors = {name: "C0" for name in errors}
    fig = report.errors_figure(errors, colors, 15.1, "MNIST")
    ax, = fig.axes
    assert len(ax.collections) == 3 + 2    # a scatter per model, an error bar per model with two seeds
    assert [t.get_text() for t in ax.get_xticklabels()] == list(errors)
    assert ax.get_ylabel() == "MNIST test error (%)" and ax.lines[-1].get_ydata()[0] == 15.1
    plt.close(fig)


def records_for(curves: dict) -> list[dict]:
    """Two seeds per model, with info curves that differ by 1 around ``curves``."""
    return [{"model": name, "seed": s, "history": {"epoch": [1, 2, 3], "info": list(np.add(c, s - 0.5))}}
            for name, c in curves.items() for s in (0, 1)]


def test_mi_figure_and_training_glue():
    records = records_for({"DVB": [9.0, 7.0, 5.0], "MINE (Additive)": [1.0, 2.0, 3.0], "MINE (Concat)": [1, 1, 1]})
    names = ["MINE (Additive)", "MINE (Concat)"]
    fig = report.mi_figure(records, names, {"DVB": "C0", **{n: "C1" for n in names}}, 0.03)
    left, right = fig.axes
    assert len(left.lines) == 2 and len(right.lines) == 1
    assert left.get_title() == "MINE-IB, beta = 0.03" and right.get_title() == "variational bottleneck"
    assert right.lines[0].get_ydata().tolist() == [9.0, 7.0, 5.0]
    plt.close(fig)
    shares = {"DVB": [1.0, 3.0], "MINE (Additive)": [10.0, 20.0], "MINE (Concat)": [4.0, 4.0]}
    glue = report.training_glue(records, names, "MINE (Additive)", shares)
    assert glue["kl-first"] == "9.0" and glue["kl-last"] == "5.0"
    assert glue["mi-first-best"] == "1.00" and glue["mi-last-best"] == "3.00"
    assert glue["share-mine"] == "MINE (Additive) 15.00 %, MINE (Concat) 4.00 %"
    assert set(glue) == {"kl-first", "kl-last", "mi-first-best", "mi-last-best", "share-best", "share-mine",
                         "share-dvb"}


def test_sweep_figure_has_a_tick_per_beta():
    sweep = pd.DataFrame({"error": [15.0, 15.5, 60.0], "mi_test": [2.0, 1.0, -3.0], "share": [0, 5, 50],
                          "seconds": [1, 1, 1]}, index=pd.Index([0.0, 0.01, 1.0], name="beta"))
    collapsed, negative = report.broken_runs(sweep, 15.0)
    fig = report.sweep_figure(sweep, collapsed, negative, np.array([14.0, 16.0]), "C0", "MNIST")
    assert len(fig.axes) == 2
    for ax in fig.axes:
        assert [t.get_text() for t in ax.get_xticklabels()] == ["0", "0.01", "1"] and ax.get_xlabel() == "beta"
    assert fig.axes[0].get_ylabel() == "MNIST test error (%)"
    assert fig.axes[0].lines[0].get_ydata().tolist() == [15.0, 15.5]   # the broken run is off the line
    assert len(fig.axes[0].patches) == 1                               # the baseline's band
    plt.close(fig)


def test_results_of_the_models_and_the_sweep():
    errors = {"Baseline": np.array([15.0, 17.0]), "Dropout": np.array([14.0, 14.0])}
    runs = pd.DataFrame({"model": ["Baseline", "Baseline", "Dropout", "Dropout"], "seed": [1, 0, 0, 1],
                         "mi_test": [0.2, 0.1, 0.3, 0.4]})
    out = report.model_results(errors, runs)
    assert out["Baseline"] == {"errors_percent": [15.0, 17.0], "mean": 16.0,
                               "paper_mnist_percent": ib.PAPER_ERRORS["Baseline"], "mi_test_nats": [0.1, 0.2]}
    sweep = pd.DataFrame({"error": [15.0], "mi_test": [2.0], "share": [5.0]}, index=pd.Index([0.01], name="beta"))
    assert report.sweep_results(sweep, "MINE (Additive)", [0], "t", "c")["betas"] == [0.01]
    settings = report.settings_results(ib.IBConfig(hidden=(8, 4), code_dim=4, critic_hidden=(8,)), 10, 5)
    assert settings["hidden"] == [8, 4] and settings["n_train"] == 10 and settings["code_dim"] == 4
