"""Mode-coverage metrics for generative models.

Two-dimensional mixtures (spiral, 25 Gaussians): each sample goes to its nearest mode
centre; it is *high quality* when it lies within ``n_std`` standard deviations (3 by
default) of that centre. From the high-quality samples come the mode histogram, the
number of modes covered and the KL divergence of the histogram to the uniform one.

Stacked MNIST: a classifier labels each of the three channels; the mode is
``100 * d0 + 10 * d1 + d2`` (1000 modes). A mode is captured when at least one sample
lands in it, and the KL is taken between the mode histogram and the uniform one.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import InputError


@dataclass
class ModeMetrics:
    """Mode coverage of one set of samples."""

    modes_covered: int
    n_modes: int
    kl_to_uniform: float  # nats, KL(mode histogram || uniform)
    high_quality_share: float | None  # None where "high quality" is not defined
    counts: np.ndarray  # samples per mode (high-quality ones for 2-D mixtures)
    n_samples: int

    def summary(self) -> dict:
        """The JSON-friendly part (no histogram)."""
        return {"modes_covered": self.modes_covered, "n_modes": self.n_modes,
                "kl_to_uniform": self.kl_to_uniform,
                "high_quality_share": self.high_quality_share, "n_samples": self.n_samples}


def _points(name: str, a, dim: int | None = None) -> np.ndarray:
    """A finite float (n, d) array, or a clear InputError."""
    a = np.asarray(a, dtype=np.float64)
    if a.ndim != 2 or a.shape[0] == 0:
        raise InputError(f"{name} must be a non-empty (n, d) array, got shape {a.shape}")
    if dim is not None and a.shape[1] != dim:
        raise InputError(f"{name} has {a.shape[1]} columns but the mode centres have {dim}")
    if not np.isfinite(a).all():
        raise InputError(f"{name} holds NaN or infinite values (a diverged generator?)")
    return a


def assign_modes(samples, centers) -> tuple[np.ndarray, np.ndarray]:
    """Index of the nearest centre of each sample, and the distance to it."""
    centers = _points("centers", centers)
    samples = _points("samples", samples, centers.shape[1])
    d2 = ((samples[:, None, :] - centers[None, :, :]) ** 2).sum(axis=2)
    nearest = d2.argmin(axis=1)
    return nearest, np.sqrt(d2[np.arange(len(samples)), nearest])


def kl_to_uniform(counts) -> float:
    """KL(p || uniform) in nats for the histogram p = counts / sum(counts).

    Equal to log K - H(p): 0 for a uniform histogram, log K when every sample sits in
    one mode. An empty histogram (no sample counted at all) is given the worst value,
    log K.
    """
    counts = np.asarray(counts, dtype=np.float64)
    if counts.ndim != 1 or counts.size == 0 or (counts < 0).any():
        raise InputError(f"counts must be a non-empty 1-D array of non-negative numbers, "
                         f"got {counts!r}")
    k, total = counts.size, counts.sum()
    if total == 0:
        return math.log(k)
    p = counts[counts > 0] / total
    return float(np.sum(p * np.log(p * k)))


def mode_metrics(samples, centers, sigma: float, n_std: float = 3.0,
                 min_count: int = 1) -> ModeMetrics:
    """Coverage of a 2-D (or any-D) Gaussian mixture with equal widths ``sigma``.

    A mode is covered when at least ``min_count`` high-quality samples fall in it.
    """
    if not (sigma > 0 and n_std > 0):
        raise InputError(f"sigma and n_std must be positive, got {sigma}, {n_std}")
    if min_count < 1:
        raise InputError(f"min_count must be at least 1, got {min_count}")
    centers = _points("centers", centers)
    nearest, dist = assign_modes(samples, centers)
    good = dist <= n_std * sigma
    counts = np.bincount(nearest[good], minlength=len(centers))
    return ModeMetrics(
        modes_covered=int((counts >= min_count).sum()), n_modes=len(centers),
        kl_to_uniform=kl_to_uniform(counts), high_quality_share=float(good.mean()),
        counts=counts, n_samples=len(nearest),
    )


def stacked_labels(images, classifier) -> np.ndarray:
    """Mode label 100*d0 + 10*d1 + d2 of stacked images (n, 3, 28, 28), one digit a channel."""
    from .classifier import predict  # torch is only needed here

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        raise InputError(f"stacked images must have shape (n, 3, 28, 28), got {images.shape}")
    digits = [predict(classifier, images[:, ch]) for ch in range(3)]
    return digits[0] * 100 + digits[1] * 10 + digits[2]


def stacked_confidence(images, classifier) -> np.ndarray:
    """Per stacked picture, the classifier's confidence in its label, averaged over the three
    channels: near 1 when every channel is a recognisable image, about 0.1 for blobs."""
    from .classifier import confidence  # torch is only needed here

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        raise InputError(f"stacked images must have shape (n, 3, 28, 28), got {images.shape}")
    return np.mean([confidence(classifier, images[:, ch]) for ch in range(3)], axis=0)


def stacked_readout(images, classifier) -> tuple[np.ndarray, np.ndarray]:
    """``stacked_labels`` and ``stacked_confidence`` from one classifier pass per channel."""
    from .classifier import predict_with_confidence  # torch is only needed here

    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != 3 or images.shape[0] == 0:
        raise InputError(f"stacked images must have shape (n, 3, 28, 28), got {images.shape}")
    read = [predict_with_confidence(classifier, images[:, ch]) for ch in range(3)]
    labels = read[0][0] * 100 + read[1][0] * 10 + read[2][0]
    return labels.astype(np.int64), np.mean([conf for _, conf in read], axis=0)


def label_metrics(labels, n_modes: int = 1000, min_count: int = 1) -> ModeMetrics:
    """Coverage of discrete modes 0..n_modes-1 given one mode label per sample."""
    labels = np.asarray(labels)
    if labels.ndim != 1 or labels.size == 0:
        raise InputError(f"labels must be a non-empty 1-D array, got shape {labels.shape}")
    if not np.issubdtype(labels.dtype, np.integer) or labels.min() < 0 or labels.max() >= n_modes:
        raise InputError(f"labels must be integers in 0..{n_modes - 1}")
    counts = np.bincount(labels, minlength=n_modes)
    return ModeMetrics(
        modes_covered=int((counts >= min_count).sum()), n_modes=n_modes,
        kl_to_uniform=kl_to_uniform(counts), high_quality_share=None,
        counts=counts, n_samples=int(labels.size),
    )


def stacked_metrics(images, classifier, min_count: int = 1) -> ModeMetrics:
    """Modes captured (of 1000) and KL to uniform of stacked-MNIST samples."""
    return label_metrics(stacked_labels(images, classifier), 1000, min_count)
