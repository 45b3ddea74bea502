"""The rule of evidence on hand-made inputs: each rule's decision and sentence."""

import json
import math

import numpy as np
import pytest

from mine_lib.experiments import evidence as ev

RNG = np.random.default_rng(0)
BASE = RNG.normal(1.0, 0.05, size=8)
NOISE = 0.01 * np.array([1.0, -1.0, 2.0, -2.0, 0.5, -0.5, 1.5, -1.5])  # mean exactly 0


def test_clear_effect_is_measured_and_agrees_with_expected_direction():
    d = ev.difference(BASE + 0.3 + NOISE, BASE, paired=True, names=("MINE", "MINE-f"),
                      what="the estimate", unit="nats", expected="a>b")
    assert (d.kind, d.status) == ("agrees", "measured")
    assert d.ci[0] > 0 and d.n == 8 and d.p < 0.001
    assert "MINE is higher than MINE-f" in d.sentence and "paired over 8 seeds" in d.sentence
    assert "**" not in d.sentence


def test_reversed_effect_flips_the_sentence_and_the_decision():
    up = ev.difference(BASE + 0.3 + NOISE, BASE, paired=True, names=("A", "B"), expected="a>b")
    down = ev.difference(BASE - 0.3 + NOISE, BASE, paired=True, names=("A", "B"), expected="a>b")
    assert down.kind == "disagrees" and down.ci[1] < 0
    assert "A is lower than B" in down.sentence and "which is worse" in down.sentence
    assert "A is higher than B" in up.sentence and "which is better" in up.sentence


def test_no_effect_is_never_a_verdict_without_the_effect_size():
    d = ev.difference(BASE + NOISE, BASE, paired=True, expected="a>b")
    assert d.kind == "not measurable" and d.status == "no effect shown"
    assert d.direction == ev.Direction.NOT_MEASURED and d.size is None
    assert d.ci[0] < 0 < d.ci[1]
    # what the interval rules out, and the effect found 4 times in 5, not its half-width
    assert f"beyond {ev.fmt_num(d.ci[0])} to {ev.fmt_num(d.ci[1])}" in d.sentence
    assert ev.fmt_num(d.detectable) in d.sentence and "4 times in 5" in d.sentence
    assert "could detect only" not in d.sentence


def test_an_interval_that_rules_out_the_papers_effect_is_smaller_not_disagrees():
    tight = ev.difference(BASE + NOISE, BASE, paired=True, expected="a>b", smallest_effect=0.1)
    assert (tight.kind, tight.status) == ("smaller effect", "effect ruled out")
    assert (tight.direction, tight.size) == ("not measured", "smaller")
    assert tight.decided and tight.effect_excluded and "rules out an effect of 0.100" in tight.sentence
    noisy = ev.difference(BASE + 10 * NOISE, BASE, paired=True, expected="a>b",
                          smallest_effect=0.001)
    assert (noisy.kind, noisy.status) == ("not measurable", "underpowered")
    assert noisy.size == "consistent" and not noisy.decided
    assert "0.001" in noisy.sentence


def test_direction_and_size_are_read_apart():
    # In the paper's direction and below its effect: "smaller effect", never "disagrees".
    small = ev.difference(BASE + 0.05 + NOISE, BASE, paired=True, expected="a>b",
                          smallest_effect=1.0)
    assert (small.kind, small.direction, small.size) == ("smaller effect", "the paper's", "smaller")
    assert small.measured and "falls short of the effect to detect" in small.sentence
    # The paper's size inside the interval: agrees, consistent.
    big = ev.difference(BASE + 1.0 + 10 * NOISE, BASE, paired=True, expected="a>b",
                        smallest_effect=1.0)
    assert (big.kind, big.direction, big.size) == ("agrees", "the paper's", "consistent")
    # Well above it: agrees, larger.
    large = ev.difference(BASE + 0.05 + NOISE, BASE, paired=True, expected="a>b",
                          smallest_effect=0.01)
    assert (large.kind, large.size) == ("agrees", "larger")
    # The opposite direction measured: disagrees, whatever the size.
    opposite = ev.difference(BASE - 0.05 + NOISE, BASE, paired=True, expected="a>b",
                             smallest_effect=1.0)
    assert (opposite.kind, opposite.direction) == ("disagrees", "opposite")
    assert "opposite of the claimed direction" in opposite.sentence
    # For "a<b" the same numbers read the other way round.
    down = ev.difference(BASE - 0.05 + NOISE, BASE, paired=True, expected="a<b",
                         smallest_effect=1.0)
    assert (down.kind, down.direction, down.size, down.effect) == (
        "smaller effect", "the paper's", "smaller", -1.0)
    held = ev.holm([small, large])  # recomputed decisions keep the effect to detect
    assert held[0].effect_excluded


