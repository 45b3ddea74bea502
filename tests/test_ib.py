"""The Information Bottleneck module: encoders, regularisers, MINE-IB and the training loop."""

import math
from dataclasses import replace

import numpy as np
import pytest
import torch
from torch.nn import functional as F

from mine_lib import bounds
from mine_lib.critics import ConcatCritic
from mine_lib.errors import DivergenceError, InputError
from mine_lib.experiments import ib
from mine_lib.objectives import MineLoss

DX, CODE = 20, 6
SMALL = ib.IBConfig(hidden=(16,), code_dim=CODE, critic_hidden=(16,), noise_dim=5,
                    epochs=2, batch_size=16, lr=1e-3, critic_lr=1e-3, eval_samples=3)


def toy_data(n: int = 96, seed: int = 0):
    """Two classes told apart by the sign of the first pixel."""
    rng = np.random.default_rng(seed)
    x = rng.uniform(0, 1, size=(n, 4, 5)).astype(np.float32)
    y = (x[:, 0, 0] > 0.5).astype(np.int64)
    return x, y


def encoder(kind: str, **changes) -> ib.DeterministicEncoder:
    torch.manual_seed(0)
    return ib.make_encoder(replace(SMALL, encoder=kind, **changes), DX)


# ---------------------------------------------------------------- encoders

@pytest.mark.parametrize("kind", ib.ENCODERS)
def test_every_encoder_gives_codes_of_the_configured_shape(kind):
    z = encoder(kind)(torch.rand(7, DX))
    assert z.shape == (7, CODE)
    assert torch.isfinite(z).all()


@pytest.mark.parametrize("kind", ib.STOCHASTIC)
def test_stochastic_encoders_inject_noise_two_passes_differ(kind):
    enc, x = encoder(kind), torch.rand(7, DX)
    enc.eval()  # noise is part of the model, not a training-only trick
    z1, z2 = enc(x), enc(x)
    assert (z1 - z2).abs().min() > 0  # every coordinate of every row moved
    g1, g2 = torch.Generator().manual_seed(3), torch.Generator().manual_seed(3)
    assert torch.equal(enc(x, g1), enc(x, g2))  # and the noise is the generator's


def test_deterministic_encoder_is_deterministic_and_dropout_is_not():
    x = torch.rand(7, DX)
    plain = encoder("deterministic")
    assert torch.equal(plain(x), plain(x))
    torch.manual_seed(0)
    dropped = ib.make_encoder(replace(SMALL, regularizer="dropout", dropout=0.5), DX)
    dropped.train()
    assert not torch.equal(dropped(x), dropped(x))
    dropped.eval()
    assert torch.equal(dropped(x), dropped(x))


def test_gaussian_encoder_noise_is_standard_normal_in_units_of_sigma():
    enc, x = encoder("gaussian"), torch.rand(1, DX).expand(4000, DX)
    with torch.no_grad():
        out = enc.encode(x, torch.Generator().manual_seed(1))
    eps = (out.z - out.mu) / out.sigma
    assert abs(float(eps.mean())) < 0.03
    assert abs(float(eps.std()) - 1.0) < 0.03
    # sigma = softplus(s - 5): small at initialisation, positive
    assert (out.sigma > 0).all() and float(out.sigma.max()) < 0.05


def test_additive_encoder_noise_enters_at_the_input():
    x = torch.rand(5, DX)
    enc = encoder("additive", input_noise=0.3)
    quiet = encoder("additive", input_noise=0.0)  # same weights (same seed), no noise
    assert torch.equal(quiet(x), quiet(x))
    assert torch.equal(quiet(x), quiet.net(x))
    gen = torch.Generator().manual_seed(2)
    eps = torch.randn((5, DX), generator=torch.Generator().manual_seed(2))
    assert torch.allclose(enc(x, gen), enc.net(x + 0.3 * eps), atol=1e-6)


def test_propagated_encoder_feeds_noise_beside_the_input():
    enc, x = encoder("propagated"), torch.rand(5, DX)
    assert enc.net[0].in_features == DX + SMALL.noise_dim
    eps = torch.randn((5, SMALL.noise_dim), generator=torch.Generator().manual_seed(4))
    z = enc(x, torch.Generator().manual_seed(4))
    assert torch.allclose(z, enc.net(torch.cat([x, eps], dim=1)), atol=1e-6)


# ---------------------------------------------------------------- regularisers

def test_confidence_penalty_subtracts_the_entropy():
    logits = torch.zeros(3, 10)  # uniform predictions: entropy log 10, cross-entropy log 10
    labels = torch.tensor([0, 4, 9])
    assert math.isclose(float(ib.entropy(logits)), math.log(10), rel_tol=1e-6)
    loss = ib.confidence_penalty_loss(logits, labels, weight=0.5)
    assert math.isclose(float(loss), math.log(10) - 0.5 * math.log(10), rel_tol=1e-6)


