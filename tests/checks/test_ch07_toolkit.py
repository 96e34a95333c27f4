"""The checkers of chapter 7's toolkit exercises (im2col, a depthwise convolution,
the cost of a depthwise-separable block): right solutions pass, each known mistake
is named. That no graded value appears in a lesson page is tested with chapter 7's
other answers, in ``test_ch07.py``."""

import functools
import queue
import re
import threading
from fractions import Fraction

import numpy as np
import pytest

import convbn
from convbn import checks, convolution
from convbn.checks import _numpy_only, _precision
from convbn.convolution import depthwise_conv2d as library_depthwise
from convbn.convolution import im2col as library_im2col

#: The real functions, read before any checker ran.
REAL = {
    name: getattr(convolution, name)
    for name in ("im2col", "conv2d", "depthwise_conv2d", "correlate2d")
}

# --- check_im2col --------------------------------------------------------------------


def im2col_windows(x, kh, kw):
    """Right, window by window: each window's values in (m, q, c) order, a row."""
    n, h, w, _ = x.shape
    return np.array(
        [
            x[b, i : i + kh, j : j + kw, :].ravel()
            for b in range(n)
            for i in range(h - kh + 1)
            for j in range(w - kw + 1)
        ]
    )


def numpy_windows(x, kh, kw):
    """The windows (N, H_out, W_out, kh, kw, C), with numpy alone (the student's
    functions may not call convbn while a checker runs them)."""
    view = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return np.moveaxis(view, 3, 5)


def im2col_strided(x, kh, kw):
    """Right, with sliding_window_view and the channel axis moved last."""
    windows = numpy_windows(x, kh, kw)
    n, h_out, w_out = windows.shape[:3]
    return windows.reshape(n * h_out * w_out, -1)


def test_the_windows_the_mistakes_permute_are_extract_patches():
    """The checker's reference is convbn.convolution.im2col (tested against
    tf.image.extract_patches in tests/unit); the 6-D windows whose axes the known
    mistakes permute are TensorFlow's too."""
    import tensorflow as tf

    rng = np.random.default_rng(5)
    for n, h, w, c, kh, kw in [
        (2, 5, 7, 3, 2, 3),
        (1, 4, 4, 1, 4, 4),
        (3, 6, 5, 2, 1, 2),
    ]:
        x = rng.normal(size=(n, h, w, c))
        windows = checks.ch07_toolkit._windows(x, kh, kw)
        tf_patches = tf.image.extract_patches(
            x, [1, kh, kw, 1], [1, 1, 1, 1], [1, 1, 1, 1], "VALID"
        )
        assert np.array_equal(windows, np.reshape(tf_patches, windows.shape))
        assert np.array_equal(
            checks.ch07_toolkit._flat(windows), im2col_windows(x, kh, kw)
        )
        kernel = rng.normal(size=(kh, kw, c, 4))
        layer = (im2col_windows(x, kh, kw) @ kernel.reshape(-1, 4)).reshape(
            n, h - kh + 1, w - kw + 1, 4
        )
        assert np.allclose(layer, convolution.conv2d(x, kernel))


@pytest.mark.parametrize("solution", [im2col_windows, im2col_strided])
def test_check_im2col_accepts_correct_solutions(solution):
    assert checks.check_im2col(solution) is True
    assert checks.check_im2col(solution, seed=4) is True


def _window_axes(*axes):
    """im2col with the window array (N, H_out, W_out, kh, kw, C) transposed to
    ``axes`` before it is flattened to the rows' size."""

    def wrong(x, kh, kw):
        view = numpy_windows(x, kh, kw).transpose(*axes)
        return view.reshape(-1, kh * kw * x.shape[3])

    return wrong


def _flat(windows):
    return windows.reshape(np.prod(windows.shape[:3]), -1)


