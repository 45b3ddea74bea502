"""Bi-directional adversarial models: ALI, ALI+MINE and ALICE with an l2 term.

ALI (Dumoulin et al. 2017) learns an encoder q(z|x) and a generator p(x|z) by making a
discriminator D(x, z) unable to tell encoder pairs (x, z ~ q(z|x)), x from the data, from
generator pairs (x ~ p(x|z), z), z ~ N(0, I). Nothing in that game asks G(E(x)) to look
like x. Two remedies share one training loop here:

- "ali+mine" (Belghazi et al. 2018, Section 5.2) adds beta * I_q(x, z) to the encoder/generator
  objective, estimated by a MINE statistics network T(x, z) with the paper's
  moving-average gradient correction (``objectives.MineLoss``);
- "alice-l2" (Li et al. 2017) adds lambda * ||x - G(z)||^2, z ~ q(z|x), summed over
  pixels and averaged over images.

The encoder is a Gaussian with a learned mean F(x) and a fixed standard deviation
(``sigma``, 1 as in the paper): z = F(x) + sigma * eps. Every model also trains a MINE
critic on (x, z) pairs, so the information that passes through the encoder is measured
for all three; only "ali+mine" sends its gradient into the encoder.

``train_ali_seeds`` trains several seeds of one model as one stacked computation
(``mine_lib.stacking``: every layer a batched matrix product over the seeds), each seed
drawing its own weights, minibatches and noise, so that it trains exactly as it would
alone; ``train_ali`` is one seed of it. ``clip=True`` applies the paper's adaptive
clipping to the MI gradient of "ali+mine" (its norm capped by the adversarial gradient's,
per seed).

Images are any (n, C, H, W) float tensor in [0, 1] (uint8 0..255 and (n, H, W) are also
accepted); the networks are multilayer perceptrons on the flattened image.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, replace

import numpy as np
import torch
from torch import Tensor, nn
from torch.nn import functional as F

from .. import bounds
from ..critics import ConcatCritic
from ..errors import InputError
from ..objectives import MineLoss
from ..stacking import stack, unstack
from ..utils import ensure_finite, pick_device, seed_everything
from .gan import adaptive_clip, model_norms  # the paper's clipping, one implementation
from .image_metrics import as_images

MODELS = ("ali", "ali+mine", "alice-l2")

# The paper's table (Belghazi et al. 2018, bi-directional models), as transcribed in the
# project's reference notes: MNIST and CelebA; their networks, their units of error.
PAPER_TABLE = {
    "ALI": {"mnist_err": 14.24, "mnist_acc": 45.95, "mnist_msssim": 0.97,
            "celeba_err": 53.75, "celeba_acc": 57.49, "celeba_msssim": 0.81},
    "ALICE (l2)": {"mnist_err": 3.20, "mnist_acc": 99.03, "mnist_msssim": 0.97,
                   "celeba_err": 8.01, "celeba_acc": 32.22, "celeba_msssim": 0.93},
    "ALICE (Adv.)": {"mnist_err": 5.20, "mnist_acc": 98.17, "mnist_msssim": 0.98,
                     "celeba_err": 92.56, "celeba_acc": 48.95, "celeba_msssim": 0.51},
    "ALI+MINE": {"mnist_err": 9.73, "mnist_acc": 96.10, "mnist_msssim": 0.99,
                 "celeba_err": 36.11, "celeba_acc": 76.08, "celeba_msssim": 0.99},
}


@dataclass
class ALIConfig:
    """Settings of one training run."""

    model: str = "ali"               # one of MODELS
    latent_dim: int = 32
    hidden: int = 256                # width of every hidden layer
    sigma: float = 1.0               # the encoder's fixed standard deviation
    beta: float = 1.0                # weight of I_q(x, z) ("ali+mine")
    clip: bool = False               # "ali+mine": cap the MI gradient's norm by the adversarial one's
    recon_weight: float = 1.0        # weight of the per-image squared error ("alice-l2")
    critic_hidden: tuple[int, ...] = (256, 256)
    ema_rate: float = 0.01           # MineLoss: weight of the new batch in the moving average
    dropout: float = 0.2             # in the discriminator, as in ALI
    steps: int = 2000
    batch_size: int = 100
    lr: float = 2e-4                 # Adam (beta1 = 0.5) for encoder, generator, discriminator
    critic_lr: float = 2e-4          # Adam for the MINE critic
    log_every: int = 10
    seed: int = 0
    device: str = "auto"

    def check(self) -> None:
        if self.model not in MODELS:
            raise InputError(f"unknown model {self.model!r}; choose one of {', '.join(MODELS)}")
        for name in ("latent_dim", "hidden", "steps", "batch_size", "log_every"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        for name in ("sigma", "lr", "critic_lr"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value > 0):
                raise InputError(f"{name} must be a positive number, got {value!r}")
        for name in ("beta", "recon_weight"):
            value = getattr(self, name)
            if not (isinstance(value, (int, float)) and math.isfinite(value) and value >= 0):
                raise InputError(f"{name} must be a number >= 0, got {value!r}")
        if not 0.0 <= self.dropout < 1.0:
            raise InputError(f"dropout must lie in [0, 1), got {self.dropout!r}")
        if not 0.0 < self.ema_rate <= 1.0:
            raise InputError(f"ema_rate must lie in (0, 1], got {self.ema_rate!r}")
        if not self.critic_hidden or any(int(h) < 1 for h in self.critic_hidden):
            raise InputError(f"critic_hidden must be positive widths, got {self.critic_hidden!r}")


# ---------------------------------------------------------------- networks

def leaky_mlp(n_in: int, hidden: int, n_out: int, dropout: float = 0.0) -> nn.Sequential:
    """Two hidden layers of LeakyReLU(0.2), optional dropout after each."""
    layers: list[nn.Module] = []
    for width_in in (n_in, hidden):
        layers += [nn.Linear(width_in, hidden), nn.LeakyReLU(0.2)]
        if dropout > 0:
            layers.append(nn.Dropout(dropout))
    layers.append(nn.Linear(hidden, n_out))
    return nn.Sequential(*layers)


class JointDiscriminator(nn.Module):
    """D(x, z): one branch per input, joined by a third network; returns logits."""

    def __init__(self, dx: int, dz: int, hidden: int, dropout: float):
        super().__init__()
        self.x_branch = nn.Sequential(nn.Linear(dx, hidden), nn.LeakyReLU(0.2), nn.Dropout(dropout))
        self.z_branch = nn.Sequential(nn.Linear(dz, hidden), nn.LeakyReLU(0.2), nn.Dropout(dropout))
        self.joint = nn.Sequential(nn.Linear(2 * hidden, hidden), nn.LeakyReLU(0.2),
                                   nn.Dropout(dropout), nn.Linear(hidden, 1))

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.joint(torch.cat([self.x_branch(x), self.z_branch(z)], dim=1)).squeeze(1)


class BiGenerativeModel(nn.Module):
    """Encoder F (mean of q(z|x), fixed sigma), generator G, discriminator D, MINE critic T."""

    def __init__(self, image_shape: tuple[int, int, int], cfg: ALIConfig):
        super().__init__()
        self.image_shape = tuple(int(s) for s in image_shape)
        self.sigma = float(cfg.sigma)
        self.latent_dim = int(cfg.latent_dim)
        dx = int(np.prod(self.image_shape))
        self.encoder = leaky_mlp(dx, cfg.hidden, cfg.latent_dim)
        self.generator = nn.Sequential(leaky_mlp(cfg.latent_dim, cfg.hidden, dx), nn.Sigmoid())
        self.discriminator = JointDiscriminator(dx, cfg.latent_dim, cfg.hidden, cfg.dropout)
        self.critic = ConcatCritic(dx, cfg.latent_dim, tuple(cfg.critic_hidden))

    def flat(self, images: Tensor) -> Tensor:
        return images.reshape(images.shape[0], -1)

    def encode_mean(self, x_flat: Tensor) -> Tensor:
        return self.encoder(x_flat)

    def encode(self, x_flat: Tensor, generator: torch.Generator | None = None) -> Tensor:
        """z ~ q(z|x) = N(F(x), sigma^2 I), by reparametrisation."""
        mean = self.encoder(x_flat)
        eps = torch.randn(mean.shape, generator=generator).to(mean)
        return mean + self.sigma * eps

    def decode(self, z: Tensor) -> Tensor:
        """Flat images in [0, 1]."""
        return self.generator(z)


# ---------------------------------------------------------------- the objectives

def discriminator_loss(d_enc: Tensor, d_gen: Tensor) -> Tensor:
    """D learns to call encoder pairs 1 and generator pairs 0."""
    return (F.binary_cross_entropy_with_logits(d_enc, torch.ones_like(d_enc))
            + F.binary_cross_entropy_with_logits(d_gen, torch.zeros_like(d_gen)))


def adversarial_loss(d_enc: Tensor, d_gen: Tensor) -> Tensor:
    """Encoder and generator swap the labels (the non-saturating form used by ALI)."""
    return (F.binary_cross_entropy_with_logits(d_enc, torch.zeros_like(d_enc))
            + F.binary_cross_entropy_with_logits(d_gen, torch.ones_like(d_gen)))


def l2_reconstruction(x_flat: Tensor, x_rec_flat: Tensor) -> Tensor:
    """ALICE's l2 term: the squared error summed over pixels, averaged over images."""
    return ((x_flat - x_rec_flat) ** 2).sum(dim=1).mean()


