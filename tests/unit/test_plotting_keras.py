"""Plots of Part IV (chapters 10 to 12): convbn.plotting.keras."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from samples import HISTORIES, maps

import convbn
from convbn import losses, plotting

# --- plot_activations -----------------------------------------------------------------


def test_plot_activations_draws_functions_slopes_and_softmax():
    fig = plotting.plot_activations()
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 3
    labels = [line.get_label() for line in fig.axes[0].get_lines()]
    assert labels == list(plotting.ACTIVATIONS)
    bars = [patch.get_height() for patch in fig.axes[2].patches]
    assert len(bars) == len(plotting.SOFTMAX_LOGITS)
    assert np.isclose(sum(bars), 1.0)


def test_plot_activations_slopes_match_keras():
    keras = convbn.import_keras()
    import tensorflow as tf

    fig = plotting.plot_activations(x_max=3.0)
    for line in fig.axes[1].get_lines():
        z = tf.constant(line.get_xdata()[::37], dtype=tf.float64)
        with tf.GradientTape() as tape:
            tape.watch(z)
            y = keras.activations.get(line.get_label())(z)
        slope = tape.gradient(y, z).numpy()
        assert np.allclose(line.get_ydata()[::37], slope, atol=1e-9)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x_max": 0}, ValueError, "x_max must be > 0"),
        ({"x_max": "4"}, TypeError, "x_max"),
        ({"logits": [1.0]}, ValueError, "logits"),
        ({"logits": [[1.0, 2.0]]}, ValueError, "logits must be a 1-D"),
        ({"logits": ["a", "b"]}, TypeError, "logits"),
    ],
)
def test_plot_activations_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_activations(**kwargs)


# --- plot_dropout ---------------------------------------------------------------------


def _mask(fig):
    return fig.axes[1].get_images()[0].get_array()


def test_plot_dropout_shows_keras_mask_and_scaling():
    fig = plotting.plot_dropout(rate=0.25, seed=3)
    assert isinstance(fig, plt.Figure)
    mask = np.asarray(_mask(fig))
    assert mask.shape == (6, 10)
    kept = mask[mask != 0]
    assert kept.size > 0 and np.allclose(kept, 1 / 0.75, rtol=1e-6)
    assert "kept ×1.33" in fig.axes[1].get_title()


@pytest.mark.parametrize(
    ("noise_shape", "axis"), [("whole rows", 1), ("whole columns", 0)]
)
def test_plot_dropout_noise_shape_shares_the_mask(noise_shape, axis):
    for seed in range(5):
        mask = np.asarray(_mask(plotting.plot_dropout(0.5, noise_shape, seed)))
        assert np.all(mask == mask.take([0], axis=axis))
        plt.close("all")


def test_plot_dropout_same_seed_same_mask_and_rate_zero_is_identity():
    first = np.asarray(_mask(plotting.plot_dropout(0.5, seed=4)))
    second = np.asarray(_mask(plotting.plot_dropout(0.5, seed=4)))
    assert np.array_equal(first, second)
    assert np.all(np.asarray(_mask(plotting.plot_dropout(0.0))) == 1.0)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"rate": 1.0}, ValueError, "rate must be < 1"),
        ({"rate": -0.1}, ValueError, "rate must be >= 0"),
        ({"rate": "0.5"}, TypeError, "rate"),
        ({"noise_shape": (6, 1)}, ValueError, "noise_shape must be one of"),
        ({"noise_shape": "channels"}, ValueError, "noise_shape must be one of"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
        ({"seed": 1.5}, TypeError, "seed must be an integer"),
    ],
)
def test_plot_dropout_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_dropout(**kwargs)


# --- chapter 11: plot_losses, plot_loss_and_gradient, plot_optimizer_curves -----------


def test_plot_losses_draws_one_panel_per_loss():
    fig = plotting.plot_losses()
    assert isinstance(fig, plt.Figure)
    visible = [ax for ax in fig.axes if ax.get_visible()]
    assert [ax.get_title() for ax in visible] == list(losses.LOSSES)
    assert all(len(ax.lines) >= 1 for ax in visible)
    two = plotting.plot_losses(["hinge", "poisson"], target=2.0)
    assert [ax.get_title() for ax in two.axes if ax.get_visible()] == [
        "hinge",
        "poisson",
    ]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"names": ["mse"]}, ValueError, "names must be one of"),
        ({"names": "hinge"}, TypeError, "names must be a list of loss names"),
        ({"names": []}, ValueError, "names must name at least one loss"),
        ({"target": 0.0}, ValueError, "target must be > 0"),
        ({"target": "1"}, TypeError, "target must be a real number"),
    ],
)
def test_plot_losses_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_losses(**kwargs)


@pytest.mark.parametrize("loss", losses.LOSSES)
def test_plot_loss_and_gradient_draws_loss_and_derivative(loss):
    fig = plotting.plot_loss_and_gradient(loss, target=0.5)
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 2
    left, right = fig.axes
    curve = losses.curve(loss, 0.5)
    np.testing.assert_allclose(left.lines[0].get_ydata(), curve.loss)
    np.testing.assert_allclose(right.lines[0].get_ydata(), curve.gradient)
    assert loss in fig._suptitle.get_text()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"loss": "logcosh"}, ValueError, "loss must be one of"),
        ({"loss": 3}, ValueError, "loss must be one of"),
        ({"target": -1.0}, ValueError, "target must be > 0"),
    ],
)
def test_plot_loss_and_gradient_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_loss_and_gradient(**kwargs)


def test_plot_optimizer_curves_draws_the_chosen_curves():
    fig = plotting.plot_optimizer_curves(HISTORIES)
    assert isinstance(fig, plt.Figure)
    (ax,) = fig.axes
    assert [line.get_label() for line in ax.lines] == list(HISTORIES)
    assert ax.get_yscale() == "log"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), HISTORIES["Adam"])
    fig = plotting.plot_optimizer_curves(HISTORIES, names=("Adam",), log=False)
    assert [line.get_label() for line in fig.axes[0].lines] == ["Adam"]
    assert fig.axes[0].get_yscale() == "linear"
    assert len(plotting.plot_optimizer_curves(HISTORIES, names=()).axes[0].lines) == 0


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ([[1.0, 2.0]], {}, TypeError, "histories must be a non-empty dict"),
        ([{}], {}, TypeError, "histories must be a non-empty dict"),
        ([{"SGD": [1.0, np.nan]}], {}, ValueError, r"histories\['SGD'\] must not"),
        ([{"SGD": "abc"}], {}, TypeError, r"histories\['SGD'\] must be a numeric"),
        ([{"SGD": [[1.0]]}], {}, ValueError, r"histories\['SGD'\] must be a 1-D"),
        ([HISTORIES], {"names": ["Nadam"]}, ValueError, "names must be one of"),
        ([HISTORIES], {"names": "SGD"}, TypeError, "names must be a list"),
        ([HISTORIES], {"log": "yes"}, TypeError, "log must be True or False"),
        ([{"SGD": [1.0, 0.0]}], {}, ValueError, "log=True needs positive losses"),
    ],
)
def test_plot_optimizer_curves_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_optimizer_curves(*args, **kwargs)


# --- plot_cnn_history -----------------------------------------------------------------


HISTORY = {
    "loss": [1.2, 0.5, 0.3],
    "accuracy": [0.6, 0.85, 0.9],
    "val_loss": [0.9, 0.6, 0.4],
    "val_accuracy": [0.7, 0.8, 0.88],
}


class FakeHistory:  # what model.fit returns: an object with .history
    history = HISTORY


def test_plot_cnn_history_draws_one_panel_per_metric_and_two_lines_per_run():
    fig = plotting.plot_cnn_history({"with BN": FakeHistory(), "without BN": HISTORY})
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 2
    assert len(fig.axes[0].lines) == 4  # 2 runs x (training, validation)
    assert fig.axes[0].get_ylabel() == "loss"
    np.testing.assert_allclose(fig.axes[1].lines[1].get_ydata(), [0.7, 0.8, 0.88])


def test_plot_cnn_history_without_validation_and_one_metric():
    fig = plotting.plot_cnn_history({"run": {"loss": [3, 2, 1]}}, metrics="loss")
    assert len(fig.axes) == 1 and len(fig.axes[0].lines) == 1


@pytest.mark.parametrize(
    ("histories", "kwargs", "error", "match"),
    [
        ({}, {}, TypeError, "histories must be a non-empty dict"),
        ([HISTORY], {}, TypeError, "histories must be a non-empty dict"),
        ({"a": 3}, {}, TypeError, r"histories\['a'\] must be a keras History"),
        ({"a": {"loss": [1, 2], "accuracy": [1]}}, {}, ValueError, "one value per "),
        ({"a": {"loss": ["x"]}}, {"metrics": "loss"}, TypeError, "numeric"),
        ({"a": HISTORY}, {"metrics": ("auc",)}, ValueError, "metrics: .* no 'auc'"),
        ({"a": HISTORY}, {"metrics": (3,)}, TypeError, "metrics must be"),
    ],
)
def test_plot_cnn_history_rejects_bad_arguments(histories, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_cnn_history(histories, **kwargs)


# --- plot_confusion_matrix ------------------------------------------------------------


def test_plot_confusion_matrix_annotates_nonzero_cells():
    matrix = np.array([[5, 1, 0], [0, 7, 2], [0, 0, 9]])
    fig = plotting.plot_confusion_matrix(matrix, class_names=["a", "b", "c"])
    ax = fig.axes[0]
    texts = sorted(t.get_text() for t in ax.texts)
    assert texts == sorted(["5", "1", "7", "2", "9"])
    assert [t.get_text() for t in ax.get_xticklabels()] == ["a", "b", "c"]
    assert ax.get_xlabel() == "predicted" and ax.get_ylabel() == "true"


def test_plot_confusion_matrix_without_mistakes():
    fig = plotting.plot_confusion_matrix(np.diag([3, 4]))
    assert isinstance(fig, plt.Figure)


@pytest.mark.parametrize(
    ("matrix", "kwargs", "error", "match"),
    [
        (np.ones((2, 3)), {}, ValueError, "matrix must be square"),
        (np.ones(3), {}, ValueError, "matrix must be a 2-D"),
        (-np.eye(2), {}, ValueError, "counts >= 0"),
        ("matrix", {}, TypeError, "matrix must be a numeric"),
        (np.eye(3), {"class_names": ["a"]}, ValueError, "class_names must have"),
    ],
)
def test_plot_confusion_matrix_rejects_bad_arguments(matrix, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_confusion_matrix(matrix, **kwargs)


# --- plot_mistakes --------------------------------------------------------------------


def _digits(n=12, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 28, 28, 1), dtype=np.float32)
    y_true = rng.integers(0, 10, size=n)
    y_pred = y_true.copy()
    y_pred[[1, 4, 7]] = (y_true[[1, 4, 7]] + 1) % 10
    probabilities = rng.random((n, 10))
    probabilities /= probabilities.sum(axis=1, keepdims=True)
    return images, y_true, y_pred, probabilities


def test_plot_mistakes_shows_only_the_mistakes_most_confident_first():
    images, y_true, y_pred, probabilities = _digits()
    fig = plotting.plot_mistakes(images, y_true, y_pred, probabilities)
    shown = [ax for ax in fig.axes if ax.get_title()]
    assert len(shown) == 3
    confidence = probabilities[[1, 4, 7], y_pred[[1, 4, 7]]]
    first = [1, 4, 7][int(np.argmax(confidence))]
    assert shown[0].get_title().startswith(f"{y_true[first]} → {y_pred[first]}")


def test_plot_mistakes_count_and_no_mistakes():
    images, y_true, y_pred, _ = _digits()
    fig = plotting.plot_mistakes(images[..., 0], y_true, y_pred, count=2)
    assert sum(bool(ax.get_title()) for ax in fig.axes) == 2
    fig = plotting.plot_mistakes(images, y_true, y_true)
    assert fig.axes[0].texts[0].get_text() == "no mistakes"


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"images": np.zeros((12, 28, 28, 3))}, ValueError, "grayscale"),
        ({"images": np.zeros((12, 28))}, ValueError, "images must be a 3-D or 4-D"),
        ({"y_true": np.zeros(5, dtype=int)}, ValueError, "y_true must be 12 integer"),
        ({"y_pred": np.zeros(12)}, ValueError, "y_pred must be 12 integer"),
        ({"probabilities": np.ones((12, 3))}, ValueError, "probabilities must be"),
        ({"count": 0}, ValueError, "count must be >= 1"),
        ({"ncols": 2.5}, TypeError, "ncols must be an integer"),
    ],
)
def test_plot_mistakes_rejects_bad_arguments(change, error, match):
    images, y_true, y_pred, probabilities = _digits()
    args = {
        "images": images,
        "y_true": y_true,
        "y_pred": y_pred,
        "probabilities": probabilities,
        **change,
    }
    with pytest.raises(error, match=match):
        plotting.plot_mistakes(**args)


# --- plot_cnn_feature_maps ------------------------------------------------------------


def test_plot_cnn_feature_maps_draws_every_channel():
    images, blocks, probabilities, labels = maps()
    fig = plotting.plot_cnn_feature_maps(images, blocks, probabilities, labels, 3)
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 2 + 8 + 16  # image, bars, the maps
    predicted = int(np.argmax(probabilities[3]))
    assert f"predicted {predicted}, true {labels[3]}" in fig.axes[0].get_title()
    heights = [p.get_height() for p in fig.axes[1].patches]
    np.testing.assert_allclose(heights, probabilities[3])


@pytest.mark.parametrize(
    ("change", "error", "match"),
    [
        ({"feature_maps": np.zeros((5, 14, 14, 8))}, TypeError, "feature_maps must be"),
        ({"feature_maps": []}, ValueError, "at least one block"),
        (
            {"feature_maps": [np.zeros((4, 14, 14, 8))]},
            ValueError,
            r"feature_maps\[0\]",
        ),
        ({"feature_maps": [np.zeros((5, 14, 14))]}, ValueError, r"feature_maps\[0\]"),
        ({"probabilities": np.zeros((3, 10))}, ValueError, "probabilities must have"),
        ({"labels": np.zeros(5)}, ValueError, "labels must be 5 integer"),
        ({"index": 5}, ValueError, "index must be <= 4"),
        ({"index": -1}, ValueError, "index must be >= 0"),
        ({"index": "0"}, TypeError, "index must be an integer"),
    ],
)
def test_plot_cnn_feature_maps_rejects_bad_arguments(change, error, match):
    images, blocks, probabilities, labels = maps()
    args = {
        "images": images,
        "feature_maps": blocks,
        "probabilities": probabilities,
        "labels": labels,
        **change,
    }
    with pytest.raises(error, match=match):
        plotting.plot_cnn_feature_maps(**args)
