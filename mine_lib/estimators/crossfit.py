"""The default estimator (``method="crossfit"``): ``CrossFitConfig`` and ``crossfit_estimate``,
k critics trained at once on rotating folds, each read out on the fold it never saw, with an
interval and warnings.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math
import time
from dataclasses import asdict, dataclass, replace

import numpy as np
import torch
from tqdm.std import tqdm  # tqdm.auto warns "IProgress not found" in notebooks

from ..errors import DivergenceError, InputError
from ..stacking import StackedMLP
from ..utils import pick_device, standardize_columns
from .result import MIN_ROWS, MIEstimate, MIWarning, check_pair


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
    lower_level: float = 0.975  # the one-sided confidence level of the lower bound
    growth_check: bool = False  # also estimate on half the rows; warn if all rows read higher
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
        if not (isinstance(self.lower_level, (int, float)) and 0.5 <= self.lower_level < 1):
            raise InputError(f"lower_level must lie in [0.5, 1), got {self.lower_level!r}")
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


class CriticStack(StackedMLP):
    """``k`` independent concatenation critics T_f(x, z) = MLP_f([x, z]) evaluated together:
    input (k, rows, dx + dz), output (k, rows). A ``StackedMLP`` drawn fresh (layer by layer,
    like ``nn.Linear``), plus an optional Gaussian offset per critic."""

    def __init__(self, k: int, n_in: int, hidden: tuple[int, ...]):
        super().__init__(*StackedMLP.fresh_layers(k, [n_in, *hidden, 1]))
        self.quad: torch.Tensor | None = None  # (k, d, d): the Gaussian offset, if set
        self.const: torch.Tensor | None = None  # (k, 1)
        self.scale = torch.nn.Parameter(torch.ones(k, 1))  # how much of the offset each keeps

    def set_offset(self, quad: torch.Tensor, const: torch.Tensor) -> None:
        """Add -1/2 v^T quad_f v + const_f to critic f's output (v = [x, z])."""
        self.quad, self.const = quad, const.reshape(-1, 1)

    def forward(self, xz: torch.Tensor) -> torch.Tensor:
        out = super().forward(xz).squeeze(-1)
        if self.quad is not None:
            gauss = -0.5 * (torch.bmm(xz, self.quad) * xz).sum(-1) + self.const
            out = out + self.scale * gauss
        return out


def fitted_gaussian_log_ratio(v: np.ndarray, dx: int, shrink: float) -> tuple[np.ndarray, float]:
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


# Caps that keep large inputs fast (issue 22: 500,000 rows in under a minute). None binds
# below 50,000 rows (5 folds), so smaller inputs give the same numbers as without them.
VAL_ROWS = 10_000  # rows per validation fold that model selection reads at most
NULL_ROWS = 10_000  # rows per fold that each shuffled (null) read-out reads at most
READ_PAIRS = 500_000  # marginal pairs per critic in the read-out: fewer shuffles of more rows
CHUNK_ROWS = 32_768  # pairs per critic scored at once (bounds memory; larger inputs go in chunks)


def capped_rows(rows: torch.Tensor, cap: int, rng: np.random.Generator) -> torch.Tensor:
    """At most ``cap`` columns of the (k, m) row indices ``rows``, drawn at random (the same
    columns for every fold); ``rows`` itself, and no draw, when m <= cap."""
    m = rows.shape[1]
    if m <= cap:
        return rows
    keep = np.sort(rng.choice(m, cap, replace=False))
    return rows[:, torch.as_tensor(keep)]


