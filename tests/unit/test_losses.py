"""convbn.losses against keras.losses: per-sample values, edge cases and bad input."""

import numpy as np
import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import convbn
from convbn import losses

SETTINGS = settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
RTOL, ATOL = 1e-6, 1e-8  # Keras takes log(2) in float32 for log_cosh


def keras_loss(name, y_true, y_pred, **kwargs):
    keras = convbn.import_keras()
    return keras.ops.convert_to_numpy(
        getattr(keras.losses, name)(y_true, y_pred, **kwargs)
    )


def assert_matches_keras(name, y_true, y_pred, **kwargs):
    ours = losses.get(name)(y_true, y_pred, **kwargs)
    theirs = keras_loss(name, y_true, y_pred, **kwargs)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(ours, theirs, rtol=RTOL, atol=ATOL)
    return ours


shapes = st.tuples(st.integers(1, 5), st.integers(1, 6))
shapes_3d = st.tuples(st.integers(1, 4), st.integers(1, 3), st.integers(1, 5))
class_shapes = st.tuples(st.integers(1, 5), st.integers(2, 6))


def arrays(shape, low, high):
    return hnp.arrays(
        np.float64,
        shape,
        elements=st.floats(
            low, high, allow_nan=False, allow_infinity=False, allow_subnormal=False
        ),  # TensorFlow flushes subnormal numbers to zero
    )


@st.composite
def pairs(draw, low=-10.0, high=10.0, true_low=None, true_high=None, shape=shapes):
    shape = draw(st.one_of(shape, shapes_3d))
    y_true = draw(
        arrays(
            shape,
            low if true_low is None else true_low,
            high if true_high is None else true_high,
        )
    )
    y_pred = draw(arrays(shape, low, high))
    return y_true, y_pred


# --- the module ---


def test_losses_lists_the_fourteen_slide_losses_by_keras_name():
    keras = convbn.import_keras()
    assert len(losses.LOSSES) == 14 == len(set(losses.LOSSES))
    for name in losses.LOSSES:
        assert callable(getattr(keras.losses, name)), name
        assert losses.get(name) is getattr(losses, name)
        doc = losses.get(name).__doc__
        assert "chapter 11" in doc and "When to use it" in doc and "Shapes" in doc
    assert set(losses.REGRESSION_LOSSES) < set(losses.LOSSES)
    assert losses.EPSILON == keras.backend.epsilon()


def test_get_rejects_unknown_names():
    with pytest.raises(ValueError, match="name must be one of"):
        losses.get("logcosh")


# --- equal to keras.losses on random inputs ---

REGRESSION = [
    "mean_squared_error",
    "mean_absolute_error",
    "mean_absolute_percentage_error",
    "mean_squared_logarithmic_error",
    "log_cosh",
]


@pytest.mark.parametrize("name", REGRESSION)
@SETTINGS
@given(data=pairs())
def test_regression_losses_equal_keras(name, data):
    y_true, y_pred = data
    ours = assert_matches_keras(name, y_true, y_pred)
    assert ours.shape == y_true.shape[:-1]


@pytest.mark.parametrize("name", REGRESSION + ["cosine_similarity"])
@given(n=st.integers(1, 6), seed=st.integers(0, 2**16))
@SETTINGS
def test_a_trailing_axis_of_one_is_matched_as_in_keras(name, n, seed):
    rng = np.random.default_rng(seed)
    y_true, y_pred = rng.uniform(0.1, 3, size=n), rng.uniform(0.1, 3, size=(n, 1))
    assert_matches_keras(name, y_true, y_pred)
    assert_matches_keras(name, y_pred, y_true)
    y3 = rng.uniform(0.1, 3, size=(n, 2, 1))
    assert_matches_keras(name, y3[..., 0], y3 * 1.5)


@SETTINGS
@given(data=pairs(low=0.0, high=10.0))
def test_poisson_equals_keras(data):
    assert_matches_keras("poisson", *data)


