"""Reconstruction metrics: hand-computed values and a second, independent MS-SSIM."""

import math

import numpy as np
import pytest
import torch

from mine_lib.errors import InputError
from mine_lib.experiments import classifier
from mine_lib.experiments import image_metrics as im

C1, C2 = (0.01) ** 2, (0.03) ** 2


def smooth_images(n: int, size: int = 28, seed: int = 0) -> np.ndarray:
    """Blurry random images in [0, 1]: structure at several scales, like real pictures."""
    rng = np.random.default_rng(seed)
    coarse = rng.random((n, 1, size // 4, size // 4))
    img = np.kron(coarse, np.ones((1, 1, 4, 4)))
    img = 0.7 * img + 0.3 * rng.random((n, 1, size, size))
    return img.astype(np.float32)


# ---------------------------------------------------------------- an independent MS-SSIM

def np_window(size: int = 7, sigma: float = 1.5) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-r ** 2 / (2 * sigma ** 2))
    w = np.outer(g, g)
    return w / w.sum()


def np_ssim_terms(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> tuple[float, float]:
    """Mean SSIM and mean contrast-structure over every window position, with loops."""
    k = w.shape[0]
    full, cs_all = [], []
    for i in range(a.shape[0] - k + 1):
        for j in range(a.shape[1] - k + 1):
            pa, pb = a[i:i + k, j:j + k], b[i:i + k, j:j + k]
            ma, mb = (w * pa).sum(), (w * pb).sum()
            va = (w * (pa - ma) ** 2).sum()
            vb = (w * (pb - mb) ** 2).sum()
            cov = (w * (pa - ma) * (pb - mb)).sum()
            cs = (2 * cov + C2) / (va + vb + C2)
            lum = (2 * ma * mb + C1) / (ma ** 2 + mb ** 2 + C1)
            full.append(lum * cs)
            cs_all.append(cs)
    return float(np.mean(full)), float(np.mean(cs_all))


def np_ms_ssim(a: np.ndarray, b: np.ndarray, scales: int) -> float:
    weights = np.array([0.0448, 0.2856, 0.3001, 0.2363, 0.1333])[:scales]
    weights = weights / weights.sum()
    w, score = np_window(), 1.0
    for j in range(scales):
        full, cs = np_ssim_terms(a, b, w)
        score *= max(full if j == scales - 1 else cs, 0.0) ** weights[j]
        h, v = a.shape[0] // 2, a.shape[1] // 2  # 2x2 averages
        a = a[:2 * h, :2 * v].reshape(h, 2, v, 2).mean(axis=(1, 3))
        b = b[:2 * h, :2 * v].reshape(h, 2, v, 2).mean(axis=(1, 3))
    return score


def test_ms_ssim_matches_an_independent_loop_implementation():
    rng = np.random.default_rng(3)
    a = smooth_images(2, size=16, seed=1)
    b = np.clip(a + 0.15 * rng.standard_normal(a.shape), 0, 1)
    ours = im.ms_ssim(a, b, scales=2)
    for i in range(2):
        assert ours[i] == pytest.approx(np_ms_ssim(a[i, 0].astype(np.float64), b[i, 0], 2), rel=1e-9)


def test_single_scale_ssim_on_one_window_is_the_textbook_formula():
    rng = np.random.default_rng(0)
    a, b = rng.random((7, 7)), rng.random((7, 7))
    w = np_window()
    ma, mb = (w * a).sum(), (w * b).sum()
    va, vb = (w * a * a).sum() - ma ** 2, (w * b * b).sum() - mb ** 2
    cov = (w * a * b).sum() - ma * mb
    expected = (2 * ma * mb + C1) * (2 * cov + C2) / ((ma ** 2 + mb ** 2 + C1) * (va + vb + C2))
    assert im.ssim(a[None], b[None])[0] == pytest.approx(expected, rel=1e-12)


def test_constant_images_score_only_luminance_at_the_coarsest_scale():
    # no variance anywhere: every cs is (0 + C2) / (0 + C2) = 1, and the luminance term
    # at the last scale carries the normalised weight 0.3001 / (0.0448 + 0.2856 + 0.3001)
    a, b = np.full((1, 28, 28), 0.2), np.full((1, 28, 28), 0.6)
    lum = (2 * 0.2 * 0.6 + C1) / (0.2 ** 2 + 0.6 ** 2 + C1)
    expected = lum ** (0.3001 / (0.0448 + 0.2856 + 0.3001))
    assert im.ms_ssim(a, b)[0] == pytest.approx(expected, rel=1e-12)
    assert expected < 0.9  # the test would notice a missing luminance term


def test_ms_ssim_of_an_image_with_itself_is_one():
    x = smooth_images(5)
    assert np.allclose(im.ms_ssim(x, x), 1.0, atol=1e-12)
    assert np.allclose(im.ms_ssim(np.zeros((2, 28, 28)), np.zeros((2, 28, 28))), 1.0)


def test_ms_ssim_is_symmetric_and_bounded():
    x, y = smooth_images(6, seed=1), smooth_images(6, seed=2)
    assert np.allclose(im.ms_ssim(x, y), im.ms_ssim(y, x), atol=1e-12)
    inverted = im.ms_ssim(x, 1.0 - x)  # anti-correlated structure: cs < 0, clipped to 0
    assert np.all(np.isfinite(inverted)) and np.all((inverted >= 0) & (inverted < 0.5))


def test_ms_ssim_decreases_as_noise_grows():
    x = smooth_images(8, seed=4)
    rng = np.random.default_rng(0)
    noise = rng.standard_normal(x.shape)
    scores = [im.ms_ssim(x, np.clip(x + s * noise, 0, 1)).mean() for s in (0.02, 0.05, 0.1, 0.2, 0.4)]
    assert all(a > b for a, b in zip(scores, scores[1:])), scores
    assert scores[0] > 0.95 and scores[-1] < 0.8


def test_ms_ssim_reads_uint8_like_floats():
    x = (smooth_images(3) * 255).round().astype(np.uint8)
    y = np.clip(x.astype(int) + 20, 0, 255).astype(np.uint8)
    assert np.allclose(im.ms_ssim(x, y), im.ms_ssim(x / 255.0, y / 255.0), atol=1e-12)


def test_ms_ssim_says_how_many_scales_fit():
    x = smooth_images(2)
    with pytest.raises(InputError, match="at most 3 fit"):
        im.ms_ssim(x, x, scales=4)
    with pytest.raises(InputError, match="scales must be"):
        im.ms_ssim(x, x, scales=0)
    assert im.max_scales((28, 28), 7) == 3 and im.max_scales((176, 176), 11) == 5


@pytest.mark.parametrize("bad, message", [
    (np.zeros((2, 28)), "shape"),
    (np.full((2, 28, 28), np.nan), "NaN"),
    (np.full((2, 28, 28), 2.0), r"\[0, 1\]"),
    (np.zeros((0, 28, 28)), "empty"),
])
def test_bad_images_get_clear_errors(bad, message):
    with pytest.raises(InputError, match=message):
        im.ms_ssim(bad, bad)


def test_shapes_must_match():
    with pytest.raises(InputError, match="same shape"):
        im.reconstruction_error(np.zeros((2, 28, 28)), np.zeros((3, 28, 28)))


# ---------------------------------------------------------------- reconstruction error

def test_reconstruction_error_is_the_sum_of_squared_pixel_errors():
    x = np.zeros((2, 1, 28, 28))
    assert np.allclose(im.reconstruction_error(x, x + 0.1), 784 * 0.01)
    assert np.allclose(im.reconstruction_error(x, np.ones_like(x)), 784.0)
    rgb = np.zeros((1, 3, 4, 4))
    rgb_rec = rgb.copy()
    rgb_rec[0, 2, 1, 1] = 0.5
    assert im.reconstruction_error(rgb, rgb_rec)[0] == pytest.approx(0.25)


# ---------------------------------------------------------------- reconstruction accuracy

def quadrant_images(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Class k = the bright quadrant of a noisy image: easy to learn, four classes."""
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 4, n)
    x = 0.2 * rng.random((n, 28, 28))
    for i, k in enumerate(labels):
        r, c = divmod(int(k), 2)
        x[i, 14 * r:14 * r + 14, 14 * c:14 * c + 14] += 0.7
    return x.astype(np.float32), labels


@pytest.fixture(scope="module")
def trained():
    x, y = quadrant_images(400, seed=0)
    return classifier.train_classifier(x, y, epochs=2, batch_size=64, seed=0, device="cpu")


def test_identity_reconstruction_has_full_agreement_and_the_classifiers_accuracy(trained):
    x, y = quadrant_images(200, seed=1)
    assert im.reconstruction_accuracy(trained, x, x).mean() == 1.0
    assert im.reconstruction_accuracy(trained, x, x, labels=y).mean() == pytest.approx(
        classifier.accuracy(trained, x, y))


def test_agreement_of_shuffled_images_is_the_label_collision_rate(trained):
    x, _ = quadrant_images(200, seed=2)
    perm = np.random.default_rng(0).permutation(200)
    pred = classifier.predict(trained, x)
    assert len(np.unique(pred)) == 4  # a real classifier, not a constant
    agree = im.reconstruction_accuracy(trained, x, x[perm])
    assert agree.mean() == pytest.approx(np.mean(pred == pred[perm]))
    assert agree.mean() < 0.5


def test_reconstruction_accuracy_checks_its_input(trained):
    x, _ = quadrant_images(4, seed=3)
    with pytest.raises(InputError, match="one label per image"):
        im.reconstruction_accuracy(trained, x, x, labels=[0, 1])
    with pytest.raises(InputError, match=r"\(n, 1, 28, 28\)"):
        im.reconstruction_accuracy(trained, np.zeros((2, 3, 28, 28)), np.zeros((2, 3, 28, 28)))


def test_gaussian_window_is_normalised_and_symmetric():
    w = im.gaussian_window(7, 1.5)
    assert float(w.sum()) == pytest.approx(1.0)
    assert torch.allclose(w, w.T) and torch.allclose(w, w.flip(0))
    assert float(w[3, 3] / w[3, 4]) == pytest.approx(math.exp(1 / (2 * 1.5 ** 2)))


def test_ms_ssim_of_identical_channels_equals_the_grey_value():
    x, y = smooth_images(3, seed=5), smooth_images(3, seed=6)
    rgb_x, rgb_y = np.repeat(x, 3, axis=1), np.repeat(y, 3, axis=1)
    assert np.allclose(im.ms_ssim(rgb_x, rgb_y), im.ms_ssim(x, y), atol=1e-12)
