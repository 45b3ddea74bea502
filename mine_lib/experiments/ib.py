"""MI minimisation: the Information Bottleneck on permutation-invariant image classification.

A classifier maps a flattened image x to a code z with an encoder, and z to class
probabilities with a softmax decoder (one linear layer). The Information Bottleneck
(Tishby et al. 2000) trades prediction against compression,

    loss = H(Y | Z) + beta * I(X; Z),

with the cross-entropy as the usual stand-in for H(Y | Z). One training loop
(``train_ib``) serves every regulariser the MINE paper (Belghazi et al. 2018, Section 5.3)
compares:

- ``"none"``: cross-entropy only (the baseline);
- ``"dropout"``: dropout on the encoder's hidden layers (Srivastava et al. 2014);
- ``"confidence"``: cross-entropy minus ``confidence`` times the entropy of the predicted
  distribution (confidence penalty, Pereyra et al. 2017);
- ``"label-smoothing"``: cross-entropy against targets mixed with the uniform
  distribution by ``smoothing`` (Szegedy et al. 2016);
- ``"vib"``: the deep variational bottleneck (Alemi et al. 2017): a Gaussian encoder and
  ``beta`` times KL(N(mu(x), sigma(x)^2) || N(0, I)), an upper bound on I(X; Z);
- ``"mine"``: MINE-IB: ``beta`` times MINE's Donsker-Varadhan estimate of I(X; Z), from a
  statistics network T(x, z) trained alongside by maximising the DV bound with the paper's
  moving-average gradient correction (``objectives.MineLoss``).

Encoders (``encoder=``): ``"deterministic"`` z = f(x); and three stochastic ones, as in the
paper: ``"gaussian"`` z = mu(x) + sigma(x) * eps; ``"additive"`` z = f(x + s * eps) with a
fixed ``input_noise`` s; ``"propagated"`` z = f([x, eps]) with ``noise_dim`` extra inputs.
Stochastic encoders stay stochastic at test time: ``evaluate`` averages the predicted
probabilities over ``eval_samples`` draws (Alemi et al. use 12).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field, replace
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .. import bounds
from ..critics import ConcatCritic, mlp
from ..errors import InputError
from ..objectives import MineLoss
from ..utils import ensure_finite, pick_device, seed_everything

REGULARIZERS = ("none", "dropout", "confidence", "label-smoothing", "vib", "mine")
ENCODERS = ("deterministic", "gaussian", "additive", "propagated")
STOCHASTIC = ("gaussian", "additive", "propagated")
SIGMA_SHIFT = 5.0  # sigma = softplus(s - 5), as in Alemi et al.: the noise starts small

# The paper's table (Belghazi et al. 2018, Table 3): test misclassification in percent on
# permutation-invariant MNIST, as transcribed in the project's reference notes.
PAPER_ERRORS = {
    "Baseline": 1.38,
    "Dropout": 1.34,
    "Confidence penalty": 1.36,
    "Label smoothing": 1.40,
    "DVB": 1.13,
    "DVB + additive noise": 1.06,
    "MINE (Gaussian)": 1.11,
    "MINE (Propagated)": 1.10,
    "MINE (Additive)": 1.01,
}


@dataclass
class IBConfig:
    """Settings of one training run. The defaults are the paper's sizes (Alemi et al.'s setup)."""

    regularizer: str = "none"        # one of REGULARIZERS
    encoder: str = "deterministic"   # one of ENCODERS
    hidden: tuple[int, ...] = (1024, 1024)
    code_dim: int = 256
    n_classes: int = 10
    beta: float = 1e-3               # weight of I(X; Z): MINE's estimate ("mine") or the KL ("vib")
    dropout: float = 0.5             # "dropout": rate after each hidden layer
    confidence: float = 0.1          # "confidence": weight of the entropy bonus
    smoothing: float = 0.1           # "label-smoothing": mass moved to the uniform distribution
    input_noise: float = 0.3         # "additive" encoder: std of the noise added to the pixels
    noise_dim: int = 64              # "propagated" encoder: dimension of eps fed with x
    critic_hidden: tuple[int, ...] = (512, 512)
    ema_rate: float = 0.01           # MineLoss: weight of the new batch in the moving average
    epochs: int = 200
    batch_size: int = 100
    lr: float = 1e-4                 # Adam (beta1 = 0.5, beta2 = 0.999), as Alemi et al.
    lr_decay: float = 0.97 ** 0.5    # per epoch: Alemi et al. decay by 0.97 every 2 epochs
    critic_lr: float = 1e-4          # Adam for the statistics network (constant)
    eval_samples: int = 12           # draws averaged at test time by stochastic encoders
    seed: int = 0
    device: str = "auto"

    def check(self) -> None:
        if self.regularizer not in REGULARIZERS:
            raise InputError(f"unknown regularizer {self.regularizer!r}; choose one of "
                             f"{', '.join(REGULARIZERS)}")
        if self.encoder not in ENCODERS:
            raise InputError(f"unknown encoder {self.encoder!r}; choose one of {', '.join(ENCODERS)}")
        if self.regularizer == "vib" and self.encoder != "gaussian":
            raise InputError("the variational bottleneck needs encoder='gaussian' (its KL term "
                             f"is the Gaussian's), got encoder={self.encoder!r}")
        if self.regularizer == "mine" and self.encoder not in STOCHASTIC:
            raise InputError("MINE-IB needs a stochastic encoder (gaussian, additive or "
                             "propagated): through a deterministic encoder of continuous "
                             "inputs I(X; Z) is infinite")
        if self.regularizer == "dropout" and self.encoder != "deterministic":
            raise InputError("the dropout regularizer uses encoder='deterministic'")
        for name in ("code_dim", "n_classes", "noise_dim", "epochs", "batch_size", "eval_samples"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        if self.n_classes < 2:
            raise InputError(f"n_classes must be at least 2, got {self.n_classes}")
        for name in ("hidden", "critic_hidden"):
            widths = getattr(self, name)
            if not widths or any(int(w) < 1 for w in widths):
                raise InputError(f"{name} must be one or more positive widths, got {widths!r}")
        for name in ("lr", "critic_lr", "lr_decay"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number, got {value!r}")
        for name in ("beta", "confidence", "input_noise"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be a number >= 0, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        if not 0.0 <= self.smoothing < 1.0:
            raise InputError(f"smoothing must lie in [0, 1), got {self.smoothing!r}")
        if not 0.0 < self.ema_rate <= 1.0:
            raise InputError(f"ema_rate must lie in (0, 1], got {self.ema_rate!r}")


# ---------------------------------------------------------------- encoders

class Encoded(NamedTuple):
    """A code z; for the Gaussian encoder also its mean and standard deviation."""

    z: Tensor
    mu: Tensor | None = None
    sigma: Tensor | None = None


def body(n_in: int, hidden: tuple[int, ...], n_out: int, dropout: float = 0.0) -> nn.Sequential:
    """The encoder MLP (ReLU), with optional dropout after each hidden layer."""
    if dropout == 0.0:
        return mlp(n_in, tuple(hidden), n_out)
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(n_in, width), nn.ReLU(), nn.Dropout(dropout)]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


def gaussian_noise(shape, like: Tensor, generator: torch.Generator | None) -> Tensor:
    """Standard normal noise drawn on the CPU from `generator`, moved to like's device."""
    return torch.randn(tuple(shape), generator=generator).to(like)


