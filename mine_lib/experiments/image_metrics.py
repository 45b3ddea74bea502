"""How faithful is a reconstruction? Three measures on pairs of images (x, x').

Images are (n, C, H, W) or (n, H, W) arrays or tensors: floats in [0, 1], or uint8 in
0..255 (divided by 255). Every function returns one value per image pair (a numpy array);
the chapter reports their means.

- ``reconstruction_error``: the squared Euclidean distance ||x - x'||^2 with pixels in
  [0, 1], i.e. the squared error *summed* over the C*H*W pixels of one image (not averaged).
  A 28x28 image that is off by 0.1 everywhere has error 7.84.
- ``reconstruction_accuracy``: a classifier (``mine_lib.classifier``) labels x and x';
  the score is 1 where the two labels agree. With true labels given, it is instead the
  classifier's accuracy on the reconstructions.
- ``ms_ssim``: multi-scale structural similarity (Wang, Simoncelli & Bovik 2003), 1 for
  identical images. Adapted to 28x28 images, see ``ms_ssim``.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from ..errors import InputError

# Wang et al. (2003): exponents of scales 1 (finest) .. 5 (coarsest), fitted to human ratings.
MS_SSIM_WEIGHTS = (0.0448, 0.2856, 0.3001, 0.2363, 0.1333)
K1, K2 = 0.01, 0.03  # the stabilising constants of SSIM: C1 = (K1 L)^2, C2 = (K2 L)^2
WINDOW_SIZE = 7      # 7x7 Gaussian window (the standard is 11x11, too large for 28x28 at 3 scales)
WINDOW_SIGMA = 1.5   # the standard width
SCALES = 3           # 28 -> 14 -> 7 pixels: the coarsest scale still holds one whole window


# ---------------------------------------------------------------- input handling

def as_images(images, name: str = "images") -> Tensor:
    """A float64 tensor (n, C, H, W) in [0, 1], or a clear InputError."""
    if isinstance(images, Tensor):
        t = images.detach().cpu()
    else:
        try:
            t = torch.as_tensor(np.asarray(images))
        except (TypeError, ValueError) as err:
            raise InputError(f"{name} must be a numeric array: {err}") from None
    if t.ndim == 3:
        t = t.unsqueeze(1)
    if t.ndim != 4:
        raise InputError(f"{name} must have shape (n, H, W) or (n, C, H, W), got {tuple(t.shape)}")
    if t.shape[0] == 0:
        raise InputError(f"{name} is empty (shape {tuple(t.shape)})")
    if t.dtype == torch.uint8:
        return t.double() / 255.0
    if t.dtype == torch.bool or t.is_complex():
        raise InputError(f"{name} must be real numbers, got dtype {t.dtype}")
    t = t.double()
    if not torch.isfinite(t).all():
        raise InputError(f"{name} holds NaN or infinite values")
    if t.min() < -1e-6 or t.max() > 1 + 1e-6:
        raise InputError(f"{name} must lie in [0, 1] (float) or 0..255 (uint8); "
                         f"got values in [{float(t.min()):.3g}, {float(t.max()):.3g}]")
    return t.clamp(0.0, 1.0)


def image_pair(x, y) -> tuple[Tensor, Tensor]:
    x, y = as_images(x, "x"), as_images(y, "reconstruction")
    if x.shape != y.shape:
        raise InputError(f"x and its reconstruction must have the same shape: "
                         f"{tuple(x.shape)} vs {tuple(y.shape)}")
    return x, y


# ---------------------------------------------------------------- error and accuracy

def reconstruction_error(x, x_rec) -> np.ndarray:
    """Per image: the squared error summed over all pixels (pixels in [0, 1])."""
    x, y = image_pair(x, x_rec)
    return ((x - y) ** 2).sum(dim=(1, 2, 3)).numpy()


def reconstruction_accuracy(classifier, x, x_rec, labels=None) -> np.ndarray:
    """Per image: 1.0 where the classifier gives x' the label it gives x, else 0.0.

    With ``labels``, 1.0 where the classifier's label of x' is the true label instead.
    The images must be single-channel 28x28 (what ``mine_lib.classifier`` reads).
    """
    from .classifier import predict  # late import: the metrics need no classifier otherwise

    x, y = image_pair(x, x_rec)
    if x.shape[1:] != (1, 28, 28):
        raise InputError(f"the classifier reads (n, 1, 28, 28) images, got {tuple(x.shape)}")
    rec_labels = predict(classifier, y[:, 0].float())
    if labels is None:
        reference = predict(classifier, x[:, 0].float())
    else:
        reference = np.asarray(labels)
        if reference.shape != (x.shape[0],):
            raise InputError(f"need one label per image ({x.shape[0]}), got shape {reference.shape}")
    return (rec_labels == reference).astype(np.float64)


# ---------------------------------------------------------------- SSIM and MS-SSIM

def gaussian_window(size: int = WINDOW_SIZE, sigma: float = WINDOW_SIGMA) -> Tensor:
    """A normalised 2-D Gaussian window (size x size), float64."""
    if size < 1 or sigma <= 0:
        raise InputError(f"need a window size >= 1 and sigma > 0, got {size}, {sigma}")
    coords = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    g = torch.exp(-coords ** 2 / (2 * sigma ** 2))
    g = g / g.sum()
    return torch.outer(g, g)


def local_mean(images: Tensor, window: Tensor) -> Tensor:
    """Weighted local means over every window position that fits ('valid'), per channel."""
    c = images.shape[1]
    kernel = window.to(images).expand(c, 1, *window.shape)
    return F.conv2d(images, kernel, groups=c)


def ssim_parts(x: Tensor, y: Tensor, window: Tensor, data_range: float) -> tuple[Tensor, Tensor]:
    """Per image: mean SSIM (luminance x contrast-structure) and mean contrast-structure."""
    c1, c2 = (K1 * data_range) ** 2, (K2 * data_range) ** 2
    mx, my = local_mean(x, window), local_mean(y, window)
    vx = local_mean(x * x, window) - mx ** 2
    vy = local_mean(y * y, window) - my ** 2
    cov = local_mean(x * y, window) - mx * my
    cs = (2 * cov + c2) / (vx + vy + c2)
    lum = (2 * mx * my + c1) / (mx ** 2 + my ** 2 + c1)
    return (lum * cs).mean(dim=(1, 2, 3)), cs.mean(dim=(1, 2, 3))


def max_scales(shape, window_size: int) -> int:
    """How many scales fit: the coarsest image must still hold one whole window."""
    side, fit = min(shape[-2:]), 0
    while side >= window_size and fit < len(MS_SSIM_WEIGHTS):
        fit, side = fit + 1, side // 2
    return fit


def check_size(shape, scales: int, window_size: int) -> None:
    fit = max_scales(shape, window_size)
    if scales > fit:
        raise InputError(f"images of {shape[-2]}x{shape[-1]} pixels are too small for {scales} "
                         f"scale(s) with a {window_size}x{window_size} window; at most {fit} fit")


def ssim(x, y, window_size: int = WINDOW_SIZE, sigma: float = WINDOW_SIGMA,
         data_range: float = 1.0) -> np.ndarray:
    """Single-scale SSIM per image pair (Gaussian window, 'valid' positions only)."""
    x, y = image_pair(x, y)
    check_size(x.shape, 1, window_size)
    full, _ = ssim_parts(x, y, gaussian_window(window_size, sigma), data_range)
    return full.numpy()


def ms_ssim(x, y, scales: int = SCALES, window_size: int = WINDOW_SIZE,
            sigma: float = WINDOW_SIGMA, data_range: float = 1.0) -> np.ndarray:
    """Multi-scale SSIM per image pair (Wang, Simoncelli & Bovik 2003).

    MS-SSIM = l_M^{w_M} * prod_{j=1..M} cs_j^{w_j}: the contrast-structure term cs_j at every
    scale and the luminance term l_M at the coarsest; each scale halves the image with a
    2x2 average. The standard recipe has M = 5 scales and an 11x11 window, which needs
    images of at least 176 pixels; for 28x28 images this uses M = 3 scales (28, 14, 7
    pixels) and a 7x7 window with the standard sigma = 1.5, so the window still fits whole
    at the coarsest scale. The weights are the first M standard weights, rescaled to sum
    to 1 (so that the score stays in [0, 1]). Negative cs values (anti-correlated
    structure) are set to 0 before the powers are taken, as TensorFlow's implementation does.
    """
    if not isinstance(scales, (int, np.integer)) or not 1 <= scales <= len(MS_SSIM_WEIGHTS):
        raise InputError(f"scales must be an integer from 1 to {len(MS_SSIM_WEIGHTS)}, got {scales!r}")
    x, y = image_pair(x, y)
    check_size(x.shape, scales, window_size)
    window = gaussian_window(window_size, sigma)
    weights = torch.tensor(MS_SSIM_WEIGHTS[:scales], dtype=torch.float64)
    weights = weights / weights.sum()
    score = torch.ones(x.shape[0], dtype=torch.float64)
    for j in range(scales):
        full, cs = ssim_parts(x, y, window, data_range)
        term = full if j == scales - 1 else cs
        score = score * term.clamp(min=0.0) ** weights[j]
        x, y = F.avg_pool2d(x, 2), F.avg_pool2d(y, 2)
    return score.numpy()
