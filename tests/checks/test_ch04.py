"""The checkers of chapter 4: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, datasets
from convbn.checks import ch04

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


# --- check_layer_counts (predict, then check) -------------------------------------

COUNTS = {"dense": 784 * 576, "sparse": 25 * 576, "shared": 25, "field": 169}


def test_layer_counts_are_measured_in_pixels():
    assert ch04.layer_counts() == COUNTS


@pytest.mark.parametrize(
    "counts",
    [
        COUNTS,
        {  # written differently: expressions, numpy and float numbers
            "field": np.int64(13) ** 2,
            "shared": 25.0,
            "sparse": np.array(14_400),
            "dense": 28**2 * 24**2,
        },
    ],
)
def test_check_layer_counts_accepts_right_predictions(counts):
    assert checks.check_layer_counts(counts) is True


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"dense": 784 * 784}, "That is m \\* m"),
        ({"dense": 576 * 576}, "That is n \\* n"),
        ({"dense": 28 * 24}, "counts pixels, not rows"),
        ({"dense": 784 + 576}, "one per \\(input, output\\) pair"),
        ({"dense": 1}, "451,584, not 1. The count: every one of the n = 24 \\* 24"),
        ({"sparse": 25 * 784}, "One kernel per OUTPUT"),
        ({"sparse": 5 * 576}, "has 25 weights, not 5"),
        ({"sparse": 25}, "That is the shared count"),
        ({"shared": 5}, "A 5 x 5 kernel has 25 weights"),
        ({"shared": 25 * 576}, "That is the sparse count"),
        ({"field": 13}, "13 is the side"),
        ({"field": 73}, "treats the image as a line"),
        ({"field": 125}, "not as k\\^d"),
        ({"field": 225}, "each layer adds k - 1 rows and columns"),
        ({"field": 144}, "Off by one along each axis"),
        ({"field": 2.5}, "169, not 2.5"),
        ({"field": "169"}, "counts\\['field'\\] must be one number"),
        ({"field": ...}, "predict counts\\['field'\\] first"),
    ],
)
def test_check_layer_counts_explains_each_wrong_prediction(change, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_layer_counts({**COUNTS, **change})


# --- check_receptive_field_stack (derive) -----------------------------------------


def stack_loop(kernels, strides):
    field, spacing = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        field += (k - 1) * spacing
        spacing *= s
    return field


def stack_sets(kernels, strides):  # written differently: the positions a unit reads
    positions = {0}
    for k, s in reversed(list(zip(kernels, strides, strict=True))):
        positions = {p * s + a for p in positions for a in range(k)}
    return float(max(positions) - min(positions) + 1)


@pytest.mark.parametrize("solution", [stack_loop, stack_sets])
def test_check_receptive_field_stack_accepts_right_solutions(solution):
    assert checks.check_receptive_field_stack(solution, seed=3) is True


def test_receptive_field_by_impulses_agrees_with_the_chapter():
    for k, s, d in [(3, 1, 4), (3, 2, 3), (2, 3, 3), (5, 1, 1)]:
        chapter = 1 + (k - 1) * sum(s**i for i in range(d))
        assert ch04.receptive_field_by_impulses([k] * d, [s] * d) == chapter


def _own_stride(kernels, strides):
    field, spacing = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        spacing *= s
        field += (k - 1) * spacing
    return field


def _added(kernels, strides):
    field, spacing = 1, 1
    for k, s in zip(kernels, strides, strict=True):
        field += (k - 1) * spacing
        spacing += s
    return field


def _sorts(kernels, strides):
    kernels.sort()
    return stack_loop(kernels, strides)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_own_stride, "own stride is counted"),
        (lambda ks, ss: 1 + sum(k - 1 for k in ks), "strides are ignored"),
        (lambda ks, ss: stack_loop(ks[::-1], ss[::-1]), "reverse order"),
        (_added, "multiplies, it does not add"),
        (lambda ks, ss: stack_loop([ks[0]] * len(ks), ss), "first layer's kernel"),
        (lambda ks, ss: int(np.prod(ks)), "fields do not multiply"),
        (lambda ks, ss: stack_loop(ks, ss) - 1, "off by one"),
        (lambda ks, ss: stack_loop(ks, ss) + 1, "off by one"),
        (lambda ks, ss: 2 * stack_loop(ks, ss) + 5, "wrong field: layer l adds"),
        (_sorts, "modified the lists"),
        (lambda ks, ss: stack_loop(ks, ss) + 0.5, "returned .*: a count is a whole"),
        (lambda ks: 3, "raised TypeError"),
    ],
)
def test_check_receptive_field_stack_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_receptive_field_stack(wrong)


# --- check_locally_connected1d ------------------------------------------------------


def local_taps(x, weights):
    outputs, k = weights.shape
    return sum(weights[:, a] * x[a : a + outputs] for a in range(k))


def local_rows(x, weights):  # written differently: one window per output
    return [
        float(weights[i] @ x[i : i + weights.shape[1]]) for i in range(len(weights))
    ]


@pytest.mark.parametrize("solution", [local_taps, local_rows])
def test_check_locally_connected1d_accepts_right_solutions(solution):
    assert checks.check_locally_connected1d(solution) is True


def _in_place_local(x, weights):
    weights *= 1.0
    x[0] = 0.0
    return local_taps(x, weights)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda x, w: np.correlate(x, w[0], "valid"), "first row of weights"),
        (lambda x, w: local_taps(x, w[:, ::-1]), "window is reversed"),
        (lambda x, w: local_taps(x, w[::-1]), "rows are used in reverse order"),
        (lambda x, w: local_taps(np.append(x[1:], 0.0), w), "one position late"),
        (
            lambda x, w: np.pad(local_taps(x, w), (0, w.shape[1] - 1)),
            "returned \\d+ values",
        ),
        (lambda x, w: local_taps(x, w)[:-1], "returned shape"),
        (lambda x, w: 2 * local_taps(x, w), "wrong value at"),
        (_in_place_local, "modified its input x"),
        (lambda x, w: None, "returned None"),
    ],
)
def test_check_locally_connected1d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_locally_connected1d(wrong)
