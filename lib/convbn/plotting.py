"""The book's figure style and the plot functions the chapters share.

Every plot function returns the matplotlib ``Figure`` it drew, so a notebook can show
it as a static figure and :mod:`convbn.widgets` can redraw it from slider values.

Style choices (see :func:`setup`): the Okabe-Ito palette for lines (distinguishable
with every common colour-vision deficiency), ``cividis`` for matrices (perceptually
uniform and colour-blind safe), ``gray`` for photographs, an opaque white figure
background so figures stay readable on the book's dark theme, SVG output in notebooks.
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from ._validation import as_choice, as_float_array, as_number

__all__ = [
    "OKABE_ITO",
    "COLORS",
    "MATRIX_CMAP",
    "STYLE",
    "setup",
    "show_images",
    "show_matrix",
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
    "POOLING_KERNEL",
    "pooling_feature_map",
    "plot_pool1d",
    "plot_pooling",
    "BATCHNORM_FEATURE",
    "plot_batchnorm_distribution",
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
    "CH08_NETWORKS",
    "plot_figure1",
    "plot_learning_rate_sweep",
    "plot_claims",
]

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = {
    "blue": "#0072B2",
    "orange": "#E69F00",
    "green": "#009E73",
    "vermillion": "#D55E00",
    "sky": "#56B4E9",
    "purple": "#CC79A7",
    "yellow": "#F0E442",
    "black": "#000000",
}
#: The line colours in the order the book uses them.
COLORS = [
    OKABE_ITO[k]
    for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")
]
#: The colormap for matrices and feature maps.
MATRIX_CMAP = "cividis"

STYLE = {
    "axes.prop_cycle": mpl.cycler(color=COLORS),
    "image.cmap": MATRIX_CMAP,
    "figure.figsize": (7.0, 3.2),
    "figure.dpi": 100,
    "figure.facecolor": "white",
    "savefig.facecolor": "white",
    "axes.facecolor": "white",
    "axes.edgecolor": "#333333",
    "axes.grid": True,
    "grid.color": "#dddddd",
    "grid.linewidth": 0.6,
    "axes.spines.top": False,
    "axes.spines.right": False,
    "axes.titlesize": 11,
    "axes.labelsize": 10,
    "legend.fontsize": 9,
    "legend.frameon": False,
    "font.size": 10,
    "lines.linewidth": 1.8,
    "svg.fonttype": "none",
}


def setup() -> None:
    """Apply the book's style; in a notebook also switch inline figures to SVG.

    Introduced in chapter 1; every chapter calls it once at the top.
    """
    mpl.rcParams.update(STYLE)
    try:
        from IPython import get_ipython

        if get_ipython() is not None:
            from matplotlib_inline.backend_inline import set_matplotlib_formats

            set_matplotlib_formats("svg")
    except ImportError:  # plain Python: nothing to configure
        pass


def show_images(
    images,
    titles=None,
    ncols: int | None = None,
    cmap: str = "gray",
    vmin=None,
    vmax=None,
    size: float = 2.6,
):
    """Show 2-D arrays side by side (photographs, feature maps, digits); return it.

    Introduced in chapter 2. ``images`` is a sequence of 2-D arrays or an ``(N, H, W)``
    array; ``titles`` one string per image. Photographs use ``gray``; pass
    ``cmap="cividis"`` for feature maps with their own scale per panel.
    """
    if isinstance(images, np.ndarray) and images.ndim == 2:
        images = [images]
    images = [as_float_array(im, f"images[{i}]", ndim=2) for i, im in enumerate(images)]
    if not images:
        raise ValueError("images must hold at least one 2-D array, got none")
    if titles is not None and len(titles) != len(images):
        raise ValueError(
            f"titles must have one entry per image ({len(images)}), got {len(titles)}"
        )
    n = len(images)
    ncols = n if ncols is None else as_number(ncols, "ncols", integer=True, minimum=1)
    nrows = int(np.ceil(n / ncols))
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(size * ncols, size * nrows), squeeze=False
    )
    for i, ax in enumerate(axes.flat):
        ax.axis("off")
        if i < n:
            ax.imshow(
                images[i], cmap=cmap, vmin=vmin, vmax=vmax, interpolation="nearest"
            )
            if titles is not None:
                ax.set_title(titles[i])
    fig.tight_layout()
    return fig


def show_matrix(
    values,
    ax=None,
    title: str | None = None,
    fmt: str = "{:g}",
    cmap: str = MATRIX_CMAP,
    highlight=None,
    vmin=None,
    vmax=None,
):
    """Draw a small matrix as an annotated grid of coloured cells; return the figure.

    Introduced in chapter 1 (used for the 5 x 5 worked example of chapter 3).
    ``values`` is 2-D (a 1-D array is drawn as one row); each cell shows its value
    formatted with ``fmt``, in black or white, whichever contrasts with the cell colour.
    ``highlight=(row, col, height, width)`` outlines a block of cells (e.g. the window
    the kernel covers). Draws into ``ax`` if given.
    """
    values = as_float_array(values, "values", ndim=(1, 2))
    if values.ndim == 1:
        values = values[None, :]
    if ax is None:
        rows, cols = values.shape
        fig, ax = plt.subplots(figsize=(0.5 * cols + 0.6, 0.5 * rows + 0.6))
    else:
        fig = ax.figure
    image = ax.imshow(values, cmap=cmap, vmin=vmin, vmax=vmax)
    norm, colormap = image.norm, image.get_cmap()
    for (i, j), v in np.ndenumerate(values):
        r, g, b, _ = colormap(norm(v))
        dark = 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
        ax.text(
            j,
            i,
            fmt.format(v),
            ha="center",
            va="center",
            color="white" if dark else "black",
            fontsize=10,
        )
    ax.set_xticks(np.arange(values.shape[1]))
    ax.set_yticks(np.arange(values.shape[0]))
    ax.tick_params(length=0, labelsize=8)
    ax.grid(False)
    for spine in ax.spines.values():
        spine.set_visible(False)
    if highlight is not None:
        row, col, height, width = highlight
        ax.add_patch(
            mpl.patches.Rectangle(
                (col - 0.5, row - 0.5),
                width,
                height,
                fill=False,
                lw=2.5,
                ec=OKABE_ITO["vermillion"],
            )
        )
    if title:
        ax.set_title(title)
    return fig


def plot_kernels(width: float = 1.0, kinds=None):
    """Plot the kernels w(a) of :func:`convbn.convolution.kernel` (chapter 1).

    The region a < 0 (measurements from the future) is shaded; a causal kernel is
    zero there.
    """
    from .convolution import KERNELS, kernel

    kinds = (
        KERNELS if kinds is None else [as_choice(k, "kinds", KERNELS) for k in kinds]
    )
    width = as_number(width, "width", positive=True)
    a = np.linspace(-3 * width, 5 * width, 801)
    fig, ax = plt.subplots(figsize=(6.5, 3.0))
    ax.axvspan(a[0], 0, color="#eeeeee", zorder=0)
    ax.text(a[0] + 0.1 * width, 0.02 / width, "future\n(a < 0)", fontsize=9)
    for k, style in zip(kinds, ["-", "--", "-.", ":"], strict=False):
        ax.plot(a, kernel(a, k, width), style, label=k)
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
    from .convolution import KERNELS, kernel, smooth
    from .datasets import spaceship_track

    kind = as_choice(kind, "kind", KERNELS)
    width = as_number(width, "width", positive=True)
    track = spaceship_track() if track is None else track
    estimate = smooth(track.measured, track.dt, kind, width)
    rms = float(np.sqrt(np.mean((estimate - track.position) ** 2)))
    raw = float(np.sqrt(np.mean((track.measured - track.position) ** 2)))

    fig, (left, right) = plt.subplots(
        1, 2, figsize=(9.0, 3.4), gridspec_kw={"width_ratios": [2.4, 1]}
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
    right.plot(a, kernel(a, kind, width), color=OKABE_ITO["vermillion"])
    right.set(xlabel="age a (s)", ylabel="w(a)", title="kernel (grey: future)")
    fig.tight_layout()
    return fig


# --- chapter 2: discrete convolution ---


def _ch02_gaussian(size: int, sigma: float) -> np.ndarray:
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-0.5 * (r / sigma) ** 2)
    return np.outer(g, g) / np.outer(g, g).sum()


#: The kernels of :func:`plot_convolution_explorer` (chapter 2), by name: two
#: blurs (weights sum to 1), a sharpener (sum 1) and three edge detectors (sum 0).
EXPLORER_KERNELS = {
    "box": np.full((7, 7), 1.0 / 49.0),
    "gaussian": _ch02_gaussian(9, 1.5),
    "sharpen": np.array([[0.0, -1.0, 0.0], [-1.0, 5.0, -1.0], [0.0, -1.0, 0.0]]),
    "vertical edge": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edge": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "laplacian": np.array([[0.0, 1.0, 0.0], [1.0, -4.0, 1.0], [0.0, 1.0, 0.0]]),
}


def plot_convolution_explorer(
    kernel: str = "box", mode: str = "valid", stride: int = 1, image: str = "camera"
):
    """A photograph, a kernel and their 2-D convolution (chapter 2); the figure.

    ``kernel`` is one of :data:`EXPLORER_KERNELS`, ``mode`` one of "valid", "same",
    "full", ``stride`` an integer from 1 to 8 and ``image`` one of
    :data:`convbn.datasets.SAMPLE_IMAGES` (halved, by keeping every second pixel, until
    no side exceeds 256 pixels). The output is
    ``convbn.convolution.convolve2d(image, kernel, mode, stride)``. Input and output
    are drawn at the same scale, centred, so that the panels show how the mode and the
    stride change the size; the titles give the shapes.
    """
    from .convolution import MODES, convolve2d
    from .datasets import SAMPLE_IMAGES, sample_image

    kernel = as_choice(kernel, "kernel", EXPLORER_KERNELS)
    mode = as_choice(mode, "mode", MODES)
    stride = as_number(stride, "stride", integer=True, minimum=1, maximum=8)
    image = as_choice(image, "image", SAMPLE_IMAGES)
    x = sample_image(image)
    while max(x.shape) > 256:
        x = x[::2, ::2]
    k = EXPLORER_KERNELS[kernel]
    out = convolve2d(x, k, mode, stride)
    canvas = np.maximum(np.array(x.shape), np.array(out.shape)) + 2

    fig, axes = plt.subplots(
        1, 3, figsize=(10.0, 3.8), gridspec_kw={"width_ratios": [1.0, 0.45, 1.0]}
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
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)

    centred(axes[0], x, cmap="gray", vmin=0.0, vmax=1.0)
    axes[0].set_title(f"input {x.shape[0]} × {x.shape[1]}")
    if k.shape[0] <= 3:
        show_matrix(k, ax=axes[1], fmt="{:g}")
    else:
        axes[1].imshow(k, cmap=MATRIX_CMAP, interpolation="nearest")
        axes[1].set_xticks([])
        axes[1].set_yticks([])
        axes[1].grid(False)
    axes[1].set_title(f"{kernel} kernel {k.shape[0]} × {k.shape[1]}")
    if abs(k.sum()) > 0.5:  # blur or sharpen: still a photograph
        style = {"cmap": "gray", "vmin": 0.0, "vmax": 1.0}
    else:  # edges: signed responses, symmetric scale
        limit = float(np.percentile(np.abs(out), 99.5)) or 1.0
        style = {"cmap": MATRIX_CMAP, "vmin": -limit, "vmax": limit}
    centred(axes[2], out, **style)
    axes[2].set_title(f"output {out.shape[0]} × {out.shape[1]}")
    for ax in (axes[0], axes[2]):
        for spine in ax.spines.values():
            spine.set_visible(False)
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
    the pairs (I[i + m][j + n], K'[m][n]) of the sum S[i, j], where K' is the kernel
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


#: The input of Goodfellow et al.'s Fig. 9.1 (chapter 2), as letters.
FIG_9_1_INPUT = [list("abcd"), list("efgh"), list("ijkl")]
#: The kernel of Goodfellow et al.'s Fig. 9.1 (chapter 2), as letters.
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

#: The 5 x 5 binary image of chapter 3's worked example (the lecture slides').
CORRELATION_IMAGE = np.array(
    [
        [1, 1, 1, 0, 0],
        [0, 1, 1, 1, 0],
        [0, 0, 1, 1, 1],
        [0, 0, 1, 1, 0],
        [0, 1, 1, 0, 0],
    ]
)
#: The 3 x 3 kernel of chapter 3's worked example.
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


def plot_correlation_step(step: int = 0, image=None, kernel=None):
    """One step of a valid 2-D cross-correlation, drawn as in the slides (chapter 3).

    Output positions are visited row by row; ``step`` (0 to the number of outputs
    minus 1) selects S[i, j]. Four panels: the image with the window
    I[i:i+kh, j:j+kw] outlined and each covered cell marked with its kernel weight
    (x K[m, n]); the kernel K; the products I[i + m, j + n] K[m, n]; and the output
    S filled up to this step (later entries blank, the current one outlined).
    ``image`` and ``kernel`` default to the slides' 5 x 5 binary image and 3 x 3
    kernel (:data:`CORRELATION_IMAGE`, :data:`CORRELATION_KERNEL`).
    """
    from .convolution import correlate2d

    image, kernel = _correlation_inputs(image, kernel)
    output = correlate2d(image, kernel)
    step = as_number(step, "step", integer=True, minimum=0, maximum=output.size - 1)
    i, j = divmod(step, output.shape[1])
    kh, kw = kernel.shape
    products = image[i : i + kh, j : j + kw] * kernel

    widths = [image.shape[1], kernel.shape[1], kernel.shape[1], output.shape[1]]
    fig, axes = plt.subplots(
        1,
        4,
        figsize=(0.55 * sum(widths) + 3.2, 0.55 * image.shape[0] + 1.3),
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
    from .convolution import correlate2d

    image, kernel = _correlation_inputs(image, kernel)
    output = correlate2d(image, kernel)
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
        figsize=(min(11.0, max(5.5, 0.16 * n_in + 2.5)), 0.75 * depth + 1.6)
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
    for side in ("left", "bottom", "top", "right"):
        ax.spines[side].set_visible(False)
    ax.tick_params(length=0)
    ax.set_title(
        f"k = {k}, stride {stride}: one unit of layer {depth} sees {field} inputs"
    )
    fig.tight_layout()
    return fig


# --- chapter 5: equivariance ---

#: The kernels of :func:`plot_equivariance` (chapter 5): a vertical-edge (Sobel)
#: detector, its horizontal twin, and a 5 x 5 box blur.
EQUIVARIANCE_KERNELS = {
    "edge": np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]]),
    "horizontal edge": np.array([[1.0, 2.0, 1.0], [0.0, 0.0, 0.0], [-1.0, -2.0, -1.0]]),
    "blur": np.full((5, 5), 1.0 / 25.0),
}
#: The boundary handlings of :func:`plot_equivariance` (chapter 5).
EQUIVARIANCE_BOUNDARIES = ("zero", "circular")


def _ch05_shift_right(image, shift: int, boundary: str) -> np.ndarray:
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


def _ch05_feature_map(image, kernel, boundary: str) -> np.ndarray:
    """Cross-correlation, output the size of ``image``: zero padding or wrap-around."""
    from .convolution import correlate2d

    if boundary == "zero":
        return correlate2d(image, kernel, mode="same")
    kh, kw = kernel.shape
    padded = np.pad(
        image, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)), mode="wrap"
    )
    return correlate2d(padded, kernel, mode="valid")


def plot_equivariance(
    shift: int = 0, image: str = "camera", kernel: str = "edge", boundary: str = "zero"
):
    """Translation equivariance of convolution on a photograph (chapter 5); the figure.

    ``g`` moves the photograph ``shift`` pixels to the right (``boundary="zero"``:
    the uncovered columns become 0; ``"circular"``: they wrap around, ``np.roll``) and
    ``f`` is cross-correlation with the kernel ``kernel`` (one of
    :data:`EQUIVARIANCE_KERNELS`) with an output the size of the input (zero padding,
    or wrap-around padding for ``"circular"``). Panels: g(x), f(g(x)), g(f(x)) and
    ``|f(g(x)) - g(f(x))|``, whose title counts the pixels where the two differ. The
    photograph (:func:`convbn.datasets.sample_image`) is reduced to every second pixel
    when it is larger than 256 pixels, to keep the widget fast.
    """
    from .datasets import SAMPLE_IMAGES, sample_image

    shift = as_number(shift, "shift", integer=True)
    image = as_choice(image, "image", SAMPLE_IMAGES)
    kernel = as_choice(kernel, "kernel", EQUIVARIANCE_KERNELS)
    boundary = as_choice(boundary, "boundary", EQUIVARIANCE_BOUNDARIES)
    x = sample_image(image)
    while max(x.shape) > 256:
        x = x[::2, ::2]
    if abs(shift) >= x.shape[1]:
        raise ValueError(
            f"shift must be smaller than the image width ({x.shape[1]} pixels after "
            f"reduction) in absolute value, got {shift}"
        )
    k = EQUIVARIANCE_KERNELS[kernel]
    f_g = _ch05_feature_map(_ch05_shift_right(x, shift, boundary), k, boundary)
    g_f = _ch05_shift_right(_ch05_feature_map(x, k, boundary), shift, boundary)
    diff = np.abs(f_g - g_f)
    differing = int(np.count_nonzero(diff > 1e-9))
    limit = float(np.abs(g_f).max()) or 1.0
    fmap = {"cmap": MATRIX_CMAP, "vmin": -limit, "vmax": limit}
    if kernel == "blur":
        fmap = {"cmap": "gray", "vmin": 0.0, "vmax": limit}
    fig, axes = plt.subplots(1, 4, figsize=(11.0, 3.3))
    panels = [
        (
            _ch05_shift_right(x, shift, boundary),
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


# --- chapter 6: pooling and the convolutional layer ---

#: The detector of :func:`plot_pooling` (chapter 6): the vertical-edge Sobel kernel,
#: followed by a ReLU.
POOLING_KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])


def pooling_feature_map(image: str = "coins") -> np.ndarray:
    """A real feature map to pool (chapter 6): ReLU of a vertical-edge response.

    The photograph ``image`` (:func:`convbn.datasets.sample_image`) is halved (every
    second pixel) until no side exceeds 256 pixels, cross-correlated with
    :data:`POOLING_KERNEL` ("valid") and passed through ``max(0, .)``: the output of
    the detector stage, shape ``(H - 2, W - 2)``, values >= 0.
    """
    from .convolution import correlate2d
    from .datasets import SAMPLE_IMAGES, sample_image

    image = as_choice(image, "image", SAMPLE_IMAGES)
    x = sample_image(image)
    while max(x.shape) > 256:
        x = x[::2, ::2]
    return np.maximum(correlate2d(x, POOLING_KERNEL, mode="valid"), 0.0)


def _ch06_windows(n: int, size: int, stride: int, padding: str):
    """The real input indices ``range(start, stop)`` each pooled output covers."""
    if padding == "valid":
        before, count = 0, (n - size) // stride + 1
    else:
        count = -(-n // stride)
        before = max((count - 1) * stride + size - n, 0) // 2
    windows = []
    for i in range(count):
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
    from .pooling import KINDS, PADDINGS, pool1d

    x = as_float_array(x, "x", ndim=1)
    size = as_number(size, "size", integer=True, minimum=1)
    stride = (
        size if stride is None else as_number(stride, "stride", integer=True, minimum=1)
    )
    kind = as_choice(kind, "kind", KINDS)
    padding = as_choice(padding, "padding", PADDINGS)
    if padding == "valid" and size > len(x):
        raise ValueError(
            f"size {size} is larger than the {len(x)} detector units in x: "
            "padding='valid' needs the window to fit"
        )
    pooled = pool1d(x, size, stride, kind, padding)
    windows = _ch06_windows(len(x), size, stride, padding)
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
    for spine in ax.spines.values():
        spine.set_visible(False)
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
    from .pooling import KINDS, PADDINGS, pool2d

    kind = as_choice(kind, "kind", KINDS)
    size = as_number(size, "size", integer=True, minimum=1, maximum=32)
    stride = (
        size
        if stride is None
        else as_number(stride, "stride", integer=True, minimum=1, maximum=32)
    )
    padding = as_choice(padding, "padding", PADDINGS)
    sigma = as_number(sigma, "sigma", positive=True)
    fmap = pooling_feature_map(image)
    pooled = pool2d(fmap, size, stride, kind, padding, sigma)
    rows = _ch06_windows(fmap.shape[0], size, stride, padding)
    cols = _ch06_windows(fmap.shape[1], size, stride, padding)
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 4.0))
    axes[0].imshow(fmap, cmap=MATRIX_CMAP, interpolation="nearest")
    axes[1].imshow(pooled, cmap=MATRIX_CMAP, interpolation="nearest")
    outlines = [((0, 0), OKABE_ITO["vermillion"])]
    if len(cols) > 1:
        outlines.append(((0, 1), OKABE_ITO["orange"]))
    if len(rows) > 1:
        outlines.append(((1, 0), OKABE_ITO["orange"]))
    for (i, j), colour in outlines:
        (top, bottom), (left, right) = rows[i], cols[j]
        for ax, corner, extent in (
            (axes[0], (left - 0.5, top - 0.5), (right - left, bottom - top)),
            (axes[1], (j - 0.5, i - 0.5), (1, 1)),
        ):
            ax.add_patch(
                mpl.patches.Rectangle(
                    corner, extent[0], extent[1], fill=False, lw=2.0, ec=colour
                )
            )
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


# --- chapter 7: internal covariate shift and the batch-normalizing transform ---

#: The population of :func:`plot_batchnorm_distribution` (chapter 7): a skewed
#: feature with mean 5 and standard deviation 3 (a shifted, scaled Gamma(2) law).
BATCHNORM_FEATURE = {"mean": 5.0, "std": 3.0, "shape": 2.0}


def _ch07_feature_sample(m: int, seed: int) -> np.ndarray:
    """``m`` values of the chapter 7 feature: ``mean + std (g - k) / sqrt(k)``."""
    k = BATCHNORM_FEATURE["shape"]
    g = np.random.default_rng(seed).gamma(k, 1.0, size=m)
    return BATCHNORM_FEATURE["mean"] + BATCHNORM_FEATURE["std"] * (g - k) / np.sqrt(k)


def _ch07_feature_density(x: np.ndarray) -> np.ndarray:
    """The density of the chapter 7 feature at ``x`` (Gamma(k) shifted and scaled)."""
    from math import gamma as gamma_function

    k = BATCHNORM_FEATURE["shape"]
    scale = BATCHNORM_FEATURE["std"] / np.sqrt(k)
    t = (x - BATCHNORM_FEATURE["mean"]) / scale + k
    positive = np.clip(t, 1e-300, None)
    pdf = positive ** (k - 1) * np.exp(-positive) / gamma_function(k)
    return np.where(t > 0, pdf / scale, 0.0)


def plot_batchnorm_distribution(
    batch_size: int = 64,
    gamma: float = 1.0,
    beta: float = 0.0,
    eps: float = 1e-3,
    seed: int = 0,
):
    """One feature before and after the batch-normalizing transform (chapter 7).

    Draws a mini-batch of ``batch_size`` values of a skewed feature (mean 5,
    standard deviation 3, :data:`BATCHNORM_FEATURE`; ``seed`` picks the batch) and
    applies Algorithm 1 with :func:`convbn.batchnorm.batchnorm_forward`: ``y = gamma
    (x - mu_B) / sqrt(sigma_B^2 + eps) + beta``. Left: the batch's histogram over the
    population density, with the batch mean; right: the histogram of y, the lines
    ``beta`` and ``beta +- gamma``, and the measured mean and standard deviation of
    y in the title (``beta`` and ``|gamma| sqrt(sigma_B^2 / (sigma_B^2 + eps))``).
    Returns the Figure.
    """
    from .batchnorm import batchnorm_forward

    batch_size = as_number(batch_size, "batch_size", integer=True, minimum=2)
    if batch_size > 100_000:
        raise ValueError(f"batch_size must be <= 100000, got {batch_size}")
    gamma = as_number(gamma, "gamma")
    beta = as_number(beta, "beta")
    eps = as_number(eps, "eps", positive=True)
    seed = as_number(seed, "seed", integer=True, nonnegative=True)

    x = _ch07_feature_sample(batch_size, seed)
    y = batchnorm_forward(x[:, None], gamma, beta, eps)[0][:, 0]
    mu, sigma = x.mean(), x.std()
    y_mean = round(float(y.mean()), 2) + 0.0  # no "-0.00" in the title
    bins = int(np.clip(np.sqrt(batch_size) * 2, 8, 40))

    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.4))
    grid = np.linspace(-3.0, 25.0, 400)
    left.hist(
        x,
        bins=bins,
        range=(-3, 25),
        density=True,
        color=COLORS[0],
        alpha=0.7,
        label=f"mini-batch, m = {batch_size}",
    )
    left.plot(
        grid,
        _ch07_feature_density(grid),
        color=OKABE_ITO["black"],
        lw=1.2,
        label="population",
    )
    left.axvline(mu, color=COLORS[1], ls="--", label=f"batch mean {mu:.2f}")
    if batch_size <= 32:  # few values: also mark each one
        left.plot(x, np.zeros_like(x), "|", color=COLORS[0], ms=14, mew=2)
        right.plot(y, np.zeros_like(y), "|", color=COLORS[2], ms=14, mew=2)
    left.set(
        xlabel="x (before BN)",
        ylabel="density",
        title=f"before: mean {mu:.2f}, std {sigma:.2f}",
    )
    left.legend(loc="upper right")

    spread = max(4.0, 4.0 * abs(gamma))
    low, high = min(-5.0, beta - spread), max(5.0, beta + 2.0 * spread)
    right.hist(
        y,
        bins=bins,
        range=(low, high),
        density=True,
        color=COLORS[2],
        alpha=0.7,
        label="y = BN(x)",
    )
    right.axvline(beta, color=COLORS[1], ls="--", label=f"β = {beta:g}")
    for side in (-1, 1):
        right.axvline(
            beta + side * gamma,
            color=COLORS[3],
            ls=":",
            label=f"β ± γ (γ = {gamma:g})" if side == 1 else None,
        )
    right.set(
        xlabel="y (after BN)",
        xlim=(low, high),
        title=f"after (ε = {eps:g}): mean {y_mean:.2f}, std {y.std():.2f}",
    )
    right.legend(loc="upper right")
    fig.tight_layout()
    return fig


# --- chapter 9: Keras models ---

#: The hidden-layer activations :func:`plot_activations` draws (chapter 9).
ACTIVATIONS = ("relu", "sigmoid", "tanh")
#: The logits whose softmax :func:`plot_activations` shows (chapter 9).
SOFTMAX_LOGITS = np.array([2.0, 1.0, 0.1, -1.0, 3.2, 0.5, -0.3, 1.7, 0.0, -2.0])
#: The ``noise_shape`` choices of :func:`plot_dropout` (chapter 9), for its 6 x 10
#: input: one decision per entry, one per row (whole rows dropped), one per column.
DROPOUT_NOISE_SHAPES = {
    "elementwise": None,
    "whole rows": (6, 1),
    "whole columns": (1, 10),
}


def _ch09_activation(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return np.maximum(z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    return np.tanh(z)


def _ch09_activation_slope(name: str, z: np.ndarray) -> np.ndarray:
    if name == "relu":
        return (z > 0).astype(float)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    return 1.0 - np.tanh(z) ** 2


def plot_activations(x_max: float = 4.0, logits=None):
    """The activation functions of chapter 9: values, slopes, and a softmax.

    Left: relu max(0, z), sigmoid 1 / (1 + e^-z) and tanh on ``[-x_max, x_max]``.
    Middle: their derivatives (relu' = 1 for z > 0, sigmoid' = s(1 - s) <= 1/4,
    tanh' = 1 - tanh^2 <= 1), which show where each saturates. Right: the softmax
    e^z_k / sum_j e^z_j of ``logits`` (default :data:`SOFTMAX_LOGITS`, 10 classes) as
    bars that sum to 1. Returns the Figure.
    """
    x_max = as_number(x_max, "x_max", positive=True, maximum=50)
    if logits is None:
        logits = SOFTMAX_LOGITS
    logits = as_float_array(logits, "logits", ndim=1, min_size=2)
    z = np.linspace(-x_max, x_max, 801)
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.2))
    for name, colour in zip(ACTIVATIONS, COLORS, strict=False):
        axes[0].plot(z, _ch09_activation(name, z), color=colour, label=name)
        axes[1].plot(z, _ch09_activation_slope(name, z), color=colour, label=name)
    axes[0].set(xlabel="z", ylabel="activation", title="hidden-layer activations")
    axes[1].set(xlabel="z", ylabel="slope", title="their derivatives")
    axes[0].legend(loc="upper left")
    axes[1].legend(loc="upper left")
    e = np.exp(logits - logits.max())
    probabilities = e / e.sum()
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


def _ch09_dropout_input() -> np.ndarray:
    rows, cols = np.mgrid[0:6, 0:10]
    return (1.0 + (rows + cols) / 14.0).astype(np.float32)


def plot_dropout(rate: float = 0.5, noise_shape: str = "elementwise", seed: int = 0):
    """What ``keras.layers.Dropout(rate, noise_shape, seed)`` does in training.

    Chapter 9. Applies a new Dropout layer with these arguments to a 6 x 10 input
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
    from ._tf import import_keras

    keras = import_keras()
    x = _ch09_dropout_input()
    layer = keras.layers.Dropout(
        rate, noise_shape=DROPOUT_NOISE_SHAPES[noise_shape], seed=seed
    )
    out = np.asarray(layer(x, training=True))
    mask = np.where(x != 0, out / x, 0.0)
    scale = 1.0 / (1.0 - rate)
    n_dropped = int(np.sum(out == 0))
    vmax = max(float(out.max()), float(x.max()))
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.0), layout="constrained")
    panels = [
        (x, f"input x\nmean {x.mean():.2f}"),
        (mask, f"mask\n{n_dropped} of {x.size} dropped, kept ×{scale:.2f}"),
        (out, f"output, training=True\nmean {out.mean():.2f}"),
    ]
    for ax, (values, title) in zip(axes, panels, strict=True):
        image = ax.imshow(values, cmap=MATRIX_CMAP, vmin=0.0, vmax=vmax)
        ax.set_title(title, fontsize=10)
        ax.set_xticks([])
        ax.set_yticks([])
        ax.grid(False)
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