def critic_scores(critic: nn.Module, x: Tensor, z: Tensor, perm: Tensor) -> tuple[Tensor, Tensor]:
    """T on joint pairs (x_i, z_i) and on marginal pairs (x_i, z_perm(i))."""
    t = critic(torch.cat([x, x]), torch.cat([z, z[perm]]))
    return t[: x.shape[0]], t[x.shape[0]:]


# ---------------------------------------------------------------- stacked networks

class StackedPair(nn.Module):
    """The S discriminators D(x, z) or the S critics T(x, z) of a stack, on (S, B, .) inputs."""

    def __init__(self, members: Sequence[nn.Module], generators: Sequence[torch.Generator]):
        super().__init__()
        self.joint_only = isinstance(members[0], ConcatCritic)
        if self.joint_only:  # T(x, z) = MLP([x, z])
            self.net = stack([m.net for m in members], generators)
        else:  # D(x, z) = joint([x_branch(x), z_branch(z)])
            self.x_branch = stack([m.x_branch for m in members], generators)
            self.z_branch = stack([m.z_branch for m in members], generators)
            self.joint = stack([m.joint for m in members], generators)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        if self.joint_only:
            return self.net(torch.cat([x, z], dim=-1)).squeeze(-1)
        return self.joint(torch.cat([self.x_branch(x), self.z_branch(z)], dim=-1)).squeeze(-1)

    def copy_member(self, s: int, into: nn.Module) -> None:
        names = ("net",) if self.joint_only else ("x_branch", "z_branch", "joint")
        for name in names:
            unstack(getattr(self, name), s, getattr(into, name))


