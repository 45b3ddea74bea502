"""Every chapter's sizes, in one place: what each profile (smoke, standard, long, paper) runs.

A chapter reads its sizes with ``S = settings.chapter("09_information_bottleneck")`` and uses
``S.SEEDS``, ``S.BASE`` and so on; the code path is the same in every profile. ``pick(smoke=,
standard=, paper=, long=)`` gives a setting per profile (``long`` falls back to ``standard``);
``pick.fixed(value)`` one that is the same in all of them. A recording (``record.py``) stores
the values of its chapter's settings for its profile and their hash, so it goes stale when any
of them changes.

Layer: the book's experiments. May import the library and other experiment modules;
the library never imports this one.
"""

from __future__ import annotations

import hashlib
import json
from types import SimpleNamespace

from ..errors import InputError
from ..estimator import TrainConfig
from . import profiles
from .ib import IBConfig
from .loss_study import STUDY_LOSSES, StudyConfig


class Pick:
    """Chooses each setting's value for one profile, and remembers every value chosen, in
    order (the recorded settings and the migration from notebook-held sizes compare them)."""

    def __init__(self, profile: str):
        if profile not in profiles.PROFILES:
            raise InputError(f"unknown profile {profile!r}; use one of {', '.join(profiles.PROFILES)}")
        self.profile = profile
        self.picked: list = []

    def __call__(self, smoke, standard, paper, long=None):
        sizes = {"smoke": smoke, "standard": standard, "paper": paper,
                 "long": standard if long is None else long}
        return self.fixed(sizes[self.profile])

    def fixed(self, value):
        self.picked.append(value)
        return value


def mutual_information(pick):
    N_KL = pick(smoke=20_000, standard=200_000, paper=1_000_000)
    N_EXAMPLE = pick(smoke=2_000, standard=10_000, paper=50_000, long=50_000)
    MINE_STEPS = pick(smoke=300, standard=4_000, paper=10_000, long=10_000)
    MINE_HIDDEN = pick(smoke=(64, 64), standard=(256, 256), paper=(256, 256))
    N_SIGMAS = pick(smoke=4, standard=10, paper=20)
    DIMS = pick(smoke=[1, 2, 4, 8], standard=[1, 2, 4, 8, 16], paper=[1, 2, 4, 8, 16, 32])
    N_DIM = pick(smoke=500, standard=2_000, paper=5_000)
    SEEDS = pick(smoke=[0, 1], standard=[0, 1, 2, 3, 4], paper=list(range(10)))
    MINE_SEEDS = pick(smoke=[0], standard=[0, 1, 2, 3, 4, 5], paper=list(range(6)))
    return locals()


def dual_bounds(pick):
    N = pick(smoke=5_000, standard=50_000, paper=200_000)
    REPEATS = pick(smoke=3, standard=20, paper=100)
    N_SPREAD = pick(smoke=2_000, standard=5_000, paper=5_000)
    REPEATS_SPREAD = pick(smoke=20, standard=200, paper=1_000)
    GRID = pick(smoke=41, standard=121, paper=241)
    return locals()


def mine_estimator(pick):
    N_TRAIN = pick(smoke=3_000, standard=20_000, paper=100_000)
    STEPS = pick(smoke=200, standard=3_000, paper=20_000)
    HIDDEN = pick(smoke=(32, 32), standard=(128, 128), paper=(256, 256))
    N_POOL = pick(smoke=2_000, standard=10_000, paper=50_000)
    DRAWS = pick(smoke=2 ** 17, standard=2 ** 23, paper=2 ** 26)
    BATCHES = pick(smoke=[4, 16, 64, 256], standard=[4, 8, 16, 32, 64, 128, 256, 512, 1024],
                   paper=[2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 2048])
    SIZES = pick(smoke=[300, 1_200], standard=[300, 1_200, 4_800, 19_200],
                 paper=[300, 900, 2_700, 8_100, 24_300, 72_900, 218_700])
    SEEDS = pick(smoke=[0, 1], standard=[0, 1, 2, 3, 4], paper=list(range(10)))
    SWEEP_STEPS = pick(smoke=200, standard=1_500, paper=20_000)
    SWEEP_HIDDEN = pick(smoke=(32, 32), standard=(64, 64), paper=(256, 256))
    FRESH = pick(smoke=20_000, standard=100_000, paper=1_000_000)  # pairs to read each critic on
    return locals()


