"""The book's figure style and the drawing helpers every part shares.

Style choices (see :func:`setup`): the Okabe-Ito palette for lines (distinguishable
with every common colour-vision deficiency), ``cividis`` for matrices (perceptually
uniform and colour-blind safe), ``gray`` for photographs, an opaque white figure
background so figures stay readable on the book's dark theme, SVG output in notebooks.

The public names are re-exported by :mod:`convbn.plotting`, whose ``__init__.py``
documents the constants (the API page reads their comments there).
"""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np

from .._validation import as_choice, as_float_array, as_number
from ..datasets import SAMPLE_IMAGES, sample_image

__all__ = [
    "OKABE_ITO",
    "COLORS",
    "MATRIX_CMAP",
    "STYLE",
    "setup",
    "show_images",
    "show_matrix",
]

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
COLORS = [
    OKABE_ITO[k]
    for k in ("blue", "orange", "green", "vermillion", "purple", "sky", "black")
]
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

    Introduced in chapter 4. ``images`` is a sequence of 2-D arrays or an
    ``(N, H, W)`` array; ``titles`` one string per image. Photographs use ``gray``; pass
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

    Introduced in chapter 2 (convolution matrices; the figures of chapter 3's 5 x 5
    worked example are drawn with it).
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
    for (i, j), v in np.ndenumerate(values):
        ax.text(
            j,
            i,
            fmt.format(v),
            ha="center",
            va="center",
            color="white" if _is_dark(image, v) else "black",
            fontsize=10,
        )
    ax.set_xticks(np.arange(values.shape[1]))
    ax.set_yticks(np.arange(values.shape[0]))
    ax.tick_params(length=0, labelsize=8)
    ax.grid(False)
    _hide_spines(ax)
    if highlight is not None:
        row, col, height, width = highlight
        _outline(ax, (col - 0.5, row - 0.5), width, height, lw=2.5)
    if title:
        ax.set_title(title)
    return fig


# --- helpers shared by the part modules ---


def _is_dark(image, value) -> bool:
    """Whether ``value`` is drawn dark in ``image`` (relative luminance below 0.5)."""
    r, g, b, _ = image.cmap(image.norm(value))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b < 0.5


def _hide_spines(ax) -> None:
    for spine in ax.spines.values():
        spine.set_visible(False)


def _hide_ticks(ax) -> None:
    """No ticks and no grid: for images and matrices without coordinates."""
    ax.set_xticks([])
    ax.set_yticks([])
    ax.grid(False)


def _outline(ax, corner, width, height, colour=OKABE_ITO["vermillion"], lw=2.0):
    """Outline the rectangle of ``width`` x ``height`` data units from ``corner``."""
    ax.add_patch(
        mpl.patches.Rectangle(corner, width, height, fill=False, lw=lw, ec=colour)
    )


def _photograph(image: str) -> np.ndarray:
    """The photograph ``image`` (:func:`convbn.datasets.sample_image`), halved by
    keeping every second pixel until no side exceeds 256 pixels (fast widgets)."""
    image = as_choice(image, "image", SAMPLE_IMAGES)
    x = sample_image(image)
    while max(x.shape) > 256:
        x = x[::2, ::2]
    return x
