"""mine_lib.stacking: a stacked member computes and trains exactly as it would alone, copies
back into a plain module, refuses what it cannot stack, and starts like nn.Linear."""

from __future__ import annotations

import math

import pytest
import torch
from torch import nn

from mine_lib.errors import InputError
from mine_lib.estimators.crossfit import CriticStack
from mine_lib.stacking import (
    StackedDropout,
    StackedLinear,
    StackedMLP,
    linear_init,
    stack,
    unstack,
)

S, B, N_IN, N_OUT = 3, 16, 5, 2


def tree(seed: int) -> nn.Sequential:
    """A nested tree with every kind of layer a stack takes."""
    torch.manual_seed(seed)
    return nn.Sequential(
        nn.Sequential(nn.Linear(N_IN, 8), nn.LeakyReLU(0.2), nn.Dropout(0.3)),
        nn.Linear(8, 8), nn.ReLU(), nn.Dropout(0.3), nn.Linear(8, N_OUT), nn.Sigmoid())


def relu_mlp(seed: int) -> nn.Sequential:
    torch.manual_seed(seed)
    return nn.Sequential(nn.Linear(N_IN, 8), nn.ReLU(), nn.Linear(8, 8), nn.ReLU(),
                         nn.Linear(8, N_OUT))


def train(net: nn.Module, x: torch.Tensor, target: torch.Tensor, steps: int = 5) -> list:
    """A few Adam steps on the members' squared errors, summed; the parameters after."""
    opt = torch.optim.Adam(net.parameters(), lr=1e-2)
    for _ in range(steps):
        loss = ((net(x) - target) ** 2).mean(dim=(1, 2))  # one loss per member
        opt.zero_grad()
        loss.sum().backward()
        opt.step()
    return [p.detach() for p in net.parameters()]


def batch(seed: int = 1):
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(S, B, N_IN, generator=gen), torch.rand(S, B, N_OUT, generator=gen)


@pytest.mark.parametrize("member", range(S))
def test_a_stacked_member_trains_exactly_as_it_would_alone(member):
    """Bitwise: nothing in a stack mixes members (one matmul, one dropout mask, one loss and
    one Adam update per member), so member s of three equals member s alone, dropout too."""
    x, target = batch()
    plain = [tree(seed) for seed in range(S)]
    three = stack(plain, [torch.Generator().manual_seed(10 + s) for s in range(S)])
    one = stack([plain[member]], [torch.Generator().manual_seed(10 + member)])
    after_three = train(three, x, target)
    after_one = train(one, x[member:member + 1], target[member:member + 1])
    assert len(after_three) == len(after_one) == 6
    for p3, p1 in zip(after_three, after_one):
        assert torch.equal(p3[member], p1[0])
    assert not torch.equal(after_three[0][member], plain[member][0][0].weight.detach().T)


@pytest.mark.parametrize("member", range(S))
def test_a_stacked_mlp_member_trains_exactly_as_it_would_alone(member):
    x, target = batch(2)
    plain = [relu_mlp(seed) for seed in range(S)]
    after_three = train(StackedMLP.from_mlps(plain), x, target)
    after_one = train(StackedMLP.from_mlps([plain[member]]), x[member:member + 1],
                      target[member:member + 1])
    for p3, p1 in zip(after_three, after_one):
        assert torch.equal(p3[member], p1[0])


def test_stacked_dropout_draws_each_members_mask_from_its_own_generator():
    x = torch.ones(2, 4, 6)
    drop = StackedDropout(0.5, [torch.Generator().manual_seed(s) for s in (3, 4)])
    alone = StackedDropout(0.5, [torch.Generator().manual_seed(4)])
    assert torch.equal(drop(x)[1], alone(x[1:])[0])
    assert set(drop(x).unique().tolist()) <= {0.0, 2.0}
    assert torch.equal(drop.eval()(x), x)


def test_unstack_gives_a_plain_sequential_computing_the_member():
    plain = [tree(seed) for seed in range(S)]
    stacked = stack(plain, [torch.Generator().manual_seed(s) for s in range(S)]).eval()
    x, _ = batch()
    train(stacked.train(), x, torch.rand(S, B, N_OUT), steps=2)  # the members move on
    stacked.eval()
    with torch.no_grad():
        out = stacked(x)
        for s in range(S):
            state = torch.get_rng_state()
            fresh = unstack(stacked, s)
            assert torch.equal(torch.get_rng_state(), state)  # no random numbers drawn
            assert isinstance(fresh, nn.Sequential) and isinstance(fresh[0], nn.Sequential)
            torch.testing.assert_close(fresh.eval()(x[s]), out[s], rtol=0, atol=1e-6)
            into = unstack(stacked, s, tree(99)).eval()
            torch.testing.assert_close(into(x[s]), out[s], rtol=0, atol=1e-6)


