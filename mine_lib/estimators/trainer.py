"""The single-critic trainer: ``TrainConfig`` and ``train_critic`` (one critic, one objective,
a train / validation / test split), used by every neural method but the default.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, field

import numpy as np
import torch
from tqdm.std import tqdm  # tqdm.auto warns "IProgress not found" in notebooks

from ..critics import ACTIVATIONS, CRITICS, make_critic
from ..errors import DivergenceError, InputError
from ..objectives import LOSSES, Objective, make_loss
from ..utils import pick_device, standardize_columns
from .result import MIN_ROWS, MIEstimate, check_pair


@dataclass
class TrainConfig:
    """Settings of one critic training run. Defaults are meant for data never seen before."""

    loss: str = "mine"
    loss_options: dict = field(default_factory=dict)
    critic: str = "concat"
    hidden: tuple[int, ...] = (256, 256)
    activation: str = "relu"
    batch_size: int = 256
    lr: float = 5e-4
    max_steps: int = 10_000
    eval_every: int = 100
    patience: int = 10  # evaluations without a new best before stopping
    smooth: int = 3  # model selection on the mean of the last `smooth` validation estimates
    early_stopping: bool = True
    max_seconds: float | None = None  # wall-clock budget of the training loop (None: none)
    val_fraction: float = 0.2
    test_fraction: float = 0.2
    eval_shuffles: int = 5  # marginal pairs per sample in validation and test estimates
    standardize: bool = True
    seed: int = 0
    device: str = "auto"
    progress: bool = False

    def check(self) -> None:
        def positive_int(name):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")

        for name in ("batch_size", "max_steps", "eval_every", "patience", "eval_shuffles", "smooth"):
            positive_int(name)
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise InputError(f"lr must be a positive number, got {self.lr!r}")
        for name in ("val_fraction", "test_fraction"):
            if not 0.0 < getattr(self, name) < 0.5:
                raise InputError(f"{name} must lie in (0, 0.5), got {getattr(self, name)!r}")
        if self.loss not in LOSSES:
            raise InputError(f"unknown loss {self.loss!r}; choose one of {', '.join(sorted(LOSSES))}")
        if self.critic not in CRITICS:
            raise InputError(f"unknown critic {self.critic!r}; choose one of {', '.join(sorted(CRITICS))}")
        if self.max_seconds is not None and not (
                isinstance(self.max_seconds, (int, float)) and self.max_seconds > 0):
            raise InputError(f"max_seconds must be a positive number or None, got {self.max_seconds!r}")
        if self.activation not in ACTIVATIONS:
            raise InputError(f"unknown activation {self.activation!r}; choose one of {', '.join(ACTIVATIONS)}")
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise InputError(f"hidden must be a non-empty list of positive widths, got {self.hidden!r}")



def split_rows(n: int, cfg: TrainConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    order = rng.permutation(n)
    n_test = max(2, int(round(n * cfg.test_fraction)))
    n_val = max(2, int(round(n * cfg.val_fraction)))
    return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]


@torch.no_grad()
def held_out_estimate(critic, objective: Objective, x, z, perms, batch_size: int) -> float:
    """The objective's bound on a fixed sample, with fixed marginal shuffles ``perms``."""
    critic.eval()
    try:
        if objective.needs_matrix:  # bounds that depend on the batch size: average over blocks
            values, sizes = [], []
            for start in range(0, x.shape[0] - 1, batch_size):
                xb, zb = x[start:start + batch_size], z[start:start + batch_size]
                if xb.shape[0] < 2:
                    break
                s = critic.score_matrix(xb, zb)
                values.append(float(objective.estimate(s.diagonal(), s)))
                sizes.append(xb.shape[0])
            return float(np.average(values, weights=sizes))
        t_joint = critic(x, z)
        t_marg = torch.cat([critic(x, z[p]) for p in perms])
        return float(objective.estimate(t_joint, t_marg))
    finally:
        critic.train()


def batch_scores(critic, objective: Objective, xb, zb, generator):
    """Scores on joint pairs and on marginal pairs (z shuffled within the batch)."""
    if objective.needs_matrix:
        s = critic.score_matrix(xb, zb)
        return s.diagonal(), s
    perm = torch.randperm(xb.shape[0], generator=generator, device="cpu").to(xb.device)
    t = critic(torch.cat([xb, xb]), torch.cat([zb, zb[perm]]))
    return t[: xb.shape[0]], t[xb.shape[0]:]


