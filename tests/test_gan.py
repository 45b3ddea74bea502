"""GAN + MINE: the toy data, the adaptive clipping, the training loop and the MI readouts."""

import math

import numpy as np
import pytest
import torch
from torch import nn

from mine_lib import DivergenceError, InputError
from mine_lib.critics import ConcatCritic, mlp
from mine_lib.experiments.gan import (
    GANConfig,
    GANNets,
    StackedMineLoss,
    adaptive_clip,
    code_mi,
    critic_mi,
    global_norm,
    grid_gaussians,
    model_norms,
    spiral_gaussians,
    toy_data,
    toy_discriminator,
    toy_nets,
    train_gan,
    train_image_gan,
    train_image_gans,
    train_toy_gan,
    train_toy_gans,
)

# ---------------------------------------------------------------- data

def test_grid_has_25_centres_from_minus_4_to_4():
    data = grid_gaussians()
    assert data.centers.shape == (25, 2) and data.sigma == 0.05
    assert sorted(set(data.centers[:, 0])) == [-4.0, -2.0, 0.0, 2.0, 4.0]
    assert sorted(set(data.centers[:, 1])) == [-4.0, -2.0, 0.0, 2.0, 4.0]


def test_spiral_centres_are_evenly_spaced_on_a_spiral():
    data = spiral_gaussians(n_modes=30, radius=4.0, sigma_ratio=0.2)
    gaps = np.linalg.norm(np.diff(data.centers, axis=0), axis=1)
    # equal arc length: the chords differ by little (the spiral bends most at its centre)
    assert gaps.std() / gaps.mean() < 0.05
    assert np.linalg.norm(data.centers[-1]) == pytest.approx(4.0)
    radii = np.linalg.norm(data.centers, axis=1)
    assert np.all(np.diff(radii) > 0)  # moving outward all along
    assert data.sigma == pytest.approx(0.2 * gaps.mean())


def test_samples_are_seeded_and_centred_on_the_modes():
    data = toy_data("25-gaussians")
    a = data.sample(4000, torch.Generator().manual_seed(1))
    b = data.sample(4000, torch.Generator().manual_seed(1))
    assert torch.equal(a, b)
    d = torch.cdist(a.double(), torch.as_tensor(data.centers)).min(dim=1).values
    assert d.max() < 6 * data.sigma
    with pytest.raises(InputError, match="unknown toy dataset"):
        toy_data("swiss-roll")


# ---------------------------------------------------------------- adaptive clipping

def test_global_norm_runs_over_every_parameter():
    grads = [torch.tensor([3.0, 0.0]), None, torch.tensor([[4.0]])]
    assert float(global_norm(grads)) == pytest.approx(5.0)  # not 4 (the last one alone)


def test_clip_scales_the_mi_gradient_to_the_adversarial_norm():
    adv = [torch.tensor([3.0, 0.0]), torch.tensor([[4.0]])]  # global norm 5
    mi = [torch.tensor([0.0, 6.0]), torch.tensor([[8.0]])]   # global norm 10
    clipped = adaptive_clip(adv, mi)
    assert torch.allclose(clipped[0], torch.tensor([0.0, 3.0]))
    assert torch.allclose(clipped[1], torch.tensor([[4.0]]))
    # a per-parameter clip would give [0, 3] and [[0]] (norms 3 and 4 each): ours does not
    small = [torch.tensor([0.0, 0.6]), torch.tensor([[0.8]])]  # norm 1 < 5: left alone
    assert all(torch.equal(a, b) for a, b in zip(adaptive_clip(adv, small), small))


def test_clip_keeps_none_and_checks_its_input():
    adv = [torch.ones(2), None]
    out = adaptive_clip(adv, [torch.full((2,), 10.0), None])
    assert out[1] is None and float(global_norm(out)) == pytest.approx(math.sqrt(2))
    with pytest.raises(InputError, match="one gradient per generator parameter"):
        adaptive_clip(adv, [torch.ones(2)])
    with pytest.raises(InputError, match="shapes differ"):
        adaptive_clip([torch.ones(2)], [torch.ones(3)])


@pytest.mark.parametrize("seed", range(20))
def test_clipped_norm_is_the_smaller_of_the_two(seed):
    gen = torch.Generator().manual_seed(seed)
    shapes = [(5, 3), (3,), (1, 7)]
    adv = [torch.randn(s, generator=gen) * torch.rand(1, generator=gen) * 10 for s in shapes]
    mi = [torch.randn(s, generator=gen) * torch.rand(1, generator=gen) * 10 for s in shapes]
    clipped = adaptive_clip(adv, mi)
    expected = min(float(global_norm(adv)), float(global_norm(mi)))
    assert float(global_norm(clipped)) == pytest.approx(expected, rel=1e-6)
    # same direction as the MI gradient
    cos = torch.cat([c.ravel() for c in clipped]) @ torch.cat([m.ravel() for m in mi])
    assert float(cos) / (float(global_norm(clipped)) * float(global_norm(mi))) == pytest.approx(1.0)


# ---------------------------------------------------------------- training