class DeterministicEncoder(nn.Module):
    """z = f(x); ``dropout`` > 0 makes the training passes random."""

    stochastic = False

    def __init__(self, dx: int, hidden: tuple[int, ...], code_dim: int, dropout: float = 0.0):
        super().__init__()
        self.net = body(dx, hidden, code_dim, dropout)

    def encode(self, x: Tensor, generator: torch.Generator | None = None) -> Encoded:
        return Encoded(self.net(x))

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        return self.encode(x, generator).z


class GaussianEncoder(DeterministicEncoder):
    """z = mu(x) + sigma(x) * eps, sigma = softplus(s(x) - 5): one MLP outputs (mu, s)."""

    stochastic = True

    def __init__(self, dx: int, hidden: tuple[int, ...], code_dim: int):
        super().__init__(dx, hidden, 2 * code_dim)
        self.code_dim = code_dim

    def moments(self, x: Tensor) -> tuple[Tensor, Tensor]:
        mu, s = self.net(x).split(self.code_dim, dim=1)
        return mu, F.softplus(s - SIGMA_SHIFT)

    def encode(self, x, generator=None):
        mu, sigma = self.moments(x)
        return Encoded(mu + sigma * gaussian_noise(mu.shape, mu, generator), mu, sigma)


class AdditiveEncoder(DeterministicEncoder):
    """z = f(x + s * eps): noise of fixed std ``input_noise`` added to the input."""

    stochastic = True

    def __init__(self, dx: int, hidden: tuple[int, ...], code_dim: int, input_noise: float):
        super().__init__(dx, hidden, code_dim)
        self.input_noise = float(input_noise)

    def encode(self, x, generator=None):
        return Encoded(self.net(x + self.input_noise * gaussian_noise(x.shape, x, generator)))


