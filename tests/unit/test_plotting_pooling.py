"""Plots of Part II (chapter 6, pooling): convbn.plotting.pooling."""

import matplotlib.pyplot as plt
import numpy as np
import pytest

from convbn import convolution, datasets, plotting, pooling
from convbn.plotting.pooling import _windows

# --- pooling_feature_map, plot_pool1d, plot_pooling -----------------------------------


@pytest.mark.parametrize("image", ["coins", "camera", "text"])
def test_pooling_feature_map_is_a_relu_of_an_edge_response(image):
    fmap = plotting.pooling_feature_map(image)
    assert fmap.ndim == 2 and max(fmap.shape) <= 256 and fmap.min() == 0.0
    assert fmap.max() > 0.5  # real edges respond


def test_pooling_feature_map_keeps_the_edges_sobel_x_marks_positive():
    assert np.array_equal(plotting.POOLING_KERNEL, convolution.SOBEL_X)
    photo = datasets.sample_image("coins")[::2, ::2]
    response = convolution.correlate2d(photo, convolution.SOBEL_X)  # + where brighter
    np.testing.assert_array_equal(
        plotting.pooling_feature_map("coins"), np.maximum(response, 0.0)
    )


def test_plot_pool1d_draws_the_windows_of_pool1d():
    x = np.array([0.1, 1.0, 0.2, 0.1, 0.0, 0.1])
    fig = plotting.plot_pool1d(x, 3, 2, padding="same", title="Fig. 9.10")
    ax = fig.axes[0]
    texts = [t.get_text() for t in ax.texts]
    assert texts[:3] == ["1", "0.2", "0.1"]  # the pooled units first
    assert len(texts) == 3 + len(x)
    assert len(ax.lines) == 3 + 3 + 2  # the rightmost window covers two units
    assert ax.get_title() == "Fig. 9.10"


@pytest.mark.parametrize(
    ("n", "size", "stride", "padding"),
    [
        (n, size, stride, padding)
        for n in range(1, 10)
        for size in (1, 2, 3, 5)
        for stride in (1, 2, 3)
        for padding in ("valid", "same")
        if padding == "same" or size <= n  # a valid window must fit
    ],
)
def test_plot_pool1d_windows_agree_with_pool1d(n, size, stride, padding):
    x = np.random.default_rng(n).normal(size=n)
    windows = _windows(n, size, stride, padding)
    for kind, stat in (("max", np.max), ("average", np.mean)):
        expected = pooling.pool1d(x, size, stride, kind, padding)
        assert np.allclose([stat(x[a:b]) for a, b in windows], expected)


def test_plot_pool1d_marks_units_and_draws_into_given_axes():
    fig, axes = plt.subplots(2, 1)
    x = np.array([0.3, 0.1, 1.0, 0.2, 0.1, 0.0])
    out = plotting.plot_pool1d(x, mark=[True, False, False, True], ax=axes[1])
    assert out is fig
    widths = [t.get_bbox_patch().get_linewidth() for t in axes[1].texts[:4]]
    assert widths[0] > widths[1] and widths[3] > widths[2]


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"x": np.ones((2, 3))}, ValueError, "x must be a 1-D"),
        ({"x": "abc"}, TypeError, "x must be a numeric"),
        ({"size": 0}, ValueError, "size must be >= 1"),
        ({"size": 7}, ValueError, "size 7 is larger"),
        ({"stride": 1.5}, TypeError, "stride must be an integer"),
        ({"kind": "median"}, ValueError, "kind must be one of"),
        ({"padding": "full"}, ValueError, "padding must be one of"),
        ({"mark": [True, False]}, ValueError, "mark must hold one boolean"),
        ({"mark": [1, 0, 0, 1]}, ValueError, "mark must hold one boolean"),
        ({"fmt": 3}, TypeError, "fmt must be a format string"),
        ({"title": 3}, TypeError, "title must be a string"),
    ],
)
def test_plot_pool1d_rejects_bad_arguments(kwargs, error, match):
    args = {"x": [0.3, 0.1, 1.0, 0.2, 0.1, 0.0]} | kwargs
    with pytest.raises(error, match=match):
        plotting.plot_pool1d(**args)


def test_plot_pooling_returns_map_and_pooled_map():
    fig = plotting.plot_pooling()
    assert isinstance(fig, plt.Figure) and len(fig.axes) == 2
    assert fig.axes[0].get_title() == "detector output: 150 x 190"
    assert fig.axes[1].get_title().startswith("max pooling: 50 x 63")
    assert len(fig.axes[0].patches) == 3 and len(fig.axes[1].patches) == 3


