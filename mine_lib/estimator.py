"""The critic trainer and the public ``estimate_mi``.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import asdict, dataclass, field, fields

import numpy as np
import torch
from tqdm.std import tqdm  # tqdm.auto warns "IProgress not found" in notebooks

from .critics import ACTIVATIONS, CRITICS, make_critic
from .errors import DivergenceError, InputError
from .objectives import LOSSES, Objective, make_loss
from .utils import pick_device, standardize_columns

MIN_ROWS = 50  # a neural estimate needs train, validation and test samples
DEFAULT_METHOD = "crossfit"  # the method of estimate_mi and estimate_with_uncertainty by default


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


@dataclass
class MIEstimate:
    """An MI estimate in nats, measured on samples the critic never trained on."""

    mi: float
    method: str
    n_train: int = 0
    n_val: int = 0
    n_test: int = 0
    steps: int = 0
    best_step: int = 0
    seconds: float = 0.0
    seed: int = 0
    history: dict = field(default_factory=dict, repr=False)  # step-wise curves
    critic: torch.nn.Module | None = field(default=None, repr=False)
    config: dict = field(default_factory=dict, repr=False)
    # an interval for the MI: its level and what it accounts for (NaN when none is computed)
    ci_low: float = math.nan
    ci_high: float = math.nan
    ci_level: float = math.nan
    ci_accounts_for: str = ""
    # reasons not to trust the number, for people (empty when all is well)
    warnings: list = field(default_factory=list)

    @property
    def bits(self) -> float:
        return self.mi / math.log(2)

    def __str__(self) -> str:
        """One line for people (print(result)); repr() keeps every field."""
        text = f"I(X;Z) = {self.mi:.4f} nats ({self.bits:.4f} bits), method {self.method}"
        if math.isfinite(self.ci_low) and math.isfinite(self.ci_high):
            text += (f", {100 * self.ci_level:.0f}% interval {self.ci_low:.4f} to "
                     f"{self.ci_high:.4f} ({self.ci_accounts_for})")
        text += f", {self.n_test} rows read out, {self.seconds:.1f} s"
        return text + "".join(f"\nwarning: {w}" for w in self.warnings)

    def summary(self) -> dict:
        """The JSON-friendly part: no curves, no network."""
        keys = ("mi", "method", "n_train", "n_val", "n_test", "steps", "best_step", "seconds", "seed",
                "ci_low", "ci_high", "ci_level", "ci_accounts_for")
        out = {"units": "nats", "bits": self.bits, **{k: getattr(self, k) for k in keys}}
        for key in ("ci_low", "ci_high", "ci_level"):  # JSON has no NaN: null instead
            if not math.isfinite(out[key]):
                out[key] = None
        out["warnings"] = list(self.warnings)
        return out


# ---------------------------------------------------------------- input checks

def as_matrix(name: str, a) -> np.ndarray:
    """A float 2-D array (1-D becomes one column), or a clear InputError."""
    try:
        a = np.asarray(a, dtype=np.float64)
    except (TypeError, ValueError) as err:
        raise InputError(f"{name} must be numeric: {err}") from None
    if a.ndim == 1:
        a = a[:, None]
    if a.ndim != 2:
        raise InputError(f"{name} must be a 1-D or 2-D array (samples x features), got shape {a.shape}")
    if a.shape[0] == 0 or a.shape[1] == 0:
        raise InputError(f"{name} is empty (shape {a.shape})")
    bad = ~np.isfinite(a)
    if bad.any():
        rows = np.unique(np.nonzero(bad)[0])
        raise InputError(f"{name} has {bad.sum()} NaN or infinite values (first in row {rows[0]})")
    return a


def constant_column_warnings(x, z) -> list[str]:
    """One sentence for each of x and z that has constant columns (they carry no information)."""
    notes = []
    for name, a in (("x", as_matrix("x", x)), ("z", as_matrix("z", z))):
        constant = np.flatnonzero(np.ptp(a, axis=0) == 0)
        if constant.size == a.shape[1]:
            notes.append(f"every column of {name} is constant: {name} carries no information, "
                         "so the true MI is 0")
        elif constant.size:
            cols = ", ".join(str(c) for c in constant[:10]) + (" ..." if constant.size > 10 else "")
            what = "a constant column" if constant.size == 1 else f"{constant.size} constant columns"
            notes.append(f"{name} has {what} (index {cols}), which carries no information")
    return notes


def check_pair(x, z, min_rows: int) -> tuple[np.ndarray, np.ndarray]:
    x, z = as_matrix("x", x), as_matrix("z", z)
    if x.shape[0] != z.shape[0]:
        raise InputError(f"x and z must have the same number of rows (paired samples): "
                         f"x has {x.shape[0]}, z has {z.shape[0]}")
    if x.shape[0] < min_rows:
        raise InputError(f"{x.shape[0]} rows are too few: this method needs at least {min_rows}")
    return x, z


# ---------------------------------------------------------------- training

def split_rows(n: int, cfg: TrainConfig, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    order = rng.permutation(n)
    n_test = max(2, int(round(n * cfg.test_fraction)))
    n_val = max(2, int(round(n * cfg.val_fraction)))
    return order[n_test + n_val:], order[n_test:n_test + n_val], order[:n_test]


def standardize(a: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Columns of ``a`` centred and scaled by ``reference``'s; safe at any finite magnitude."""
    return standardize_columns(a, reference)


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
        x, z = standardize(x, x[train_idx]), standardize(z, z[train_idx])

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