def _im2col_modifies(x, kh, kw):
    patches = im2col_windows(x, kh, kw)
    x[:] = 0
    return patches


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda x, kh, kw: np.lib.stride_tricks.sliding_window_view(
                x, (kh, kw), axis=(1, 2)
            ).reshape(-1, kh * kw * x.shape[3]),
            r"the columns are in \(c, m, q\) order \(sliding_window_view",
        ),
        (_window_axes(0, 1, 2, 4, 3, 5), r"the columns are in \(q, m, c\) order"),
        (_window_axes(0, 1, 2, 5, 4, 3), r"the columns are in \(c, q, m\) order"),
        (_window_axes(0, 1, 2, 3, 5, 4), r"the columns are in \(m, c, q\) order"),
        (_window_axes(0, 2, 1, 3, 4, 5), r"the rows are in \(n, j, i\) order"),
        (_window_axes(1, 2, 0, 3, 4, 5), r"the rows are in \(i, j, n\) order"),
        (lambda x, kh, kw: im2col_windows(x, kh, kw).T, "the matrix is transposed"),
        (lambda x, kh, kw: im2col_windows(x, kw, kh), "kh and kw are swapped"),
        (
            lambda x, kh, kw: numpy_windows(x, kh, kw),
            r"returned a 6-D array .*its values are right: only the reshape",
        ),
        (
            lambda x, kh, kw: im2col_windows(x, kh, kw).reshape(
                x.shape[0], x.shape[1] - kh + 1, x.shape[2] - kw + 1, -1
            ),
            r"returned a 4-D array .* flatten it to the 2-D patch matrix",
        ),
        (lambda x, kh, kw: im2col_windows(x[:, :-1, :-1], kh, kw), "off by one"),
        (
            lambda x, kh, kw: im2col_windows(
                np.pad(x, [(0, 0), (0, 1), (0, 1), (0, 0)]), kh, kw
            ),
            "one window too many per axis",
        ),
        (lambda x, kh, kw: im2col_windows(x[:1], kh, kw), "the rows of one image"),
        (lambda x, kh, kw: im2col_windows(x[..., :1], kh, kw), "channels are missing"),
        (_im2col_modifies, "modified its input x"),
        (lambda x, kh, kw: None, "did you forget `return`"),
        (lambda x, kh, kw: (im2col_windows(x, kh, kw),), "returned a tuple of 1"),
        (lambda x, kh, kw: "patches", "must return numbers, got str"),
        (lambda x, kh: im2col_windows(x, kh, kh), "raised TypeError"),
        (lambda x, kh, kw: im2col_windows(x, kh, kw) + 1e-3, "wrong value at"),
        (
            lambda x, kh, kw: _flat(numpy_windows(x, kh, kw)[:, :, :, ::-1, ::-1]),
            "each window is rotated by 180",
        ),
        (
            lambda x, kh, kw: im2col_windows(x, kh, kw).astype(int),
            "integer dtype int64, so every value in it was cut",
        ),
    ],
)
def test_check_im2col_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_im2col(wrong)


# --- check_depthwise_conv2d ----------------------------------------------------------


def depthwise_channels(x, w):
    """Right, channel by channel and filter by filter, each a 2-D cross-correlation
    of one channel's windows with one filter."""
    kh, kw, c, m = w.shape
    out = [
        [
            np.einsum(
                "ijab,ab->ij",
                np.lib.stride_tricks.sliding_window_view(x[b, :, :, ch], (kh, kw)),
                w[:, :, ch, f],
            )
            for ch in range(c)
            for f in range(m)
        ]
        for b in range(len(x))
    ]
    return np.moveaxis(np.array(out), 1, -1)


def depthwise_taps(x, w):
    """Right, one shifted copy of x per kernel position."""
    kh, kw, c, m = w.shape
    rows, cols = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    z = sum(
        x[:, a : a + rows, b : b + cols, :, None] * w[a, b]
        for a in range(kh)
        for b in range(kw)
    )
    return z.reshape(len(x), rows, cols, c * m)


def test_depthwise_reference_is_keras():
    keras = convbn.import_keras()
    rng = np.random.default_rng(6)
    for n, h, w_, c, kh, kw, m in [(2, 5, 6, 3, 3, 2, 2), (1, 4, 4, 2, 4, 4, 3)]:
        x = rng.normal(size=(n, h, w_, c)).astype("float32")
        w = rng.normal(size=(kh, kw, c, m)).astype("float32")
        layer = keras.layers.DepthwiseConv2D(
            (kh, kw), depth_multiplier=m, use_bias=False
        )
        layer.build(x.shape)
        layer.set_weights([w])
        assert np.allclose(convolution.depthwise_conv2d(x, w), layer(x), atol=1e-5)
        assert np.allclose(depthwise_taps(x, w), layer(x), atol=1e-5)
        # the checker's (N, H_out, W_out, C, M) view: channel c with its filter m
        by_filter = checks.ch07_toolkit._by_filter(x, w)
        alone = convolution.conv2d(x[..., 1:2], w[:, :, 1:2, m - 1 : m])
        assert np.allclose(by_filter[..., 1, m - 1], alone[..., 0], atol=1e-5)