@pytest.mark.parametrize("kind", pooling.KINDS)
@pytest.mark.parametrize("padding", pooling.PADDINGS)
def test_plot_pooling_every_kind_and_padding(kind, padding):
    fig = plotting.plot_pooling(kind, 4, 3, padding, "camera", sigma=0.8)
    rows = 85 if padding == "same" else 84  # ceil(254 / 3), (254 - 4) // 3 + 1
    assert f"{kind} pooling: {rows} x {rows}" in fig.axes[1].get_title()


def test_plot_pooling_window_as_large_as_stride_grid():
    fig = plotting.plot_pooling(size=32, stride=32, image="coins")
    assert "4 x 5" in fig.axes[1].get_title()


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kind": "median"}, ValueError, "kind must be one of"),
        ({"size": 0}, ValueError, "size must be >= 1"),
        ({"size": 33}, ValueError, "size must be <= 32"),
        ({"size": 2.5}, TypeError, "size must be an integer"),
        ({"stride": 0}, ValueError, "stride must be >= 1"),
        ({"stride": "2"}, TypeError, "stride must be an integer"),
        ({"padding": "full"}, ValueError, "padding must be one of"),
        ({"image": "lena"}, ValueError, "image must be one of"),
        ({"sigma": 0.0}, ValueError, "sigma must be > 0"),
    ],
)
def test_plot_pooling_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_pooling(**kwargs)


# --- layer_geometry and plot_layer_geometry (chapter 7) -------------------------------


@pytest.mark.parametrize(
    ("k", "s", "r"), [(3, 2, 1), (4, 2, 1), (3, 1, 2), (2, 3, 1), (1, 1, 1), (5, 4, 3)]
)
def test_layer_geometry_agrees_with_conv2d(k, s, r):
    g = plotting.layer_geometry(k, s, r)
    assert g["span"] == (k - 1) * r + 1
    # the taps of output (0, j) are where a one-hot input makes conv2d's output fire
    size = g["size"]
    w = np.ones((k, k, 1, 1))
    for j, taps in enumerate(g["taps"]):
        for row, col in taps:
            x = np.zeros((1, g["span"], size, 1))
            x[0, row, col, 0] = 1.0
            out = convolution.conv2d(x, w, stride=s, dilation=r)
            assert out[0, 0, j, 0] == 1.0
        assert len(set(taps)) == k * k
    # two stacked layers: the input pixels one output of layer 2 depends on
    n = g["field2"] + 2 * s
    h1 = convolution.output_size(n, g["span"], "valid", s)
    h2 = convolution.output_size(h1, g["span"], "valid", s)
    dout2 = np.zeros((1, h2, h2, 1))
    dout2[0, 0, 0, 0] = 1.0
    first = np.ones((1, h1, h1, 1))
    dout1 = convolution.conv2d_backward(dout2, first, w, s, "valid", r)[0]
    grad = convolution.conv2d_backward(dout1, np.ones((1, n, n, 1)), w, s, "valid", r)[
        0
    ]
    rows = np.flatnonzero(grad[0, :, 0, 0])
    assert rows.max() - rows.min() + 1 == g["field2"]
    # the coverage is conv2d_transpose's; even exactly when s divides k (or s = 1)
    assert np.array_equal(
        g["coverage"],
        convolution.conv2d_transpose(np.ones((1, 4, 4, 1)), w, s)[0, :, :, 0],
    )
    assert g["even"] == (k % s == 0)


def test_plot_layer_geometry_titles_state_span_field_and_pattern():
    fig = plotting.plot_layer_geometry(3, 2, 2)
    left, right = fig.axes[:2]
    title = left.get_title("left")
    assert "span 5" in title and "two layers see 13" in title
    assert "checkerboard" in right.get_title("right")
    assert (
        plotting.plot_layer_geometry(4, 2, 1)
        .axes[1]
        .get_title("right")
        .endswith("overlaps are even")
    )
    assert "gaps" in plotting.plot_layer_geometry(2, 3, 1).axes[1].get_title("right")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"kernel_size": 0}, ValueError, "kernel_size must be >= 1"),
        ({"stride": 1.5}, TypeError, "stride must be an integer"),
        ({"dilation": 0}, ValueError, "dilation must be >= 1"),
    ],
)
def test_plot_layer_geometry_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_layer_geometry(**kwargs)
