"""Computations behind the theory chapters: mutual information, the dual bounds, MINE.

Three groups of functions, one per chapter:

* chapter 1 (mutual information): a worked example with zero correlation and a known MI,
  ``Z = X^2 + sigma * eps``, whose MI is computed by numerical integration; the Gaussian
  log density ratio; the classical estimators (histogram, kernel density, KSG) in growing
  dimension;
* chapter 2 (the dual bounds): Donsker-Varadhan and NWJ bounds of a scaled and shifted
  optimal critic on correlated Gaussians, in closed form and by Monte Carlo;
* chapter 3 (the MINE estimator): the bias of the minibatch gradient of a fixed critic,
  measured against the full-sample gradient, and a consistency sweep over the sample size.

Every function returns plain numbers, numpy arrays or lists of dicts (one dict per row).

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import functools
import math
import time

import numpy as np
import pandas as pd
import torch
from scipy import signal, stats

from .. import bounds
from ..classic import histogram_mi, kde_mi
from ..errors import InputError
from ..estimator import as_matrix, estimate_mi
from ..ksg import ksg_mi
from ..tasks import Task, correlated_gaussian, gaussian_mi, rho_for_mi  # noqa: F401 (chapters call theory.rho_for_mi)

# ================================================================ Gaussian density ratio


def gaussian_log_ratio(x: np.ndarray, z: np.ndarray, rho: float) -> np.ndarray:
    """log dP_XZ / d(P_X x P_Z) at each pair, for componentwise-correlated standard Gaussians.

    Per component: -(1/2) log(1 - rho^2) - (rho^2 (x^2 + z^2) - 2 rho x z) / (2 (1 - rho^2)).
    """
    gaussian_mi(1, rho)  # validates rho
    x, z = as_matrix("x", x), as_matrix("z", z)
    if x.shape != z.shape:
        raise InputError(f"x and z must have the same shape, got {x.shape} and {z.shape}")
    q = 1.0 - rho * rho
    per_dim = -0.5 * math.log(q) - (rho * rho * (x * x + z * z) - 2.0 * rho * x * z) / (2.0 * q)
    return per_dim.sum(axis=1)


def log_ratio_moment(dim: int, rho: float, power: float) -> float:
    """log E_Q[r^power] for the Gaussian density ratio r = dP/dQ (Q = product of marginals).

    E_Q[r^a] = int p^a q^(1-a) is finite only for a < 1 + 1/|rho| (then +inf is returned).
    Per component: -(a/2) log(1 - rho^2) - (1/2) log((1 - a + a/(1+rho)) (1 - a + a/(1-rho))).
    """
    gaussian_mi(dim, rho)
    eig = [1.0 - power + power / (1.0 + rho), 1.0 - power + power / (1.0 - rho)]
    if min(eig) <= 0.0:
        return math.inf
    return dim * (-0.5 * power * math.log1p(-rho * rho) - 0.5 * math.log(eig[0] * eig[1]))


def shifted_critic_bounds(dim: int, rho: float, scale: float, shift: float) -> tuple[float, float]:
    """Exact (DV, NWJ) bounds of the critic T = scale * log r + shift on the Gaussian pair.

    DV  = scale * I - log E_Q[r^scale]                      (the shift cancels)
    NWJ = scale * I + shift - exp(shift - 1 + log E_Q[r^scale])
    Both are -inf when E_Q[r^scale] is infinite.
    """
    mi = gaussian_mi(dim, rho)
    moment = log_ratio_moment(dim, rho, scale)
    if math.isinf(moment):
        return -math.inf, -math.inf
    return scale * mi - moment, scale * mi + shift - math.exp(shift - 1.0 + moment)


def sampled_critic_bounds(dim: int, rho: float, scales, shifts, n: int, repeats: int,
                          seed: int = 0) -> list[dict]:
    """Monte Carlo DV and NWJ bounds (mine_lib.bounds) of T = scale * log r + shift.

    Each repeat draws n joint pairs and forms marginal pairs by shuffling z, as MINE does.
    One row per (scale, shift, repeat), with the exact values beside the sampled ones.
    """
    rows = []
    for rep in range(repeats):
        x, z = correlated_gaussian(n, dim, rho, seed=seed + rep)
        perm = np.random.default_rng(seed + 10_000 + rep).permutation(n)
        log_r_joint = torch.as_tensor(gaussian_log_ratio(x, z, rho))
        log_r_marg = torch.as_tensor(gaussian_log_ratio(x, z[perm], rho))
        for scale in scales:
            for shift in shifts:
                tj, tm = scale * log_r_joint + shift, scale * log_r_marg + shift
                dv, nwj = shifted_critic_bounds(dim, rho, scale, shift)
                rows.append({"scale": float(scale), "shift": float(shift), "repeat": rep,
                             "dv": float(bounds.dv_bound(tj, tm)),
                             "nwj": float(bounds.nwj_bound(tj, tm)),
                             "dv_exact": dv, "nwj_exact": nwj})
    return rows


def bound_summary(rows, keys) -> pd.DataFrame:
    """Per value of ``keys`` (e.g. ["shift"]) of ``sampled_critic_bounds`` rows: the mean and
    standard deviation over repeats of each sampled bound, beside its exact value."""
    return pd.DataFrame(rows).groupby(list(keys)).agg(
        dv=("dv", "mean"), dv_sd=("dv", "std"), nwj=("nwj", "mean"), nwj_sd=("nwj", "std"),
        dv_exact=("dv_exact", "first"), nwj_exact=("nwj_exact", "first")).reset_index()


# ================================================================ Z = X^2 + sigma * eps


def square_noise_sample(n: int, sigma: float, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, 1), Z = X^2 + sigma * eps: cov(X, Z) = E[X^3] = 0, yet Z depends on X."""
    check_sigma(sigma)
    if n < 1:
        raise InputError(f"n must be positive, got {n}")
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 1))
    z = x * x + sigma * rng.standard_normal((n, 1))
    return x, z