@pytest.mark.parametrize("solution", [depthwise_channels, depthwise_taps])
def test_check_depthwise_conv2d_accepts_correct_solutions(solution):
    assert checks.check_depthwise_conv2d(solution) is True
    assert checks.check_depthwise_conv2d(solution, seed=2) is True


def _by_filter(x, w):
    """(N, H_out, W_out, C, M): channel c with its filter m."""
    out = depthwise_taps(x, w)
    return out.reshape(*out.shape[:3], *w.shape[2:])


def _dw_last_tap(x, w):
    """out = instead of out += in the loop over the kernel's entries."""
    kh, kw, c, m = w.shape
    rows, cols = x.shape[1] - kh + 1, x.shape[2] - kw + 1
    for a, b in np.ndindex(kh, kw):
        z = x[:, a : a + rows, b : b + cols, :, None] * w[a, b]
    return z.reshape(len(x), rows, cols, c * m)


def _same(k):
    return ((k - 1) // 2, k // 2)


def _dw_modifies(x, w):
    out = depthwise_taps(x, w)
    w *= 2
    return out


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            lambda x, w: np.moveaxis(_by_filter(x, w), 4, 3).reshape(
                *_by_filter(x, w).shape[:3], -1
            ),
            r"the order m \* C \+ c",
        ),
        (lambda x, w: _by_filter(x, w).sum(axis=3), "summed over the input channels"),
        (lambda x, w: depthwise_taps(x, w[::-1, ::-1]), "the kernel is flipped"),
        (lambda x, w: depthwise_taps(x, w[:, :, :, :1]), "the multiplier is ignored"),
        (
            lambda x, w: depthwise_taps(x, w.transpose(1, 0, 2, 3)),
            "the kernel is transposed",
        ),
        (_dw_modifies, "modified its input w"),
        (lambda x, w: depthwise_taps(x, w)[:, 1:], r"returned shape .* expected \(N"),
        (lambda x, w: None, "did you forget `return`"),
        (lambda x: x, "raised TypeError"),
        (lambda x, w: depthwise_taps(x, w) * 1.01, "wrong value at"),
        (_dw_last_tap, "only the last kernel entry"),
        (lambda x, w: depthwise_taps(x, w)[:, :-1, :-1], "off by one: the last output"),
        (
            lambda x, w: depthwise_taps(
                np.pad(x, [(0, 0), _same(w.shape[0]), _same(w.shape[1]), (0, 0)]), w
            ),
            "that is 'same' padding",
        ),
        (lambda x, w: depthwise_taps(x, w).astype(np.int32), "integer dtype int32"),
    ],
)
def test_check_depthwise_conv2d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_depthwise_conv2d(wrong)


def test_check_depthwise_conv2d_names_the_sum_over_channels_with_one_filter():
    def summed(x, w):
        total = _by_filter(x, w).sum(axis=3, keepdims=True)
        return np.broadcast_to(total, _by_filter(x, w).shape).reshape(
            *total.shape[:3], -1
        )

    with pytest.raises(
        AssertionError, match="every output channel holds a sum over the input"
    ):
        checks.check_depthwise_conv2d(summed)


# --- numpy only, and answers right only to float32's precision -----------------------


def via_alias(x, kh, kw):
    """im2col through a name imported from the library (this module's global)."""
    return library_im2col(x, kh, kw)


def depthwise_via_alias(x, w):
    return library_depthwise(x, w)


def _extract_patches(x, kh, kw):
    import tensorflow as tf

    patches = tf.image.extract_patches(x, [1, kh, kw, 1], [1] * 4, [1] * 4, "VALID")
    return patches.numpy().reshape(-1, kh * kw * x.shape[3])


def _tf_depthwise(x, w):
    import tensorflow as tf

    return tf.nn.depthwise_conv2d(x, w, [1] * 4, "VALID").numpy()


def _grouped(x, w):
    kh, kw, c, m = w.shape
    return convbn.convolution.conv2d(x, w.reshape(kh, kw, 1, c * m), groups=c)


IM2COL_RULE = "exercise 7.4 is numpy only: write im2col yourself, without "
DEPTHWISE_RULE = (
    "exercise 7.5 is numpy only: write the depthwise convolution yourself, without "
)


