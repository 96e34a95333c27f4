"""Plots of Part IV, Keras (chapters 10 to 12).

Chapter 10: activations and Dropout. Chapter 11: losses, their derivatives and
optimizer curves. Chapter 12: a CNN's training curves, confusion matrix, mistakes and
feature maps.

The public names are re-exported by :mod:`convbn.plotting`, whose ``__init__.py``
documents the constants (the API page reads their comments there).
"""

from __future__ import annotations

from collections.abc import Mapping

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .. import losses
from .._validation import as_choice, as_float_array, as_number
from ..activations import activation, activation_slope
from .style import COLORS, MATRIX_CMAP, OKABE_ITO, _hide_spines, _hide_ticks, _is_dark

__all__ = [
    "ACTIVATIONS",
    "SOFTMAX_LOGITS",
    "DROPOUT_NOISE_SHAPES",
    "plot_activations",
    "plot_dropout",
    "plot_losses",
    "plot_loss_and_gradient",
    "plot_optimizer_curves",
    "plot_cnn_history",
    "plot_confusion_matrix",
    "plot_mistakes",
    "plot_cnn_feature_maps",
]

# --- chapter 10: Keras models ---

ACTIVATIONS = ("relu", "sigmoid", "tanh")
SOFTMAX_LOGITS = np.array([2.0, 1.0, 0.1, -1.0, 3.2, 0.5, -0.3, 1.7, 0.0, -2.0])
DROPOUT_NOISE_SHAPES = {
    "elementwise": None,
    "whole rows": (6, 1),
    "whole columns": (1, 10),
}


def plot_activations(x_max: float = 4.0, logits=None):
    """The activation functions of chapter 10: values, slopes, and a softmax.

    Left: relu max(0, z), sigmoid 1 / (1 + e^-z) and tanh on ``[-x_max, x_max]``.
    Middle: their derivatives (relu' = 1 for z > 0, sigmoid' = s(1 - s) <= 1/4,
    tanh' = 1 - tanh^2 <= 1), which show where each saturates. Right: the softmax
    e^z_k / sum_j e^z_j of ``logits`` (default :data:`SOFTMAX_LOGITS`, 10 classes) as
    bars that sum to 1. All from ``convbn.activations.activation`` and
    ``activation_slope``. Returns the Figure.
    """
    x_max = as_number(x_max, "x_max", positive=True, maximum=50)
    if logits is None:
        logits = SOFTMAX_LOGITS
    logits = as_float_array(logits, "logits", ndim=1, min_size=2)
    z = np.linspace(-x_max, x_max, 801)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.2))
    for name, colour in zip(ACTIVATIONS, COLORS, strict=False):
        axes[0].plot(z, activation(name, z), color=colour, label=name)
        axes[1].plot(z, activation_slope(name, z), color=colour, label=name)
    axes[0].set(xlabel="z", ylabel="activation", title="hidden-layer activations")
    axes[1].set(xlabel="z", ylabel="slope", title="their derivatives")
    axes[0].legend(loc="upper left")
    axes[1].legend(loc="upper left")
    probabilities = activation("softmax", logits)
    classes = np.arange(len(logits))
    axes[2].bar(classes, probabilities, color=COLORS[0])
    axes[2].set(
        xlabel="class k",
        ylabel="probability",
        title=f"softmax of {len(logits)} logits (sum {probabilities.sum():.2f})",
        xticks=classes,
    )
    fig.tight_layout()
    return fig


def _dropout_input() -> np.ndarray:
    rows, cols = np.mgrid[0:6, 0:10]
    return (1.0 + (rows + cols) / 14.0).astype(np.float32)


