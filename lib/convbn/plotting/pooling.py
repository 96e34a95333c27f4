"""Plots of Part II, pooling and the convolutional layer (chapters 6 and 7): detector
units, pooled units, pooled maps; the geometry of a layer's stride and dilation and
the checkerboard of a transposed convolution.

The public names are re-exported by :mod:`convbn.plotting`, whose ``__init__.py``
documents the constants (the API page reads their comments there).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .. import convolution, pooling
from .._validation import as_choice, as_float_array, as_number
from ..convolution import SOBEL_X, correlate2d, output_size, same_padding
from .style import (
    MATRIX_CMAP,
    OKABE_ITO,
    _hide_spines,
    _outline,
    _photograph,
    show_matrix,
)

__all__ = [
    "POOLING_KERNEL",
    "pooling_feature_map",
    "plot_pool1d",
    "plot_pooling",
    "layer_geometry",
    "plot_layer_geometry",
]

POOLING_KERNEL = SOBEL_X


def pooling_feature_map(image: str = "coins") -> np.ndarray:
    """A real feature map to pool (chapter 6): ReLU of a vertical-edge response.

    The photograph ``image`` (:func:`convbn.datasets.sample_image`) is halved (every
    second pixel) until no side exceeds 256 pixels, cross-correlated with
    :data:`POOLING_KERNEL` ("valid") and passed through ``max(0, .)``: the output of
    the detector stage, shape ``(H - 2, W - 2)``, values >= 0, positive on the edges
    where the photograph gets brighter from left to right.
    """
    x = _photograph(image)
    return np.maximum(correlate2d(x, POOLING_KERNEL, mode="valid"), 0.0)


def _windows(n: int, size: int, stride: int, padding: str):
    """The real input indices ``range(start, stop)`` each pooled output covers.

    As :func:`convbn.pooling.pool1d` pads: :func:`convbn.convolution.output_size`
    windows, starting :func:`convbn.convolution.same_padding` positions before the
    input for "same".
    """
    before = same_padding(n, size, stride)[0] if padding == "same" else 0
    windows = []
    for i in range(output_size(n, size, padding, stride)):
        start = i * stride - before
        windows.append((max(start, 0), min(start + size, n)))
    return windows


def plot_pool1d(
    x,
    size: int = 3,
    stride=1,
    kind: str = "max",
    padding: str = "valid",
    mark=None,
    title: str | None = None,
    ax=None,
    fmt: str = "{:.2g}",
):
    """Detector units and the pooled units above them, as in Goodfellow's Figs. 9.8
    and 9.10 (chapter 6); return the figure.

    The 1-D detector output ``x`` is drawn as a row of boxes (bottom) and
    :func:`convbn.pooling.pool1d` ``(x, size, stride, kind, padding)`` as a row above
    it (``stride=None`` means ``stride = size``); a line joins each pooled unit to
    every detector unit in its window (with ``padding="same"``, windows at the ends
    cover fewer units). ``mark`` (a sequence of booleans, one per pooled unit) draws
    the marked pooled units with a thick vermillion border, e.g. those that changed.
    Values are written with ``fmt``. Draws into ``ax`` if given.
    """
    x = as_float_array(x, "x", ndim=1)
    size = as_number(size, "size", integer=True, minimum=1)
    stride = (
        size if stride is None else as_number(stride, "stride", integer=True, minimum=1)
    )
    kind = as_choice(kind, "kind", pooling.KINDS)
    padding = as_choice(padding, "padding", pooling.PADDINGS)
    if padding == "valid" and size > len(x):
        raise ValueError(
            f"size {size} is larger than the {len(x)} detector units in x: "
            "padding='valid' needs the window to fit"
        )
    pooled = pooling.pool1d(x, size, stride, kind, padding)
    windows = _windows(len(x), size, stride, padding)
    if mark is not None:
        mark = np.asarray(mark)
        if mark.dtype != bool or mark.shape != pooled.shape:
            raise ValueError(
                f"mark must hold one boolean per pooled unit ({len(pooled)}), got "
                f"{mark!r}"
            )
    if not isinstance(fmt, str):
        raise TypeError(f"fmt must be a format string, got {type(fmt).__name__}")
    if title is not None and not isinstance(title, str):
        raise TypeError(f"title must be a string, got {type(title).__name__}")
    if ax is None:
        fig, ax = plt.subplots(figsize=(0.75 * len(x) + 1.6, 1.9))
    else:
        fig = ax.figure
    box = {"boxstyle": "round,pad=0.35", "fc": "white", "lw": 1.2}
    for (start, stop), value, j in zip(
        windows, pooled, range(len(pooled)), strict=True
    ):
        centre = (start + stop - 1) / 2
        for i in range(start, stop):
            ax.plot([i, centre], [0.12, 0.88], color="#999999", lw=1.0, zorder=1)
        changed = mark is not None and mark[j]
        ax.text(
            centre,
            1.0,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=10,
            bbox={
                **box,
                "ec": OKABE_ITO["vermillion"] if changed else OKABE_ITO["blue"],
                "lw": 2.6 if changed else 1.2,
            },
            zorder=3,
        )
    for i, value in enumerate(x):
        ax.text(
            i,
            0.0,
            fmt.format(value),
            ha="center",
            va="center",
            fontsize=10,
            bbox={**box, "ec": "#333333"},
            zorder=3,
        )
    ax.set_xlim(-0.7, len(x) - 0.3)
    ax.set_ylim(-0.35, 1.35)
    ax.set_yticks([0.0, 1.0], ["detector", "pooling"])
    ax.set_xticks([])
    ax.tick_params(length=0)
    ax.grid(False)
    _hide_spines(ax)
    if title:
        ax.set_title(title)
    return fig


def plot_pooling(
    kind: str = "max",
    size: int = 3,
    stride=None,
    padding: str = "valid",
    image: str = "coins",
    sigma: float = 1.0,
):
    """A feature map and its pooled version (chapter 6); the figure.

    Left: the detector output :func:`pooling_feature_map` ``(image)`` with the first
    pooling window (vermillion) and the next one along each axis (orange, one stride
    away). Right: :func:`convbn.pooling.pool2d` ``(map, size, stride, kind, padding,
    sigma)`` with the pooled values of those windows outlined in the same colours;
    the titles give both shapes. ``kind`` is one of :data:`convbn.pooling.KINDS`,
    ``size`` and ``stride`` are ints from 1 to 32 (``stride=None`` means ``stride =
    size``), ``padding`` is "valid" or "same", ``sigma`` the width of the
    ``"weighted"`` kind's Gaussian.
    """
    kind = as_choice(kind, "kind", pooling.KINDS)
    size = as_number(size, "size", integer=True, minimum=1, maximum=32)
    stride = (
        size
        if stride is None
        else as_number(stride, "stride", integer=True, minimum=1, maximum=32)
    )
    padding = as_choice(padding, "padding", pooling.PADDINGS)
    sigma = as_number(sigma, "sigma", positive=True)
    fmap = pooling_feature_map(image)
    pooled = pooling.pool2d(fmap, size, stride, kind, padding, sigma)
    rows = _windows(fmap.shape[0], size, stride, padding)
    cols = _windows(fmap.shape[1], size, stride, padding)
    fig, axes = plt.subplots(1, 2, figsize=(8.2, 3.5))
    axes[0].imshow(fmap, cmap=MATRIX_CMAP, interpolation="nearest")
    axes[1].imshow(pooled, cmap=MATRIX_CMAP, interpolation="nearest")
    outlines = [((0, 0), OKABE_ITO["vermillion"])]
    if len(cols) > 1:
        outlines.append(((0, 1), OKABE_ITO["orange"]))
    if len(rows) > 1:
        outlines.append(((1, 0), OKABE_ITO["orange"]))
    for (i, j), colour in outlines:
        (top, bottom), (left, right) = rows[i], cols[j]
        _outline(axes[0], (left - 0.5, top - 0.5), right - left, bottom - top, colour)
        _outline(axes[1], (j - 0.5, i - 0.5), 1, 1, colour)
    share = pooled.size / fmap.size
    axes[0].set_title(f"detector output: {fmap.shape[0]} x {fmap.shape[1]}")
    axes[1].set_title(
        f"{kind} pooling: {pooled.shape[0]} x {pooled.shape[1]} ({share:.0%} of the "
        "values)"
    )
    for ax in axes:
        ax.axis("off")
    fig.suptitle(
        f"{image}: size {size}, stride {stride}, padding {padding!r}", fontsize=11
    )
    fig.tight_layout()
    return fig


def layer_geometry(kernel_size: int = 3, stride: int = 2, dilation: int = 1) -> dict:
    """The numbers :func:`plot_layer_geometry` draws (chapter 7).

    For a square ``kernel_size`` kernel with ``stride`` and ``dilation`` on a
    ``2 (span + stride) + 1`` pixel input: ``span = (k - 1) r + 1`` (``r`` the
    dilation rate), the pixels one output sees from first to last; ``taps``, the
    (row, column) input positions outputs (0, 0) and (0, 1) read; ``field2``, the
    receptive field of two such layers stacked, ``span + (span - 1) s`` (the second
    layer's taps are ``s`` input pixels apart); ``coverage``, how many stamps of a
    transposed convolution (all-ones kernel, stride s) add up at each output pixel
    of a 4 x 4 all-ones input (:func:`convbn.convolution.conv2d_transpose`);
    ``even``, whether that coverage is the same everywhere away from the border
    (the stride divides the kernel size).
    """
    k = as_number(kernel_size, "kernel_size", integer=True, minimum=1)
    s = as_number(stride, "stride", integer=True, minimum=1)
    r = as_number(dilation, "dilation", integer=True, minimum=1)
    span = (k - 1) * r + 1
    taps = [
        [(m * r, j * s + q * r) for m in range(k) for q in range(k)] for j in (0, 1)
    ]
    coverage = convolution.conv2d_transpose(
        np.ones((1, 4, 4, 1)), np.ones((k, k, 1, 1)), s
    )[0, :, :, 0]
    inner = coverage[
        k - 1 : coverage.shape[0] - k + 1, k - 1 : coverage.shape[1] - k + 1
    ]
    return {
        "span": span,
        "size": 2 * (span + s) + 1,
        "taps": taps,
        "field2": span + (span - 1) * s,
        "coverage": coverage,
        "even": bool(inner.size == 0 or np.ptp(inner) == 0),
    }


#: The figure of :func:`plot_layer_geometry` in inches: its size and the margins
#: around the two panels (their titles above; the right panel's row numbers between
#: them; below the left panel its column numbers and the legend, below the right
#: panel its column numbers).
_GEOMETRY = {
    "size": (8.2, 4.0),
    "left": 0.4,
    "right": 0.15,
    "gap": 0.5,
    "top": 0.6,
    "below_left": 0.75,
    "below_right": 0.3,
}


def _geometry_cell(columns: int, left_rows: int, right_rows: int) -> float:
    """The side of one pixel, in inches, shared by both panels of the figure: the
    largest at which ``columns`` pixels side by side, and each panel's rows with
    what goes below it, fit."""
    width, height = _GEOMETRY["size"]
    across = width - _GEOMETRY["left"] - _GEOMETRY["right"] - _GEOMETRY["gap"]
    down = height - _GEOMETRY["top"]
    return min(
        across / columns,
        (down - _GEOMETRY["below_left"]) / left_rows,
        (down - _GEOMETRY["below_right"]) / right_rows,
    )


def _label_every(ax, columns: int, rows: int, cell: float, size: float) -> None:
    """Tick labels on every pixel, or every second one where they would touch."""
    step = 1 if cell * 72 >= 1.6 * size else 2
    ax.set_xticks(np.arange(0, columns, step))
    ax.set_yticks(np.arange(0, rows, 1 if cell * 72 >= 1.2 * size else 2))
    ax.tick_params(which="both", length=0, labelsize=size)


def plot_layer_geometry(kernel_size: int = 3, stride: int = 2, dilation: int = 1):
    """Where a convolution reads, and where a transposed convolution writes (chapter 7).

    Left: an input grid with the taps of two neighbouring outputs, ``stride`` pixels
    apart, each kernel entry ``dilation`` pixels from the next; the title gives the
    span ``(k - 1) r + 1`` (``r`` the dilation rate, chapter 7's notation) and the
    receptive field of two such layers stacked.
    Right: the transposed convolution of a 4 x 4 all-ones input with an all-ones
    ``kernel_size`` kernel and the same stride, each pixel labelled with how many
    stamps overlap there: uneven (a checkerboard) when the stride does not divide
    the kernel size, with gaps when it exceeds the kernel size. Both panels draw a
    pixel at the same size, so their widths and heights compare; the figure's size
    is the same for every setting. The numbers come from :func:`layer_geometry`.
    """
    geometry = layer_geometry(kernel_size, stride, dilation)
    n, span = geometry["size"], geometry["span"]
    side = geometry["coverage"].shape[0]
    cell = _geometry_cell(n + side, span, side)
    width, height = _GEOMETRY["size"]
    gap, top = _GEOMETRY["gap"], height - _GEOMETRY["top"]
    spare = width - _GEOMETRY["left"] - _GEOMETRY["right"]
    x0 = _GEOMETRY["left"] + (spare - (n + side) * cell - gap) / 2
    fig = plt.figure(figsize=(width, height))

    def panel(x, columns, rows):  # inches from the figure's left edge and top
        return fig.add_axes(
            [
                x / width,
                (top - rows * cell) / height,
                columns * cell / width,
                rows * cell / height,
            ]
        )

    left, right = panel(x0, n, span), panel(x0 + n * cell + gap, side, side)
    left.imshow(np.zeros((span, n)), cmap="Greys", vmin=0, vmax=1)
    marker = min(70.0, (0.6 * cell * 72) ** 2)
    for taps, colour, shape, label in zip(
        geometry["taps"],
        (OKABE_ITO["blue"], OKABE_ITO["vermillion"]),
        ("o", "x"),
        ("output (0, 0)", "output (0, 1)"),
        strict=True,
    ):
        rows, cols = zip(*taps, strict=True)
        left.scatter(cols, rows, color=colour, marker=shape, s=marker, label=label)
    _label_every(left, n, span, cell, 7)
    left.set_xticks(np.arange(-0.5, n), minor=True)
    left.set_yticks(np.arange(-0.5, span), minor=True)
    left.grid(which="minor", color="0.7", linewidth=0.5)
    left.grid(which="major", visible=False)
    below = (top - span * cell - 0.25) / height
    left.legend(
        loc="upper left",
        bbox_to_anchor=(x0 / width, below),
        bbox_transform=fig.transFigure,
        ncol=2,
        fontsize=8,
        markerscale=min(1.0, 70.0 / marker) ** 0.5,
    )
    left.set_title(
        f"input: k={kernel_size}, stride {stride}, dilation {dilation}\n"
        f"span {span}, two layers see {geometry['field2']}",
        fontsize=9,
        loc="left",
    )
    show_matrix(geometry["coverage"], ax=right, fmt="{:.0f}")
    _label_every(right, side, side, cell, 8)
    for text in right.texts:
        text.set_fontsize(min(10.0, 0.6 * cell * 72))
    if geometry["even"]:
        pattern = "even"
    elif kernel_size < stride:  # rows and columns that no stamp reaches
        pattern = "uneven: gaps between stamps"
    else:
        pattern = "uneven: a checkerboard"
    right.set_title(
        f"transposed convolution, stride {stride}\noverlaps are {pattern}",
        fontsize=9,
        loc="right",
    )
    return fig