# ---------------------------------------------------------------- training

@dataclass
class ALIRun:
    """A trained model, its settings and its training curves."""

    model: BiGenerativeModel
    config: dict
    history: dict = field(repr=False)
    steps: int = 0
    seconds: float = 0.0


def as_image_batch(images) -> Tensor:
    """(n, C, H, W) float32 in [0, 1] from any accepted image format."""
    return as_images(images).float()


def train_ali(images, config: ALIConfig | None = None) -> ALIRun:
    """Train one bi-directional model ("ali", "ali+mine" or "alice-l2") on images: the
    seed ``config.seed`` of ``train_ali_seeds``, alone in its stack."""
    cfg = config or ALIConfig()
    return train_ali_seeds(images, cfg, [cfg.seed])[0]


def train_ali_seeds(images, config: ALIConfig, seeds: Sequence[int]) -> list[ALIRun]:
    """Train one model per seed, all seeds as one stacked computation (batched matmuls).

    Every random draw of member s (its initial weights, minibatches, codes, dropout masks,
    shuffles) comes from its own seed, so a member trains exactly as it would alone. Each
    step draws a minibatch x, z ~ q(z|x) and z' ~ N(0, I), x' = G(z'), evaluates the
    discriminator on (x, z) and (x', z') and the MINE critic on (x, z) and on (x, z
    shuffled), and updates three players simultaneously from that one forward pass: the
    discriminator on its cross-entropy, the critic on MINE's loss, and the encoder and
    generator on the adversarial loss, plus beta * MINE's loss for "ali+mine" (its
    gradient reaches the encoder through z; with ``clip`` its norm is capped by the
    adversarial gradient's, per member) or recon_weight * the l2 error for "alice-l2".
    Any NaN or infinite loss stops the run with a DivergenceError.
    """
    cfg = config
    cfg.check()
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("give at least one seed")
    x_all = as_image_batch(images)
    if x_all.shape[0] < 2:
        raise InputError(f"need at least 2 images to train, got {x_all.shape[0]}")
    device = pick_device(cfg.device)
    gens = [torch.Generator().manual_seed(s) for s in seeds]
    members = []
    for s in seeds:
        seed_everything(s)
        members.append(BiGenerativeModel(tuple(x_all.shape[1:]), replace(cfg, seed=s)))
    enc = stack([m.encoder for m in members], gens).to(device)
    dec = stack([m.generator for m in members], gens).to(device)
    disc = StackedPair([m.discriminator for m in members], gens).to(device)
    critic = StackedPair([m.critic for m in members], gens).to(device)
    x_all = members[0].flat(x_all).to(device)
    n_models, d = len(seeds), cfg.latent_dim
    players = {"d": list(disc.parameters()), "t": list(critic.parameters()),
               "e": list(enc.parameters()), "g": list(dec.parameters())}
    optimizers = {
        "d": torch.optim.Adam(players["d"], lr=cfg.lr, betas=(0.5, 0.999)),
        "t": torch.optim.Adam(players["t"], lr=cfg.critic_lr),
        "eg": torch.optim.Adam(players["e"] + players["g"], lr=cfg.lr, betas=(0.5, 0.999)),
    }
    mine_losses = [MineLoss(cfg.ema_rate) for _ in seeds]
    batch = min(cfg.batch_size, x_all.shape[0])
    keys = ("d_loss", "adv_loss", "mi_train", "l2", "adv_norm", "mi_norm")
    history: dict[str, list] = {"step": [], **{k: [] for k in keys}}
    hint = f"try a smaller lr (now {cfg.lr}, critic_lr {cfg.critic_lr})"

    def draw(fn):
        return torch.stack([fn(g) for g in gens]).to(device)

    start = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        x = x_all[draw(lambda g: torch.randint(x_all.shape[0], (batch,), generator=g))]
        z_prior = draw(lambda g: torch.randn(batch, d, generator=g))
        eps = draw(lambda g: torch.randn(batch, d, generator=g))
        perm = draw(lambda g: torch.randperm(batch, generator=g))
        z_enc = enc(x) + cfg.sigma * eps
        d_enc, d_gen = disc(x, z_enc), disc(dec(z_prior), z_prior)
        d_loss = per_member(discriminator_loss, d_enc, d_gen)
        adv = per_member(adversarial_loss, d_enc, d_gen)
        # the critic sees z through the encoder only when its gradient is meant to flow there
        z_for_t = z_enc if cfg.model == "ali+mine" else z_enc.detach()
        z_marg = torch.take_along_dim(z_for_t, perm[..., None], dim=1)
        t = critic(torch.cat([x, x], dim=1), torch.cat([z_for_t, z_marg], dim=1))
        t_joint, t_marg = t[:, :batch], t[:, batch:]
        # minimising it raises MINE's bound on I_q, one moving average per member
        t_loss = torch.stack([mine_losses[s](t_joint[s], t_marg[s]) for s in range(n_models)])
        l2 = torch.zeros(n_models, device=device)
        if cfg.model == "alice-l2":
            l2 = ((x - dec(z_enc)) ** 2).sum(dim=2).mean(dim=1)
        eg_loss = adv + cfg.recon_weight * l2 if cfg.model == "alice-l2" else adv
        for loss, what in ((d_loss, "the discriminator loss"), (t_loss, "the MINE critic loss"),
                           (eg_loss, f"the {cfg.model} encoder/generator loss")):
            ensure_finite(loss.detach().sum(), what, step, hint)
        grads = {"d": torch.autograd.grad(d_loss.sum(), players["d"], retain_graph=True),
                 "t": torch.autograd.grad(t_loss.sum(), players["t"], retain_graph=True)}
        eg = players["e"] + players["g"]
        adv_grads = torch.autograd.grad(eg_loss.sum(), eg, retain_graph=cfg.model == "ali+mine",
                                        allow_unused=True)
        norms = (model_norms(adv_grads[: len(players["e"])], n_models),
                 torch.zeros(n_models, dtype=torch.float64))
        if cfg.model == "ali+mine" and cfg.beta > 0:
            mi_grads = torch.autograd.grad(cfg.beta * t_loss.sum(), players["e"])
            norms = (norms[0], model_norms(mi_grads, n_models))
            if cfg.clip:
                mi_grads = adaptive_clip(adv_grads[: len(players["e"])], mi_grads, n_models)
            adv_grads = [a + m for a, m in zip(adv_grads, mi_grads)] + list(adv_grads[len(mi_grads):])
        grads["eg"] = adv_grads
        for name, params in (("d", players["d"]), ("t", players["t"]), ("eg", eg)):
            for p, g in zip(params, grads[name]):
                p.grad = None if g is None else g
            optimizers[name].step()

        if step % cfg.log_every == 0 or step == cfg.steps:
            history["step"].append(step)
            mi = [float(bounds.dv_bound(t_joint[s].detach(), t_marg[s].detach()))
                  for s in range(n_models)]
            for key, value in (("d_loss", d_loss), ("adv_loss", adv), ("l2", l2),
                               ("adv_norm", norms[0]), ("mi_norm", norms[1])):
                history[key].append(value.detach().cpu().double().numpy())
            history["mi_train"].append(np.array(mi))
    seconds = time.perf_counter() - start
    runs = []
    for s, (seed, net) in enumerate(zip(seeds, members)):
        unstack(enc, s, net.encoder)
        unstack(dec, s, net.generator)
        disc.copy_member(s, net.discriminator)
        critic.copy_member(s, net.critic)
        net.to(device).eval()
        curves = {"step": np.asarray(history["step"])}
        curves.update({k: np.array([row[s] for row in history[k]]) for k in keys})
        runs.append(ALIRun(model=net, config=asdict(replace(cfg, seed=seed)), history=curves,
                           steps=cfg.steps, seconds=seconds / n_models))
    return runs


