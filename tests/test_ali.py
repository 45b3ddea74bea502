"""ALI, ALI+MINE and ALICE-l2: the encoder, the objectives' effects, errors and divergence."""

import math

import numpy as np
import pytest

from mine_lib.errors import DivergenceError, InputError
from mine_lib.experiments import ali


def patterns(n_per: int = 50, seed: int = 0) -> np.ndarray:
    """Four distinct 8x8 single-channel patterns (bars and blocks), lightly noised."""
    base = np.zeros((4, 8, 8))
    base[0, :, :4] = 1.0
    base[1, :4, :] = 1.0
    base[2, 2:6, 2:6] = 1.0
    base[3, ::2, :] = 1.0
    rng = np.random.default_rng(seed)
    x = np.repeat(base, n_per, axis=0) + 0.05 * rng.standard_normal((4 * n_per, 8, 8))
    return np.clip(x, 0, 1)[:, None].astype(np.float32)


def small(model: str = "ali", **kw) -> ali.ALIConfig:
    options = dict(model=model, latent_dim=4, hidden=64, critic_hidden=(64,), steps=400,
                   batch_size=50, lr=1e-3, critic_lr=1e-3, device="cpu")
    options.update(kw)
    return ali.ALIConfig(**options)


@pytest.fixture(scope="module")
def data():
    return patterns()


@pytest.fixture(scope="module")
def runs(data):
    return {m: ali.train_ali(data, small(m, beta=2.0)) for m in ali.MODELS}


def test_encoder_noise_has_the_fixed_sigma(data):
    run = ali.train_ali(data, small("ali", steps=1))
    many = np.repeat(data, 20, axis=0)
    noise = ali.encode(run, many, sample=True, seed=1) - ali.encode(run, many, sample=False)
    assert noise.std() == pytest.approx(1.0, abs=0.02)
    assert abs(noise.mean()) < 0.02
    run2 = ali.train_ali(data, small("ali", steps=1, sigma=0.3))
    noise2 = ali.encode(run2, many, seed=1) - ali.encode(run2, many, sample=False)
    assert noise2.std() == pytest.approx(0.3, abs=0.01)


def test_any_image_shape_goes_through():
    rng = np.random.default_rng(0)
    rgb = rng.random((30, 3, 6, 5)).astype(np.float32)
    run = ali.train_ali(rgb, small("alice-l2", steps=3))
    rec = ali.reconstruct(run, rgb)
    assert rec.shape == rgb.shape and rec.min() >= 0 and rec.max() <= 1
    assert ali.sample(run, 7).shape == (7, 3, 6, 5)
    assert math.isfinite(ali.mi_estimate(run, rgb))
    with pytest.raises(InputError, match="trained on images of shape"):
        ali.reconstruct(run, rgb[:, :1])
    with pytest.raises(InputError, match="z must have shape"):
        ali.decode(run, np.zeros((2, 5)))


def test_training_curves_are_logged_and_finite(runs):
    for run in runs.values():
        h = run.history
        assert list(h["step"][:2]) == [10, 20] and h["step"][-1] == 400
        for key in ("d_loss", "adv_loss", "mi_train"):
            assert len(h[key]) == len(h["step"]) and np.all(np.isfinite(h[key]))


def test_alice_l2_term_makes_reconstructions_faithful(data, runs):
    untrained = ali.train_ali(data, small("alice-l2", steps=1))
    err = {name: np.mean((ali.reconstruct(r, data) - data) ** 2) for name, r in runs.items()}
    before = np.mean((ali.reconstruct(untrained, data) - data) ** 2)
    assert err["alice-l2"] < 0.25 * before
    assert err["alice-l2"] < 0.5 * err["ali"]


