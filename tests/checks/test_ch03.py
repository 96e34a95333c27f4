"""The checkers of chapter 3: right solutions pass, each known mistake is named."""

import numpy as np
import pytest
import scipy.signal

from convbn import checks, convolution, plotting
from convbn.checks import ch03

# --- checkers ---------------------------------------------------------------------


def correlate2d_windows(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + kh, j : j + kw] * kernel)
    return out


def correlate2d_shift_add(image, kernel):  # another correct way
    kh, kw = kernel.shape
    h, w = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    return sum(
        kernel[m, n] * image[m : m + h, n : n + w] for m in range(kh) for n in range(kw)
    )


def correlate1d_loop(x, w):
    k = len(w)
    padded = np.pad(x, k - 1)
    return [float(padded[t : t + k] @ w) for t in range(len(x) + k - 1)]


@pytest.mark.parametrize(
    ("checker", "solution"),
    [
        (checks.check_correlate2d, correlate2d_windows),
        (checks.check_correlate2d, correlate2d_shift_add),
        (checks.check_correlate2d, convolution.correlate2d_loops),
        (
            checks.check_correlate2d,
            lambda i, k: scipy.signal.correlate2d(i, k, mode="valid"),
        ),
        (checks.check_rotate180, lambda k: k[::-1, ::-1]),
        (checks.check_rotate180, lambda k: np.rot90(k, 2)),
        (checks.check_rotate180, lambda k: [row[::-1] for row in k[::-1]]),
        (checks.check_correlate1d_full, correlate1d_loop),
        (checks.check_correlate1d_full, lambda x, w: np.correlate(x, w, "full")),
    ],
)
def test_checker_accepts_correct_solutions(checker, solution):
    assert checker(solution) is True


def _only_square_images(image, kernel):
    k, n = kernel.shape[0], image.shape[0]
    out = np.zeros((n - k + 1, n - k + 1))
    for i in range(n - k + 1):
        for j in range(n - k + 1):
            out[i, j] = np.sum(image[i : i + k, j : j + k] * kernel)
    return out


