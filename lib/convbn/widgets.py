"""Interactive widgets: thin ipywidgets wrappers around :mod:`convbn.plotting`.

The convention (every chapter follows it): a widget holds no logic. It calls one plot
function with the control values and shows the figure; where a control's range comes
from the data (the steps of a correlation, the units of a result), the plotting module
that draws it says what the range is.

**Live and static.** In a kernel (JupyterLab, Binder, Colab, nbval) every factory
returns a live ``ipywidgets.interactive``. When the book is built, the Sphinx
extension ``convbn_tools.book_assets`` sets the environment variable
``CONVBN_STATIC_WIDGETS=1`` (:data:`STATIC_ENV`) before any notebook runs, so every
kernel the build starts inherits it; :func:`interact` then returns a
:class:`StaticInteractive`: the same ``interactive`` API (controls, ``kwargs``), no
comm to the kernel, and displayed as a *frame player*: the figure drawn by the same
plot function at build time over a coarse grid of control values, as lossless WebP
(PNG where Pillow lacks WebP) at :data:`FRAME_DPI` dpi, switched by native labelled
controls and a few lines of inline JavaScript, with no kernel and no network.

The grid: a menu or check box takes all its values; a slider with more than
:data:`MAX_STEPS` positions is thinned to about that many, evenly spaced, always
with its ends and its default (a factory may pass its own ``static_values``, such as
the powers of two of a batch size); a multiple selection offers its default and each
option alone. With several controls the player varies **one control at a time from
the defaults** (a few tens of states, not the product of the grids): moving one
control puts the others back to their defaults, and the player's caption says so.

Why a player of our own: ``matplotlib.animation.Animation.to_jshtml`` has a single
control (a frame slider with play buttons) and re-encodes every frame as PNG, and
HoloViews' ``HoloMap`` would add a large dependency (HoloViews, Panel, Bokeh's
JavaScript) for what is a ``<select>``, an ``<input type="range">`` and an ``<img>``
per frame. The player is about 2 KB of HTML and script around the frames, its
controls are native (keyboard operable, named by their ``<label>``), and it takes its
colours from the book's theme, light or dark.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import io
import os
import pickle
from pathlib import Path

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
from matplotlib.figure import Figure
from PIL import features

from . import plotting
from ._player import control_grid, one_at_a_time, player_html
from ._validation import as_callable
from .convolution import KERNELS, MODES
from .losses import LOSSES
from .plotting.batchnorm import _figure1_units, _sweep_rates
from .plotting.convolution import _correlation_steps
from .pooling import KINDS, PADDINGS

__all__ = [
    "STYLE",
    "STATIC_ENV",
    "FRAME_DPI",
    "MAX_STEPS",
    "PLAYER_DATA_ENV",
    "redraw",
    "interact",
    "static_mode",
    "StaticInteractive",
    "smoothing_widget",
    "convolution_explorer",
    "correlation_stepper",
    "receptive_field_widget",
    "equivariance_widget",
    "pooling_widget",
    "layer_geometry_widget",
    "batchnorm_widget",
    "dropout_widget",
    "loss_widget",
    "optimizer_widget",
    "cnn_feature_maps_widget",
    "figure1_widget",
    "learning_rate_widget",
    "batch_statistics_widget",
]


#: Control labels as wide as their text (the ipywidgets default cuts them off).
STYLE = {"description_width": "initial"}


#: The environment variable that switches :func:`interact` to static players.
STATIC_ENV = "CONVBN_STATIC_WIDGETS"
#: Resolution of the static players' frames (the notebook column is ~800 px wide).
FRAME_DPI = 90
#: A slider with more positions than this is thinned to about this many.
MAX_STEPS = 13
#: The environment variable naming the folder where a static player whose plot has
#: data bound to it (a result, histories, feature maps, none of them in the page)
#: stores that data and its states (if it is set), ``<uid>.pickle``, for a test
#: that redraws its frames (:func:`redraw`) after the build.
#: ``convbn_tools.book_assets`` sets it to ``_build/players``.
PLAYER_DATA_ENV = "CONVBN_PLAYER_DATA"


def redraw(record: dict, state: str) -> Figure:
    """The figure of ``state`` (``"i,j,..."``, grid indices) of a player's record
    (:data:`PLAYER_DATA_ENV`), drawn afresh by its plot function with its data."""
    function = getattr(plotting, record["function"])
    return function(*record["args"], **record["fixed"], **record["kwargs"][state])


def static_mode() -> bool:
    """True when widgets are drawn as static players (``CONVBN_STATIC_WIDGETS=1``)."""
    return os.environ.get(STATIC_ENV, "").strip().lower() in ("1", "true", "yes")


def interact(plot_fn, static_values=None, **controls) -> ipw.interactive:
    """Return an ``ipywidgets.interactive`` that redraws ``plot_fn(**values)``.

    ``controls`` maps each keyword argument of ``plot_fn`` to an ipywidgets control
    (or anything ``ipywidgets.interactive`` accepts). The figure the plot function
    returns is shown and closed on every change.

    In static mode (:func:`static_mode`, set by the book build) the result is a
    :class:`StaticInteractive` shown as a frame player over a coarse grid of the
    controls' values; ``static_values`` (or None) maps a control's keyword to the
    values its grid takes instead of the automatic thinning (each within the
    control's range; its default is added).
    """
    as_callable(plot_fn, "plot_fn")
    if static_values is not None and not isinstance(static_values, dict):
        raise TypeError(
            "static_values must be a dict mapping control names to values or None, "
            f"got {type(static_values).__name__}"
        )
    unknown = sorted(set(static_values or {}) - set(controls))
    if unknown:
        raise ValueError(
            f"static_values names no control: {', '.join(unknown)} "
            f"(the controls are {', '.join(controls) or 'none'})"
        )

    def draw(**values):
        plot_fn(**values)
        plt.show()

    draw.__name__ = getattr(plot_fn, "__name__", "draw")
    if not static_mode():
        widget = ipw.interactive(draw, **controls)
        widget.layout = ipw.Layout(width="100%")
        return widget
    with _no_comms():
        widget = StaticInteractive(
            draw, plot_fn=plot_fn, static_values=static_values, **controls
        )
        widget.layout = ipw.Layout(width="100%")
    return widget


@contextlib.contextmanager
def _no_comms():
    """Widgets made inside talk to no frontend: the kernel keeps no state for them,
    so the built page embeds no widget state and loads no widget manager for them.

    ``comm`` is imported here, in the book build only: Colab keeps its ipywidgets 7,
    which does not bring it."""
    import comm

    create = comm.create_comm
    comm.create_comm = comm.DummyComm
    try:
        yield
    finally:
        comm.create_comm = create


def _encode(fig: Figure) -> bytes:
    """The frame's image bytes: lossless WebP (PNG if Pillow lacks WebP)."""
    buffer = io.BytesIO()
    if features.check("webp"):
        fig.savefig(
            buffer,
            format="webp",
            dpi=FRAME_DPI,
            # Lossless; quality and method are effort: 50 and 2 cost a third of the
            # time of the defaults for frames within 2 % of their size.
            pil_kwargs={"lossless": True, "quality": 50, "method": 2},
        )
    else:
        fig.savefig(buffer, format="png", dpi=FRAME_DPI)
    return buffer.getvalue()


def _mime(data: bytes) -> str:
    return "image/webp" if data[8:12] == b"WEBP" else "image/png"


def _titles(fig: Figure) -> str:
    texts = [fig._suptitle.get_text()] if fig._suptitle is not None else []
    texts += [
        ax.get_title(loc) for ax in fig.axes for loc in ("left", "center", "right")
    ]
    return "; ".join(t.replace("\n", " ") for t in texts if t)


def _jsonable(value):
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, tuple):
        return list(value)
    return value


