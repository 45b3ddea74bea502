"""GAN + MINE: maximising I(G([eps, c]); c) against mode dropping (paper, Section 5.1).

The generator G maps noise eps and a code c to a sample. Its objective is

    max_G  E[log D(G([eps, c]))] + beta * I(G([eps, c]); c),

where the MI term is estimated by a MINE statistics network T(x, c) trained alongside
(Donsker-Varadhan bound with the paper's moving-average gradient correction,
``objectives.MineLoss``). The MI gradient for G is scaled so that its norm never exceeds
the norm of the adversarial gradient (adaptive clipping, ``adaptive_clip``); both norms
are global norms over all of G's parameters. beta = 0 gives the plain GAN on the same
code path (T is still trained, so its MI readout is available for both).

Contents: the toy data (a spiral of Gaussians, the 5 x 5 grid of Gaussians), MLP and
small DCGAN networks, the clipping function and one training loop for all of them. The
loop trains S models at once (every tensor shaped (S, batch, ...)): the toy experiments
stack all their runs (datasets x beta x seeds) into one batched computation, which on a
CPU costs little more than a single run; several DCGANs share one training loop
(``MemberModels``: each network runs on its own slice, the rest is done for all at once).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from torch import Tensor, nn

from .. import bounds
from ..critics import ConcatCritic, mlp
from ..errors import InputError
from ..stacking import StackedMLP
from ..utils import ensure_finite, pick_device, seed_everything

# ---------------------------------------------------------------- toy data


@dataclass
class ToyData:
    """A mixture of equal-weight isotropic Gaussians in 2-D: mode centres and their sigma."""

    name: str
    centers: np.ndarray  # (K, 2)
    sigma: float

    @property
    def n_modes(self) -> int:
        return len(self.centers)

    def sample(self, n: int, generator: torch.Generator | None = None) -> Tensor:
        """n points: a uniformly chosen mode plus sigma * N(0, I)."""
        centers = torch.as_tensor(self.centers, dtype=torch.float32)
        pick = torch.randint(len(centers), (n,), generator=generator)
        noise = torch.randn(n, centers.shape[1], generator=generator)
        return centers[pick] + self.sigma * noise


def grid_gaussians(side: int = 5, spacing: float = 2.0, sigma: float = 0.05) -> ToyData:
    """The 25-Gaussians data: a side x side grid centred on 0 (-4..4 by default), sigma 0.05."""
    if side < 1 or spacing <= 0 or sigma <= 0:
        raise InputError(f"need side >= 1, spacing > 0, sigma > 0; got {side}, {spacing}, {sigma}")
    axis = (np.arange(side) - (side - 1) / 2) * spacing
    xx, yy = np.meshgrid(axis, axis, indexing="ij")
    return ToyData(f"{side * side}-Gaussians", np.stack([xx.ravel(), yy.ravel()], 1), sigma)


def spiral_gaussians(n_modes: int = 30, turns: float = 2.0, radius: float = 4.0,
                     sigma_ratio: float = 0.2) -> ToyData:
    """Gaussians at equal arc length along an Archimedean spiral r = b * theta.

    theta runs over ``turns`` turns, starting a quarter turn out so that the centre is not
    crowded; the outer end lies at ``radius``. sigma = sigma_ratio * the spacing between
    neighbouring centres, so the modes touch and the spiral looks continuous while each
    mode can still be counted.
    """
    if n_modes < 2 or turns <= 0 or radius <= 0 or not 0 < sigma_ratio < 0.5:
        raise InputError("need n_modes >= 2, turns > 0, radius > 0 and 0 < sigma_ratio < 0.5")
    theta0 = math.pi / 2
    theta1 = theta0 + 2 * math.pi * turns
    b = radius / theta1
    fine = np.linspace(theta0, theta1, 20_001)
    steps = b * np.sqrt(1 + fine**2) * (fine[1] - fine[0])  # ds = b sqrt(1 + theta^2) dtheta
    arc = np.concatenate([[0.0], np.cumsum(steps[1:])])
    theta = np.interp(np.linspace(0, arc[-1], n_modes), arc, fine)
    centers = np.stack([b * theta * np.cos(theta), b * theta * np.sin(theta)], 1)
    spacing = float(np.linalg.norm(np.diff(centers, axis=0), axis=1).mean())
    return ToyData("spiral", centers, sigma_ratio * spacing)


TOY_DATA: dict[str, Callable[[], ToyData]] = {
    "spiral": spiral_gaussians,
    "25-gaussians": grid_gaussians,
}


def toy_data(name: str) -> ToyData:
    """The named toy dataset: 'spiral' or '25-gaussians'."""
    if name not in TOY_DATA:
        raise InputError(f"unknown toy dataset {name!r}; choose one of {', '.join(TOY_DATA)}")
    return TOY_DATA[name]()


# ---------------------------------------------------------------- networks


def toy_generator(d_noise: int, d_code: int, hidden: Sequence[int]) -> nn.Sequential:
    """G([eps, c]) for 2-D data: a ReLU MLP."""
    return mlp(d_noise + d_code, tuple(hidden), 2)


def toy_discriminator(hidden: Sequence[int]) -> nn.Sequential:
    """D(x) for 2-D data, as a logit (n, 1): a ReLU MLP."""
    return mlp(2, tuple(hidden), 1)


class ConvGenerator(nn.Module):
    """A small DCGAN generator for (3, 28, 28) images in [0, 1]: 7x7 -> 14x14 -> 28x28."""

    def __init__(self, n_in: int, width: int = 32, channels: int = 3):
        super().__init__()
        self.width = width
        self.project = nn.Sequential(nn.Linear(n_in, 2 * width * 49),
                                     nn.BatchNorm1d(2 * width * 49), nn.ReLU())
        self.deconv = nn.Sequential(
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.ConvTranspose2d(width, channels, 4, 2, 1), nn.Sigmoid(),
        )

    def forward(self, inputs: Tensor) -> Tensor:
        return self.deconv(self.project(inputs).view(-1, 2 * self.width, 7, 7))


def conv_encoder(width: int, n_out: int, channels: int = 3) -> nn.Sequential:
    """(channels, 28, 28) -> n_out features: two strided convolutions and a linear layer."""
    return nn.Sequential(
        nn.Conv2d(channels, width, 4, 2, 1), nn.LeakyReLU(0.2),    # 14x14
        nn.Conv2d(width, 2 * width, 4, 2, 1), nn.LeakyReLU(0.2),   # 7x7
        nn.Flatten(), nn.Linear(2 * width * 49, n_out),
    )


class ImageCodeCritic(nn.Module):
    """T(x, c) for images: a conv encoder of x, then the concatenation critic on (features, c)."""

    def __init__(self, d_code: int, width: int = 16, features: int = 64,
                 hidden: Sequence[int] = (128,), channels: int = 3):
        super().__init__()
        self.encoder = nn.Sequential(conv_encoder(width, features, channels), nn.LeakyReLU(0.2))
        self.head = ConcatCritic(features, d_code, tuple(hidden))

    def forward(self, x: Tensor, c: Tensor) -> Tensor:
        return self.head(self.encoder(x), c)


@dataclass
class GANNets:
    """Generator G([eps, c]), discriminator D(x) (a logit) and statistics network T(x, c)."""

    generator: nn.Module
    discriminator: nn.Module
    critic: nn.Module
    d_noise: int
    d_code: int


def toy_nets(d_noise: int = 2, d_code: int = 2, hidden: Sequence[int] = (64, 64, 64),
             critic_hidden: Sequence[int] = (64, 64)) -> GANNets:
    """MLP generator and discriminator, and the concatenation MINE critic, for 2-D data."""
    return GANNets(toy_generator(d_noise, d_code, hidden), toy_discriminator(hidden),
                   ConcatCritic(2, d_code, tuple(critic_hidden)), d_noise, d_code)


def dcgan_nets(d_noise: int = 32, d_code: int = 16, width: int = 32,
               critic_width: int = 16) -> GANNets:
    """A small DCGAN for (3, 28, 28) stacked MNIST, and a convolutional MINE critic."""
    return GANNets(ConvGenerator(d_noise + d_code, width), conv_encoder(width, 1),
                   ImageCodeCritic(d_code, critic_width), d_noise, d_code)


# ---------------------------------------------------------------- adaptive clipping


def model_norms(grads: Sequence[Tensor | None], n_models: int = 1,
                owners: Sequence[int] | None = None) -> Tensor:
    """Global gradient norm of each of n_models models: sqrt of the sum of squares of every
    entry of every gradient (None counts as zero). With n_models > 1 each gradient's first
    dimension indexes the model (the layout of ``stacking``), unless ``owners`` gives the
    model of each gradient (models kept as separate networks)."""
    if owners is not None:
        sums = torch.zeros(n_models, dtype=torch.float64)
        for g, o in zip(grads, owners):
            if g is not None:
                sums[o] += g.detach().double().square().sum()
        return sums.sqrt()
    flat = [g.detach().reshape(n_models, -1) for g in grads if g is not None]
    if not flat:
        return torch.zeros(n_models, dtype=torch.float64)
    return torch.linalg.vector_norm(torch.cat(flat, 1).double(), dim=1)


def global_norm(grads: Sequence[Tensor | None]) -> Tensor:
    """sqrt of the sum of squares of every entry of every gradient (None counts as zero)."""
    return model_norms(grads, 1)[0]


def adaptive_clip(adv_grads: Sequence[Tensor | None], mi_grads: Sequence[Tensor | None],
                  n_models: int = 1, eps: float = 1e-12,
                  owners: Sequence[int] | None = None) -> list[Tensor | None]:
    """The MI gradient scaled to norm min(||g_adv||, ||g_mi||), global norms over all parameters.

    Both lists hold one gradient per generator parameter, in the same order. The
    direction of the MI gradient is kept; only its length is capped by the adversarial one.
    With n_models > 1, every gradient stacks n_models models along its first dimension (or
    ``owners`` names the model of each gradient) and each model is clipped by its own norms.
    """
    if len(adv_grads) != len(mi_grads):
        raise InputError(f"adv_grads has {len(adv_grads)} entries but mi_grads has "
                         f"{len(mi_grads)}; both need one gradient per generator parameter")
    for a, m in zip(adv_grads, mi_grads):
        if a is not None and m is not None and a.shape != m.shape:
            raise InputError(f"gradient shapes differ: {tuple(a.shape)} vs {tuple(m.shape)}")
    scale = torch.clamp(model_norms(adv_grads, n_models, owners)
                        / (model_norms(mi_grads, n_models, owners) + eps), max=1.0)
    owners = owners if owners is not None else [None] * len(mi_grads)
    return [None if g is None else g * per_model(scale, g, n_models, o)
            for g, o in zip(mi_grads, owners)]


def per_model(values: Tensor, like: Tensor, n_models: int, owner: int | None = None) -> Tensor:
    """values (n_models,) shaped to broadcast over a tensor stacked along its first dimension;
    with ``owner``, the value of that model (the tensor belongs to one model only)."""
    if owner is not None:
        return values[owner].to(like.dtype)
    if n_models == 1:
        return values[0].to(like.dtype)
    return values.to(like.dtype).view(n_models, *[1] * (like.ndim - 1))


# ---------------------------------------------------------------- training


@dataclass
class GANConfig:
    """Settings of one GAN (+ MINE) run. beta = 0 is the plain GAN."""

    beta: float = 1.0
    steps: int = 5000
    batch_size: int = 128
    lr: float = 1e-3  # generator and discriminator
    critic_lr: float = 1e-3
    adam_betas: tuple[float, float] = (0.5, 0.999)
    ema_rate: float = 0.01  # MineLoss: weight of the new batch in the moving average
    clip: bool = True  # adaptive clipping of the MI gradient
    snapshot_at: tuple[int, ...] = ()
    snapshot_size: int = 2000
    seed: int = 0
    device: str = "auto"

    def check(self) -> None:
        if not (isinstance(self.beta, (int, float)) and math.isfinite(self.beta) and self.beta >= 0):
            raise InputError(f"beta must be a finite number >= 0, got {self.beta!r}")
        for name in ("steps", "batch_size", "snapshot_size"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        for name in ("lr", "critic_lr"):
            if not getattr(self, name) > 0:
                raise InputError(f"{name} must be positive, got {getattr(self, name)!r}")
        bad = [s for s in self.snapshot_at if not 1 <= s <= self.steps]
        if bad:
            raise InputError(f"snapshot steps {bad} lie outside 1..{self.steps}")

    def shared(self) -> dict:
        """Every setting except beta and seed (those may differ within one stacked training)."""
        return {k: v for k, v in asdict(self).items() if k not in ("beta", "seed")}


@dataclass
class GANRun:
    """A trained GAN (+ MINE): its networks, samples at chosen steps, per-step curves."""

    nets: GANNets
    config: GANConfig
    snapshots: dict[int, np.ndarray] = field(default_factory=dict)
    history: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    seconds: float = 0.0
    label: str = ""


def sample_inputs(n: int, nets: GANNets, generator: torch.Generator | None = None,
                  device: torch.device | str = "cpu") -> tuple[Tensor, Tensor]:
    """Noise eps ~ N(0, I_{d_noise}) and code c ~ N(0, I_{d_code})."""
    eps = torch.randn(n, nets.d_noise, generator=generator)
    code = torch.randn(n, nets.d_code, generator=generator)
    return eps.to(device), code.to(device)


@torch.no_grad()
def generate(nets: GANNets, n: int, seed: int = 0, batch: int = 2000,
             return_code: bool = False):
    """n samples of the generator (eval mode) as a numpy array; optionally with their codes."""
    gen = torch.Generator().manual_seed(seed)
    device = next(nets.generator.parameters()).device
    was_training = nets.generator.training
    nets.generator.eval()
    xs, cs = [], []
    for start in range(0, n, batch):
        eps, code = sample_inputs(min(batch, n - start), nets, gen, device)
        xs.append(nets.generator(torch.cat([eps, code], 1)).cpu())
        cs.append(code.cpu())
    nets.generator.train(was_training)
    x, c = torch.cat(xs).numpy(), torch.cat(cs).numpy()
    return (x, c) if return_code else x


class Models:
    """What the training loop sees: S models, every tensor shaped (S, B, ...)."""

    n_models: int
    owners: list[int] | None = None  # the model of each generator parameter, if not stacked
    g_params: list[Tensor]
    d_params: list[Tensor]
    t_params: list[Tensor]

    def generator(self, inputs: Tensor) -> Tensor: ...
    def discriminator(self, x: Tensor) -> Tensor: ...  # (S, B) logits
    def critic(self, x: Tensor, code: Tensor) -> Tensor: ...  # (S, B)
    def generator_mode(self, training: bool) -> None: ...


class SingleModels(Models):
    """One GANNets as a stack of one (its networks take unstacked tensors)."""

    def __init__(self, nets: GANNets):
        self.nets, self.n_models = nets, 1
        self.g_params = [p for p in nets.generator.parameters() if p.requires_grad]
        self.d_params = [p for p in nets.discriminator.parameters() if p.requires_grad]
        self.t_params = [p for p in nets.critic.parameters() if p.requires_grad]

    def generator(self, inputs):
        return self.nets.generator(inputs[0]).unsqueeze(0)

    def discriminator(self, x):
        return self.nets.discriminator(x[0]).reshape(1, -1)

    def critic(self, x, code):
        return self.nets.critic(x[0], code[0]).reshape(1, -1)

    def generator_mode(self, training):
        self.nets.generator.train(training)


class StackedToyModels(Models):
    """S toy GANs (MLPs) trained at once; members copied back into plain GANNets at the end."""

    def __init__(self, members: Sequence[GANNets]):
        self.members, self.n_models = list(members), len(members)
        self.g = StackedMLP.from_mlps([m.generator for m in members])
        self.d = StackedMLP.from_mlps([m.discriminator for m in members])
        self.t = StackedMLP.from_mlps([m.critic.net for m in members])
        self.g_params, self.d_params, self.t_params = (
            list(net.parameters()) for net in (self.g, self.d, self.t))

    def generator(self, inputs):
        return self.g(inputs)

    def discriminator(self, x):
        return self.d(x).squeeze(-1)

    def critic(self, x, code):
        return self.t(torch.cat([x, code], -1)).squeeze(-1)

    def generator_mode(self, training):
        pass  # no batch norm in the toy networks

    def unstack(self) -> list[GANNets]:
        for s, m in enumerate(self.members):
            self.g.copy_member(s, m.generator)
            self.d.copy_member(s, m.discriminator)
            self.t.copy_member(s, m.critic.net)
        return self.members


class StackedMineLoss:
    """``objectives.MineLoss`` for S models at once: scores (S, B) -> losses (S,).

    Each model keeps its own moving average of E_batch[e^T] (``log_avg``, shape (S,)); the
    result equals S separate ``MineLoss`` objects, at the cost of one.
    """

    def __init__(self, rate: float = 0.01):
        if not 0.0 < rate <= 1.0:
            raise InputError(f"the moving-average rate must be in (0, 1], got {rate}")
        self.rate = rate
        self.log_avg: Tensor | None = None

    def __call__(self, t_joint: Tensor, t_marg: Tensor) -> Tensor:
        batch = (torch.logsumexp(t_marg, 1) - math.log(t_marg.shape[1])).detach()
        if self.log_avg is None or self.rate == 1.0:
            self.log_avg = batch
        else:  # log((1 - r) avg + r batch), in the log domain
            self.log_avg = torch.logaddexp(math.log1p(-self.rate) + self.log_avg,
                                           math.log(self.rate) + batch)
        return -(t_joint.mean(1) - torch.exp(t_marg - self.log_avg[:, None]).mean(1))


def bce_logits(logits: Tensor, target: float) -> Tensor:
    """Binary cross-entropy of each model, averaged over its batch: (S, B) -> (S,)."""
    return nn.functional.binary_cross_entropy_with_logits(
        logits, torch.full_like(logits, target), reduction="none").mean(1)


def check_finite(values: Tensor, what: str, step: int, labels: Sequence[str],
                 hint: str = "try a smaller learning rate") -> None:
    """DivergenceError (via utils.ensure_finite) naming the first run whose value is not finite."""
    if not bool(torch.isfinite(values).all()):
        s = int((~torch.isfinite(values)).nonzero()[0, 0])
        ensure_finite(values[s], f"{what} of run {labels[s]!r}", step, hint)


def train_models(models: Models, samplers: Sequence[Callable], configs: Sequence[GANConfig],
                 d_noise: int, d_code: int, labels: Sequence[str]):
    """The training loop for S stacked models; returns (snapshots, curves, seconds) per model.

    Each step: (1) D takes a step on real vs generated samples; (2) T takes a step up the
    MINE bound on (G([eps, c]), c) against codes shuffled within the batch; (3) G takes a
    step along g_adv + clip(beta * g_mi), where g_adv is the gradient of -E[log D(G)] and
    g_mi that of the MINE loss (the negated, bias-corrected bound) w.r.t. G's parameters.
    Every model has its own random stream (its seed), so a run does not depend on which
    other runs share the stack.
    """
    cfg, S = configs[0], models.n_models
    device = pick_device(cfg.device)
    gens = [torch.Generator().manual_seed(c.seed) for c in configs]
    betas = torch.tensor([float(c.beta) for c in configs])
    opt = dict(betas=cfg.adam_betas, foreach=True)
    opt_g = torch.optim.Adam(models.g_params, lr=cfg.lr, **opt)
    opt_d = torch.optim.Adam(models.d_params, lr=cfg.lr, **opt)
    opt_t = torch.optim.Adam(models.t_params, lr=cfg.critic_lr, **opt)
    mine = StackedMineLoss(rate=cfg.ema_rate)
    owners = models.owners if models.owners is not None else [None] * len(models.g_params)
    names = ("d_loss", "g_adv", "mi", "adv_norm", "mi_norm", "mi_norm_clipped")
    curves = {k: torch.zeros(cfg.steps, S) for k in names}
    snapshots: list[dict[int, np.ndarray]] = [{} for _ in range(S)]
    wanted, n = set(cfg.snapshot_at), cfg.batch_size
    eval_inputs = None
    start = time.perf_counter()
    for step in range(1, cfg.steps + 1):
        real = torch.stack([sample(n, g) for sample, g in zip(samplers, gens)]).to(device)
        eps, code = (torch.stack(t).to(device) for t in zip(*(
            (torch.randn(n, d_noise, generator=g), torch.randn(n, d_code, generator=g))
            for g in gens)))
        perm = torch.stack([torch.randperm(n, generator=g) for g in gens]).to(device)
        fake = models.generator(torch.cat([eps, code], -1))

        # (1) discriminator, on real and generated samples in one pass
        logits = models.discriminator(torch.cat([real, fake.detach()], 1))
        d_loss = bce_logits(logits[:, :n], 1.0) + bce_logits(logits[:, n:], 0.0)
        check_finite(d_loss.detach(), "the discriminator loss", step, labels)
        opt_d.zero_grad(set_to_none=True)
        d_loss.sum().backward()
        opt_d.step()

        # (2) + (3) statistics network and generator, from one generator pass
        adv = bce_logits(models.discriminator(fake), 1.0)  # -E[log D(G([eps, c]))], (S,)
        shuffled = torch.gather(code, 1, perm.unsqueeze(-1).expand_as(code))
        scores = models.critic(torch.cat([fake, fake], 1), torch.cat([code, shuffled], 1))
        t_joint, t_marg = scores[:, :n], scores[:, n:]
        mi_loss = mine(t_joint, t_marg)
        check_finite(adv.detach(), "the generator's adversarial loss", step, labels)
        check_finite(mi_loss.detach(), "the MINE loss", step, labels, "try a smaller critic_lr")

        g_adv = torch.autograd.grad(adv.sum(), models.g_params, retain_graph=True,
                                    allow_unused=True)
        g_all = torch.autograd.grad(mi_loss.sum(), models.g_params + models.t_params,
                                    allow_unused=True)
        k = len(models.g_params)
        g_mi = [None if g is None else g * per_model(betas, g, S, o)
                for g, o in zip(g_all[:k], owners)]
        g_used = adaptive_clip(g_adv, g_mi, S, owners=models.owners) if cfg.clip else g_mi
        set_grads(models.t_params, g_all[k:])
        set_grads(models.g_params, [sum_grads(a, m) for a, m in zip(g_adv, g_used)])
        opt_t.step()
        opt_g.step()

        with torch.no_grad():
            row = step - 1
            curves["d_loss"][row], curves["g_adv"][row] = d_loss.detach(), adv.detach()
            # the DV bound of each model on this batch: E[T] - log mean e^T(shuffled)
            curves["mi"][row] = t_joint.mean(1) - (torch.logsumexp(t_marg, 1) - math.log(n))
            curves["adv_norm"][row] = model_norms(g_adv, S, models.owners)
            curves["mi_norm"][row] = model_norms(g_mi, S, models.owners)
            curves["mi_norm_clipped"][row] = model_norms(g_used, S, models.owners)
        if step in wanted:
            if eval_inputs is None:
                eval_inputs = snapshot_inputs(configs, cfg.snapshot_size, d_noise, d_code, device)
            models.generator_mode(False)
            with torch.no_grad():
                x = models.generator(eval_inputs).cpu().numpy()
            models.generator_mode(True)
            for s in range(S):
                snapshots[s][step] = x[s]
    seconds = time.perf_counter() - start
    histories = [{"step": np.arange(1, cfg.steps + 1),
                  **{key: curves[key][:, s].numpy().astype(np.float64) for key in names}}
                 for s in range(S)]
    return snapshots, histories, seconds


def snapshot_inputs(configs: Sequence[GANConfig], size: int, d_noise: int, d_code: int,
                    device) -> Tensor:
    """Fixed generator inputs for the snapshots of each model (its seed + 10 000)."""
    rows = []
    for c in configs:
        g = torch.Generator().manual_seed(c.seed + 10_000)
        rows.append(torch.cat([torch.randn(size, d_noise, generator=g),
                               torch.randn(size, d_code, generator=g)], 1))
    return torch.stack(rows).to(device)


def sum_grads(a: Tensor | None, b: Tensor | None) -> Tensor | None:
    if a is None:
        return b
    return a if b is None else a + b


def set_grads(params: Sequence[Tensor], grads: Sequence[Tensor | None]) -> None:
    for p, g in zip(params, grads):
        p.grad = None if g is None else g.detach()


def train_gan(real_sampler: Callable[[int, torch.Generator], Tensor], nets: GANNets,
              config: GANConfig | None = None, label: str = "gan") -> GANRun:
    """Train one G, D and MINE critic T together (any networks: MLPs, the DCGAN, ...).

    ``real_sampler(n, generator)`` returns n real samples. Raises DivergenceError when a
    loss becomes NaN or infinite. See ``train_models`` for one step of the loop.
    """
    cfg = config or GANConfig()
    cfg.check()
    device = pick_device(cfg.device)
    for net in (nets.generator, nets.discriminator, nets.critic):
        net.to(device).train()
    snaps, hists, seconds = train_models(SingleModels(nets), [real_sampler], [cfg],
                                         nets.d_noise, nets.d_code, [label])
    return GANRun(nets, cfg, snaps[0], hists[0], seconds, label)


def train_toy_gans(jobs: Sequence[tuple[ToyData, GANConfig]], d_noise: int = 2, d_code: int = 2,
                   hidden: Sequence[int] = (64, 64, 64),
                   critic_hidden: Sequence[int] = (64, 64)) -> list[GANRun]:
    """Train several toy GANs (+ MINE) at once, one per (data, config) job.

    The configs may differ in beta and seed only. Each run's networks start from the
    initialisation its seed gives (the same for beta = 0 and beta = 1) and draw their own
    data, so the result of a run does not depend on the other jobs.
    """
    if not jobs:
        raise InputError("train_toy_gans needs at least one (data, config) job")
    configs = [cfg for _, cfg in jobs]
    for cfg in configs:
        cfg.check()
        if cfg.shared() != configs[0].shared():
            raise InputError("the configs of one stacked training may differ in beta and seed "
                             f"only; {cfg.shared()} differs from {configs[0].shared()}")
    members = []
    for cfg in configs:
        seed_everything(cfg.seed)
        members.append(toy_nets(d_noise, d_code, hidden, critic_hidden))
    models = StackedToyModels(members)
    device = pick_device(configs[0].device)
    for net in (models.g, models.d, models.t):
        net.to(device)
    labels = [f"{data.name}, beta={cfg.beta:g}, seed={cfg.seed}" for data, cfg in jobs]
    snaps, hists, seconds = train_models(models, [data.sample for data, _ in jobs], configs,
                                         d_noise, d_code, labels)
    nets = models.unstack()
    return [GANRun(nets[s], configs[s], snaps[s], hists[s],
                   seconds, labels[s]) for s in range(len(jobs))]


def train_toy_gan(data: ToyData, config: GANConfig | None = None, **sizes) -> GANRun:
    """One toy GAN (+ MINE); ``sizes`` as in ``train_toy_gans``."""
    return train_toy_gans([(data, config or GANConfig())], **sizes)[0]


def image_sampler(images: np.ndarray) -> Callable[[int, torch.Generator], Tensor]:
    """Minibatches of uint8 images (n, C, H, W), drawn with replacement, as floats in [0, 1]."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[0] == 0:
        raise InputError(f"images must have shape (n, channels, height, width), got {images.shape}")
    pool = torch.as_tensor(images)

    def sample(n: int, generator: torch.Generator) -> Tensor:
        idx = torch.randint(len(pool), (n,), generator=generator)
        return pool[idx].float() / 255.0

    return sample


