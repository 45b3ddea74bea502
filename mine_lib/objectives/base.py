"""The objective interface and the one registry that every kind of objective registers into.

``loss(t_joint, t_marg)`` returns the tensor to minimise for one minibatch, and
``loss.estimate(t_joint, t_marg)`` the MI bound that this objective is read out with.
Objectives with ``needs_matrix = True`` receive the full score matrix
``S[i, j] = T(x_i, z_j)`` as ``t_marg`` (its diagonal is ``t_joint``).
Stateful objectives (moving averages) are reset with ``reset()`` before a run.

Layer: library. Imports only ``mine_lib.bounds``; the modules of each kind import this one.
"""

from __future__ import annotations

from collections.abc import Callable

from torch import Tensor

from .. import bounds

LOSSES: dict[str, type[Objective]] = {}


def register(*names: str) -> Callable[[type], type]:
    """Class decorator: make the objective available to ``make_loss`` under ``names``."""

    def add(cls: type) -> type:
        for name in names:
            if name in LOSSES and LOSSES[name] is not cls:
                raise ValueError(f"objective name {name!r} is registered twice")
            LOSSES[name] = cls
        return cls

    return add


def make_loss(name: str, **options) -> Objective:
    if name not in LOSSES:
        raise ValueError(f"unknown loss {name!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[name](**options)


class Objective:
    name = "objective"
    needs_matrix = False
    grad_clip: float | None = None  # max gradient norm, applied by the trainer

    def reset(self) -> None:
        pass

    def __call__(self, t_joint: Tensor, t_marg: Tensor) -> Tensor:
        raise NotImplementedError

    def estimate(self, t_joint: Tensor, t_marg: Tensor) -> Tensor:
        return bounds.dv_bound(t_joint, t_marg)

    def __repr__(self) -> str:
        return f"{type(self).__name__}()"