def test_directional_claim_rules_out_only_the_papers_side():
    wide_down = BASE - 0.1 + 15 * NOISE  # interval about (-0.28, 0.08)
    one_sided = ev.difference(wide_down, BASE, paired=True, expected="a>b", smallest_effect=0.2)
    two_sided = ev.difference(wide_down, BASE, paired=True, smallest_effect=0.2)
    assert one_sided.ci[0] < -0.2 < 0 < one_sided.ci[1] < 0.2
    assert (one_sided.kind, one_sided.status) == ("smaller effect", "effect ruled out")
    assert two_sided.status == "underpowered"
    below = ev.difference(BASE + 0.1 + 15 * NOISE, BASE, paired=True, expected="a<b",
                          smallest_effect=0.2)
    assert below.status == "effect ruled out" and "-0.200" in below.sentence
    reach = ev.difference(wide_down, BASE, paired=True, expected="a<b", smallest_effect=0.2)
    assert reach.ci[0] < -0.2 and reach.status == "underpowered"


def test_the_power_statement_holds_in_simulation():
    # A true difference of the stated 80 %-power size is found about 4 times in 5.
    rng = np.random.default_rng(3)
    n, sd = 5, 1.0
    probe = ev.difference(rng.normal(0, sd, n), np.zeros(n), paired=True)
    effect = ev.detectable_effect(sd / math.sqrt(n), n - 1)
    found = sum(ev.difference(rng.normal(effect, sd, n), np.zeros(n), paired=True).measured
                for _ in range(2000))
    assert 0.77 <= found / 2000 <= 0.83
    assert math.isfinite(probe.detectable)


def test_equivalence_inside_a_declared_margin_is_a_decision():
    # chapter 06's case: +0.002 (-0.028 to +0.033) inside a 0.1-nat margin
    d = ev.from_interval(0.002, (-0.028, 0.033), n=8, how="paired", expected="a<b",
                         smallest_effect=0.1)
    assert d.kind == "smaller effect" and d.decided
    same = ev.difference(BASE + NOISE, BASE, paired=True, expected="a=b", smallest_effect=0.1)
    assert (same.kind, same.status) == ("agrees", "equivalent") and "margin" in same.sentence
    wide = ev.difference(BASE + 10 * NOISE, BASE, paired=True, expected="a=b",
                         smallest_effect=0.01)
    assert wide.kind == "not measurable"


def test_a_two_seed_holm_family_is_untestable():
    fam = [ev.difference([1.0, 1.2], [0.1, 0.15], paired=True) for _ in range(4)]
    out = ev.holm(fam)
    assert all((d.kind, d.status) == ("not measurable", "untestable") for d in out)
    assert "untestable" in out[0].sentence and out[0].ci is None


