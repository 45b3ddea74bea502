"""Stacks: S networks of one shape (seeds, folds, runs) trained as one batched computation.

Every tensor of a stack carries the member first: inputs and outputs (S, B, n), weights
(S, n_in, n_out), biases (S, 1, n_out). A linear layer is one ``torch.baddbmm(bias, x,
weight)`` for all members, so S small networks cost about as much as one on a CPU, where
such networks are dominated by per-operation overhead. Nothing mixes members: member s
computes, and trains, exactly as it would alone.

- ``StackedLinear``: S linear layers, from given ``nn.Linear`` layers or freshly drawn as
  ``nn.Linear`` draws them (``linear_init``);
- ``StackedMLP``: S ReLU MLPs (Linear, ReLU, ..., Linear) whose parameters() list every
  layer's weight first, then every bias (the cross-fitted critics, the toy GANs);
- ``StackedDropout``: dropout with member s's mask drawn from its own generator;
- ``stack`` / ``unstack``: any ``nn.Sequential`` tree of Linear, Dropout, ReLU, LeakyReLU
  and Sigmoid layers as one module with the same tree (parameters per layer, weight then
  bias, as in the members), and member s copied back into a plain module.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

import copy
import itertools
import math
from collections.abc import Sequence

import torch
from torch import Tensor, nn

from .errors import InputError

STATELESS = (nn.ReLU, nn.LeakyReLU, nn.Sigmoid)  # layers a stack shares as they are


# ---------------------------------------------------------------- one stacked linear layer

def linear_init(k: int, n_in: int, n_out: int) -> tuple[Tensor, Tensor]:
    """Fresh (weight (k, n_in, n_out), bias (k, 1, n_out)), uniform on +-1/sqrt(n_in) like
    ``nn.Linear``, drawn from torch's global generator: all of the weight, then the bias."""
    bound = 1.0 / math.sqrt(n_in)
    weight = torch.empty(k, n_in, n_out).uniform_(-bound, bound)
    bias = torch.empty(k, 1, n_out).uniform_(-bound, bound)
    return weight, bias


def linears_stacked(layers: Sequence[nn.Linear]) -> tuple[Tensor, Tensor]:
    """(weight (S, n_in, n_out), bias (S, 1, n_out)) copied from S ``nn.Linear`` layers."""
    if not layers:
        raise InputError("a stack needs at least one member")
    for i, m in enumerate(layers):
        if not isinstance(m, nn.Linear):
            raise InputError(f"member {i} is a {type(m).__name__} where member 0 has a Linear layer")
        if m.bias is None:
            raise InputError(f"member {i} has a Linear layer without a bias; a stack needs biases")
        if m.weight.shape != layers[0].weight.shape:
            raise InputError(f"cannot stack members of different shapes: member {i} has "
                             f"{m}, member 0 has {layers[0]}")
    weight = torch.stack([m.weight.detach().T for m in layers])
    bias = torch.stack([m.bias.detach()[None] for m in layers])
    return weight, bias


def affine(x: Tensor, weight: Tensor, bias: Tensor) -> Tensor:
    """x (S, B, n_in) @ weight (S, n_in, n_out) + bias (S, 1, n_out), one matmul per member."""
    return torch.baddbmm(bias, x, weight)


@torch.no_grad()
def copy_linear(weight: Tensor, bias: Tensor, s: int, into: nn.Linear | None = None) -> nn.Linear:
    """Member s of a stacked (weight, bias) written into a plain ``nn.Linear`` (a new one,
    drawing no random numbers, when ``into`` is None); returns it."""
    n_in, n_out = weight.shape[1], weight.shape[2]
    if into is None:
        into = nn.utils.skip_init(nn.Linear, n_in, n_out, device=weight.device, dtype=weight.dtype)
    if not isinstance(into, nn.Linear) or into.bias is None \
            or (into.in_features, into.out_features) != (n_in, n_out):
        raise InputError(f"member {s} is a Linear({n_in}, {n_out}) layer; cannot copy it "
                         f"into {into}")
    into.weight.copy_(weight[s].T)
    into.bias.copy_(bias[s, 0])
    return into