def train_image_gan(images: np.ndarray, config: GANConfig | None = None, d_noise: int = 32,
                    d_code: int = 16, width: int = 32, critic_width: int = 16) -> GANRun:
    """DCGAN (+ MINE) on uint8 images (n, 3, 28, 28), e.g. stacked MNIST."""
    cfg = config or GANConfig()
    sampler = image_sampler(images)
    seed_everything(cfg.seed)
    nets = dcgan_nets(d_noise, d_code, width, critic_width)
    return train_gan(sampler, nets, cfg, label=f"dcgan, beta={cfg.beta:g}, seed={cfg.seed}")


# ---------------------------------------------------------------- several DCGANs


class MemberModels(Models):
    """S networks of any kind in one training loop: each pass runs every member on its slice
    of the (S, B, ...) tensors, while the MINE losses, the clipping and the optimiser steps
    are done for all members at once.

    On a CPU this saves nothing for convolutional networks, whose cost is their arithmetic
    rather than per-call overhead (``benchmarks/bench_stacking.py``: this loop took about
    1.1 to 1.2 times as long as training the DCGANs one at a time). Stacking S DCGANs as one
    network (grouped convolutions with groups = S) computed the same numbers and was slower
    still (about 1.3 times), so the loop is kept: it is simple and runs every seed together.
    """

    def __init__(self, members: Sequence[GANNets]):
        self.members, self.n_models = list(members), len(members)
        self.g_params, self.owners = [], []
        for s, m in enumerate(self.members):
            params = [p for p in m.generator.parameters() if p.requires_grad]
            self.g_params += params
            self.owners += [s] * len(params)
        self.d_params = [p for m in self.members for p in m.discriminator.parameters()
                         if p.requires_grad]
        self.t_params = [p for m in self.members for p in m.critic.parameters()
                         if p.requires_grad]

    def generator(self, inputs):
        return torch.stack([m.generator(inputs[s]) for s, m in enumerate(self.members)])

    def discriminator(self, x):
        return torch.stack([m.discriminator(x[s]).reshape(-1)
                            for s, m in enumerate(self.members)])

    def critic(self, x, code):
        return torch.stack([m.critic(x[s], code[s]).reshape(-1)
                            for s, m in enumerate(self.members)])

    def generator_mode(self, training):
        for m in self.members:
            m.generator.train(training)