def read_shuffles(m: int, wanted: int) -> int:
    """Marginal shuffles in a read-out on m rows per fold: ``wanted``, fewer when m * wanted
    exceeds ``READ_PAIRS`` (never under 5). More shuffles of the same m rows add little: the
    marginal term's noise is set by the m rows (``dv_stderr``)."""
    return min(wanted, max(5, READ_PAIRS // m))

# ---------------------------------------------------------------- the estimate, step by step

def crossfit_estimate(x, z, config: CrossFitConfig | None = None) -> MIEstimate:
    """I(X; Z) by cross-fitting: k critics trained with the Jensen-Shannon objective (the
    training signal of SMILE and of f-GAN classifiers: low variance, optimum log p/q), each
    read out with the DV bound on the fold it never saw; the estimate is the mean over folds,
    so every row counts once. Comes with an interval and warnings (see ``MIEstimate``).

    The steps, in the order they draw random numbers: ``prepared`` inputs, ``plan_folds``,
    ``make_critics``, ``train_critics``, ``choose_per_fold``, ``read_out``, ``null_read_outs``.
    """
    cfg = config or CrossFitConfig()
    cfg.check()
    x, z = check_pair(x, z, max(MIN_ROWS, 10 * cfg.folds))
    raw = (x, z)
    start = time.perf_counter()
    device = pick_device(cfg.device)
    rng = np.random.default_rng(cfg.seed)
    torch.manual_seed(cfg.seed)
    gen = torch.Generator().manual_seed(cfg.seed)
    x, z = prepared(x, z, cfg)
    xt = torch.as_tensor(x, dtype=torch.float32, device=device)
    zt = torch.as_tensor(z, dtype=torch.float32, device=device)
    plan = plan_folds(x.shape[0], cfg, rng)
    caps = np.random.default_rng([cfg.seed, 1])  # draws only where a cap binds (large inputs)
    plan.val = capped_rows(plan.val, VAL_ROWS, caps)
    val_perms = permutation_perms(plan.val.shape[1], 5, rng)
    critics = make_critics(x, z, plan, cfg, device)
    training = train_critics(critics, xt, zt, plan, val_perms, cfg, gen, start)
    chosen = choose_per_fold(training, plan.folds)
    out = read_out(critics, xt, zt, plan, chosen, training.alive[chosen], cfg, rng)
    lower, se, accounts = fold_lower_bound(out.per_fold[out.ok], out.stderr[out.ok], cfg.lower_level)
    null = null_read_outs(critics, xt, zt, plan, chosen, out.ok, cfg, rng, caps)
    result = MIEstimate(
        mi=float(out.per_fold[out.ok].mean()), method="crossfit", n_train=int(plan.train.shape[1]),
        n_val=int(plan.val.shape[1]), n_test=int(plan.read.numel()), steps=training.steps,
        best_step=int(np.median(training.best_step[chosen].numpy()[out.ok])),
        seconds=time.perf_counter() - start, seed=cfg.seed,
        history=fold_history(training, plan, chosen, out, null, cfg), critic=critics,
        config=asdict(cfg), lower_bound=lower, lower_level=cfg.lower_level, stderr=se,
        lower_accounts_for=accounts)
    result.warnings = crossfit_warnings(result, out.ok, cfg)
    if cfg.growth_check:
        add_growth_check(result, *raw, cfg)
    return result


def add_growth_check(result: MIEstimate, x: np.ndarray, z: np.ndarray, cfg: CrossFitConfig) -> None:
    """Estimate again on a random half of the rows (same settings) and keep it in
    ``history["growth"]``; warn "likely-higher" when all rows read higher than the half by
    more than the two estimates' noise explains."""
    n = x.shape[0]
    half = np.sort(np.random.default_rng([cfg.seed, 2]).choice(n, n // 2, replace=False))
    if len(half) < max(MIN_ROWS, 10 * cfg.folds):
        result.history["growth"] = None
        return
    part = crossfit_estimate(x[half], z[half], replace(cfg, growth_check=False, progress=False))
    result.history["growth"] = {"rows": len(half), "mi": part.mi, "stderr": part.stderr}
    warning = rising_with_rows(len(half), part.mi, part.stderr, n, result.mi, result.stderr)
    if warning is not None:
        result.warnings.append(warning)
    result.seconds += part.seconds


GROWTH_Z = 2.33  # one-sided 99 %: how many standard errors of rise count as "still rising"


def rising_with_rows(rows_part: int, mi_part: float, se_part: float, rows: int, mi: float,
                     se: float) -> MIWarning | None:
    """A "likely-higher" warning when the estimate on ``rows`` rows exceeds that on
    ``rows_part`` of them by more than ``GROWTH_Z`` standard errors of the difference (the two
    errors taken as independent; the estimates share rows, so this errs toward silence). A
    lower-bound estimate that still rises with the rows has not reached the truth."""
    diff, noise = mi - mi_part, math.hypot(se, se_part)
    if not (math.isfinite(diff) and noise > 0) or diff <= GROWTH_Z * noise:
        return None
    return MIWarning(
        "likely-higher",
        f"the estimate still rises with the rows: {mi_part:.3f} nats on {rows_part} rows, "
        f"{mi:.3f} on all {rows} ({diff / noise:.1f} standard errors higher); an estimate "
        f"that has not settled in the sample size reads low, so the truth is likely higher")


def prepared(x: np.ndarray, z: np.ndarray, cfg: CrossFitConfig) -> tuple[np.ndarray, np.ndarray]:
    """What the critics see: each column's rank-Gaussian scores, or the columns standardised."""
    if cfg.rank_gauss:
        return rank_gauss(x), rank_gauss(z)
    return standardize_columns(x, x), standardize_columns(z, z)


@dataclass
class FoldPlan:
    """Which rows each critic trains, selects and reads out on. ``read``, ``val`` and
    ``train`` hold (k, m) row indices, one row per fold: critic f reads out on fold f, selects
    its best state on fold f + 1 (at most ``VAL_ROWS`` of its rows) and trains on the others. There are c critics, critic j
    belonging to fold ``fold_of[j]`` = j % k (c = 2k with the Gaussian offset, else k)."""

    read: torch.Tensor
    val: torch.Tensor
    train: torch.Tensor
    fold_of: torch.Tensor

    @property
    def folds(self) -> int:
        return self.read.shape[0]

    @property
    def critics(self) -> int:
        return self.fold_of.shape[0]


def plan_folds(n: int, cfg: CrossFitConfig, rng: np.random.Generator) -> FoldPlan:
    k = cfg.folds
    folds = fold_rows(n, k, rng)
    read = stack_rows(folds)  # critic f reads out on fold f
    val = stack_rows([folds[(f + 1) % k] for f in range(k)])  # and selects on fold f + 1
    train = stack_rows([np.concatenate([folds[g] for g in range(k) if g not in (f, (f + 1) % k)])
                        for f in range(k)])
    # With the Gaussian offset each fold trains two critics, with and without it, and keeps the
    # one its validation fold prefers: the offset helps near-Gaussian dependence (25 + 25
    # dimensions) and hurts heavy shared tails. Critic j belongs to fold j % k.
    c = 2 * k if cfg.gaussian_offset else k
    return FoldPlan(read=read, val=val, train=train, fold_of=torch.arange(c) % k)


def make_critics(x: np.ndarray, z: np.ndarray, plan: FoldPlan, cfg: CrossFitConfig,
                 device) -> CriticStack:
    """The c critics, initialised from torch's global generator; with the Gaussian offset the
    first k start from the Gaussian log ratio fitted to their fold's training rows."""
    k = plan.folds
    critics = CriticStack(plan.critics, x.shape[1] + z.shape[1],
                          tuple(int(h) for h in cfg.hidden)).to(device)
    if cfg.gaussian_offset:
        v = np.concatenate([x, z], 1)
        shrink = min(0.5, v.shape[1] / plan.train.shape[1])
        fits = [fitted_gaussian_log_ratio(v[plan.train[f].numpy()], x.shape[1], shrink) for f in range(k)]
        quad = np.stack([a for a, _ in fits] + [np.zeros_like(fits[0][0])] * k)
        const = [cf for _, cf in fits] + [0.0] * k
        critics.set_offset(torch.as_tensor(quad, dtype=torch.float32, device=device),
                           torch.as_tensor(const, dtype=torch.float32, device=device))
    return critics


def js_losses(critics: CriticStack, x: torch.Tensor, z: torch.Tensor, train_rows: torch.Tensor,
              batch: int, gen: torch.Generator) -> torch.Tensor:
    """Each critic's Jensen-Shannon loss (c,) on a minibatch of its training rows
    ``train_rows`` (c, m); marginal pairs shuffle z within the batch."""
    c = train_rows.shape[0]
    pick = torch.randint(train_rows.shape[1], (c, batch), generator=gen)
    rows = torch.gather(train_rows, 1, pick)
    xb, zb = x[rows], z[rows]
    shuffle = torch.argsort(torch.rand(c, batch, generator=gen), dim=1)
    zm = torch.gather(zb, 1, shuffle.unsqueeze(-1).expand_as(zb))
    scores = critics(torch.cat([torch.cat([xb, zb], -1), torch.cat([xb, zm], -1)], 1))
    t_joint, t_marg = scores[:, :batch], scores[:, batch:]
    return (torch.nn.functional.softplus(-t_joint).mean(1)
            + torch.nn.functional.softplus(t_marg).mean(1))


class BestStates:
    """Per critic: the parameters of its best smoothed validation read-out so far (``value``,
    at ``step``), and the step of its last real gain (more than ``min_delta`` nats), which
    decides when training stops."""

    def __init__(self, critics: CriticStack, c: int, min_delta: float):
        self.value = torch.full((c,), -math.inf, dtype=torch.float64)
        self.step = torch.zeros(c, dtype=torch.long)
        self.gain_value = torch.full((c,), -math.inf, dtype=torch.float64)  # best at the last real gain
        self.gain_step = torch.zeros(c, dtype=torch.long)
        self.state = [p.detach().clone() for p in critics.parameters()]
        self.min_delta = min_delta

    def update(self, critics: CriticStack, step: int, smoothed: torch.Tensor,
               alive: torch.Tensor) -> None:
        better = alive & (smoothed > self.value)
        self.value = torch.where(better, smoothed, self.value)
        self.step = torch.where(better, torch.full_like(self.step, step), self.step)
        for keep, p in zip(self.state, critics.parameters()):
            keep[better] = p.detach()[better]
        gained = alive & (smoothed > self.gain_value + self.min_delta)
        self.gain_value = torch.where(gained, smoothed, self.gain_value)
        self.gain_step = torch.where(gained, torch.full_like(self.gain_step, step), self.gain_step)

    def stalled(self, step: int, alive: torch.Tensor, steps: int) -> bool:
        """Every live critic has gone ``steps`` steps without a real gain (true when none
        is alive: there is nothing left to train)."""
        return not alive.any() or bool((step - self.gain_step[alive]).min() >= steps)

    def restore(self, critics: CriticStack) -> None:
        with torch.no_grad():
            for keep, p in zip(self.state, critics.parameters()):
                p.copy_(keep)


@dataclass
class FoldTraining:
    """What training left, per critic (c,): the best smoothed validation read-out, its step,
    and whether the critic stayed finite; and the validation curve, the last step and why
    training stopped ("converged", "max_steps" or "max_seconds")."""

    best_value: torch.Tensor
    best_step: torch.Tensor
    alive: torch.Tensor
    val_steps: list
    val_curve: list
    steps: int
    stop: str


def train_critics(critics: CriticStack, xt: torch.Tensor, zt: torch.Tensor, plan: FoldPlan,
                  val_perms: torch.Tensor, cfg: CrossFitConfig, gen: torch.Generator,
                  start: float) -> FoldTraining:
    """Train all c critics at once; each keeps the state its validation fold liked best. A
    critic whose loss or read-out turns non-finite stops counting; training stops when every
    live one has stalled for ``patience`` evaluations, or at ``max_steps`` or ``max_seconds``
    (timed from ``start``)."""
    c = plan.critics
    train_c, val_c = plan.train[plan.fold_of], plan.val[plan.fold_of]
    optimizer = torch.optim.Adam(critics.parameters(), lr=cfg.lr)
    batch = min(cfg.batch_size, plan.train.shape[1])
    best = BestStates(critics, c, cfg.min_delta)
    alive = torch.ones(c, dtype=torch.bool)
    val_steps, val_curve = [], []
    bar = tqdm(total=cfg.max_steps, disable=not cfg.progress, desc="crossfit", leave=False)
    step, stop_reason = 0, "max_steps"
    for step in range(1, cfg.max_steps + 1):
        per_critic = js_losses(critics, xt, zt, train_c, batch, gen)
        alive &= torch.isfinite(per_critic.detach())
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
            best.update(critics, step, smoothed, alive)
            bar.update(step - bar.n)
            if out_of_time:
                stop_reason = "max_seconds"
                break
            if best.stalled(step, alive, cfg.patience * cfg.eval_every):
                stop_reason = "converged"
                break
    bar.close()
    best.restore(critics)
    if not alive.any():
        raise DivergenceError("every critic's validation estimate became non-finite; try a "
                              f"smaller learning rate (now {cfg.lr}).")
    return FoldTraining(best_value=best.value, best_step=best.step, alive=alive,
                        val_steps=val_steps, val_curve=val_curve, steps=step, stop=stop_reason)


def choose_per_fold(training: FoldTraining, k: int) -> torch.Tensor:
    """Each fold's critic (k,): the better of its two on the validation fold (a dead one
    never wins); with one critic per fold, that one."""
    best = training.best_value
    score = torch.where(training.alive, best, torch.full_like(best, -math.inf)).reshape(-1, k)
    return score.argmax(0) * k + torch.arange(k)


@dataclass
class ReadOut:
    """The DV read-out of each fold by its chosen critic, with its delta-method standard
    error; ``ok`` marks the folds that count (alive and finite); ``every_critic`` holds all c
    critics' read-outs (diagnostics only)."""

    per_fold: np.ndarray
    stderr: np.ndarray
    ok: np.ndarray
    every_critic: np.ndarray


def read_out(critics: CriticStack, xt: torch.Tensor, zt: torch.Tensor, plan: FoldPlan,
             chosen: torch.Tensor, alive: torch.Tensor, cfg: CrossFitConfig,
             rng: np.random.Generator) -> ReadOut:
    m = plan.read.shape[1]
    read_perms = permutation_perms(m, read_shuffles(m, cfg.readout_shuffles), rng)
    joint, marg = dv_parts(critics, xt, zt, plan.read[plan.fold_of], read_perms)
    every_read = dv_of(joint, marg).numpy()  # all c critics (diagnostics only)
    joint, marg = joint[chosen], marg[chosen]
    per_fold = dv_of(joint, marg).numpy()
    stderr = dv_stderr(joint, marg)
    ok = alive.numpy() & np.isfinite(per_fold)
    if not ok.any():
        raise DivergenceError("every critic's read-out was non-finite; try a smaller learning rate.")
    return ReadOut(per_fold=per_fold, stderr=stderr, ok=ok, every_critic=every_read)


def null_read_outs(critics: CriticStack, xt: torch.Tensor, zt: torch.Tensor, plan: FoldPlan,
                   chosen: torch.Tensor, ok: np.ndarray, cfg: CrossFitConfig,
                   rng: np.random.Generator, caps: np.random.Generator) -> np.ndarray:
    """The zero test's null: the trained critics read out on pairs whose link is broken (z
    shuffled within each fold), ``null_shuffles`` times; the mean over the folds that count.
    Each fold reads at most ``NULL_ROWS`` of its rows (the same ones every time)."""
    null = []
    read = capped_rows(plan.read, NULL_ROWS, caps) if cfg.null_shuffles else plan.read
    m, k = read.shape[1], plan.folds
    for _ in range(cfg.null_shuffles):
        broken = torch.as_tensor(np.stack([rng.permutation(m) for _ in range(k)]))
        zr = torch.gather(read, 1, broken)
        j, g = dv_parts_pairs(critics, xt, zt, read[plan.fold_of], zr[plan.fold_of],
                              permutation_perms(m, 5, rng))
        null.append(float(dv_of(j[chosen], g[chosen]).numpy()[ok].mean()))
    return np.array(null)


def fold_history(training: FoldTraining, plan: FoldPlan, chosen: torch.Tensor, out: ReadOut,
                 null: np.ndarray, cfg: CrossFitConfig) -> dict:
    """The curves and per-fold numbers an ``MIEstimate`` of the default carries."""
    k = plan.folds
    return {"val_step": np.array(training.val_steps),
            "val_estimate": np.array(training.val_curve)[:, chosen.numpy()],
            "fold_estimates": out.per_fold, "fold_stderr": out.stderr,
            "fold_best_step": training.best_step[chosen].numpy(),
            "fold_offset": (chosen < k).numpy() if cfg.gaussian_offset else np.zeros(k, bool),
            "null": null, "stop": training.stop,
            "critic_val_best": training.best_value.numpy().reshape(-1, k),
            "critic_read": out.every_critic.reshape(-1, k)}


@torch.no_grad()
def dv_parts_pairs(critics, x, z, x_rows, z_rows, perms):
    """Like ``dv_parts``, with x from ``x_rows`` paired with z from ``z_rows``; scores clipped
    by ``read_cap``."""
    xr, zr = x[x_rows], z[z_rows]
    m = x_rows.shape[1]
    cap = read_cap(m)
    joint = scores_of_pairs(critics, xr, zr, torch.arange(m), torch.arange(m)).clamp(-cap, cap)
    marg = scores_of_pairs(critics, xr, zr, torch.arange(m).repeat(perms.shape[0]), perms.reshape(-1))
    return joint, marg.clamp(-cap, cap)


def scores_of_pairs(critics, xr: torch.Tensor, zr: torch.Tensor, x_pos: torch.Tensor,
                    z_pos: torch.Tensor) -> torch.Tensor:
    """Critic f's scores (c, p) of the pairs (xr[f, x_pos[i]], zr[f, z_pos[i]]), at most
    ``CHUNK_ROWS`` pairs per critic at a time."""
    out = []
    for start in range(0, len(x_pos), CHUNK_ROWS):
        part = slice(start, start + CHUNK_ROWS)
        out.append(critics(torch.cat([xr[:, x_pos[part]], zr[:, z_pos[part]]], -1)))
    return out[0] if len(out) == 1 else torch.cat(out, 1)


def fold_lower_bound(values: np.ndarray, stderr: np.ndarray, level: float) -> tuple[float, float, str]:
    """A one-sided lower confidence bound at ``level`` for the mean over folds, with the
    standard error it uses: the larger of the read-out noise (the folds' delta-method errors)
    and the spread between the folds' critics (then with a t quantile), so that critics that
    disagree lower it. A critic read out on rows it never saw gives the DV bound of that
    critic, below the MI however well or badly it trained (up to the read-out's small
    finite-sample bias), so only noise can put the bound above the truth. Returns
    (bound, standard error, what it accounts for)."""
    from scipy.stats import norm, t

    k = len(values)
    noise = math.sqrt(float(np.sum(stderr ** 2))) / k
    spread = float(np.std(values, ddof=1)) / math.sqrt(k) if k > 1 else 0.0
    mean = float(values.mean())
    if spread > noise:  # the critics disagree more than read-out noise explains
        se, quantile = spread, float(t.ppf(level, k - 1))
    else:
        se, quantile = noise, float(norm.ppf(level))
    what = (f"read-out noise of all {k} folds' held-out rows and the spread between the {k} fold "
            f"critics; no upper end is given, since a lower bound's bias can put the estimate "
            f"far below the truth")
    return mean - quantile * se, se, what


DISAGREE_LEVEL = 0.99  # the chi-square test of the folds' spread against their read-out noise


def critics_disagree(values: np.ndarray, stderr: np.ndarray) -> MIWarning | None:
    """A "likely-higher" warning when the fold read-outs spread more than their delta-method
    errors explain (chi-square test at ``DISAGREE_LEVEL``). Each read-out is a lower bound of
    the truth for its critic; critics that really differ mean some trained worse than others,
    so the mean of all lies below the best of them, and below the truth."""
    from scipy.stats import chi2

    k = len(values)
    if k < 3 or not np.all(stderr > 0):
        return None
    statistic = float(np.sum(((values - values.mean()) / stderr) ** 2))
    if statistic <= chi2.ppf(DISAGREE_LEVEL, k - 1):
        return None
    return MIWarning(
        "likely-higher",
        f"the {k} fold critics disagree beyond their read-out noise "
        f"({', '.join(f'{v:.3f}' for v in values)}; chi-square {statistic:.1f} on {k - 1} degrees "
        f"of freedom): some trained worse than others, and each reads out below the truth, so "
        f"the truth is likely higher than their mean")


CEILING_MARGIN = 2.0  # nats below log(rows per fold) at which the ceiling warning fires
ZERO_ALPHA = 0.05  # the permutation test's level


def crossfit_warnings(result: MIEstimate, ok: np.ndarray, cfg: CrossFitConfig) -> list[MIWarning]:
    warn = []
    h = result.history
    rows = result.n_test // cfg.folds
    ceiling = math.log(rows)
    if result.mi > ceiling - CEILING_MARGIN:
        warn.append(MIWarning(
            "near-log-n",
            f"the estimate {result.mi:.2f} nats is close to log({rows}) = {ceiling:.2f}, the "
            f"most a bound read out on {rows} rows per fold can reliably show (McAllester and "
            f"Stratos 2020): the true MI may be much higher; more rows raise the ceiling"))
    null = h["null"]
    if len(null):
        p = (1 + int(np.sum(null >= result.mi))) / (1 + len(null))
        if p > ZERO_ALPHA:
            warn.append(MIWarning(
                "indistinguishable-from-zero",
                f"the estimate is not distinguishable from zero: {int(np.sum(null >= result.mi))} "
                f"of {len(null)} read-outs on shuffled pairs reached it (p = {p:.2f})"))
    if h["stop"] != "converged":
        curve = h["val_estimate"][:, ok].mean(1)  # the folds' mean validation read-out
        if np.argmax(curve) >= len(curve) - 2:  # its best among the last two evaluations
            why = "max_steps" if h["stop"] == "max_steps" else "max_seconds"
            warn.append(MIWarning(
                "still-rising",
                f"training was still improving when it stopped ({why} reached at step "
                f"{result.steps}); a larger {why} may give a higher estimate"))
    if not ok.all():
        warn.append(MIWarning(
            "folds-diverged",
            f"{int((~ok).sum())} of {cfg.folds} fold critics diverged and were left out"))
    values = h["fold_estimates"][ok]
    disagree = critics_disagree(values, h["fold_stderr"][ok])
    if disagree is not None:
        warn.append(disagree)
    if len(values) > 2:
        med = float(np.median(values))
        mad = float(np.median(np.abs(values - med))) + 0.02 + 0.05 * abs(med)
        odd = np.abs(values - med) > 5 * mad
        if odd.any():
            warn.append(MIWarning(
                "fold-outlier",
                f"{int(odd.sum())} fold estimate(s) stray far from the others "
                f"({', '.join(f'{v:.2f}' for v in values)}): a critic may have diverged"))
    return warn
