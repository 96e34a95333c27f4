"""convbn.batchnorm, chapters 8 and 9 (batch, layer and group normalization): against
Keras, TensorFlow's gradients, the paper's formulas written out, and a numeric
gradient check."""

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


# --- Layer and group normalization (chapter 9) ---------------------------------------


def keras_norm(kind, shape, gamma, beta, eps, groups=None, dtype="float64"):
    """A built Keras LayerNormalization or GroupNormalization with gamma and beta."""
    import keras

    if kind == "layer":
        layer = keras.layers.LayerNormalization(epsilon=eps, dtype=dtype)
    else:
        layer = keras.layers.GroupNormalization(groups, epsilon=eps, dtype=dtype)
    layer.build(shape)
    layer.gamma.assign(gamma)
    layer.beta.assign(beta)
    return layer


def tape_gradients(tf, layer, x, dy, training=True):
    """y and (dx, dgamma, dbeta) by GradientTape through the Keras layer."""
    x_tf = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(x_tf)
        y = layer(x_tf, training=training)
    grads = tape.gradient(y, [x_tf, layer.gamma, layer.beta], tf.constant(dy))
    return y.numpy(), [g.numpy() for g in grads]


ln_shapes = st.one_of(
    st.tuples(st.integers(1, 12), st.integers(1, 9)),
    st.tuples(
        st.integers(1, 3), st.integers(1, 4), st.integers(1, 4), st.integers(1, 6)
    ),
)


@st.composite
def gn_cases(draw):
    """``(shape, groups)``: (N, H, W, C) with groups dividing C."""
    size, groups = draw(st.integers(1, 4)), draw(st.integers(1, 4))
    shape = (
        draw(st.integers(1, 3)),
        draw(st.integers(1, 5)),
        draw(st.integers(1, 5)),
        size * groups,
    )
    return shape, groups


EPSILONS = st.sampled_from([1e-3, 1e-5, 0.1, 0.5])


@settings(max_examples=25, deadline=None)
@given(shape=ln_shapes, eps=EPSILONS, seed=st.integers(0, 999))
def test_layernorm_equals_keras_and_its_gradient_tape(tf, shape, eps, seed):
    x, gamma, beta, dy = example(shape, seed, np.float64)
    layer = keras_norm("layer", shape, gamma, beta, eps)
    y_tf, (dx_tf, dgamma_tf, dbeta_tf) = tape_gradients(tf, layer, x, dy)
    y, cache = bn.layernorm_forward(x, gamma, beta, eps)
    dx, dgamma, dbeta = bn.layernorm_backward(dy, cache)
    assert y.shape == dx.shape == shape and y.dtype == dx.dtype == np.float64
    assert dgamma.shape == dbeta.shape == (shape[-1],)
    assert np.allclose(y, y_tf, rtol=1e-12, atol=1e-12)
    assert np.allclose(dx, dx_tf, rtol=1e-9, atol=1e-10)
    assert np.allclose(dgamma, dgamma_tf, rtol=1e-12, atol=1e-12)
    assert np.allclose(dbeta, dbeta_tf, rtol=1e-12, atol=1e-12)
    assert np.allclose(cache.mean, x.mean(axis=-1))
    assert np.allclose(cache.var, x.var(axis=-1))  # biased