def check_sigma(sigma: float) -> None:
    if not (isinstance(sigma, (int, float, np.floating)) and sigma > 0 and math.isfinite(sigma)):
        raise InputError(f"sigma must be a positive number, got {sigma!r}")


def square_noise_density(sigma: float, points_per_sigma: int = 40,
                         tail: float = 1e-15) -> tuple[np.ndarray, np.ndarray, float]:
    """The density of Z = U + sigma * eps, U = X^2 ~ chi^2_1, on a grid: (grid, density, step).

    U is cut into cells of width h = sigma / points_per_sigma; each cell's exact mass
    (chi^2_1 distribution function) sits at the cell's exact conditional mean (from the
    chi^2_3 distribution function, since u f_1(u) = f_3(u)); the Gaussian of width sigma
    is then summed over the cells within 10 sigma of each grid point. A point mass lacks its
    cell's spread (variance about h^2 / 12, Sheppard's correction), so the Gaussian summed
    is widened to variance sigma^2 + h^2 / 12 to keep Var(Z) = 2 + sigma^2.
    """
    check_sigma(sigma)
    if points_per_sigma < 4:
        raise InputError(f"points_per_sigma must be at least 4, got {points_per_sigma}")
    h = sigma / points_per_sigma
    u_max = stats.chi2.isf(tail, 1)
    edges = np.arange(0.0, u_max + h, h)
    mass = -np.diff(stats.chi2.sf(edges, 1))
    first_moment = -np.diff(stats.chi2.sf(edges, 3))
    mid = 0.5 * (edges[:-1] + edges[1:])
    centre = np.where(mass > 0, first_moment / np.where(mass > 0, mass, 1.0), mid)
    pad = 10 * points_per_sigma
    grid = (np.arange(len(mass) + 2 * pad) - pad + 0.5) * h  # cell k's midpoint is grid[k + pad]
    density = np.zeros_like(grid)
    cells = np.arange(len(mass))
    width = math.sqrt(sigma * sigma + h * h / 12.0)
    for offset in range(-pad, pad + 1):
        j = cells + pad + offset
        density[j] += mass * np.exp(-0.5 * ((grid[j] - centre) / width) ** 2)
    density /= width * math.sqrt(2.0 * math.pi)
    return grid, density, h