def _only_square_kernels(image, kernel):
    k = kernel.shape[0]  # uses the row count for both axes
    out = np.zeros((image.shape[0] - k + 1, image.shape[1] - k + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(image[i : i + k, j : j + k] * kernel)
    return out


def _stops_one_short(image, kernel):
    return correlate2d_windows(image, kernel)[:-1, :-1]


def _skips_last_kernel_row(image, kernel):
    kernel = kernel.copy()
    kernel[-1] = 0
    return correlate2d_windows(image, kernel)


def _swapped_indices(image, kernel):
    kh, kw = kernel.shape
    out = np.zeros((image.shape[0] - kh + 1, image.shape[1] - kw + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += image[i + n, j + m] * kernel[m, n]
    return out


def _modifies_input(image, kernel):
    image -= image.mean()
    return correlate2d_windows(image, kernel)


WRONG_CORRELATE2D = [
    (lambda i, k: convolution.convolve2d(i, k), "flipped: that is convolution"),
    (lambda i, k: convolution.correlate2d(i, k, "full"), "returned the 'full'"),
    (lambda i, k: convolution.correlate2d(i, k, "same"), "returned the 'same'"),
    (lambda i, k: convolution.convolve2d(i, k, "full"), "'full' convolution"),
    (lambda i, k: correlate2d_windows(i, k).T, "transposed"),
    (lambda i, k: correlate2d_windows(i.T, k.T), "transposed"),
    (_only_square_images, "works only for square images"),
    (_only_square_kernels, "works only for square kernels"),
    (_stops_one_short, "off by one .* range\\(H - kh \\+ 1\\)"),
    (_skips_last_kernel_row, "off by one: your sum skips the kernel's last row"),
    (_swapped_indices, "indices are swapped"),
    (_modifies_input, "modified its input"),
    (lambda i, k: 1 / 0, "raised ZeroDivisionError"),
    (lambda i, k: 2 * correlate2d_windows(i, k), "wrong value at"),
    (lambda i, k: "nope", "must return numbers"),
]


@pytest.mark.parametrize(("wrong", "match"), WRONG_CORRELATE2D)
def test_check_correlate2d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_correlate2d(wrong)


def _rotate_in_place(k):
    k[:] = k[::-1, ::-1].copy()
    return k


WRONG_ROTATE = [
    (lambda k: k, "unchanged"),
    (lambda k: k[::-1], "rows only"),
    (lambda k: k[:, ::-1], "columns only"),
    (lambda k: k.T, "transposed the kernel"),
    (lambda k: k[::-1, ::-1].T, "anti-diagonal"),
    (np.rot90, "90 degrees"),
    (lambda k: np.rot90(k, -1), "90 degrees"),
    (_rotate_in_place, "modified the kernel"),
    (lambda k: -k[::-1, ::-1], "wrong value at"),
    (lambda k: k[::-1, ::-1].ravel(), "returned shape"),
]


@pytest.mark.parametrize(("wrong", "match"), WRONG_ROTATE)
def test_check_rotate180_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_rotate180(wrong)


WRONG_CORRELATE1D = [
    (lambda x, w: np.convolve(x, w), "flipped: that is convolution"),
    (lambda x, w: np.correlate(w, x, "full"), "not commutative"),
    (lambda x, w: np.correlate(x, w, "valid"), "valid part only"),
    (lambda x, w: np.correlate(x, w, "same"), "'same' part only"),
    (lambda x, w: correlate1d_loop(x, w)[1:], "misses the first value"),
    (lambda x, w: correlate1d_loop(x, w)[:-1], "misses the last value"),
    (lambda x, w: np.asarray(correlate1d_loop(x, w)) + 1, "wrong value at"),
]


@pytest.mark.parametrize(("wrong", "match"), WRONG_CORRELATE1D)
def test_check_correlate1d_full_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_correlate1d_full(wrong)


def test_checkers_reject_non_functions():
    for checker in (
        checks.check_correlate2d,
        checks.check_rotate180,
        checks.check_correlate1d_full,
    ):
        with pytest.raises(AssertionError, match="expected a function"):
            checker(42)


# --- the debug exercise: the shifted-parts correlation with its planted bug ---------


def correlate2d_planted_bug(image, kernel):  # exercise 3.1 as given
    kh, kw = kernel.shape
    rows, cols = image.shape[0] - kh + 1, image.shape[1] - kw + 1
    out = np.zeros((rows, cols))
    for m in range(kh):
        for n in range(kw):
            part = image[kh - 1 - m : kh - 1 - m + rows, kw - 1 - n : kw - 1 - n + cols]
            out += kernel[m, n] * part
    return out


def test_the_planted_bug_passes_the_worked_example_but_is_named():
    image, kernel = plotting.CORRELATION_IMAGE, plotting.CORRELATION_KERNEL
    worked = correlate2d_planted_bug(image, kernel)
    assert np.array_equal(worked, [[4, 3, 4], [2, 4, 3], [2, 3, 4]])
    with pytest.raises(AssertionError, match="kernel is flipped: that is convolution"):
        checks.check_correlate2d(correlate2d_planted_bug)


# --- check_impulse_responses (predict, then check) --------------------------------

RESPONSES = {
    "correlate": [[0, 0, 0, 0], [0, 6, 5, 4], [0, 3, 2, 1]],
    "convolve": [[0, 0, 0, 0], [0, 1, 2, 3], [0, 4, 5, 6]],
}


def test_impulse_responses_are_the_rotated_kernel_and_the_kernel():
    responses = ch03.impulse_responses()
    image, kernel = ch03.IMPULSE_IMAGE, ch03.IMPULSE_KERNEL
    assert np.array_equal(responses["correlate"], RESPONSES["correlate"])
    assert np.array_equal(responses["convolve"], RESPONSES["convolve"])
    assert np.array_equal(
        responses["correlate"], scipy.signal.correlate2d(image, kernel, "valid")
    )
    assert np.array_equal(
        responses["convolve"][1:, 1:], kernel
    )  # a single 1 copies the kernel


@pytest.mark.parametrize(
    "responses",
    [
        RESPONSES,
        {  # written differently: arrays built from the kernel, in another order
            "convolve": np.pad(np.arange(1.0, 7.0).reshape(2, 3), ((1, 0), (1, 0))),
            "correlate": np.pad(np.arange(6.0, 0, -1).reshape(2, 3), ((1, 0), (1, 0))),
        },
    ],
)
def test_check_impulse_responses_accepts_right_predictions(responses):
    assert checks.check_impulse_responses(responses) is True


def _stamp(pattern, corner=(1, 1)):
    out = np.zeros((3, 4))
    out[corner[0] : corner[0] + 2, corner[1] : corner[1] + 3] = pattern
    return out


K = np.array([[1, 2, 3], [4, 5, 6]])


@pytest.mark.parametrize(
    ("change", "match"),
    [
        (
            {"correlate": RESPONSES["convolve"], "convolve": RESPONSES["correlate"]},
            "that is the convolve output: the two are swapped",
        ),
        ({"correlate": _stamp(K[::-1, :])}, "only the rows are reversed: as the"),
        ({"correlate": _stamp(K[:, ::-1])}, "only the columns are reversed"),
        ({"convolve": _stamp(K[::-1, :])}, "convolution reverses the kernel along"),
        ({"correlate": _stamp(K[::-1, ::-1], (0, 1))}, "right but in the wrong place"),
        ({"convolve": _stamp(K, (1, 0))}, "right but in the wrong place"),
        ({"convolve": np.zeros((4, 6))}, "got shape \\(4, 6\\)"),
        ({"convolve": np.zeros((3, 4))}, "wrong entries; expected\n\\[\\[0"),
        ({"convolve": "K"}, "must be an array of numbers"),
        ({"convolve": ...}, "predict responses\\['convolve'\\] first"),
    ],
)
def test_check_impulse_responses_explains_each_wrong_prediction(change, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_impulse_responses({**RESPONSES, **change})


def test_check_impulse_responses_ends_with_the_reasoning():
    with pytest.raises(AssertionError) as error:
        checks.check_impulse_responses({**RESPONSES, "convolve": np.zeros((3, 4))})
    message = str(error.value)
    assert message.startswith("1 of your 2 predictions is wrong:")
    assert message.endswith("a single 1 reproduces the kernel.")