def plot_dropout(rate: float = 0.5, noise_shape: str = "elementwise", seed: int = 0):
    """What ``keras.layers.Dropout(rate, noise_shape, seed)`` does in training.

    Chapter 10. Applies a new Dropout layer with these arguments to a 6 x 10 input
    with values between 1 and 2 (``training=True``) and shows the input, the mask
    (0 where dropped, ``1 / (1 - rate)`` where kept) and the output = input x mask.
    ``noise_shape`` is a key of :data:`DROPOUT_NOISE_SHAPES`: "elementwise" draws
    one decision per entry, "whole rows" shares one decision along each row (noise
    shape (6, 1)), "whole columns" along each column ((1, 10)). The same ``seed``
    gives the same mask. Returns the Figure.
    """
    rate = as_number(rate, "rate", minimum=0.0)
    if rate >= 1:
        raise ValueError(f"rate must be < 1 (the fraction dropped), got {rate!r}")
    noise_shape = as_choice(noise_shape, "noise_shape", DROPOUT_NOISE_SHAPES)
    seed = as_number(seed, "seed", integer=True, nonnegative=True)
    from .._tf import import_keras  # imported when used: Keras is slow to load

    keras = import_keras()
    x = _dropout_input()
    layer = keras.layers.Dropout(
        rate, noise_shape=DROPOUT_NOISE_SHAPES[noise_shape], seed=seed
    )
    out = np.asarray(layer(x, training=True))
    mask = np.where(x != 0, out / x, 0.0)
    scale = 1.0 / (1.0 - rate)
    n_dropped = int(np.sum(out == 0))
    vmax = max(float(out.max()), float(x.max()))
    fig, axes = plt.subplots(1, 3, figsize=(8.2, 2.9), layout="constrained")
    panels = [
        (x, f"input x\nmean {x.mean():.2f}"),
        (mask, f"mask\n{n_dropped} of {x.size} dropped, kept ×{scale:.2f}"),
        (out, f"output, training=True\nmean {out.mean():.2f}"),
    ]
    for ax, (values, title) in zip(axes, panels, strict=True):
        image = ax.imshow(values, cmap=MATRIX_CMAP, vmin=0.0, vmax=vmax)
        ax.set_title(title, fontsize=10)
        _hide_ticks(ax)
    for (i, j), value in np.ndenumerate(mask):
        axes[1].text(
            j,
            i,
            "0" if value == 0 else f"{value:.3g}",
            ha="center",
            va="center",
            fontsize=7,
            color="white" if value < 0.6 * vmax else "black",
        )
    fig.colorbar(image, ax=axes, shrink=0.8)
    fig.suptitle(
        f"rate {rate:.2f}, noise_shape {noise_shape!r} "
        f"({DROPOUT_NOISE_SHAPES[noise_shape]}), seed {seed}",
        fontsize=11,
    )
    return fig


# --- chapter 11: compiling: losses and optimizers ---


def _loss_names(names, name: str) -> tuple:
    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(
            f"{name} must be a list of loss names, got {type(names).__name__}"
        )
    names = tuple(names)
    if not names:
        raise ValueError(f"{name} must name at least one loss")
    for item in names:
        as_choice(item, name, losses.LOSSES)
    return names


