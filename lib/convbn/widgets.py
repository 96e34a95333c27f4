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
    "interact",
    "smoothing_widget",
    "convolution_explorer",
    "correlation_stepper",
    "receptive_field_widget",
    "equivariance_widget",
]


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
    style = {"description_width": "initial"}
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

    style = {"description_width": "initial"}
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
    style = {"description_width": "initial"}

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
    style = {"description_width": "initial"}
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
