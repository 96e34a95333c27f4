"""The static frame players that the book build shows instead of live widgets.

With ``CONVBN_STATIC_WIDGETS=1`` (set by the book build) every widget factory of
``convbn.widgets`` returns a ``StaticInteractive``: the grid of each control, one
state per control value with the others at their defaults, and each state's frame
drawn by the widget's plot function. Here each factory's grid is pinned and frames
are compared pixel for pixel with the plot function's figure, drawn independently.
"""

import io
import json
import pickle
from html.parser import HTMLParser

import comm
import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
import pytest
from PIL import Image
from samples import HISTORIES, figure1_result, maps, sweep_result

from convbn import losses, plotting, pooling, widgets


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv(widgets.STATIC_ENV, "1")
    plotting.setup()


def _figure1():
    return figure1_result()


def _sweep():
    return sweep_result()


#: factory name -> (make the widget, draw a state's figure independently,
#: {control keyword: grid size}).
FIGURE1, SWEEP, MAPS = _figure1(), _sweep(), maps()
CASES = {
    "smoothing_widget": (
        widgets.smoothing_widget,
        lambda kw: plotting.plot_smoothing(**kw),
        {"kind": 4, "width": 14},
    ),
    "convolution_explorer": (
        widgets.convolution_explorer,
        lambda kw: plotting.plot_convolution_explorer(**kw),
        {"kernel": len(plotting.EXPLORER_KERNELS), "mode": 3, "stride": 8, "image": 5},
    ),
    "correlation_stepper": (
        widgets.correlation_stepper,
        lambda kw: plotting.plot_correlation_step(**kw),
        {"step": 9},
    ),
    "receptive_field_widget": (
        widgets.receptive_field_widget,
        lambda kw: plotting.plot_receptive_field(**kw),
        {"k": 7, "depth": 5, "stride": 2},
    ),
    "equivariance_widget": (
        widgets.equivariance_widget,
        lambda kw: plotting.plot_equivariance(**kw),
        {
            "shift": 13,
            "image": 4,
            "kernel": len(plotting.EQUIVARIANCE_KERNELS),
            "boundary": len(plotting.EQUIVARIANCE_BOUNDARIES),
        },
    ),
    "pooling_widget": (
        widgets.pooling_widget,
        lambda kw: plotting.plot_pooling(**kw),
        {"kind": len(pooling.KINDS), "size": 8, "stride": 8, "padding": 2, "image": 4},
    ),
    "layer_geometry_widget": (
        widgets.layer_geometry_widget,
        lambda kw: plotting.plot_layer_geometry(**kw),
        {"kernel_size": 5, "stride": 4, "dilation": 3},
    ),
    "batchnorm_widget": (
        widgets.batchnorm_widget,
        lambda kw: plotting.plot_batchnorm_distribution(**kw),
        {"batch_size": 9, "gamma": 13, "beta": 13, "eps": 8},
    ),
    "figure1_widget": (
        lambda: widgets.figure1_widget(FIGURE1),
        lambda kw: plotting.plot_figure1(FIGURE1, **kw),
        {"unit": 14},  # 0, 8, ..., 99 and the default, 3
    ),
    "learning_rate_widget": (
        lambda: widgets.learning_rate_widget(SWEEP),
        lambda kw: plotting.plot_learning_rate_sweep(SWEEP, **kw),
        {"learning_rate": 4},
    ),
    "batch_statistics_widget": (
        widgets.batch_statistics_widget,
        lambda kw: plotting.plot_batch_statistics(**kw),
        {"batch_size": 6},
    ),
    "dropout_widget": (
        widgets.dropout_widget,
        lambda kw: plotting.plot_dropout(**kw),
        {"rate": 13, "noise_shape": len(plotting.DROPOUT_NOISE_SHAPES), "seed": 13},
    ),
    "loss_widget": (
        widgets.loss_widget,
        lambda kw: plotting.plot_loss_and_gradient(**kw),
        {"loss": len(losses.LOSSES), "target": 14},
    ),
    "optimizer_widget": (
        lambda: widgets.optimizer_widget(HISTORIES),
        lambda kw: plotting.plot_optimizer_curves(HISTORIES, **kw),
        {"names": 1 + len(HISTORIES), "log": 2},
    ),
    "cnn_feature_maps_widget": (
        lambda: widgets.cnn_feature_maps_widget(*MAPS),
        lambda kw: plotting.plot_cnn_feature_maps(*MAPS, **kw),
        {"index": 5},
    ),
}


def test_every_widget_factory_is_covered():
    factories = {
        name
        for name in widgets.__all__
        if name.endswith(("_widget", "_explorer", "_stepper"))
    }
    assert factories == set(CASES)


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGBA"))


