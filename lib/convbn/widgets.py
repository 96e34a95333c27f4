"""Interactive widgets: thin ipywidgets wrappers around :mod:`convbn.plotting`.

The convention (every chapter follows it): a widget holds no logic. It calls one plot
function with the control values and shows the figure; where a control's range comes
from the data (the steps of a correlation, the units of a result), the plotting module
that draws it says what the range is. The notebook also calls the same plot function
once with its defaults, so the HTML book shows a static figure; the widget's state is
embedded when the book executes the notebook.
"""

from __future__ import annotations

import functools

import ipywidgets as ipw
import matplotlib.pyplot as plt

from . import plotting
from ._validation import as_callable
from .convolution import KERNELS, MODES
from .losses import LOSSES
from .plotting.batchnorm import _figure1_units, _sweep_rates
from .plotting.convolution import _correlation_steps
from .pooling import KINDS, PADDINGS

__all__ = [
    "STYLE",
    "interact",
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


def interact(plot_fn, **controls) -> ipw.interactive:
    """Return an ``ipywidgets.interactive`` that redraws ``plot_fn(**values)``.

    ``controls`` maps each keyword argument of ``plot_fn`` to an ipywidgets control
    (or anything ``ipywidgets.interactive`` accepts). The figure the plot function
    returns is shown and closed on every change.
    """
    as_callable(plot_fn, "plot_fn")

    def draw(**values):
        plot_fn(**values)
        plt.show()

    draw.__name__ = getattr(plot_fn, "__name__", "draw")
    widget = ipw.interactive(draw, **controls)
    widget.layout = ipw.Layout(width="100%")
    return widget


# --- the controls: the book's label style; sliders redraw when released ---


def _control(kind, description: str, **options):
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
    """
    return interact(
        plotting.plot_batchnorm_distribution,
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
