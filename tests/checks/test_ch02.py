"""The checkers of chapter 2: right solutions pass, each known mistake is named."""

import numpy as np
import pytest
import scipy.linalg
import scipy.signal

from convbn import checks
from convbn.checks import ch02

# --- check_convolve2d --------------------------------------------------------------


def conv_loops(image, kernel):  # a correct solution written with loops
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += image[i + m, j + n] * kernel[kh - 1 - m, kw - 1 - n]
    return out


def conv_scipy(image, kernel):
    return scipy.signal.convolve2d(image, kernel, "valid").tolist()


def corr(image, kernel):
    return scipy.signal.correlate2d(image, kernel, "valid")


def conv_square_only(image, kernel):
    n, k = image.shape[0], kernel.shape[0]
    out = np.zeros((n - k + 1, n - k + 1))
    for i in range(n - k + 1):
        for j in range(n - k + 1):
            out[i, j] = np.sum(image[i : i + k, j : j + k] * kernel[::-1, ::-1])
    return out


def conv_short_loops(image, kernel):
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh + 1, W - kw + 1))
    for i in range(H - kh + 1):
        for j in range(W - kw + 1):
            window = image[i : i + kh - 1, j : j + kw] * kernel[::-1, ::-1][:-1]
            out[i, j] = window.sum()
    return out


def conv_too_small(image, kernel):
    return scipy.signal.convolve2d(image, kernel, "valid")[:-1, :-1]


def conv_too_large(image, kernel):
    H, W = image.shape
    kh, kw = kernel.shape
    out = np.zeros((H - kh + 2, W - kw + 2))
    out[:-1, :-1] = scipy.signal.convolve2d(image, kernel, "valid")
    return out


def conv_modifies(image, kernel):
    kernel[:] = kernel[::-1, ::-1].copy()
    return corr(image, kernel)


@pytest.mark.parametrize("solution", [conv_loops, conv_scipy])
def test_check_convolve2d_accepts_correct_solutions(solution):
    assert checks.check_convolve2d(solution) is True