def drawn(fig) -> np.ndarray:
    """The figure as the frame would hold it: rendered at the frame resolution."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=widgets.FRAME_DPI)
    plt.close(fig)
    return pixels(buffer.getvalue())


class Parsed(HTMLParser):
    """The elements of a player's HTML that a reader and a test rely on."""

    def __init__(self):
        super().__init__()
        self.labels, self.controls, self.images, self.stack = {}, [], [], []
        self.data, self._label, self._json = None, None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "label":
            self._label = attrs["for"]
            self.labels[self._label] = ""
        elif tag in ("input", "select"):
            self.controls.append({"tag": tag, **attrs})
        elif tag == "img":
            self.images.append(attrs)
        elif tag == "script" and attrs.get("type") == "application/json":
            self._json = True

    def handle_endtag(self, tag):
        if tag == "label":
            self._label = None
        if tag == "script":
            self._json = False

    def handle_data(self, data):
        if self._label is not None:
            self.labels[self._label] += data
        if self._json:
            self.data = json.loads(data)


@pytest.mark.usefixtures("static")
@pytest.mark.parametrize("name", sorted(CASES))
def test_player_grid_frames_and_html(name):
    make, redraw, sizes = CASES[name]
    widget = make()
    assert isinstance(widget, widgets.StaticInteractive)
    assert isinstance(widget, ipw.interactive)
    # The grid: each control's values, its default the live control's value.
    assert {c["name"]: len(c["values"]) for c in widget.grid} == sizes
    live = {w._kwarg: w for w in widget.kwargs_widgets if hasattr(w, "description")}
    for control in widget.grid:
        value = control["values"][control["default"]]
        assert value == live[control["name"]].get_interact_value() or (
            isinstance(value, tuple) and value == tuple(live[control["name"]].value)
        )
    # One control at a time: 1 + sum(n - 1) states, tens rather than thousands.
    expected = 1 + sum(n - 1 for n in sizes.values())
    assert len(widget.states) == expected <= 60
    for key in widget.states:
        moved = [i for i, c in zip(key, widget.grid, strict=True) if i != c["default"]]
        assert len(moved) <= 1
    assert sorted(set(widget.states.values())) == list(range(len(widget.frames)))
    # Frames: the plot function's own figure for the state's values, pixel for pixel
    # (the default state and each control's first and last value).
    defaults = tuple(c["default"] for c in widget.grid)
    sampled = {defaults}
    for position, control in enumerate(widget.grid):
        for index in (0, len(control["values"]) - 1):
            key = list(defaults)
            key[position] = index
            sampled.add(tuple(key))
    for key in sampled:
        frame = widget.frames[widget.states[key]]
        values = {
            c["name"]: c["values"][i] for c, i in zip(widget.grid, key, strict=True)
        }
        np.testing.assert_array_equal(pixels(frame["data"]), drawn(redraw(values)))
        assert frame["alt"].startswith("Figure drawn by plot_")
    # The HTML: labelled native controls, one image per frame with alt text, a
    # manifest of every state, nothing fetched.
    bundle = widget._repr_mimebundle_()
    assert "application/vnd.jupyter.widget-view+json" not in bundle
    parsed = Parsed()
    parsed.feed(bundle["text/html"])
    assert len(parsed.controls) == len(widget.grid)
    for element, control in zip(parsed.controls, widget.grid, strict=True):
        assert parsed.labels[element["id"]] == control["description"]
        assert element["data-control"] == control["name"]
        kind = {"range": "range", "checkbox": "checkbox"}.get(control["kind"])
        assert element.get("type") == kind if kind else element["tag"] == "select"
    assert len(parsed.images) == len(widget.frames)
    assert sum("hidden" not in image for image in parsed.images) == 1
    for image in parsed.images:
        assert len(image["alt"]) > 40
        assert image["src"].startswith(("data:image/webp;base64,", "data:image/png"))
        shown = json.loads(image["data-values"])
        assert set(shown) == {c["description"] for c in widget.grid}
    states = parsed.data["states"]
    assert len(states) == len(widget.states)
    assert parsed.data["defaults"] == list(defaults)
    assert "http://" not in bundle["text/html"]
    assert "https://" not in bundle["text/html"]
    several = "One control varies at a time" in widget.caption()
    assert several == (len(widget.grid) > 1)


@pytest.mark.usefixtures("static")
def test_the_manifest_lets_a_page_redraw_plain_plots():
    """Plots of convbn.plotting with no data bound carry their keyword values per
    state (the browser test redraws frames from them); bound data stays out."""
    html = widgets.smoothing_widget().to_html()
    parsed = Parsed()
    parsed.feed(html)
    plot = parsed.data["plot"]
    assert plot["function"] == "plot_smoothing" and plot["fixed"] == {}
    assert plot["kwargs"]["0,0"] == {"kind": "exponential", "width": 0.1}
    bound = Parsed()
    bound.feed(widgets.figure1_widget(FIGURE1).to_html())
    assert "plot" not in bound.data