class StackedLinear(nn.Module):
    """S linear layers of one shape, applied at once: (S, B, n_in) -> (S, B, n_out)."""

    def __init__(self, weight: Tensor, bias: Tensor):
        super().__init__()
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias)

    @classmethod
    def from_linears(cls, layers: Sequence[nn.Linear]) -> StackedLinear:
        return cls(*linears_stacked(layers))

    @classmethod
    def fresh(cls, k: int, n_in: int, n_out: int) -> StackedLinear:
        """k layers initialised like ``nn.Linear`` (``linear_init``)."""
        return cls(*linear_init(k, n_in, n_out))

    def forward(self, x: Tensor) -> Tensor:
        return affine(x, self.weight, self.bias)

    def copy_member(self, s: int, into: nn.Linear | None = None) -> nn.Linear:
        return copy_linear(self.weight, self.bias, s, into)


# ---------------------------------------------------------------- stacked ReLU MLPs

def mlp_linears(net: nn.Module) -> list[nn.Linear]:
    """The Linear layers of a plain MLP; only Linear and ReLU layers are allowed."""
    if not isinstance(net, nn.Sequential) or any(not isinstance(m, (nn.Linear, nn.ReLU))
                                                 for m in net):
        raise InputError(f"a StackedMLP takes plain MLPs of Linear and ReLU layers only, got {net}")
    return [m for m in net if isinstance(m, nn.Linear)]


class StackedMLP(nn.Module):
    """S ReLU MLPs of one shape: Linear, ReLU, ..., Linear on (S, B, n_in) -> (S, B, n_out).

    Parameters ``weights`` (S, a, b) and ``biases`` (S, 1, b), one of each per layer, in two
    ``ParameterList``s: ``parameters()`` lists every weight, then every bias.
    """

    def __init__(self, weights: Sequence[Tensor], biases: Sequence[Tensor]):
        super().__init__()
        self.weights = nn.ParameterList([nn.Parameter(w) for w in weights])
        self.biases = nn.ParameterList([nn.Parameter(b) for b in biases])

    @classmethod
    def from_mlps(cls, members: Sequence[nn.Sequential]) -> StackedMLP:
        """The stack of plain MLPs of one shape (``critics.mlp`` with ReLU); each member
        starts from its MLP's weights."""
        if not members:
            raise InputError("a StackedMLP needs at least one MLP")
        linears = [mlp_linears(m) for m in members]
        if any(len(layers) != len(linears[0]) for layers in linears):
            raise InputError("cannot stack MLPs of different depths: "
                             f"{[len(layers) for layers in linears]} Linear layers")
        layers = [linears_stacked([member[i] for member in linears])
                  for i in range(len(linears[0]))]
        return cls([w for w, _ in layers], [b for _, b in layers])

    @classmethod
    def fresh_layers(cls, k: int, sizes: Sequence[int]) -> tuple[list[Tensor], list[Tensor]]:
        """Weights and biases of k fresh MLPs with layer widths ``sizes`` (input first),
        drawn layer by layer as ``linear_init`` draws them."""
        layers = [linear_init(k, a, b) for a, b in itertools.pairwise(sizes)]
        return [w for w, _ in layers], [b for _, b in layers]

    @classmethod
    def fresh(cls, k: int, sizes: Sequence[int]) -> StackedMLP:
        return cls(*cls.fresh_layers(k, sizes))

    def forward(self, x: Tensor) -> Tensor:
        last = len(self.weights) - 1
        for i, (w, b) in enumerate(zip(self.weights, self.biases)):
            x = affine(x, w, b)
            if i < last:
                x = torch.relu(x)
        return x

    def copy_member(self, s: int, into: nn.Sequential | None = None) -> nn.Sequential:
        """Member s written into a plain MLP of the same shape (a new one when ``into`` is
        None); returns it."""
        if into is None:
            layers: list[nn.Module] = []
            for w, b in zip(self.weights, self.biases):
                layers += [copy_linear(w, b, s), nn.ReLU()]
            return nn.Sequential(*layers[:-1])
        linears = mlp_linears(into)
        if len(linears) != len(self.weights):
            raise InputError(f"member {s} has {len(self.weights)} Linear layers; cannot copy it "
                             f"into an MLP with {len(linears)}")
        for layer, w, b in zip(linears, self.weights, self.biases):
            copy_linear(w, b, s, layer)
        return into