def train_image_gans(images: np.ndarray, configs: Sequence[GANConfig], d_noise: int = 32,
                     d_code: int = 16, width: int = 32, critic_width: int = 16) -> list[GANRun]:
    """Several DCGANs (+ MINE) on the same uint8 images (n, 3, 28, 28), trained at once.

    The configs may differ in beta and seed only; each run starts from its seed's
    initialisation and draws its own minibatches, as ``train_image_gan`` would alone.
    """
    if not configs:
        raise InputError("train_image_gans needs at least one config")
    for cfg in configs:
        cfg.check()
        if cfg.shared() != configs[0].shared():
            raise InputError("the configs of one stacked training may differ in beta and seed "
                             f"only; {cfg.shared()} differs from {configs[0].shared()}")
    sampler = image_sampler(images)
    members = []
    for cfg in configs:
        seed_everything(cfg.seed)
        members.append(dcgan_nets(d_noise, d_code, width, critic_width))
    device = pick_device(configs[0].device)
    for net in members:
        for module in (net.generator, net.discriminator, net.critic):
            module.to(device).train()
    labels = [f"dcgan, beta={cfg.beta:g}, seed={cfg.seed}" for cfg in configs]
    snaps, hists, seconds = train_models(MemberModels(members), [sampler] * len(configs),
                                         configs, d_noise, d_code, labels)
    nets = members
    return [GANRun(nets[s], configs[s], snaps[s], hists[s], seconds, labels[s])
            for s in range(len(configs))]


# ---------------------------------------------------------------- MI readouts


@torch.no_grad()
def critic_mi(run: GANRun, n: int = 5000, seed: int = 1, shuffles: int = 5) -> float:
    """DV bound of the run's own statistics network on fresh samples (nats)."""
    x, c = generate(run.nets, n, seed=seed, return_code=True)
    critic = run.nets.critic
    device = next(critic.parameters()).device
    xt, ct = torch.as_tensor(x, device=device), torch.as_tensor(c, device=device)
    was_training = critic.training
    critic.eval()
    gen = torch.Generator().manual_seed(seed)
    t_joint = critic(xt, ct)
    t_marg = torch.cat([critic(xt, ct[torch.randperm(n, generator=gen).to(device)])
                        for _ in range(shuffles)])
    critic.train(was_training)
    return float(bounds.dv_bound(t_joint, t_marg))


def code_mi(nets: GANNets, n: int = 4000, seed: int = 0, **options) -> float:
    """I(G([eps, c]); c) in nats, by a fresh MINE estimate (``estimate_mi``) on n samples."""
    from ..estimator import estimate_mi

    x, c = generate(nets, n, seed=seed, return_code=True)
    return estimate_mi(x.reshape(n, -1), c, method="mine", seed=seed, **options).mi
