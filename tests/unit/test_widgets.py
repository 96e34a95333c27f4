"""The widgets of every chapter: their controls, and that they redraw.

Each widget wraps one plot function of convbn.plotting (tested in the
test_plotting_*.py files); here only the controls and the wiring are pinned.
"""

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
import pytest

# The results and data the plot tests build (tests/unit is on sys.path: no
# __init__.py, pytest's default "prepend" import mode).
from samples import HISTORIES, figure1_result, maps, sweep_result

from convbn import losses, plotting, pooling, widgets


def controls_of(widget):
    """The widget's controls by description (the last child is the output)."""
    return {c.description: c for c in widget.children[:-1]}


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: widgets.interact(None), TypeError, "plot_fn must be a function"),
        (
            lambda: widgets.correlation_stepper(kernel=np.ones((1, 2, 3))),
            ValueError,
            "kernel must be a 2-D",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- chapter 1 ------------------------------------------------------------------------


def test_smoothing_widget_wraps_the_plot_function():
    widget = widgets.smoothing_widget()
    assert isinstance(widget, ipw.interactive)
    controls = {c.description: c for c in widget.children if hasattr(c, "value")}
    assert controls["kernel"].options == (
        "exponential",
        "box",
        "half-gaussian",
        "gaussian",
    )
    assert controls["width (s)"].value == 1.0
    controls["width (s)"].value = 2.5  # redraws through plot_smoothing without error
    assert widget.kwargs == {"kind": "exponential", "width": 2.5}


# --- chapters 2 to 5 ------------------------------------------------------------------


def test_convolution_explorer_widget_has_four_controls_and_redraws():
    widget = widgets.convolution_explorer()
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"kernel", "mode", "stride", "photograph"}
    assert [c.value for c in controls.values()] == ["box", "valid", 1, "camera"]
    controls["kernel"].value = "vertical edge"
    controls["mode"].value = "full"
    controls["stride"].value = controls["stride"].max
    controls["photograph"].value = "coins"
    widget.update()
    assert widget.children[-1].outputs is not None


def test_correlation_stepper_has_a_step_slider_and_redraws(monkeypatch):
    monkeypatch.setattr(plt, "show", lambda: None)
    widget = widgets.correlation_stepper()
    sliders = [c for c in widget.children if isinstance(c, ipw.IntSlider)]
    assert len(sliders) == 1
    slider = sliders[0]
    assert (slider.min, slider.max, slider.value, slider.description) == (
        0,
        8,
        0,
        "step",
    )
    for step in (3, 8, 0):
        slider.value = step  # redraws through plot_correlation_step
        assert widget.kwargs["step"] == step
    small = widgets.correlation_stepper(np.ones((3, 4)), np.ones((2, 2)))
    assert [c for c in small.children if isinstance(c, ipw.IntSlider)][0].max == 5


def test_receptive_field_widget_has_three_sliders_and_redraws():
    widget = widgets.receptive_field_widget()
    assert isinstance(widget, ipw.interactive)
    sliders = controls_of(widget)
    assert set(sliders) == {"kernel width k", "depth d", "stride s"}
    assert [s.value for s in sliders.values()] == [3, 3, 1]
    for slider in sliders.values():  # the largest values must still draw
        slider.value = slider.max
    sliders["kernel width k"].value = 1
    widget.update()
    assert widget.children[-1].outputs is not None


def test_equivariance_widget_has_its_controls_and_redraws():
    widget = widgets.equivariance_widget()
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert isinstance(controls["shift (pixels)"], ipw.IntSlider)
    assert controls["shift (pixels)"].min < 0 < controls["shift (pixels)"].max
    assert set(controls) == {"shift (pixels)", "photograph", "kernel", "boundary"}
    for value in (-30, 0, 45):
        controls["shift (pixels)"].value = value
    controls["boundary"].value = "circular"
    controls["kernel"].value = "blur"
    controls["photograph"].value = "chelsea"
    widget.update()


# --- chapter 6 ------------------------------------------------------------------------


def test_pooling_widget_has_its_controls_and_redraws():
    widget = widgets.pooling_widget()
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"kind", "size", "stride", "padding", "photograph"}
    assert isinstance(controls["size"], ipw.IntSlider)
    assert isinstance(controls["stride"], ipw.IntSlider)
    assert list(controls["kind"].options) == list(pooling.KINDS)
    for kind in pooling.KINDS:
        controls["kind"].value = kind
    controls["size"].value = 8
    controls["stride"].value = 1
    controls["padding"].value = "same"
    controls["photograph"].value = "chelsea"
    widget.update()


def test_layer_geometry_widget_has_its_controls_and_redraws():
    widget = widgets.layer_geometry_widget()
    controls = controls_of(widget)
    assert set(controls) == {"kernel size", "stride", "dilation"}
    assert all(isinstance(c, ipw.IntSlider) for c in controls.values())
    assert (controls["kernel size"].min, controls["kernel size"].max) == (1, 5)
    assert (controls["dilation"].min, controls["dilation"].max) == (1, 3)
    controls["kernel size"].value = 4
    controls["dilation"].value = 3
    widget.update()


