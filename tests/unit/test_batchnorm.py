"""convbn.batchnorm, chapters 8 and 9: against Keras, TensorFlow's gradients, the
paper's formulas written out, and a numeric gradient check."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from convbn import batchnorm as bn


@pytest.fixture(scope="module")
def tf():
    import convbn

    convbn.import_keras()
    import tensorflow

    return tensorflow


def keras_layer(shape, gamma, beta, eps):
    import keras

    layer = keras.layers.BatchNormalization(epsilon=eps)
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


shapes = st.one_of(
    st.tuples(st.integers(2, 16), st.integers(1, 6)),
    st.tuples(
        st.integers(1, 3), st.integers(1, 5), st.integers(1, 5), st.integers(1, 4)
    ),
).filter(lambda s: np.prod(s[:-1]) >= 2)


def example(shape, seed, dtype=np.float32):
    rng = np.random.default_rng(seed)
    depth = shape[-1]
    x = rng.normal(rng.normal(0, 3), rng.uniform(0.5, 4), size=shape).astype(dtype)
    gamma = rng.normal(1.0, 0.5, size=depth).astype(dtype)
    beta = rng.normal(0.0, 1.0, size=depth).astype(dtype)
    dy = rng.normal(size=shape).astype(dtype)
    return x, gamma, beta, dy


@settings(max_examples=25, deadline=None)
@given(shape=shapes, eps=st.sampled_from([1e-3, 1e-5, 0.1]), seed=st.integers(0, 999))
def test_forward_backward_and_moving_statistics_equal_keras(tf, shape, eps, seed):
    x, gamma, beta, dy = example(shape, seed)
    layer = keras_layer(shape, gamma, beta, eps)
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y_tf = layer(x_tf, training=True)
    dx_tf, dgamma_tf, dbeta_tf = tape.gradient(
        y_tf, [x_tf, layer.gamma, layer.beta], tf.constant(dy)
    )
    y, cache = bn.batchnorm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = bn.batchnorm_backward(dy, cache)
    assert y.dtype == dx.dtype == np.float32 and y.shape == shape
    assert np.allclose(y, y_tf, atol=2e-4)
    assert np.allclose(dx, dx_tf, atol=2e-3, rtol=1e-3)
    assert np.allclose(dgamma, dgamma_tf, atol=2e-3, rtol=1e-4)
    assert np.allclose(dbeta, dbeta_tf, atol=1e-4, rtol=1e-5)
    # One training step moved Keras's statistics from (0, 1) by momentum 0.99.
    depth = shape[-1]
    mean, var = bn.batch_statistics(x)
    assert np.allclose(cache.mean, mean) and np.allclose(cache.var, var)
    assert np.allclose(layer.moving_mean, bn.update_moving(np.zeros(depth), mean))
    assert np.allclose(
        layer.moving_variance, bn.update_moving(np.ones(depth), var), atol=1e-5
    )
    inference = bn.batchnorm_inference(
        x, gamma, beta, layer.moving_mean.numpy(), layer.moving_variance.numpy(), eps
    )
    assert np.allclose(inference, layer(x_tf, training=False), atol=1e-4)


def test_moving_statistics_follow_keras_over_many_steps(tf):
    shape = (32, 6)
    x0, gamma, beta, _ = example(shape, 0)
    layer = keras_layer(shape, gamma, beta, 1e-3)
    layer.momentum = 0.9
    moving_mean, moving_var = np.zeros(6), np.ones(6)
    rng = np.random.default_rng(1)
    for _ in range(20):
        x = (x0 + rng.normal(size=shape)).astype(np.float32)
        layer(tf.constant(x), training=True)
        mean, var = bn.batch_statistics(x)
        moving_mean = bn.update_moving(moving_mean, mean, 0.9)
        moving_var = bn.update_moving(moving_var, var, 0.9)
    assert np.allclose(layer.moving_mean, moving_mean, atol=1e-5)
    # Keras averages the biased batch variance, not the paper's unbiased estimate.
    assert np.allclose(layer.moving_variance, moving_var, atol=1e-5)


def paper_backward(dy, x, gamma, eps):
    """Section 3 of the paper, term by term, with explicit sums over the batch."""
    m = x.shape[0]
    mu = x.sum(axis=0) / m
    var = ((x - mu) ** 2).sum(axis=0) / m
    x_hat = (x - mu) / np.sqrt(var + eps)
    dx_hat = dy * gamma
    dvar = (dx_hat * (x - mu)).sum(axis=0) * -0.5 * (var + eps) ** -1.5
    dmu = (dx_hat * -1 / np.sqrt(var + eps)).sum(axis=0) + dvar * (-2 * (x - mu)).sum(
        axis=0
    ) / m
    dx = dx_hat / np.sqrt(var + eps) + dvar * 2 * (x - mu) / m + dmu / m
    return dx, (dy * x_hat).sum(axis=0), dy.sum(axis=0)


@settings(max_examples=40, deadline=None)
@given(shape=shapes, seed=st.integers(0, 999))
def test_backward_equals_the_papers_formulas(shape, seed):
    x, gamma, beta, dy = example(shape, seed, np.float64)
    _, cache = bn.batchnorm_forward(x, gamma, beta, 1e-3)
    ours = bn.batchnorm_backward(dy, cache)
    depth = shape[-1]
    paper = paper_backward(dy.reshape(-1, depth), x.reshape(-1, depth), gamma, 1e-3)
    assert np.allclose(ours[0].reshape(-1, depth), paper[0])
    assert np.allclose(ours[1], paper[1]) and np.allclose(ours[2], paper[2])


@pytest.mark.parametrize("shape", [(7, 3), (2, 3, 4, 2)])
def test_numeric_gradient_check(shape):
    """Central differences of l = sum(y * dy): relative error below 1e-7."""
    x, gamma, beta, dy = example(shape, 3, np.float64)
    h = 1e-5

    def loss(x, gamma, beta):
        return float((bn.batchnorm_forward(x, gamma, beta, 1e-3)[0] * dy).sum())

    def numeric(array, f):
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + h
            plus = f()
            array[index] = old - h
            minus = f()
            array[index] = old
            grad[index] = (plus - minus) / (2 * h)
        return grad

    _, cache = bn.batchnorm_forward(x, gamma, beta, 1e-3)
    analytic = bn.batchnorm_backward(dy, cache)
    numerics = [
        numeric(x, lambda: loss(x, gamma, beta)),
        numeric(gamma, lambda: loss(x, gamma, beta)),
        numeric(beta, lambda: loss(x, gamma, beta)),
    ]
    for a, n in zip(analytic, numerics, strict=True):
        error = np.abs(a - n).max() / max(np.abs(a).max(), np.abs(n).max())
        assert error < 1e-7


def test_normalised_output_has_zero_mean_unit_variance_then_gamma_beta():
    x = np.random.default_rng(0).normal(5, 3, size=(64, 4))
    y, cache = bn.batchnorm_forward(x, np.ones(4), np.zeros(4), eps=1e-8)
    assert np.allclose(y.mean(axis=0), 0) and np.allclose(y.var(axis=0), 1)
    # gamma = sqrt(var + eps), beta = mean undo the normalisation.
    undo, _ = bn.batchnorm_forward(x, np.sqrt(x.var(0) + 1e-3), x.mean(0), 1e-3)
    assert np.allclose(undo, x)
    assert np.allclose(cache.x_hat, y)


def test_convolutional_statistics_are_per_channel_over_n_h_w():
    x = np.random.default_rng(1).normal(size=(4, 5, 6, 3))
    mean, var = bn.batch_statistics(x)
    assert np.allclose(mean, x.mean(axis=(0, 1, 2)))
    assert np.allclose(var, x.var(axis=(0, 1, 2)))
    _, cache = bn.batchnorm_forward(x, 1.0, 0.0)
    assert cache.m == 4 * 5 * 6


def test_inference_equals_forward_with_the_batch_statistics():
    x = np.random.default_rng(2).normal(size=(10, 3))
    gamma, beta = np.array([1.0, 2.0, 0.5]), np.array([0.0, -1.0, 3.0])
    y, cache = bn.batchnorm_forward(x, gamma, beta)
    same = bn.batchnorm_inference(x, gamma, beta, cache.mean, cache.var)
    assert np.allclose(y, same)
    # A single example works at inference.
    one = bn.batchnorm_inference(x[0], gamma, beta, cache.mean, cache.var)
    assert np.allclose(one, y[0])


def test_update_moving_and_population_statistics():
    assert bn.update_moving(10.0, 0.0, 0.99) == pytest.approx(9.9)
    old = np.array([1.0, 2.0])
    new = bn.update_moving(old, np.array([3.0, 4.0]), momentum=0.5)
    assert np.allclose(new, [2.0, 3.0]) and np.allclose(old, [1.0, 2.0])
    rng = np.random.default_rng(3)
    batches = rng.normal(2.0, 3.0, size=(4000, 5, 2))  # 4000 mini-batches of m = 5
    means, variances = batches.mean(axis=1), batches.var(axis=1)
    mean, var = bn.population_statistics(means, variances, m=5)
    assert np.allclose(mean, 2.0, atol=0.05)
    assert np.allclose(var, 9.0, rtol=0.03)  # unbiased
    assert np.allclose(variances.mean(axis=0), 9.0 * 4 / 5, rtol=0.03)  # biased


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: bn.batchnorm_forward(np.ones((1, 3)), 1.0, 0.0), ValueError, "batch"),
        (lambda: bn.batchnorm_forward(np.ones(4), 1.0, 0.0), ValueError, "x must"),
        (
            lambda: bn.batchnorm_forward(np.ones((4, 3)), np.ones(2), 0.0),
            ValueError,
            r"gamma must have shape \(3,\)",
        ),
        (
            lambda: bn.batchnorm_forward(np.ones((4, 3)), 1.0, np.ones((3, 1))),
            ValueError,
            "beta",
        ),
        (
            lambda: bn.batchnorm_forward(np.ones((4, 3)), 1.0, 0.0, 0.0),
            ValueError,
            "eps",
        ),
        (
            lambda: bn.batchnorm_forward(np.ones((4, 3)), 1.0, 0.0, -1),
            ValueError,
            "eps",
        ),
        (
            lambda: bn.batchnorm_forward(np.full((4, 3), np.nan), 1.0, 0.0),
            ValueError,
            "NaN",
        ),
        (
            lambda: bn.batchnorm_forward("x", 1.0, 0.0),
            TypeError,
            "x must be a numeric array",
        ),
        (lambda: bn.batchnorm_backward(np.ones((4, 3)), {}), TypeError, "cache"),
        (
            lambda: bn.batchnorm_backward(
                np.ones((5, 3)), bn.batchnorm_forward(np.eye(4, 3), 1.0, 0.0)[1]
            ),
            ValueError,
            "dy must have the shape of x",
        ),
        (
            lambda: bn.batchnorm_inference(np.ones((2, 3)), 1, 0, 0, -np.ones(3)),
            ValueError,
            "var must be >= 0",
        ),
        (lambda: bn.update_moving(0.0, 1.0, 1.5), ValueError, "momentum must be <= 1"),
        (lambda: bn.update_moving(0.0, 1.0, -0.1), ValueError, "momentum must be >= 0"),
        (lambda: bn.update_moving(np.zeros(2), np.zeros(3)), ValueError, "same shape"),
        (
            lambda: bn.population_statistics(np.zeros((3, 2)), np.ones((3, 2)), 1),
            ValueError,
            "m must be >= 2",
        ),
        (
            lambda: bn.population_statistics(np.zeros((3, 2)), np.ones((2, 2)), 5),
            ValueError,
            "same shape",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
