"""The classical estimators of mine_lib.classic (histogram, KDE), alone and through estimate_mi."""

import math

import numpy as np
import pytest

from mine_lib import HistogramConfig, InputError, estimate_mi, methods
from mine_lib.__main__ import main
from mine_lib.classic import default_bins, histogram_mi, kde_mi
from mine_lib.tasks import correlated_gaussian, gaussian_mi


def test_histogram_mi_by_hand():
    a = np.array([0.0, 0.1, 1.0, 1.1])
    assert math.isclose(histogram_mi(a, a, bins=2), math.log(2))  # Z = X: I = H(X)
    b = np.array([0.0, 1.0, 0.1, 1.1])  # each half of x meets each half of z once
    assert abs(histogram_mi(a, b, bins=2)) < 1e-12


def test_histogram_overestimates_independence_in_high_dimension():
    # 2 bins per axis in 8 + 8 dimensions: 65536 cells per variable for 500 samples
    rng = np.random.default_rng(0)
    x, z = rng.normal(size=(500, 8)), rng.normal(size=(500, 8))
    assert histogram_mi(x, z, bins=2) > 0.5 * math.log(500)


def test_default_bins_keep_about_five_rows_a_cell():
    assert default_bins(5000, 2) == int(math.sqrt(1000))
    assert default_bins(10, 8) == 2  # never fewer than 2


def test_kde_mi_close_in_one_dimension():
    x, z = correlated_gaussian(2000, 1, 0.7, seed=0)
    assert abs(kde_mi(x, z) - gaussian_mi(1, 0.7)) < 0.1


def test_kde_does_not_see_an_affine_map_of_a_column():
    x, z = correlated_gaussian(500, 2, 0.5, seed=1)
    assert kde_mi(1e6 * x - 3, z) == pytest.approx(kde_mi(x, z), abs=1e-9)


def test_estimate_mi_runs_both_by_name():
    assert {"histogram", "kde"} <= set(methods())
    x, z = correlated_gaussian(400, 1, 0.6, seed=2)
    h = estimate_mi(x, z, method="histogram", bins=4)
    assert h.mi == histogram_mi(x, z, bins=4) and h.method == "histogram" and h.n_test == 400
    assert estimate_mi(x, z, config=HistogramConfig(bins=4)).mi == h.mi
    assert estimate_mi(x, z, method="kde").mi == kde_mi(x, z)


@pytest.mark.parametrize("call, message", [
    (lambda: histogram_mi(np.zeros(5), np.zeros(4)), "as many rows"),
    (lambda: histogram_mi(np.arange(5.0), np.arange(5.0), bins=1), "bins must be at least 2"),
    (lambda: kde_mi(np.arange(2.0), np.arange(2.0)), "at least 3"),
    (lambda: estimate_mi(np.arange(9.0), np.arange(9.0), method="kde", max_steps=5),
     "option 'max_steps' applies to"),
])
def test_bad_input_is_an_input_error(call, message):
    with pytest.raises(InputError, match=message):
        call()


def test_command_line_refuses_training_options(tmp_path, capsys):
    x, z = correlated_gaussian(50, 1, 0.5, seed=0)
    np.savetxt(tmp_path / "x.csv", x, delimiter=",")
    np.savetxt(tmp_path / "z.csv", z, delimiter=",")
    code = main(["estimate", str(tmp_path / "x.csv"), str(tmp_path / "z.csv"), "--method", "kde",
                 "--max-steps", "10"])
    assert code != 0 and "not kde" in capsys.readouterr().err