class StaticInteractive(ipw.interactive):
    """An ``ipywidgets.interactive`` shown as a frame player of precomputed figures.

    Made by :func:`interact` in static mode. It has the controls, ``kwargs`` and
    ``children`` of a live ``interactive``, but it never draws into its output and
    opens no comm; its display (``_repr_mimebundle_``) is the player's HTML. The
    grid and the frames are computed once, on first use: ``grid`` (one dict per
    control), ``states`` (each state, a tuple of grid indices, to its frame) and
    ``frames`` (image bytes, alt text, the plot function's keyword values).
    :meth:`plan` lists the states without drawing, and :meth:`figure` draws one, as
    the frame does (tests check every state's figure this way, without encoding).
    """

    def __init__(self, draw, *, plot_fn, static_values=None, **controls):
        self._plot_fn = plot_fn
        self._static_values = dict(static_values or {})
        self._player = self._planned = None
        super().__init__(draw, **controls)

    def update(self, *args):
        """Record the controls' values; draw nothing (the frames are precomputed)."""
        self.kwargs = {w._kwarg: w.get_interact_value() for w in self.kwargs_widgets}

    def _plan(self):
        """(fixed keyword values, the grid, each state to its keyword values)."""
        if self._planned is not None:
            return self._planned
        fixed, controls = {}, []
        for widget in self.kwargs_widgets:
            if isinstance(widget, ipw.fixed):
                fixed[widget._kwarg] = widget.value
                continue
            kind, values, labels, default = control_grid(
                widget, self._static_values.get(widget._kwarg), MAX_STEPS
            )
            controls.append(
                {
                    "name": widget._kwarg,
                    "description": widget.description or widget._kwarg,
                    "kind": kind,
                    "values": values,
                    "labels": labels,
                    "default": default,
                }
            )
        keys = one_at_a_time(
            tuple(c["default"] for c in controls), [len(c["values"]) for c in controls]
        )
        called = {
            key: {c["name"]: c["values"][i] for c, i in zip(controls, key, strict=True)}
            for key in keys
        }
        self._planned = fixed, controls, called
        return self._planned

    def plan(self) -> dict[tuple[int, ...], dict]:
        """Each state the player will show (one grid index per control) to the plot
        function's keyword values there, in the order the frames are drawn; nothing
        is drawn."""
        return dict(self._plan()[2])

    def figure(self, key: tuple[int, ...]) -> Figure:
        """The figure the plot function draws for state ``key`` (a key of
        :meth:`plan`): what the player's frame shows. The caller closes it."""
        fixed, _, called = self._plan()
        result = self._plot_fn(**fixed, **called[key])
        return result if isinstance(result, Figure) else plt.gcf()

    def _build(self):
        if self._player is not None:
            return self._player
        fixed, controls, called = self._plan()
        name = getattr(self._plot_fn, "__name__", "the plot function")
        states, frames, seen = {}, [], {}
        for key, values in called.items():
            fig = self.figure(key)
            data = _encode(fig)
            titles = _titles(fig)
            plt.close(fig)
            shown = {
                c["description"]: c["labels"][i]
                for c, i in zip(controls, key, strict=True)
            }
            digest = hashlib.sha256(data).hexdigest()
            if digest in seen:  # e.g. a stride past the window: the same figure
                states[key] = seen[digest]
                continue
            seen[digest] = states[key] = len(frames)
            setting = ", ".join(f"{k} {v}" for k, v in shown.items())
            alt = f"Figure drawn by {name} with {setting}" + (
                f": {titles}" if titles else ""
            )
            frames.append(
                {
                    "data": data,
                    "uri": f"data:{_mime(data)};base64,"
                    + base64.b64encode(data).decode("ascii"),
                    "alt": alt,
                    "state": ",".join(map(str, key)),
                    "values": shown,
                    "kwargs": values,
                }
            )
        self._player = {
            "controls": controls,
            "states": states,
            "frames": frames,
            "fixed": fixed,
            "kwargs": called,
            "uid": "convbn-player-"
            + hashlib.sha256(
                (name + "".join(f["state"] for f in frames)).encode()
                + b"".join(hashlib.sha256(f["data"]).digest() for f in frames)
            ).hexdigest()[:12],
        }
        return self._player

    @property
    def grid(self) -> list[dict]:
        """The grid, one dict per control with ``name``, ``description``, ``kind``,
        ``values``, ``labels`` and ``default`` (an index into ``values``)."""
        return self._plan()[1]

    @property
    def states(self) -> dict[tuple[int, ...], int]:
        """Each precomputed state (one grid index per control) to its frame."""
        return self._build()["states"]

    @property
    def frames(self) -> list[dict]:
        """The distinct frames, each a dict with ``data`` (image bytes), ``alt``,
        ``state``, ``values`` (shown per control) and ``kwargs`` (the plot function's
        keyword values)."""
        return self._build()["frames"]

    def caption(self) -> str:
        player = self._build()
        count, name = len(player["frames"]), self._plot_fn.__name__
        text = (
            f"Static version of the widget: {count} figures drawn by {name} when "
            "the book was built; the controls switch between them, with no Python "
            "running. "
        )
        if len(player["controls"]) > 1:
            text += (
                "One control varies at a time: changing one puts the others back "
                "to their defaults. "
            )
        return text + "Open the notebook (Binder, Colab) for the live widget."

    def _record(self, player) -> None:
        """With :data:`PLAYER_DATA_ENV` set, store what a test needs to redraw the
        frames of a plot with data bound to it (see :func:`redraw`)."""
        folder = os.environ.get(PLAYER_DATA_ENV, "").strip()
        plot_fn = self._plot_fn
        args = plot_fn.args if isinstance(plot_fn, functools.partial) else ()
        function = getattr(plot_fn, "func", plot_fn)
        if not folder or getattr(plotting, plot_fn.__name__, None) is not function:
            return
        record = {
            "uid": player["uid"],
            "function": plot_fn.__name__,
            "args": args,
            "fixed": player["fixed"],
            "kwargs": {",".join(map(str, k)): v for k, v in player["kwargs"].items()},
        }
        path = Path(folder) / f"{player['uid']}.pickle"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(pickle.dumps(record))

    def to_html(self) -> str:
        """The frame player's self-contained HTML."""
        player = self._build()
        plot = None
        scalars = all(
            v is None or isinstance(v, str | int | float)
            for v in player["fixed"].values()
        )
        # A plot of convbn.plotting whose arguments all show in the page: a test can
        # redraw any frame from the manifest. Data bound to the plot is not there:
        # the player records it outside the page (PLAYER_DATA_ENV).
        plain = getattr(plotting, self._plot_fn.__name__, None) is self._plot_fn
        if scalars and plain:
            plot = {
                "function": self._plot_fn.__name__,
                "fixed": player["fixed"],
                "kwargs": {
                    ",".join(map(str, key)): {k: _jsonable(v) for k, v in kw.items()}
                    for key, kw in player["kwargs"].items()
                },
            }
        else:
            self._record(player)
        return player_html(
            player["uid"],
            player["controls"],
            player["states"],
            player["frames"],
            self.caption(),
            plot,
        )

    def _repr_mimebundle_(self, include=None, exclude=None, **kwargs):
        name = getattr(self._plot_fn, "__name__", "plot")
        return {
            "text/plain": f"<static player of {name}: {len(self.frames)} frames>",
            "text/html": self.to_html(),
        }


