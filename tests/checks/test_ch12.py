"""The checkers of chapter 12: right solutions pass, each known mistake is named."""

import re

import numpy as np
import pytest

from convbn import checks
from convbn.checks import ch12


@pytest.fixture(scope="module")
def keras():
    import convbn

    return convbn.import_keras()


# --- check_cnn_shapes ---


def cnn_shapes_ok(height, width, channels, filters, kernel_size, pool_size, padding):
    shapes, h, w, c = [], height, width, channels
    for f in filters:
        if padding == "valid":
            h, w = h - kernel_size + 1, w - kernel_size + 1
        c = f
        shapes += [(h, w, c)] * 3
        h, w = h // pool_size, w // pool_size
        shapes.append((h, w, c))
    return shapes + [(h * w * c,), (10,)]


def cnn_shapes_keras(height, width, channels, filters, kernel_size, pool_size, padding):
    """Written differently: ask Keras itself."""
    import convbn

    keras = convbn.import_keras()
    layers = [keras.Input((height, width, channels))]
    for f in filters:
        layers += [
            keras.layers.Conv2D(f, kernel_size, padding=padding),
            keras.layers.BatchNormalization(),
            keras.layers.ReLU(),
            keras.layers.MaxPooling2D(pool_size),
        ]
    model = keras.Sequential(layers + [keras.layers.Flatten(), keras.layers.Dense(10)])
    return [layer.output.shape[1:] for layer in model.layers]


@pytest.mark.parametrize("solution", [cnn_shapes_ok, cnn_shapes_keras])
def test_check_cnn_shapes_accepts_correct_solutions(solution):
    assert checks.check_cnn_shapes(solution) is True


def _shapes_variant(**kwargs):
    def fn(h, w, c, filters, k, p, padding):
        return ch12.shapes(h, w, c, filters, k, p, padding, **kwargs)

    return fn


def _shapes_off_by_one(h, w, c, filters, k, p, padding):
    return ch12.shapes(
        h, w, c, filters, k, p, padding, shrink=k if padding == "valid" else None
    )


def _shapes_no_padding(h, w, c, filters, k, p, padding):
    return ch12.shapes(h, w, c, filters, k, p, "valid")


def _shapes_with_batch(*args):
    return [(None, *s) for s in cnn_shapes_ok(*args)]


def _shapes_no_flatten(*args):
    shapes = cnn_shapes_ok(*args)
    return shapes[:-2] + shapes[-1:]


def _shapes_bn_flattens(*args):
    shapes = cnn_shapes_ok(*args)
    shapes[1] = (int(np.prod(shapes[1])),)
    return shapes


def _shapes_dense_wrong(*args):
    return cnn_shapes_ok(*args)[:-1] + [(1,)]


def _shapes_crash(*args):
    raise IndexError("oops")


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_shapes_off_by_one, "loses kernel_size - 1 rows"),
        (_shapes_variant(shrink=0), "a 'valid' convolution shrinks"),
        (_shapes_no_padding, "padding='same' keeps the height"),
        (_shapes_variant(pool_round="ceil"), "rounds DOWN"),
        (_shapes_variant(keep_channels=True), "one channel per filter"),
        (_shapes_variant(flatten_channels=False), r"Flatten keeps every value"),
        (_shapes_variant(transpose=True), "height and width are swapped"),
        (_shapes_with_batch, "leave out the batch axis"),
        (_shapes_no_flatten, "four layers per block"),
        (_shapes_bn_flattens, "BatchNormalization 1 does not change the shape"),
        (_shapes_dense_wrong, r"Dense\(10\) outputs \(10,\)"),
        (_shapes_crash, "raised IndexError: oops"),
        (lambda *a: 3, "must return a list of shapes"),
        (lambda *a: ["x"] * 10, "must return a list of shapes such as"),
    ],
)
def test_check_cnn_shapes_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_cnn_shapes(wrong)


# --- check_conv_bn_params ---


def conv_bn_params_ok(kernel_size, in_channels, filters, use_bias):
    kh, kw = kernel_size
    return (
        kh * kw * in_channels * filters + filters * use_bias,
        2 * filters,
        2 * filters,
    )


def conv_bn_params_keras(kernel_size, in_channels, filters, use_bias):
    """Written differently: count the weights Keras creates."""
    import convbn

    keras = convbn.import_keras()
    conv = keras.layers.Conv2D(filters, kernel_size, use_bias=use_bias)
    conv.build((None, 9, 9, in_channels))
    bn = keras.layers.BatchNormalization()
    bn.build((None, 9, 9, filters))
    sizes = [
        [int(np.prod(v.shape)) for v in vs]
        for vs in (conv.weights, bn.trainable_weights, bn.non_trainable_weights)
    ]
    return tuple(sum(s) for s in sizes)