def test_mine_term_raises_the_information_through_the_encoder(data, runs):
    bound = {name: ali.channel_bound(r, data) for name, r in runs.items()}
    mi = {name: ali.mi_estimate(r, data) for name, r in runs.items()}
    assert bound["ali+mine"] > bound["ali"] + 0.3
    assert mi["ali+mine"] > mi["ali"] + 0.3
    # MINE's held-out DV estimate stays below the Gaussian-channel upper bound
    for name in ali.MODELS:
        assert mi[name] < bound[name] + 0.15, (name, mi[name], bound[name])


def test_gaussian_channel_bound_by_hand():
    means = np.array([[-1.0, 5.0], [1.0, 5.0]])  # variance 2 (n - 1 = 1) and 0
    assert ali.gaussian_channel_bound(means) == pytest.approx(0.5 * math.log(3.0))
    assert ali.gaussian_channel_bound(means, sigma=2.0) == pytest.approx(0.5 * math.log(1.5))
    assert ali.gaussian_channel_bound(np.ones((10, 3))) == pytest.approx(0.0)
    with pytest.raises(InputError, match="means must be"):
        ali.gaussian_channel_bound(np.ones(5))


@pytest.mark.parametrize("options, message", [
    (dict(model="bigan"), "unknown model"),
    (dict(beta=-1.0), "beta"),
    (dict(sigma=0.0), "sigma"),
    (dict(steps=0), "steps"),
    (dict(dropout=1.0), "dropout"),
])
def test_bad_settings_get_clear_errors(data, options, message):
    with pytest.raises(InputError, match=message):
        ali.train_ali(data, small(**{"model": "ali", **options}))


@pytest.mark.parametrize("images, message", [
    (np.full((10, 1, 8, 8), np.nan), "NaN"),
    (np.full((10, 1, 8, 8), 3.0), r"\[0, 1\]"),
    (np.zeros((10, 64)), "shape"),
    (np.zeros((1, 1, 8, 8)), "at least 2"),
])
def test_bad_images_get_clear_errors(images, message):
    with pytest.raises(InputError, match=message):
        ali.train_ali(images, small("ali", steps=2))


def test_divergence_is_reported(data):
    with pytest.raises(DivergenceError, match="diverged at step"):
        ali.train_ali(data, small("ali+mine", lr=1e12, critic_lr=1e12, steps=200))


def test_a_seed_trains_the_same_alone_or_stacked_with_others(data):
    cfg = small("ali+mine", steps=15, clip=True, dropout=0.2)
    together = ali.train_ali_seeds(data, cfg, [3, 4])
    alone = ali.train_ali_seeds(data, cfg, [4])[0]
    for name in ("encoder", "generator", "discriminator", "critic"):
        a = dict(getattr(together[1].model, name).named_parameters())
        b = dict(getattr(alone.model, name).named_parameters())
        for key, value in a.items():
            assert np.allclose(value.detach(), b[key].detach(), atol=1e-5), (name, key)
    assert np.allclose(together[1].history["mi_train"], alone.history["mi_train"], atol=1e-4)
    # and the two members of the stack are different models
    w0, w1 = (r.model.encoder[0].weight.detach() for r in together)
    assert not np.allclose(w0, w1)
    assert [r.config["seed"] for r in together] == [3, 4]


def test_adaptive_clip_caps_each_members_mi_gradient_by_its_adversarial_norm():
    import torch
    adv = [torch.tensor([[3.0, 4.0], [0.3, 0.4]])]      # norms 5 and 0.5
    mi = [torch.tensor([[0.6, 0.8], [6.0, 8.0]])]       # norms 1 and 10
    out = ali.adaptive_clip(adv, mi, n_models=2)[0]
    assert torch.allclose(out[0], mi[0][0])              # below the cap: unchanged
    assert torch.allclose(out[1], torch.tensor([0.3, 0.4]))  # scaled to norm 0.5, same direction


def test_stacking_needs_a_seed(data):
    with pytest.raises(InputError, match="at least one seed"):
        ali.train_ali_seeds(data, small("ali", steps=2), [])