# --- the controls: the book's label style; sliders redraw when released ---


def _control(kind, description: str, **options):
    if static_mode():  # made before interact: no comm either (see _no_comms)
        with _no_comms():
            return kind(description=description, style=STYLE, **options)
    return kind(description=description, style=STYLE, **options)


def _slider(
    value,
    low,
    high,
    step,
    description,
    kind=ipw.FloatSlider,
    continuous_update=False,
    **options,
):
    return _control(
        kind,
        description,
        value=value,
        min=low,
        max=high,
        step=step,
        continuous_update=continuous_update,
        **options,
    )


def _int_slider(value, low, high, description, continuous_update=False):
    return _slider(value, low, high, 1, description, ipw.IntSlider, continuous_update)


def _dropdown(options, value, description):
    return _control(ipw.Dropdown, description, options=list(options), value=value)


def _checkbox(value, description):
    return _control(ipw.Checkbox, description, value=value)


def _bound(plot_fn, *data):
    """``plot_fn`` with its leading arguments bound to ``data``, set by no control."""
    plot = functools.partial(plot_fn, *data)
    plot.__name__ = plot_fn.__name__
    return plot


# --- chapter 1: continuous convolution ---


def smoothing_widget() -> ipw.interactive:
    """Chapter 1: kernel shape and width over the spaceship's noisy track.

    Wraps :func:`convbn.plotting.plot_smoothing`.
    """
    return interact(
        plotting.plot_smoothing,
        kind=_dropdown(KERNELS, "exponential", "kernel"),
        width=_slider(1.0, 0.1, 5.0, 0.1, "width (s)"),
    )


