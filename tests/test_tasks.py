"""Ground-truth tasks: closed forms against integration and Monte Carlo, injective maps,
sampler shapes."""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from mine_lib.errors import InputError
from mine_lib.tasks import (
    SPIRAL_SPEED,
    TRANSFORMS,
    additive_noise_mi,
    additive_noise_pair,
    benchmark_tasks,
    gaussian_mi,
    gaussian_task,
    rho_for_mi,
    spiral,
    staircase_tasks,
    student_t_correction,
    student_t_mi,
    student_t_pair,
    transformed,
)


def mi_by_integration(log_joint, log_px, log_pz) -> float:
    """I = int p(x, z) log p(x, z) / (p(x) p(z)) over the plane, with x = tan(u), z = tan(v)."""
    def integrand(v, u):
        x, z = math.tan(u), math.tan(v)
        lj = log_joint(x, z)
        jac = 1.0 / (math.cos(u) ** 2 * math.cos(v) ** 2)
        return math.exp(lj) * (lj - log_px(x) - log_pz(z)) * jac

    edge = math.pi / 2 - 1e-9
    value, _ = integrate.dblquad(integrand, -edge, edge, -edge, edge, epsabs=1e-6)
    return value


def t_logpdf_1d(nu: float):
    const = math.lgamma((nu + 1) / 2) - math.lgamma(nu / 2) - 0.5 * math.log(nu * math.pi)
    return lambda x: const - (nu + 1) / 2 * math.log1p(x * x / nu)


def t_logpdf_2d(nu: float, rho: float):
    """The bivariate Student-t log density, unit diagonal dispersion, correlation rho."""
    det = 1 - rho * rho
    const = math.lgamma((nu + 2) / 2) - math.lgamma(nu / 2) - math.log(nu * math.pi) - 0.5 * math.log(det)
    return lambda x, z: const - (nu + 2) / 2 * math.log1p((x * x - 2 * rho * x * z + z * z) / (det * nu))


@pytest.mark.parametrize("nu, rho", [(1.0, 0.0), (3.0, 0.0), (3.0, 0.6)])
def test_student_t_1d_matches_numerical_integration(nu, rho):
    margin = t_logpdf_1d(nu)
    assert math.exp(margin(0.7)) == pytest.approx(stats.t(df=nu).pdf(0.7))  # the density is right
    joint = t_logpdf_2d(nu, rho)
    shape = [[1.0, rho], [rho, 1.0]]
    assert math.exp(joint(0.3, -1.2)) == pytest.approx(stats.multivariate_t([0, 0], shape, df=nu).pdf([0.3, -1.2]))
    numeric = mi_by_integration(joint, margin, margin)
    assert student_t_mi(1, 1, nu, rho) == pytest.approx(numeric, abs=1e-4)


def test_student_t_higher_dimensions_match_monte_carlo():
    # dim_x = 2, dim_z = 3, nu = 4, rho = 0.5 on the pairs (x0, z0), (x1, z1): the mean log density ratio of
    # 200,000 samples, whose standard error is about 0.002 nats
    x, z = student_t_pair(200_000, 2, 3, 4.0, 0.5, seed=0)
    x, z = x.astype(np.float64), z.astype(np.float64)
    shape = np.eye(5)
    shape[0, 2] = shape[2, 0] = shape[1, 3] = shape[3, 1] = 0.5
    joint = stats.multivariate_t(loc=np.zeros(5), shape=shape, df=4.0)
    px = stats.multivariate_t(loc=np.zeros(2), shape=np.eye(2), df=4.0)
    pz = stats.multivariate_t(loc=np.zeros(3), shape=np.eye(3), df=4.0)
    ratio = joint.logpdf(np.hstack([x, z])) - px.logpdf(x) - pz.logpdf(z)
    stderr = ratio.std() / math.sqrt(len(ratio))
    assert abs(ratio.mean() - student_t_mi(2, 3, 4.0, 0.5)) < 4 * stderr


def test_student_t_correction_vanishes_in_the_gaussian_limit_and_is_positive():
    assert student_t_correction(1e7, 3, 4) == pytest.approx(0.0, abs=1e-5)
    assert student_t_mi(2, 2, 1e7, 0.5) == pytest.approx(gaussian_mi(2, 0.5), abs=1e-5)
    values = [student_t_correction(nu, 2, 2) for nu in (1.0, 2.0, 5.0, 30.0)]
    assert all(v > 0 for v in values)
    assert values == sorted(values, reverse=True)  # heavier tails, more shared scale


@pytest.mark.parametrize("eps", [0.1, 0.5, 0.75, 2.0])
def test_additive_noise_matches_numerical_integration(eps):
    # Y = X + N with X ~ U(0, 1), N ~ U(-eps, eps): p_Y(y) is the overlap length / (2 eps)
    a = 2 * eps

    def p_y(y):
        return max(0.0, min(1.0, y + eps) - max(0.0, y - eps)) / a

    def minus_plogp(y):
        p = p_y(y)
        return -p * math.log(p) if p > 0 else 0.0

    breaks = sorted({-eps, eps, 1 - eps, 1 + eps})
    h_y = sum(integrate.quad(minus_plogp, lo, hi)[0] for lo, hi in zip(breaks, breaks[1:]))
    assert additive_noise_mi(1, eps) == pytest.approx(h_y - math.log(a), abs=1e-8)
    assert additive_noise_mi(3, eps) == pytest.approx(3 * additive_noise_mi(1, eps))