@pytest.mark.parametrize("solution", [conv_bn_params_ok, conv_bn_params_keras])
def test_check_conv_bn_params_accepts_correct_solutions(solution):
    assert checks.check_conv_bn_params(solution) is True


def _params(conv=None, bn=None):
    def fn(kernel_size, in_channels, filters, use_bias):
        kh, kw = kernel_size
        c = (
            conv(kh, kw, in_channels, filters, use_bias)
            if conv
            else (kh * kw * in_channels * filters + filters * use_bias)
        )
        t, n = bn(in_channels, filters) if bn else (2 * filters, 2 * filters)
        return c, t, n

    return fn


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_params(conv=lambda kh, kw, c, f, b: kh * kw * c * f + f), "no bias to count"),
        (_params(conv=lambda kh, kw, c, f, b: kh * kw * c * f), "adds one bias"),
        (
            _params(conv=lambda kh, kw, c, f, b: kh * kw * f + f * b),
            "spans every input channel",
        ),
        (_params(conv=lambda kh, kw, c, f, b: kh * kh * c * f + f * b), "not square"),
        (
            _params(conv=lambda kh, kw, c, f, b: kh * kw * c + b),
            "one kernel per filter",
        ),
        (
            _params(conv=lambda kh, kw, c, f, b: (kh + kw) * c * f + f * b),
            "not kh \\+ kw",
        ),
        (_params(bn=lambda c, f: (4 * f, 0)), "only gamma and beta are trained"),
        (_params(bn=lambda c, f: (2 * c, 2 * c)), "not in_channels"),
        (_params(bn=lambda c, f: (2, 2)), "PER CHANNEL"),
        (
            _params(bn=lambda c, f: (2 * f, f)),
            "expected \\(trainable, non-trainable\\)",
        ),
        (lambda *a: (1, 2), "three numbers"),
        (lambda *a: None, "three numbers"),
    ],
)
def test_check_conv_bn_params_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv_bn_params(wrong)


# --- check_fold_batchnorm ---


def fold_ok(w, b, gamma, beta, mean, var, eps):
    scale = gamma / np.sqrt(var + eps)
    return w * scale, (b - mean) * scale + beta


def fold_loop(w, b, gamma, beta, mean, var, eps):
    """Written differently: one output channel at a time."""
    w2, b2 = np.empty_like(w), np.empty_like(b)
    for c in range(w.shape[-1]):
        std = np.sqrt(var[c] + eps)
        w2[..., c] = w[..., c] * gamma[c] / std
        b2[c] = gamma[c] * (b[c] - mean[c]) / std + beta[c]
    return w2, b2


@pytest.mark.parametrize("solution", [fold_ok, fold_loop])
def test_check_fold_batchnorm_accepts_correct_solutions(solution):
    assert checks.check_fold_batchnorm(solution) is True


def test_fold_reference_matches_keras(keras):
    """The checker's reference is what Keras computes with a trained-looking BN."""
    rng = np.random.default_rng(1)
    x = rng.normal(size=(2, 9, 8, 3)).astype("float32")
    conv = keras.layers.Conv2D(5, 3)
    bn = keras.layers.BatchNormalization(epsilon=0.01)
    y = bn(conv(x), training=False)
    for var, value in (
        (bn.gamma, rng.uniform(0.5, 2, 5)),
        (bn.beta, rng.normal(size=5)),
        (bn.moving_mean, rng.normal(size=5)),
        (bn.moving_variance, rng.uniform(0.1, 2, 5)),
        (conv.bias, rng.normal(size=5)),
    ):
        var.assign(value.astype("float32"))
    y = np.asarray(bn(conv(x), training=False))
    w2, b2 = ch12.fold(
        *(
            np.asarray(v, dtype=np.float64)
            for v in (
                conv.kernel,
                conv.bias,
                bn.gamma,
                bn.beta,
                bn.moving_mean,
                bn.moving_variance,
            )
        ),
        0.01,
    )
    folded = keras.layers.Conv2D(5, 3)
    folded.build(x.shape)
    folded.set_weights([w2.astype("float32"), b2.astype("float32")])
    np.testing.assert_allclose(np.asarray(folded(x)), y, rtol=1e-4, atol=1e-5)


def _fold_variant(mistake):
    def fn(w, b, gamma, beta, mean, var, eps):
        return ch12.fold(w, b, gamma, beta, mean, var, eps, mistake=mistake)

    return fn


def _fold_in_place(w, b, gamma, beta, mean, var, eps):
    w *= gamma / np.sqrt(var + eps)
    return w, (b - mean) * gamma / np.sqrt(var + eps) + beta