@pytest.mark.parametrize(
    ("solution", "match"),
    [
        (corr, "not flipped: that is cross-correlation"),
        (lambda im, k: corr(im, k[::-1, :]), "flipped along the rows only"),
        (lambda im, k: corr(im, k[:, ::-1]), "flipped along the columns only"),
        (lambda im, k: conv_scipy(im, k.T), "indices are swapped"),
        (lambda im, k: scipy.signal.convolve2d(im, k, "full"), "'full' convolution"),
        (lambda im, k: scipy.signal.convolve2d(im, k, "same"), "'same' convolution"),
        (lambda im, k: scipy.signal.convolve2d(im, k, "valid").T, "transposed"),
        (conv_too_small, "one too small"),
        (conv_too_large, "one too large"),
        (conv_square_only, "works only for square images"),
        (conv_short_loops, "skips the kernel.s (first|last) row"),
        (conv_modifies, "modified its input"),
        (lambda im, k: 1 / 0, "raised ZeroDivisionError"),
        (lambda im, k: conv_scipy(im, k) + np.float64(0.1), "wrong value at"),
    ],
)
def test_check_convolve2d_names_the_mistake(solution, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_convolve2d(solution)


# --- check_output_size -------------------------------------------------------------


def size_ref(n, k, padding, stride):
    return {
        "valid": (n - k) // stride + 1,
        "same": -(-n // stride),
        "full": -(-(n + k - 1) // stride),
    }[padding]


def size_by_counting(n, k, padding, stride):  # count the kept positions one by one
    positions = {"valid": n - k + 1, "same": n, "full": n + k - 1}[padding]
    return np.int64(len(range(0, positions, stride)))


def size_numpy_float(n, k, padding, stride):
    return float(
        np.ceil({"valid": n - k + 1, "same": n, "full": n + k - 1}[padding] / stride)
    )


@pytest.mark.parametrize("solution", [size_ref, size_by_counting, size_numpy_float])
def test_check_output_size_accepts_correct_solutions(solution):
    assert checks.check_output_size(solution) is True


def size_wrong(**changes):
    def fn(n, k, padding, stride):
        if padding in changes:
            return changes[padding](n, k, stride)
        return size_ref(n, k, padding, stride)

    return fn


@pytest.mark.parametrize(
    ("solution", "match"),
    [
        (size_wrong(valid=lambda n, k, s: (n - k) // s), "forgot the \\+ 1"),
        (size_wrong(valid=lambda n, k, s: n - k), "forgot the \\+ 1"),
        (lambda n, k, p, s: size_ref(n, k, p, 1), "ignores the stride"),
        (size_wrong(same=lambda n, k, s: n // s), "floor where ceil is needed"),
        (size_wrong(full=lambda n, k, s: (n + k - 1) // s), "floor where ceil"),
        (size_wrong(valid=lambda n, k, s: -(-(n - k) // s) + 1), "ceil where floor"),
        (size_wrong(same=lambda n, k, s: size_ref(n, k, "full", s)), "confused 'same'"),
        (size_wrong(full=lambda n, k, s: size_ref(n, k, "same", s)), "confused 'full'"),
        (size_wrong(valid=lambda n, k, s: (n - k) / s + 1), "whole number"),
        (
            size_wrong(full=lambda n, k, s: (n + k - 1) // s + (s > 1)),
            "right for stride 1 but wrong",
        ),
        (size_wrong(full=lambda n, k, s: n + k), "off by one"),
        (lambda n, k, p, s: [n], "must return one number"),
    ],
)
def test_check_output_size_names_the_mistake(solution, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_output_size(solution)


# --- check_toeplitz_matrix --------------------------------------------------------


def toeplitz_loops(w, n):
    k = len(w)
    M = np.zeros((n + k - 1, n))
    for i in range(n + k - 1):
        for j in range(n):
            if 0 <= i - j < k:
                M[i, j] = w[i - j]
    return M


def toeplitz_columns(w, n):  # column j is w shifted down by j
    return np.stack([np.convolve(np.eye(n)[j], w) for j in range(n)], axis=1).tolist()


@pytest.mark.parametrize(
    "solution",
    [toeplitz_loops, toeplitz_columns, scipy.linalg.convolution_matrix],
)
def test_check_toeplitz_matrix_accepts_correct_solutions(solution):
    assert checks.check_toeplitz_matrix(solution) is True


def toeplitz_valid(w, n):
    return (
        scipy.linalg.convolution_matrix(w, n, "valid")
        if len(w) <= n
        else np.zeros((len(w) - n + 1, n))
    )


def toeplitz_same(w, n):
    return scipy.linalg.convolution_matrix(w, n, "same")


def toeplitz_modifies(w, n):
    w[0] = 0.0
    return toeplitz_loops(w, n)


@pytest.mark.parametrize(
    ("solution", "match"),
    [
        (lambda w, n: toeplitz_loops(w[::-1], n), "kernel is not flipped"),
        (lambda w, n: toeplitz_loops(w, n).T, "transposed"),
        (lambda w, n: toeplitz_loops(w, n)[::-1], "rows are in reverse order"),
        (lambda w, n: toeplitz_loops(w, n)[:, ::-1], "columns are in reverse order"),
        (
            lambda w, n: np.vstack([np.zeros((1, n)), toeplitz_loops(w, n)[:-1]]),
            "one row too low",
        ),
        (
            lambda w, n: np.vstack([toeplitz_loops(w, n)[1:], np.zeros((1, n))]),
            "one row too high",
        ),
        (toeplitz_valid, "shape of the 'valid'"),
        (toeplitz_same, "shape of the 'same'"),
        (toeplitz_modifies, "modified w"),
        (lambda w, n: toeplitz_loops(w, n) * 2, "wrong entry"),
    ],
)
def test_check_toeplitz_matrix_names_the_mistake(solution, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_toeplitz_matrix(solution)


# --- check_output_shapes (predict, then check) -----------------------------------

SHAPES = {"a": (24, 24), "b": (12, 12), "c": (14, 14), "d": (3, 5), "e": (2, 3)}
SHAPES["f"] = (7, 7)


def test_output_shapes_are_those_scipy_gives():
    shapes = ch02.output_shapes()
    assert shapes == SHAPES
    for key, (shape, layers) in ch02.SHAPE_CASES.items():
        out = np.ones(shape)
        for kernel_shape, mode, stride in layers:
            out = scipy.signal.convolve2d(out, np.ones(kernel_shape), mode)
            out = out[::stride, ::stride]
        assert out.shape == shapes[key], key


@pytest.mark.parametrize(
    "shapes",
    [
        SHAPES,
        {  # written differently: lists, numpy integers, floats with whole values
            key: [np.int64(r), float(c)] for key, (r, c) in reversed(SHAPES.items())
        },
        {key: np.array(value) for key, value in SHAPES.items()},
    ],
)
def test_check_output_shapes_accepts_right_predictions(shapes):
    assert checks.check_output_shapes(shapes) is True


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"a": (23, 23)}, "the \\+ 1 is missing"),
        ({"b": (24, 24)}, "the stride is ignored: stride 2 keeps one in 2 of the 24"),
        ({"b": (13, 13)}, "ceil where floor is needed"),
        ({"c": (12, 12)}, "that is the 'valid' count; 'same' pads"),
        ({"c": (28, 28)}, "Rows: the stride is ignored"),
        ({"d": (3, 4)}, "Columns: floor where ceil is needed"),
        ({"c": (16, 16)}, "that is the 'full' count; 'same' keeps n positions"),
        ({"d": (5, 3)}, "Rows and columns are swapped"),
        (
            {"e": (1, 3)},
            "\\(1, 3\\). Here rows ceil\\(4 / 2\\) = 2; columns ceil\\(6 / 2\\) = 3\n",
        ),
        ({"f": (28, 28)}, "strides of the stack are ignored"),
        ({"f": (16, 16)}, "applied to the stack's input"),
        (
            {"f": (8, 8)},
            "rows and columns alike: floor\\(\\(32 - 3\\) / 1\\) \\+ 1 = 30",
        ),
        ({"a": (24, 24.5)}, "shapes\\['a'\\] must be two whole numbers"),
        ({"a": 24}, "must be two whole numbers"),
        ({"a": ...}, "predict shapes\\['a'\\] first"),
    ],
)
def test_check_output_shapes_explains_each_wrong_prediction(change, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_output_shapes({**SHAPES, **change})


def test_check_output_shapes_explains_every_wrong_one_and_states_the_rule():
    with pytest.raises(AssertionError) as error:
        checks.check_output_shapes({**SHAPES, "a": (23, 23), "e": (4, 6)})
    lines = str(error.value).splitlines()
    assert lines[0] == "2 of your 6 predictions are wrong:"
    assert lines[1].startswith("- shapes['a']: (24, 24), not (23, 23).")
    assert lines[2].startswith("- shapes['e']: (2, 3), not (4, 6).")
    assert lines[3].startswith("The rule")