# --- chapters 8 and 9 -----------------------------------------------------------------


def test_batchnorm_widget_has_its_controls_and_redraws():
    widget = widgets.batchnorm_widget()
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"batch size m", "γ (scale)", "β (shift)", "ε"}
    assert isinstance(controls["batch size m"], ipw.IntSlider)
    assert controls["batch size m"].min == 2
    assert isinstance(controls["ε"], ipw.FloatLogSlider)
    for value in (2, 7, 512):
        controls["batch size m"].value = value
    controls["γ (scale)"].value = -2.0
    controls["β (shift)"].value = 1.5
    controls["ε"].value = 10.0
    widget.update()


def test_batch_statistics_widget_offers_powers_of_two_and_redraws(monkeypatch):
    drawn = []
    monkeypatch.setattr(
        widgets.plotting,
        "plot_batch_statistics",
        lambda batch_size: drawn.append(batch_size) or plt.figure(),
    )
    widget = widgets.batch_statistics_widget()
    assert isinstance(widget, ipw.interactive)
    control = controls_of(widget)["batch size"]
    assert list(control.options) == [2, 4, 8, 16, 32, 64] and control.value == 8
    control.value = 2
    widget.update()
    assert drawn[-1] == 2


def test_figure1_widget_has_a_unit_slider_and_redraws():
    widget = widgets.figure1_widget(figure1_result())
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"sigmoid unit"}
    slider = controls["sigmoid unit"]
    assert isinstance(slider, ipw.IntSlider)
    assert (slider.value, slider.min, slider.max) == (3, 0, 99)
    for unit in (0, 57, 99):
        slider.value = unit
    widget.update()


def test_figure1_widget_rejects_other_results():
    with pytest.raises(TypeError, match="result must be"):
        widgets.figure1_widget(sweep_result())


def test_learning_rate_widget_offers_the_sweeps_rates_and_redraws():
    widget = widgets.learning_rate_widget(sweep_result())
    controls = controls_of(widget)
    assert set(controls) == {"learning rate"}
    slider = controls["learning rate"]
    assert isinstance(slider, ipw.SelectionSlider)
    assert [value for _, value in slider.options] == [0.1, 0.3, 1.0, 3.0]
    assert slider.value == 1.0
    for rate in (0.1, 3.0):
        slider.value = rate
    widget.update()


def test_learning_rate_widget_rejects_other_results():
    with pytest.raises(TypeError, match="sweep must be"):
        widgets.learning_rate_widget(figure1_result())


# --- chapters 10 to 12 ----------------------------------------------------------------


def test_dropout_widget_has_its_controls_and_redraws():
    widget = widgets.dropout_widget()
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"rate", "noise_shape", "seed"}
    assert isinstance(controls["rate"], ipw.FloatSlider)
    assert controls["rate"].max < 1
    assert list(controls["noise_shape"].options) == list(plotting.DROPOUT_NOISE_SHAPES)
    for value in (0.0, 0.9, 0.3):
        controls["rate"].value = value
    for option in plotting.DROPOUT_NOISE_SHAPES:
        controls["noise_shape"].value = option
    controls["seed"].value = 17
    widget.update()


def test_loss_widget_has_its_controls_and_redraws():
    widget = widgets.loss_widget()
    assert isinstance(widget, ipw.interactive)
    found = controls_of(widget)
    assert set(found) == {"loss", "true value (regression losses)"}
    assert list(found["loss"].options) == list(losses.LOSSES)
    for name in ("hinge", "mean_absolute_percentage_error", "cosine_similarity"):
        found["loss"].value = name
    found["true value (regression losses)"].value = 0.2
    widget.update()


def test_optimizer_widget_has_its_controls_and_redraws():
    widget = widgets.optimizer_widget(HISTORIES)
    found = controls_of(widget)
    assert set(found) == {"optimizers", "log scale"}
    assert found["optimizers"].value == tuple(HISTORIES)
    found["optimizers"].value = ("SGD", "Adam")
    found["log scale"].value = False
    found["optimizers"].value = ()
    widget.update()


def test_cnn_feature_maps_widget_has_an_index_slider_and_redraws():
    images, blocks, probabilities, labels = maps()
    widget = widgets.cnn_feature_maps_widget(images, blocks, probabilities, labels)
    assert isinstance(widget, ipw.interactive)
    controls = controls_of(widget)
    assert set(controls) == {"image"}
    slider = controls["image"]
    assert isinstance(slider, ipw.IntSlider)
    assert (slider.min, slider.max, slider.value) == (0, 4, 0)
    for value in (4, 2):
        slider.value = value
    widget.update()
