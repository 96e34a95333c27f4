"""Every text of every figure lies inside the figure: nothing is cut off.

A static player's frame is its figure saved at the figure's own size
(:mod:`convbn.widgets`), so a title or a label that runs past the figure's edge is
cut ("...overlaps are uneven: a checkerboar" in chapter 7's player, until issue 24);
in a notebook the inline backend's tight bounding box widens the figure instead.

Each figure is drawn (Agg), and the window extent of every text artist the draw
showed (titles, labels, tick labels, legends, annotations) must lie inside the
figure's. Checked:

* every widget's plot function at the states of its player's grid
  (:meth:`convbn.widgets.StaticInteractive.plan`, the frames the book shows): the
  whole grid for chapter 7's layer geometry, whose frames were cut, and for every
  player with at most :data:`FULL_GRID` states; for the larger grids, the defaults,
  every option of each menu and check box (each its own text) and each slider's
  first, middle and last value (a slider's numbers differ little in length; the
  ends are the extremes of its layout). That is 143 of the 242 states, about 15 s
  on the 2-core machine against 28 s for all of them;
* every plot function the notebooks call, with the notebooks' arguments (results
  of training runs replaced by samples of the same shapes).
"""

import json
import re
from pathlib import Path
from unittest import mock

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.text import Text
from samples import figure1_result, maps, sweep_result, widget_factories

from convbn import experiments, plotting, pooling, widgets
from convbn.experiments import multiseed

ROOT = Path(__file__).resolve().parents[2]
#: How far, in pixels, a text's extent may pass the figure's edge (rounding).
TOLERANCE = 0.5
#: A player with at most this many states is checked at every state.
FULL_GRID = 12
#: The optimizers chapter 11 compares, labelled as its notebook labels them.
OPTIMIZER_LABELS = (
    "SGD",
    "RMSprop",
    "Adagrad",
    "Adadelta",
    "Adam",
    "Adamax",
    "Nadam",
    "Adadelta, lr 1.0",
    "Adagrad, lr 0.01 (slides)",
)
HISTORIES = {
    label: list(2.3 * np.exp(-0.1 * (i + 1) * np.arange(10)))
    for i, label in enumerate(OPTIMIZER_LABELS)
}


def texts_outside(fig) -> list[str]:
    """Each text the figure's draw showed whose extent passes the figure's edge,
    described with its extent and the figure's (in pixels)."""
    shown, draw = [], Text.draw

    def recording(self, renderer):
        draw(self, renderer)
        if self.get_visible() and self.get_text():
            shown.append(self)

    with mock.patch.object(Text, "draw", recording):
        fig.canvas.draw()
    renderer, frame = fig.canvas.get_renderer(), fig.bbox
    outside = []
    for text in shown:
        box = text.get_window_extent(renderer)
        if (
            box.x0 < frame.x0 - TOLERANCE
            or box.y0 < frame.y0 - TOLERANCE
            or box.x1 > frame.x1 + TOLERANCE
            or box.y1 > frame.y1 + TOLERANCE
        ):
            outside.append(
                f"{text.get_text()!r} at x {box.x0:.0f}..{box.x1:.0f}, "
                f"y {box.y0:.0f}..{box.y1:.0f} (figure {frame.width:.0f} x "
                f"{frame.height:.0f})"
            )
    return outside


# --- the players ----------------------------------------------------------------------

WIDGETS = widget_factories(HISTORIES)
#: Players checked at every state whatever their size.
WHOLE = {"layer_geometry_widget"}