def plot_losses(names=None, target: float = 1.0):
    """Every loss of chapter 11 against the prediction, one small panel each.

    ``names`` lists loss names from :data:`convbn.losses.LOSSES` (default: all 14);
    ``target`` is the true value of the regression losses (> 0). Each panel shows
    :func:`convbn.losses.curve`: the loss as a function of the prediction for a fixed
    target (the x-axis label says what varies; a dotted line marks the target of the
    regression losses). Four panels per row. Returns the Figure.
    """
    names = losses.LOSSES if names is None else _loss_names(names, "names")
    target = as_number(target, "target", positive=True)
    ncols = min(4, len(names))
    nrows = -(-len(names) // ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(2.75 * ncols, 2.15 * nrows), squeeze=False
    )
    for i, (ax, name) in enumerate(zip(axes.flat, names, strict=False)):
        c = losses.curve(name, target)
        ax.plot(c.x, c.loss, color=COLORS[i % 6], lw=1.8)
        if name in losses.REGRESSION_LOSSES:
            ax.axvline(target, color="black", ls=":", lw=0.9)
        ax.set_title(name, fontsize=9)
        ax.set_xlabel(c.xlabel, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes.flat[len(names) :]:
        ax.set_visible(False)
    fig.tight_layout()
    return fig


def plot_loss_and_gradient(loss: str = "mean_squared_error", target: float = 1.0):
    """One loss and its derivative against the prediction (chapter 11); the figure.

    ``loss`` is a name from :data:`convbn.losses.LOSSES`; ``target`` (> 0) is the true
    value for the regression losses (the others use the fixed example described in
    :func:`convbn.losses.curve`). Left: the loss; right: its derivative with respect
    to the varied quantity, the signal the optimizer receives. Returns the Figure.
    """
    loss = as_choice(loss, "loss", losses.LOSSES)
    target = as_number(target, "target", positive=True)
    c = losses.curve(loss, target)
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 3.1))
    left.plot(c.x, c.loss, color=COLORS[0], lw=2)
    right.plot(c.x, c.gradient, color=COLORS[1], lw=2)
    right.axhline(0.0, color="black", lw=0.8)
    for ax in (left, right):
        if loss in losses.REGRESSION_LOSSES:
            ax.axvline(target, color="black", ls=":", lw=0.9)
        ax.set_xlabel(c.xlabel)
    left.set_ylabel("loss")
    right.set_ylabel("derivative of the loss")
    fig.suptitle(f"{loss} ({c.setup})", fontsize=11)
    fig.tight_layout()
    return fig


