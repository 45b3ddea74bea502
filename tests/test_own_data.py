"""Chapter 11's sentences on hand-made numbers."""

import math
from types import SimpleNamespace as E

import matplotlib.pyplot as plt
import pandas as pd
import pytest

from mine_lib.experiments import evidence, own_data
from mine_lib.tasks import correlated_gaussian, gaussian_mi


def est(mi, half):
    """An estimate whose 95 % normal interval would be mi +- half."""
    return E(mi=mi, stderr=half / 1.959964)


def test_settling_needs_the_interval_of_the_last_change_inside_the_margin():
    rows = [1000, 2500, 5000]
    settled = own_data.settling(rows, [est(0.9, 0.01), est(1.0, 0.01), est(1.005, 0.01)])
    assert settled.kind == evidence.Kind.AGREES and "it has settled" in settled.sentence
    assert own_data.settled_word(settled) == "settled"
    moving = own_data.settling(rows, [est(0.5, 0.01), est(0.7, 0.01), est(1.0, 0.01)])
    assert moving.kind == evidence.Kind.DISAGREES and "still moving" in moving.sentence
    # 0.934 -> 0.987 -> 1.009 with intervals of +-0.05: the change's interval crosses the edge
    unsure = own_data.settling(rows, [est(0.934, 0.05), est(0.987, 0.05), est(1.009, 0.05)])
    assert unsure.kind == evidence.Kind.UNDECIDED and "cannot tell" in unsure.sentence
    assert own_data.settled_word(unsure) == "was not shown to settle"
    no_error = own_data.settling(rows[:2], [est(0.9, 0.01), E(mi=1.0, stderr=math.nan)])
    assert no_error.status == "no standard error"
    assert own_data.settling(rows[:1], [est(1.0, 0.1)]).kind == evidence.Kind.NOT_TESTED


def test_repeat_rows_give_a_t_interval_and_say_when_it_is_wide():
    row = own_data.repeat_row("seeds", [1.0, 1.1], 3.0, truth=1.2)
    assert row["CI low"] == pytest.approx(1.05 - 12.706 * 0.05, abs=1e-3)
    assert row["truth inside"] is True
    far = own_data.repeat_row("subsets", [1.0, 1.001, 0.999, 1.0, 1.0], 3.0, truth=1.2)
    assert far["truth inside"] is False
    text = own_data.cover_sentence([row, far], 1.2)
    assert text.startswith("The truth, 1.200 nats, is inside the interval over seeds")
    assert "outside the interval over subsets" in text and "wide, with 1 degree of freedom)." in text
    single = own_data.repeat_row("seeds", [1.0], 1.0, truth=1.2)
    assert single["truth inside"] is None
    assert "no interval" in own_data.cover_sentence([single], 1.2)


def test_gaussian_plugin_recovers_gaussian_mi_and_the_sentence_compares():
    x, z = correlated_gaussian(20_000, 3, 0.8, seed=0)
    truth = gaussian_mi(3, 0.8)
    assert own_data.gaussian_plugin_mi(x, z) == pytest.approx(truth, rel=0.02)
    assert own_data.plugin_sentence(truth, 0.5, truth).endswith("closer, because here its "
                                                                 "model holds.")
    assert "no closer" in own_data.plugin_sentence(0.1, truth, truth)


def fit(mi=1.0, low=0.9, warnings=(), **more):
    """A hand-made result of the default estimator."""
    return E(mi=mi, lower_bound=low, lower_level=0.975, steps=300, best_step=200, n_test=1000,
             seconds=2.0, lower_accounts_for="the folds", history={"fold_estimates": [1.0, 1.0, 1.0]},
             warnings=list(warnings), **more)