# the correlations of the paper's Gaussian figure (its ICLR version), run by the paper profile
ICLR_RHOS = [-0.99, -0.9, -0.7, -0.5, -0.3, -0.1, 0.0, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99]


def gaussian_reproduction(pick):
    RHOS = pick(smoke=[-0.9, 0.0, 0.9], standard=[-0.99, -0.9, -0.7, -0.5, 0.0, 0.5, 0.7, 0.9, 0.99],
                paper=ICLR_RHOS)
    SEEDS = pick(smoke=[0], standard=[0, 1, 2, 3], paper=[0, 1, 2, 3, 4])
    N = pick(smoke={1: 2_000, 10: 2_000}, standard={1: 10_000, 10: 5_000},
             paper={1: 20_000, 10: 20_000})                   # samples per run, by dimension
    CONFIG = TrainConfig(                                     # every neural run of the chapter
        hidden=pick(smoke=(32, 32), standard=(64, 64), paper=(100, 100)),
        batch_size=pick(smoke=128, standard=256, paper=128),
        lr=1e-3,
        max_steps=pick(smoke=150, standard=800, paper=10_000),
        eval_every=pick(smoke=50, standard=50, paper=250),
        early_stopping=False,                                 # fixed steps; the best validation state is kept
    )
    N_STUDY = pick(smoke=2_000, standard=10_000, paper=20_000)   # 3-D, curves, EMA and batch studies
    RHOS_3D = pick(smoke=[0.9], standard=[0.5, 0.9], paper=[0.3, 0.5, 0.7, 0.9, 0.99])
    CURVE_STEPS = pick(smoke=200, standard=1_500, paper=20_000)
    EMA_RATES = pick(smoke=[1.0, 0.01], standard=[1.0, 0.1, 0.01, 0.001],
                     paper=[1.0, 0.3, 0.1, 0.03, 0.01, 0.003, 0.001])
    EMA_BATCHES = pick(smoke=[32, 128], standard=[32, 256], paper=[16, 64, 256])
    BATCHES = pick(smoke=[32, 128], standard=[32, 128, 512], paper=[16, 32, 64, 128, 256, 512, 1024])
    STUDY_SEEDS = pick(smoke=[0], standard=[0, 1], paper=[0, 1, 2, 3, 4])
    return locals()


def equitability(pick):
    SIGMAS = pick(smoke=[0.03, 0.3], standard=[0.01, 0.03, 0.1, 0.3, 1.0],
                  paper=[0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0])
    SEEDS = pick(smoke=[0], standard=[0, 1, 2, 3, 4], paper=[0, 1, 2, 3, 4])
    N = pick(smoke=2_000, standard=10_000, paper=20_000)          # samples per run
    CONFIG = TrainConfig(
        hidden=pick(smoke=(32, 32), standard=(64, 64), paper=(100, 100)),
        batch_size=pick(smoke=128, standard=256, paper=128),
        lr=1e-3,
        max_steps=pick(smoke=150, standard=800, paper=10_000),
        eval_every=pick(smoke=50, standard=50, paper=250),
        early_stopping=False,                                     # fixed steps, best validation state kept
    )
    WIDE_SIGMAS = pick(smoke=[0.1], standard=[0.03, 0.1, 0.3], paper=[0.01, 0.03, 0.1, 0.3, 1.0])
    CURVE_POINTS = pick(smoke=8, standard=30, paper=40)           # sigmas on the truth curves
    return locals()