# ---------------------------------------------------------------- the default: cross-fitted

@dataclass
class CrossFitConfig:
    """Settings of the cross-fitted estimator (``method="crossfit"``, the default).

    The rows are cut into ``folds`` folds. Critic f trains on all folds but f and f + 1,
    picks its best state on fold f + 1 and reads out on fold f, so every row is read out
    once, by a critic that never saw it. All critics train at once, as one batched network.
    With ``gaussian_offset`` each fold trains a second critic whose output starts from the
    log density ratio of a Gaussian fitted to its training rows (after the rank transform:
    a Gaussian copula); fold f + 1 picks the better of the two before fold f reads it out.
    """

    folds: int = 5
    hidden: tuple[int, ...] = (64, 64)
    batch_size: int = 256
    lr: float = 1e-3
    max_steps: int = 3000
    eval_every: int = 100
    patience: int = 8  # evaluations without a real gain (for every critic) before stopping
    min_delta: float = 0.01  # nats: a smaller gain on the validation fold does not count as new
    smooth: int = 3
    max_seconds: float | None = None
    rank_gauss: bool = True  # per-coordinate ranks to standard normal scores first
    gaussian_offset: bool = True  # each critic starts from its training rows' Gaussian log-ratio
    readout_shuffles: int = 20  # marginal pairs per row in the read-out
    null_shuffles: int = 20  # permuted read-outs for the zero test
    ci_level: float = 0.95
    seed: int = 0
    device: str = "auto"
    progress: bool = False

    def check(self) -> None:
        for name in ("folds", "batch_size", "max_steps", "eval_every", "patience", "smooth",
                     "readout_shuffles"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
                raise InputError(f"{name} must be a positive integer, got {value!r}")
        if self.folds < 3:
            raise InputError(f"folds must be at least 3 (train, select, read out), got {self.folds}")
        if isinstance(self.null_shuffles, bool) or not isinstance(self.null_shuffles, int) \
                or self.null_shuffles < 0:
            raise InputError(f"null_shuffles must be a non-negative integer, got {self.null_shuffles!r}")
        if not (isinstance(self.lr, (int, float)) and self.lr > 0 and math.isfinite(self.lr)):
            raise InputError(f"lr must be a positive number, got {self.lr!r}")
        if not 0.5 <= self.ci_level < 1:
            raise InputError(f"ci_level must lie in [0.5, 1), got {self.ci_level!r}")
        if not (isinstance(self.min_delta, (int, float)) and 0 <= self.min_delta < math.inf):
            raise InputError(f"min_delta must be a non-negative number, got {self.min_delta!r}")
        if self.max_seconds is not None and not (
                isinstance(self.max_seconds, (int, float)) and self.max_seconds > 0):
            raise InputError(f"max_seconds must be a positive number or None, got {self.max_seconds!r}")
        if not self.hidden or any(int(h) < 1 for h in self.hidden):
            raise InputError(f"hidden must be a non-empty list of positive widths, got {self.hidden!r}")


def rank_gauss(a: np.ndarray) -> np.ndarray:
    """Each column replaced by the standard normal quantiles of its ranks (ties share the
    mean rank). MI is invariant under such per-coordinate monotone maps; heavy tails go."""
    from scipy.special import ndtri
    from scipy.stats import rankdata

    ranks = rankdata(a, axis=0, method="average")
    return ndtri((ranks - 0.5) / a.shape[0])


class CriticStack(torch.nn.Module):
    """``k`` independent concatenation critics T_f(x, z) = MLP_f([x, z]) evaluated together:
    input (k, rows, dx + dz), output (k, rows)."""

    def __init__(self, k: int, n_in: int, hidden: tuple[int, ...]):
        super().__init__()
        sizes = [n_in, *hidden, 1]
        self.weights = torch.nn.ParameterList()
        self.biases = torch.nn.ParameterList()
        for a, b in itertools.pairwise(sizes):
            bound = 1.0 / math.sqrt(a)  # the nn.Linear initialisation
            self.weights.append(torch.nn.Parameter(torch.empty(k, a, b).uniform_(-bound, bound)))
            self.biases.append(torch.nn.Parameter(torch.empty(k, 1, b).uniform_(-bound, bound)))

        self.quad: torch.Tensor | None = None  # (k, d, d): the Gaussian offset, if set
        self.const: torch.Tensor | None = None  # (k, 1)
        self.scale = torch.nn.Parameter(torch.ones(k, 1))  # how much of the offset each keeps

    def set_offset(self, quad: torch.Tensor, const: torch.Tensor) -> None:
        """Add -1/2 v^T quad_f v + const_f to critic f's output (v = [x, z])."""
        self.quad, self.const = quad, const.reshape(-1, 1)

    def forward(self, xz: torch.Tensor) -> torch.Tensor:
        h = xz
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            h = torch.baddbmm(b, h, w)
            if i < len(self.weights) - 1:
                h = torch.relu(h)
        out = h.squeeze(-1)
        if self.quad is not None:
            gauss = -0.5 * (torch.bmm(xz, self.quad) * xz).sum(-1) + self.const
            out = out + self.scale * gauss
        return out


def gaussian_log_ratio(v: np.ndarray, dx: int, shrink: float) -> tuple[np.ndarray, float]:
    """The log density ratio log p(x, z) / p(x) p(z) of the zero-mean Gaussian fitted to the
    rows v = [x, z]: -1/2 v^T A v + c, returned as (A, c). The covariance is shrunk towards its
    diagonal by ``shrink`` so that it stays invertible in high dimensions."""
    cov = v.T @ v / v.shape[0]
    cov = (1 - shrink) * cov + shrink * np.diag(np.diag(cov))
    inv = np.linalg.inv(cov)
    a = inv.copy()
    a[:dx, :dx] -= np.linalg.inv(cov[:dx, :dx])
    a[dx:, dx:] -= np.linalg.inv(cov[dx:, dx:])
    logdet = [np.linalg.slogdet(m)[1] for m in (cov[:dx, :dx], cov[dx:, dx:], cov)]
    c = 0.5 * (logdet[0] + logdet[1] - logdet[2])
    return a, c


def fold_rows(n: int, k: int, rng: np.random.Generator) -> list[np.ndarray]:
    """A random partition of range(n) into k folds of near-equal size."""
    return [np.sort(part) for part in np.array_split(rng.permutation(n), k)]


def stack_rows(parts: list[np.ndarray]) -> torch.Tensor:
    """(k, m) index tensor of the folds' first m rows, m the smallest fold size."""
    m = min(len(p) for p in parts)
    return torch.as_tensor(np.stack([p[:m] for p in parts]))


@torch.no_grad()
def dv_parts(critics: CriticStack, x: torch.Tensor, z: torch.Tensor, rows: torch.Tensor,
             perms: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """Joint scores (k, m) of critic f on rows[f], and marginal scores (k, m * s): the same
    x against z of the same rows shuffled by each of the s permutations ``perms`` (s, m)."""
    return dv_parts_pairs(critics, x, z, rows, rows, perms)


def read_cap(m: int) -> float:
    """Scores are clipped to [-log m, log m] when read out on m rows. The DV bound holds for
    any critic, the clipped one too, and a read-out on m rows cannot show more than about
    log m nats anyway; the clip keeps one marginal pair scored far out in a heavy tail from
    swamping the log-mean-exp term."""
    return math.log(m)


def dv_of(joint: torch.Tensor, marg: torch.Tensor) -> torch.Tensor:
    """The DV bound per critic: mean joint score minus log mean exp of marginal scores."""
    return joint.double().mean(1) - (torch.logsumexp(marg.double(), 1) - math.log(marg.shape[1]))


def dv_stderr(joint: torch.Tensor, marg: torch.Tensor) -> np.ndarray:
    """Delta-method standard error of each critic's DV read-out. The marginal term counts
    only as many independent pairs as there are rows (its shuffles reuse them)."""
    m = joint.shape[1]
    j, g = joint.double(), marg.double()
    w = torch.exp(g - g.max(1, keepdim=True).values)  # e^T up to a factor per critic
    rel = w.std(1) / w.mean(1)
    return torch.sqrt(j.var(1) / m + rel ** 2 / m).numpy()


def permutation_perms(m: int, count: int, rng: np.random.Generator) -> torch.Tensor:
    return torch.as_tensor(np.stack([rng.permutation(m) for _ in range(count)]))


def crossfit_estimate(x, z, config: CrossFitConfig | None = None) -> MIEstimate:
    """I(X; Z) by cross-fitting: k critics trained with the Jensen-Shannon objective (the
    training signal of SMILE and of f-GAN classifiers: low variance, optimum log p/q), each
    read out with the DV bound on the fold it never saw; the estimate is the mean over folds,
    so every row counts once. Comes with an interval and warnings (see ``MIEstimate``)."""
    cfg = config or CrossFitConfig()
    cfg.check()
    x, z = check_pair(x, z, max(MIN_ROWS, 10 * cfg.folds))
    start = time.perf_counter()
    device = pick_device(cfg.device)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    if cfg.rank_gauss:
        x, z = rank_gauss(x), rank_gauss(z)
    else:
        x, z = standardize(x, x), standardize(z, z)
    n, k = x.shape[0], cfg.folds
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    zt = torch.as_tensor(z, dtype=torch.float32, device=device)
    folds = fold_rows(n, k, rng)
    read = stack_rows(folds)  # critic f reads out on fold f
    val = stack_rows([folds[(f + 1) % k] for f in range(k)])  # and selects on fold f + 1
    train = stack_rows([np.concatenate([folds[g] for g in range(k) if g not in (f, (f + 1) % k)])
                        for f in range(k)])
    val_perms = permutation_perms(val.shape[1], 5, rng)
    # With the Gaussian offset each fold trains two critics, with and without it, and keeps the
    # one its validation fold prefers: the offset helps near-Gaussian dependence (25 + 25
    # dimensions) and hurts heavy shared tails. Critic j belongs to fold j % k.
    c = 2 * k if cfg.gaussian_offset else k
    fold_of = torch.arange(c) % k
    train_c, val_c = train[fold_of], val[fold_of]

    critics = CriticStack(c, x.shape[1] + z.shape[1], tuple(int(h) for h in cfg.hidden)).to(device)
    if cfg.gaussian_offset:
        v = np.concatenate([x, z], 1)
        shrink = min(0.5, v.shape[1] / train.shape[1])
        fits = [gaussian_log_ratio(v[train[f].numpy()], x.shape[1], shrink) for f in range(k)]
        quad = np.stack([a for a, _ in fits] + [np.zeros_like(fits[0][0])] * k)
        const = [cf for _, cf in fits] + [0.0] * k
        critics.set_offset(torch.as_tensor(quad, dtype=torch.float32, device=device),
                           torch.as_tensor(const, dtype=torch.float32, device=device))
    optimizer = torch.optim.Adam(critics.parameters(), lr=cfg.lr)
    batch = min(cfg.batch_size, train.shape[1])
    best_value = torch.full((c,), -math.inf, dtype=torch.float64)
    best_step = torch.zeros(c, dtype=torch.long)
    gain_value = torch.full((c,), -math.inf, dtype=torch.float64)  # best at the last real gain
    gain_step = torch.zeros(c, dtype=torch.long)
    best_state = [p.detach().clone() for p in critics.parameters()]
    alive = torch.ones(c, dtype=torch.bool)
    val_steps, val_curve = [], []
    bar = tqdm(total=cfg.max_steps, disable=not cfg.progress, desc="crossfit", leave=False)
    step, stop_reason = 0, "max_steps"
    for step in range(1, cfg.max_steps + 1):
        pick = torch.randint(train.shape[1], (c, batch), generator=gen)
        rows = torch.gather(train_c, 1, pick)
        xb, zb = xt[rows], zt[rows]
        shuffle = torch.argsort(torch.rand(c, batch, generator=gen), dim=1)
        zm = torch.gather(zb, 1, shuffle.unsqueeze(-1).expand_as(zb))
        scores = critics(torch.cat([torch.cat([xb, zb], -1), torch.cat([xb, zm], -1)], 1))
        t_joint, t_marg = scores[:, :batch], scores[:, batch:]
        per_critic = (torch.nn.functional.softplus(-t_joint).mean(1)
                      + torch.nn.functional.softplus(t_marg).mean(1))
        finite = torch.isfinite(per_critic.detach())
        alive &= finite
        if not alive.any():
            bar.close()
            raise DivergenceError(f"every critic diverged by step {step}; try a smaller learning "
                                  f"rate (now {cfg.lr}) or a larger batch (now {batch}).")
        loss = torch.where(alive, per_critic, torch.zeros_like(per_critic)).sum()
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()

        out_of_time = cfg.max_seconds is not None and time.perf_counter() - start > cfg.max_seconds
        if step % cfg.eval_every == 0 or step == cfg.max_steps or out_of_time:
            joint, marg = dv_parts(critics, xt, zt, val_c, val_perms)
            value = dv_of(joint, marg)
            alive &= torch.isfinite(value)
            val_steps.append(step)
            val_curve.append(value.numpy())
            smoothed = torch.as_tensor(np.mean(val_curve[-cfg.smooth:], axis=0))
            better = alive & (smoothed > best_value)
            best_value = torch.where(better, smoothed, best_value)
            best_step = torch.where(better, torch.full_like(best_step, step), best_step)
            for keep, p in zip(best_state, critics.parameters()):
                keep[better] = p.detach()[better]
            gained = alive & (smoothed > gain_value + cfg.min_delta)
            gain_value = torch.where(gained, smoothed, gain_value)
            gain_step = torch.where(gained, torch.full_like(gain_step, step), gain_step)
            bar.update(step - bar.n)
            if out_of_time:
                stop_reason = "max_seconds"
                break
            if (step - gain_step[alive]).min() >= cfg.patience * cfg.eval_every:
                stop_reason = "converged"
                break
    bar.close()
    with torch.no_grad():
        for keep, p in zip(best_state, critics.parameters()):
            p.copy_(keep)
    if not alive.any():
        raise DivergenceError("every critic's validation estimate became non-finite; try a "
                              f"smaller learning rate (now {cfg.lr}).")
    # each fold's critic: the better of its two on the validation fold (a dead one never wins)
    score = torch.where(alive, best_value, torch.full_like(best_value, -math.inf)).reshape(-1, k)
    chosen = score.argmax(0) * k + torch.arange(k)
    alive = alive[chosen]

    read_perms = permutation_perms(read.shape[1], cfg.readout_shuffles, rng)
    joint, marg = dv_parts(critics, xt, zt, read[fold_of], read_perms)
    every_read = dv_of(joint, marg).numpy()  # all c critics (diagnostics only)
    joint, marg = joint[chosen], marg[chosen]
    per_fold = dv_of(joint, marg).numpy()
    stderr = dv_stderr(joint, marg)
    ok = alive.numpy() & np.isfinite(per_fold)
    if not ok.any():
        raise DivergenceError("every critic's read-out was non-finite; try a smaller learning rate.")
    mi = float(per_fold[ok].mean())
    low, high, accounts = fold_interval(per_fold[ok], stderr[ok], cfg.ci_level)
    null = []
    if cfg.null_shuffles:  # the trained critics read out on pairs whose link is broken
        m = read.shape[1]
        for _ in range(cfg.null_shuffles):
            broken = torch.as_tensor(np.stack([rng.permutation(m) for _ in range(k)]))
            zr = torch.gather(read, 1, broken)
            j, g = dv_parts_pairs(critics, xt, zt, read[fold_of], zr[fold_of],
                                  permutation_perms(m, 5, rng))
            null.append(float(dv_of(j[chosen], g[chosen]).numpy()[ok].mean()))
    curve = np.array(val_curve)[:, chosen.numpy()]
    history = {"val_step": np.array(val_steps), "val_estimate": curve, "fold_estimates": per_fold,
               "fold_stderr": stderr, "fold_best_step": best_step[chosen].numpy(),
               "fold_offset": (chosen < k).numpy() if cfg.gaussian_offset else np.zeros(k, bool),
               "null": np.array(null), "stop": stop_reason,
               "critic_val_best": best_value.numpy().reshape(-1, k),
               "critic_read": every_read.reshape(-1, k)}
    result = MIEstimate(
        mi=mi, method="crossfit", n_train=int(train.shape[1]), n_val=int(val.shape[1]),
        n_test=int(read.numel()), steps=step,
        best_step=int(np.median(best_step[chosen].numpy()[ok])),
        seconds=time.perf_counter() - start, seed=cfg.seed, history=history, critic=critics,
        config=asdict(cfg), ci_low=low, ci_high=high, ci_level=cfg.ci_level, ci_accounts_for=accounts)
    result.warnings = crossfit_warnings(result, ok, cfg)
    return result


@torch.no_grad()
def dv_parts_pairs(critics, x, z, x_rows, z_rows, perms):
    """Like ``dv_parts``, with x from ``x_rows`` paired with z from ``z_rows``; scores clipped
    by ``read_cap``."""
    xr, zr = x[x_rows], z[z_rows]
    cap = read_cap(x_rows.shape[1])
    joint = critics(torch.cat([xr, zr], -1)).clamp(-cap, cap)
    marg = critics(torch.cat([xr.repeat(1, perms.shape[0], 1), zr[:, perms.reshape(-1)]], -1))
    return joint, marg.clamp(-cap, cap)


def fold_interval(values: np.ndarray, stderr: np.ndarray, level: float) -> tuple[float, float, str]:
    """A normal interval for the mean over folds. Its standard error is the larger of the
    read-out noise (the folds' delta-method errors) and the spread between the folds'
    critics, so that critics that disagree widen it."""
    from scipy.stats import norm, t

    k = len(values)
    noise = math.sqrt(float(np.sum(stderr ** 2))) / k
    spread = float(np.std(values, ddof=1)) / math.sqrt(k) if k > 1 else 0.0
    mean = float(values.mean())
    if spread > noise:  # the critics disagree more than read-out noise explains
        half = float(t.ppf(0.5 + level / 2, k - 1)) * spread
    else:
        half = float(norm.ppf(0.5 + level / 2)) * noise
    what = (f"read-out noise of all {k} folds' held-out rows and the spread between the {k} fold "
            f"critics; not the bias of a lower bound, which can sit below the truth")
    return mean - half, mean + half, what


CEILING_MARGIN = 2.0  # nats below log(rows per fold) at which the ceiling warning fires
ZERO_ALPHA = 0.05  # the permutation test's level


def crossfit_warnings(result: MIEstimate, ok: np.ndarray, cfg: CrossFitConfig) -> list[str]:
    warn = []
    h = result.history
    rows = result.n_test // cfg.folds
    ceiling = math.log(rows)
    if result.mi > ceiling - CEILING_MARGIN:
        warn.append(f"the estimate {result.mi:.2f} nats is close to log({rows}) = {ceiling:.2f}, the "
                    f"most a bound read out on {rows} rows per fold can reliably show (McAllester and "
                    f"Stratos 2020): the true MI may be much higher; more rows raise the ceiling")
    null = h["null"]
    if len(null):
        p = (1 + int(np.sum(null >= result.mi))) / (1 + len(null))
        if p > ZERO_ALPHA:
            warn.append(f"the estimate is not distinguishable from zero: {int(np.sum(null >= result.mi))} "
                        f"of {len(null)} read-outs on shuffled pairs reached it (p = {p:.2f})")
    if h["stop"] != "converged":
        curve = h["val_estimate"][:, ok].mean(1)  # the folds' mean validation read-out
        if np.argmax(curve) >= len(curve) - 2:  # its best among the last two evaluations
            why = "max_steps" if h["stop"] == "max_steps" else "max_seconds"
            warn.append(f"training was still improving when it stopped ({why} reached at step "
                        f"{result.steps}); a larger {why} may give a higher estimate")
    if not ok.all():
        warn.append(f"{int((~ok).sum())} of {cfg.folds} fold critics diverged and were left out")
    values = h["fold_estimates"][ok]
    if len(values) > 2:
        med = float(np.median(values))
        mad = float(np.median(np.abs(values - med))) + 0.02 + 0.05 * abs(med)
        odd = np.abs(values - med) > 5 * mad
        if odd.any():
            warn.append(f"{int(odd.sum())} fold estimate(s) stray far from the others "
                        f"({', '.join(f'{v:.2f}' for v in values)}): a critic may have diverged")
    return warn


# ---------------------------------------------------------------- public entry point

# method name -> (loss name, default loss options)
NEURAL_METHODS: dict[str, tuple[str, dict]] = {
    "mine": ("mine", {}),
    "mine-f": ("mine-f", {}),
    "nwj": ("mine-f", {}),
    "dv": ("dv", {}),
    "infonce": ("infonce", {}),
    "smile": ("smile", {"tau": 5.0}),
    "js": ("js", {}),
}

# method name -> TrainConfig fields that differ from the TrainConfig defaults
METHOD_SETTINGS: dict[str, dict] = {
    # InfoNCE scores every x against every z of the batch: with a concatenation critic that
    # is batch^2 network evaluations per step, so it uses the separable critic g(x).h(z).
    "infonce": {"critic": "separable"},
}

# options of estimate_mi that go to the objective rather than to TrainConfig
LOSS_OPTIONS = {"ema_rate": ("mine", "rate"), "tau": ("smile", "tau")}


def ksg_method(x, z, seed: int = 0, k: int = 3) -> MIEstimate:
    from .ksg import ksg_mi

    start = time.perf_counter()
    mi = ksg_mi(x, z, k=k, seed=seed)
    n = np.shape(x)[0] if np.ndim(x) else 0
    return MIEstimate(mi=mi, method="ksg", n_test=n, seconds=time.perf_counter() - start, seed=seed)


def crossfit_method(x, z, seed: int = 0, **options) -> MIEstimate:
    valid = {f.name for f in fields(CrossFitConfig)} - {"seed"}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)} for 'crossfit'; valid options: "
                         f"{', '.join(sorted(valid))}")
    return crossfit_estimate(x, z, CrossFitConfig(seed=seed, **options))


