"""convbn.convolution (chapter 1) against independent references: scipy's quadrature
and densities, numpy's convolve, scipy.signal.lfilter and explicit loops."""

import numpy as np
import pytest
import scipy.integrate
import scipy.signal
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from convbn import convolution

widths = st.floats(0.05, 20.0)
kinds = st.sampled_from(convolution.KERNELS)


@settings(max_examples=40, deadline=None)
@given(kind=kinds, width=widths)
def test_every_kernel_is_a_density(kind, width):
    w = lambda a: float(convolution.kernel(np.array(a), kind, width))  # noqa: E731
    edges = [0.0, width] if kind == "box" else [0.0]
    total = scipy.integrate.quad(w, -60 * width, 60 * width, points=edges, limit=200)[0]
    assert total == pytest.approx(1.0, abs=1e-6)
    a = np.linspace(-10 * width, 10 * width, 2001)
    values = convolution.kernel(a, kind, width)
    assert np.all(values >= 0)
    future = values[a < 0]
    assert np.all(future == 0) == (kind in convolution.CAUSAL_KERNELS)


def test_kernels_match_scipy_densities():
    a = np.linspace(-5, 15, 401)
    assert np.allclose(
        convolution.kernel(a, "exponential", 2.0), scipy.stats.expon(scale=2.0).pdf(a)
    )
    assert np.allclose(
        convolution.kernel(a, "box", 3.0), np.where((a >= 0) & (a < 3.0), 1 / 3.0, 0.0)
    )
    assert np.allclose(
        convolution.kernel(a, "half-gaussian", 1.5),
        scipy.stats.halfnorm(scale=1.5).pdf(a),
    )
    assert np.allclose(
        convolution.kernel(a, "gaussian", 0.7), scipy.stats.norm(scale=0.7).pdf(a)
    )
    assert convolution.kernel(np.array(0.0), "exponential", 2.0) == 0.5  # w(0) = 1/tau
    assert convolution.kernel(np.zeros((2, 3)), "box", 1.0).shape == (2, 3)


@settings(max_examples=30, deadline=None)
@given(mean=st.floats(-5, 5), std=st.floats(0.1, 5))
def test_gaussian_pdf_matches_scipy(mean, std):
    a = np.linspace(-20, 20, 101)
    assert np.allclose(
        convolution.gaussian_pdf(a, mean, std),
        scipy.stats.norm(mean, std).pdf(a),
        rtol=1e-12,
        atol=1e-300,
    )


@settings(max_examples=15, deadline=None)
@given(t=st.floats(-3, 8), omega=st.floats(0.2, 3), tau=st.floats(0.2, 2))
def test_convolve_continuous_matches_adaptive_quadrature(t, omega, tau):
    x = lambda a: np.sin(omega * a)  # noqa: E731
    w = lambda a: convolution.kernel(a, "exponential", tau)  # noqa: E731
    reference = scipy.integrate.quad(
        lambda a: np.sin(omega * a) * np.exp(-(t - a) / tau) / tau,
        t - 40 * tau,
        t,
        limit=200,
    )[0]
    ours = convolution.convolve_continuous(x, w, t, 1e-3, t - 40 * tau, t)
    assert ours == pytest.approx(reference, abs=1e-5)
    assert np.ndim(ours) == 0


