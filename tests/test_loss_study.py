"""The loss study's rule of replication (the seed) and its words, on hand-made runs."""

import math

import numpy as np
import pandas as pd
import pytest

from mine_lib.experiments import evidence
from mine_lib.experiments.evidence import Kind
from mine_lib.experiments.loss_study import (
    accuracy_text,
    claim_summary,
    compare,
    decision_word,
    interval_text,
    report_claim,
    seed_difference,
    seed_means,
    seed_tracks_truth,
    twin_curves_text,
)

RHOS = (0.1, 0.5, 0.9, 0.99)
BATCHES = (64, 256)


def runs_of(diffs, seeds, losses=("new",), cell_spread=0.3, jitter=None) -> pd.DataFrame:
    """8 (rho, batch) cells x ``seeds``; DV's |error| differs a lot between cells; each
    loss in ``losses`` has |error| = DV's + ``diffs[seed]`` in every cell (same sign as the
    error, so the |error| moves by exactly that). ``jitter``: per-seed jitter differences."""
    rows = []
    for c, (rho, batch) in enumerate((r, b) for r in RHOS for b in BATCHES):
        truth = -1.5 * math.log(1 - rho ** 2)
        for i, seed in enumerate(seeds):
            base = 0.5 + cell_spread * c + 0.01 * i
            for loss in ("dv",) + tuple(losses):
                err = base + (0.0 if loss == "dv" else diffs[i])
                jit = 0.1 + (0.0 if loss == "dv" or jitter is None else jitter[i])
                rows.append({"loss": loss, "rho": rho, "batch_size": batch, "seed": seed,
                             "true_mi": truth, "mi": truth - err, "mi_dv": truth - err,
                             "diverged": False, "val_jitter": jit, "val_best": 1.0,
                             "val_last": 1.0, "steps_val": 10.0, "seconds": 1.0})
    return pd.DataFrame(rows)


def test_two_seeds_by_eight_cells_is_two_replicates_not_sixteen():
    runs = runs_of([-0.3, -0.1], seeds=(0, 1))
    d, cells = seed_difference(runs, "new", smallest_effect=0.1)
    assert d.n == 2 and cells == 8
    assert d.estimate == pytest.approx(-0.2)
    # the interval is the t interval of the two per-seed means (one degree of freedom)
    mean, low, high = evidence.t_interval([-0.3, -0.1])
    assert d.ci == pytest.approx((low, high))
    assert "paired over 2 seeds" in d.sentence and "each seed the mean over 8 cells" in d.sentence
    row = compare(runs).set_index("loss").loc["new"]
    assert row["seeds"] == 2 and row["cells"] == 8
    check = seed_tracks_truth(runs[runs["loss"] == "new"], "mi", 0.0, 0.1, what="The estimate")
    assert check.n == 2 and "2 seeds, each the mean over 8 cells" in check.sentence


def test_seed_means_average_only_the_cells_every_seed_has():
    runs = runs_of([0.0, 0.0, 0.0], seeds=(0, 1, 2))
    runs = runs.drop(runs[(runs["loss"] == "new") & (runs["seed"] == 2)
                          & (runs["rho"] == 0.99)].index)  # two runs of one seed missing
    values = runs[runs["loss"] == "new"].set_index(["rho", "batch_size", "seed"])["mi"]
    means, cells = seed_means(values)
    assert cells == 6 and list(means.index) == [0, 1, 2]
    d, cells = seed_difference(runs, "new")
    assert cells == 6 and d.n == 3


def test_the_spread_between_cells_is_not_noise():
    # the cells' errors differ by nats, the per-seed difference hardly at all: measured
    row = compare(runs_of([-0.2, -0.203, -0.197], seeds=(0, 1, 2))).set_index("loss").loc["new"]
    assert row["vs_baseline"] == "better" and row["accuracy"].kind == Kind.AGREES
    assert row["diff_high"] < 0


def test_an_interval_inside_the_margin_is_decided_not_open():
    # the reviewer's case: +0.002 nats, interval well inside the 0.1-nat tolerance
    runs = runs_of([0.012, -0.008, 0.002, 0.002], seeds=(0, 1, 2, 3))
    table = compare(runs, margin=0.1).set_index("loss")
    row = table.loc["new"]
    d = row["accuracy"]
    assert d.kind == Kind.SMALLER and d.status == "effect ruled out"
    assert row["vs_baseline"] == "smaller effect"
    assert decision_word(row) == "within ±0.1 nats of DV"
    assert accuracy_text(row).startswith("within ±0.1 nats of DV")
    claim = report_claim(row, table.loc["dv"], "accuracy")
    assert claim.kind == Kind.SMALLER and claim.ci == d.ci
    assert "4 seeds, each the mean over 8 cells" in claim_summary(row, table.loc["dv"], "accuracy")
    assert row["usable"]