def assert_the_library_is_back():
    """Every function is the real one again, and nothing is left installed."""
    for name, real in REAL.items():
        assert getattr(convolution, name) is real, name
    assert globals()["library_im2col"] is REAL["im2col"]
    assert globals()["library_depthwise"] is REAL["depthwise_conv2d"]
    assert _numpy_only._INSTALLED == {}
    assert _numpy_only._RULES == {}


@pytest.mark.parametrize(
    ("check", "student", "match"),
    [
        (
            checks.check_im2col,
            lambda x, kh, kw: convbn.convolution.im2col(x, kh, kw),
            IM2COL_RULE + "convbn.convolution.im2col",
        ),
        (
            checks.check_im2col,
            REAL["im2col"],
            IM2COL_RULE + "convbn.convolution.im2col",
        ),
        (
            checks.check_im2col,
            functools.partial(REAL["im2col"]),
            IM2COL_RULE + "convbn.convolution.im2col",
        ),
        (checks.check_im2col, via_alias, IM2COL_RULE + "convbn.convolution.im2col"),
        (
            checks.check_im2col,
            _extract_patches,
            IM2COL_RULE + "tf.image.extract_patches",
        ),
        (
            checks.check_im2col,
            lambda x, kh, kw: im2col_windows(x, kh, kw)[
                : x.shape[0] * convbn.convolution.output_size(x.shape[1], kh)
            ],
            IM2COL_RULE + "convbn.convolution.output_size",
        ),
        (
            checks.check_depthwise_conv2d,
            lambda x, w: convbn.convolution.depthwise_conv2d(x, w),
            DEPTHWISE_RULE + "convbn.convolution.depthwise_conv2d",
        ),
        (
            checks.check_depthwise_conv2d,
            depthwise_via_alias,
            DEPTHWISE_RULE + "convbn.convolution.depthwise_conv2d",
        ),
        (
            checks.check_depthwise_conv2d,
            _grouped,
            DEPTHWISE_RULE + "convbn.convolution.conv2d",
        ),
        (
            checks.check_depthwise_conv2d,
            _tf_depthwise,
            DEPTHWISE_RULE + "tf.nn.depthwise_conv2d",
        ),
    ],
)
def test_a_library_call_is_refused_where_the_student_works(check, student, match):
    """What passes locally but not in the numpy-only grader is named in the
    notebook already; the real functions are back afterwards."""
    import tensorflow as tf  # loaded, as in a notebook that uses Keras

    real_tf = tf.image.extract_patches, tf.nn.depthwise_conv2d, tf.nn.conv2d
    with pytest.raises(AssertionError, match=f"^{re.escape(match)}$"):
        check(student)
    assert_the_library_is_back()
    assert (tf.image.extract_patches, tf.nn.depthwise_conv2d, tf.nn.conv2d) == real_tf
    assert np.array_equal(
        convolution.im2col(np.ones((1, 2, 2, 1)), 1, 1), np.ones((4, 1))
    )


def test_the_library_is_back_after_a_student_function_fails():
    def crashes(x, kh, kw):
        assert convolution.im2col is not REAL["im2col"]  # refused while it runs
        raise ZeroDivisionError("boom")

    with pytest.raises(AssertionError, match="raised ZeroDivisionError: boom"):
        checks.check_im2col(crashes)
    assert_the_library_is_back()
    with pytest.raises(AssertionError, match="the kernel is flipped"):
        checks.check_depthwise_conv2d(lambda x, w: depthwise_taps(x, w[::-1, ::-1]))
    assert_the_library_is_back()
    assert checks.check_im2col(im2col_strided) is True
    assert_the_library_is_back()


def test_other_threads_keep_the_library_while_a_student_function_runs():
    """The grader checks several submissions at once, in threads: only the thread
    that calls the student's function is refused. Here another check, in a thread
    of its own, calls im2col each time the student's function runs."""
    requests, answers, seen = queue.Queue(), queue.Queue(), []

    def other_check():
        for x, kh, kw in iter(requests.get, None):
            answers.put(convolution.im2col(x, kh, kw))

    def student(x, kh, kw):
        requests.put((x, kh, kw))
        seen.append(answers.get(timeout=60))
        return im2col_windows(x, kh, kw)

    thread = threading.Thread(target=other_check)
    thread.start()
    try:
        assert checks.check_im2col(student) is True
    finally:
        requests.put(None)
        thread.join()
    assert len(seen) == 14  # ten seeded cases, four fresh ones
    assert all(isinstance(patches, np.ndarray) for patches in seen)
    assert_the_library_is_back()