# --- chapter 2: discrete convolution ---


def convolution_explorer() -> ipw.interactive:
    """Chapter 2: kernel, padding mode, stride and photograph of a 2-D convolution.

    Wraps :func:`convbn.plotting.plot_convolution_explorer`.
    """
    photographs = ("camera", "coins", "chelsea", "brick", "text")
    return interact(
        plotting.plot_convolution_explorer,
        kernel=_dropdown(plotting.EXPLORER_KERNELS, "box", "kernel"),
        mode=_dropdown(MODES, "valid", "mode"),
        stride=_int_slider(1, 1, 8, "stride"),
        image=_dropdown(photographs, "camera", "photograph"),
    )


# --- chapter 3: cross-correlation ---


def correlation_stepper(image=None, kernel=None) -> ipw.interactive:
    """Chapter 3: step the kernel over the image, one output entry per step.

    Wraps :func:`convbn.plotting.plot_correlation_step`; the slider runs over the
    output positions (0 to 8 for the slides' 5 x 5 image and 3 x 3 kernel, the
    defaults) and redraws while it moves.
    """
    last = _correlation_steps(image, kernel) - 1
    return interact(
        plotting.plot_correlation_step,
        step=_int_slider(0, 0, last, "step", continuous_update=True),
        image=ipw.fixed(image),
        kernel=ipw.fixed(kernel),
    )


