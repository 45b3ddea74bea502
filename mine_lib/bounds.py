"""Variational lower bounds on mutual information, as pure functions of critic scores.

Scores are the critic's values T(x, z). ``t_joint`` holds scores on pairs drawn from the
joint P_XZ; ``t_marg`` holds scores on pairs from the product of marginals P_X x P_Z (any
shape: every element is one marginal sample). A score matrix ``scores[i, j] = T(x_i, z_j)``
has the joint pairs on its diagonal. Every function returns a 0-d tensor, in nats.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor


def _tensor(t) -> Tensor:
    """Tensors pass through; lists and numpy arrays become float64 tensors."""
    if isinstance(t, Tensor):
        return t if t.is_floating_point() else t.double()
    return torch.as_tensor(t, dtype=torch.float64)


def log_mean_exp(t) -> Tensor:
    """log(mean(exp(t))) over all elements, without overflow (scores of 1e4 are fine)."""
    t = _tensor(t).reshape(-1)
    return torch.logsumexp(t, dim=0) - math.log(t.numel())


def dv_bound(t_joint, t_marg) -> Tensor:
    """Donsker-Varadhan: E_P[T] - log E_Q[e^T]."""
    return _tensor(t_joint).mean() - log_mean_exp(t_marg)


def nwj_bound(t_joint, t_marg) -> Tensor:
    """f-divergence (NWJ, "MINE-f") bound: E_P[T] - E_Q[e^(T-1)]."""
    return _tensor(t_joint).mean() - torch.exp(_tensor(t_marg) - 1).mean()


def split_scores(scores) -> tuple[Tensor, Tensor]:
    """Diagonal (joint pairs) and off-diagonal (marginal pairs) of a square score matrix."""
    scores = _tensor(scores)
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"a score matrix must be square, got shape {tuple(scores.shape)}")
    n = scores.shape[0]
    off = ~torch.eye(n, dtype=torch.bool, device=scores.device)
    return scores.diagonal(), scores[off]


def infonce_bound(scores) -> Tensor:
    """InfoNCE (CPC): mean_i [S_ii - log mean_j e^(S_ij)]; never exceeds log K for K rows."""
    scores = _tensor(scores)
    n = scores.shape[0]
    return (scores.diagonal() - torch.logsumexp(scores, dim=1)).mean() + math.log(n)


def smile_bound(t_joint, t_marg, tau: float = 5.0) -> Tensor:
    """SMILE (Song & Ermon 2020): DV with the marginal scores clipped to [-tau, tau]."""
    return _tensor(t_joint).mean() - log_mean_exp(_tensor(t_marg).clamp(-tau, tau))


def js_objective(t_joint, t_marg) -> Tensor:
    """The Jensen-Shannon f-GAN objective used to train a critic (not an MI bound itself)."""
    t_joint, t_marg = _tensor(t_joint), _tensor(t_marg)
    return -torch.nn.functional.softplus(-t_joint).mean() - torch.nn.functional.softplus(t_marg).mean()