# --- chapter 10: compiling: losses and optimizers ---


def _ch10_loss_names(names, name: str) -> tuple:
    from .losses import LOSSES

    if isinstance(names, str) or not hasattr(names, "__iter__"):
        raise TypeError(
            f"{name} must be a list of loss names, got {type(names).__name__}"
        )
    names = tuple(names)
    if not names:
        raise ValueError(f"{name} must name at least one loss")
    for item in names:
        as_choice(item, name, LOSSES)
    return names


def plot_losses(names=None, target: float = 1.0):
    """Every loss of chapter 10 against the prediction, one small panel each.

    ``names`` lists loss names from :data:`convbn.losses.LOSSES` (default: all 14);
    ``target`` is the true value of the regression losses (> 0). Each panel shows
    :func:`convbn.losses.curve`: the loss as a function of the prediction for a fixed
    target (the x-axis label says what varies; a dotted line marks the target of the
    regression losses). Four panels per row. Returns the Figure.
    """
    from . import losses

    names = losses.LOSSES if names is None else _ch10_loss_names(names, "names")
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
    """One loss and its derivative against the prediction (chapter 10); the figure.

    ``loss`` is a name from :data:`convbn.losses.LOSSES`; ``target`` (> 0) is the true
    value for the regression losses (the others use the fixed example described in
    :func:`convbn.losses.curve`). Left: the loss; right: its derivative with respect
    to the varied quantity, the signal the optimizer receives. Returns the Figure.
    """
    from . import losses

    loss = as_choice(loss, "loss", losses.LOSSES)
    target = as_number(target, "target", positive=True)
    c = losses.curve(loss, target)
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.0, 3.2))
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
    """Training-loss curves of several optimizers on one plot (chapter 10).

    ``histories`` maps an optimizer's label to its sequence of per-epoch training
    losses (``model.fit(...).history["loss"]``, at least one finite value each);
    ``names`` picks which labels to draw (default: all, in the mapping's order);
    ``log`` draws the loss on a logarithmic axis. Returns the Figure.
    """
    from collections.abc import Mapping

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