def states_to_check(name: str, widget) -> list[tuple[int, ...]]:
    """Every state of the player, or its defaults, every option of its menus and
    each slider's ends and middle (see the module's docstring)."""
    states = list(widget.plan())
    if name in WHOLE or len(states) <= FULL_GRID:
        return states
    defaults = states[0]
    picked = {defaults}
    for position, control in enumerate(widget.grid):
        last = len(control["values"]) - 1
        every = control["kind"] != "range"
        for index in range(last + 1) if every else (0, last // 2, last):
            key = list(defaults)
            key[position] = index
            picked.add(tuple(key))
    return [key for key in states if key in picked]


@pytest.fixture
def static(monkeypatch):
    monkeypatch.setenv(widgets.STATIC_ENV, "1")
    plotting.setup()


def test_every_widget_is_checked():
    assert set(WIDGETS) == {
        name
        for name in widgets.__all__
        if name.endswith(("_widget", "_explorer", "_stepper"))
    }


@pytest.mark.usefixtures("static")
@pytest.mark.parametrize("name", list(WIDGETS))
def test_every_text_of_a_player_frame_is_inside_it(name):
    widget = WIDGETS[name]()
    states = states_to_check(name, widget)
    assert states[0] == tuple(c["default"] for c in widget.grid)
    cut = {}
    for key in states:
        fig = widget.figure(key)
        outside = texts_outside(fig)
        plt.close(fig)
        if outside:
            cut[key] = outside
    assert cut == {}, f"{name}: {len(cut)} of {len(states)} states cut text: {cut}"


@pytest.mark.usefixtures("static")
def test_the_layer_geometry_panels_share_one_pixel_size():
    """Both panels compare sizes in pixels: one pixel is as large in each, at every
    state of the player, and the figure's size never changes."""
    widget = widgets.layer_geometry_widget()
    sizes = set()
    for key, values in widget.plan().items():
        fig = widget.figure(key)
        geometry = plotting.layer_geometry(**values)
        left, right = fig.axes
        columns = (geometry["size"], geometry["coverage"].shape[1])
        rows = (geometry["span"], geometry["coverage"].shape[0])
        widths = [ax.get_position().width * fig.get_figwidth() for ax in fig.axes]
        heights = [ax.get_position().height * fig.get_figheight() for ax in fig.axes]
        cells = [w / c for w, c in zip(widths, columns, strict=True)]
        cells += [h / r for h, r in zip(heights, rows, strict=True)]
        np.testing.assert_allclose(cells, cells[0], rtol=1e-9, err_msg=str(values))
        assert left.get_xlim()[1] - left.get_xlim()[0] == geometry["size"]
        sizes.add(tuple(fig.get_size_inches()))
        plt.close(fig)
    assert len(sizes) == 1


# --- the static figures ---------------------------------------------------------------


class History:  # what model.fit returns: an object with .history
    def __init__(self, shift):
        epochs = np.arange(1, 6)
        self.history = {
            "loss": list(1.0 / epochs + shift),
            "accuracy": list(1 - 0.5 / epochs - shift),
            "val_loss": list(1.1 / epochs + shift),
            "val_accuracy": list(1 - 0.6 / epochs - shift),
        }


def digits(n=200, seed=0):
    """Test images, labels, predictions and probabilities shaped as chapter 12's."""
    rng = np.random.default_rng(seed)
    images = rng.random((n, 28, 28, 1))
    labels = rng.integers(0, 10, size=n)
    predicted = np.where(rng.random(n) < 0.2, (labels + 1) % 10, labels)
    probabilities = rng.dirichlet(np.ones(10), size=n)
    return images, labels, predicted, probabilities


def runs():
    return experiments.load_runs(ROOT / multiseed.RESULTS)


def photographs(n, shape=(64, 64)):
    return list(np.random.default_rng(0).random((n, *shape)))


#: Every call of a plot function in the notebooks, by function, with the notebooks'
#: arguments (their data replaced by arrays of the same shapes where it is theirs).
STATIC = {
    "plot_kernels": [lambda: plotting.plot_kernels(width=1.0)],
    "plot_smoothing": [lambda: plotting.plot_smoothing(kind="exponential", width=1.0)],
    "plot_symbolic_convolution": [
        lambda: plotting.plot_symbolic_convolution(flip=False),
        lambda: plotting.plot_symbolic_convolution(flip=True),
    ],
    "plot_convolution_explorer": [
        lambda: plotting.plot_convolution_explorer(kernel="box", mode="valid", stride=1)
    ],
    "plot_correlation_step": [lambda: plotting.plot_correlation_step(step=4)],
    "plot_correlation_steps": [lambda: plotting.plot_correlation_steps()],
    "plot_receptive_field": [
        lambda: plotting.plot_receptive_field(k=3, depth=3),
        lambda: plotting.plot_receptive_field(k=3, depth=3, stride=2),
    ],
    "plot_equivariance": [
        lambda: plotting.plot_equivariance(shift=20, image="camera", kernel="edge"),
        lambda: plotting.plot_equivariance(shift=20, boundary="circular"),
    ],
    "plot_pool1d": [
        lambda: plotting.plot_pool1d(
            np.array([0.1, 1.0, 0.2, 0.1, 0.0, 0.1]),
            size=3,
            stride=2,
            padding="same",
            title="max pooling, width 3, stride 2, padding 'same'",
        )
    ],
    "plot_pooling": [
        lambda: plotting.plot_pooling(
            kind="max", size=3, stride=3, padding="valid", image="coins"
        )
    ],
    "plot_layer_geometry": [
        lambda: plotting.plot_layer_geometry(kernel_size=3, stride=2, dilation=1)
    ],
    "plot_batchnorm_distribution": [
        lambda: plotting.plot_batchnorm_distribution(
            batch_size=64, gamma=1.0, beta=0.0, eps=1e-3
        )
    ],
    "plot_figure1": [lambda: plotting.plot_figure1(figure1_result())],
    "plot_learning_rate_sweep": [
        lambda: plotting.plot_learning_rate_sweep(sweep_result())
    ],
    "plot_seeded_curves": [lambda: plotting.plot_seeded_curves(runs(), seed=0)],
    "plot_seeded_table": [
        lambda: plotting.plot_seeded_table(experiments.seeded_table(runs()))
    ],
    "plot_batch_statistics": [lambda: plotting.plot_batch_statistics(batch_size=2)],
    "plot_small_batches": [lambda: plotting.plot_small_batches(runs())],
    "plot_activations": [lambda: plotting.plot_activations()],
    "plot_dropout": [
        lambda: plotting.plot_dropout(rate=0.5, noise_shape="elementwise", seed=0)
    ],
    "plot_losses": [lambda: plotting.plot_losses()],
    "plot_loss_and_gradient": [
        lambda: plotting.plot_loss_and_gradient("mean_squared_error", target=1.0)
    ],
    "plot_optimizer_curves": [lambda: plotting.plot_optimizer_curves(HISTORIES)],
    "plot_cnn_history": [
        lambda: plotting.plot_cnn_history({"with BN": History(0.0)}),
        lambda: plotting.plot_cnn_history(
            {"without BN": History(0.05), "with BN": History(0.0)}
        ),
    ],
    "plot_confusion_matrix": [
        lambda: plotting.plot_confusion_matrix(
            np.bincount(10 * digits()[1] + digits()[2], minlength=100).reshape(10, 10)
        )
    ],
    "plot_mistakes": [lambda: plotting.plot_mistakes(*digits(), count=24)],
    "plot_cnn_feature_maps": [
        lambda: plotting.plot_cnn_feature_maps(*maps(n=3)[:3], maps(n=3)[3])
    ],
    "show_matrix": [
        lambda: plotting.show_matrix(
            pooling.pooling_weights(3, sigma=1.0),
            fmt="{:.3f}",
            title="weights, 3 x 3, sigma = 1",
        )
    ],
    "show_images": [
        lambda: plotting.show_images(
            photographs(2, (280, 320)),
            titles=[
                "input: 320 wide x 280 tall",
                "pixel minus left neighbour: 319 x 280",
            ],
            size=4.0,
        ),
        lambda: plotting.show_images(
            photographs(4),
            titles=["g(x): moved image", "f(g(x))", "g(f(x))", "|f(g(x)) - g(f(x))|"],
            cmap="cividis",
            size=2.5,
        ),
        lambda: plotting.show_images(
            photographs(4),
            titles=[
                "rotated image",
                "f(rotated), vertical kernel",
                "rotated f(image)",
                "f(rotated), rotated kernel",
            ],
            cmap="cividis",
            size=2.5,
        ),
        lambda: plotting.show_images(
            photographs(4),
            titles=[
                "input",
                "1. convolution Z",
                "2. detector A = max(0, Z)",
                "3. max pooling Y",
            ],
            cmap="cividis",
            size=2.6,
        ),
        lambda: plotting.show_images(
            photographs(5),
            titles=["detector output"] + [f"{kind} pooling" for kind in pooling.KINDS],
            cmap="cividis",
            size=2.3,
            ncols=5,
        ),
        lambda: plotting.show_images(
            photographs(9, (15, 15)),
            titles=[f"{a}°" for a in range(0, 180, 20)],
            cmap="cividis",
            size=1.3,
        ),
        lambda: plotting.show_images(
            photographs(3, (50, 50)),
            titles=[
                "crop, 50 x 50",
                "k = 3, stride 2: 100 x 100",
                "k = 4, stride 2: 100 x 100",
            ],
            size=3.0,
        ),
        lambda: plotting.show_images(
            photographs(10, (28, 28)),
            titles=[str(d) for d in range(10)],
            ncols=10,
            size=1.0,
        ),
    ],
}


def test_every_plot_function_a_notebook_calls_is_checked():
    """The table above lists every plot function a notebook calls (the figures a
    notebook draws into its own axes are drawn by the notebook)."""
    called = set()
    for notebook in (ROOT / "chapters").rglob("*.ipynb"):
        for cell in json.loads(notebook.read_text())["cells"]:
            if cell["cell_type"] == "code":
                source = "".join(cell["source"])
                called |= set(
                    re.findall(
                        r"plotting\.(plot_\w+|show_images|show_matrix)\(", source
                    )
                )
    assert called <= set(STATIC), sorted(called - set(STATIC))


@pytest.mark.parametrize(
    ("name", "index"),
    [(name, i) for name, calls in STATIC.items() for i in range(len(calls))],
)
def test_every_text_of_a_static_figure_is_inside_it(name, index):
    plotting.setup()
    fig = STATIC[name][index]()
    assert texts_outside(fig) == []