def test_a_gain_ruled_out_but_a_loss_not_is_no_gain():
    # interval about (-0.05, +0.3): a gain of 0.1 is ruled out, a loss of 0.1 is not
    runs = runs_of([0.0, 0.2, 0.05, 0.15], seeds=(0, 1, 2, 3))
    row = compare(runs, margin=0.1).set_index("loss").loc["new"]
    assert row["accuracy"].kind == Kind.SMALLER and row["diff_low"] > -0.1
    assert row["diff_high"] > 0.1 and row["diff_low"] < 0
    assert decision_word(row) == "no gain of 0.1 nats"
    assert accuracy_text(row).startswith("no gain of 0.1 nats over DV")


def test_a_measured_gain_short_of_the_margin_is_a_smaller_effect():
    row = compare(runs_of([-0.03, -0.031, -0.029], seeds=(0, 1, 2))).set_index("loss").loc["new"]
    assert row["vs_baseline"] == "better" and row["accuracy"].kind == Kind.SMALLER
    assert decision_word(row) == "better, by less than 0.1 nats"
    assert "by less than 0.1 nats" in accuracy_text(row)


def test_an_open_interval_stays_not_measurable_and_says_why():
    row = compare(runs_of([-0.3, 0.3, 0.0], seeds=(0, 1, 2))).set_index("loss").loc["new"]
    assert row["accuracy"].kind == Kind.UNDECIDED and row["vs_baseline"] == "no difference shown"
    assert decision_word(row) == "no difference shown (underpowered)"
    assert "too few seeds" in accuracy_text(row)


def test_a_two_seed_family_is_untestable_and_says_so():
    runs = runs_of([-0.3, -0.1], seeds=(0, 1), losses=("new", "other"))
    row = compare(runs).set_index("loss").loc["new"]
    d = row["accuracy"]
    assert d.status == "untestable" and d.kind == Kind.UNDECIDED
    assert "untestable" in interval_text(d) and "one seed" not in interval_text(d)
    assert decision_word(row) == "no difference shown (untestable)"


def test_same_estimates_rule_the_effect_out():
    runs = runs_of([0.0, 0.0, 0.0], seeds=(0, 1, 2))
    table = compare(runs).set_index("loss")
    row = table.loc["new"]
    assert row["vs_baseline"] == "same" and row["jitter_vs_baseline"] == "same"
    for aspect in ("accuracy", "smoothness"):
        assert report_claim(row, table.loc["dv"], aspect).kind == Kind.SMALLER
    # different jitter, same estimates: the jitter is compared, not called the same
    other = compare(runs_of([0.0] * 3, seeds=(0, 1, 2), jitter=[0.05, 0.06, 0.05]))
    other = other.set_index("loss").loc["new"]
    assert other["vs_baseline"] == "same" and other["jitter_vs_baseline"] == "rougher"


def test_claims_follow_the_decision_not_a_word_map():
    table = compare(runs_of([0.2, 0.21, 0.19], seeds=(0, 1, 2))).set_index("loss")
    claim = report_claim(table.loc["new"], table.loc["dv"], "accuracy")
    assert claim.kind == Kind.DISAGREES and claim.direction == evidence.Direction.OPPOSITE
    row = evidence.claim("06", "x", "the report's text", claim, source="the seed report")
    assert row["decision"] == "disagrees" and row["source"] == "the seed report"


def test_twin_curves_are_said_to_coincide_only_within_the_tolerance():
    steps = np.arange(0, 100, 25)
    rows = []
    for loss, shift in (("dv", 0.0), ("noise", 0.0), ("mine", 0.0), ("eam", 0.5)):
        for seed in (0, 1):
            rows += [{"loss": loss, "rho": 0.9, "batch_size": 64, "seed": seed, "step": s,
                      "val_estimate": 1.0 + shift * (s > 50)} for s in steps]
    text = twin_curves_text(pd.DataFrame(rows), [("noise", "dv"), ("eam", "mine")], [0.9], 0.1)
    assert "noise and dv (largest gap 0.000 nats) stay within 0.1 nats" in text
    assert "those of eam and mine (largest gap 0.500 nats) do not" in text