def test_paper_effect_scales_the_share_of_the_distance_to_perfect():
    # error 1.38 -> 1.01 closes 26.8 % of the way to 0; at 10 % here that is 2.68 points
    assert ev.paper_effect(1.01, 1.38, 10.0, 0.0) == pytest.approx(10 * 0.37 / 1.38)
    # accuracy 45.95 -> 96.10 closes 92.8 % of the way to 100; at 40 % here: 55.7 points
    assert ev.paper_effect(96.10, 45.95, 40.0, 100.0) == pytest.approx(60 * 50.15 / 54.05)
    # same units: no more than the paper's own difference (50.15 points; 0.37 points)
    assert ev.paper_effect(96.10, 45.95, 40.0, 100.0, same_units=True) == pytest.approx(50.15)
    assert ev.paper_effect(1.01, 1.38, 10.0, 0.0, same_units=True) == pytest.approx(0.37)
    assert ev.paper_effect(1.01, 1.38, 1.0, 0.0, same_units=True) == pytest.approx(0.37 / 1.38)
    with pytest.raises(ValueError, match="already perfect"):
        ev.paper_effect(0.5, 1.0, 0.5, 1.0)
    with pytest.raises(ValueError, match="equal"):
        ev.paper_effect(1.0, 1.0, 0.5, 0.0)
    with pytest.raises(ValueError, match="finite"):
        ev.paper_effect(1.0, float("nan"), 0.5, 0.0)


def test_two_seeds_are_not_a_verdict():
    d = ev.difference([1.0, 1.2], [1.1, 1.0], paired=True)
    assert d.kind == "not measurable" and d.detectable > (d.ci[1] - d.ci[0]) / 2


def test_one_seed_has_no_spread_and_no_verdict():
    d = ev.difference([1.3], [1.0], paired=True, expected="a>b")
    assert (d.kind, d.status, d.ci) == ("not measurable", "one seed, no spread", None)
    assert ev.fmt_spread([0.5]) == "0.500 (one seed, no spread)"
    assert "±" not in ev.fmt_spread([0.5]) and "CI" not in ev.fmt_mean_ci([0.5])
    assert ev.fmt_spread([1.0, 2.0]).startswith("1.500 ± 0.707")
    assert ev.tracks_truth([1.0], 1.0, 0.1).status == "one seed, no spread"


def test_empty_selection_is_not_tested():
    for d in (ev.difference([], [1.0, 2.0], paired=False), ev.tracks_truth([], 1.0, 0.1),
              ev.agrees_with_paper([], 1.0, 0.1)):
        assert (d.kind, d.status) == ("not tested", "not tested in this run")
    assert ev.fmt_mean_ci([]) == "not tested in this run"


def test_nan_anywhere_gives_no_verdict():
    d = ev.difference([1.0, math.nan, 1.2], [0.0, 0.1, 0.2], paired=True)
    assert (d.kind, d.status) == ("inconclusive", "nan")
    assert ev.tracks_truth([1.0, math.nan], 1.0, 0.1).status == "nan"
    assert ev.tracks_truth([1.0, 1.0], math.nan, 0.1).status == "nan"
    assert "nan" in ev.fmt_mean_ci([1.0, math.nan])
    assert ev.baseline_trained(math.nan, 0.5, "accuracy").kind == "inconclusive"


def test_unpaired_welch_and_bad_inputs():
    d = ev.difference(BASE + 0.3, BASE[:5], paired=False, expected="a<b")
    assert d.kind == "disagrees" and "8 seeds against 5 seeds" in d.sentence
    with pytest.raises(ValueError, match="as many values"):
        ev.difference([1, 2, 3], [1, 2], paired=True)
    with pytest.raises(ValueError, match="expected"):
        ev.difference([1, 2], [1, 2], paired=True, expected="bigger")
    with pytest.raises(ValueError, match="kind"):
        ev.Decision("maybe", "x", "y")


def test_equal_claim_agrees_only_inside_its_margin():
    same = ev.difference(BASE + NOISE, BASE, paired=True, expected="a=b", smallest_effect=0.1)
    apart = ev.difference(BASE + 0.3 + NOISE, BASE, paired=True, expected="a=b")
    assert same.kind == "agrees" and apart.kind == "disagrees"