def test_a_stacked_mlp_copies_back_into_a_plain_mlp():
    plain = [relu_mlp(seed) for seed in range(S)]
    stacked = StackedMLP.from_mlps(plain)
    x, target = batch()
    train(stacked, x, target, steps=2)
    with torch.no_grad():
        out = stacked(x)
        for s in range(S):
            for net in (stacked.copy_member(s), unstack(stacked, s, relu_mlp(50))):
                assert isinstance(net, nn.Sequential)
                torch.testing.assert_close(net(x[s]), out[s], rtol=0, atol=1e-6)
    linear = StackedLinear.from_linears([nn.Linear(3, 2) for _ in range(S)])
    with torch.no_grad():
        xs = torch.randn(S, 4, 3)
        torch.testing.assert_close(unstack(linear, 1)(xs[1]), linear(xs)[1], rtol=0, atol=1e-6)


@pytest.mark.parametrize("members, message", [
    ([nn.Linear(3, 4), nn.Linear(3, 5)], "different shapes"),
    ([nn.Sequential(nn.Linear(3, 4)), nn.Sequential(nn.Linear(3, 4), nn.ReLU())],
     "different shapes"),
    ([nn.Linear(3, 4), nn.ReLU()], "different shapes"),
    ([nn.LeakyReLU(0.2), nn.LeakyReLU(0.1)], "different shapes"),
    ([nn.Linear(3, 4, bias=False)], "without a bias"),
    ([nn.Conv2d(1, 1, 3)], "cannot stack a Conv2d"),
    ([nn.Sequential(nn.Linear(3, 4), nn.Tanh())], "cannot stack a Tanh"),
    ([nn.Dropout(0.1), nn.Dropout(0.1)], "one torch.Generator per member"),
    ([], "at least one member"),
])
def test_what_cannot_be_stacked_gets_a_clear_error(members, message):
    with pytest.raises(InputError, match=message):
        stack(members)


def test_stacked_mlps_take_plain_relu_mlps_of_one_shape():
    with pytest.raises(InputError, match="Linear and ReLU layers only"):
        StackedMLP.from_mlps([nn.Sequential(nn.Linear(3, 4), nn.Tanh(), nn.Linear(4, 1))])
    with pytest.raises(InputError, match="different shapes"):
        StackedMLP.from_mlps([nn.Sequential(nn.Linear(3, 4)), nn.Sequential(nn.Linear(3, 5))])
    with pytest.raises(InputError, match="different depths"):
        StackedMLP.from_mlps([nn.Sequential(nn.Linear(3, 3)),
                              nn.Sequential(nn.Linear(3, 3), nn.ReLU(), nn.Linear(3, 3))])
    with pytest.raises(InputError, match="at least one MLP"):
        StackedMLP.from_mlps([])
    stacked = StackedMLP.from_mlps([relu_mlp(0)])
    with pytest.raises(InputError, match="cannot copy it"):
        stacked.copy_member(0, nn.Sequential(nn.Linear(N_IN, 8)))
    with pytest.raises(InputError, match="cannot copy it"):
        stacked.copy_member(0, nn.Sequential(nn.Linear(N_IN, 7), nn.ReLU(), nn.Linear(7, 8),
                                             nn.ReLU(), nn.Linear(8, N_OUT)))


def test_fresh_layers_start_within_nn_linears_bounds():
    k, a, b = 4, 50, 300
    bound = 1 / math.sqrt(a)
    torch.manual_seed(0)
    reference = nn.Linear(a, b)
    for w in (reference.weight.detach(), reference.bias.detach()):
        assert w.abs().max() <= bound and w.abs().max() > 0.98 * bound
    layer = StackedLinear.fresh(k, a, b)
    assert layer.weight.shape == (k, a, b) and layer.bias.shape == (k, 1, b)
    for w in (layer.weight.detach(), layer.bias.detach()):
        assert w.dtype == torch.float32
        assert w.abs().max() <= bound and w.abs().max() > 0.98 * bound
        assert abs(float(w.mean())) < 0.1 * bound


def test_fresh_draws_come_layer_by_layer_weight_then_bias():
    """The order CriticStack has always drawn in, so that its critics start as they did."""
    sizes = (5, 7, 3, 1)
    torch.manual_seed(3)
    expected = []
    for a, b in zip(sizes, sizes[1:]):
        bound = 1.0 / math.sqrt(a)
        expected.append(torch.empty(4, a, b).uniform_(-bound, bound))
        expected.append(torch.empty(4, 1, b).uniform_(-bound, bound))
    torch.manual_seed(3)
    mlp = StackedMLP.fresh(4, sizes)
    torch.manual_seed(3)
    critics = CriticStack(4, 5, (7, 3))
    torch.manual_seed(3)
    first = linear_init(4, 5, 7)
    assert torch.equal(first[0], expected[0]) and torch.equal(first[1], expected[1])
    for net in (mlp, critics):
        drawn = [t for pair in zip(net.weights, net.biases) for t in pair]
        assert all(torch.equal(d, e) for d, e in zip(drawn, expected, strict=True))
    assert [n for n, _ in critics.named_parameters()] == [
        "scale", "weights.0", "weights.1", "weights.2", "biases.0", "biases.1", "biases.2"]