# --- chapter 4: sparse interactions and parameter sharing ---


def receptive_field_widget() -> ipw.interactive:
    """Chapter 4: kernel width, depth and stride against the receptive field.

    Wraps :func:`convbn.plotting.plot_receptive_field`.
    """
    return interact(
        plotting.plot_receptive_field,
        k=_int_slider(3, 1, 7, "kernel width k"),
        depth=_int_slider(3, 1, 5, "depth d"),
        stride=_int_slider(1, 1, 2, "stride s"),
    )


# --- chapter 5: equivariance ---


def equivariance_widget() -> ipw.interactive:
    """Chapter 5: move a photograph and watch its feature map move with it.

    Wraps :func:`convbn.plotting.plot_equivariance`: an integer slider for the shift
    (pixels to the right, negative to the left) and menus for the photograph, the
    kernel and the boundary handling.
    """
    photographs = ("camera", "coins", "chelsea", "brick")
    return interact(
        plotting.plot_equivariance,
        shift=_int_slider(20, -60, 60, "shift (pixels)"),
        image=_dropdown(photographs, "camera", "photograph"),
        kernel=_dropdown(plotting.EQUIVARIANCE_KERNELS, "edge", "kernel"),
        boundary=_dropdown(plotting.EQUIVARIANCE_BOUNDARIES, "zero", "boundary"),
    )


# --- chapter 6: pooling and the convolutional layer ---


def pooling_widget() -> ipw.interactive:
    """Chapter 6: pooling statistic, window size, stride and padding on a feature map.

    Wraps :func:`convbn.plotting.plot_pooling`: menus for the kind (max, average, L2,
    weighted), the padding and the photograph, integer sliders for the window size
    and the stride.
    """
    photographs = ("coins", "camera", "chelsea", "brick")
    return interact(
        plotting.plot_pooling,
        kind=_dropdown(KINDS, "max", "kind"),
        size=_int_slider(3, 1, 8, "size"),
        stride=_int_slider(3, 1, 8, "stride"),
        padding=_dropdown(PADDINGS, "valid", "padding"),
        image=_dropdown(photographs, "coins", "photograph"),
    )


# --- chapter 7: the convolutional layer in full ---


def layer_geometry_widget() -> ipw.interactive:
    """Chapter 7: kernel size, stride and dilation of a convolutional layer.

    Wraps :func:`convbn.plotting.plot_layer_geometry`: integer sliders for the kernel
    size (1 to 5), the stride (1 to 4) and the dilation (1 to 3); the plot shows
    where two neighbouring outputs read and the transposed convolution's overlaps.
    """
    return interact(
        plotting.plot_layer_geometry,
        kernel_size=_int_slider(3, 1, 5, "kernel size"),
        stride=_int_slider(2, 1, 4, "stride"),
        dilation=_int_slider(1, 1, 3, "dilation"),
    )


# --- chapter 8: internal covariate shift and the batch-normalizing transform ---


def batchnorm_widget() -> ipw.interactive:
    """Chapter 8: batch size, gamma, beta and eps of the batch-normalizing transform.

    Wraps :func:`convbn.plotting.plot_batchnorm_distribution`: an integer slider for
    the mini-batch size, sliders for gamma and beta and a logarithmic slider for eps.
    The static player takes the batch sizes 2, 4, ..., 512 and eps at each power of
    ten.
    """
    return interact(
        plotting.plot_batchnorm_distribution,
        static_values={
            "batch_size": [2**i for i in range(1, 10)],
            "eps": [10.0**e for e in range(-5, 3)],
        },
        batch_size=_int_slider(64, 2, 512, "batch size m"),
        gamma=_slider(1.0, -3.0, 3.0, 0.1, "γ (scale)"),
        beta=_slider(0.0, -3.0, 3.0, 0.1, "β (shift)"),
        eps=_slider(
            1e-3, -5, 2, 0.25, "ε", ipw.FloatLogSlider, base=10, readout_format=".1e"
        ),
    )


# --- chapter 9: batch normalization in practice ---


