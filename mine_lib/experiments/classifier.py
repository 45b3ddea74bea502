"""A small convolutional classifier for 28x28 single-channel images (MNIST family).

The GAN chapter uses it to label each channel of stacked-MNIST samples; the ALI chapter
uses it to measure reconstruction accuracy.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import contextlib
import io
import warnings
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from ..datasets import ImageDataset, load_digits
from ..errors import InputError
from ..utils import ensure_finite, pick_device, seed_everything


class DigitClassifier(nn.Module):
    def __init__(self, n_classes: int = 10, width: int = 32):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),           # 14x14
            nn.Conv2d(width, 2 * width, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),   # 7x7
            nn.Flatten(), nn.Linear(2 * width * 49, 128), nn.ReLU(), nn.Linear(128, n_classes),
        )

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.net(images)


def to_input(images) -> torch.Tensor:
    """uint8 (n, 28, 28) in 0..255 or float (n, 28, 28) in [0, 1] -> float (n, 1, 28, 28)."""
    images = torch.as_tensor(np.asarray(images))
    if images.ndim == 4 and images.shape[1] == 1:
        images = images[:, 0]
    if images.ndim != 3:
        raise InputError(f"expected images of shape (n, 28, 28), got {tuple(images.shape)}")
    images = images.float()
    if images.max() > 1.5:  # uint8 range
        images = images / 255.0
    return images.unsqueeze(1)


def train_classifier(images, labels, epochs: int = 1, batch_size: int = 128, lr: float = 1e-3,
                     seed: int = 0, device: str = "auto", n_classes: int = 10) -> DigitClassifier:
    """Train the classifier with Adam for a number of epochs over (images, labels)."""
    if epochs < 1 or batch_size < 1:
        raise InputError(f"epochs and batch_size must be positive, got {epochs}, {batch_size}")
    dev = pick_device(device)
    gen = seed_everything(seed)
    x, y = to_input(images), torch.as_tensor(np.asarray(labels), dtype=torch.long)
    if len(x) != len(y):
        raise InputError(f"{len(x)} images but {len(y)} labels")
    model = DigitClassifier(n_classes).to(dev)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    step = 0
    for _ in range(epochs):
        for idx in torch.randperm(len(x), generator=gen).split(batch_size):
            loss = nn.functional.cross_entropy(model(x[idx].to(dev)), y[idx].to(dev))
            step += 1
            ensure_finite(loss, "the classifier loss", step)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def predict(model: DigitClassifier, images, batch_size: int = 2048) -> np.ndarray:
    """Predicted labels for images (any of the formats ``to_input`` accepts)."""
    model.eval()
    dev = next(model.parameters()).device
    x = to_input(images)
    out = [model(chunk.to(dev)).argmax(1).cpu() for chunk in x.split(batch_size)]
    return torch.cat(out).numpy()


def accuracy(model: DigitClassifier, images, labels) -> float:
    return float((predict(model, images) == np.asarray(labels)).mean())


@torch.no_grad()
def confidence(model: DigitClassifier, images, batch_size: int = 2048) -> np.ndarray:
    """The classifier's probability of its own label, one value per image (in [0, 1]).

    Near 1 on images it recognises; near 1 / n_classes on images it cannot read.
    """
    model.eval()
    dev = next(model.parameters()).device
    x = to_input(images)
    out = [torch.softmax(model(chunk.to(dev)), dim=1).max(dim=1).values.cpu()
           for chunk in x.split(batch_size)]
    return torch.cat(out).numpy()


@torch.no_grad()
def predict_with_confidence(model: DigitClassifier, images,
                            batch_size: int = 2048) -> tuple[np.ndarray, np.ndarray]:
    """``predict`` and ``confidence`` from one pass over the images: (labels, probabilities)."""
    model.eval()
    dev = next(model.parameters()).device
    labels, probs = [], []
    for chunk in to_input(images).split(batch_size):
        p = torch.softmax(model(chunk.to(dev)), dim=1).max(dim=1)
        labels.append(p.indices.cpu())
        probs.append(p.values.cpu())
    return torch.cat(labels).numpy(), torch.cat(probs).numpy()


class ChapterData(NamedTuple):
    """The training and test splits a chapter loaded, and what to tell its reader."""

    train: ImageDataset
    test: ImageDataset
    name: str        # "MNIST" or "Fashion-MNIST": the data actually loaded
    fallback: bool   # True when MNIST could not be had
    note: str        # one paragraph for the reader, built from the data loaded


def load_chapter_data(consequence: str = "") -> ChapterData:
    """MNIST (or the Fashion-MNIST fallback) for a chapter, loaded without the loader's banner
    and warning (a chapter states the fallback once, in its own words); `consequence` is added
    to the note when the fallback was used."""
    with warnings.catch_warnings(), contextlib.redirect_stdout(io.StringIO()):
        warnings.simplefilter("ignore")
        train, test = load_digits("train"), load_digits("test")
    name = {"mnist": "MNIST", "fashion-mnist": "Fashion-MNIST"}.get(train.name, train.name)
    if train.fallback:
        note = (f"MNIST is not available on the machine that ran this chapter, so it ran on "
                f"{name} ({len(train)} training and {len(test)} test images of clothes, ten "
                f"classes, 28 × 28). The paper's MNIST numbers are shown beside ours only as the "
                f"paper's; they are not comparable with ours. {consequence}").strip()
    else:
        note = f"This run used {name}, the paper's dataset ({len(train)} training images)."
    return ChapterData(train, test, name, bool(train.fallback), note)