@SETTINGS
@given(data=pairs(), axis=st.sampled_from([-1, 0]))
def test_cosine_similarity_equals_keras(data, axis):
    y_true, y_pred = data
    y_true[..., 0] = 0.0 if y_true.shape[-1] > 1 else y_true[..., 0]
    ours = assert_matches_keras("cosine_similarity", y_true, y_pred, axis=axis)
    assert np.all(np.abs(ours) <= 1 + 1e-12)


@pytest.mark.parametrize("name", ["hinge", "squared_hinge"])
@SETTINGS
@given(
    shape=st.one_of(shapes, shapes_3d),
    seed=st.integers(0, 2**16),
    labels=st.sampled_from(["01", "pm1", "real"]),
)
def test_hinge_losses_equal_keras_for_every_kind_of_label(name, shape, seed, labels):
    rng = np.random.default_rng(seed)
    y_pred = rng.normal(scale=2, size=shape)
    if labels == "01":
        y_true = rng.integers(0, 2, size=shape).astype(float)
    elif labels == "pm1":
        y_true = rng.choice([-1.0, 1.0], size=shape)
    else:
        y_true = rng.normal(size=shape)
    assert_matches_keras(name, y_true, y_pred)


def test_hinge_converts_labels_only_when_all_are_zero_or_one():
    y_pred = np.array([[0.5, -0.5]])
    # {0, 1}: 0 -> -1, so both predictions have margin 0.5 -> loss 0.5
    assert losses.hinge([[1.0, 0.0]], y_pred) == pytest.approx(0.5)
    # a -1 among them: nothing is converted, the 0 label gives max(1 - 0, 0) = 1
    assert losses.hinge([[1.0, 0.0], [-1.0, 1.0]], np.vstack([y_pred, y_pred]))[
        0
    ] == pytest.approx((0.5 + 1.0) / 2)


@SETTINGS
@given(shape=st.one_of(class_shapes, shapes_3d), seed=st.integers(0, 2**16))
def test_categorical_hinge_equals_keras(shape, seed):
    rng = np.random.default_rng(seed)
    y_true = np.eye(shape[-1])[rng.integers(0, shape[-1], size=shape[:-1])]
    assert_matches_keras("categorical_hinge", y_true, rng.normal(size=shape))


@st.composite
def class_problems(draw):
    shape = draw(st.one_of(class_shapes, shapes_3d.filter(lambda s: s[-1] > 1)))
    seed = draw(st.integers(0, 2**16))
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, shape[-1], size=shape[:-1])
    y_pred = draw(arrays(shape, 0.0, 1.0))
    assume(np.all(y_pred.sum(axis=-1) > 0))
    return labels, np.eye(shape[-1])[labels], y_pred


@SETTINGS
@given(problem=class_problems(), smoothing=st.sampled_from([0.0, 0.1, 0.5]))
def test_categorical_crossentropy_equals_keras(problem, smoothing):
    _, one_hot, y_pred = problem
    assert_matches_keras(
        "categorical_crossentropy", one_hot, y_pred, label_smoothing=smoothing
    )
    soft = np.random.default_rng(1).dirichlet(
        np.ones(y_pred.shape[-1]), y_pred.shape[:-1]
    )
    assert_matches_keras("categorical_crossentropy", soft, y_pred)


@SETTINGS
@given(problem=class_problems(), scale=st.floats(0.1, 20.0))
def test_crossentropies_from_logits_equal_keras(problem, scale):
    labels, one_hot, y_pred = problem
    logits = (y_pred - 0.5) * scale
    assert_matches_keras("categorical_crossentropy", one_hot, logits, from_logits=True)
    assert_matches_keras(
        "sparse_categorical_crossentropy", labels, logits, from_logits=True
    )
    assert_matches_keras("binary_crossentropy", one_hot, logits, from_logits=True)


