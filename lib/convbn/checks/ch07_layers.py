"""Chapter 7, exercise 7.3: the checker of the numbers of an encoder's ``Conv2D`` and
a decoder's ``Conv2DTranspose``, predicted by hand for one pair of layers and then
written as a function of the layers' sizes.

The student's ``fn(n, channels, filters, k, stride)`` returns, for
``Conv2D(filters, k, strides=stride, padding="same")`` on an image of shape
``(n, n, channels)`` and ``Conv2DTranspose(channels, k, strides=stride,
padding="same", output_padding=0)`` on the encoder's output, the five numbers of
:data:`PREDICTION_NAMES`. The right numbers are computed here, privately, from
:func:`convbn.convolution.output_size` and
:func:`convbn.convolution.transpose_output_size` (``tests/checks/test_ch07.py``
checks them against Keras); no public function hands them out. The checker is
numpy-only (``convbn.checks.ch07.NUMPY_ONLY``): in the grader the function runs where
Keras cannot be imported, so asking Keras is no answer. Its messages say which
number is wrong, what the mistake is when it is a usual one, and which rule to
revisit, never the right value. Re-exported by :mod:`convbn.checks.ch07`.
"""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution
from ._core import (
    Mistake,
    as_int,
    as_predictions,
    call,
    first_mistake,
    fresh_rng,
    shown,
)
from ._numpy_only import library, refusing

__all__ = ["check_layer_predictions", "PREDICTION_NAMES"]

#: The numbers of exercise 7.3, in the order the exercise asks for them.
PREDICTION_NAMES = (
    "conv_params",
    "conv_shape",
    "conv_multiply_adds",
    "transpose_params",
    "transpose_shape",
)

#: The pair of layers the exercise asks to predict by hand, first of the cases:
#: (n, channels, filters, k, stride).
_BY_HAND = (46, 3, 24, 5, 2)
#: Then stride 1, an odd image, channels == filters, a 1 x 1 kernel with stride 3,
#: a kernel as large as the image, one channel, a stride that divides n, and an
#: image whose size the decoder neither gives back nor rounds up to n s.
_CASES = [
    _BY_HAND,
    (32, 1, 8, 3, 1),
    (45, 3, 24, 5, 2),
    (28, 16, 16, 3, 2),
    (10, 2, 4, 1, 3),
    (7, 4, 6, 7, 3),
    (17, 1, 1, 3, 2),
    (30, 2, 5, 5, 3),
    (11, 2, 3, 5, 3),
]

#: What to revisit when a number is wrong in an unusual way.
_RULES = {
    "conv_params": "what one filter holds, and how many filters and biases a layer "
    "has (section 7.1)",
    "conv_shape": "how 'same' padding and a stride set the output size (chapter 2), "
    "and how many channels a layer outputs (section 7.1)",
    "conv_multiply_adds": "what one output value costs and how many output values "
    "there are (section 7.1)",
    "transpose_params": "the layout of Conv2DTranspose's kernel, (k, k, C_out, C_in), "
    "and its biases (section 7.4)",
    "transpose_shape": "the output size of a transposed convolution with "
    "output_padding (section 7.4)",
}


def _right(n, channels, filters, k, stride) -> dict:
    side = convolution.output_size(n, k, "same", stride)
    up = convolution.transpose_output_size(side, k, "same", stride, output_padding=0)
    weights = k * k * channels * filters
    return {
        "conv_params": weights + filters,
        "conv_shape": (side, side, filters),
        "conv_multiply_adds": side * side * weights,
        "transpose_params": weights + channels,
        "transpose_shape": (up, up, channels),
    }