# ---------------------------------------------------------------- dropout

class StackedDropout(nn.Module):
    """Dropout whose mask for member s comes from generator s, so that a member's training
    does not depend on which other members share the stack."""

    def __init__(self, p: float, generators: Sequence[torch.Generator]):
        super().__init__()
        self.p, self.generators = float(p), list(generators)

    def forward(self, x: Tensor) -> Tensor:
        if not self.training or self.p == 0.0:
            return x
        keep = torch.stack([torch.rand(x.shape[1:], generator=g) for g in self.generators])
        return x * (keep.to(x) >= self.p) / (1.0 - self.p)


# ---------------------------------------------------------------- whole trees

def stack(members: Sequence[nn.Module],
          generators: Sequence[torch.Generator] | None = None) -> nn.Module:
    """One module computing all members on (S, B, n) inputs: an ``nn.Sequential`` tree
    (nested ones too) of Linear, Dropout, ReLU, LeakyReLU and Sigmoid layers, with the
    members' layout. Dropout needs ``generators``, one per member (its masks)."""
    if not members:
        raise InputError("a stack needs at least one member")
    first = members[0]
    for i, m in enumerate(members):
        if type(m) is not type(first):
            raise InputError(f"cannot stack members of different shapes: member {i} has a "
                             f"{type(m).__name__} where member 0 has a {type(first).__name__}")
    if isinstance(first, nn.Sequential):
        if any(len(m) != len(first) for m in members):
            raise InputError("cannot stack members of different shapes: Sequentials of "
                             f"{[len(m) for m in members]} layers")
        return nn.Sequential(*[stack([m[i] for m in members], generators)
                               for i in range(len(first))])
    if isinstance(first, nn.Linear):
        return StackedLinear.from_linears(members)
    if isinstance(first, (nn.Dropout, *STATELESS)) \
            and any(m.extra_repr() != first.extra_repr() for m in members):
        raise InputError(f"cannot stack members of different shapes: {first} and "
                         f"{next(m for m in members if m.extra_repr() != first.extra_repr())}")
    if isinstance(first, nn.Dropout):
        if generators is None or len(generators) != len(members):
            raise InputError(f"stacking {len(members)} Dropout layers needs one torch.Generator "
                             f"per member, got {0 if generators is None else len(generators)}")
        return StackedDropout(first.p, generators)
    if isinstance(first, STATELESS):
        return first
    raise InputError(f"cannot stack a {type(first).__name__}: a stack takes Sequential, "
                     "Linear, Dropout, ReLU, LeakyReLU and Sigmoid layers only")


@torch.no_grad()
def unstack(stacked: nn.Module, s: int, into: nn.Module | None = None) -> nn.Module:
    """Member s of a ``stack`` (or a ``StackedLinear``, ``StackedMLP``) as a plain module:
    written into ``into``, a module of the members' layout, or into a new one when it is None
    (drawing no random numbers); returns it."""
    if isinstance(stacked, (StackedLinear, StackedMLP)):
        return stacked.copy_member(s, into)
    if isinstance(stacked, nn.Sequential):
        if into is None:
            return nn.Sequential(*[unstack(part, s) for part in stacked])
        if not isinstance(into, nn.Sequential) or len(into) != len(stacked):
            raise InputError(f"cannot copy member {s} of a Sequential of {len(stacked)} layers "
                             f"into {type(into).__name__} {into}")
        for part, target in zip(stacked, into):
            unstack(part, s, target)
        return into
    if isinstance(stacked, StackedDropout):
        return nn.Dropout(stacked.p) if into is None else into
    if isinstance(stacked, STATELESS):
        return copy.deepcopy(stacked) if into is None else into
    raise InputError(f"cannot unstack a {type(stacked).__name__}")