@SETTINGS
@given(problem=class_problems())
def test_sparse_categorical_crossentropy_equals_keras(problem):
    labels, one_hot, y_pred = problem
    ours = assert_matches_keras("sparse_categorical_crossentropy", labels, y_pred)
    assert_matches_keras("sparse_categorical_crossentropy", labels[..., None], y_pred)
    # on rows that sum to 1 it equals the categorical crossentropy
    normalised = y_pred / y_pred.sum(axis=-1, keepdims=True)
    np.testing.assert_allclose(
        losses.sparse_categorical_crossentropy(labels, normalised),
        losses.categorical_crossentropy(one_hot, normalised),
        rtol=1e-5,
        atol=1e-6,
    )
    assert ours.shape == labels.shape


def test_sparse_ignore_class_equals_keras():
    rng = np.random.default_rng(0)
    y_pred = rng.dirichlet(np.ones(4), size=6)
    labels = np.array([0, 3, -1, 2, -1, 1])
    ours = assert_matches_keras(
        "sparse_categorical_crossentropy", labels, y_pred, ignore_class=-1
    )
    assert ours[2] == ours[4] == 0.0 and np.all(ours[[0, 1, 3, 5]] > 0)


@SETTINGS
@given(data=pairs(low=0.0, high=1.0), smoothing=st.sampled_from([0.0, 0.2]))
def test_binary_crossentropy_equals_keras(data, smoothing):
    y_true, y_pred = data
    assert_matches_keras(
        "binary_crossentropy", np.round(y_true), y_pred, label_smoothing=smoothing
    )
    assert_matches_keras("binary_crossentropy", y_true, y_pred)
    assert_matches_keras("binary_crossentropy", y_true, y_pred, axis=0)


@SETTINGS
@given(data=pairs(low=0.0, high=1.0))
def test_kl_divergence_equals_keras(data):
    assert_matches_keras("kl_divergence", *data)


def test_categorical_crossentropy_axis_equals_keras():
    rng = np.random.default_rng(3)
    y_true = np.eye(3)[rng.integers(0, 3, size=5)].T  # classes on axis 0
    y_pred = rng.dirichlet(np.ones(3), size=5).T
    assert_matches_keras("categorical_crossentropy", y_true, y_pred, axis=0)
    assert_matches_keras(
        "categorical_crossentropy", y_true, y_pred, axis=0, from_logits=True
    )


# --- edge cases ---


@pytest.mark.parametrize(
    "name",
    [
        "mean_squared_error",
        "mean_absolute_error",
        "mean_absolute_percentage_error",
        "mean_squared_logarithmic_error",
        "log_cosh",
    ],
)
def test_a_perfect_regression_prediction_costs_nothing(name):
    y = np.array([[0.5, 2.0, 3.0], [1.0, 0.0, 7.0]])
    np.testing.assert_array_equal(losses.get(name)(y, y), [0.0, 0.0])


def test_perfect_and_hopeless_classification():
    one_hot = np.eye(3)
    # certain and right: only the 1 - 1e-7 clipping is left
    assert np.all(losses.categorical_crossentropy(one_hot, one_hot) < 2e-7)
    assert np.all(losses.kl_divergence(one_hot, one_hot) < 1e-12)
    # certain and wrong: the clipping caps the loss at -log(1e-7)
    wrong = np.roll(one_hot, 1, axis=1)
    np.testing.assert_allclose(
        losses.categorical_crossentropy(one_hot, wrong), -np.log(1e-7), rtol=1e-6
    )
    assert_matches_keras("categorical_crossentropy", one_hot, wrong)
    assert_matches_keras("sparse_categorical_crossentropy", np.arange(3), wrong)
    assert_matches_keras("binary_crossentropy", one_hot, wrong)
    assert np.all(losses.hinge(2 * one_hot - 1, 3 * (2 * one_hot - 1)) == 0)
    assert np.all(losses.categorical_hinge(one_hot, 2 * one_hot) == 0)