def _mistakes(name, n, c, f, k, s) -> list[Mistake]:
    """The usual wrong values of ``name`` for this pair of layers, diagnosed."""
    o = convolution.output_size(n, k, "same", s)
    valid = convolution.output_size(n, k, "valid", s) if k <= n else None
    weights = k * k * c * f
    if name == "conv_params":
        return [
            Mistake(weights, "the biases are missing: one per filter"),
            Mistake(
                k * k * f + f,
                "the input channels are missing: each filter holds a k x k kernel "
                "for every input channel",
            ),
            Mistake(
                k * k * c + 1,
                "that is one filter: the layer has `filters` of them, each with its "
                "bias",
            ),
            Mistake(
                weights + c,
                "one bias per filter (output channel), not per input channel",
            ),
            Mistake(k * c * f + f, "a k x k kernel has k * k weights, not k"),
            Mistake(
                n * n * c * f + f,
                "the parameters do not depend on the image size: the same kernel is "
                "used at every position (parameter sharing)",
            ),
        ]
    if name == "conv_shape":
        return [
            Mistake(
                None if valid is None else (valid, valid, f),
                "that is the size with 'valid' padding; revisit what 'same' padding "
                "does at the border (chapter 2)",
            ),
            Mistake(
                (n // s, n // s, f),
                "the number of positions is rounded down; with 'same' padding a last, "
                "incomplete step of the stride still gets its position",
            ),
            Mistake(
                (n, n, f),
                "the stride is ignored: a layer with stride s keeps every s-th "
                "position along each axis",
            ),
            Mistake(
                (o, o, c),
                "the output has one channel per filter, not the input's channels",
            ),
            Mistake((o, o), "give all three axes (H, W, C), with the channels"),
            Mistake((1, o, o, f), "leave out the batch axis: (H, W, C) for one image"),
        ]
    if name == "conv_multiply_adds":
        return [
            Mistake(
                n * n * weights,
                "the stride is ignored: the kernel is evaluated at the output "
                "positions only, not at every input pixel",
            ),
            Mistake(
                None if valid is None else valid * valid * weights,
                "those are the positions of 'valid' padding; revisit what 'same' "
                "padding does at the border (chapter 2)",
            ),
            Mistake(
                (n // s) ** 2 * weights,
                "the number of positions per axis is rounded down; with 'same' "
                "padding a last, incomplete step of the stride still gets its position",
            ),
            Mistake(
                o * o * (weights + f),
                "you counted the bias additions; leave them out: one multiply-add "
                "per kernel weight at every output position",
            ),
            Mistake(
                o * o * k * k * c,
                "that is one filter: every output position computes all of them",
            ),
            Mistake(
                o * o * k * k * f,
                "the input channels are missing: every filter sums over all of them",
            ),
            Mistake(
                o * weights,
                "that counts one axis: the output positions form a square, H x W",
            ),
        ]
    if name == "transpose_params":
        return [
            Mistake(weights, "the biases are missing: one per output channel"),
            Mistake(
                weights + f,
                "one bias per OUTPUT channel: Conv2DTranspose(channels, ...) has "
                "`channels` biases, not one per input channel",
            ),
            Mistake(
                k * k * c + c,
                "the input channels are missing: the decoder's input has the "
                "encoder's `filters` channels, and every output channel has a "
                "k x k kernel for each of them",
            ),
            Mistake(
                k * k * f + c,
                "those are the kernels of one output channel: every one of the "
                "`channels` output channels has its own k x k kernel per input channel",
            ),
        ]
    t = convolution.transpose_output_size(o, k, "same", s, output_padding=0)
    forward = convolution.output_size(o, k, "same", s)
    return [
        Mistake(
            (o * s, o * s, c),
            ("that is the image's size, and also " if o * s == n else "that is ")
            + "Keras's size WITHOUT output_padding; the decoder does not know the "
            "image's size: revisit the size with output_padding=a (section 7.4)",
        ),
        Mistake(
            ((o - 1) * s + k,) * 2 + (c,),
            "that is the size with 'valid' padding; revisit what 'same' takes off "
            "(section 7.4)",
        ),
        Mistake(
            ((o - 1) * s + k - k // 2,) * 2 + (c,),
            "'same' takes its padding off both sides, not one (section 7.4)",
        ),
        Mistake(
            (forward, forward, c),
            "that is the forward convolution's size: a transposed convolution goes "
            "the other way and upsamples",
        ),
        Mistake(
            (t, t, f),
            "the output has the layer's own channels (its first "
            "argument), not those of its input",
        ),
        Mistake((1, t, t, c), "leave out the batch axis: (H, W, C) for one image"),
        Mistake(
            (n, n, c),
            "the decoder does not know the image's size: its output size follows "
            "from the encoder's output alone (section 7.4), and here it differs "
            "from the image's",
        ),
        Mistake((t, t), "give all three axes (H, W, C), with the channels"),
    ]


def _as_shape(value, name: str) -> tuple:
    try:
        if isinstance(value, str | bytes):
            raise TypeError("text")
        numbers = [float(v) for v in value]
    except (TypeError, ValueError, OverflowError) as error:
        raise AssertionError(
            f"{name} must be a shape, a tuple of whole numbers such as (10, 10, 4); "
            f"got {shown(value, 200)}"
        ) from error
    if not all(v.is_integer() for v in numbers):
        raise AssertionError(f"{name} must hold whole numbers, got {shown(value, 200)}")
    return tuple(int(v) for v in numbers)


def _random_case(rng) -> tuple:
    """(n, channels, filters, k, stride) of a random pair of layers, k odd."""
    k = int(rng.choice([1, 3, 5, 7]))
    return (
        int(rng.integers(k, 65)),
        int(rng.integers(1, 9)),
        int(rng.integers(1, 65)),
        k,
        int(rng.integers(1, 4)),
    )


_RULE = "exercise 7.3 is numpy only: write the rules yourself"


def _check_case(fn, case, what) -> None:
    n, c, f, k, s = case
    with refusing(_RULE, library(convolution), fn):
        raw = call(fn, n, c, f, k, s, what=what)
    if raw is None:
        raise AssertionError(f"{what} returned None: did you forget `return`?")
    label = (
        f"Conv2D({f}, {k}, strides={s}, padding='same') on an image of shape "
        f"({n}, {n}, {c}), then Conv2DTranspose({c}, {k}, strides={s}, "
        "padding='same', output_padding=0)"
    )
    got = as_predictions(raw, PREDICTION_NAMES, f"{what}'s result")
    right = _right(*case)
    for name in PREDICTION_NAMES:
        value = got[name]
        if name.endswith("_shape"):
            value = _as_shape(value, name)
        else:
            value = as_int(value, name, noun="count")
        if value == right[name]:
            continue
        message = first_mistake(
            value, right[name], _mistakes(name, *case), same=operator.eq
        )
        kind = "shape" if name.endswith("_shape") else "count"
        raise AssertionError(
            f"{name} is wrong for {label} (you returned {shown(value, 80)}): "
            f"{message or f'not the right {kind}; revisit {_RULES[name]}'}"
        )


def check_layer_predictions(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(n, channels, filters, k, stride)`` must return a dict of the
    numbers of an encoder and a decoder.

    For ``Conv2D(filters, k, strides=stride, padding="same")`` on one image of shape
    ``(n, n, channels)`` and ``Conv2DTranspose(channels, k, strides=stride,
    padding="same", output_padding=0)`` on its output, ``k`` odd: ``conv_params``
    and ``transpose_params``, the weights and biases of each layer;
    ``conv_shape`` and ``transpose_shape``, their outputs' shapes ``(H, W, C)``
    without the batch axis; ``conv_multiply_adds``, the encoder's multiplications
    (each followed by an addition) for the image, bias additions left out.

    Checked on the pair the exercise predicts by hand (n = 46, 3 channels, 24
    filters, k = 5, stride 2), on pairs with stride 1 and 3, odd and even images, a
    1 x 1 kernel, a kernel as large as the image, random pairs from ``seed``, then
    four random pairs from a fresh seed that nobody knows in advance: the grader
    runs this test as written, so a table of recorded answers would otherwise pass.
    Every number is an exact integer, so a right function always passes; while
    ``fn`` runs, nothing of ``convbn``, scipy or TensorFlow (Keras included) may be
    called (the exercise is numpy only). Names the
    usual mistakes without giving the right value: biases left out or counted per
    input channel, input channels left out, one filter, k for k * k, the image size
    in the parameters, "valid" instead of "same", the positions rounded down or the
    stride ignored, the input's channels, the batch axis kept, bias additions
    counted, one output channel's kernels for the decoder, Keras's size without
    output_padding, the "valid" size, padding taken off one side, the forward size,
    the image's size assumed.
    """
    rng = np.random.default_rng(seed)
    fresh = fresh_rng()
    cases = [*_CASES, *(_random_case(rng) for _ in range(4))]
    cases += [_random_case(fresh) for _ in range(4)]
    for case in cases:
        _check_case(fn, case, "your layer_numbers")
    return True