def improved_losses(pick):
    # one seed (80 runs) takes about 1 min on 2 cores: standard 4 seeds; the recorded long run 12
    STUDY = StudyConfig(
        losses=STUDY_LOSSES,
        rhos=(0.1, 0.5, 0.9, 0.99),
        batch_sizes=pick(smoke=(64, 256), standard=(64, 256), paper=(64, 128, 256, 1024)),
        seeds=pick(smoke=(0,), standard=(0, 1, 2, 3), paper=tuple(range(10)), long=tuple(range(12))),
        dim=3,
        n_samples=pick(smoke=2_000, standard=10_000, paper=50_000),
        steps=pick(smoke=60, standard=600, paper=5_000),
        eval_every=pick(smoke=20, standard=25, paper=100),
        hidden=pick(smoke=(64, 64), standard=(64, 64), paper=(100, 100)),
        lr=pick(smoke=3e-3, standard=3e-3, paper=1e-3),
        n_eval=pick(smoke=1_024, standard=4_096, paper=16_384),
    )
    return locals()


def gan_mode_dropping(pick):
    SIZES = pick(
        smoke=dict(toy_steps=150, toy_snaps=(50, 100, 150), grid_steps=150, grid_snaps=(50, 100, 150),
                   toy_seeds=[0, 1], toy_eval=1000,
                   dc_steps=15, dc_batch=32, dc_seeds=[0], n_stack=5000, clf_epochs=1,
                   clf_images=6000, n_generated=2000),
        standard=dict(toy_steps=1000, toy_snaps=(250, 500, 1000), grid_steps=4000,
                      grid_snaps=(1000, 2000, 4000), toy_seeds=list(range(8)),
                      toy_eval=4000, dc_steps=200, dc_batch=64, dc_seeds=[0, 1, 2], n_stack=60000,
                      clf_epochs=1, clf_images=60000, n_generated=10000),
        long=dict(toy_steps=5000, toy_snaps=(1000, 3000, 5000), grid_steps=5000,
                  grid_snaps=(1000, 3000, 5000), toy_seeds=list(range(10)),
                  toy_eval=4000, dc_steps=600, dc_batch=64, dc_seeds=[0, 1, 2], n_stack=60000,
                  clf_epochs=1, clf_images=60000, n_generated=10000),
        paper=dict(toy_steps=5000, toy_snaps=(1000, 3000, 5000), grid_steps=5000,
                   grid_snaps=(1000, 3000, 5000), toy_seeds=list(range(16)),
                   toy_eval=10000, dc_steps=20000, dc_batch=64, dc_seeds=[0, 1, 2], n_stack=128000,
                   clf_epochs=5, clf_images=60000, n_generated=26000),
    )
    # The toy GANs' settings, the same in every profile (chosen by measurement: see the text).
    # The spiral and the grid each have their own learning rate and hidden layers (G and D alike).
    TOY = pick.fixed(dict(
        adam_betas=(0.5, 0.999), batch_size=128, d_noise=2, d_code=2, grid_sigma=0.1,
        grid_spacing=2.0, spiral_sigma_ratio=0.2, lr={"spiral": 1e-4, "25-gaussians": 1e-3},
        hidden={"spiral": (64, 64, 64), "25-gaussians": (128, 128, 128)}))
    # The baseline "trained" when at least this share of its toy samples sits within 3 sigma of
    # a mode (real samples of the mixture: 98.9 %), and when the classifier is, on its stacked
    # samples, at least this fraction as confident as on real stacked pictures.
    TRAINED_HQ = pick.fixed(50.0)
    TRAINED_CONFIDENCE = pick.fixed(0.9)
    return locals()