def test_zeros():
    zeros = np.zeros((2, 3))
    ones = np.ones((2, 3))
    assert np.all(losses.cosine_similarity(zeros, ones) == 0)
    assert_matches_keras("cosine_similarity", zeros, ones)
    assert_matches_keras("cosine_similarity", zeros, zeros)
    assert_matches_keras("poisson", ones, zeros)
    assert_matches_keras("mean_absolute_percentage_error", zeros, ones)
    assert_matches_keras("mean_squared_logarithmic_error", zeros, -ones)
    assert_matches_keras("kl_divergence", zeros, ones)
    assert np.all(np.isfinite(losses.poisson(ones, zeros)))


def test_inputs_are_not_modified_and_result_is_float64():
    y_true = np.eye(3, dtype=np.float32)
    y_pred = np.full((3, 3), 1 / 3, dtype=np.float32)
    before = y_pred.copy()
    for name in losses.LOSSES:
        truth = np.arange(3) if name.startswith("sparse") else y_true
        out = losses.get(name)(truth, y_pred)
        assert out.dtype == np.float64 and out.shape == (3,)
    np.testing.assert_array_equal(y_pred, before)


def test_lists_and_ints_work():
    assert losses.mean_squared_error([[1, 2]], [[1, 4]]).tolist() == [2.0]
    assert losses.hinge([[True, False]], [[1, -1]]).tolist() == [0.0]


# --- bad input ---


@pytest.mark.parametrize(
    "name", [n for n in losses.LOSSES if n != "sparse_categorical_crossentropy"]
)
def test_shape_mismatch_names_both_arguments(name):
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        losses.get(name)(np.ones((4, 3)), np.ones((4, 2)))


@pytest.mark.parametrize("name", losses.LOSSES)
def test_bad_values_name_the_argument(name):
    fn = losses.get(name)
    truth = np.zeros(2) if name.startswith("sparse") else np.full((2, 3), 0.5)
    with pytest.raises(ValueError, match="y_pred must not contain NaN"):
        fn(truth, np.array([[0.2, np.nan, 0.3], [0.1, 0.2, 0.7]]))
    with pytest.raises(TypeError, match="y_pred must be a numeric array"):
        fn(truth, "0.5")
    with pytest.raises(TypeError, match="y_true must be a numeric array"):
        fn([["a", "b", "c"]] * 2, np.full((2, 3), 0.5))
    with pytest.raises(ValueError, match="y_pred must have at least one axis"):
        fn(truth, 0.5)


def test_sparse_labels_are_checked():
    y_pred = np.full((3, 4), 0.25)
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\).*got 4"):
        losses.sparse_categorical_crossentropy([0, 1, 4], y_pred)
    with pytest.raises(ValueError, match=r"class indices in \[0, 4\).*got -1"):
        losses.sparse_categorical_crossentropy([0, -1, 2], y_pred)
    with pytest.raises(ValueError, match="integer class indices"):
        losses.sparse_categorical_crossentropy([0, 1.5, 2], y_pred)
    with pytest.raises(ValueError, match=r"one class index per row.*\(3,\)"):
        losses.sparse_categorical_crossentropy([0, 1], y_pred)
    with pytest.raises(ValueError, match="y_true must not contain NaN"):
        losses.sparse_categorical_crossentropy([0, np.nan, 1], y_pred)
    with pytest.raises(ValueError, match="axis must be -1"):
        losses.sparse_categorical_crossentropy([0, 1, 2], y_pred, axis=0)
    with pytest.raises(TypeError, match="ignore_class must be an integer"):
        losses.sparse_categorical_crossentropy([0, 1, 2], y_pred, ignore_class=0.5)