def plot_optimizer_curves(histories, names=None, log: bool = True):
    """Training-loss curves of several optimizers on one plot (chapter 11).

    ``histories`` maps an optimizer's label to its sequence of per-epoch training
    losses (``model.fit(...).history["loss"]``, at least one finite value each);
    ``names`` picks which labels to draw (default: all, in the mapping's order);
    ``log`` draws the loss on a logarithmic axis. Returns the Figure.
    """
    if not isinstance(histories, Mapping) or not histories:
        raise TypeError(
            "histories must be a non-empty dict {optimizer name: list of losses}, "
            f"got {type(histories).__name__}"
        )
    curves = {
        label: as_float_array(values, f"histories[{label!r}]", ndim=1)
        for label, values in histories.items()
    }
    if names is None:
        names = tuple(curves)
    elif isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(f"names must be a list of labels, got {type(names).__name__}")
    names = tuple(names)
    for label in names:
        as_choice(label, "names", tuple(curves))
    if not isinstance(log, bool):
        raise TypeError(f"log must be True or False, got {type(log).__name__}")
    if log and any(np.any(curves[label] <= 0) for label in names):
        raise ValueError("log=True needs positive losses; use log=False")
    styles = ["-", "--", "-.", ":"]
    fig, ax = plt.subplots(figsize=(7.0, 3.8))
    for i, label in enumerate(names):
        values = curves[label]
        ax.plot(
            np.arange(1, len(values) + 1),
            values,
            styles[(i // 7) % len(styles)],
            marker="o",
            ms=3,
            color=COLORS[i % 7],
            label=label,
        )
    if log:
        ax.set_yscale("log")
    ax.set(xlabel="epoch", ylabel="training loss")
    if names:
        ax.legend(loc="center left", bbox_to_anchor=(1.01, 0.5), fontsize=8)
    fig.tight_layout()
    return fig


# --- chapter 12: a convolutional network in Keras, end to end ---


def _history(history, label):
    """A Keras ``History`` or its ``.history`` dict as {metric: float array}."""
    history = getattr(history, "history", history)
    if not isinstance(history, dict) or not history:
        raise TypeError(
            f"histories[{label!r}] must be a keras History or its non-empty .history "
            f"dict of per-epoch lists, got {type(history).__name__}"
        )
    curves = {
        str(k): as_float_array(v, f"histories[{label!r}][{k!r}]", ndim=1)
        for k, v in history.items()
    }
    lengths = {len(v) for v in curves.values()}
    if len(lengths) != 1:
        raise ValueError(
            f"histories[{label!r}] must have one value per epoch for every metric, "
            f"got lists of lengths {sorted(lengths)}"
        )
    return curves


def plot_cnn_history(histories, metrics=("loss", "accuracy")):
    """Training and validation curves of one or more Keras runs (chapter 12).

    ``histories`` maps a label (e.g. ``"with BN"``) to a Keras ``History`` (what
    ``model.fit`` returns) or its ``.history`` dict: for each name in ``metrics`` a
    list with one value per epoch, and optionally the same under ``"val_" + name``.
    One panel per metric, epochs 1, 2, ... on the x axis; training values solid with
    circles, validation values dashed with squares; one colour per run. Returns the
    Figure.
    """
    if not isinstance(histories, dict) or not histories:
        raise TypeError(
            "histories must be a non-empty dict {label: History or .history dict}, "
            f"got {type(histories).__name__}"
        )
    if isinstance(metrics, str):
        metrics = (metrics,)
    metrics = tuple(metrics)
    if not metrics or not all(isinstance(m, str) for m in metrics):
        raise TypeError(f"metrics must be a sequence of metric names, got {metrics!r}")
    runs = {label: _history(h, label) for label, h in histories.items()}
    for label, curves in runs.items():
        for metric in metrics:
            if metric not in curves:
                raise ValueError(
                    f"metrics: histories[{label!r}] has no {metric!r}; it has "
                    f"{sorted(curves)}"
                )
    fig, axes = plt.subplots(
        1, len(metrics), figsize=(4.2 * len(metrics), 3.2), squeeze=False
    )
    for ax, metric in zip(axes[0], metrics, strict=True):
        for (label, curves), colour in zip(runs.items(), COLORS * 3, strict=False):
            epochs = np.arange(1, len(curves[metric]) + 1)
            ax.plot(
                epochs,
                curves[metric],
                "o-",
                ms=4,
                color=colour,
                label=f"{label}, training",
            )
            if "val_" + metric in curves:
                ax.plot(
                    epochs,
                    curves["val_" + metric],
                    "s--",
                    ms=4,
                    color=colour,
                    label=f"{label}, validation",
                )
        ax.set(xlabel="epoch", ylabel=metric.replace("_", " "))
        ax.set_xticks(epochs)
    axes[0, -1].legend()
    fig.tight_layout()
    return fig


def plot_confusion_matrix(matrix, class_names=None, ax=None):
    """A confusion matrix as an annotated grid (chapter 12); return the figure.

    ``matrix`` is ``(K, K)`` with non-negative counts: ``matrix[i, j]`` test images of
    true class ``i`` (row) predicted as class ``j`` (column). The diagonal (correct
    answers) is drawn in light grey with its counts; off-diagonal cells (mistakes)
    are coloured by count with :data:`MATRIX_CMAP` and empty cells left white, so the
    errors stand out. ``class_names`` labels the rows and columns (default 0..K-1).
    """
    matrix = as_float_array(matrix, "matrix", ndim=2)
    k = matrix.shape[0]
    if matrix.shape != (k, k):
        raise ValueError(f"matrix must be square (K, K), got shape {matrix.shape}")
    if np.any(matrix < 0):
        raise ValueError("matrix must hold counts >= 0, got a negative entry")
    if class_names is None:
        class_names = [str(i) for i in range(k)]
    class_names = [str(c) for c in class_names]
    if len(class_names) != k:
        raise ValueError(
            f"class_names must have one name per class ({k}), got {len(class_names)}"
        )
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.42 * k + 1.8, 0.42 * k + 1.2))
    else:
        fig = ax.figure
    errors = np.where(np.eye(k, dtype=bool), np.nan, matrix)
    errors[errors == 0] = np.nan
    cmap = mpl.colormaps[MATRIX_CMAP].with_extremes(bad="white")
    top = np.nanmax(errors) if np.any(np.isfinite(errors)) else 1.0
    image = ax.imshow(errors, cmap=cmap, vmin=0, vmax=max(top, 1.0))
    for i in range(k):
        ax.add_patch(mpl.patches.Rectangle((i - 0.5, i - 0.5), 1, 1, fc="#dddddd"))
    for (i, j), v in np.ndenumerate(matrix):
        if v == 0:
            continue
        dark = i != j and _is_dark(image, v)
        ax.text(
            j,
            i,
            f"{v:g}",
            ha="center",
            va="center",
            fontsize=8,
            color="white" if dark else "black",
        )
    ax.set_xticks(np.arange(k), class_names)
    ax.set_yticks(np.arange(k), class_names)
    ax.set(xlabel="predicted", ylabel="true")
    ax.tick_params(length=0)
    ax.grid(False)
    _hide_spines(ax)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="mistakes")
    bar.locator = mpl.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    return fig