class PropagatedEncoder(DeterministicEncoder):
    """z = f([x, eps]): ``noise_dim`` standard normal inputs propagated through the MLP."""

    stochastic = True

    def __init__(self, dx: int, hidden: tuple[int, ...], code_dim: int, noise_dim: int):
        super().__init__(dx + noise_dim, hidden, code_dim)
        self.noise_dim = int(noise_dim)

    def encode(self, x, generator=None):
        eps = gaussian_noise((x.shape[0], self.noise_dim), x, generator)
        return Encoded(self.net(torch.cat([x, eps], dim=1)))


def make_encoder(cfg: IBConfig, dx: int) -> DeterministicEncoder:
    hidden = tuple(int(h) for h in cfg.hidden)
    if cfg.encoder == "gaussian":
        return GaussianEncoder(dx, hidden, cfg.code_dim)
    if cfg.encoder == "additive":
        return AdditiveEncoder(dx, hidden, cfg.code_dim, cfg.input_noise)
    if cfg.encoder == "propagated":
        return PropagatedEncoder(dx, hidden, cfg.code_dim, cfg.noise_dim)
    rate = cfg.dropout if cfg.regularizer == "dropout" else 0.0
    return DeterministicEncoder(dx, hidden, cfg.code_dim, rate)


class IBClassifier(nn.Module):
    """Encoder, softmax decoder (one linear layer on z) and, for MINE-IB, a critic T(x, z)."""

    def __init__(self, dx: int, cfg: IBConfig):
        super().__init__()
        self.dx = int(dx)
        self.encoder = make_encoder(cfg, dx)
        self.decoder = nn.Linear(cfg.code_dim, cfg.n_classes)
        self.critic = (ConcatCritic(dx, cfg.code_dim, tuple(cfg.critic_hidden))
                       if cfg.regularizer == "mine" else None)

    @property
    def stochastic(self) -> bool:
        return bool(self.encoder.stochastic)

    def forward(self, x: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """Logits for one draw of z."""
        return self.decoder(self.encoder(x, generator))


# ---------------------------------------------------------------- the regularisers

def entropy(logits: Tensor) -> Tensor:
    """Mean entropy (nats) of the softmax distributions given by the rows of logits."""
    logp = F.log_softmax(logits, dim=1)
    return -(logp.exp() * logp).sum(dim=1).mean()


def confidence_penalty_loss(logits: Tensor, labels: Tensor, weight: float) -> Tensor:
    """Pereyra et al. (2017): cross-entropy - weight * H(p(y|x)); confident outputs cost more."""
    return F.cross_entropy(logits, labels) - weight * entropy(logits)


def label_smoothing_loss(logits: Tensor, labels: Tensor, smoothing: float) -> Tensor:
    """Szegedy et al. (2016): cross-entropy against (1 - e) one_hot(y) + e / K."""
    logp = F.log_softmax(logits, dim=1)
    targets = F.one_hot(labels, logits.shape[1]).to(logp) * (1.0 - smoothing) + smoothing / logits.shape[1]
    return -(targets * logp).sum(dim=1).mean()


def gaussian_kl(mu: Tensor, sigma: Tensor) -> Tensor:
    """Mean over rows of KL(N(mu, diag sigma^2) || N(0, I)), in nats: the VIB rate term."""
    var = sigma ** 2
    return 0.5 * (var + mu ** 2 - 1.0 - torch.log(var)).sum(dim=1).mean()


def critic_pair_scores(critic: ConcatCritic, x: Tensor, z: Tensor, perm: Tensor) -> tuple[Tensor, Tensor]:
    """T(x_i, z_i) and T(x_i, z_perm(i)), exactly ``critic`` on those pairs.

    The first layer of the concatenation critic is W [x; z] + b = W_x x + W_z z + b, so the
    x half (the costly one: 784 inputs) is computed once and shared by both kinds of pairs.
    """
    first, rest = critic.net[0], critic.net[1:]
    dx = x.shape[1]
    hx = F.linear(x, first.weight[:, :dx], first.bias)
    wz = first.weight[:, dx:]
    h = torch.cat([hx + z @ wz.T, hx + z[perm] @ wz.T])
    t = rest(h).squeeze(1)
    return t[: x.shape[0]], t[x.shape[0]:]


class StepLosses(NamedTuple):
    """What one minibatch gives: the encoder's loss, its parts, and the critic's loss."""

    total: Tensor               # minimised by encoder and decoder
    ce: Tensor                  # plain cross-entropy (for the record)
    info: Tensor                # the information term before beta: MINE's DV estimate or the KL
    critic: Tensor | None       # minimised by the statistics network ("mine" only)


def step_losses(net: IBClassifier, cfg: IBConfig, x: Tensor, y: Tensor, mine_loss: MineLoss | None,
                noise: torch.Generator | None, perm: Tensor | None) -> StepLosses:
    """The losses of one minibatch for any regulariser. With beta = 0, MINE-IB's total is the
    cross-entropy itself (the critic still learns, but sends nothing to the encoder)."""
    enc = net.encoder.encode(x, noise)
    logits = net.decoder(enc.z)
    ce = F.cross_entropy(logits, y)
    zero = torch.zeros((), device=x.device)
    if cfg.regularizer == "confidence":
        return StepLosses(confidence_penalty_loss(logits, y, cfg.confidence), ce, zero, None)
    if cfg.regularizer == "label-smoothing":
        return StepLosses(label_smoothing_loss(logits, y, cfg.smoothing), ce, zero, None)
    if cfg.regularizer == "vib":
        kl = gaussian_kl(enc.mu, enc.sigma)
        return StepLosses(ce + cfg.beta * kl, ce, kl, None)
    if cfg.regularizer == "mine":
        t_joint, t_marg = critic_pair_scores(net.critic, x, enc.z, perm)
        critic_loss = mine_loss(t_joint, t_marg)  # gradient: E[dT] - E[dT e^T] / moving average
        dv = bounds.dv_bound(t_joint, t_marg)
        # value: the DV estimate of I(X; Z); gradient: the bias-corrected one (-critic_loss)
        info = dv.detach() + (critic_loss.detach() - critic_loss)
        total = ce if cfg.beta == 0 else ce + cfg.beta * info
        return StepLosses(total, ce, dv.detach(), critic_loss)
    return StepLosses(ce, ce, zero, None)  # "none" and "dropout"


# ---------------------------------------------------------------- data

def as_inputs(images, labels=None, n_classes: int = 10) -> tuple[Tensor, Tensor | None]:
    """Flattened float32 images in [0, 1] (uint8 0..255 are scaled) and int64 labels."""
    x = np.asarray(images)
    if x.ndim < 2 or x.shape[0] == 0:
        raise InputError(f"expected images of shape (n, ...) with n >= 1, got {x.shape}")
    scale = 255.0 if x.dtype == np.uint8 else 1.0
    x = torch.as_tensor(x.reshape(x.shape[0], -1).astype(np.float32) / scale)
    if not torch.isfinite(x).all():
        raise InputError("the images contain NaN or infinite values")
    if labels is None:
        return x, None
    y = np.asarray(labels)
    if y.ndim != 1 or len(y) != x.shape[0]:
        raise InputError(f"{x.shape[0]} images but labels of shape {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise InputError(f"labels must be integers, got dtype {y.dtype}")
    if y.min() < 0 or y.max() >= n_classes:
        raise InputError(f"labels must lie in 0..{n_classes - 1}, got {y.min()}..{y.max()}")
    return x, torch.as_tensor(y, dtype=torch.long)


# ---------------------------------------------------------------- training

@dataclass
class IBRun:
    """A trained classifier, its settings and its per-epoch training curves."""

    model: IBClassifier
    config: dict
    history: dict = field(repr=False)
    seconds: float = 0.0


def generators(seed: int) -> dict[str, torch.Generator]:
    """Separate random streams, so that the critic's draws never change the classifier's."""
    return {name: torch.Generator().manual_seed(seed * 1000 + k)
            for k, name in enumerate(("init", "order", "noise", "perm"))}


def build(cfg: IBConfig, dx: int, init: torch.Generator) -> IBClassifier:
    """The networks, initialised from `init` (the critic last, from its own stream)."""
    fork = torch.random.fork_rng(devices=[])
    with fork:
        torch.manual_seed(int(torch.randint(2 ** 62, (1,), generator=init)))
        net = IBClassifier(dx, replace(cfg, regularizer="none") if cfg.regularizer == "mine" else cfg)
        if cfg.regularizer == "mine":
            torch.manual_seed(int(torch.randint(2 ** 62, (1,), generator=init)))
            net.critic = ConcatCritic(dx, cfg.code_dim, tuple(cfg.critic_hidden))
    return net


def train_ib(images, labels, config: IBConfig | None = None) -> IBRun:
    """Train one classifier with one regulariser; return the model and per-epoch curves.

    One minibatch: encode x (one noise draw), decode, and form the regulariser's loss. For
    MINE-IB the statistics network scores (x_i, z_i) and (x_i, z_perm(i)); it takes a step
    on MineLoss (raising its DV bound) while the encoder and decoder take a step on
    cross-entropy + beta * (DV estimate), whose gradient uses the same moving-average
    correction. Any NaN or infinite loss stops the run with a DivergenceError.
    """
    cfg = config or IBConfig()
    cfg.check()
    x_all, y_all = as_inputs(images, labels, cfg.n_classes)
    if x_all.shape[0] < 2:
        raise InputError(f"need at least 2 images to train, got {x_all.shape[0]}")
    device = pick_device(cfg.device)
    seed_everything(cfg.seed)  # dropout masks come from the global stream
    gens = generators(cfg.seed)
    net = build(cfg, x_all.shape[1], gens["init"]).to(device)
    x_all, y_all = x_all.to(device), y_all.to(device)
    params = list(net.encoder.parameters()) + list(net.decoder.parameters())
    opt = torch.optim.Adam(params, lr=cfg.lr, betas=(0.5, 0.999))
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma=cfg.lr_decay)
    mine_loss = MineLoss(cfg.ema_rate) if cfg.regularizer == "mine" else None
    opt_t = (torch.optim.Adam(net.critic.parameters(), lr=cfg.critic_lr)
             if net.critic is not None else None)
    batch = min(cfg.batch_size, x_all.shape[0])
    keys = ("epoch", "loss", "ce", "train_error", "info", "sigma")
    history: dict[str, list] = {k: [] for k in keys}
    start, step = time.perf_counter(), 0
    net.train()
    for epoch in range(1, cfg.epochs + 1):
        sums = dict.fromkeys(keys[1:], 0.0)
        order = torch.randperm(x_all.shape[0], generator=gens["order"]).to(device)
        batches = [idx for idx in order.split(batch) if len(idx) >= 2]
        for idx in batches:
            step += 1
            x, y = x_all[idx], y_all[idx]
            perm = torch.randperm(len(idx), generator=gens["perm"]).to(device) if mine_loss else None
            out = step_losses(net, cfg, x, y, mine_loss, gens["noise"], perm)
            hint = f"try a smaller lr (now {cfg.lr})"
            ensure_finite(out.total.detach(), f"the {cfg.regularizer} training loss", step, hint)
            opt.zero_grad(set_to_none=True)
            if out.critic is not None:
                ensure_finite(out.critic.detach(), "the MINE critic loss", step,
                              f"try a smaller critic_lr (now {cfg.critic_lr})")
                opt_t.zero_grad(set_to_none=True)
                out.critic.backward(inputs=list(net.critic.parameters()), retain_graph=True)
                out.total.backward(inputs=params)
                opt_t.step()
            else:
                out.total.backward()
            opt.step()
            sums["loss"] += float(out.total.detach())
            sums["ce"] += float(out.ce.detach())
            sums["info"] += float(out.info.detach())
        sched.step()
        n = max(len(batches), 1)
        history["epoch"].append(epoch)
        for k in ("loss", "ce", "info"):
            history[k].append(sums[k] / n)
        # on the first 1000 training images, one draw: cheap, and enough for a curve
        history["train_error"].append(error_rate(net, x_all[:1000], y_all[:1000], 1, epoch))
        history["sigma"].append(mean_sigma(net, x_all[:1000]))
        net.train()
    net.eval()
    return IBRun(model=net, config=asdict(cfg), history={k: np.asarray(v) for k, v in history.items()},
                 seconds=time.perf_counter() - start)


@torch.no_grad()
def mean_sigma(net: IBClassifier, x: Tensor) -> float:
    """The Gaussian encoder's mean standard deviation on x (NaN for other encoders)."""
    if not isinstance(net.encoder, GaussianEncoder):
        return float("nan")
    return float(net.encoder.moments(x)[1].mean())


# ---------------------------------------------------------------- evaluation

@torch.no_grad()
def predict_proba(net: IBClassifier, x: Tensor, samples: int, seed: int,
                  chunk: int = 2000) -> Tensor:
    """p(y|x) averaged over `samples` draws of z (one draw for a deterministic encoder)."""
    net.eval()
    samples = samples if net.stochastic else 1
    gen = torch.Generator().manual_seed(seed)
    dev = next(net.parameters()).device
    out = []
    for xc in x.split(chunk):
        xc = xc.to(dev)
        probs = sum(F.softmax(net(xc, gen), dim=1) for _ in range(samples)) / samples
        out.append(probs.cpu())
    return torch.cat(out)


def error_rate(net: IBClassifier, x: Tensor, y: Tensor, samples: int, seed: int) -> float:
    return float((predict_proba(net, x, samples, seed).argmax(1) != y.cpu()).float().mean())


def _model(run_or_model) -> IBClassifier:
    return run_or_model.model if isinstance(run_or_model, IBRun) else run_or_model


def evaluate(run_or_model, images, labels, samples: int | None = None, seed: int = 0) -> float:
    """Test misclassification rate (a fraction; x100 for percent). Stochastic encoders average
    p(y|x) over `samples` draws (default: the run's eval_samples)."""
    net = _model(run_or_model)
    if samples is None:
        samples = run_or_model.config["eval_samples"] if isinstance(run_or_model, IBRun) else 1
    if samples < 1:
        raise InputError(f"samples must be positive, got {samples}")
    x, y = as_inputs(images, labels, net.decoder.out_features)
    if x.shape[1] != net.dx:
        raise InputError(f"the model takes inputs of {net.dx} values, got {x.shape[1]}")
    return error_rate(net, x, y, samples, seed)


@torch.no_grad()
def mi_estimate(run_or_model, images, shuffles: int = 5, seed: int = 0) -> float:
    """MINE's DV estimate of I(X; Z) in nats with the run's statistics network, on the images
    given (held out): joint pairs (x_i, z_i), marginal pairs with z shuffled `shuffles` times."""
    net = _model(run_or_model)
    if net.critic is None:
        raise InputError("this model was not trained with MINE-IB: it has no statistics network")
    if shuffles < 1:
        raise InputError(f"shuffles must be positive, got {shuffles}")
    x, _ = as_inputs(images)
    if x.shape[0] < 2 or x.shape[1] != net.dx:
        raise InputError(f"need at least 2 images of {net.dx} values, got shape {tuple(x.shape)}")
    net.eval()
    dev = next(net.parameters()).device
    gen = torch.Generator().manual_seed(seed)
    x = x.to(dev)
    z = torch.cat([net.encoder(xc, gen) for xc in x.split(2000)])
    joint, marg = [], []
    for _ in range(shuffles):
        perm = torch.randperm(x.shape[0], generator=gen).to(dev)
        tj, tm = critic_pair_scores(net.critic, x, z, perm)
        joint.append(tj)
        marg.append(tm)
    return float(bounds.dv_bound(torch.cat(joint), torch.cat(marg)))


# ---------------------------------------------------------------- the paper's comparison

def paper_models(base: IBConfig | None = None) -> dict[str, IBConfig]:
    """The rows of the paper's table that this module trains (all but "DVB + additive
    noise"), each a copy of `base` with its regulariser and encoder set."""
    base = base or IBConfig()
    rows = {
        "Baseline": ("none", "deterministic"),
        "Dropout": ("dropout", "deterministic"),
        "Confidence penalty": ("confidence", "deterministic"),
        "Label smoothing": ("label-smoothing", "deterministic"),
        "DVB": ("vib", "gaussian"),
        "MINE (Gaussian)": ("mine", "gaussian"),
        "MINE (Propagated)": ("mine", "propagated"),
        "MINE (Additive)": ("mine", "additive"),
    }
    return {name: replace(base, regularizer=reg, encoder=enc) for name, (reg, enc) in rows.items()}


def beta0_controls(models: dict[str, IBConfig]) -> dict[str, IBConfig]:
    """One beta = 0 control per stochastic encoder among `models`: the same encoder, trained on
    the cross-entropy alone (no regulariser) and tested with the same draws, so that a gain of
    DVB or MINE-IB over its control is the regulariser's and not the noise's or the test-time
    averaging's. At a given seed a control starts from the same weights and sees the same
    minibatches and noise as the regularised models with that encoder."""
    out = {}
    for cfg in models.values():
        if cfg.encoder in STOCHASTIC:
            out.setdefault(control_of(cfg), replace(cfg, regularizer="none", beta=0.0))
    return out


def control_of(cfg: IBConfig) -> str | None:
    """The name of the beta = 0 control (``beta0_controls``) of a config, or None."""
    if cfg.encoder not in STOCHASTIC:
        return None
    return f"Control ({cfg.encoder.capitalize()} encoder, β = 0)"


def loss_share(history: dict, beta: float) -> float:
    """The share of the training loss that beta * (information term) carries at the last epoch:
    beta * |info| / (cross-entropy + beta * |info|), in [0, 1] (0 when beta = 0)."""
    ce, info = float(history["ce"][-1]), abs(float(history["info"][-1]))
    if not (math.isfinite(ce) and math.isfinite(info)):
        return float("nan")
    total = ce + beta * info
    return beta * info / total if total > 0 else float("nan")


def run_models(configs: dict[str, IBConfig], seeds, train_images, train_labels,
               test_images, test_labels, mi_shuffles: int = 5,
               progress: bool = False) -> list[dict]:
    """Train every named config once per seed; one record per run with the test error (%),
    the held-out MINE estimate (MINE-IB only, else NaN), the curves and the time taken."""
    records = []
    for name, cfg in configs.items():
        for seed in seeds:
            run = train_ib(train_images, train_labels, replace(cfg, seed=int(seed)))
            err = 100.0 * evaluate(run, test_images, test_labels, seed=int(seed))
            mi = (mi_estimate(run, test_images, mi_shuffles, seed=int(seed))
                  if run.model.critic is not None else float("nan"))
            records.append({"model": name, "seed": int(seed), "error": err, "mi_test": mi,
                            "beta": cfg.beta, "regularizer": cfg.regularizer,
                            "encoder": cfg.encoder, "seconds": run.seconds,
                            "history": run.history})
            if progress:
                print(f"{name:>20s} seed {seed}: {err:.2f}% error, {run.seconds:.1f} s")
    return records