def square_noise_mi(sigma: float, points_per_sigma: int = 40) -> float:
    """I(X; Z) in nats for Z = X^2 + sigma * eps: h(Z) - h(Z | X) = h(Z) - log(sigma sqrt(2 pi e)).

    h(Z) = -int p log p is summed on the grid of square_noise_density (midpoint rule).
    """
    _, p, h = square_noise_density(sigma, points_per_sigma)
    p = p[p > 0]
    h_z = -float(np.sum(p * np.log(p)) * h)
    return h_z - 0.5 * math.log(2.0 * math.pi * math.e * sigma * sigma)


def square_noise_log_ratio(x: np.ndarray, z: np.ndarray, sigma: float) -> np.ndarray:
    """log p(z | x) - log p(z) at each pair: the optimal critic log dP_XZ / d(P_X x P_Z).

    Its mean under the joint is I(X; Z); p(z) is interpolated from square_noise_density.
    """
    grid, p, _ = square_noise_density(sigma)
    x, z = as_matrix("x", x)[:, 0], as_matrix("z", z)[:, 0]
    log_cond = stats.norm.logpdf(z, loc=x * x, scale=sigma)
    log_marg = np.interp(z, grid, np.log(np.maximum(p, 1e-300)))
    return log_cond - log_marg


def gaussian_formula_mi(x: np.ndarray, z: np.ndarray) -> float:
    """The MI of a Gaussian with the same covariance: (1/2) log(det S_x det S_z / det S).

    In one dimension this is -(1/2) log(1 - r^2): all that the correlation r can see.
    """
    x, z = as_matrix("x", x), as_matrix("z", z)
    cov = np.atleast_2d(np.cov(np.hstack([x, z]), rowvar=False))
    dx = x.shape[1]
    logdet = lambda m: np.linalg.slogdet(np.atleast_2d(m))[1]  # noqa: E731
    return 0.5 * float(logdet(cov[:dx, :dx]) + logdet(cov[dx:, dx:]) - logdet(cov))


# ================================================================ classical estimators


ESTIMATORS = {
    "ksg": lambda x, z, seed: ksg_mi(x, z, k=3, seed=seed),
    "histogram": lambda x, z, seed: histogram_mi(x, z),
    "kde": lambda x, z, seed: kde_mi(x, z),
}


def dimension_sweep(dims, mi: float, n: int, seeds, estimators=("ksg", "histogram", "kde")) -> list[dict]:
    """Classical estimates of a fixed MI (Gaussian, ``mi`` nats in total) as dimension grows.

    One row per (estimator, dim, seed): the estimate, the error and the seconds it took.
    """
    unknown = sorted(set(estimators) - set(ESTIMATORS))
    if unknown:
        raise InputError(f"unknown estimator(s) {unknown}; choose from {sorted(ESTIMATORS)}")
    rows = []
    for dim in dims:
        rho = rho_for_mi(dim, mi)
        for seed in seeds:
            x, z = correlated_gaussian(n, dim, rho, seed=seed)
            for name in estimators:
                start = time.perf_counter()
                value = ESTIMATORS[name](x, z, seed)
                rows.append({"estimator": name, "dim": dim, "seed": seed, "n": n, "true_mi": mi,
                             "estimate": value, "error": value - mi,
                             "seconds": time.perf_counter() - start})
    return rows


# ================================================================ MINE: the minibatch gradient bias

METHODS = ("dv", "mine", "mine-f")


def critic_scores(critic: torch.nn.Module, x, z) -> np.ndarray:
    """T(x_i, z_i) for each row, as float64 numpy (no gradient)."""
    with torch.no_grad():
        return critic(torch.as_tensor(x, dtype=torch.float32),
                      torch.as_tensor(z, dtype=torch.float32)).double().numpy()