def test_training_never_lets_the_mi_gradient_outgrow_the_adversarial_one():
    data = toy_data("25-gaussians")
    run = train_toy_gan(data, GANConfig(beta=1.0, steps=150, batch_size=64, seed=0),
                        hidden=(32, 32))
    h = run.history
    assert np.all(h["mi_norm_clipped"] <= h["adv_norm"] * (1 + 1e-6))
    assert np.any(h["mi_norm"] > h["adv_norm"])  # so the clip had work to do
    unclipped = np.minimum(h["mi_norm"], h["adv_norm"])
    assert np.allclose(h["mi_norm_clipped"], unclipped, rtol=1e-5)
    assert np.all(np.isfinite(h["mi"]))


def test_beta_zero_adds_no_mi_gradient_and_snapshots_are_kept():
    data = toy_data("spiral")
    cfg = GANConfig(beta=0.0, steps=40, batch_size=32, seed=3, snapshot_at=(10, 40),
                    snapshot_size=100)
    run = train_toy_gan(data, cfg, hidden=(16,))
    assert np.all(run.history["mi_norm_clipped"] == 0)
    assert sorted(run.snapshots) == [10, 40]
    assert run.snapshots[40].shape == (100, 2)
    again = train_toy_gan(data, cfg, hidden=(16,))
    assert np.array_equal(run.snapshots[40], again.snapshots[40])  # seeded


class IgnoresCode(nn.Module):
    """A generator whose output does not depend on the code c (the last d_code inputs)."""

    def __init__(self, d_noise):
        super().__init__()
        self.d_noise = d_noise
        self.net = mlp(d_noise, (32,), 2)

    def forward(self, inputs):
        return self.net(inputs[:, : self.d_noise])


class ShowsCode(nn.Module):
    """A generator that writes the code into its output: x = c + 0.1 eps."""

    def __init__(self):
        super().__init__()
        self.scale = nn.Parameter(torch.ones(1))

    def forward(self, inputs):
        return self.scale * inputs[:, 2:] + 0.1 * inputs[:, :2]


def nets_with(generator):
    return GANNets(generator, toy_discriminator((32,)), ConcatCritic(2, 2, (64, 64)), 2, 2)


def test_mi_of_a_generator_that_ignores_the_code_is_near_zero():
    mi = code_mi(nets_with(IgnoresCode(2)), n=3000, seed=0, max_steps=1500, eval_every=100)
    assert abs(mi) < 0.05
    # ... and clearly positive when the output carries the code
    # (x = c + 0.1 eps per coordinate: I = 2 * 0.5 log(1 + 100) = 4.6 nats)
    assert code_mi(nets_with(ShowsCode()), n=3000, seed=0, max_steps=1500, eval_every=100) > 1.5


def test_running_mine_estimate_tracks_the_code_dependence():
    data = toy_data("25-gaussians")
    cfg = GANConfig(beta=1.0, steps=300, batch_size=128, seed=0)
    blind = train_gan(data.sample, nets_with(IgnoresCode(2)), cfg)
    seeing = train_gan(data.sample, nets_with(ShowsCode()), cfg)
    assert abs(critic_mi(blind, n=4000)) < 0.1
    assert critic_mi(seeing, n=4000) > 1.0


def test_divergence_is_reported():
    def broken_data(n, generator):
        return torch.full((n, 2), float("nan"))

    with pytest.raises(DivergenceError, match="diverged at step 1"):
        train_gan(broken_data, toy_nets(hidden=(8,)), GANConfig(steps=5, batch_size=8))


def test_bad_settings_get_clear_errors():
    nets, data = toy_nets(hidden=(8,)), toy_data("spiral")
    with pytest.raises(InputError, match="beta"):
        train_gan(data.sample, nets, GANConfig(beta=-1.0, steps=5))
    with pytest.raises(InputError, match="snapshot"):
        train_gan(data.sample, nets, GANConfig(steps=5, snapshot_at=(10,)))
    with pytest.raises(InputError, match="steps"):
        train_gan(data.sample, nets, GANConfig(steps=0))
    with pytest.raises(InputError, match="images"):
        train_image_gan(np.zeros((4, 28, 28), dtype=np.uint8))


def test_image_gan_runs_on_stacked_images():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(32, 3, 28, 28), dtype=np.uint8)
    cfg = GANConfig(beta=1.0, steps=3, batch_size=8, snapshot_at=(3,), snapshot_size=5)
    run = train_image_gan(images, cfg, d_noise=4, d_code=3, width=4, critic_width=4)
    x = run.snapshots[3]
    assert x.shape == (5, 3, 28, 28) and x.min() >= 0 and x.max() <= 1
    assert np.all(run.history["mi_norm_clipped"] <= run.history["adv_norm"] * (1 + 1e-6))