@pytest.mark.usefixtures("static")
def test_data_bound_players_record_their_data_for_the_built_frames_test(
    monkeypatch, tmp_path
):
    """The four players whose plot has data bound to it (not in the page) record it
    under PLAYER_DATA_ENV; each frame is that record's figure, drawn afresh."""
    monkeypatch.setenv(widgets.PLAYER_DATA_ENV, str(tmp_path / "players"))
    bound = {}
    names = ["figure1_widget", "learning_rate_widget", "optimizer_widget"]
    names += ["cnn_feature_maps_widget", "smoothing_widget", "correlation_stepper"]
    for name in names:  # the four, and two whose arguments all show in the page
        widget = CASES[name][0]()
        widget.to_html()
        record = tmp_path / "players" / f"{widget._build()['uid']}.pickle"
        if record.exists():
            bound[name] = (widget, pickle.loads(record.read_bytes()))
    assert set(bound) == {
        "figure1_widget",
        "learning_rate_widget",
        "optimizer_widget",
        "cnn_feature_maps_widget",
    }
    for widget, record in bound.values():
        assert set(record["kwargs"]) == {",".join(map(str, k)) for k in widget.states}
        for key, frame in widget.states.items():
            state = ",".join(map(str, key))
            np.testing.assert_array_equal(
                pixels(widget.frames[frame]["data"]),
                drawn(widgets.redraw(record, state)),
            )
    monkeypatch.delenv(widgets.PLAYER_DATA_ENV)
    widgets.figure1_widget(FIGURE1).to_html()  # without the variable: no record
    assert len(list((tmp_path / "players").iterdir())) == 4


@pytest.mark.usefixtures("static")
def test_static_widgets_open_no_comm_and_draw_nothing(monkeypatch):
    """In a kernel every comm a widget opens leaves its state in the notebook (and
    a widget manager on the page): a static player opens none."""
    opened = []

    def create(*args, **kwargs):
        opened.append(kwargs.get("target_name"))
        return comm.DummyComm(*args, **kwargs)

    monkeypatch.setattr(comm, "create_comm", create)
    for make, _, _ in CASES.values():
        assert isinstance(make(), widgets.StaticInteractive)
    widget = widgets.pooling_widget()
    assert comm.create_comm is create and opened == []
    controls = {c.description: c for c in widget.children[:-1]}
    controls["size"].value = 5  # the interactive API still records the values
    assert widget.kwargs["size"] == 5
    assert widget.children[-1].outputs == ()
    assert opened == []
    monkeypatch.delenv(widgets.STATIC_ENV)
    widgets.pooling_widget()  # a live widget opens its comms
    assert "jupyter.widget" in opened


@pytest.mark.usefixtures("static")
@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (
            lambda: widgets.interact(plotting.plot_smoothing, static_values=[1]),
            TypeError,
            "static_values must be a dict",
        ),
        (
            lambda: widgets.interact(
                plotting.plot_smoothing,
                static_values={"widht": [1.0]},
                width=ipw.FloatSlider(value=1.0, min=0.1, max=5.0),
            ),
            ValueError,
            "static_values names no control: widht",
        ),
        (
            lambda: (
                widgets.interact(
                    plotting.plot_smoothing,
                    static_values={"width": [9.0]},
                    width=ipw.FloatSlider(value=1.0, min=0.1, max=5.0),
                ).states
            ),
            ValueError,
            r"static_values\['width'\] must be <= 5",
        ),
        (
            lambda: (
                widgets.interact(
                    plotting.plot_smoothing,
                    static_values={"kind": ["box", "triangle"]},
                    kind=ipw.Dropdown(options=["box", "gaussian"], value="box"),
                ).states
            ),
            ValueError,
            r"static_values\['kind'\] must be among the options .*'triangle'",
        ),
        (
            lambda: (
                widgets.interact(
                    plotting.plot_smoothing, kind=ipw.Text(value="box")
                ).states
            ),
            TypeError,
            r"controls\['kind'\] must be a slider, menu, check box",
        ),
        (
            lambda: widgets.interact("plot"),
            TypeError,
            "plot_fn must be a function",
        ),
    ],
)
def test_bad_input_to_a_static_player_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("setting", [None, "0", ""])
def test_live_widgets_are_unchanged_without_the_variable(monkeypatch, setting):
    if setting is None:
        monkeypatch.delenv(widgets.STATIC_ENV, raising=False)
    else:
        monkeypatch.setenv(widgets.STATIC_ENV, setting)
    assert not widgets.static_mode()
    widget = widgets.smoothing_widget()
    assert type(widget) is ipw.interactive
    assert "application/vnd.jupyter.widget-view+json" in widget._repr_mimebundle_()


@pytest.mark.usefixtures("static")
def test_thinning_keeps_the_ends_and_the_default():
    widget = widgets.figure1_widget(FIGURE1)  # 100 units, the third shown first
    (control,) = widget.grid
    values, labels, default = control["values"], control["labels"], control["default"]
    assert values[0] == 0 and values[-1] == 99 and values[default] == 3
    assert len(values) == widgets.MAX_STEPS + 1
    assert np.all(np.diff(values) > 0)
    assert labels[default] == "3"
