"""Chapter 4: the receptive-field figure and widget, and the chapter's checkers."""

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
import pytest

from convbn import checks, datasets, plotting, widgets


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- plot_receptive_field and its widget -------------------------------------------


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


def test_receptive_field_widget_has_three_sliders_and_redraws():
    widget = widgets.receptive_field_widget()
    assert isinstance(widget, ipw.interactive)
    sliders = {c.description: c for c in widget.children[:-1]}
    assert set(sliders) == {"kernel width k", "depth d", "stride s"}
    assert [s.value for s in sliders.values()] == [3, 3, 1]
    for slider in sliders.values():  # the largest values must still draw
        slider.value = slider.max
    sliders["kernel width k"].value = 1
    widget.update()
    assert widget.children[-1].outputs is not None


# --- checkers -------------------------------------------------------------------


def counts_loop(m, n, k):  # a correct solution written differently
    dense = sum(1 for _ in range(n) for _ in range(m))
    return np.int64(dense), np.int64(n * k), float(k)


def field_closed(k, depth, stride=1):
    if stride == 1:
        return depth * (k - 1) + 1
    return 1 + (k - 1) * (stride**depth - 1) // (stride - 1)


def field_loop(k, depth, stride=1):
    # propagate the set of input positions that influence one unit
    active = {0}
    for _ in range(depth):
        active = {i * stride + a for i in active for a in range(k)}
    return max(active) - min(active) + 1


def diff_loop(image):
    image = np.array(image, dtype=float)
    out = np.zeros((image.shape[0], image.shape[1] - 1))
    for i in range(image.shape[0]):
        for j in range(image.shape[1] - 1):
            out[i, j] = image[i, j + 1] - image[i, j]
    return out.tolist()


@pytest.mark.parametrize(
    ("checker", "solution"),
    [
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k * n, k)),
        (checks.check_parameter_counts, counts_loop),
        (checks.check_receptive_field, field_closed),
        (checks.check_receptive_field, field_loop),
        (checks.check_difference_image, lambda im: np.diff(im, axis=1)),
        (checks.check_difference_image, diff_loop),
    ],
)
def test_checker_accepts_correct_solutions(checker, solution):
    assert checker(solution) is True


def _in_place(image):
    image[:, 1:] -= image[:, :-1].copy()
    return image[:, 1:]


@pytest.mark.parametrize(
    ("checker", "wrong", "match"),
    [
        (checks.check_parameter_counts, lambda m, n, k: (k * n, m * n, k), "order"),
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k * m, k), "OUTPUT"),
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k * n, k * n), "SAME"),
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k, k), "own k"),
        (checks.check_parameter_counts, lambda m, n, k: (m + n, k * n, k), "m \\* n"),
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k * n, 1), "still"),
        (checks.check_parameter_counts, lambda m, n, k: (m * n, k * n), "three"),
        (checks.check_parameter_counts, lambda m, n, k: 1 / 0, "ZeroDivisionError"),
        (checks.check_receptive_field, lambda k, d, s=1: k * d, "k \\* depth"),
        (checks.check_receptive_field, lambda k, d, s=1: d * (k - 1), "off by one"),
        (checks.check_receptive_field, lambda k, d, s=1: k**d, "linearly"),
        (checks.check_receptive_field, lambda k, d, s=1: d * (k - 1) + 1, "stride-1"),
        (
            checks.check_receptive_field,
            lambda k, d, s=1: 1 + (k - 1) * d * s,
            "compounds",
        ),
        (
            checks.check_receptive_field,
            lambda k, d, s=1: 1 + (k - 1) * sum(s**i for i in range(1, d + 1)),
            "power",
        ),
        (checks.check_receptive_field, lambda k, d: d * (k - 1) + 1, "third param"),
        (checks.check_difference_image, lambda im: im[1:] - im[:-1], "columns"),
        (checks.check_difference_image, lambda im: im[:, :-1] - im[:, 1:], "sign"),
        (
            checks.check_difference_image,
            lambda im: np.diff(im, axis=1, prepend=0),
            "valid mode",
        ),
        (checks.check_difference_image, lambda im: np.abs(np.diff(im)), "absolute"),
        (checks.check_difference_image, lambda im: np.diff(im).T, "transposed"),
        (checks.check_difference_image, _in_place, "modified"),
        (checks.check_difference_image, lambda im: None, "None"),
        (
            checks.check_difference_image,
            lambda im: np.diff(im)[:, ::-1],
            "wrong value at",
        ),
    ],
)
def test_checker_names_the_mistake(checker, wrong, match):
    with pytest.raises(AssertionError, match=match):
        checker(wrong)


def test_difference_image_on_the_chapter_image_has_goodfellow_shape():
    image = datasets.sample_image("chelsea")[10:290, 70:390]
    edges = image[:, 1:] - image[:, :-1]
    assert image.shape == (280, 320) and edges.shape == (280, 319)
    assert edges.size * 3 == 267_960