def test_api_glue_says_whether_the_call_equals_the_command_line():
    glue = own_data.api_glue(fit(), 1.0)
    assert glue["api_verdict"] == "the same number as the command line"
    assert glue["api_folds"] == 3 and glue["api_best"] == 200 and glue["api_low"] == 0.9
    assert list(glue) == ["api_mi", "api_verdict", "api_steps", "api_best", "api_ntest", "api_low",
                          "api_level", "api_accounts", "api_folds"]
    assert glue["api_level"] == 97.5
    assert own_data.api_glue(fit(), 1.25)["api_verdict"] == "differs from the command line by 2.50e-01 nats"


def test_training_figure_draws_a_curve_per_fold():
    history = {"val_step": [100, 200, 300], "val_estimate": [[0.5, 0.6], [0.9, 1.0], [1.0, 0.95]]}
    fig = own_data.training_figure(history, 200, (1.0, 0.9, 97.5), 1.2)
    ax, = fig.axes
    assert len(ax.lines) == 2 + 4        # two folds; the step kept, the estimate, bound, truth
    assert ax.lines[1].get_ydata().tolist() == [0.6, 1.0, 0.95]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert labels == ["validation, one critic per fold", "kept critics (median step)", "estimate 1.000",
                      "97.5 % lower bound 0.900", "truth 1.200"]
    assert ax.get_ylim() == pytest.approx((-0.1, 1.6))
    plt.close(fig)


def test_growth_and_closest_glue():
    growth = pd.DataFrame({"rows": [1000, 5000], "estimate": [0.8, 1.0], "lower bound": 0.0})
    settled = own_data.settling([1000, 5000], [est(0.8, 0.01), est(1.0, 0.01)])
    glue = own_data.growth_glue(growth, settled)
    assert glue == {"growth_first": 0.8, "growth_first_rows": 1000, "growth_last": 1.0,
                    "settle_sentence": settled.sentence, "settle_verdict": "was still moving"}
    rows = [own_data.method_row(m, fit(mi=v), 2.0) for m, v in (("crossfit", 1.9), ("mine", 2.3), ("ksg", 1.0))]
    assert rows[0] == {"method": "crossfit", "estimate": 1.9, "estimate / truth": 0.95, "seconds": 2.0,
                       "steps": 300}
    closest = own_data.closest_glue(pd.DataFrame(rows).set_index("method"))
    assert closest == {"closest": "crossfit", "closest_ratio": 0.95, "ksg_ratio": 0.5}


def test_warnings_fired_and_their_table():
    code = E(code="still-rising")
    cases = [("the example", fit(), None), ("short", fit(warnings=[code]), "still-rising")]
    assert own_data.warnings_fired(cases).kind == evidence.Kind.AGREES
    missed = own_data.warnings_fired([*cases, ("shuffled", fit(), "indistinguishable-from-zero")])
    assert missed.kind == evidence.Kind.DISAGREES
    table = own_data.warnings_table([("the example", fit(warnings=["a", "b"]), None)]).data
    assert table.index.tolist() == ["the example"] and table.loc["the example", "warnings"] == "a\nb"
    assert own_data.warnings_table(cases[:1]).data.loc["the example", "warnings"] == "(none)"


def test_growth_case_sentence_names_the_reason_the_warning_fired():
    from types import SimpleNamespace

    from mine_lib.estimators.result import MIWarning

    def fit(*messages):
        return SimpleNamespace(history={"growth": {"rows": 4000, "mi": 0.03}},
                               warnings=[MIWarning("likely-higher", m) for m in messages])

    rising = own_data.growth_case_glue(fit("the estimate still rises with the rows: ..."))
    assert rising["tail_half"] == 0.03 and rising["tail_half_rows"] == 4000
    assert "beyond the noise" in rising["tail_sentence"]
    assert "fold critics disagree" in own_data.growth_case_glue(fit("the 5 fold critics disagree"))["tail_sentence"]
    assert "does not warn" in own_data.growth_case_glue(fit())["tail_sentence"]


def test_warnings_table_shows_three_decimals_not_six():
    html = own_data.warnings_table([("the example", fit(), None)]).to_html()
    row = fit()
    assert f"{row.mi:.3f}" in html and f"{row.mi:.6f}" not in html