def test_tracks_truth_inside_outside_and_across_the_tolerance():
    near = ev.tracks_truth(1.0 + NOISE, 1.0, 0.05, what="MINE", unit="nats")
    far = ev.tracks_truth(0.8 + NOISE, 1.0, 0.05)
    edge = ev.tracks_truth(1.05 + 5 * NOISE, 1.0, 0.05)
    assert (near.kind, far.kind, edge.kind) == ("agrees", "disagrees", "not measurable")
    assert "within the tolerance" in near.sentence and "outside" in far.sentence
    assert ev.tracks_truth(0.97 + NOISE, 1.0, 0.05, relative=True).kind == "agrees"
    assert ev.tracks_truth(0.5, 0.5, 1e-6, exact=True).kind == "agrees"


def test_agrees_with_paper_says_how_the_value_was_read():
    d = ev.agrees_with_paper(1.0 + NOISE, 1.0, 0.1, read="figure, read by eye", source="Fig. 1")
    assert d.kind == "agrees" and "read by eye" in d.sentence and "Fig. 1" in d.sentence
    with pytest.raises(ValueError, match="read"):
        ev.agrees_with_paper([1.0, 1.1], 1.0, 0.1, read="guess")


def test_holm_adjusts_p_values_and_decisions():
    assert ev.holm([0.01, 0.04, 0.03]) == pytest.approx([0.03, 0.06, 0.06])
    rng = np.random.default_rng(1)
    base = rng.normal(0, 1, 7)
    strong = ev.difference(base + 2 + rng.normal(0, 0.1, 7), base, paired=True)
    # a marginal effect: significant alone at 95%, not once two such comparisons are made
    diffs = np.array([0.02, 0.09, 0.05, 0.11, 0.01, 0.08, -0.03])
    weak = ev.difference(base + diffs, base, paired=True)
    assert weak.status == "measured" and 0.025 < weak.p < 0.05
    skipped = ev.difference([1.0], [0.0], paired=True)
    out = ev.holm([strong, weak, skipped, weak], level=0.95)
    assert out[0].status == "measured" and "Holm-corrected over 3" in out[0].sentence
    assert out[1].status != "measured" and out[1].ci[0] < 0 < out[1].ci[1]
    assert out[1].p == pytest.approx(2 * weak.p)
    assert out[2] is skipped
    assert out[0].level > 0.95


def test_baseline_gate():
    trained = ev.baseline_trained(0.9, 0.5, "the classifier's accuracy")
    failed = ev.baseline_trained(0.1, 0.5, "the classifier's accuracy")
    d = ev.difference(BASE + 0.3, BASE, paired=True)
    assert ev.gate(trained, d) is d
    assert ev.gate(failed, d).status == "baseline did not train"
    assert ev.gate(failed, d).sentence.startswith("Inconclusive: the baseline did not train")


def test_claim_row_is_json_ready():
    d = ev.difference(BASE + 0.3 + NOISE, BASE, paired=True, expected="a>b")
    row = ev.claim("03", "MINE beats MINE-f", "a>b (Fig. 2)", d)
    assert set(row) == {"chapter", "claim", "paper", "this_run", "seeds", "decision", "status",
                        "sentence", "source", "rule", "direction", "size", "effect",
                        "detectable", "fragile"}
    assert row["direction"] == "the paper's" and row["rule"] == ev.RULE
    assert row["decision"] == "agrees" and row["seeds"] == 8 and "CI" in row["this_run"]
    json.dumps(row)
    json.dumps(ev.difference([math.nan, 1], [1, 1], paired=True).as_dict())
    assert ev.claim("01", "x", "y", ev.not_tested("x"))["this_run"] == "not tested in this run"


def test_interval_within_for_intervals_computed_elsewhere():
    assert ev.interval_within(-0.52, (-0.6, -0.45), -0.5, 0.15, n=5).kind == "agrees"
    far = ev.interval_within(-0.1, (-0.2, 0.0), -0.5, 0.15, n=5, what="The slope")
    assert far.kind == "disagrees" and far.sentence.startswith("The slope is -0.100")
    assert ev.interval_within(-0.3, (-0.7, 0.1), -0.5, 0.15, n=5).status == "underpowered"
    assert ev.interval_within(-0.5, None, -0.5, 0.15, n=1).status == "no interval"
    assert ev.interval_within(math.nan, (0, 1), -0.5, 0.15, n=3).status == "nan"