def figure1_widget(result) -> ipw.interactive:
    """Chapter 9: browse the 100 last-layer sigmoids of the MNIST experiment.

    Wraps :func:`convbn.plotting.plot_figure1` for ``result`` (what
    :func:`convbn.experiments.mnist_experiment` returned; nothing is retrained): an
    integer slider picks the sigmoid whose input's percentiles panels (b) and (c)
    show.
    """
    n_units, unit = _figure1_units(result)
    return interact(
        _bound(plotting.plot_figure1, result),
        unit=_int_slider(unit, 0, n_units - 1, "sigmoid unit"),
    )


def learning_rate_widget(sweep) -> ipw.interactive:
    """Chapter 9: the training loss of both networks at each rate of a sweep.

    Wraps :func:`convbn.plotting.plot_learning_rate_sweep` for ``sweep`` (what
    :func:`convbn.experiments.learning_rate_sweep` returned; nothing is retrained):
    a selection slider over the sweep's learning rates, starting where the plot
    does by default.
    """
    rates, start = _sweep_rates(sweep)
    return interact(
        _bound(plotting.plot_learning_rate_sweep, sweep),
        learning_rate=_control(
            ipw.SelectionSlider,
            "learning rate",
            options=[(f"{r:g}", r) for r in rates],
            value=rates[start],
            continuous_update=False,
        ),
    )


# --- chapter 10: Keras models ---


def dropout_widget() -> ipw.interactive:
    """Chapter 10: Dropout's rate, noise_shape and seed on a small array.

    Wraps :func:`convbn.plotting.plot_dropout`: a slider for the rate (0 to 0.9), a
    menu for the noise shape (elementwise, whole rows, whole columns) and an integer
    slider for the seed.
    """
    return interact(
        plotting.plot_dropout,
        rate=_slider(0.5, 0.0, 0.9, 0.05, "rate"),
        noise_shape=_dropdown(
            plotting.DROPOUT_NOISE_SHAPES, "elementwise", "noise_shape"
        ),
        seed=_int_slider(0, 0, 20, "seed"),
    )


# --- chapter 11: compiling: losses and optimizers ---


def loss_widget() -> ipw.interactive:
    """Chapter 11: pick a loss, see it and its derivative against the prediction.

    Wraps :func:`convbn.plotting.plot_loss_and_gradient`: a menu of the 14 losses and
    a slider for the true value of the regression losses.
    """
    return interact(
        plotting.plot_loss_and_gradient,
        loss=_dropdown(LOSSES, "mean_squared_error", "loss"),
        target=_slider(1.0, 0.2, 3.0, 0.1, "true value (regression losses)"),
    )


def optimizer_widget(histories) -> ipw.interactive:
    """Chapter 11: choose which optimizers' loss curves to overlay.

    ``histories`` maps optimizer labels to per-epoch training losses (trained once in
    the notebook). Wraps :func:`convbn.plotting.plot_optimizer_curves`: a multiple
    selection of the labels and a check box for the logarithmic axis.
    """
    labels = tuple(histories)
    return interact(
        plotting.plot_optimizer_curves,
        histories=ipw.fixed(histories),
        names=_control(
            ipw.SelectMultiple,
            "optimizers",
            options=labels,
            value=labels,
            rows=min(len(labels), 9),
        ),
        log=_checkbox(True, "log scale"),
    )


# --- chapter 12: a convolutional network in Keras, end to end ---


def cnn_feature_maps_widget(images, feature_maps, probabilities, labels=None):
    """Chapter 12: step through images and see each block's feature maps.

    Wraps :func:`convbn.plotting.plot_cnn_feature_maps` with the data bound and an
    integer slider for ``index`` (0 to N - 1). Pass, e.g., the misclassified test
    images to step through the mistakes.
    """
    plot = _bound(
        plotting.plot_cnn_feature_maps, images, feature_maps, probabilities, labels
    )
    return interact(plot, index=_int_slider(0, 0, max(len(images) - 1, 0), "image"))


def batch_statistics_widget() -> ipw.interactive:
    """Chapter 9: batch size against BN's and group normalization's statistics.

    Wraps :func:`convbn.plotting.plot_batch_statistics`: a slider picks the batch
    size (2 to 64, in powers of 2).
    """
    return interact(
        plotting.plot_batch_statistics,
        batch_size=_control(
            ipw.SelectionSlider,
            "batch size",
            options=[2, 4, 8, 16, 32, 64],
            value=8,
            continuous_update=False,
        ),
    )