def test_convolve_continuous_converges_and_commutes():
    g1 = lambda a: convolution.gaussian_pdf(a, 0.5, 0.8)  # noqa: E731
    g2 = lambda a: convolution.gaussian_pdf(a, -1.0, 0.6)  # noqa: E731
    t = np.linspace(-4, 3, 15)
    exact = convolution.gaussian_pdf(t, -0.5, 1.0)
    errors = [
        np.abs(convolution.convolve_continuous(g1, g2, t, h, -10, 10) - exact).max()
        for h in (0.8, 0.4, 0.2)
    ]
    assert errors[0] > errors[1] > errors[2]
    fine = convolution.convolve_continuous(g1, g2, t, 1e-3, -10, 10)
    swapped = convolution.convolve_continuous(g2, g1, t, 1e-3, -10, 10)
    assert np.allclose(fine, exact, atol=1e-12) and np.allclose(
        swapped, exact, atol=1e-12
    )


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(3, 300),
    kind=st.sampled_from(convolution.CAUSAL_KERNELS),
    width=st.floats(0.1, 5.0),
    dt=st.floats(0.01, 0.5),
    seed=st.integers(0, 10**6),
)
def test_smooth_unnormalized_is_the_causal_riemann_sum(n, kind, width, dt, seed):
    x = np.random.default_rng(seed).normal(size=n)
    weights = convolution.kernel(np.arange(n) * dt, kind, width) * dt
    reference = scipy.signal.lfilter(weights, [1.0], x)  # FIR filter: independent code
    ours = convolution.smooth(x, dt, kind, width, normalize=False)
    assert np.allclose(ours, reference, rtol=1e-9, atol=1e-9 * np.abs(x).max())


def test_smooth_gaussian_matches_explicit_loop_and_uses_the_future():
    rng = np.random.default_rng(1)
    x, dt, width = rng.normal(size=60), 0.1, 0.3
    expected = np.empty_like(x)
    for n in range(len(x)):
        weights = convolution.kernel((n - np.arange(len(x))) * dt, "gaussian", width)
        expected[n] = np.sum(weights * x) / np.sum(weights)
    assert np.allclose(convolution.smooth(x, dt, "gaussian", width), expected)
    changed = x.copy()
    changed[31:] += 1
    assert convolution.smooth(changed, dt, "gaussian", width)[30] != pytest.approx(
        convolution.smooth(x, dt, "gaussian", width)[30]
    )
    assert (
        convolution.smooth(changed, dt, "exponential", width)[30]
        == (convolution.smooth(x, dt, "exponential", width)[30])
    )


@pytest.mark.parametrize("kind", convolution.KERNELS)
def test_smooth_normalized_is_an_average(kind):
    assert np.allclose(convolution.smooth(np.full(50, 3.5), 0.1, kind, 0.7), 3.5)
    x = np.random.default_rng(0).normal(size=20)
    # a kernel much narrower than the sampling step keeps each reading as it is
    assert np.allclose(convolution.smooth(x, 0.1, kind, 0.001), x)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: convolution.kernel([1.0], "triangle"),
            ValueError,
            "kind must be one of 'exponential', 'box'",
        ),
        (lambda: convolution.kernel([1.0], width=0), ValueError, "width must be > 0"),
        (lambda: convolution.kernel("abc"), TypeError, "a must be a numeric array"),
        (lambda: convolution.kernel([np.nan]), ValueError, "a must not contain NaN"),
        (
            lambda: convolution.gaussian_pdf([0.0], std=-1),
            ValueError,
            "std must be > 0",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, 3, 0.0, 0.1, 0, 1),
            TypeError,
            "w must be a function",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, np.cos, 0.0, 0.1, 1, 0),
            ValueError,
            "upper must be > lower",
        ),
        (
            lambda: convolution.convolve_continuous(np.sin, np.cos, 0.0, 1e-9, 0, 1),
            ValueError,
            "step=",
        ),
        (
            lambda: convolution.convolve_continuous(
                np.sin, np.cos, np.zeros((2, 2)), 0.1, 0, 1
            ),
            ValueError,
            "t must be a 0-D or 1-D",
        ),
        (
            lambda: convolution.convolve_continuous(
                lambda a: 1.0, np.cos, 0.0, 0.1, 0, 1
            ),
            ValueError,
            "x must return one value per point",
        ),
        (
            lambda: convolution.smooth(np.zeros((3, 3)), 0.1),
            ValueError,
            "x must be a 1-D array",
        ),
        (
            lambda: convolution.smooth([1.0, np.nan], 0.1),
            ValueError,
            "x must not contain NaN",
        ),
        (lambda: convolution.smooth(["a", "b"], 0.1), TypeError, "x must be a numeric"),
        (lambda: convolution.smooth([1.0, 2.0], -0.1), ValueError, "dt must be > 0"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
