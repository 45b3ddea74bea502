"""Statistics networks ("critics") T(x, z).

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

ACTIVATIONS = {"relu": nn.ReLU, "elu": nn.ELU, "softplus": nn.Softplus, "tanh": nn.Tanh}


def mlp(n_in: int, hidden: tuple[int, ...], n_out: int, activation: str = "relu") -> nn.Sequential:
    """A plain multilayer perceptron."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}; choose one of {sorted(ACTIVATIONS)}")
    layers: list[nn.Module] = []
    for width in hidden:
        layers += [nn.Linear(n_in, width), ACTIVATIONS[activation]()]
        n_in = width
    layers.append(nn.Linear(n_in, n_out))
    return nn.Sequential(*layers)


class ConcatCritic(nn.Module):
    """T(x, z) = MLP([x, z]): the paper's statistics network."""

    def __init__(self, dx: int, dz: int, hidden: tuple[int, ...] = (256, 256), activation: str = "relu"):
        super().__init__()
        self.net = mlp(dx + dz, tuple(hidden), 1, activation)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return self.net(torch.cat([x, z], dim=1)).squeeze(1)

    def score_matrix(self, x: Tensor, z: Tensor) -> Tensor:
        """S[i, j] = T(x_i, z_j); costs n^2 network evaluations."""
        n = x.shape[0]
        xx = x.unsqueeze(1).expand(n, n, x.shape[1]).reshape(n * n, -1)
        zz = z.unsqueeze(0).expand(n, n, z.shape[1]).reshape(n * n, -1)
        return self.forward(xx, zz).reshape(n, n)


class SeparableCritic(nn.Module):
    """T(x, z) = g(x) . h(z): cheap score matrices, less flexible than concatenation."""

    def __init__(self, dx: int, dz: int, hidden: tuple[int, ...] = (256, 256), activation: str = "relu",
                 embed: int = 32):
        super().__init__()
        self.g = mlp(dx, tuple(hidden), embed, activation)
        self.h = mlp(dz, tuple(hidden), embed, activation)

    def forward(self, x: Tensor, z: Tensor) -> Tensor:
        return (self.g(x) * self.h(z)).sum(dim=1)

    def score_matrix(self, x: Tensor, z: Tensor) -> Tensor:
        return self.g(x) @ self.h(z).T


CRITICS = {"concat": ConcatCritic, "separable": SeparableCritic}


def make_critic(kind: str, dx: int, dz: int, hidden: tuple[int, ...], activation: str = "relu") -> nn.Module:
    if kind not in CRITICS:
        raise ValueError(f"unknown critic {kind!r}; choose one of {sorted(CRITICS)}")
    return CRITICS[kind](dx, dz, tuple(hidden), activation)
