"""Chapter 2: the explorer and Fig. 9.1 figures, the widget and the checkers."""

import math

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
import pytest
import scipy.linalg
import scipy.signal

from convbn import checks, plotting, widgets


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- plot_convolution_explorer and its widget ------------------------------------


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


def test_convolution_explorer_widget_has_four_controls_and_redraws():
    widget = widgets.convolution_explorer()
    assert isinstance(widget, ipw.interactive)
    controls = {c.description: c for c in widget.children[:-1]}
    assert set(controls) == {"kernel", "mode", "stride", "photograph"}
    assert [c.value for c in controls.values()] == ["box", "valid", 1, "camera"]
    controls["kernel"].value = "vertical edge"
    controls["mode"].value = "full"
    controls["stride"].value = controls["stride"].max
    controls["photograph"].value = "coins"
    widget.update()
    assert widget.children[-1].outputs is not None


# --- Fig. 9.1 --------------------------------------------------------------------


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