def marginal_pool(x: np.ndarray, z: np.ndarray, shuffles: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Pairs from the product of marginals: x repeated, z shuffled ``shuffles`` times."""
    rng = np.random.default_rng(seed)
    perms = [rng.permutation(len(z)) for _ in range(shuffles)]
    return np.concatenate([x] * shuffles), np.concatenate([z[p] for p in perms])


def per_batch_weights(scores: np.ndarray, idx: np.ndarray, method: str, rate: float = 0.01) -> np.ndarray:
    """The weight of each marginal sample in the gradient of one batch's marginal term.

    A batch's objective gradient is mean(dT_joint) - sum_j w_j dT(marg_j), with
    dv: w = softmax of the batch's scores (the gradient of log mean e^T);
    mine: w = e^T_j / (B * avg), avg the moving average of the batch means of e^T, as
    objectives.MineLoss keeps it (started at the first batch's mean; weight ``rate`` for the new
    batch); mine-f: w = e^(T_j - 1) / B. ``idx`` holds the batches' rows, shape (batches, B).
    """
    s = scores[idx]
    batch = idx.shape[1]
    if method == "dv":
        w = np.exp(s - s.max(axis=1, keepdims=True))
        return w / w.sum(axis=1, keepdims=True)
    if method == "mine":
        top = float(scores.max())
        e = np.exp(s - top)
        means = e.mean(axis=1)
        avg, _ = signal.lfilter([rate], [1.0, rate - 1.0], means, zi=[(1.0 - rate) * means[0]])
        return e / (batch * avg[:, None])
    if method == "mine-f":
        return np.exp(s - 1.0) / batch
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def reference_weights(scores: np.ndarray, method: str) -> np.ndarray:
    """The same weights for one batch holding the whole pool (the full-sample gradient)."""
    if method in ("dv", "mine"):
        w = np.exp(scores - scores.max())
        return w / w.sum()
    if method == "mine-f":
        return np.exp(scores - 1.0) / len(scores)
    raise InputError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def weighted_gradient(critic: torch.nn.Module, x, z, weights: np.ndarray) -> np.ndarray:
    """The gradient of sum_p weights_p T(x_p, z_p) with respect to the critic's parameters."""
    params = [p for p in critic.parameters() if p.requires_grad]
    t = critic(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(z, dtype=torch.float32))
    grads = torch.autograd.grad((t * torch.as_tensor(weights, dtype=t.dtype)).sum(), params)
    return torch.cat([g.reshape(-1) for g in grads]).double().numpy()


def draw_batches(pool: int, batch: int, n_batches: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of n_batches batches drawn with replacement, as the trainer draws them."""
    return rng.integers(0, pool, size=(n_batches, batch))


def mean_batch_weights(scores: np.ndarray, idx: np.ndarray, method: str, rate: float,
                       groups: int, skip: int = 0) -> np.ndarray:
    """Mean weight of each pool sample over the batches idx[skip:], in ``groups`` consecutive
    blocks: shape (groups, pool). Batches before ``skip`` only warm the moving average up."""
    w = per_batch_weights(scores, idx, method, rate)[skip:]
    rows = idx[skip:]
    per_group = len(rows) // groups
    out = np.empty((groups, len(scores)))
    for g in range(groups):
        block = slice(g * per_group, (g + 1) * per_group)
        out[g] = np.bincount(rows[block].ravel(), w[block].ravel(), minlength=len(scores)) / per_group
    return out


@functools.lru_cache(maxsize=4)
def _sign_patterns(groups: int) -> np.ndarray:
    """All 2^(groups - 1) sign vectors with a first sign of +1 (the quadratic form of a
    sign vector and of its negative are equal), shape (2^(groups - 1), groups)."""
    codes = np.arange(2 ** (groups - 1))[:, None] >> np.arange(groups - 1)[None, :]
    return np.hstack([np.ones((len(codes), 1)), 1.0 - 2.0 * (codes & 1)])


def no_bias_test(blocks: np.ndarray, exact_up_to: int = 16, reps: int = 20_000,
                 seed: int = 0) -> dict:
    """A test of "mean zero" for G independent estimates g_1..g_G of one vector (G, d).

    The statistic is the mean of <g_i, g_j> over i != j, unbiased for |mean|^2
    (``bias_squared``). Its p-value comes from sign flips: under "mean zero", each g_i is as
    likely as -g_i (each block is an average of many independent batch gradients), so the
    statistic computed with g_i -> e_i g_i for every sign vector e is a draw from its null
    distribution, whatever the covariance of the blocks and the dimension d. The p-value is
    the share of sign vectors whose statistic reaches the observed one: all 2^(G-1) of them
    (up to a common sign) for G <= ``exact_up_to``, else ``reps`` random ones,
    (1 + count) / (1 + reps). The smallest p-value is 2^-(G-1), so G of at least 8 is
    needed for a test at 1 %. ``noise_norm`` is the standard error of the mean of the
    blocks, sqrt(trace Cov(g_i) / G).
    """
    g = np.asarray(blocks, dtype=float)
    groups = len(g)
    if g.ndim != 2 or groups < 2:
        raise InputError(f"need a (groups, d) array with at least 2 groups, got shape {g.shape}")
    gram = g @ g.T
    off = gram - np.diag(np.diag(gram))
    observed = float(off.sum())
    if groups <= exact_up_to:
        signs = _sign_patterns(groups)
    else:
        rng = np.random.default_rng(seed)
        signs = rng.choice([-1.0, 1.0], size=(reps, groups))
    flipped = np.sum((signs @ off) * signs, axis=1)
    tol = 1e-12 * float(np.abs(off).sum())
    count = int(np.sum(flipped >= observed - tol))
    p = count / len(signs) if groups <= exact_up_to else (1 + count) / (1 + reps)
    spread = np.sum((g - g.mean(axis=0)) ** 2) / (groups - 1)
    return {"bias_squared": observed / (groups * (groups - 1)),
            "noise_norm": math.sqrt(spread / groups), "bias_p": float(min(p, 1.0))}


def gradient_bias(critic: torch.nn.Module, x: np.ndarray, z: np.ndarray, batch_sizes,
                  draws: int, rates=(0.01,), groups: int = 16, shuffles: int = 2,
                  min_batches: int = 2000, seed: int = 0) -> list[dict]:
    """Bias of the minibatch gradient of a FIXED critic, for dv, mine (moving average) and mine-f.

    The pool: the joint pairs (x, z) and ``shuffles`` shuffles of z for the product of
    marginals. For each batch size B, max(min_batches, draws // B) batches of B marginal
    samples are drawn with replacement; the expected batch gradient (their average) is set
    against the gradient of the same objective on the whole pool (the full-sample gradient).
    The joint term mean(dT_joint) is an unbiased mean, the same in both; the difference is
    in the marginal term, sum_p (mean batch weight_p - full weight_p) dT_p, computed in one
    backward pass per block of batches (the average of per-batch gradients equals the
    gradient with averaged weights).

    The average over batches is itself noisy. The batches are cut into ``groups``
    consecutive blocks with gradients g_1..g_G, and ``no_bias_test`` gives ``bias_squared``
    (the mean of <g_i, g_j> over i != j, unbiased for |bias|^2), ``noise_norm`` (the
    standard error of the mean of the blocks: a bias below it cannot be told from zero) and
    ``bias_p``, the sign-flip p-value of "no bias" at this batch size, exact for the
    f-bound (whose blocks are independent, with mean zero, given the pool) at any number of
    blocks and any covariance. ``bias_norm`` is sqrt(bias_squared), 0 when it is negative.
    ``relative_*`` divide by the norm of the full-sample gradient of the whole objective,
    ``term_norm`` is the norm of the full-sample gradient of the marginal term alone.
    "mine" is measured once per moving-average rate in ``rates`` (the weight of the new
    batch); its average runs over 10 / rate warm-up batches before any batch is counted
    (its consecutive blocks share the average's memory of about 1 / rate batches, so its
    p-values are close to, not exactly, sign-flip exact).
    """
    if groups < 2:
        raise InputError(f"groups must be at least 2, got {groups}")
    x, z = as_matrix("x", x), as_matrix("z", z)
    xm, zm = marginal_pool(x, z, shuffles, seed)
    scores = critic_scores(critic, xm, zm)
    joint_grad = weighted_gradient(critic, x, z, np.full(len(x), 1.0 / len(x)))
    rng = np.random.default_rng(seed)
    rows = []
    runs = [("dv", None)] + [("mine", float(r)) for r in rates] + [("mine-f", None)]
    for method, rate in runs:
        ref_w = reference_weights(scores, method)
        term = weighted_gradient(critic, xm, zm, ref_w)
        full_norm = float(np.linalg.norm(joint_grad - term))
        for batch in batch_sizes:
            n_batches = groups * max(min_batches // groups, draws // (batch * groups))
            skip = int(math.ceil(10 / rate)) if method == "mine" else 0
            idx = draw_batches(len(scores), batch, n_batches + skip, rng)
            mean_w = mean_batch_weights(scores, idx, method, rate or 0.01, groups, skip)
            # the marginal term enters the objective with a minus sign
            g = np.stack([-weighted_gradient(critic, xm, zm, w - ref_w) for w in mean_w])
            test = no_bias_test(g, seed=seed)
            bias = math.sqrt(max(test["bias_squared"], 0.0))
            noise = test["noise_norm"]
            rows.append({"method": method, "batch_size": int(batch), "batches": int(n_batches),
                         "groups": int(groups), "bias_norm": bias,
                         "bias_squared": test["bias_squared"], "noise_norm": noise,
                         "bias_p": test["bias_p"],
                         "raw_norm": float(np.linalg.norm(g.mean(axis=0))),
                         "full_norm": full_norm, "term_norm": float(np.linalg.norm(term)),
                         "relative_bias": bias / full_norm, "relative_noise": noise / full_norm,
                         "rate": rate})
    return rows


def describe_bias(row) -> str:
    """A bias quoted with its noise floor when resolved (above twice the floor), else only
    the floor; ``row`` has ``bias_norm``, ``noise_norm`` and ``resolved``."""
    if row["resolved"]:
        return f"{row['bias_norm']:.4f} (noise floor {row['noise_norm']:.4f})"
    return f"below twice the noise floor of {row['noise_norm']:.4f}"


def bias_reduction(dv_row, row) -> str:
    """How many times smaller ``row``'s bias is than plain DV's (``dv_row``) at one batch
    size: a lower bound ("at least") when ``row``'s bias is lost in the noise (twice its
    floor stands in for it), no factor when DV's own bias is lost in the noise."""
    if not dv_row["resolved"]:
        return "not measurably (the DV bias itself is lost in the noise there)"
    factor = dv_row["bias_norm"] / max(row["bias_norm"], 2 * row["noise_norm"])
    return f"{factor:.0f} times" if row["resolved"] else f"at least {factor:.0f} times"


# ================================================================ MINE: consistency


FRESH_BOUNDS = {"mine": bounds.dv_bound, "dv": bounds.dv_bound, "mine-f": bounds.nwj_bound}


def fresh_readout(critic: torch.nn.Module, task: Task, n: int, method: str, seed: int) -> float:
    """The trained critic's bound on ``n`` new pairs of ``task``: joint pairs from one fresh
    sample, product-of-marginals pairs from the x of that sample and the z of another
    (independent) fresh sample. Its read-out noise shrinks like 1/sqrt(n)."""
    if method not in FRESH_BOUNDS:
        raise InputError(f"no fresh read-out for method {method!r}; "
                         f"choose one of {', '.join(FRESH_BOUNDS)}")
    x, z = task.sample(int(n), seed=seed)
    _, z_other = task.sample(int(n), seed=seed + 1)
    critic.eval()
    try:
        with torch.no_grad():
            t_joint = critic(torch.as_tensor(x, dtype=torch.float32), torch.as_tensor(z, dtype=torch.float32))
            t_marg = critic(torch.as_tensor(x, dtype=torch.float32),
                            torch.as_tensor(z_other, dtype=torch.float32))
            return float(FRESH_BOUNDS[method](t_joint.double(), t_marg.double()))
    finally:
        critic.train()


def consistency_sweep(task: Task, sizes, seeds, method: str = "mine", fresh: int = 0,
                      **options) -> list[dict]:
    """estimate_mi on n samples of ``task`` for each n in sizes and each seed.

    The seed sets both the sample and the training run; options go to estimate_mi.
    One row per run: n, seed, the estimate, its error against the true MI, steps, seconds,
    and the number of parameters of the trained network. With ``fresh`` > 0 each trained
    critic is also read on ``fresh`` new pairs (``fresh_estimate``, ``fresh_error``), so
    that the error measures the estimator rather than the noise of a 0.2 n test split;
    this needs ``standardize=False`` (the critic must see the task's own scale).
    """
    if fresh and options.get("standardize", True):
        raise InputError("a fresh read-out needs standardize=False: the critic is read on "
                         "new samples at the task's own scale")
    rows = []
    for n in sizes:
        for seed in seeds:
            x, z = task.sample(int(n), seed=1000 + seed)
            result = estimate_mi(x, z, method=method, seed=seed, **options)
            row = {"n": int(n), "seed": seed, "estimate": result.mi,
                   "error": result.mi - task.true_mi, "steps": result.steps,
                   "seconds": result.seconds, "n_test": result.n_test,
                   "parameters": parameter_count(result.critic)}
            if fresh:
                value = fresh_readout(result.critic, task, fresh, method, seed=500_000 + 2 * seed)
                row.update(fresh_estimate=value, fresh_error=value - task.true_mi)
            rows.append(row)
    return rows


def rmse_slope_interval(n, errors, seeds, level: float = 0.95) -> tuple[float, float, float]:
    """Log-log slope of the error against n, with a t interval over seeds.

    ``n``, ``errors`` and ``seeds`` are one entry per run, every seed run at every n. Each
    seed's slope is the least-squares slope of log|error| against log n; the estimate is
    their mean and the interval a t interval with (seeds - 1) degrees of freedom. When the
    errors at every n are draws of one distribution scaled by n^slope (bias and spread
    scale together), each seed's slope has mean ``slope``, the slope of the RMSE, and the
    seeds are independent, so the interval keeps its level (a bootstrap of the RMSE over
    5 seeds covered 84 % at a stated 95 %; this interval, on the same simulation, 96 %).
    Returns (slope, low, high); low and high are NaN with fewer than three seeds, and all
    three are NaN when an error is exactly zero (its log is -inf).
    """
    n, errors, seeds = np.asarray(n, float), np.asarray(errors, float), np.asarray(seeds)
    sizes, seed_ids = np.unique(n), np.unique(seeds)
    table = np.full((len(sizes), len(seed_ids)), np.nan)
    for i, size in enumerate(sizes):
        for j, s in enumerate(seed_ids):
            table[i, j] = errors[(n == size) & (seeds == s)][0]
    if len(sizes) < 2:
        raise InputError("a log-log slope needs at least two sample sizes")
    if np.any(table == 0) or not np.all(np.isfinite(table)):
        return math.nan, math.nan, math.nan
    logn = np.log(sizes) - np.log(sizes).mean()
    per_seed = logn @ np.log(np.abs(table)) / (logn @ logn)  # one slope per seed
    slope = float(per_seed.mean())
    if len(seed_ids) < 3:
        return slope, math.nan, math.nan
    half = float(stats.t.ppf(0.5 + level / 2, len(seed_ids) - 1)
                 * per_seed.std(ddof=1) / math.sqrt(len(seed_ids)))
    return slope, slope - half, slope + half


def weighted_loglog_slope(x, y, y_se, level: float = 0.95) -> tuple[float, float, float]:
    """Slope of log y against log x weighted by the noise of each point (the standard error
    of log y is y_se / y), with a normal interval: (slope, low, high)."""
    x, y, y_se = (np.asarray(a, dtype=float) for a in (x, y, y_se))
    keep = (x > 0) & (y > 0) & (y_se > 0)
    if keep.sum() < 3:
        raise InputError("a weighted log-log slope needs at least three positive points")
    lx, ly, w = np.log(x[keep]), np.log(y[keep]), (y[keep] / y_se[keep]) ** 2
    cx = lx - np.average(lx, weights=w)
    slope = float(np.sum(w * cx * ly) / np.sum(w * cx ** 2))
    se = float(1 / math.sqrt(np.sum(w * cx ** 2)))
    z = float(stats.norm.ppf(0.5 + level / 2))
    return slope, slope - z * se, slope + z * se


def parameter_count(module: torch.nn.Module) -> int:
    """The number of trainable parameters (the d of the sample-complexity bound)."""
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


def loglog_slope(x, y) -> float:
    """Least-squares slope of log y against log x (e.g. -1 for y proportional to 1/x)."""
    x, y = np.asarray(x, dtype=float), np.asarray(y, dtype=float)
    keep = (x > 0) & (y > 0)
    if keep.sum() < 2:
        raise InputError("a log-log slope needs at least two positive points")
    return float(np.polyfit(np.log(x[keep]), np.log(y[keep]), 1)[0])
