"""Exercises 7.1 to 7.5 are numpy only: while a checker runs the student's function,
nothing of convbn, scipy or TensorFlow may be called, however it is reached (the
grader runs these functions where only numpy can be imported, so what passed in the
notebook would fail there); and the toolkit's checkers draw fresh cases at every
run, so that no table of recorded answers passes."""

import re
import sys
import threading
import types

import numpy as np
import pytest
from test_ch07_toolkit import (
    REAL,
    assert_the_library_is_back,
    depthwise_taps,
    im2col_strided,
)

from convbn import checks, convolution, pooling
from convbn.checks import _numpy_only


class Lazy:
    """The answer computed when the checker reads it, after the function returned."""

    def __init__(self, *args):
        self.args = args

    def __array__(self, dtype=None, copy=None):
        return REAL["im2col"](*self.args)


class CallableIm2col:
    def __call__(self, x, kh, kw):
        return convolution.im2col(x, kh, kw)


def _catches(x, kh, kw):
    try:
        return convolution.im2col(x, kh, kw)
    except AssertionError:
        return convolution.im2col.__wrapped__(x, kh, kw)


def _unwatched(x, kh, kw):
    sys.setprofile(None)
    return REAL["im2col"](x, kh, kw)


def _in_a_thread(x, kh, kw):
    found = []
    thread = threading.Thread(target=lambda: found.append(REAL["im2col"](x, kh, kw)))
    thread.start()
    thread.join()
    return found[0]


def _scipy_depthwise(x, w):
    from scipy import signal

    kh, kw, c, m = w.shape
    out = np.zeros((len(x), x.shape[1] - kh + 1, x.shape[2] - kw + 1, c, m))
    for n, d, k in np.ndindex(len(x), c, m):
        out[n, :, :, d, k] = signal.correlate2d(x[n, :, :, d], w[:, :, d, k], "valid")
    return out.reshape(*out.shape[:3], -1)


def _raw_depthwise(x, w):
    import tensorflow as tf

    strides = [1, 1, 1, 1]
    out = tf.raw_ops.DepthwiseConv2dNative(
        input=x, filter=w, strides=strides, padding="VALID"
    )
    return out.numpy()


_COPY = types.FunctionType(
    REAL["im2col"].__code__,
    REAL["im2col"].__globals__,
    "copy",
    REAL["im2col"].__defaults__,
    REAL["im2col"].__closure__,
)
_COPY.__kwdefaults__ = REAL["im2col"].__kwdefaults__


@pytest.mark.parametrize(
    ("check", "student", "match"),
    [
        (checks.check_im2col, lambda x, kh, kw: _COPY(x, kh, kw), "without convbn: "),
        (
            checks.check_im2col,
            lambda x, kh, kw: convolution.im2col.__wrapped__(x, kh, kw),
            "without convbn: your function called convbn",
        ),
        (
            checks.check_im2col,
            lambda x, kh, kw: checks.ch07_toolkit._flat(
                checks.ch07_toolkit._windows(x, kh, kw)
            ),
            "without convbn: your function called convbn.checks.ch07_toolkit._windows",
        ),
        (checks.check_im2col, CallableIm2col(), "without convbn.convolution.im2col"),
        (checks.check_im2col, lambda x, kh, kw: Lazy(x, kh, kw), "without convbn"),
        (checks.check_im2col, lambda x, kh, kw: [Lazy(x, kh, kw)][0], "convbn"),
        (checks.check_im2col, _catches, "without convbn"),
        (checks.check_im2col, _unwatched, "removed the checker's watch"),
        (checks.check_im2col, _in_a_thread, "started a thread or a process"),
        (
            checks.check_depthwise_conv2d,
            _scipy_depthwise,
            "without scipy: your function called scipy",
        ),
        (checks.check_depthwise_conv2d, _raw_depthwise, "without tensorflow: "),
    ],
)
def test_every_way_round_the_refusal_is_refused(check, student, match):
    """Item: a copy of the library's function, its __wrapped__, a checker's helper, a
    callable object, an object that computes its array when the checker reads it,
    a refusal caught and another way tried, the watch removed, a thread, scipy and
    TensorFlow's raw operations: each passed the check in the notebook and failed
    where the class is graded."""
    pytest.importorskip("scipy")
    pytest.importorskip("tensorflow")
    with pytest.raises(AssertionError, match=re.escape(match)):
        check(student)
    assert_the_library_is_back()
    assert sys.getprofile() is None


def test_the_forbidden_packages_are_those_the_grader_hides():
    from convbn_tools import isolation

    assert _numpy_only.FORBIDDEN == isolation.FORBIDDEN_IN_NUMPY_VIEW


def test_the_watch_leaves_numpy_and_the_standard_library_alone():
    def student(x, kh, kw):
        import collections
        import math

        assert math.isfinite(float(np.sum(x)))
        assert collections.Counter("ab")["a"] == 1
        return im2col_strided(x, kh, kw).tolist()

    assert checks.check_im2col(student) is True
    assert sys.getprofile() is None


def _recorded(check, make, key):
    """A table of the answers to the inputs of one run, then replayed."""
    table = {}

    def recording(*args):
        table[key(*args)] = make(*args)
        return table[key(*args)]

    assert check(recording) is True
    return lambda *args: table[key(*args)]


@pytest.mark.parametrize(
    ("check", "make"),
    [
        (checks.check_im2col, im2col_strided),
        (checks.check_depthwise_conv2d, lambda x, w: depthwise_taps(x, w)),
    ],
)
def test_recorded_answers_fail_on_the_fresh_cases(check, make):
    """Item: with seeded cases alone, a table of the answers recorded in one run
    (pasted into the notebook) passed every later run."""
    replay = _recorded(check, make, lambda x, *rest: x.tobytes())
    with pytest.raises(AssertionError, match="raised KeyError"):
        check(replay)


def test_a_long_error_message_is_cut():
    def student(x, kh, kw):
        raise KeyError(x.tobytes())

    with pytest.raises(AssertionError) as error:
        checks.check_im2col(student)
    assert len(str(error.value)) < 500
    assert "raised KeyError: " in str(error.value)


def _layers_via_library(n, channels, filters, k, stride):
    """Exercise 7.3's numbers, with the library's output size."""
    convolution.output_size(n, k, "same", stride)  # what a student would call
    return checks.ch07_layers._right(n, channels, filters, k, stride)


@pytest.mark.parametrize(
    ("check", "student", "match"),
    [
        (
            checks.check_conv2d_backward,
            lambda d, x, w, s: convolution.conv2d_backward(d, x, w, s),
            "exercise 7.1 is numpy only: write the backward pass yourself, without "
            "convbn.convolution.conv2d_backward",
        ),
        (
            checks.check_max_pool2d_backward,
            lambda d, x, size, s: pooling.pool2d_backward(d, x, size, s),
            "exercise 7.2 is numpy only: fix the backward pass yourself, without "
            "convbn.pooling.pool2d_backward",
        ),
        (
            checks.check_layer_predictions,
            _layers_via_library,
            "exercise 7.3 is numpy only: write the rules yourself, without "
            "convbn.convolution.output_size",
        ),
    ],
)
def test_the_backward_passes_and_the_layer_rules_refuse_the_library(
    check, student, match
):
    """Item: exercises 7.1 to 7.3 are numpy only, but their checkers passed a
    function that called convbn's own conv2d_backward or pool2d_backward."""
    with pytest.raises(AssertionError, match=re.escape(match)):
        check(student)
    assert_the_library_is_back()
    assert sys.getprofile() is None
