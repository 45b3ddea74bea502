"""Task families beyond Gaussian copulas: the Monte Carlo truth against closed forms, its
standard error, the named instances, and clear errors for bad inputs."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from mine_lib.errors import InputError
from mine_lib.families import (
    FAMILIES,
    GaussianMixture,
    LabelledGaussians,
    correlation_block,
    family_tasks,
    labelled_random,
    labelled_square,
    random_mixture,
    ring,
    scale_mixture,
    shuffled_clusters,
    student_t_quadrature,
    tasks_of,
    truth_rng,
    x_shape,
)
from mine_lib.tasks import gaussian_mi, student_t_mi


def gaussian_mi_of(cov: np.ndarray, dim_x: int) -> float:
    """I(X; Z) of a Gaussian: (log det S_xx + log det S_zz - log det S) / 2."""
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    return 0.5 * (logdet(cov[:dim_x, :dim_x]) + logdet(cov[dim_x:, dim_x:]) - logdet(cov))


def test_one_component_gives_the_gaussian_closed_form():
    rng = np.random.default_rng(0)
    a = rng.standard_normal((5, 5))
    cov = a @ a.T / 5 + 0.3 * np.eye(5)
    mixture = GaussianMixture([1.0], rng.standard_normal((1, 5)), cov[None], dim_x=2)
    mi, se = mixture.mi_monte_carlo(40_000)
    assert 0 < se < 0.02
    assert abs(mi - gaussian_mi_of(cov, 2)) < 4 * se
    # and the book's componentwise-correlated case
    one = GaussianMixture([1.0], np.zeros((1, 2)), correlation_block(1, 1, 0.8)[None], dim_x=1)
    mi, se = one.mi_monte_carlo(40_000)
    assert abs(mi - gaussian_mi(1, 0.8)) < 4 * se


def test_densities_are_the_mixture_and_its_margins():
    m = shuffled_clusters()
    x, z = m.sample(5, seed=1)
    v = np.hstack([x, z]).astype(np.float64)
    by_scipy = sum(w * stats.multivariate_normal(mu, c).pdf(v)
                   for w, mu, c in zip(m.weights, m.means, m.covs))
    assert np.allclose(np.exp(m.log_joint(x, z)), by_scipy, rtol=1e-10)
    # the margin is the joint integrated over the other variable
    for xi, zi in zip(x[:3, 0], z[:3, 0]):
        px = integrate.quad(lambda t: math.exp(m.log_joint([[xi]], [[t]])[0]), -np.inf, np.inf,
                            points=None, limit=200)[0]
        pz = integrate.quad(lambda t: math.exp(m.log_joint([[t]], [[zi]])[0]), -np.inf, np.inf,
                            limit=200)[0]
        assert math.exp(m.log_px([[xi]])[0]) == pytest.approx(px, rel=1e-6)
        assert math.exp(m.log_pz([[zi]])[0]) == pytest.approx(pz, rel=1e-6)


def test_sampler_has_the_mixture_mean_and_covariance():
    m = random_mixture()
    x, z = m.sample(100_000, seed=2)
    v = np.hstack([x, z]).astype(np.float64)
    mean = m.weights @ m.means
    second = np.einsum("k,kij->ij", m.weights, m.covs + m.means[:, :, None] * m.means[:, None, :])
    cov = second - np.outer(mean, mean)
    scale = np.sqrt(np.diag(cov))
    assert np.abs(v.mean(0) - mean).max() < 5 * scale.max() / math.sqrt(len(v))
    assert np.allclose(np.cov(v.T) / np.outer(scale, scale), cov / np.outer(scale, scale), atol=0.03)


def test_standard_error_shrinks_like_one_over_root_n():
    m = x_shape()
    _, se_small = m.mi_monte_carlo(10_000)
    _, se_large = m.mi_monte_carlo(160_000)
    assert se_small / se_large == pytest.approx(4.0, rel=0.15)  # sqrt(16) = 4


def test_x_shape_is_uncorrelated_yet_dependent():
    m = x_shape(0.9)
    # exactly: the mixture's covariance is the average of [[1, r], [r, 1]] and [[1, -r], [-r, 1]]
    assert np.allclose(m.weights @ m.covs.reshape(2, 4), [1.0, 0.0, 0.0, 1.0])
    x, z = m.sample(100_000, seed=3)
    corr = np.corrcoef(x[:, 0], z[:, 0])[0, 1]
    # sd of the sample correlation: sqrt(E[x^2 z^2]) / sqrt(n) = sqrt(1 + 2 r^2) / sqrt(n)
    assert abs(corr) < 4 * math.sqrt(1 + 2 * 0.81) / math.sqrt(len(x))
    mi, se = m.mi_monte_carlo(50_000)
    assert mi > 0.3 and mi > 20 * se


def test_student_t_as_a_quadrature_scale_mixture_matches_its_closed_form():
    # nu = 5: 20 Gauss-Laguerre scales give the t's MI to well under the Monte Carlo error
    mi, se = student_t_quadrature(2, 2, 5.0, 0.5, nodes=20).mi_monte_carlo(60_000)
    assert abs(mi - student_t_mi(2, 2, 5.0, 0.5)) < 4 * se


def test_scale_mixture_adds_information_to_its_gaussian():
    cov = correlation_block(2, 2, 0.5)
    mi, se = scale_mixture(cov, [0.25, 1.0, 4.0], [0.3, 0.4, 0.3], dim_x=2).mi_monte_carlo(40_000)
    assert mi > gaussian_mi(2, 0.5) + 10 * se  # the shared scale is information too
    one, _ = scale_mixture(cov, [2.0], [1.0], dim_x=2).mi_monte_carlo(20_000)
    assert one == pytest.approx(gaussian_mi(2, 0.5), abs=0.02)  # one scale: the Gaussian


def test_same_seed_same_sample_and_the_truth_uses_its_own_stream():
    for model in (x_shape(), ring(), labelled_square()):
        a, b, c = model.sample(50, seed=4), model.sample(50, seed=4), model.sample(50, seed=5)
        assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1])
        assert not np.array_equal(a[1], c[1])
        assert a[0].dtype == a[1].dtype == np.float32
    assert truth_rng(0).random() != np.random.default_rng(0).random()
    assert x_shape().mi_monte_carlo(1000, seed=1) == x_shape().mi_monte_carlo(1000, seed=1)


@pytest.mark.parametrize("model", [labelled_square(), labelled_random(),
                                   labelled_square(sigma=0.05), labelled_square(sigma=30.0)],
                         ids=["square", "random", "separated", "overlapping"])
def test_discrete_continuous_truth_is_at_most_the_label_entropy(model):
    mi, se = model.mi_monte_carlo(20_000)
    k = len(model.probs)
    assert model.entropy <= math.log(k) + 1e-12
    assert -4 * se <= mi <= model.entropy + 4 * se + 1e-9
    assert mi <= math.log(k) + 1e-9
    c, z = model.sample(10, seed=0)
    assert c.shape == (10, 1) and z.shape == (10, model.dim_z)
    assert set(np.unique(c)) <= set(range(k))
    if model.sigma < 0.1:  # separated classes: z tells the label
        assert mi == pytest.approx(model.entropy, abs=1e-3)
    if model.sigma > 10:  # drowned in noise: nearly nothing
        assert mi < 0.01


def test_discrete_continuous_truth_matches_integration_in_one_dimension():
    model = LabelledGaussians([0.2, 0.5, 0.3], [[-1.0], [0.5], [2.0]], 0.8)

    def pz(t):
        return sum(p * stats.norm(m[0], 0.8).pdf(t) for p, m in zip(model.probs, model.means))

    h_z = integrate.quad(lambda t: -pz(t) * math.log(pz(t)), -12, 14, limit=200)[0]
    exact = h_z - (0.5 * math.log(2 * math.pi * math.e * 0.8 ** 2))  # I = h(Z) - h(Z | C)
    mi, se = model.mi_monte_carlo(40_000)
    assert abs(mi - exact) < 4 * se


def test_named_tasks_sample_what_they_state():
    tasks = family_tasks()
    names = [t.name for t in tasks]
    assert len(set(names)) == len(names)
    assert {t.family for t in tasks} == set(FAMILIES)
    assert sum(len(tasks_of(f)) for f in FAMILIES) == len(tasks) == len(tasks_of())
    for task in tasks:
        x, z = task.sample(64, seed=0)
        assert x.shape == (64, task.dim_x) and z.shape == (64, task.dim_z)
        assert x.dtype == z.dtype == np.float32 and np.isfinite(x).all() and np.isfinite(z).all()
        assert task.true_mi > 0.1 and 0 <= task.true_mi_se < 0.005
    with pytest.raises(InputError, match="unknown family"):
        tasks_of("spirals")


PD = np.eye(2)
NOT_PSD = np.array([[1.0, 2.0], [2.0, 1.0]])  # eigenvalues 3 and -1


@pytest.mark.parametrize("call, message", [
    (lambda: GaussianMixture([1.0], np.zeros((1, 2)), NOT_PSD[None], 1), "not positive definite"),
    (lambda: GaussianMixture([1.0], np.zeros((1, 2)), np.array([[[1.0, 0.5], [0.0, 1.0]]]), 1),
     "not symmetric"),
    (lambda: GaussianMixture([0.5, 0.6], np.zeros((2, 2)), np.stack([PD, PD]), 1), "sum to 1"),
    (lambda: GaussianMixture([1.5, -0.5], np.zeros((2, 2)), np.stack([PD, PD]), 1), "non-negative"),
    (lambda: GaussianMixture([], np.zeros((0, 2)), np.zeros((0, 2, 2)), 1), "at least one"),
    (lambda: GaussianMixture([0.5, 0.5], np.zeros((3, 2)), np.stack([PD, PD]), 1), "one mean per"),
    (lambda: GaussianMixture([1.0], np.zeros((1, 2)), np.eye(3)[None], 1), "must be"),
    (lambda: GaussianMixture([1.0], np.zeros(2), PD[None], 1), "2-D array"),
    (lambda: GaussianMixture([1.0], np.zeros((1, 2)), PD[None], 2), "dim_x must be below"),
    (lambda: GaussianMixture([1.0], np.zeros((1, 2)), PD[None], 0), "dim_x must be an integer"),
    (lambda: GaussianMixture([1.0], [[np.nan, 0.0]], PD[None], 1), "NaN"),
    (lambda: x_shape().log_px(np.zeros((4, 2))), r"shape \(n, 1\)"),
    (lambda: x_shape().sample(0), "n must be"),
    (lambda: x_shape(1.0), "strictly between"),
    (lambda: LabelledGaussians([0.5, 0.5], [[0.0]], 1.0), "one mean per class"),
    (lambda: LabelledGaussians([0.5, 0.5], [[0.0], [1.0]], 0.0), "sigma"),
    (lambda: LabelledGaussians([0.7, 0.7], [[0.0], [1.0]], 1.0), "sum to 1"),
    (lambda: scale_mixture(PD, [1.0, -1.0], [0.5, 0.5], 1), "scales must be positive"),
])
def test_bad_inputs_get_clear_errors(call, message):
    with pytest.raises(InputError, match=message):
        call()
