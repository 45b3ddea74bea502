"""Mode metrics on hand-made samples, where every answer can be worked out by hand."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from mine_lib import InputError
from mine_lib.experiments.gan import grid_gaussians
from mine_lib.experiments.modes import (
    assign_modes,
    kl_to_uniform,
    label_metrics,
    mode_metrics,
    stacked_confidence,
    stacked_labels,
    stacked_metrics,
    stacked_readout,
)

CORNERS = np.array([[0.0, 0.0], [10.0, 0.0], [0.0, 10.0], [10.0, 10.0]])


def test_nearest_mode_and_distance():
    samples = np.array([[1.0, 0.0], [9.0, 0.5], [5.1, 0.0], [0.0, 7.0]])
    nearest, dist = assign_modes(samples, CORNERS)
    assert nearest.tolist() == [0, 1, 1, 2]
    assert np.allclose(dist, [1.0, math.hypot(1.0, 0.5), 4.9, 3.0])


def test_kl_to_uniform_by_hand():
    assert kl_to_uniform([5, 5, 5, 5]) == pytest.approx(0.0, abs=1e-12)
    assert kl_to_uniform([0, 7, 0, 0]) == pytest.approx(math.log(4))
    # p = (1/2, 1/4, 1/4, 0): sum p log(4 p) = 1/2 log 2
    assert kl_to_uniform([2, 1, 1, 0]) == pytest.approx(0.5 * math.log(2))
    assert kl_to_uniform([0, 0, 0]) == pytest.approx(math.log(3))  # nothing counted: worst


def test_mode_metrics_on_hand_made_samples():
    sigma = 0.5  # high quality: within 1.5 of a centre
    samples = np.array([
        [0.0, 0.0], [0.1, 0.0], [1.4, 0.0],   # mode 0: three good samples (1.4 < 1.5)
        [10.0, 1.6],                            # near mode 1 but 1.6 > 1.5: not high quality
        [0.0, 10.0],                            # mode 2: one good sample
        [5.0, 5.0],                             # far from everything
    ])
    m = mode_metrics(samples, CORNERS, sigma)
    assert m.counts.tolist() == [3, 0, 1, 0]
    assert m.modes_covered == 2 and m.n_modes == 4 and m.n_samples == 6
    assert m.high_quality_share == pytest.approx(4 / 6)
    assert m.kl_to_uniform == pytest.approx(kl_to_uniform([3, 0, 1, 0]))
    # with a minimum of two good samples, only mode 0 counts as covered
    assert mode_metrics(samples, CORNERS, sigma, min_count=2).modes_covered == 1
    # a wider notion of quality (4 sigma = 2.0) admits the sample at distance 1.6
    assert mode_metrics(samples, CORNERS, sigma, n_std=4.0).counts.tolist() == [3, 1, 1, 0]


def test_real_grid_samples_match_the_closed_form():
    """For a 2-D isotropic Gaussian, P(|x - mu| <= 3 sigma) = 1 - exp(-9/2) = 0.98889."""
    data = grid_gaussians()
    x = data.sample(50_000, torch.Generator().manual_seed(0)).numpy()
    m = mode_metrics(x, data.centers, data.sigma)
    assert m.modes_covered == 25
    assert m.high_quality_share == pytest.approx(1 - math.exp(-4.5), abs=0.003)
    # 25 equally likely modes, 50 000 draws: the histogram's KL to uniform is about
    # (K - 1) / (2 n) = 2.4e-4 nats
    assert m.kl_to_uniform < 2e-3


def test_collapsed_generator_scores_badly():
    data = grid_gaussians()
    x = np.repeat(data.centers[:1], 1000, axis=0)  # every sample on the first mode
    m = mode_metrics(x, data.centers, data.sigma)
    assert m.modes_covered == 1
    assert m.high_quality_share == 1.0
    assert m.kl_to_uniform == pytest.approx(math.log(25))


def test_label_metrics():
    every = np.arange(1000)
    m = label_metrics(every)
    assert m.modes_covered == 1000 and m.kl_to_uniform == pytest.approx(0.0, abs=1e-12)
    assert m.high_quality_share is None
    m = label_metrics(np.array([7] * 30 + [8] * 10))
    assert m.modes_covered == 2
    assert m.kl_to_uniform == pytest.approx(0.75 * math.log(750) + 0.25 * math.log(250))


class BrightnessClassifier(nn.Module):
    """Stands in for the digit classifier: the class is round(9 * mean intensity)."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        label = torch.round(x.mean(dim=(1, 2, 3)) * 9).long().clamp(0, 9)
        return nn.functional.one_hot(label, 10).float() + self.dummy