def ali_reconstruction(pick):
    SIZES = pick(
        smoke=dict(steps=150, hidden=64, latent_dim=16, critic_hidden=(64,), n_test=200,
                   n_classifier=2000, classifier_epochs=1, seeds=[0, 1], lr=1e-3, dropout=0.2,
                   ablation=("clipped", "smaller beta")),
        standard=dict(steps=2000, hidden=128, latent_dim=64, critic_hidden=(128, 128), n_test=1000,
                      n_classifier=10000, classifier_epochs=1, seeds=[0, 1, 2], lr=1e-3, dropout=0.2,
                      ablation=()),
        long=dict(steps=4000, hidden=128, latent_dim=64, critic_hidden=(128, 128), n_test=2000,
                  n_classifier=20000, classifier_epochs=2, seeds=[0, 1, 2, 3, 4], lr=1e-3,
                  dropout=0.2, ablation=("clipped", "smaller beta")),
        paper=dict(steps=50000, hidden=1024, latent_dim=64, critic_hidden=(512, 512), n_test=10000,
                   n_classifier=60000, classifier_epochs=5, seeds=[0, 1, 2, 3, 4], lr=2e-4,
                   dropout=0.2, ablation=("clipped", "smaller beta")),
    )
    # weights of the MI term (ALI+MINE, the paper's objective) and of the l2 term (ALICE); the
    # ablation adds ALI+MINE with the MI gradient clipped and with a 10 times smaller beta
    BETA, BETA_LOW, RECON_WEIGHT = pick(smoke=(1.0, 0.1, 1.0), standard=(1.0, 0.1, 1.0),
                                        paper=(1.0, 0.1, 1.0))
    return locals()


def information_bottleneck(pick):
    N_TRAIN = pick(smoke=2000, standard=10000, paper=60000, long=10000)
    N_TEST = pick(smoke=2000, standard=5000, paper=10000)
    SEEDS = pick(smoke=[0, 1], standard=[0, 1, 2, 3, 4], paper=[0, 1, 2, 3, 4], long=list(range(60)))
    # MINE-IB's beta in the comparison: the smallest of a development sweep (0.001, 0.003, 0.01,
    # 0.03) at which beta times MINE's estimate carries over 10 % of the training loss; at 0.001
    # it carried under 1 % (the regulariser nearly off); the beta sweep shows every share
    BETA = pick(smoke=3e-2, standard=3e-2, paper=3e-2)
    BETA_DVB = pick(smoke=1e-3, standard=1e-3, paper=1e-3)  # Alemi et al.'s value
    BETAS = pick(smoke=[0.0, 1e-1], standard=[0.0, 1e-3, 1e-2, 1e-1, 1.0],
                 paper=[0.0, 1e-4, 1e-3, 1e-2, 1e-1, 1.0])
    SWEEP_SEEDS = pick(smoke=[0], standard=[0], paper=[0, 1, 2], long=[0, 1])
    BASE = IBConfig(
        hidden=pick(smoke=(64,), standard=(256, 256), paper=(1024, 1024)),
        code_dim=pick(smoke=16, standard=64, paper=256),
        critic_hidden=pick(smoke=(64,), standard=(256, 256), paper=(512, 512)),
        epochs=pick(smoke=2, standard=6, paper=200, long=8),
        lr=pick(smoke=1e-3, standard=1e-3, paper=1e-4),
        critic_lr=pick(smoke=1e-3, standard=1e-3, paper=1e-4),
        lr_decay=pick(smoke=1.0, standard=1.0, paper=0.97 ** 0.5),
        eval_samples=pick(smoke=4, standard=12, paper=12),
        beta=BETA,
    )
    return locals()