def test_label_smoothing_by_hand():
    logits = torch.tensor([[2.0, 0.0, -1.0]])
    logp = torch.log_softmax(logits, 1)[0]
    e = 0.3  # target (1 - e + e/3, e/3, e/3)
    expected = -((1 - e + e / 3) * logp[0] + e / 3 * logp[1] + e / 3 * logp[2])
    loss = ib.label_smoothing_loss(logits, torch.tensor([0]), e)
    assert math.isclose(float(loss), float(expected), rel_tol=1e-6)
    assert math.isclose(float(ib.label_smoothing_loss(logits, torch.tensor([0]), 0.0)),
                        float(F.cross_entropy(logits, torch.tensor([0]))), rel_tol=1e-6)


def test_vib_kl_closed_form():
    assert float(ib.gaussian_kl(torch.zeros(4, 3), torch.ones(4, 3))) == 0.0
    mu, sigma = torch.tensor([[1.0, 0.0]]), torch.tensor([[1.0, 0.5]])
    # per dimension 0.5 (s^2 + m^2 - 1 - log s^2): 0.5 + 0.5 (0.25 - 1 - log 0.25)
    expected = 0.5 + 0.5 * (0.25 - 1 - math.log(0.25))
    assert math.isclose(float(ib.gaussian_kl(mu, sigma)), expected, rel_tol=1e-6)


def test_split_critic_scores_equal_the_critic_on_the_pairs():
    torch.manual_seed(0)
    critic = ConcatCritic(DX, CODE, (8, 8))
    x, z = torch.randn(9, DX), torch.randn(9, CODE)
    perm = torch.randperm(9)
    tj, tm = ib.critic_pair_scores(critic, x, z, perm)
    assert torch.allclose(tj, critic(x, z), atol=1e-5)
    assert torch.allclose(tm, critic(x, z[perm]), atol=1e-5)


# ---------------------------------------------------------------- MINE-IB and beta = 0

def one_batch(cfg):
    x, y = ib.as_inputs(*toy_data(16))
    torch.manual_seed(0)
    net = ib.build(cfg, DX, torch.Generator().manual_seed(0))
    return net, x, y


def test_beta_zero_mine_loss_is_the_cross_entropy_and_beta_adds_the_estimate():
    cfg = replace(SMALL, regularizer="mine", encoder="gaussian", beta=0.0)
    net, x, y = one_batch(cfg)
    out = ib.step_losses(net, cfg, x, y, MineLoss(0.01), torch.Generator().manual_seed(5),
                         torch.randperm(16, generator=torch.Generator().manual_seed(6)))
    z = net.encoder(x, torch.Generator().manual_seed(5))
    assert torch.equal(out.total, F.cross_entropy(net.decoder(z), y))
    assert out.critic is not None and math.isfinite(float(out.info))
    # with beta > 0 the same batch costs exactly beta * (the DV estimate) more
    cfg2 = replace(cfg, beta=0.7)
    out2 = ib.step_losses(net, cfg2, x, y, MineLoss(0.01), torch.Generator().manual_seed(5),
                          torch.randperm(16, generator=torch.Generator().manual_seed(6)))
    total, ce, info = (float(t.detach()) for t in (out2.total, out.ce, out2.info))
    assert math.isclose(total, ce + 0.7 * info, rel_tol=1e-5)


def test_beta_zero_mine_ib_trains_exactly_like_the_baseline_loss():
    """The critic learns alongside, but with beta = 0 the classifier ends bit for bit where
    cross-entropy alone takes the same encoder; with beta > 0 it does not."""
    x, y = toy_data()
    for kind in ib.STOCHASTIC:
        cfg = replace(SMALL, encoder=kind)
        plain = ib.train_ib(x, y, replace(cfg, regularizer="none"))
        mine0 = ib.train_ib(x, y, replace(cfg, regularizer="mine", beta=0.0))
        mine1 = ib.train_ib(x, y, replace(cfg, regularizer="mine", beta=0.5))
        for name, p in plain.model.encoder.state_dict().items():
            assert torch.equal(p, mine0.model.encoder.state_dict()[name]), (kind, name)
            assert torch.equal(plain.model.decoder.weight, mine0.model.decoder.weight)
        assert not torch.equal(plain.model.decoder.weight, mine1.model.decoder.weight)
        assert np.array_equal(plain.history["ce"], mine0.history["ce"])
        assert np.isfinite(mine0.history["info"]).all() and (mine0.history["info"] != 0).any()