def test_stacked_labels_read_the_channels_in_order():
    digits = np.array([[3, 1, 4], [0, 0, 9], [9, 9, 9]])
    images = np.zeros((3, 3, 28, 28), dtype=np.float32)
    for i, (d0, d1, d2) in enumerate(digits):
        for ch, d in enumerate((d0, d1, d2)):
            images[i, ch] = d / 9
    labels = stacked_labels(images, BrightnessClassifier())
    assert labels.tolist() == [314, 9, 999]
    m = stacked_metrics(images, BrightnessClassifier())
    assert m.modes_covered == 3 and m.n_modes == 1000


class SureOnCleanImages(nn.Module):
    """Confident (logit 30) on a channel of one constant grey level, uniform on noisy ones."""

    def __init__(self):
        super().__init__()
        self.dummy = nn.Parameter(torch.zeros(1))

    def forward(self, x):
        clean = (x.amax(dim=(1, 2, 3)) - x.amin(dim=(1, 2, 3))) < 1e-6
        label = torch.round(x.mean(dim=(1, 2, 3)) * 9).long().clamp(0, 9)
        return 30.0 * clean[:, None] * nn.functional.one_hot(label, 10).float() + self.dummy


def test_stacked_confidence_tells_recognisable_pictures_from_blobs():
    clean = np.full((4, 3, 28, 28), 3 / 9, dtype=np.float32)
    blobs = np.random.default_rng(0).uniform(0, 1, (4, 3, 28, 28)).astype(np.float32)
    mixed = clean.copy()
    mixed[:, 2] = blobs[:, 2]  # one of three channels unreadable
    assert stacked_confidence(clean, SureOnCleanImages()) == pytest.approx(np.ones(4), abs=1e-6)
    assert stacked_confidence(blobs, SureOnCleanImages()) == pytest.approx(np.full(4, 0.1))
    assert stacked_confidence(mixed, SureOnCleanImages()) == pytest.approx(np.full(4, 0.7), abs=1e-6)
    with pytest.raises(InputError, match="stacked images"):
        stacked_confidence(np.zeros((2, 28, 28)), SureOnCleanImages())


def test_bad_input_gets_clear_errors():
    with pytest.raises(InputError, match="NaN"):
        mode_metrics(np.array([[np.nan, 0.0]]), CORNERS, 1.0)
    with pytest.raises(InputError, match="columns"):
        mode_metrics(np.zeros((3, 3)), CORNERS, 1.0)
    with pytest.raises(InputError, match="positive"):
        mode_metrics(np.zeros((3, 2)), CORNERS, 0.0)
    with pytest.raises(InputError, match="non-empty"):
        mode_metrics(np.zeros((0, 2)), CORNERS, 1.0)
    with pytest.raises(InputError, match="0..999"):
        label_metrics(np.array([1000]))
    with pytest.raises(InputError, match="non-negative"):
        kl_to_uniform([1, -1])
    with pytest.raises(InputError, match=r"\(n, 3, 28, 28\)"):
        stacked_labels(np.zeros((2, 28, 28)), BrightnessClassifier())


def test_stacked_readout_is_labels_and_confidence_in_one_pass():
    clean = np.full((4, 3, 28, 28), 3 / 9, dtype=np.float32)
    mixed = clean.copy()
    mixed[:, 2] = np.random.default_rng(0).uniform(0, 1, (4, 28, 28))
    images = np.concatenate([clean, mixed])
    labels, conf = stacked_readout(images, SureOnCleanImages())
    assert labels.tolist() == stacked_labels(images, SureOnCleanImages()).tolist()
    assert labels[:4].tolist() == [333] * 4
    assert conf == pytest.approx(stacked_confidence(images, SureOnCleanImages()), abs=1e-6)
    with pytest.raises(InputError, match="stacked images"):
        stacked_readout(np.zeros((2, 28, 28)), SureOnCleanImages())