@settings(max_examples=25, deadline=None)
@given(case=gn_cases(), eps=EPSILONS, seed=st.integers(0, 999))
def test_groupnorm_equals_keras_and_its_gradient_tape(tf, case, eps, seed):
    shape, groups = case
    x, gamma, beta, dy = example(shape, seed, np.float64)
    layer = keras_norm("group", shape, gamma, beta, eps, groups)
    y_tf, (dx_tf, dgamma_tf, dbeta_tf) = tape_gradients(tf, layer, x, dy)
    y, cache = bn.groupnorm_forward(x, gamma, beta, groups, eps)
    dx, dgamma, dbeta = bn.groupnorm_backward(dy, cache)
    assert y.shape == dx.shape == shape and y.dtype == dx.dtype == np.float64
    assert np.allclose(y, y_tf, rtol=1e-12, atol=1e-12)
    assert np.allclose(dx, dx_tf, rtol=1e-9, atol=1e-10)
    assert np.allclose(dgamma, dgamma_tf, rtol=1e-12, atol=1e-12)
    assert np.allclose(dbeta, dbeta_tf, rtol=1e-12, atol=1e-12)
    # Statistics per example and contiguous group of channels.
    n, h, w, c = shape
    grouped = x.reshape(n, h, w, groups, c // groups)
    assert cache.mean.shape == (n, groups)
    assert np.allclose(cache.mean, grouped.mean(axis=(1, 2, 4)))
    assert np.allclose(cache.var, grouped.var(axis=(1, 2, 4)))


@pytest.mark.parametrize("kind", ["layer", "group"])
def test_float32_stays_float32_and_equals_keras(tf, kind):
    shape, groups = (4, 5, 6, 8), 4
    x, gamma, beta, dy = example(shape, 7)
    layer = keras_norm(kind, shape, gamma, beta, 1e-3, groups, dtype="float32")
    y_tf, (dx_tf, dgamma_tf, dbeta_tf) = tape_gradients(tf, layer, x, dy)
    if kind == "layer":
        y, cache = bn.layernorm_forward(x, gamma, beta)
        dx, dgamma, dbeta = bn.layernorm_backward(dy, cache)
    else:
        y, cache = bn.groupnorm_forward(x, gamma, beta, groups)
        dx, dgamma, dbeta = bn.groupnorm_backward(dy, cache)
    assert {a.dtype for a in (y, dx, dgamma, dbeta)} == {np.dtype(np.float32)}
    assert np.allclose(y, y_tf, atol=1e-4)
    assert np.allclose(dx, dx_tf, atol=1e-3, rtol=1e-3)
    assert np.allclose(dgamma, dgamma_tf, atol=1e-3, rtol=1e-4)
    assert np.allclose(dbeta, dbeta_tf, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("kind", ["layer", "group"])
def test_keras_gives_the_same_output_in_training_and_inference(tf, kind):
    """No running statistics: training=True and training=False agree, and so does
    one example alone with the batch it came from."""
    shape, groups = (3, 4, 4, 6), 3
    x, gamma, beta, _ = example(shape, 11, np.float64)
    layer = keras_norm(kind, shape, gamma, beta, 1e-3, groups)
    training = layer(tf.constant(x), training=True).numpy()
    inference = layer(tf.constant(x), training=False).numpy()
    assert np.array_equal(training, inference)
    assert not layer.non_trainable_weights  # nothing like BN's moving statistics
    if kind == "layer":
        y = bn.layernorm_forward(x, gamma, beta)[0]
        alone = bn.layernorm_forward(x[:1], gamma, beta)[0]
    else:
        y = bn.groupnorm_forward(x, gamma, beta, groups)[0]
        alone = bn.groupnorm_forward(x[:1], gamma, beta, groups)[0]
    assert np.allclose(y, training, rtol=1e-12, atol=1e-12)
    assert np.allclose(alone, y[:1])


def test_instance_normalization_is_groups_equal_to_channels(tf):
    shape = (3, 4, 5, 6)
    x, gamma, beta, _ = example(shape, 5, np.float64)
    y, cache = bn.groupnorm_forward(x, gamma, beta, groups=6)
    mean = x.mean(axis=(1, 2), keepdims=True)
    var = x.var(axis=(1, 2), keepdims=True)
    assert np.allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta)
    assert cache.mean.shape == (3, 6)
    # Keras's groups=-1 means one group per channel.
    layer = keras_norm("group", shape, gamma, beta, 1e-3, -1)
    assert np.allclose(y, layer(tf.constant(x)), rtol=1e-12, atol=1e-12)


def test_groups_one_is_layer_normalization_over_h_w_c(tf):
    import keras

    shape = (3, 4, 5, 6)
    x, gamma, beta, _ = example(shape, 6, np.float64)
    y, cache = bn.groupnorm_forward(x, gamma, beta, groups=1)
    mean = x.mean(axis=(1, 2, 3), keepdims=True)
    var = x.var(axis=(1, 2, 3), keepdims=True)
    assert np.allclose(y, gamma * (x - mean) / np.sqrt(var + 1e-3) + beta)
    layer = keras.layers.LayerNormalization(axis=(1, 2, 3), dtype="float64")
    layer.build(shape)
    layer.gamma.assign(np.broadcast_to(gamma, shape[1:]))
    layer.beta.assign(np.broadcast_to(beta, shape[1:]))
    assert np.allclose(y, layer(tf.constant(x)), rtol=1e-12, atol=1e-12)


def test_layernorm_normalises_each_example_whatever_the_batch():
    x = np.random.default_rng(0).normal(5, 3, size=(6, 40))
    y, cache = bn.layernorm_forward(x, 1.0, 0.0, eps=1e-9)
    assert np.allclose(y.mean(axis=1), 0) and np.allclose(y.var(axis=1), 1)
    assert np.allclose(cache.x_hat, y)
    # A single example (N = 1, or no batch axis at all) works: no batch statistics.
    assert np.allclose(bn.layernorm_forward(x[2], 1.0, 0.0, eps=1e-9)[0], y[2])
    assert np.allclose(bn.layernorm_forward(x[2:3], 1.0, 0.0, eps=1e-9)[0], y[2:3])


def numeric_gradients(loss, arrays, h=1e-5):
    """Central differences of ``loss()`` with respect to each array (in place)."""
    grads = []
    for array in arrays:
        grad = np.zeros_like(array)
        for index in np.ndindex(array.shape):
            old = array[index]
            array[index] = old + h
            plus = loss()
            array[index] = old - h
            minus = loss()
            array[index] = old
            grad[index] = (plus - minus) / (2 * h)
        grads.append(grad)
    return grads


@pytest.mark.parametrize(
    ("kind", "shape", "groups"),
    [
        ("layer", (5, 4), None),
        ("layer", (2, 3, 2, 4), None),
        ("group", (2, 3, 2, 6), 3),
        ("group", (2, 2, 2, 4), 1),
        ("group", (2, 2, 3, 4), 4),
    ],
)
def test_layernorm_and_groupnorm_numeric_gradient_check(kind, shape, groups):
    """Central differences of l = sum(y * dy): relative error below 1e-7."""
    x, gamma, beta, dy = example(shape, 4, np.float64)
    if kind == "layer":
        forward, backward, extra = bn.layernorm_forward, bn.layernorm_backward, ()
    else:
        forward, backward, extra = (
            bn.groupnorm_forward,
            bn.groupnorm_backward,
            (groups,),
        )

    def loss():
        return float((forward(x, gamma, beta, *extra, 0.01)[0] * dy).sum())

    _, cache = forward(x, gamma, beta, *extra, 0.01)
    analytic = backward(dy, cache)
    for a, n in zip(analytic, numeric_gradients(loss, [x, gamma, beta]), strict=True):
        error = np.abs(a - n).max() / max(np.abs(a).max(), np.abs(n).max())
        assert error < 1e-7


def _ln(x=None, gamma=1.0, beta=0.0, eps=1e-3):
    return bn.layernorm_forward(np.ones((4, 3)) if x is None else x, gamma, beta, eps)


def _gn(x=None, gamma=1.0, beta=0.0, groups=2, eps=1e-3):
    x = np.ones((2, 3, 3, 4)) if x is None else x
    return bn.groupnorm_forward(x, gamma, beta, groups, eps)


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: _ln(x=np.float64(1.0)), ValueError, "x must be a 1-D"),
        (lambda: _ln(x="x"), TypeError, "x must be a numeric array"),
        (lambda: _ln(gamma=np.ones(2)), ValueError, r"gamma must have shape \(3,\)"),
        (lambda: _ln(beta=np.ones((3, 1))), ValueError, "beta must be a 0-D or 1-D"),
        (lambda: _ln(eps=0.0), ValueError, "eps must be > 0"),
        (lambda: _ln(eps=-1e-3), ValueError, "eps must be > 0"),
        (lambda: _ln(x=np.full((2, 3), np.nan)), ValueError, "x must not contain NaN"),
        (lambda: _gn(x=np.ones((2, 3, 4))), ValueError, "x must be a 4-D array"),
        (lambda: _gn(groups=3), ValueError, "groups=3 must divide .* C=4"),
        (lambda: _gn(groups=8), ValueError, "groups=8 must divide .* C=4"),
        (lambda: _gn(groups=0), ValueError, "groups must be >= 1"),
        (lambda: _gn(groups=2.0), TypeError, "groups must be an integer"),
        (lambda: _gn(gamma=np.ones(2)), ValueError, r"gamma must have shape \(4,\)"),
        (lambda: _gn(beta=np.ones(3)), ValueError, r"beta must have shape \(4,\)"),
        (lambda: _gn(eps=0), ValueError, "eps must be > 0"),
        (
            lambda: bn.layernorm_backward(np.ones((4, 3)), _gn()[1]),
            TypeError,
            "cache must be the LayerNormCache returned by layernorm_forward, got "
            "GroupNormCache",
        ),
        (
            lambda: bn.groupnorm_backward(np.ones((2, 3, 3, 4)), _ln()[1]),
            TypeError,
            "cache must be the GroupNormCache",
        ),
        (
            lambda: bn.groupnorm_backward(np.ones((2, 3, 3, 4)), None),
            TypeError,
            "cache must be",
        ),
        (
            lambda: bn.layernorm_backward(np.ones((3, 4)), _ln()[1]),
            ValueError,
            r"dy must have the shape of x, \(4, 3\), got \(3, 4\)",
        ),
        (
            lambda: bn.groupnorm_backward(np.ones((2, 3, 3, 2)), _gn()[1]),
            ValueError,
            "dy must have the shape of x",
        ),
        (
            lambda: bn.groupnorm_backward("dy", _gn()[1]),
            TypeError,
            "dy must be a numeric array",
        ),
    ],
)
def test_layernorm_and_groupnorm_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
