"""Plots of Part I (chapters 1 to 5): convbn.plotting.convolution."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.linalg
import scipy.signal

from convbn import convolution, datasets, plotting
from convbn.pooling import pooling_weights

# --- chapter 1: plot_kernels, plot_smoothing ------------------------------------------


def test_plot_smoothing_and_kernels_return_figures():
    fig = plotting.plot_smoothing("box", 2.0, track=datasets.spaceship_track(noise=0.3))
    left, right = fig.get_axes()
    assert len(left.lines) == 3 and "box kernel, width 2 s" in left.get_title()
    assert "RMS error" in left.get_legend().get_texts()[2].get_text()
    assert len(plotting.plot_kernels(0.5).get_axes()[0].lines) == 4


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: plotting.plot_smoothing("median"), ValueError, "kind must be one of"),
        (lambda: plotting.plot_smoothing(width=0), ValueError, "width must be > 0"),
        (
            lambda: plotting.plot_kernels(kinds=["nope"]),
            ValueError,
            "kinds must be one of",
        ),
    ],
)
def test_chapter_1_plots_name_the_bad_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- plot_convolution_explorer --------------------------------------------------------


@pytest.mark.parametrize("kernel", list(plotting.EXPLORER_KERNELS))
@pytest.mark.parametrize(("mode", "stride"), [("valid", 1), ("same", 2), ("full", 3)])
def test_explorer_titles_give_the_output_shape(kernel, mode, stride):
    fig = plotting.plot_convolution_explorer(kernel, mode, stride)
    titles = [ax.get_title() for ax in fig.get_axes()]
    k = plotting.EXPLORER_KERNELS[kernel].shape[0]
    side = {
        "valid": (256 - k) // stride + 1,
        "same": math.ceil(256 / stride),
        "full": math.ceil((256 + k - 1) / stride),
    }[mode]
    assert titles[0] == "input 256 × 256"
    assert titles[-1] == f"output {side} × {side}"


def test_explorer_kernels_are_blurs_sharpeners_or_edge_detectors():
    for name, kernel in plotting.EXPLORER_KERNELS.items():
        total = kernel.sum()
        assert np.isclose(total, 1.0) or np.isclose(total, 0.0), name


def test_explorer_edge_kernels_are_the_named_kernels_flipped_for_convolution():
    for name, named in (
        ("vertical edge", convolution.SOBEL_X),
        ("horizontal edge", convolution.SOBEL_Y),
    ):
        assert np.array_equal(plotting.EXPLORER_KERNELS[name], named[::-1, ::-1])
    assert np.array_equal(plotting.EXPLORER_KERNELS["sharpen"], convolution.SHARPEN)
    assert np.array_equal(plotting.EXPLORER_KERNELS["laplacian"], convolution.LAPLACIAN)
    assert np.allclose(plotting.EXPLORER_KERNELS["gaussian"], pooling_weights(9, 1.5))
    # so convolving keeps the named kernels' meaning: positive where it gets brighter
    ramp = np.tile(np.arange(8.0), (8, 1))  # brighter to the right
    vertical, horizontal = (
        plotting.EXPLORER_KERNELS[k] for k in ("vertical edge", "horizontal edge")
    )
    assert np.allclose(convolution.convolve2d(ramp, vertical), 8.0)
    assert np.allclose(convolution.convolve2d(ramp.T, horizontal), 8.0)


def test_explorer_draws_the_convolution_with_the_kernel_it_shows():
    fig = plotting.plot_convolution_explorer("vertical edge", "same", 2)
    photo = datasets.sample_image("camera")[::2, ::2]
    drawn = fig.get_axes()[2].images[0].get_array()
    shown = np.array([[float(t.get_text()) for t in fig.get_axes()[1].texts]])
    assert np.array_equal(shown.reshape(3, 3), convolution.SOBEL_X[::-1, ::-1])
    expected = convolution.correlate2d(photo, convolution.SOBEL_X, "same", 2)
    np.testing.assert_allclose(drawn, expected)


def test_explorer_reduces_large_photographs():
    fig = plotting.plot_convolution_explorer("sharpen", "same", 1, "chelsea")
    assert fig.get_axes()[0].get_title() == "input 150 × 226"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel": "blur"}, ValueError, "kernel must be one of"),
        ({"mode": "wrap"}, ValueError, "mode must be one of"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"stride": 9}, ValueError, "stride must be <= 8"),
        ({"stride": 1.5}, TypeError, "stride must be an integer"),
        ({"image": "lena"}, ValueError, "image must be one of"),
    ],
)
def test_explorer_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_convolution_explorer(**kwargs)


# --- Fig. 9.1 -------------------------------------------------------------------------


def test_symbolic_convolution_reproduces_goodfellow_fig_9_1():
    sums = plotting.symbolic_convolution(
        plotting.FIG_9_1_INPUT, plotting.FIG_9_1_KERNEL, flip=False
    )
    assert len(sums) == 2 and len(sums[0]) == 3
    assert sums[0][0] == [("a", "w"), ("b", "x"), ("e", "y"), ("f", "z")]
    assert sums[1][2] == [("g", "w"), ("h", "x"), ("k", "y"), ("l", "z")]
    flipped = plotting.symbolic_convolution(
        plotting.FIG_9_1_INPUT, plotting.FIG_9_1_KERNEL, flip=True
    )
    assert flipped[0][0] == [("a", "z"), ("b", "y"), ("e", "x"), ("f", "w")]


def test_symbolic_convolution_matches_scipy_numerically():
    rng = np.random.default_rng(1)
    values = rng.normal(size=16)
    letters = {c: float(v) for c, v in zip("abcdefghijklwxyz", values, strict=True)}
    image = np.vectorize(letters.get)(np.array(plotting.FIG_9_1_INPUT))
    kernel = np.vectorize(letters.get)(np.array(plotting.FIG_9_1_KERNEL))
    ops = ((True, scipy.signal.convolve2d), (False, scipy.signal.correlate2d))
    for flip, op in ops:
        sums = plotting.symbolic_convolution(
            plotting.FIG_9_1_INPUT, plotting.FIG_9_1_KERNEL, flip=flip
        )
        values = [[sum(letters[p] * letters[q] for p, q in t) for t in r] for r in sums]
        assert np.allclose(values, op(image, kernel, "valid"))


def test_plot_symbolic_convolution_writes_the_sums():
    fig = plotting.plot_symbolic_convolution(flip=False)
    texts = [t.get_text() for t in fig.get_axes()[2].texts]
    assert texts[0] == "aw + bx\n+ ey + fz"
    assert len(texts) == 6
    fig = plotting.plot_symbolic_convolution(flip=True)
    assert fig.get_axes()[2].texts[0].get_text() == "az + by\n+ ex + fw"


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"flip": "yes"}, TypeError, "flip must be True or False"),
        ({"image": [[1, 2], [3, 4]]}, TypeError, "image must be a 2-D grid"),
        ({"kernel": [list("abc")] * 4}, ValueError, "must fit inside"),
    ],
)
def test_plot_symbolic_convolution_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_symbolic_convolution(**kwargs)


# --- chapter 3: the worked example, step by step --------------------------------------


def test_worked_example_data_gives_the_slides_output():
    out = convolution.correlate2d(
        plotting.CORRELATION_IMAGE, plotting.CORRELATION_KERNEL
    )
    assert out.tolist() == [[4, 3, 4], [2, 4, 3], [2, 3, 4]]


def test_plot_correlation_step_draws_window_products_and_partial_output():
    fig = plotting.plot_correlation_step(step=4)
    image_ax, kernel_ax, products_ax, output_ax = fig.get_axes()
    assert len(image_ax.patches) == 1  # the window outline
    window = image_ax.patches[0]
    assert window.get_xy() == (0.5, 0.5) and window.get_width() == 3
    assert "".join(t.get_text() for t in products_ax.texts) == "101010001"
    shown = [t.get_text() for t in output_ax.texts]
    assert shown == ["4", "3", "4", "2", "4", "", "", "", ""]
    assert "S[1, 1]" in fig._suptitle.get_text() and "= 4" in fig._suptitle.get_text()


def test_plot_correlation_step_last_step_and_custom_inputs():
    fig = plotting.plot_correlation_step(step=8)
    assert "".join(t.get_text() for t in fig.get_axes()[3].texts) == "434243234"
    image = np.arange(12.0).reshape(3, 4)
    fig = plotting.plot_correlation_step(1, image=image, kernel=[[1, -1]])
    assert fig._suptitle.get_text().endswith("S[0, 1] = sum of the products = -1")


def test_plot_correlation_steps_has_one_panel_per_output():
    fig = plotting.plot_correlation_steps()
    axes = fig.get_axes()
    assert len(axes) == 9
    assert [ax.get_title() for ax in axes[:3]] == [
        "S[0,0] = 4",
        "S[0,1] = 3",
        "S[0,2] = 4",
    ]
    assert all(len(ax.patches) == 1 for ax in axes)
    fig = plotting.plot_correlation_steps(np.ones((4, 6)), np.ones((3, 3)))
    assert len(fig.get_axes()) == 8


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: plotting.plot_correlation_step(9), ValueError, "step must be <= 8"),
        (lambda: plotting.plot_correlation_step(-1), ValueError, "step must be >= 0"),
        (lambda: plotting.plot_correlation_step(1.5), TypeError, "step must be an"),
        (
            lambda: plotting.plot_correlation_step(image=np.ones(5)),
            ValueError,
            "image must be a 2-D",
        ),
        (
            lambda: plotting.plot_correlation_step(kernel="abc"),
            TypeError,
            "kernel must be a numeric",
        ),
        (
            lambda: plotting.plot_correlation_steps(kernel=np.ones((6, 2))),
            ValueError,
            "kernel of shape",
        ),
        (
            lambda: plotting.plot_correlation_steps(np.ones((12, 12)), np.ones((2, 2))),
            ValueError,
            "at most 36 panels",
        ),
        (
            lambda: plotting.plot_correlation_step(image=np.ones((20, 20))),
            ValueError,
            "image must have at most 144",
        ),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- plot_receptive_field -------------------------------------------------------------


def field(k, depth, stride=1):
    return 1 + (k - 1) * sum(stride**i for i in range(depth))


@pytest.mark.parametrize(
    ("k", "depth", "stride"), [(3, 3, 1), (1, 4, 1), (2, 1, 1), (5, 2, 2), (7, 5, 2)]
)
def test_plot_receptive_field_marks_the_receptive_field(k, depth, stride):
    fig = plotting.plot_receptive_field(k, depth, stride)
    ax = fig.get_axes()[0]
    assert ax.get_title().endswith(f"sees {field(k, depth, stride)} inputs")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["input"] + [f"layer {d}" for d in range(1, depth + 1)]
    # marked units: one scatter of plain and one of marked units per row
    marked = [c.get_offsets().shape[0] for c in ax.collections[3::2]]
    assert marked[0] == field(k, depth, stride) and marked[-1] == 1
    # stride <= k here, so each layer's marked units are contiguous
    assert marked == [field(k, depth - d, stride) for d in range(depth + 1)]


def test_plot_receptive_field_defaults_match_goodfellow_fig_9_4():
    ax = plotting.plot_receptive_field().get_axes()[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["7 marked", "5 marked", "3 marked", "1 marked"]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"k": 0}, ValueError, "k must be >= 1"),
        ({"k": 2.5}, TypeError, "k must be an integer"),
        ({"depth": 0}, ValueError, "depth must be >= 1"),
        ({"depth": "3"}, TypeError, "depth must be an integer"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"k": 9, "depth": 6, "stride": 3}, ValueError, "too many to draw"),
    ],
)
def test_plot_receptive_field_rejects_bad_input(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_receptive_field(**kwargs)


# --- plot_equivariance ----------------------------------------------------------------


def test_plot_equivariance_returns_four_panels():
    fig = plotting.plot_equivariance()
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 4
    assert fig.axes[3].get_title() == "|difference|: 0 pixels"  # shift 0


@pytest.mark.parametrize("kernel", list(plotting.EQUIVARIANCE_KERNELS))
def test_plot_equivariance_counts_differences_only_for_zero_boundary(kernel):
    zero = plotting.plot_equivariance(15, "coins", kernel, "zero")
    circular = plotting.plot_equivariance(-15, "coins", kernel, "circular")
    assert zero.axes[3].get_title() != "|difference|: 0 pixels"
    assert circular.axes[3].get_title() == "|difference|: 0 pixels"
    assert "moved by 15" in zero.axes[0].get_title()


@pytest.mark.parametrize(
    ("boundary", "padding"), [("zero", "zero"), ("circular", "wrap")]
)
def test_plot_equivariance_correlates_with_the_named_kernels(boundary, padding):
    assert np.array_equal(plotting.EQUIVARIANCE_KERNELS["edge"], convolution.SOBEL_X)
    assert np.array_equal(
        plotting.EQUIVARIANCE_KERNELS["horizontal edge"], convolution.SOBEL_Y
    )
    fig = plotting.plot_equivariance(0, "camera", "edge", boundary)
    photo = datasets.sample_image("camera")[::2, ::2]
    padded = convolution.pad_same(photo, (3, 3), padding)
    expected = convolution.correlate2d(padded, convolution.SOBEL_X)
    np.testing.assert_allclose(fig.axes[1].images[0].get_array(), expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"shift": 1.5}, TypeError, "shift must be an integer"),
        ({"shift": "3"}, TypeError, "shift"),
        ({"shift": 300}, ValueError, "shift must be smaller"),
        ({"image": "lena"}, ValueError, "image must be one of"),
        ({"kernel": "sobel"}, ValueError, "kernel must be one of"),
        ({"boundary": "reflect"}, ValueError, "boundary must be one of"),
    ],
)
def test_plot_equivariance_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_equivariance(**kwargs)