@pytest.mark.parametrize(
    ("check", "student", "match"),
    [
        (
            checks.check_depthwise_conv2d,
            lambda x, w: depthwise_taps(x.astype("float32"), w.astype("float32")),
            r"^right only to float32 precision: compute in float64 \(your array is "
            r"float32\) \(x of shape",
        ),
        (
            checks.check_depthwise_conv2d,
            lambda x, w: depthwise_taps(x.astype("float16"), w.astype("float16")),
            r"^right only to float16 precision: compute in float64 \(your array is "
            r"float16\)",
        ),
        (
            checks.check_depthwise_conv2d,
            lambda x, w: depthwise_taps(
                x.astype("float32"), w.astype("float32")
            ).astype(float),
            r"right only to float32 precision: compute in float64 throughout \(your "
            r"array is float64, but a step before it ran in float32\)",
        ),
        (
            checks.check_im2col,
            lambda x, kh, kw: im2col_windows(x.astype("float16"), kh, kw),
            r"right only to float16 precision: .*\(your array is float16\)",
        ),
    ],
)
def test_an_answer_right_to_float32_precision_is_named(check, student, match):
    with pytest.raises(AssertionError, match=match):
        check(student)


def test_a_wrong_value_shows_the_digits_that_differ():
    message = _precision.wrong_value(np.array([1.0, -3.1620912]), [1.0, -3.1620943])
    assert message == (
        "wrong value at (1,): expected -3.162094, got -3.162091 (a difference of "
        "3.1e-06)"
    )
    assert _precision.wrong_value(np.array(2.5), 2.0) == (
        "wrong value: expected 2, got 2.5"
    )


# --- check_separable_cost ------------------------------------------------------------

RIGHT_COSTS = {
    "standard_params": 96_000,
    "standard_multiply_adds": 34_656_000,
    "separable_params": 5_040,
    "separable_multiply_adds": 1_819_440,
    "ratio": 0.0525,
}


def test_separable_costs_are_what_keras_builds():
    keras = convbn.import_keras()
    right = checks.ch07_toolkit._separable_costs()
    assert right == RIGHT_COSTS
    x = np.zeros((1, *checks.ch07_toolkit.SEPARABLE_INPUT), "float32")
    standard = keras.layers.Conv2D(80, 5, padding="same", use_bias=False)
    separable = keras.layers.SeparableConv2D(80, 5, padding="same", use_bias=False)
    for layer, name in ((standard, "standard"), (separable, "separable")):
        out = layer(x)
        assert layer.count_params() == right[f"{name}_params"]
        positions = out.shape[1] * out.shape[2]
        assert positions * layer.count_params() == right[f"{name}_multiply_adds"]
    assert right["ratio"] == pytest.approx(1 / 80 + 1 / 5**2)
    # the depthwise and pointwise parts, counted separately
    depthwise = keras.layers.DepthwiseConv2D(5, padding="same", use_bias=False)
    depthwise.build(x.shape)
    pointwise = keras.layers.Conv2D(80, 1, use_bias=False)
    pointwise.build((1, 19, 19, 48))
    assert depthwise.count_params() + pointwise.count_params() == 5_040


def test_check_separable_cost_accepts_right_numbers_in_any_form():
    assert checks.check_separable_cost(RIGHT_COSTS) is True
    other_forms = {
        **RIGHT_COSTS,
        "standard_params": 96_000.0,
        "separable_multiply_adds": np.int64(1_819_440),
        "ratio": 1 / 80 + 1 / 25,
    }
    assert checks.check_separable_cost(other_forms) is True
    assert checks.check_separable_cost({**RIGHT_COSTS, "ratio": 0.05251}) is True


@pytest.mark.parametrize(
    "ratio",
    [
        Fraction(21, 400),
        Fraction(1, 80) + Fraction(1, 25),
        __import__("decimal").Decimal("0.0525"),
        np.float32(0.0525),
        np.float16(0.0525),
        np.array(0.0525),
    ],
)
def test_check_separable_cost_accepts_any_real_ratio(ratio):
    assert checks.check_separable_cost({**RIGHT_COSTS, "ratio": ratio}) is True