def test_stacked_clip_equals_one_clip_per_model():
    gen = torch.Generator().manual_seed(0)
    adv = [torch.randn(3, 4, 5, generator=gen), torch.randn(3, 1, 5, generator=gen)]
    mi = [torch.randn(3, 4, 5, generator=gen) * 3, torch.randn(3, 1, 5, generator=gen) * 3]
    mi[0][1] *= 0.01  # model 1: the MI gradient is the smaller one and must stay as it is
    mi[1][1] *= 0.01
    stacked = adaptive_clip(adv, mi, n_models=3)
    norms = model_norms(stacked, 3)
    for s in range(3):
        alone = adaptive_clip([g[s] for g in adv], [g[s] for g in mi])
        assert all(torch.allclose(a, b[s]) for a, b in zip(alone, stacked))
        assert float(norms[s]) <= float(global_norm([g[s] for g in adv])) * (1 + 1e-6)  # float32
    assert torch.equal(stacked[0][1], mi[0][1])


def test_stacked_training_matches_training_alone():
    jobs = [(toy_data("25-gaussians"), GANConfig(beta=0.0, seed=0, steps=3, snapshot_at=(3,),
                                                 snapshot_size=50)),
            (toy_data("spiral"), GANConfig(beta=1.0, seed=1, steps=3, snapshot_at=(3,),
                                           snapshot_size=50))]
    sizes = dict(hidden=(16, 16), critic_hidden=(16,))
    together = train_toy_gans(jobs, **sizes)
    alone = train_toy_gan(*jobs[1], **sizes)
    assert np.allclose(together[1].snapshots[3], alone.snapshots[3], atol=1e-5)
    assert np.allclose(together[1].history["mi_norm"], alone.history["mi_norm"], rtol=1e-4)
    assert together[1].label == "spiral, beta=1, seed=1"
    with pytest.raises(InputError, match="beta and seed only"):
        train_toy_gans([jobs[0], (jobs[1][0], GANConfig(steps=4))], **sizes)


def test_stacked_mine_loss_equals_one_mine_loss_per_model():
    from mine_lib.objectives import MineLoss

    gen = torch.Generator().manual_seed(0)
    stacked, alone = StackedMineLoss(rate=0.1), [MineLoss(rate=0.1) for _ in range(3)]
    for step in range(4):  # the moving averages must stay apart too
        t_joint = torch.randn(3, 16, generator=gen) * (1 + torch.arange(3.0))[:, None]
        t_marg = torch.randn(3, 16, generator=gen) * (1 + torch.arange(3.0))[:, None]
        together = stacked(t_joint, t_marg)
        each = torch.stack([m(t_joint[s], t_marg[s]) for s, m in enumerate(alone)])
        assert torch.allclose(together, each, atol=1e-6), step
    with pytest.raises(InputError, match="rate"):
        StackedMineLoss(rate=0.0)


def test_stacked_dcgans_match_training_alone():
    images = np.random.default_rng(0).integers(0, 256, size=(64, 3, 28, 28), dtype=np.uint8)
    cfgs = [GANConfig(beta=b, seed=s, steps=3, batch_size=8, snapshot_at=(3,), snapshot_size=5)
            for b, s in ((0.0, 0), (1.0, 1))]
    sizes = {"d_noise": 4, "d_code": 3, "width": 4, "critic_width": 4}
    together = train_image_gans(images, cfgs, **sizes)
    alone = train_image_gan(images, cfgs[1], **sizes)
    assert np.allclose(together[1].snapshots[3], alone.snapshots[3], atol=1e-4)
    assert np.allclose(together[1].history["mi_norm"], alone.history["mi_norm"], rtol=1e-4)
    assert np.all(together[0].history["mi_norm_clipped"] == 0)  # beta = 0 stays a plain GAN
    # the networks copied back out of the stack (batch-norm statistics included) are the same
    from mine_lib.experiments.gan import generate

    assert np.allclose(generate(together[1].nets, 10, seed=5), generate(alone.nets, 10, seed=5),
                       atol=1e-4)
    with pytest.raises(InputError, match="beta and seed only"):
        train_image_gans(images, [cfgs[0], GANConfig(steps=4, batch_size=8)], **sizes)
    with pytest.raises(InputError, match="at least one"):
        train_image_gans(images, [], **sizes)


def test_clip_with_owners_equals_one_clip_per_model():
    gen = torch.Generator().manual_seed(1)
    shapes = [(4, 5), (5,), (2, 3)]
    adv = {s: [torch.randn(sh, generator=gen) for sh in shapes] for s in range(2)}
    mi = {s: [torch.randn(sh, generator=gen) * (5 if s == 0 else 0.01) for sh in shapes]
          for s in range(2)}
    owners = [0, 0, 0, 1, 1, 1]
    together = adaptive_clip(adv[0] + adv[1], mi[0] + mi[1], 2, owners=owners)
    for s in range(2):
        alone = adaptive_clip(adv[s], mi[s])
        assert all(torch.allclose(a, b) for a, b in zip(alone, together[3 * s: 3 * s + 3]))
    norms = model_norms(together, 2, owners)
    assert float(norms[0]) == pytest.approx(float(global_norm(adv[0])), rel=1e-6)  # clipped
    assert float(norms[1]) == pytest.approx(float(global_norm(mi[1])), rel=1e-6)   # left alone