def estimators_benchmark(pick):
    task_set = pick(smoke="smoke", standard="standard", paper="paper")   # benchmark_tasks(task_set)
    seeds = pick(smoke=[0], standard=[0, 1], paper=[0, 1, 2, 3, 4])
    n = pick(smoke=500, standard=4_000, paper=10_000)
    # standard and smoke: fixed short runs (the same number of steps for every neural estimator);
    # paper: the library defaults (early stopping on the validation split, up to 10,000 steps)
    run_options = pick(smoke=dict(max_steps=40, eval_every=20, hidden=(64, 64)),
                       standard=dict(max_steps=500, eval_every=100, hidden=(128, 128)),
                       paper={})
    # the staircase of MI levels; the recorded long run trains its critics longer, on more rows
    levels = pick(smoke=(2.0, 10.0), standard=(2.0, 4.0, 6.0, 8.0, 10.0),
                  paper=(2.0, 4.0, 6.0, 8.0, 10.0), long=(2.0, 3.0, 4.0, 5.0, 6.0, 8.0))
    stair_seeds = pick(smoke=[0, 1], standard=[0, 1, 2], paper=list(range(5)), long=list(range(10)))
    stair_n = pick(smoke=n, standard=n, paper=n, long=10_000)
    stair_options = pick(smoke=run_options, standard=run_options, paper=run_options,
                         long=dict(max_steps=2000, eval_every=200, hidden=(128, 128)))
    return locals()


def your_own_data(pick):
    n = pick(smoke=600, standard=5_000, paper=20_000)
    max_steps = pick(smoke=40, standard=3_000, paper=10_000)  # a cap: runs stop early on validation
    seeds = pick(smoke=[0, 1], standard=[0, 1], paper=list(range(10)))
    fractions = pick(smoke=[0.5, 1.0], standard=[0.2, 0.5, 1.0], paper=[0.1, 0.25, 0.5, 1.0])
    n_high = pick(smoke=600, standard=2_000, paper=2_000)
    high_steps = pick(smoke=40, standard=600, paper=1_000)
    short_steps = pick(smoke=20, standard=200, paper=200)
    n_tail = pick(smoke=2_000, standard=8_000, paper=8_000)  # the heavy-tailed case of "likely higher"
    return locals()


def scorecard(pick):
    return {}


CHAPTERS = {
    "01_mutual_information": mutual_information,
    "02_dual_bounds": dual_bounds,
    "03_mine_estimator": mine_estimator,
    "04_gaussian_reproduction": gaussian_reproduction,
    "05_equitability": equitability,
    "06_improved_losses": improved_losses,
    "07_gan_mode_dropping": gan_mode_dropping,
    "08_ali_reconstruction": ali_reconstruction,
    "09_information_bottleneck": information_bottleneck,
    "10_estimators_benchmark": estimators_benchmark,
    "11_your_own_data": your_own_data,
    "12_scorecard": scorecard,
}


def _run(chapter: str, profile: str) -> tuple[dict, list]:
    if chapter not in CHAPTERS:
        raise InputError(f"no settings for chapter {chapter!r}; chapters: {', '.join(CHAPTERS)}")
    pick = Pick(profile)
    values = {k: v for k, v in CHAPTERS[chapter](pick).items() if k != "pick"}
    return values, pick.picked


def values(chapter: str, profile: str | None = None) -> dict:
    """Name -> value of the chapter's settings in ``profile`` (default: the active one)."""
    return _run(chapter, profile or profiles.current())[0]


def picked(chapter: str, profile: str) -> list:
    """The value of every ``pick`` and ``pick.fixed`` of the chapter in ``profile``, in order."""
    return _run(chapter, profile)[1]


def chapter(name: str, profile: str | None = None) -> SimpleNamespace:
    """The chapter's settings for ``profile`` (default: the active one), as attributes."""
    return SimpleNamespace(**values(name, profile))


def described(chapter: str, profile: str) -> dict[str, str]:
    """Name -> repr of each setting: what a recording stores and hashes."""
    return {k: repr(v) for k, v in values(chapter, profile).items()}


def settings_hash(described_settings: dict[str, str]) -> str:
    return hashlib.sha256(json.dumps(described_settings, sort_keys=True).encode()).hexdigest()[:16]