def test_options_are_checked():
    y = np.eye(3)
    with pytest.raises(TypeError, match="from_logits must be True or False"):
        losses.categorical_crossentropy(y, y, from_logits="yes")
    with pytest.raises(ValueError, match="label_smoothing must be <= 1"):
        losses.binary_crossentropy(y, y, label_smoothing=2.0)
    with pytest.raises(ValueError, match="axis must be in"):
        losses.cosine_similarity(y, y, axis=2)
    with pytest.raises(TypeError, match="axis must be an integer"):
        losses.categorical_crossentropy(y, y, axis=True)


# --- curve ---


@pytest.mark.parametrize("name", losses.LOSSES)
def test_curve_is_finite_and_its_gradient_is_the_derivative(name):
    c = losses.curve(name)
    assert c.x.shape == c.loss.shape == c.gradient.shape
    assert np.all(np.isfinite(c.loss)) and np.all(np.isfinite(c.gradient))
    # away from kinks, the central difference agrees with a finite-difference slope
    slope = np.gradient(c.loss, c.x)
    smooth = np.abs(np.gradient(slope, c.x)) < 5
    smooth &= np.roll(smooth, 1) & np.roll(smooth, -1)  # not next to a kink
    assert smooth.mean() > 0.4
    np.testing.assert_allclose(
        c.gradient[smooth][5:-5], slope[smooth][5:-5], rtol=0.05, atol=0.05
    )


def test_curve_of_the_mean_squared_error():
    c = losses.curve("mean_squared_error", target=2.0)
    np.testing.assert_allclose(c.loss, (c.x - 2.0) ** 2, atol=1e-12)
    np.testing.assert_allclose(c.gradient, 2 * (c.x - 2.0), atol=1e-5)
    assert c.setup == "true value 2"
    with pytest.raises(ValueError, match="target must be > 0"):
        losses.curve("mean_squared_error", target=0.0)
    with pytest.raises(ValueError, match="name must be one of"):
        losses.curve("mse")


# --- keras_confident_mistake: the routes of Keras's crossentropy, by backend ---

CLIPPED = -np.log(np.float32(1e-7))  # 16.118


def test_tensorflow_takes_the_logits_of_a_softmax_or_sigmoid_output():
    convbn.import_keras()  # the TensorFlow backend, as in the notebooks
    routes = losses.keras_confident_mistake()
    for name in ("softmax", "sparse", "Softmax layer", "sigmoid", "from_logits"):
        assert routes[name] == pytest.approx(40.0, rel=1e-6), name
    assert routes["numpy"] == pytest.approx(CLIPPED, rel=1e-6)
    assert routes["step softmax"] == pytest.approx(0.04, rel=1e-4)  # lr x 40 x 1
    assert routes["step from_logits"] == pytest.approx(0.04, rel=1e-4)
    assert losses.keras_confident_mistake(logit=3.0)["softmax"] == pytest.approx(
        np.log1p(np.exp(3.0)), rel=1e-5
    )


@pytest.mark.slow
def test_jax_clips_every_probability_and_passes_no_gradient():
    pytest.importorskip("jax")
    routes = losses.keras_confident_mistake("jax")
    for name in ("softmax", "sparse", "Softmax layer", "numpy"):
        assert routes[name] == pytest.approx(CLIPPED, rel=1e-6), name
    # 1 - 1e-7 rounds to 1 - 1.19e-7 in float32: -log(1.19e-7)
    one_minus = np.float32(1.0) - np.float32(1e-7)
    assert routes["sigmoid"] == pytest.approx(-np.log(1.0 - one_minus), rel=1e-6)
    assert routes["from_logits"] == pytest.approx(40.0, rel=1e-6)
    assert routes["step softmax"] == 0.0  # the clip has no gradient
    assert routes["step from_logits"] == pytest.approx(0.04, rel=1e-4)


def test_keras_confident_mistake_refuses_unknown_backends_and_logits():
    with pytest.raises(ValueError, match="backend"):
        losses.keras_confident_mistake("theano")
    with pytest.raises(ValueError, match="logit"):
        losses.keras_confident_mistake(logit=-1.0)