def per_member(loss, a: Tensor, b: Tensor) -> Tensor:
    """A two-argument loss on (S, B) logits, one value per member: shape (S,)."""
    return torch.stack([loss(a[s], b[s]) for s in range(a.shape[0])])


# ---------------------------------------------------------------- using a trained model

def _model(run_or_model) -> BiGenerativeModel:
    return run_or_model.model if isinstance(run_or_model, ALIRun) else run_or_model


def _checked_input(net: BiGenerativeModel, images) -> Tensor:
    x = as_image_batch(images)
    if tuple(x.shape[1:]) != net.image_shape:
        raise InputError(f"the model was trained on images of shape {net.image_shape}, "
                         f"got {tuple(x.shape[1:])}")
    return x


@torch.no_grad()
def encode(run_or_model, images, sample: bool = True, seed: int = 0) -> np.ndarray:
    """z ~ q(z|x) (or its mean F(x) with sample=False), shape (n, latent_dim)."""
    net = _model(run_or_model)
    net.eval()
    dev = next(net.parameters()).device
    x = net.flat(_checked_input(net, images)).to(dev)
    gen = torch.Generator().manual_seed(seed)
    z = net.encode(x, gen) if sample else net.encode_mean(x)
    return z.cpu().numpy()


@torch.no_grad()
def decode(run_or_model, z) -> np.ndarray:
    """Images G(z), shape (n, C, H, W), values in [0, 1]."""
    net = _model(run_or_model)
    net.eval()
    dev = next(net.parameters()).device
    z = torch.as_tensor(np.asarray(z), dtype=torch.float32)
    if z.ndim != 2 or z.shape[1] != net.latent_dim:
        raise InputError(f"z must have shape (n, {net.latent_dim}), got {tuple(z.shape)}")
    return net.decode(z.to(dev)).cpu().reshape(-1, *net.image_shape).numpy()