# --- chapter 11: a convolutional network in Keras, end to end ---


def _ch11_history(history, label):
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
    """Training and validation curves of one or more Keras runs (chapter 11).

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
    runs = {label: _ch11_history(h, label) for label, h in histories.items()}
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
    """A confusion matrix as an annotated grid (chapter 11); return the figure.

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
        r, g, b, _ = image.cmap(image.norm(v))
        dark = i != j and 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5
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
    for spine in ax.spines.values():
        spine.set_visible(False)
    bar = fig.colorbar(image, ax=ax, shrink=0.8, label="mistakes")
    bar.locator = mpl.ticker.MaxNLocator(integer=True)
    bar.update_ticks()
    return fig


def _ch11_images(images):
    images = as_float_array(images, "images", ndim=(3, 4))
    if images.ndim == 4:
        if images.shape[3] != 1:
            raise ValueError(
                "images must be (N, H, W) or (N, H, W, 1) grayscale, got shape "
                f"{images.shape}"
            )
        images = images[..., 0]
    return images


def _ch11_labels(values, name, n):
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
    """A gallery of misclassified images with true and predicted labels (chapter 11).

    ``images`` ``(N, H, W)`` or ``(N, H, W, 1)``, ``y_true`` and ``y_pred`` ``(N,)``
    integer labels, ``probabilities`` ``(N, K)`` (optional: the model's output).
    Shows up to ``count`` images with ``y_true != y_pred``, titled "true -> predicted";
    with probabilities, the most confident mistakes come first and each title adds the
    probability given to the wrong answer. Returns the figure.
    """
    images = _ch11_images(images)
    n = len(images)
    y_true = _ch11_labels(y_true, "y_true", n)
    y_pred = _ch11_labels(y_pred, "y_pred", n)
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
    (chapter 11); return the figure.

    ``images`` ``(N, H, W)`` or ``(N, H, W, 1)``; ``feature_maps`` a list with one
    ``(N, h, w, C)`` array per block (e.g. each block's pooled output);
    ``probabilities`` ``(N, K)``; ``labels`` ``(N,)`` true labels (optional).
    Top row: image ``index`` and a bar chart of its K probabilities (the predicted
    class in vermillion, the true one outlined). Then each block's C maps, ``ncols``
    per row, on one colour scale per block so channels compare.
    """
    images = _ch11_images(images)
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
        labels = _ch11_labels(labels, "labels", n)
    index = as_number(index, "index", integer=True, minimum=0, maximum=n - 1)
    ncols = as_number(ncols, "ncols", integer=True, minimum=2)
    rows = [int(np.ceil(fm.shape[3] / ncols)) for fm in maps]
    fig = plt.figure(figsize=(1.1 * ncols, 2.2 + 1.15 * sum(rows)))
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
            ax.set_xticks([])
            ax.set_yticks([])
            ax.grid(False)
            ax.set_title(f"{c}", fontsize=7, pad=2)
            if c == 0:
                h, w, depth = block.shape
                ax.set_ylabel(f"block {b + 1}\n{h}×{w}×{depth}", fontsize=8)
        row += rows[b]
    fig.subplots_adjust(
        hspace=0.45, wspace=0.15, left=0.08, right=0.98, top=0.94, bottom=0.03
    )
    return fig


# --- chapter 8: batch normalization in practice ---

#: Line colours and labels of the two networks chapter 8 compares.
CH08_NETWORKS = {
    "plain": ("without BN", OKABE_ITO["orange"]),
    "bn": ("with BN", OKABE_ITO["blue"]),
}


def _ch08_result(value, cls_name: str, name: str):
    """Check that ``value`` is the ``cls_name`` result of convbn.experiments."""
    from . import experiments

    cls = getattr(experiments, cls_name)
    if not isinstance(value, cls):
        raise TypeError(
            f"{name} must be a convbn.experiments.{cls_name} (what the experiment "
            f"returns), got {type(value).__name__}"
        )
    return value


def plot_figure1(result, unit: int | None = None):
    """Figure 1 of Ioffe & Szegedy (2015), from an MNIST experiment's result.

    Introduced in chapter 8. ``result`` is what
    :func:`convbn.experiments.mnist_experiment` returned. Three panels: (a) test
    accuracy against training steps, without and with BN; (b, c) the 15th, 50th and
    85th percentiles of the input to sigmoid ``unit`` (0-99) of the last hidden
    layer over training, without BN and with BN, on a shared vertical axis (the band
    is the 15th-85th range, the line the median). ``unit=None`` shows
    ``result.unit``. Returns the figure.
    """
    result = _ch08_result(result, "Figure1Result", "result")
    n_units = result.percentiles["plain"].shape[-1]
    unit = result.unit if unit is None else unit
    unit = as_number(unit, "unit", integer=True, minimum=0, maximum=n_units - 1)
    steps = result.steps
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    for name, (label, color) in CH08_NETWORKS.items():
        axes[0].plot(steps, result.accuracy[name], color=color, label=label)
    axes[0].set(
        xlabel="training steps",
        ylabel="test accuracy",
        ylim=(0.0, 1.0),
        title="(a) test accuracy",
    )
    axes[0].legend(loc="lower right")
    lows, highs = [], []
    for ax, (name, (label, color)), letter in zip(
        axes[1:], CH08_NETWORKS.items(), "bc", strict=True
    ):
        p15, p50, p85 = result.percentiles[name][:, :, unit].T
        ax.fill_between(
            steps, p15, p85, color=color, alpha=0.25, lw=0, label="15th-85th percentile"
        )
        ax.plot(steps, p50, color=color, label="median")
        ax.plot(steps, p15, color=color, lw=0.8)
        ax.plot(steps, p85, color=color, lw=0.8)
        ax.set(xlabel="training steps", title=f"({letter}) {label}")
        lows.append(p15.min())
        highs.append(p85.max())
        ax.legend(loc="lower right")
    axes[1].set_ylabel(f"input to sigmoid {unit}")
    pad = 0.05 * (max(highs) - min(lows) or 1.0)
    for ax in axes[1:]:
        ax.set_ylim(min(lows) - pad, max(highs) + pad)
    fig.tight_layout()
    return fig


def _ch08_smooth(values, window: int = 10):
    """Running mean over ``window`` steps (shorter at the start); NaN/inf kept."""
    values = np.asarray(values, dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    out = np.empty_like(finite)
    for i in range(len(finite)):
        out[i] = np.mean(finite[max(0, i - window + 1) : i + 1])
    return out


def plot_learning_rate_sweep(sweep, learning_rate: float | None = None):
    """The learning-rate sweep of :func:`convbn.experiments.learning_rate_sweep`.

    Introduced in chapter 8. Left: validation accuracy after training against the
    learning rate (log scale), without and with BN, with the threshold above which a
    run counts as training and the chance level 0.1. Right: the training loss (running
    mean over 10 steps) at ``learning_rate`` (one of ``sweep.learning_rates``; by
    default the first rate at which only the BN network trains, else the largest).
    Returns the figure.
    """
    sweep = _ch08_result(sweep, "LearningRateSweep", "sweep")
    rates = np.asarray(sweep.learning_rates, dtype=float)
    if learning_rate is None:
        only_bn = np.flatnonzero(sweep.trains("bn") & ~sweep.trains("plain"))
        index = int(only_bn[0]) if only_bn.size else len(rates) - 1
    else:
        learning_rate = as_number(learning_rate, "learning_rate", positive=True)
        matches = np.flatnonzero(np.isclose(rates, learning_rate, rtol=1e-9))
        if matches.size == 0:
            listed = ", ".join(f"{r:g}" for r in rates)
            raise ValueError(
                f"learning_rate must be one of the sweep's rates ({listed}), got "
                f"{learning_rate:g}"
            )
        index = int(matches[0])
    fig, (left, right) = plt.subplots(1, 2, figsize=(9.5, 3.3))
    for name, (label, color) in CH08_NETWORKS.items():
        left.semilogx(rates, sweep.val_accuracy[name], "o-", color=color, label=label)
        outcome = sweep.outcome(name, index)
        right.plot(
            _ch08_smooth(sweep.loss[name][index]),
            color=color,
            label=f"{label}: {outcome}",
        )
    left.axhline(
        sweep.threshold,
        color="gray",
        ls="--",
        lw=1,
        label=f"threshold {sweep.threshold:g}",
    )
    left.axhline(0.1, color="gray", ls=":", lw=1, label="chance")
    left.axvline(rates[index], color="black", lw=0.8)
    left.set(
        xlabel="learning rate",
        ylabel="validation accuracy",
        ylim=(0.0, 1.0),
        title=f"after {sweep.config.get('steps', '?')} SGD steps",
    )
    left.legend(loc="lower left")
    right.axhline(np.log(10), color="gray", ls=":", lw=1, label="ln 10 (guessing)")
    right.set(
        xlabel="training step",
        ylabel="training loss",
        title=f"learning rate {rates[index]:g}",
    )
    curves = np.concatenate([_ch08_smooth(sweep.loss[n][index]) for n in CH08_NETWORKS])
    finite = curves[np.isfinite(curves)]
    top = float(finite.max()) if finite.size else 10.0
    right.set_ylim(0.0, max(2.5, min(top * 1.05, 10.0)))
    right.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_claims(timing, dropout, regularizer):
    """Claims (ii)-(iv) of chapter 8 as three bar charts; returns the figure.

    Introduced in chapter 8. Left: milliseconds per training step without and with
    BN (:func:`convbn.experiments.step_time`, median over the repeats). Middle:
    training and validation accuracy of the BN network with and without dropout
    (:func:`convbn.experiments.dropout_experiment`). Right: training and validation
    accuracy without and with BN on the small training set
    (:func:`convbn.experiments.regularizer_experiment`).
    """
    timing = _ch08_result(timing, "StepTime", "timing")
    dropout = _ch08_result(dropout, "DropoutResult", "dropout")
    regularizer = _ch08_result(regularizer, "RegularizerResult", "regularizer")
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    names = list(CH08_NETWORKS)
    ms = [1000 * float(np.median(timing.seconds[n])) for n in names]
    axes[0].bar(
        [CH08_NETWORKS[n][0] for n in names],
        ms,
        color=[CH08_NETWORKS[n][1] for n in names],
    )
    axes[0].set(
        ylabel="ms per training step", title=f"(ii) cost: x{timing.ratio:.2f} with BN"
    )

    def grouped(ax, keys, labels, train, val, title):
        pos = np.arange(len(keys))
        ax.bar(
            pos - 0.2,
            [train[k] for k in keys],
            0.4,
            label="training",
            color=OKABE_ITO["sky"],
        )
        ax.bar(
            pos + 0.2,
            [val[k] for k in keys],
            0.4,
            label="validation",
            color=OKABE_ITO["vermillion"],
        )
        ax.set_xticks(pos, labels)
        low = min(min(train.values()), min(val.values()))
        ax.set(ylabel="accuracy", ylim=(max(0.0, low - 0.1), 1.08), title=title)
        ax.set_yticks([t for t in ax.get_yticks() if t <= 1.0])
        ax.legend(loc="upper center", ncols=2)

    grouped(
        axes[1],
        ["dropout", "no dropout"],
        [f"BN + Dropout({dropout.rate:g})", "BN, no dropout"],
        dropout.train_accuracy,
        dropout.val_accuracy,
        "(iii) removing dropout",
    )
    grouped(
        axes[2],
        names,
        [CH08_NETWORKS[n][0] for n in names],
        regularizer.train_accuracy,
        regularizer.val_accuracy,
        f"(iv) {regularizer.config.get('n_train', '?')} training images",
    )
    fig.tight_layout()
    return fig
