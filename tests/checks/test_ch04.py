"""The checkers of chapter 4: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, datasets

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