def test_check_separable_cost_accepts_whole_fractions_as_counts():
    whole = {
        **RIGHT_COSTS,
        "standard_params": Fraction(96_000),
        "separable_params": __import__("decimal").Decimal("5040"),
    }
    assert checks.check_separable_cost(whole) is True


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("standard_params", 96_080, "the biases are counted"),
        ("standard_params", 19_200, "k where k\\^2 belongs"),
        ("standard_params", 2_000, "the input channels are missing"),
        ("standard_params", 1_200, "that is one filter"),
        ("standard_params", 34_656_000, "do not depend on the image size"),
        ("standard_multiply_adds", 21_600_000, "output size of 'valid' padding"),
        ("standard_multiply_adds", 50_784_000, "padded input"),
        ("standard_multiply_adds", 96_000, "one output position"),
        ("standard_multiply_adds", 34_684_880, "the biases are counted"),
        ("standard_multiply_adds", 89**2 * 48 * 80, "the padding's zeros"),
        ("standard_multiply_adds", 2 * 34_656_000, "that counts FLOPs"),
        ("separable_params", 5_168, "the biases are counted"),
        ("separable_params", 5_120, "the biases are counted"),
        ("separable_params", 1_200, "the pointwise part is missing"),
        ("separable_params", 3_840, "the depthwise part is missing"),
        ("separable_params", 4_080, "k where k\\^2 belongs"),
        ("separable_params", 61_440, "not a full C_in x C_in convolution"),
        ("separable_params", 5_840, "on the C_in input channels"),
        ("separable_params", 99_840, "not C_out of them"),
        ("separable_params", 96_000, "the standard convolution's"),
        ("separable_multiply_adds", 1_134_000, "output size of 'valid' padding"),
        ("separable_multiply_adds", 433_200, "the pointwise part is missing"),
        ("separable_multiply_adds", 1_386_240, "the depthwise part is missing"),
        ("separable_multiply_adds", 5_040, "one output position"),
        ("separable_multiply_adds", 89**2 * 48 + 19**2 * 48 * 80, "padding's zeros"),
        ("separable_multiply_adds", 2 * 1_819_440, "that counts FLOPs"),
        ("ratio", 1 / 48 + 1 / 25, "C_in where C_out belongs"),
        ("ratio", 1 / 80 + 1 / 5, "k where k\\^2 belongs"),
        ("ratio", 0.0125, "the pointwise part is missing"),
        ("ratio", 0.04, "the depthwise part is missing"),
        ("ratio", 96_000 / 5_040, "upside down"),
        ("ratio", 5.25, "not in percent"),
        ("ratio", 0.9475, "the share of the work saved"),
        ("ratio", 5_168 / 96_080, "the biases are counted"),
        ("ratio", 0.053, "rounded too coarsely"),
        ("ratio", 1_766_448 / 30_416_640, "the padding's zeros"),
        ("ratio", Fraction(1, 3), r"wrong ratio \(you predicted 0.333"),
        ("standard_params", Fraction(1, 2), "a count is a whole number"),
        ("ratio", 0.07, r"ratio: wrong ratio \(you predicted 0.07\)"),
        ("standard_params", 12_345, r"wrong count \(you predicted 12345\)"),
        ("standard_params", 96_000.5, "a count is a whole number"),
        ("separable_params", "5040", "must return one count"),
        ("ratio", "1/80 + 1/25", "must be one number"),
        ("ratio", ..., "replace the ... with your prediction"),
    ],
)
def test_check_separable_cost_names_the_mistake(name, value, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_separable_cost({**RIGHT_COSTS, name: value})


def test_check_separable_cost_explains_every_wrong_prediction_at_once():
    wrong = {**RIGHT_COSTS, "separable_params": 1_200, "ratio": 0.04}
    with pytest.raises(AssertionError, match="2 of your 5 predictions are wrong") as e:
        checks.check_separable_cost(wrong)
    assert "pointwise part is missing" in str(e.value)
    assert str(RIGHT_COSTS["separable_params"]) not in str(e.value)  # no answer shown


def test_check_separable_cost_wants_a_dict_with_every_name():
    with pytest.raises(AssertionError, match="must be a dict"):
        checks.check_separable_cost([96_000])
    partial = {k: v for k, v in RIGHT_COSTS.items() if k != "ratio"}
    with pytest.raises(AssertionError, match="has no entry for 'ratio'"):
        checks.check_separable_cost(partial)
    with pytest.raises(AssertionError, match="unknown keys 'ratios'"):
        checks.check_separable_cost({**RIGHT_COSTS, "ratios": 0.05})
