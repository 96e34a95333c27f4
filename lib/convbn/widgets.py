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

__all__ = ["interact", "smoothing_widget"]


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