OTHER_METHODS = {"ksg": ksg_method, "crossfit": crossfit_method}


def methods() -> list[str]:
    return sorted([*NEURAL_METHODS, *OTHER_METHODS])


def estimate_mi(x, z, method: str = DEFAULT_METHOD, seed: int = 0, **options) -> MIEstimate:
    """Estimate I(X; Z) in nats from paired samples x (n, dx) and z (n, dz).

    ``method`` is one of ``methods()``; the default, "crossfit", is ``crossfit_estimate``
    (options: ``CrossFitConfig`` fields) and fills the interval (``ci_low``, ``ci_high``)
    and ``warnings``. Options of the other neural methods are ``TrainConfig`` fields
    (``batch_size``, ``lr``, ``max_steps``, ``hidden``, ...); ``ema_rate`` sets the
    moving-average rate of "mine". The returned object's ``mi`` is measured on held-out
    samples.
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise InputError(f"seed must be an integer from 0 to 2**64 - 1, got {seed!r}")
    if method not in NEURAL_METHODS and method not in OTHER_METHODS:
        raise InputError(f"unknown method {method!r}; choose one of {', '.join(methods())}")
    notes = constant_column_warnings(x, z)
    if method in OTHER_METHODS:
        result = OTHER_METHODS[method](x, z, seed=seed, **options)
        result.warnings.extend(notes)
        return result
    loss, loss_options = NEURAL_METHODS[method]
    loss_options = dict(loss_options)
    for option, (owner, name) in LOSS_OPTIONS.items():
        if option in options:
            if loss != owner:
                raise InputError(f"option {option!r} applies to method {owner!r}, not {method!r}")
            loss_options[name] = options.pop(option)
    valid = {f.name for f in fields(TrainConfig)} - {"loss", "loss_options", "seed"}
    unknown = sorted(set(options) - valid)
    if unknown:
        raise InputError(f"unknown option(s) {', '.join(unknown)}; valid options: "
                         f"{', '.join(sorted(valid | set(LOSS_OPTIONS)))}")
    settings = {**METHOD_SETTINGS.get(method, {}), **options}
    cfg = TrainConfig(loss=loss, loss_options=loss_options, seed=seed, **settings)
    try:
        objective = make_loss(loss, **loss_options)
    except (TypeError, ValueError) as err:
        raise InputError(f"bad options for {method!r}: {err}") from None
    result = train_critic(x, z, cfg, objective)
    result.method = method
    result.warnings.extend(notes)
    return result


# ---------------------------------------------------------------- uncertainty

@dataclass
class MIUncertainty:
    """Several estimates of one I(X; Z): their mean, spread and the values themselves."""

    method: str
    values: list[float]
    seeds: list[int]
    subsample: float | None
    seconds: float

    @property
    def mean(self) -> float:
        return float(np.mean(self.values))

    @property
    def std(self) -> float:
        """Sample standard deviation of the estimates (0 for one value)."""
        return float(np.std(self.values, ddof=1)) if len(self.values) > 1 else 0.0

    @property
    def stderr(self) -> float:
        return self.std / math.sqrt(len(self.values))

    def summary(self) -> dict:
        return {"units": "nats", "method": self.method, "mean": self.mean, "std": self.std,
                "stderr": self.stderr, "values": list(self.values), "seeds": list(self.seeds),
                "subsample": self.subsample, "seconds": self.seconds}


def estimate_with_uncertainty(x, z, method: str = DEFAULT_METHOD, seeds=(0, 1, 2, 3, 4),
                              subsample: float | None = None, **options) -> MIUncertainty:
    """Repeat ``estimate_mi`` over ``seeds`` and report the spread of the estimates.

    Each seed draws a new train / validation / test split, critic initialisation and
    minibatch order, so the spread measures how much one estimate depends on those choices.
    With ``subsample`` (a fraction in (0, 1)), each seed also keeps a random subset of the
    rows (drawn without replacement: a bootstrap's repeated rows would sit in both the
    training and the test split, or at distance zero for KSG), which adds the variation of
    the data themselves (for a subset of that size, so a little wider than for all rows).
    """
    seeds = [int(s) for s in seeds]
    if not seeds:
        raise InputError("estimate_with_uncertainty needs at least one seed")
    if subsample is not None and not 0.0 < subsample < 1.0:
        raise InputError(f"subsample must be a fraction in (0, 1) or None, got {subsample!r}")
    x, z = as_matrix("x", x), as_matrix("z", z)
    start = time.perf_counter()
    values = []
    for seed in seeds:
        xs, zs = x, z
        if subsample is not None:
            keep = np.random.default_rng(10_000 + seed).choice(
                len(x), size=max(2, int(round(subsample * len(x)))), replace=False)
            xs, zs = x[keep], z[keep]
        values.append(float(estimate_mi(xs, zs, method=method, seed=seed, **options).mi))
    return MIUncertainty(method=method, values=values, seeds=seeds, subsample=subsample,
                         seconds=time.perf_counter() - start)