def test_additive_noise_sampler():
    x, y = additive_noise_pair(5000, 2, 0.25, seed=1)
    assert x.shape == y.shape == (5000, 2)
    assert x.min() >= 0 and x.max() <= 1
    assert np.abs(y - x).max() <= 0.25 + 1e-6
    assert np.abs(y - x).mean() == pytest.approx(0.125, abs=0.01)


def test_student_t_sampler_has_t_margins_and_the_stated_dispersion():
    x, z = student_t_pair(20_000, 1, 2, 5.0, 0.6, seed=2)
    assert x.shape == (20_000, 1) and z.shape == (20_000, 2)
    assert stats.kstest(x[:, 0], stats.t(df=5.0).cdf).pvalue > 1e-3
    assert stats.kstest(z[:, 1], stats.t(df=5.0).cdf).pvalue > 1e-3
    # the covariance of a t is nu / (nu - 2) times its dispersion
    cov = np.cov(np.hstack([x, z]).T)
    assert cov[0, 1] == pytest.approx(0.6 * 5 / 3, abs=0.1)
    assert cov[0, 2] == pytest.approx(0.0, abs=0.1)


def test_rho_for_mi_inverts_gaussian_mi():
    for dim, mi in ((1, 0.3), (20, 2.0), (20, 10.0)):
        assert gaussian_mi(dim, rho_for_mi(dim, mi)) == pytest.approx(mi, rel=1e-10)
    assert [round(t.true_mi, 6) for t in staircase_tasks()] == [2.0, 4.0, 6.0, 8.0, 10.0]


def points(dim: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).normal(scale=2.0, size=(2000, dim))


@pytest.mark.parametrize("name", ["half-cube", "asinh", "normal-cdf", "wiggly"])
def test_coordinatewise_maps_are_strictly_increasing(name):
    grid = np.linspace(-6, 6, 20001)[:, None]
    y = TRANSFORMS[name](grid)[:, 0]
    assert np.all(np.diff(y) > 0)  # strictly increasing: injective
    assert np.all(np.isfinite(y))


def test_spiral_keeps_the_norm_and_is_inverted_by_the_opposite_turn():
    a = points(5)
    y = spiral(a)
    assert np.allclose(np.linalg.norm(y, axis=1), np.linalg.norm(a, axis=1))
    angle = -SPIRAL_SPEED * (y ** 2).sum(axis=1)
    back = y.copy()
    for i in (0, 2):
        back[:, i] = np.cos(angle) * y[:, i] - np.sin(angle) * y[:, i + 1]
        back[:, i + 1] = np.sin(angle) * y[:, i] + np.cos(angle) * y[:, i + 1]
    assert np.allclose(back, a)
    assert not np.allclose(y, a)  # it does turn


@pytest.mark.parametrize("name", sorted(TRANSFORMS))
def test_maps_have_an_invertible_jacobian(name):
    # smooth and locally invertible: a finite-difference Jacobian with non-zero determinant
    f, a, h = TRANSFORMS[name], points(4, seed=3)[:50] * 0.5 + 0.3, 1e-6
    for row in a:
        jac = np.stack([(f((row + h * e)[None]) - f((row - h * e)[None]))[0] / (2 * h)
                        for e in np.eye(4)], axis=1)
        assert np.all(np.isfinite(jac))
        assert abs(np.linalg.det(jac)) > 1e-8


def test_transformed_task_keeps_the_truth_and_maps_the_samples():
    base = gaussian_task(3, 0.5)
    task = transformed(base, "half-cube", None)
    assert task.true_mi == base.true_mi
    x0, z0 = base.sample(100, seed=4)
    x1, z1 = task.sample(100, seed=4)
    assert np.allclose(x1, x0 * np.sqrt(np.abs(x0)), atol=1e-6)
    assert np.array_equal(z1, z0)
    with pytest.raises(InputError, match="unknown transform"):
        transformed(base, "cube", None)


@pytest.mark.parametrize("task", benchmark_tasks("paper"), ids=lambda t: t.name)
def test_every_benchmark_task_samples_what_it_states(task):
    x, z = task.sample(64, seed=0)
    assert x.shape == (64, task.dim_x) and z.shape == (64, task.dim_z)
    assert x.dtype == np.float32 and z.dtype == np.float32
    assert np.isfinite(x).all() and np.isfinite(z).all()
    assert 1 <= task.dim_x <= 25 and 1 <= task.dim_z <= 25
    assert task.true_mi > 0
    again, other = task.sample(64, seed=0), task.sample(64, seed=1)
    assert np.array_equal(again[0], x) and not np.array_equal(other[0], x)


def test_benchmark_profiles_are_nested_and_cover_every_family_and_map():
    full = benchmark_tasks("paper")
    names = [t.name for t in full]
    assert len(set(names)) == len(names)
    for profile in ("standard", "smoke"):
        assert {t.name for t in benchmark_tasks(profile)} <= set(names)
    families = " ".join(t.family for t in full)
    for word in ("gaussian", "student-t", "additive-noise", *TRANSFORMS):
        assert word in families
    assert max(t.dim_x for t in full) == 25 and min(t.dim_x for t in full) == 1
    with pytest.raises(InputError, match="unknown profile"):
        benchmark_tasks("huge")


@pytest.mark.parametrize("call, message", [
    (lambda: student_t_mi(1, 1, 0.0), "degrees of freedom"),
    (lambda: student_t_mi(1, 1, 2.0, rho=1.0), "rho"),
    (lambda: additive_noise_mi(1, 0.0), "half-width"),
    (lambda: student_t_pair(0, 1, 1, 2.0), "need n"),
    (lambda: rho_for_mi(3, -1.0), "non-negative"),
])
def test_bad_parameters_get_clear_errors(call, message):
    with pytest.raises(InputError, match=message):
        call()
