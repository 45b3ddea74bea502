"""One typed config per method of ``estimate_mi`` (besides ``CrossFitConfig`` of the default,
which lives with its estimator): ``KSGConfig``, ``HistogramConfig`` and ``KDEConfig`` for the
estimators that train nothing, and for each single-critic method a
``TrainConfig`` whose objective the method fixes and whose objective options are typed fields.

Layer: library (what ``import mine_lib`` gives a user). May import only other library
modules, never ``mine_lib.experiments``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields

from .trainer import TrainConfig


@dataclass
class KSGConfig:
    """Settings of ``method="ksg"``, the Kraskov-Stoegbauer-Grassberger estimator (no training)."""

    k: int = 3  # neighbours counted in the joint space
    seed: int = 0  # the tiny noise that breaks ties between equal values


@dataclass
class HistogramConfig:
    """Settings of ``method="histogram"``: the plug-in MI of an equal-frequency histogram
    (``classic.histogram_mi``; no training, no randomness)."""

    bins: int | None = None  # per axis; None: about 5 rows a cell of the joint histogram
    seed: int = 0  # unused: the estimate is deterministic (kept so every method takes one)


@dataclass
class KDEConfig:
    """Settings of ``method="kde"``: leave-one-out kernel density estimates on standardised
    columns (``classic.kde_mi``; no training, no randomness)."""

    seed: int = 0  # unused: the estimate is deterministic (kept so every method takes one)


@dataclass
class CriticMethodConfig(TrainConfig):
    """A ``TrainConfig`` for one single-critic method of ``estimate_mi``. The method fixes the
    objective (``loss``); the objective's options (``loss_options``) follow from the typed
    fields a subclass adds, so neither is set by hand."""

    loss: str = field(default="mine", init=False)
    loss_options: dict = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        self.loss_options = self.objective_options()

    def objective_options(self) -> dict:
        """The keyword arguments of the objective (``make_loss(self.loss, **these)``)."""
        return {}

    def train_config(self) -> TrainConfig:
        """The plain ``TrainConfig`` that ``train_critic`` runs and the result records."""
        return TrainConfig(**{f.name: getattr(self, f.name) for f in fields(TrainConfig)})


@dataclass
class MineConfig(CriticMethodConfig):
    """``method="mine"``: the Donsker-Varadhan bound with the gradient bias corrected by a
    moving average (the paper's estimator)."""

    loss: str = field(default="mine", init=False)
    ema_rate: float | None = None  # rate of the moving average (None: the objective's, 0.01)

    def objective_options(self) -> dict:
        return {} if self.ema_rate is None else {"rate": self.ema_rate}


@dataclass
class MineFConfig(CriticMethodConfig):
    """``method="mine-f"``: the f-divergence (NWJ) lower bound, unbiased minibatch gradients."""

    loss: str = field(default="mine-f", init=False)


@dataclass
class NWJConfig(MineFConfig):
    """``method="nwj"``: the same bound as "mine-f", under the name of Nguyen, Wainwright and
    Jordan."""


@dataclass
class DVConfig(CriticMethodConfig):
    """``method="dv"``: the Donsker-Varadhan bound with plain (biased) minibatch gradients."""

    loss: str = field(default="dv", init=False)


@dataclass
class InfoNCEConfig(CriticMethodConfig):
    """``method="infonce"``: the contrastive bound; it cannot exceed log(batch size)."""

    loss: str = field(default="infonce", init=False)
    # InfoNCE scores every x against every z of the batch: with a concatenation critic that
    # is batch^2 network evaluations per step, so it uses the separable critic g(x).h(z).
    critic: str = "separable"


@dataclass
class SmileConfig(CriticMethodConfig):
    """``method="smile"``: Donsker-Varadhan with the density ratio clipped to [-tau, tau]."""

    loss: str = field(default="smile", init=False)
    tau: float = 5.0

    def objective_options(self) -> dict:
        return {"tau": self.tau}


@dataclass
class JSConfig(CriticMethodConfig):
    """``method="js"``: a critic trained with the Jensen-Shannon (logistic) objective, read out
    with the DV bound."""

    loss: str = field(default="js", init=False)
