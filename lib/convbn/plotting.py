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
    "setup",
    "show_images",
    "show_matrix",
    "plot_smoothing",
    "plot_kernels",
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
