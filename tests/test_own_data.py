"""Chapter 11's sentences on hand-made numbers."""

import math
from types import SimpleNamespace as E

import pytest

from mine_lib.experiments import evidence, own_data
from mine_lib.tasks import correlated_gaussian, gaussian_mi


def est(mi, half):
    return E(mi=mi, ci_low=mi - half, ci_high=mi + half)


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
    one_sided = own_data.settling(rows[:2], [est(0.9, 0.01), E(mi=1.0, ci_low=0.9, ci_high=math.nan)])
    assert one_sided.status == "no interval"
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
