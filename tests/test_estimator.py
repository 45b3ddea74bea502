"""estimate_mi against closed-form MI, reproducibility, divergence and bad input."""

import numpy as np
import pytest

from mine_lib import DivergenceError, InputError, TrainConfig, estimate_mi, train_critic
from mine_lib.tasks import correlated_gaussian, gaussian_mi

FAST = {"method": "mine", "max_steps": 300, "eval_every": 50}  # the trainer of the MINE family


# Tolerance: 0.08 nats plus 6 % of the truth. The held-out DV/NWJ estimate of a trained
# critic has a standard deviation of about sqrt((e^I - 1) / n_test) nats (Song & Ermon 2020),
# about 0.07 nats at I = 2.5 with 2,000 test samples, and the critic's approximation gap adds
# a small downward bias.
@pytest.mark.parametrize("method, dim, rho, n", [
    ("mine", 1, 0.5, 5000),
    ("mine", 3, 0.9, 10000),
    ("mine-f", 5, 0.5, 8000),
    ("mine", 10, 0.3, 8000),
])
def test_estimate_close_to_closed_form(method, dim, rho, n):
    x, z = correlated_gaussian(n, dim, rho, seed=3)
    truth = gaussian_mi(dim, rho)
    result = estimate_mi(x, z, method=method, seed=0)
    assert abs(result.mi - truth) < 0.08 + 0.06 * truth, (result.mi, truth)


def test_independent_data_gives_near_zero_and_stops_early():
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(3000, 2)), rng.normal(size=(3000, 2))
    result = estimate_mi(x, z, method="mine", seed=0, max_steps=5000)
    assert abs(result.mi) < 0.05
    assert result.steps < 5000  # the validation criterion stopped it


def test_same_seed_same_estimate_other_seed_differs():
    x, z = correlated_gaussian(600, 2, 0.7, seed=1)
    a = estimate_mi(x, z, seed=4, **FAST)
    b = estimate_mi(x, z, seed=4, **FAST)
    c = estimate_mi(x, z, seed=5, **FAST)
    assert a.mi == b.mi
    assert np.array_equal(a.history["train_estimate"], b.history["train_estimate"])
    assert c.mi != a.mi


def test_result_bookkeeping():
    x, z = correlated_gaussian(1000, 1, 0.8, seed=2)
    r = estimate_mi(x, z, seed=0, **FAST)
    assert r.n_train + r.n_val + r.n_test == 1000
    assert len(r.history["train_estimate"]) == r.steps
    assert r.history["val_step"][-1] == r.steps
    assert 0 < r.best_step <= r.steps
    assert np.isclose(r.bits, r.mi / np.log(2))
    assert set(r.summary()) >= {"mi", "method", "units"}


def test_one_dimensional_inputs_are_columns():
    x, z = correlated_gaussian(800, 1, 0.6, seed=0)
    assert estimate_mi(x[:, 0], z[:, 0], seed=0, **FAST).mi == estimate_mi(x, z, seed=0, **FAST).mi


def test_diverging_run_is_reported():
    x, z = correlated_gaussian(500, 2, 0.9, seed=0)
    with pytest.raises(DivergenceError, match="diverged"):
        train_critic(x * 1e30, z * 1e30, TrainConfig(loss="mine-f", standardize=False, max_steps=50))


GOOD_X, GOOD_Z = correlated_gaussian(200, 2, 0.5, seed=0)


@pytest.mark.parametrize("x, z, kwargs, message", [
    (GOOD_X, GOOD_Z[:150], {}, "same number of rows"),
    (np.where(np.eye(200, 2) > 0, np.nan, GOOD_X), GOOD_Z, {}, "NaN or infinite"),
    (GOOD_X, np.full_like(GOOD_Z, np.inf), {}, "NaN or infinite"),
    (GOOD_X[:10], GOOD_Z[:10], {}, "too few"),
    (np.zeros((200, 2, 2)), GOOD_Z, {}, "1-D or 2-D"),
    (np.zeros((0, 2)), np.zeros((0, 2)), {}, "empty"),
    ([["a", "b"]] * 200, GOOD_Z, {}, "numeric"),
    (GOOD_X, GOOD_Z, {"method": "magic"}, "unknown method 'magic'"),
    (GOOD_X, GOOD_Z, {"batch_size": 0}, "batch_size must be a positive integer"),
    (GOOD_X, GOOD_Z, {"batch_size": -5}, "batch_size must be a positive integer"),
    (GOOD_X, GOOD_Z, {"max_steps": 0}, "max_steps must be a positive integer"),
    (GOOD_X, GOOD_Z, {"lr": -1.0}, "lr must be a positive number"),
    (GOOD_X, GOOD_Z, {"wings": 2}, "unknown option"),
    (GOOD_X, GOOD_Z, {"ema_rate": 2.0}, "rate"),
])
def test_bad_input_gets_a_clear_error(x, z, kwargs, message):
    with pytest.raises(InputError, match=message):
        estimate_mi(x, z, **kwargs)


def test_printing_a_result_gives_one_line_for_people_not_the_repr():
    from mine_lib import MIEstimate

    r = MIEstimate(mi=0.5, method="crossfit", n_test=100, lower_bound=0.4, lower_level=0.975,
                   lower_accounts_for="read-out noise", warnings=["training was still improving"])
    text = str(r)
    assert "MIEstimate(" not in text and "0.5000 nats" in text
    assert "at least 0.4000 with 97.5% confidence (read-out noise)" in text
    assert text.endswith("warning: training was still improving")
    assert "confidence" not in str(MIEstimate(mi=0.5, method="ksg"))