def test_mine_ib_gradient_lowers_the_critics_estimate():
    """Steps on beta * (MINE's estimate) move the encoder so that the statistics network
    (held fixed here) tells joint pairs from shuffled ones less well; CE is negligible."""
    cfg = replace(SMALL, regularizer="mine", encoder="gaussian", beta=1e3)
    net, x, y = one_batch(cfg)
    perm = torch.randperm(16, generator=torch.Generator().manual_seed(6))

    @torch.no_grad()
    def estimate():
        z = net.encoder(x, torch.Generator().manual_seed(5))
        return float(bounds.dv_bound(*ib.critic_pair_scores(net.critic, x, z, perm)))

    opt = torch.optim.SGD(net.encoder.parameters(), lr=1e-4)
    values = [estimate()]
    for _ in range(5):
        out = ib.step_losses(net, cfg, x, y, MineLoss(1.0), torch.Generator().manual_seed(5), perm)
        opt.zero_grad()
        out.total.backward(inputs=list(net.encoder.parameters()))
        opt.step()
        values.append(estimate())
    assert all(b < a for a, b in zip(values, values[1:])), values


# ---------------------------------------------------------------- training, evaluation, errors

def test_every_paper_model_trains_and_learns_the_toy_task():
    x, y = toy_data(256)
    xt, yt = toy_data(200, seed=1)
    errors = {}
    for name, cfg in ib.paper_models(replace(SMALL, epochs=20, lr=3e-3)).items():
        run = ib.train_ib(x, y, cfg)
        errors[name] = ib.evaluate(run, xt, yt)
        assert len(run.history["loss"]) == 20
        if cfg.regularizer == "mine":
            assert math.isfinite(ib.mi_estimate(run, xt))
    assert all(err < 0.3 for err in errors.values()), errors  # chance is 0.5


def test_evaluate_counts_mistakes():
    net = ib.IBClassifier(DX, SMALL)
    with torch.no_grad():
        for p in net.parameters():
            p.zero_()
        net.decoder.bias[1] = 1.0  # every logit 0 but class 1's: always predicts 1
    x, y = toy_data(50)
    assert abs(ib.evaluate(net, x, y) - float((y != 1).mean())) < 1e-6


def test_bad_settings_and_inputs_get_clear_errors():
    x, y = toy_data(32)
    with pytest.raises(InputError, match="unknown regularizer"):
        ib.train_ib(x, y, replace(SMALL, regularizer="l2"))
    with pytest.raises(InputError, match="encoder='gaussian'"):
        ib.train_ib(x, y, replace(SMALL, regularizer="vib", encoder="additive"))
    with pytest.raises(InputError, match="stochastic encoder"):
        ib.train_ib(x, y, replace(SMALL, regularizer="mine", encoder="deterministic"))
    with pytest.raises(InputError, match="images but labels"):
        ib.train_ib(x, y[:-1], SMALL)
    with pytest.raises(InputError, match="labels must lie"):
        ib.train_ib(x, y + 5, replace(SMALL, n_classes=2))
    bad = x.copy()
    bad[0, 0, 0] = np.nan
    with pytest.raises(InputError, match="NaN"):
        ib.train_ib(bad, y, SMALL)
    run = ib.train_ib(x, y, replace(SMALL, epochs=1))
    with pytest.raises(InputError, match="no statistics network"):
        ib.mi_estimate(run, x)
    with pytest.raises(InputError, match="inputs of 20 values"):
        ib.evaluate(run, np.zeros((3, 7), np.float32), np.zeros(3, np.int64))


def test_divergence_is_reported_not_a_traceback():
    x, y = toy_data(64)
    with pytest.raises(DivergenceError, match="diverged"):
        ib.train_ib(x, y, replace(SMALL, epochs=3, lr=1e30))


def test_beta0_control_is_the_regularised_run_with_the_term_switched_off():
    """At a seed, the control of a stochastic encoder trains exactly as MINE-IB with beta = 0
    (same weights, minibatches and noise), and differs once beta > 0."""
    x, y = toy_data(64)
    models = ib.paper_models(replace(SMALL, epochs=1))
    controls = ib.beta0_controls(models)
    assert sorted(controls) == ["Control (Additive encoder, β = 0)",
                                "Control (Gaussian encoder, β = 0)",
                                "Control (Propagated encoder, β = 0)"]
    mine = models["MINE (Additive)"]
    control = controls[ib.control_of(mine)]
    assert control.regularizer == "none" and control.encoder == "additive"
    ctrl_run = ib.train_ib(x, y, control)
    off_run = ib.train_ib(x, y, replace(mine, beta=0.0))
    on_run = ib.train_ib(x, y, replace(mine, beta=10.0))
    probs = [ib.predict_proba(r.model, torch.as_tensor(x.reshape(64, -1)), 3, 0)
             for r in (ctrl_run, off_run, on_run)]
    assert torch.allclose(probs[0], probs[1], atol=1e-6)
    assert not torch.allclose(probs[0], probs[2], atol=1e-4)


def test_loss_share_is_the_weighted_term_over_the_total():
    h = {"ce": np.array([2.0, 1.0]), "info": np.array([5.0, 3.0])}
    assert math.isclose(ib.loss_share(h, 0.5), 1.5 / 2.5)
    assert ib.loss_share(h, 0.0) == 0.0
    assert math.isnan(ib.loss_share({"ce": [float("nan")], "info": [1.0]}, 1.0))