def _images(images):
    images = as_float_array(images, "images", ndim=(3, 4))
    if images.ndim == 4:
        if images.shape[3] != 1:
            raise ValueError(
                "images must be (N, H, W) or (N, H, W, 1) grayscale, got shape "
                f"{images.shape}"
            )
        images = images[..., 0]
    return images


def _labels(values, name, n):
    array = np.asarray(values)
    if array.shape != (n,) or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{name} must be {n} integer labels (one per image), got "
            f"{array.dtype} array of shape {array.shape}"
        )
    return array


def plot_mistakes(
    images, y_true, y_pred, probabilities=None, count: int = 24, ncols: int = 8
):
    """A gallery of misclassified images with true and predicted labels (chapter 12).

    ``images`` ``(N, H, W)`` or ``(N, H, W, 1)``, ``y_true`` and ``y_pred`` ``(N,)``
    integer labels, ``probabilities`` ``(N, K)`` (optional: the model's output).
    Shows up to ``count`` images with ``y_true != y_pred``, titled "true -> predicted";
    with probabilities, the most confident mistakes come first and each title adds the
    probability given to the wrong answer. Returns the figure.
    """
    images = _images(images)
    n = len(images)
    y_true = _labels(y_true, "y_true", n)
    y_pred = _labels(y_pred, "y_pred", n)
    count = as_number(count, "count", integer=True, minimum=1)
    ncols = as_number(ncols, "ncols", integer=True, minimum=1)
    wrong = np.flatnonzero(y_true != y_pred)
    if probabilities is not None:
        probabilities = as_float_array(probabilities, "probabilities", ndim=2)
        if len(probabilities) != n or probabilities.shape[1] <= y_pred.max():
            raise ValueError(
                f"probabilities must be (N, K) = ({n}, K > max label), got shape "
                f"{probabilities.shape}"
            )
        confidence = probabilities[wrong, y_pred[wrong]]
        order = np.argsort(-confidence, kind="stable")
        wrong, confidence = wrong[order], confidence[order]
    wrong = wrong[:count]
    if len(wrong) == 0:
        fig, ax = plt.subplots(figsize=(4, 1.2))
        ax.axis("off")
        ax.text(0.5, 0.5, "no mistakes", ha="center", va="center", fontsize=12)
        return fig
    ncols = min(ncols, len(wrong))
    nrows = int(np.ceil(len(wrong) / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(1.25 * ncols, 1.45 * nrows), squeeze=False
    )
    for slot, ax in enumerate(axes.flat):
        ax.axis("off")
        if slot >= len(wrong):
            continue
        i = wrong[slot]
        ax.imshow(
            images[i],
            cmap="gray_r",
            vmin=0,
            vmax=max(images[i].max(), 1e-12),
            interpolation="nearest",
        )
        title = f"{y_true[i]} → {y_pred[i]}"
        if probabilities is not None:
            title += f" ({confidence[slot]:.0%})"
        ax.set_title(title, fontsize=9)
    fig.tight_layout()
    return fig


def plot_cnn_feature_maps(
    images, feature_maps, probabilities, labels=None, index: int = 0, ncols: int = 8
):
    """One image, the feature maps of every block, the predicted probabilities
    (chapter 12); return the figure.

    ``images`` ``(N, H, W)`` or ``(N, H, W, 1)``; ``feature_maps`` a list with one
    ``(N, h, w, C)`` array per block (e.g. each block's pooled output);
    ``probabilities`` ``(N, K)``; ``labels`` ``(N,)`` true labels (optional).
    Top row: image ``index`` and a bar chart of its K probabilities (the predicted
    class in vermillion, the true one outlined). Then each block's C maps, ``ncols``
    per row, on one colour scale per block so channels compare.
    """
    images = _images(images)
    n = len(images)
    if isinstance(feature_maps, np.ndarray) or not isinstance(
        feature_maps, list | tuple
    ):
        raise TypeError(
            "feature_maps must be a list with one (N, h, w, C) array per block, got "
            f"{type(feature_maps).__name__}"
        )
    if not feature_maps:
        raise ValueError("feature_maps must hold at least one block, got none")
    maps = []
    for b, fm in enumerate(feature_maps):
        fm = as_float_array(fm, f"feature_maps[{b}]", ndim=4)
        if len(fm) != n:
            raise ValueError(
                f"feature_maps[{b}] must have one entry per image ({n}), got {len(fm)}"
            )
        maps.append(fm)
    probabilities = as_float_array(probabilities, "probabilities", ndim=2)
    if len(probabilities) != n:
        raise ValueError(
            f"probabilities must have one row per image ({n}), got {len(probabilities)}"
        )
    if labels is not None:
        labels = _labels(labels, "labels", n)
    index = as_number(index, "index", integer=True, minimum=0, maximum=n - 1)
    ncols = as_number(ncols, "ncols", integer=True, minimum=2)
    rows = [int(np.ceil(fm.shape[3] / ncols)) for fm in maps]
    fig = plt.figure(figsize=(1.0 * ncols, 2.2 + 1.05 * sum(rows)))
    grid = fig.add_gridspec(1 + sum(rows), ncols, height_ratios=[1.8] + [1] * sum(rows))
    ax = fig.add_subplot(grid[0, :2])
    ax.imshow(images[index], cmap="gray_r", interpolation="nearest")
    ax.axis("off")
    p = probabilities[index]
    pred = int(np.argmax(p))
    title = f"image {index}: predicted {pred}"
    if labels is not None:
        title += f", true {labels[index]}"
    ax.set_title(title, fontsize=9)
    bars = fig.add_subplot(grid[0, 3:])
    colours = [
        OKABE_ITO["vermillion"] if c == pred else OKABE_ITO["sky"]
        for c in range(len(p))
    ]
    drawn = bars.bar(np.arange(len(p)), p, color=colours)
    if labels is not None and labels[index] < len(p):
        drawn[labels[index]].set_edgecolor("black")
        drawn[labels[index]].set_linewidth(1.5)
    bars.set(ylim=(0, 1), ylabel="probability", xticks=np.arange(len(p)))
    bars.grid(False, axis="x")
    bars.set_axisbelow(True)
    row = 1
    for b, fm in enumerate(maps):
        block = fm[index]
        vmin, vmax = float(block.min()), float(block.max())
        for c in range(block.shape[2]):
            ax = fig.add_subplot(grid[row + c // ncols, c % ncols])
            ax.imshow(
                block[..., c],
                cmap=MATRIX_CMAP,
                vmin=vmin,
                vmax=vmax if vmax > vmin else vmin + 1,
                interpolation="nearest",
            )
            _hide_ticks(ax)
            ax.set_title(f"{c}", fontsize=7, pad=2)
            if c == 0:
                h, w, depth = block.shape
                ax.set_ylabel(f"block {b + 1}\n{h}×{w}×{depth}", fontsize=8)
        row += rows[b]
    fig.subplots_adjust(
        hspace=0.45, wspace=0.15, left=0.08, right=0.98, top=0.94, bottom=0.03
    )
    return fig
