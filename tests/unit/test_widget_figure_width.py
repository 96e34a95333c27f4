"""Every widget's figure fits JupyterLab's notebook column at a 1,280-px window.

At 1,280 px, JupyterLab 4.6 (what Binder opens, with its file browser open) gives a
cell's output area 848 px (measured in Chromium by ``tests/book/test_binder.py``,
which checks the same in JupyterLab itself). A widget figure wider than that runs
past the column's edge (chapter 3's stepper was 1,090 px: cut off at the window's).
For every control of every widget, at each end of its range and at each option,
the figure is measured twice: its size in inches times its dpi (as a PNG), and the
width of what is drawn, with the padding a tight bounding box adds, at 96 px per
inch (the SVG that ``plotting.setup`` selects in notebooks: one pt is 4/3 px).
"""

import ipywidgets as ipw
import matplotlib.pyplot as plt
import pytest
from samples import widget_factories

from convbn import widgets

#: A cell's output area in JupyterLab 4.6 at a 1,280-px window, in pixels.
COLUMN_PX = 848
#: Padding around a tight bounding box (matplotlib's savefig.pad_inches), inches.
PAD = 0.1

WIDGETS = widget_factories()


def values_of(control):
    """The values a control is set to: each end of a slider, every option."""
    if isinstance(control, ipw.Checkbox):
        return [not control.value]
    if isinstance(control, ipw.SelectMultiple):
        return [control.options[:1]]
    if hasattr(control, "options"):
        options = [o[1] if isinstance(o, tuple) else o for o in control.options]
        return options if len(options) <= 16 else [options[0], options[-1]]
    if isinstance(control, ipw.FloatLogSlider):
        return [control.base**control.min, control.base**control.max]
    return [control.min, control.max]


def test_every_widget_of_the_package_is_measured():
    assert set(WIDGETS) == {
        name
        for name in widgets.__all__
        if name.endswith(("_widget", "_explorer", "_stepper"))
    }


@pytest.mark.parametrize("name", list(WIDGETS))
def test_widget_figure_fits_the_notebook_column(name, monkeypatch):
    widths = []

    def measure():
        figure = plt.gcf()
        renderer = figure.canvas.get_renderer()
        tight = figure.get_tightbbox(renderer).width + 2 * PAD
        widths.append((figure.get_size_inches()[0] * figure.dpi, tight * 96))
        plt.close(figure)

    monkeypatch.setattr(plt, "show", measure)
    widget = WIDGETS[name]()
    widget.update()
    controls = [c for c in widget.children if isinstance(c, ipw.ValueWidget)]
    assert controls, f"{name} has no controls"
    for control in controls:
        default = control.value
        for value in values_of(control):
            control.value = value
        control.value = default
    assert len(widths) > len(controls), f"{name}: the figure was not redrawn"
    png, svg = max(w for w, _ in widths), max(s for _, s in widths)
    assert png <= COLUMN_PX and svg <= COLUMN_PX, (
        f"{name}: the figure is {png:.0f} px wide as PNG and {svg:.0f} px as SVG; "
        f"the notebook column is {COLUMN_PX} px"
    )
