"""Plots of Part I, convolution (chapters 1 to 5).

Chapter 1: the weighting functions and the spaceship's smoothed track. Chapter 2: the
convolution explorer and Goodfellow et al.'s Fig. 9.1. Chapter 3: the cross-correlation
worked example, step by step. Chapter 4: receptive fields. Chapter 5: translation
equivariance.

The public names are re-exported by :mod:`convbn.plotting`, whose ``__init__.py``
documents the constants (the API page reads their comments there).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .. import convolution
from .._validation import as_choice, as_float_array, as_number
from ..datasets import spaceship_track
from ..pooling import pooling_weights
from .style import (
    MATRIX_CMAP,
    OKABE_ITO,
    _hide_spines,
    _hide_ticks,
    _photograph,
    show_matrix,
)

__all__ = [
    "plot_kernels",
    "plot_smoothing",
    "EXPLORER_KERNELS",
    "plot_convolution_explorer",
    "symbolic_convolution",
    "FIG_9_1_INPUT",
    "FIG_9_1_KERNEL",
    "plot_symbolic_convolution",
    "CORRELATION_IMAGE",
    "CORRELATION_KERNEL",
    "plot_correlation_step",
    "plot_correlation_steps",
    "plot_receptive_field",
    "EQUIVARIANCE_KERNELS",
    "EQUIVARIANCE_BOUNDARIES",
    "plot_equivariance",
]

# --- chapter 1: continuous convolution ---


def plot_kernels(width: float = 1.0, kinds=None):
    """Plot the kernels w(a) of :func:`convbn.convolution.kernel` (chapter 1).

    The region a < 0 (measurements from the future) is shaded; a causal kernel is
    zero there.
    """
    kernels = convolution.KERNELS
    kinds = (
        kernels if kinds is None else [as_choice(k, "kinds", kernels) for k in kinds]
    )
    width = as_number(width, "width", positive=True)
    a = np.linspace(-3 * width, 5 * width, 801)
    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    ax.axvspan(a[0], 0, color="#eeeeee", zorder=0)
    ax.text(a[0] + 0.1 * width, 0.02 / width, "future\n(a < 0)", fontsize=9)
    for k, style in zip(kinds, ["-", "--", "-.", ":"], strict=False):
        ax.plot(a, convolution.kernel(a, k, width), style, label=k)
    ax.set(
        xlabel="age of the measurement a (s)",
        ylabel="weight w(a)",
        title=f"Weighting functions, width = {width:g} s",
    )
    ax.legend()
    fig.tight_layout()
    return fig


def plot_smoothing(kind: str = "exponential", width: float = 1.0, track=None):
    """The spaceship story in one figure (chapter 1): readings, truth and the estimate.

    Left: the noisy readings x(t), the true position and the weighted average
    s = x * w with the kernel ``kind`` of the given ``width`` (s). Right: the kernel
    w(a) itself, future shaded. ``track`` defaults to
    :func:`convbn.datasets.spaceship_track`. The title reports the estimate's RMS error.
    """
    kind = as_choice(kind, "kind", convolution.KERNELS)
    width = as_number(width, "width", positive=True)
    track = spaceship_track() if track is None else track
    estimate = convolution.smooth(track.measured, track.dt, kind, width)
    rms = float(np.sqrt(np.mean((estimate - track.position) ** 2)))
    raw = float(np.sqrt(np.mean((track.measured - track.position) ** 2)))

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(8.2, 3.3), gridspec_kw={"width_ratios": [2.4, 1]}
    )
    left.plot(
        track.t,
        track.measured,
        ".",
        ms=3,
        color=OKABE_ITO["sky"],
        label=f"readings x(t) (RMS error {raw:.2f} km)",
    )
    left.plot(
        track.t, track.position, color=OKABE_ITO["black"], lw=1.2, label="true position"
    )
    left.plot(
        track.t,
        estimate,
        color=OKABE_ITO["vermillion"],
        label=f"estimate s = x * w (RMS error {rms:.2f} km)",
    )
    left.set(
        xlabel="time t (s)",
        ylabel="position (km)",
        title=f"{kind} kernel, width {width:g} s",
    )
    left.legend(loc="upper left")

    a = np.linspace(-4 * width, 6 * width, 601)
    right.axvspan(a[0], 0, color="#eeeeee", zorder=0)
    right.plot(a, convolution.kernel(a, kind, width), color=OKABE_ITO["vermillion"])
    right.set(xlabel="age a (s)", ylabel="w(a)", title="kernel (grey: future)")
    fig.tight_layout()
    return fig


# --- chapter 2: discrete convolution ---

# The explorer convolves, which flips the kernel: the Sobel kernels are stored
# flipped so that the response keeps their cross-correlation meaning.
EXPLORER_KERNELS = {
    "box": np.full((7, 7), 1.0 / 49.0),
    "gaussian": pooling_weights(9, 1.5),
    "sharpen": convolution.SHARPEN,
    "vertical edge": convolution.SOBEL_X[::-1, ::-1],
    "horizontal edge": convolution.SOBEL_Y[::-1, ::-1],
    "laplacian": convolution.LAPLACIAN,
}


def plot_convolution_explorer(
    kernel: str = "box", mode: str = "valid", stride: int = 1, image: str = "camera"
):
    """A photograph, a kernel and their 2-D convolution (chapter 2); the figure.

    ``kernel`` is one of :data:`EXPLORER_KERNELS`, ``mode`` one of "valid", "same",
    "full", ``stride`` an integer from 1 to 8 and ``image`` one of
    :data:`convbn.datasets.SAMPLE_IMAGES` (halved, by keeping every second pixel, until
    no side exceeds 256 pixels). The output is
    ``convbn.convolution.convolve2d(image, kernel, mode, stride)`` with the kernel
    drawn in the middle panel; the edge kernels are the named cross-correlation
    kernels flipped (see :data:`EXPLORER_KERNELS`), so "vertical edge" is positive
    where the photograph gets brighter to the right. Input and output are drawn at the
    same scale, centred, so that the panels show how the mode and the stride change
    the size; the titles give the shapes.
    """
    kernel = as_choice(kernel, "kernel", EXPLORER_KERNELS)
    mode = as_choice(mode, "mode", convolution.MODES)
    stride = as_number(stride, "stride", integer=True, minimum=1, maximum=8)
    x = _photograph(image)
    k = EXPLORER_KERNELS[kernel]
    out = convolution.convolve2d(x, k, mode, stride)
    canvas = np.maximum(np.array(x.shape), np.array(out.shape)) + 2

    fig, axes = plt.subplots(
        1, 3, figsize=(8.2, 3.4), gridspec_kw={"width_ratios": [1.0, 0.45, 1.0]}
    )

    def centred(ax, values, **style):
        h, w = values.shape
        top, left = (canvas[0] - h) / 2, (canvas[1] - w) / 2
        ax.imshow(
            values,
            extent=(left, left + w, top + h, top),
            interpolation="nearest",
            **style,
        )
        ax.set_xlim(0, canvas[1])
        ax.set_ylim(canvas[0], 0)
        _hide_ticks(ax)

    centred(axes[0], x, cmap="gray", vmin=0.0, vmax=1.0)
    axes[0].set_title(f"input {x.shape[0]} × {x.shape[1]}")
    if k.shape[0] <= 3:
        show_matrix(k, ax=axes[1], fmt="{:g}")
    else:
        axes[1].imshow(k, cmap=MATRIX_CMAP, interpolation="nearest")
        _hide_ticks(axes[1])
    axes[1].set_title(f"{kernel} kernel {k.shape[0]} × {k.shape[1]}")
    if abs(k.sum()) > 0.5:  # blur or sharpen: still a photograph
        style = {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    else:  # edges: signed responses, symmetric scale
        limit = float(np.percentile(np.abs(out), 99.5)) or 1.0
        style = {"cmap": MATRIX_CMAP, "vmin": -limit, "vmax": limit}
    centred(axes[2], out, **style)
    axes[2].set_title(f"output {out.shape[0]} × {out.shape[1]}")
    for ax in (axes[0], axes[2]):
        _hide_spines(ax)
    fig.suptitle(
        f"mode={mode!r}, stride={stride}: {x.shape[0]} × {x.shape[1]} in, "
        f"{out.shape[0]} × {out.shape[1]} out",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def symbolic_convolution(image, kernel, flip: bool = True):
    """The valid 2-D sums of a grid of symbols, as lists of (input, kernel) pairs.

    Introduced in chapter 2 for Goodfellow et al.'s Fig. 9.1. ``image`` and ``kernel``
    are 2-D nested lists (or arrays) of strings; entry ``[i][j]`` of the result lists
    the pairs (I[i + m][j + q], K'[m][q]) of the sum S[i, j], where K' is the kernel
    rotated by 180 degrees when ``flip`` (convolution) and the kernel itself otherwise
    (cross-correlation, chapter 3).
    """
    image = np.asarray(image, dtype=object)
    kernel = np.asarray(kernel, dtype=object)
    for name, grid in (("image", image), ("kernel", kernel)):
        if grid.ndim != 2 or not all(isinstance(s, str) for s in grid.flat):
            raise TypeError(f"{name} must be a 2-D grid of strings, got {grid!r}")
    kh, kw = kernel.shape
    if kh > image.shape[0] or kw > image.shape[1]:
        raise ValueError(
            f"kernel of shape {kernel.shape} must fit inside image of shape "
            f"{image.shape}"
        )
    used = kernel[::-1, ::-1] if flip else kernel
    return [
        [
            [(image[i + m, j + n], used[m, n]) for m in range(kh) for n in range(kw)]
            for j in range(image.shape[1] - kw + 1)
        ]
        for i in range(image.shape[0] - kh + 1)
    ]


FIG_9_1_INPUT = [list("abcd"), list("efgh"), list("ijkl")]
FIG_9_1_KERNEL = [list("wx"), list("yz")]


def plot_symbolic_convolution(flip: bool = False, image=None, kernel=None):
    """Goodfellow et al.'s Fig. 9.1: a grid of letters and its valid 2-D sums.

    Introduced in chapter 2. Draws the input (default :data:`FIG_9_1_INPUT`, 3 x 4
    letters a..l), the kernel (default :data:`FIG_9_1_KERNEL`, w x / y z) and the
    output, each output cell holding its sum as text, from
    :func:`symbolic_convolution`. ``flip=False`` gives the book's figure (the kernel
    as it is: cross-correlation); ``flip=True`` the convolution of the definition.
    """
    if not isinstance(flip, bool | np.bool_):
        raise TypeError(f"flip must be True or False, got {flip!r}")
    image = FIG_9_1_INPUT if image is None else image
    kernel = FIG_9_1_KERNEL if kernel is None else kernel
    sums = symbolic_convolution(image, kernel, flip=flip)
    image, kernel = np.asarray(image, dtype=object), np.asarray(kernel, dtype=object)
    rows, cols = len(sums), len(sums[0])
    fig, axes = plt.subplots(
        1,
        3,
        figsize=(3.0 + 2.6 * cols, 2.6),
        gridspec_kw={"width_ratios": [image.shape[1], kernel.shape[1], 2.6 * cols]},
    )

    def grid(ax, shape, texts, title, cell_w=1.0, size=12):
        h, w = shape
        for (i, j), text in np.ndenumerate(np.asarray(texts, dtype=object)):
            ax.add_patch(
                mpl.patches.Rectangle(
                    (j * cell_w, i), cell_w, 1, fill=False, ec="#333333", lw=1.2
                )
            )
            ax.text(
                (j + 0.5) * cell_w,
                i + 0.5,
                text,
                ha="center",
                va="center",
                fontsize=size,
            )
        ax.set_xlim(-0.1, w * cell_w + 0.1)
        ax.set_ylim(h + 0.1, -0.1)
        ax.set_aspect("equal")
        ax.axis("off")
        ax.set_title(title)

    grid(axes[0], image.shape, image, "input")
    grid(axes[1], kernel.shape, kernel, "kernel")
    texts = [
        [
            "\n+ ".join(
                " + ".join(f"{p}{q}" for p, q in terms[r : r + 2])
                for r in range(0, len(terms), 2)
            )
            for terms in row
        ]
        for row in sums
    ]
    grid(axes[2], (rows, cols), texts, "output", cell_w=2.2, size=9)
    fig.suptitle(
        "kernel flipped: convolution"
        if flip
        else "kernel not flipped (as in the book's figure): cross-correlation",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


# --- chapter 3: cross-correlation ---

CORRELATION_IMAGE = np.array(
    [
        [1, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 1, 1, 0],
        [0, 1, 1, 0, 0],
    ]
)
CORRELATION_KERNEL = np.array([[1, 0, 1], [0, 1, 0], [1, 0, 1]])


def _correlation_inputs(image, kernel):
    """Check the image and kernel of the chapter 3 figures (default: the slides')."""
    image = as_float_array(
        CORRELATION_IMAGE if image is None else image, "image", ndim=2
    )
    kernel = as_float_array(
        CORRELATION_KERNEL if kernel is None else kernel, "kernel", ndim=2
    )
    if kernel.shape[0] > image.shape[0] or kernel.shape[1] > image.shape[1]:
        raise ValueError(
            f"kernel of shape {kernel.shape} must fit inside image of shape "
            f"{image.shape}"
        )
    if image.size > 144 or kernel.size > 49:
        raise ValueError(
            "image must have at most 144 entries and kernel at most 49 so that every "
            f"value fits on the figure; got image {image.shape}, kernel {kernel.shape}"
        )
    return image, kernel


def _correlation_steps(image=None, kernel=None) -> int:
    """How many steps :func:`plot_correlation_step` has: the valid outputs' count."""
    image, kernel = _correlation_inputs(image, kernel)
    rows, cols = (
        convolution.output_size(n, k)
        for n, k in zip(image.shape, kernel.shape, strict=True)
    )
    return rows * cols


def plot_correlation_step(step: int = 0, image=None, kernel=None):
    """One step of a valid 2-D cross-correlation, drawn as in the slides (chapter 3).

    Output positions are visited row by row; ``step`` (0 to the number of outputs
    minus 1) selects S[i, j]. Four panels: the image with the window
    I[i:i+kh, j:j+kw] outlined and each covered cell marked with its kernel weight
    (x K[m, q]); the kernel K; the products I[i + m, j + q] K[m, q]; and the output
    S filled up to this step (later entries blank, the current one outlined).
    ``image`` and ``kernel`` default to the slides' 5 x 5 binary image and 3 x 3
    kernel (:data:`CORRELATION_IMAGE`, :data:`CORRELATION_KERNEL`).
    """
    image, kernel = _correlation_inputs(image, kernel)
    output = convolution.correlate2d(image, kernel)
    step = as_number(step, "step", integer=True, minimum=0, maximum=output.size - 1)
    i, j = divmod(step, output.shape[1])
    kh, kw = kernel.shape
    products = image[i : i + kh, j : j + kw] * kernel

    widths = [image.shape[1], kernel.shape[1], kernel.shape[1], output.shape[1]]
    fig, axes = plt.subplots(
        1,
        4,
        figsize=(0.45 * sum(widths) + 1.9, 0.45 * image.shape[0] + 1.3),
        gridspec_kw={"width_ratios": widths},
    )
    show_matrix(
        image, ax=axes[0], title="image I", highlight=(i, j, kh, kw), vmin=0, vmax=1
    )
    for (m, n), weight in np.ndenumerate(kernel):
        axes[0].text(
            j + n + 0.45,
            i + m + 0.45,
            f"×{weight:g}",
            ha="right",
            va="bottom",
            fontsize=7,
            color=OKABE_ITO["vermillion"],
            fontweight="bold",
        )
    show_matrix(kernel, ax=axes[1], title="kernel K")
    show_matrix(products, ax=axes[2], title="products")
    filled = output.ravel().copy()
    filled[step + 1 :] = 0.0
    show_matrix(
        filled.reshape(output.shape),
        ax=axes[3],
        title="output S",
        highlight=(i, j, 1, 1),
        vmin=min(output.min(), 0.0),
        vmax=output.max(),
    )
    for index, text in enumerate(axes[3].texts):
        if index > step:
            text.set_text("")
    for index in range(step + 1, output.size):
        r, c = divmod(index, output.shape[1])
        axes[3].add_patch(
            mpl.patches.Rectangle(
                (c - 0.5, r - 0.5), 1, 1, fc="white", ec="#bbbbbb", lw=0.8, zorder=2
            )
        )
    fig.suptitle(
        f"step {step}: S[{i}, {j}] = sum of the products = {output[i, j]:g}",
        fontsize=11,
    )
    fig.tight_layout()
    return fig


def plot_correlation_steps(image=None, kernel=None):
    """Every step of a valid 2-D cross-correlation in one grid (chapter 3).

    One small panel per output S[i, j], placed at row i and column j of the grid:
    the image with the window the kernel covers outlined, titled with the value
    S[i, j]. The static companion of :func:`plot_correlation_step`; same defaults.
    """
    image, kernel = _correlation_inputs(image, kernel)
    output = convolution.correlate2d(image, kernel)
    rows, cols = output.shape
    if output.size > 36:
        raise ValueError(
            f"the output has {output.size} entries; at most 36 panels fit on one "
            "figure: use a smaller image or a larger kernel"
        )
    kh, kw = kernel.shape
    size = 0.32 * image.shape[1] + 0.4
    fig, axes = plt.subplots(
        rows, cols, figsize=(size * cols, (size + 0.15) * rows), squeeze=False
    )
    for (i, j), ax in np.ndenumerate(axes):
        show_matrix(image, ax=ax, highlight=(i, j, kh, kw), vmin=0, vmax=1)
        for text in ax.texts:
            text.set_fontsize(7)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(f"S[{i},{j}] = {output[i, j]:g}", fontsize=9)
    fig.tight_layout()
    return fig


# --- chapter 4: sparse interactions and parameter sharing ---


def _receptive_field_layers(k: int, depth: int, stride: int, top: int):
    """Layer sizes and, per layer, the units that influence the middle top unit."""
    sizes = [top]
    for _ in range(depth):
        sizes.insert(0, (sizes[0] - 1) * stride + k)
    active = [set() for _ in range(depth + 1)]
    active[depth] = {top // 2}
    for layer in range(depth, 0, -1):
        active[layer - 1] = {i * stride + a for i in active[layer] for a in range(k)}
    return sizes, active


def plot_receptive_field(k: int = 3, depth: int = 3, stride: int = 1):
    """Which inputs one unit of a deep stack of convolutions sees (chapter 4).

    Draws the input (bottom) and ``depth`` layers above it, each unit connected to the
    ``k`` units below it that its kernel covers ("valid" convolutions with the given
    ``stride``), like Goodfellow et al., Fig. 9.4. The middle unit of the top layer and
    every unit that influences it are marked; the number of marked units is written
    next to each layer. With stride 1 the marked inputs, the receptive field, number
    depth * (k - 1) + 1; with stride s, 1 + (k - 1) (1 + s + ... + s^(depth - 1)).
    Returns the Figure.
    """
    from matplotlib.collections import LineCollection

    k = as_number(k, "k", integer=True, minimum=1)
    depth = as_number(depth, "depth", integer=True, minimum=1)
    stride = as_number(stride, "stride", integer=True, minimum=1)
    top = 5 if stride == 1 else 3
    sizes, active = _receptive_field_layers(k, depth, stride, top)
    if sizes[0] > 400:
        raise ValueError(
            f"k={k}, depth={depth}, stride={stride} need {sizes[0]} input units, too "
            "many to draw (at most 400); choose a smaller k, depth or stride"
        )

    def x_of(layer, j):  # centre, in input coordinates, of what unit j covers
        step = stride**layer
        width = sum((k - 1) * stride**i for i in range(layer)) + 1
        return j * step + (width - 1) / 2

    plain, marked = [], []
    for layer in range(1, depth + 1):
        for i in range(sizes[layer]):
            for a in range(k):
                j = i * stride + a
                segment = [(x_of(layer - 1, j), layer - 1), (x_of(layer, i), layer)]
                (marked if i in active[layer] else plain).append(segment)
    n_in = sizes[0]
    fig, ax = plt.subplots(
        figsize=(min(8.2, max(5.5, 0.16 * n_in + 2.5)), 0.75 * depth + 1.6)
    )
    ax.add_collection(LineCollection(plain, colors="#cccccc", linewidths=0.6))
    ax.add_collection(
        LineCollection(marked, colors=OKABE_ITO["vermillion"], linewidths=1.2)
    )
    size = float(np.clip(3000.0 / n_in, 6.0, 90.0))
    for layer in range(depth + 1):
        xs = np.array([x_of(layer, j) for j in range(sizes[layer])])
        on = np.array([j in active[layer] for j in range(sizes[layer])])
        ax.scatter(
            xs[~on],
            np.full((~on).sum(), layer),
            s=size,
            c="white",
            edgecolors="#777777",
            zorder=3,
        )
        ax.scatter(
            xs[on],
            np.full(on.sum(), layer),
            s=size,
            c=OKABE_ITO["vermillion"] if layer == depth else OKABE_ITO["blue"],
            edgecolors="black",
            linewidths=0.5,
            zorder=4,
        )
        ax.text(
            n_in - 0.5 + 0.02 * n_in,
            layer,
            f"{len(active[layer])} marked",
            va="center",
            fontsize=9,
        )
    field = len(active[0])
    ax.set_yticks(range(depth + 1))
    ax.set_yticklabels(["input"] + [f"layer {d}" for d in range(1, depth + 1)])
    ax.set_xticks([])
    ax.set_xlim(-1, n_in + 0.12 * n_in + 2)
    ax.set_ylim(-0.5, depth + 0.5)
    ax.grid(False)
    _hide_spines(ax)
    ax.tick_params(length=0)
    ax.set_title(
        f"k = {k}, stride {stride}: one unit of layer {depth} sees {field} inputs"
    )
    fig.tight_layout()
    return fig


# --- chapter 5: equivariance ---

# Applied by cross-correlation, as written.
EQUIVARIANCE_KERNELS = {
    "edge": convolution.SOBEL_X,
    "horizontal edge": convolution.SOBEL_Y,
    "blur": np.full((5, 5), 1.0 / 25.0),
}
EQUIVARIANCE_BOUNDARIES = ("zero", "circular")
# The boundary convbn.convolution.pad_same uses for each.
_PAD_BOUNDARY = {"zero": "zero", "circular": "wrap"}


def _shift_right(image, shift: int, boundary: str) -> np.ndarray:
    """Move ``image`` ``shift`` columns to the right (left if negative)."""
    if boundary == "circular":
        return np.roll(image, shift, axis=1)
    out = np.zeros_like(image)
    width = image.shape[1]
    if shift >= 0:
        out[:, shift:] = image[:, : width - shift]
    else:
        out[:, : width + shift] = image[:, -shift:]
    return out


def _feature_map(image, kernel, boundary: str) -> np.ndarray:
    """Cross-correlation, output the size of ``image``: zero padding or wrap-around."""
    padded = convolution.pad_same(image, kernel.shape, _PAD_BOUNDARY[boundary])
    return convolution.correlate2d(padded, kernel, mode="valid")


def plot_equivariance(
    shift: int = 0, image: str = "camera", kernel: str = "edge", boundary: str = "zero"
):
    """Translation equivariance of convolution on a photograph (chapter 5); the figure.

    ``g`` moves the photograph ``shift`` pixels to the right (``boundary="zero"``:
    the uncovered columns become 0; ``"circular"``: they wrap around, ``np.roll``) and
    ``f`` is cross-correlation with the kernel ``kernel`` (one of
    :data:`EQUIVARIANCE_KERNELS`) with an output the size of the input
    (:func:`convbn.convolution.pad_same`: zero padding, or wrap-around padding for
    ``"circular"``). Panels: g(x), f(g(x)), g(f(x)) and ``|f(g(x)) - g(f(x))|``, whose
    title counts the pixels where the two differ. The photograph
    (:func:`convbn.datasets.sample_image`) is reduced to every second pixel when it is
    larger than 256 pixels, to keep the widget fast.
    """
    shift = as_number(shift, "shift", integer=True)
    x = _photograph(image)
    kernel = as_choice(kernel, "kernel", EQUIVARIANCE_KERNELS)
    boundary = as_choice(boundary, "boundary", EQUIVARIANCE_BOUNDARIES)
    if abs(shift) >= x.shape[1]:
        raise ValueError(
            f"shift must be smaller than the image width ({x.shape[1]} pixels after "
            f"reduction) in absolute value, got {shift}"
        )
    k = EQUIVARIANCE_KERNELS[kernel]
    moved = _shift_right(x, shift, boundary)
    f_g = _feature_map(moved, k, boundary)
    g_f = _shift_right(_feature_map(x, k, boundary), shift, boundary)
    diff = np.abs(f_g - g_f)
    differing = int(np.count_nonzero(diff > 1e-9))
    limit = float(np.abs(g_f).max()) or 1.0
    fmap = {"cmap": MATRIX_CMAP, "vmin": -limit, "vmax": limit}
    if kernel == "blur":
        fmap = {"cmap": "gray", "vmin": 0.0, "vmax": limit}
    fig, axes = plt.subplots(1, 4, figsize=(8.2, 2.7))
    panels = [
        (
            moved,
            f"input moved by {shift}: g(x)",
            {"cmap": "gray", "vmin": 0.0, "vmax": 1.0},
        ),
        (f_g, "feature map of it: f(g(x))", fmap),
        (g_f, "feature map moved: g(f(x))", fmap),
        (
            diff,
            f"|difference|: {differing} pixels",
            {"cmap": MATRIX_CMAP, "vmin": 0.0, "vmax": limit},
        ),
    ]
    for ax, (values, title, style) in zip(axes, panels, strict=True):
        ax.imshow(values, interpolation="nearest", **style)
        ax.set_title(title, fontsize=10)
        ax.axis("off")
    where = "away from the borders" if boundary == "zero" else "everywhere"
    fig.suptitle(
        f"{kernel} kernel, {boundary} boundary: shifting commutes with convolution "
        f"{where}",
        fontsize=11,
    )
    fig.tight_layout()
    return fig