def _fold_bias_first(w, b, gamma, beta, mean, var, eps):  # right scale, bias sign bug
    scale = gamma / np.sqrt(var + eps)
    return w * scale, (mean - b) * scale + beta


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        *[
            (_fold_variant(m), re.escape(msg.split(":")[0][:30]))
            for m, msg in ch12.FOLD_MISTAKES.items()
        ],
        (_fold_in_place, "modified its argument w in place"),
        (_fold_bias_first, "folded bias b2"),
        (lambda *a: a[0], "must return a pair"),
        (lambda *a: (a[0], a[1][:1]), "the folded bias b2 returned shape"),
        (lambda *a: (a[0].T, a[1]), "the folded weights w2 returned shape"),
    ],
)
def test_check_fold_batchnorm_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_fold_batchnorm(wrong)


# --- check_precision_recall -----------------------------------------------------------


def confusion(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes), dtype=int)
    np.add.at(cm, (y_true, y_pred), 1)
    return cm


def pr_ok(y_true, y_pred, num_classes):
    cm = confusion(y_true, y_pred, num_classes)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diag(cm) / cm.sum(axis=0), np.diag(cm) / cm.sum(axis=1)


def pr_loop(y_true, y_pred, num_classes):
    precision, recall = [], []
    for c in range(num_classes):
        predicted = [t for t, p in zip(y_true, y_pred, strict=True) if p == c]
        occurring = [p for t, p in zip(y_true, y_pred, strict=True) if t == c]
        precision.append(predicted.count(c) / len(predicted) if predicted else np.nan)
        recall.append(occurring.count(c) / len(occurring) if occurring else np.nan)
    return precision, recall


def pr_sklearn(y_true, y_pred, num_classes):
    from sklearn.metrics import precision_recall_fscore_support

    precision, recall, _, _ = precision_recall_fscore_support(
        y_true, y_pred, labels=np.arange(num_classes), zero_division=np.nan
    )
    return precision, recall


@pytest.mark.parametrize("solution", [pr_ok, pr_loop, pr_sklearn])
def test_check_precision_recall_accepts_correct_solutions(solution):
    assert checks.check_precision_recall(solution) is True
    assert checks.check_precision_recall(solution, seed=4) is True


def test_the_reference_is_sklearn_s():
    rng = np.random.default_rng(1)
    for k in (2, 5, 10):
        y_true = rng.integers(0, k - 1, size=200)
        y_pred = np.where(rng.random(200) < 0.6, y_true, rng.integers(0, k, size=200))
        ours = ch12._precision_recall(confusion(y_true, y_pred, k))
        theirs = pr_sklearn(y_true, y_pred, k)
        for a, b in zip(ours, theirs, strict=True):
            np.testing.assert_allclose(a, b, equal_nan=True)
        assert np.isnan(ours[1][-1])  # the last class never occurs: no recall


def _pr_fancy(y_true, y_pred, num_classes):
    cm = np.zeros((num_classes, num_classes))
    cm[y_true, y_pred] += 1
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.diag(cm) / cm.sum(axis=0), np.diag(cm) / cm.sum(axis=1)


def _pr_zeros(y_true, y_pred, num_classes):
    return tuple(np.nan_to_num(a) for a in pr_ok(y_true, y_pred, num_classes))


def _pr_from_data(y_true, y_pred, num_classes):
    return pr_ok(y_true, y_pred, max(y_true.max(), y_pred.max()) + 1)


def _pr_in_place(y_true, y_pred, num_classes):
    result = pr_ok(y_true, y_pred, num_classes)
    y_true.sort()
    return result


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda t, p, k: pr_ok(t, p, k)[::-1], "precision and recall are swapped"),
        (lambda t, p, k: pr_ok(p, t, k), "precision and recall are swapped"),
        (_pr_zeros, "return nan"),
        (
            lambda t, p, k: (np.nan_to_num(pr_ok(t, p, k)[0]), pr_ok(t, p, k)[1]),
            "never predicted has no precision",
        ),
        (_pr_fancy, "repeated pairs counted once"),
        (
            lambda t, p, k: (np.diag(confusion(t, p, k)) / len(t),) * 2,
            "divided by the number of examples N",
        ),
        (_pr_from_data, "use num_classes for the size"),
        (_pr_in_place, "modified y_true or y_pred"),
        (lambda t, p, k: pr_ok(t, p, k)[0], "must return the pair"),
        (
            lambda t, p, k: (pr_ok(t, p, k)[0], pr_ok(t, p, k)[1] * 0.5),
            "wrong recall of class",
        ),
    ],
)
def test_check_precision_recall_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_precision_recall(wrong)