def test_from_interval_follows_the_difference_rule():
    up = ev.from_interval(0.3, (0.1, 0.5), n=4, how="normal interval", expected="a>b")
    down = ev.from_interval(-0.3, (-0.5, -0.1), n=4, how="normal interval", expected="a>b")
    flat = ev.from_interval(0.0, (-0.2, 0.2), n=4, how="normal interval", expected="a>b")
    assert (up.kind, down.kind, flat.status) == ("agrees", "disagrees", "no effect shown")
    assert "normal interval" in up.sentence
    assert ev.from_interval(0.3, None, n=1, how="x").status == "one seed, no spread"
    assert ev.from_interval(0.3, (math.nan, 1), n=4, how="x").status == "nan"


def test_holds_everywhere():
    assert ev.holds_everywhere(0, 12, "DV >= f").kind == "agrees"
    bad = ev.holds_everywhere(2, 12, "DV >= f", cases="grid points")
    assert bad.kind == "disagrees" and "2 of the 12 grid points" in bad.sentence
    assert ev.holds_everywhere(0, 0, "DV >= f").kind == "not tested"
    with pytest.raises(ValueError):
        ev.holds_everywhere(3, 2, "x")


def test_monte_carlo_terms_are_counted_as_samples():
    d = ev.tracks_truth(1.0 + NOISE, 1.0, 0.05, per="sample", what="The Monte Carlo mean")
    assert "8 samples" in d.sentence and "seed" not in d.sentence
    assert ev.tracks_truth([1.0, math.nan], 1.0, 0.1, what="The slope").sentence.startswith(
        "No verdict on the slope")


def test_claim_rows_of_exact_checks_do_not_mention_seeds():
    exact = ev.claim("02", "f tight", "tight", ev.tracks_truth(1.0, 1.0, 1e-9, exact=True))
    assert "seed" not in exact["this_run"] and exact["seeds"] == "exact"
    assert ev.claim("02", "gap", "DV >= f", ev.holds_everywhere(0, 9, "x"))["this_run"] == \
        "holds in all 9 cases"
    assert ev.claim("02", "one", "x", ev.tracks_truth([1.0], 1.0, 0.1))["this_run"].endswith(
        "(one seed, no spread)")


def test_rows_of_the_older_rule_are_reread():
    old = {"decision": "disagrees", "status": "refuted with power", "sentence": "x"}
    assert ev.reread(old)["decision"] == "smaller effect"
    short = {"decision": "agrees", "status": "measured",
             "sentence": "A is higher ...; the whole interval falls short of the effect to detect"}
    assert ev.reread(short)["decision"] == "smaller effect"
    plain = {"decision": "agrees", "status": "measured", "sentence": "A is higher."}
    assert ev.reread(plain)["decision"] == "agrees"
    assert ev.reread(dict(plain, rule=ev.RULE)) == dict(plain, rule=ev.RULE)


def test_an_interval_ending_at_a_threshold_is_fragile():
    assert ev.fragile(0.001, 1.0, (0.0,)) and not ev.fragile(0.2, 1.0, (0.0,))
    edge = ev.from_interval(0.5, (0.002, 0.998), n=5, how="given")
    assert edge.fragile and "fragile" in edge.sentence and edge.measured
    clear = ev.from_interval(0.5, (0.3, 0.7), n=5, how="given")
    assert not clear.fragile and "fragile" not in clear.sentence
    near = ev.interval_within(1.0, (0.905, 1.098), 1.0, 0.1, n=5)
    assert near.kind == "agrees" and near.fragile
    assert ev.claim("03", "x", "y", edge)["fragile"] is True
