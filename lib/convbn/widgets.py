"""Interactive widgets: thin ipywidgets wrappers around :mod:`convbn.plotting`.

The convention (every chapter follows it): a widget holds no logic. It calls one plot
function with the slider values and shows the figure. The notebook also calls the same
plot function once with its defaults, so the HTML book shows a static figure; the
widget's state is embedded when the book executes the notebook.
"""

from __future__ import annotations

import ipywidgets as ipw
import matplotlib.pyplot as plt

from . import plotting
from ._validation import as_callable
from .convolution import KERNELS

__all__ = [
    "STYLE",
    "interact",
    "smoothing_widget",
    "convolution_explorer",
    "correlation_stepper",
    "receptive_field_widget",
    "equivariance_widget",
    "pooling_widget",
    "batchnorm_widget",
    "dropout_widget",
    "loss_widget",
    "optimizer_widget",
    "cnn_feature_maps_widget",
    "figure1_widget",
    "learning_rate_widget",
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


def smoothing_widget() -> ipw.interactive:
    """Chapter 1: kernel shape and width over the spaceship's noisy track.

    Wraps :func:`convbn.plotting.plot_smoothing`.
    """
    style = STYLE
    return interact(
        plotting.plot_smoothing,
        kind=ipw.Dropdown(
            options=KERNELS, value="exponential", description="kernel", style=style
        ),
        width=ipw.FloatSlider(
            value=1.0,
            min=0.1,
            max=5.0,
            step=0.1,
            description="width (s)",
            continuous_update=False,
            style=style,
        ),
    )


# --- chapter 2: discrete convolution ---


def convolution_explorer() -> ipw.interactive:
    """Chapter 2: kernel, padding mode, stride and photograph of a 2-D convolution.

    Wraps :func:`convbn.plotting.plot_convolution_explorer`.
    """
    from .convolution import MODES
    from .datasets import SAMPLE_IMAGES

    style = STYLE
    return interact(
        plotting.plot_convolution_explorer,
        kernel=ipw.Dropdown(
            options=list(plotting.EXPLORER_KERNELS),
            value="box",
            description="kernel",
            style=style,
        ),
        mode=ipw.Dropdown(
            options=list(MODES), value="valid", description="mode", style=style
        ),
        stride=ipw.IntSlider(
            value=1,
            min=1,
            max=8,
            step=1,
            description="stride",
            continuous_update=False,
            style=style,
        ),
        image=ipw.Dropdown(
            options=[
                n
                for n in ("camera", "coins", "chelsea", "brick", "text")
                if n in SAMPLE_IMAGES
            ],
            value="camera",
            description="photograph",
            style=style,
        ),
    )


# --- chapter 3: cross-correlation ---


def correlation_stepper(image=None, kernel=None) -> ipw.interactive:
    """Chapter 3: step the kernel over the image, one output entry per step.

    Wraps :func:`convbn.plotting.plot_correlation_step`; the slider runs over the
    output positions (0 to 8 for the slides' 5 x 5 image and 3 x 3 kernel, the
    defaults).
    """
    from .convolution import correlate2d

    image, kernel = plotting._correlation_inputs(image, kernel)
    last = correlate2d(image, kernel).size - 1
    return interact(
        plotting.plot_correlation_step,
        step=ipw.IntSlider(
            value=0, min=0, max=last, step=1, description="step", continuous_update=True
        ),
        image=ipw.fixed(image),
        kernel=ipw.fixed(kernel),
    )


# --- chapter 4: sparse interactions and parameter sharing ---


def receptive_field_widget() -> ipw.interactive:
    """Chapter 4: kernel width, depth and stride against the receptive field.

    Wraps :func:`convbn.plotting.plot_receptive_field`.
    """
    style = STYLE

    def slider(value, low, high, description):
        return ipw.IntSlider(
            value=value,
            min=low,
            max=high,
            step=1,
            description=description,
            continuous_update=False,
            style=style,
        )

    return interact(
        plotting.plot_receptive_field,
        k=slider(3, 1, 7, "kernel width k"),
        depth=slider(3, 1, 5, "depth d"),
        stride=slider(1, 1, 2, "stride s"),
    )


# --- chapter 5: equivariance ---


def equivariance_widget() -> ipw.interactive:
    """Chapter 5: move a photograph and watch its feature map move with it.

    Wraps :func:`convbn.plotting.plot_equivariance`: an integer slider for the shift
    (pixels to the right, negative to the left) and menus for the photograph, the
    kernel and the boundary handling.
    """
    style = STYLE
    return interact(
        plotting.plot_equivariance,
        shift=ipw.IntSlider(
            value=20,
            min=-60,
            max=60,
            step=1,
            description="shift (pixels)",
            continuous_update=False,
            style=style,
        ),
        image=ipw.Dropdown(
            options=["camera", "coins", "chelsea", "brick"],
            value="camera",
            description="photograph",
            style=style,
        ),
        kernel=ipw.Dropdown(
            options=list(plotting.EQUIVARIANCE_KERNELS),
            value="edge",
            description="kernel",
            style=style,
        ),
        boundary=ipw.Dropdown(
            options=list(plotting.EQUIVARIANCE_BOUNDARIES),
            value="zero",
            description="boundary",
            style=style,
        ),
    )


# --- chapter 6: pooling and the convolutional layer ---


def pooling_widget() -> ipw.interactive:
    """Chapter 6: pooling statistic, window size, stride and padding on a feature map.

    Wraps :func:`convbn.plotting.plot_pooling`: menus for the kind (max, average, L2,
    weighted), the padding and the photograph, integer sliders for the window size
    and the stride.
    """
    from .pooling import KINDS, PADDINGS

    style = STYLE

    def slider(value, description):
        return ipw.IntSlider(
            value=value,
            min=1,
            max=8,
            step=1,
            description=description,
            continuous_update=False,
            style=style,
        )

    return interact(
        plotting.plot_pooling,
        kind=ipw.Dropdown(options=list(KINDS), value="max", description="kind"),
        size=slider(3, "size"),
        stride=slider(3, "stride"),
        padding=ipw.Dropdown(
            options=list(PADDINGS), value="valid", description="padding"
        ),
        image=ipw.Dropdown(
            options=["coins", "camera", "chelsea", "brick"],
            value="coins",
            description="photograph",
            style=style,
        ),
    )


# --- chapter 7: internal covariate shift and the batch-normalizing transform ---


def batchnorm_widget() -> ipw.interactive:
    """Chapter 7: batch size, gamma, beta and eps of the batch-normalizing transform.

    Wraps :func:`convbn.plotting.plot_batchnorm_distribution`: an integer slider for
    the mini-batch size, sliders for gamma and beta and a logarithmic slider for eps.
    """
    style = STYLE
    common = {"continuous_update": False, "style": style}
    return interact(
        plotting.plot_batchnorm_distribution,
        batch_size=ipw.IntSlider(
            value=64, min=2, max=512, step=1, description="batch size m", **common
        ),
        gamma=ipw.FloatSlider(
            value=1.0, min=-3.0, max=3.0, step=0.1, description="γ (scale)", **common
        ),
        beta=ipw.FloatSlider(
            value=0.0, min=-3.0, max=3.0, step=0.1, description="β (shift)", **common
        ),
        eps=ipw.FloatLogSlider(
            value=1e-3,
            base=10,
            min=-5,
            max=2,
            step=0.25,
            description="ε",
            readout_format=".1e",
            **common,
        ),
    )


# --- chapter 9: Keras models ---


def dropout_widget() -> ipw.interactive:
    """Chapter 9: Dropout's rate, noise_shape and seed on a small array.

    Wraps :func:`convbn.plotting.plot_dropout`: a slider for the rate (0 to 0.9), a
    menu for the noise shape (elementwise, whole rows, whole columns) and an integer
    slider for the seed.
    """
    style = STYLE
    return interact(
        plotting.plot_dropout,
        rate=ipw.FloatSlider(
            value=0.5,
            min=0.0,
            max=0.9,
            step=0.05,
            description="rate",
            continuous_update=False,
            style=style,
        ),
        noise_shape=ipw.Dropdown(
            options=list(plotting.DROPOUT_NOISE_SHAPES),
            value="elementwise",
            description="noise_shape",
            style=style,
        ),
        seed=ipw.IntSlider(
            value=0,
            min=0,
            max=20,
            step=1,
            description="seed",
            continuous_update=False,
            style=style,
        ),
    )


# --- chapter 10: compiling: losses and optimizers ---


def loss_widget() -> ipw.interactive:
    """Chapter 10: pick a loss, see it and its derivative against the prediction.

    Wraps :func:`convbn.plotting.plot_loss_and_gradient`: a menu of the 14 losses and
    a slider for the true value of the regression losses.
    """
    from .losses import LOSSES

    style = STYLE
    return interact(
        plotting.plot_loss_and_gradient,
        loss=ipw.Dropdown(
            options=list(LOSSES),
            value="mean_squared_error",
            description="loss",
            style=style,
        ),
        target=ipw.FloatSlider(
            value=1.0,
            min=0.2,
            max=3.0,
            step=0.1,
            description="true value (regression losses)",
            continuous_update=False,
            style=style,
        ),
    )


def optimizer_widget(histories) -> ipw.interactive:
    """Chapter 10: choose which optimizers' loss curves to overlay.

    ``histories`` maps optimizer labels to per-epoch training losses (trained once in
    the notebook). Wraps :func:`convbn.plotting.plot_optimizer_curves`: a multiple
    selection of the labels and a check box for the logarithmic axis.
    """
    style = STYLE
    labels = list(histories)
    return interact(
        plotting.plot_optimizer_curves,
        histories=ipw.fixed(histories),
        names=ipw.SelectMultiple(
            options=labels,
            value=tuple(labels),
            rows=min(len(labels), 9),
            description="optimizers",
            style=style,
        ),
        log=ipw.Checkbox(value=True, description="log scale"),
    )


# --- chapter 11: a convolutional network in Keras, end to end ---


def cnn_feature_maps_widget(images, feature_maps, probabilities, labels=None):
    """Chapter 11: step through images and see each block's feature maps.

    Wraps :func:`convbn.plotting.plot_cnn_feature_maps` with the data bound and an
    integer slider for ``index`` (0 to N - 1). Pass, e.g., the misclassified test
    images to step through the mistakes.
    """
    import functools

    n = len(images)
    plot = functools.partial(
        plotting.plot_cnn_feature_maps, images, feature_maps, probabilities, labels
    )
    plot.__name__ = "plot_cnn_feature_maps"
    return interact(
        plot,
        index=ipw.IntSlider(
            value=0,
            min=0,
            max=max(n - 1, 0),
            step=1,
            description="image",
            continuous_update=False,
        ),
    )


# --- chapter 8: batch normalization in practice ---


def figure1_widget(result) -> ipw.interactive:
    """Chapter 8: browse the 100 last-layer sigmoids of the MNIST experiment.

    Wraps :func:`convbn.plotting.plot_figure1` for ``result`` (what
    :func:`convbn.experiments.mnist_experiment` returned; nothing is retrained): an
    integer slider picks the sigmoid whose input's percentiles panels (b) and (c)
    show.
    """
    import functools

    result = plotting._ch08_result(result, "Figure1Result", "result")
    plot = functools.partial(plotting.plot_figure1, result)
    n_units = result.percentiles["plain"].shape[-1]
    return interact(
        plot,
        unit=ipw.IntSlider(
            value=result.unit,
            min=0,
            max=n_units - 1,
            step=1,
            description="sigmoid unit",
            continuous_update=False,
            style=STYLE,
        ),
    )


def learning_rate_widget(sweep) -> ipw.interactive:
    """Chapter 8: the training loss of both networks at each rate of a sweep.

    Wraps :func:`convbn.plotting.plot_learning_rate_sweep` for ``sweep`` (what
    :func:`convbn.experiments.learning_rate_sweep` returned; nothing is retrained):
    a selection slider over the sweep's learning rates.
    """
    import functools

    sweep = plotting._ch08_result(sweep, "LearningRateSweep", "sweep")
    plot = functools.partial(plotting.plot_learning_rate_sweep, sweep)
    rates = [float(r) for r in sweep.learning_rates]
    only_bn = sweep.trains("bn") & ~sweep.trains("plain")
    start = rates[int(only_bn.argmax())] if only_bn.any() else rates[-1]
    return interact(
        plot,
        learning_rate=ipw.SelectionSlider(
            options=[(f"{r:g}", r) for r in rates],
            value=start,
            description="learning rate",
            continuous_update=False,
            style=STYLE,
        ),
    )