def train_critic(x, z, config: TrainConfig | None = None, objective: Objective | None = None) -> MIEstimate:
    """Train a statistics network on (x, z) and estimate I(X; Z) on held-out samples.

    The data are split into train / validation / test. The critic trains on minibatches of
    the training split; every ``eval_every`` steps its bound is measured on the validation
    split, the best state is kept, and training stops after ``patience`` evaluations
    without improvement. The reported ``mi`` is the bound of the best critic on the test
    split, which neither training nor model selection has seen.
    """
    cfg = config or TrainConfig()
    cfg.check()
    x, z = check_pair(x, z, MIN_ROWS)
    objective = objective or make_loss(cfg.loss, **cfg.loss_options)
    objective.reset()
    device = pick_device(cfg.device)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)

    train_idx, val_idx, test_idx = split_rows(x.shape[0], cfg, rng)
    if cfg.standardize:
        x, z = standardize_columns(x, x[train_idx]), standardize_columns(z, z[train_idx])

    def tensor(a, idx):
        return torch.as_tensor(a[idx], dtype=torch.float32, device=device)

    xt, zt = tensor(x, train_idx), tensor(z, train_idx)
    xv, zv = tensor(x, val_idx), tensor(z, val_idx)
    xs, zs = tensor(x, test_idx), tensor(z, test_idx)
    val_perms = [torch.as_tensor(rng.permutation(len(val_idx)), device=device) for _ in range(cfg.eval_shuffles)]
    test_perms = [torch.as_tensor(rng.permutation(len(test_idx)), device=device) for _ in range(cfg.eval_shuffles)]

    critic = make_critic(cfg.critic, x.shape[1], z.shape[1], cfg.hidden, cfg.activation).to(device)
    optimizer = torch.optim.Adam(critic.parameters(), lr=cfg.lr)
    batch = min(cfg.batch_size, len(train_idx))
    n_train = len(train_idx)

    train_curve = torch.empty(cfg.max_steps)
    val_steps, val_curve = [], []
    best = (-math.inf, 0, None)  # (validation estimate, step, state)
    start = time.perf_counter()
    bar = tqdm(total=cfg.max_steps, disable=not cfg.progress, desc=f"{objective.name}", leave=False)
    step = 0
    for step in range(1, cfg.max_steps + 1):
        idx = torch.randint(n_train, (batch,), generator=gen).to(device)
        t_joint, t_marg = batch_scores(critic, objective, xt[idx], zt[idx], gen)
        loss = objective(t_joint, t_marg)
        if not torch.isfinite(loss):
            bar.close()
            raise DivergenceError(
                f"training diverged at step {step}: the {objective.name} loss became {float(loss.detach())}. "
                f"Try a smaller learning rate (now {cfg.lr}), a larger batch (now {batch}) "
                f"or a bounded objective such as 'smile'.")
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        if objective.grad_clip is not None:
            torch.nn.utils.clip_grad_norm_(critic.parameters(), objective.grad_clip)
        optimizer.step()
        train_curve[step - 1] = objective.estimate(t_joint.detach(), t_marg.detach())

        out_of_time = cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds
        if step % cfg.eval_every == 0 or step == cfg.max_steps or out_of_time:
            value = held_out_estimate(critic, objective, xv, zv, val_perms, batch)
            if not math.isfinite(value):
                bar.close()
                raise DivergenceError(f"the validation estimate became {value} at step {step}; "
                                      f"try a smaller learning rate (now {cfg.lr}).")
            val_steps.append(step)
            val_curve.append(value)
            smoothed = float(np.mean(val_curve[-cfg.smooth:]))  # one noisy evaluation is no reason
            if smoothed > best[0]:
                best = (smoothed, step, {k: v.detach().clone() for k, v in critic.state_dict().items()})
            bar.update(step - bar.n)
            bar.set_postfix(val=f"{value:.3f}", best=f"{best[0]:.3f}")
            if out_of_time or (cfg.early_stopping and step - best[1] >= cfg.patience * cfg.eval_every):
                break
    bar.close()
    critic.load_state_dict(best[2])
    mi = held_out_estimate(critic, objective, xs, zs, test_perms, batch)
    history = {"train_estimate": train_curve[:step].numpy(), "val_step": np.array(val_steps),
               "val_estimate": np.array(val_curve)}
    return MIEstimate(
        mi=mi, method=cfg.loss, n_train=n_train, n_val=len(val_idx), n_test=len(test_idx),
        steps=step, best_step=best[1], seconds=time.perf_counter() - start, seed=cfg.seed,
        history=history, critic=critic, config=asdict(cfg),
    )