def reconstruct(run_or_model, images, sample: bool = True, seed: int = 0) -> np.ndarray:
    """G(z) with z ~ q(z|x): the model's reconstruction of each image, same shape."""
    return decode(run_or_model, encode(run_or_model, images, sample=sample, seed=seed))


def sample(run_or_model, n: int, seed: int = 0) -> np.ndarray:
    """n images G(z), z ~ N(0, I)."""
    net = _model(run_or_model)
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    z = torch.randn(n, net.latent_dim, generator=torch.Generator().manual_seed(seed))
    return decode(net, z.numpy())


@torch.no_grad()
def mi_estimate(run_or_model, images, shuffles: int = 5, seed: int = 0) -> float:
    """MINE's Donsker-Varadhan estimate of I_q(x, z) in nats, on the images given (held out)."""
    net = _model(run_or_model)
    net.eval()
    dev = next(net.parameters()).device
    x = net.flat(_checked_input(net, images)).to(dev)
    if x.shape[0] < 2:
        raise InputError("need at least 2 images for an MI estimate")
    gen = torch.Generator().manual_seed(seed)
    z = net.encode(x, gen)
    t_joint = net.critic(x, z)
    t_marg = torch.cat([net.critic(x, z[torch.randperm(x.shape[0], generator=gen).to(dev)])
                        for _ in range(shuffles)])
    return float(bounds.dv_bound(t_joint, t_marg))


def gaussian_channel_bound(means, sigma: float = 1.0) -> float:
    """Upper bound on I(x; F(x) + sigma * eps): 1/2 log det(I + Cov[F(x)] / sigma^2), nats.

    Among all inputs with the covariance of the encoder means, a Gaussian one maximises
    the information through additive Gaussian noise. An encoder whose means do not vary
    passes no information at all.
    """
    means = np.asarray(means, dtype=np.float64)
    if means.ndim != 2 or means.shape[0] < 2:
        raise InputError(f"means must be (n >= 2, latent_dim), got shape {means.shape}")
    if sigma <= 0:
        raise InputError(f"sigma must be positive, got {sigma}")
    cov = np.atleast_2d(np.cov(means, rowvar=False))
    sign, logdet = np.linalg.slogdet(np.eye(cov.shape[0]) + cov / sigma ** 2)
    return 0.5 * float(logdet)


def channel_bound(run_or_model, images) -> float:
    """``gaussian_channel_bound`` for a trained encoder on the images given."""
    net = _model(run_or_model)
    return gaussian_channel_bound(encode(net, images, sample=False), net.sigma)
