"""What to say when an array is wrong by little: right only to the precision of
float32 (or float16), or wrong in a digit beyond the sixth.

The checkers compare at a relative tolerance of 1e-6 (``_core.RTOL``), which float32
arithmetic does not reach: such answers are named as such, with the remedy, instead
of "expected -3.16209, got -3.16209". :func:`explain` gives the message of an array
that matched no known mistake.
"""

from __future__ import annotations

import numpy as np

from ._core import close

#: The tolerance (relative, and relative to the largest expected value) within which
#: an array of each floating type is right "to its precision" (about a thousand
#: times its rounding error, for sums and differences of a few dozen terms); a
#: float64 array within FLOAT32_STEP is taken for one computed in float32.
LOW_PRECISION = {"float32": 1e-4, "float16": 2e-2}
FLOAT32_STEP = 1e-5


def dtype_of(value) -> np.dtype | None:
    """The dtype of the student's ``value`` (an array, a tensor, a tuple of them)
    that explains a loss of precision: an integer or boolean one if any, else the
    least precise floating one; None when it has neither."""
    parts = value if isinstance(value, tuple | list) else (value,)
    found = []
    for part in parts:
        try:
            dtype = np.asarray(part).dtype
        except Exception:  # anything np.asarray refuses has no dtype to name
            continue
        if dtype.kind in "iub":
            return dtype
        if dtype.kind == "f":
            found.append(dtype)
    return min(found, key=lambda d: d.itemsize) if found else None


def whole(dtype) -> str | None:
    """The message for an answer of an integer or boolean ``dtype`` (from
    :func:`dtype_of`), whose values were cut; None for any other dtype."""
    if dtype is None or dtype.kind not in "iub":
        return None
    if dtype.kind == "b":
        return "your array has dtype bool: it holds only True and False, not numbers"
    return (
        f"your array has the integer dtype {dtype.name}, so every value in it was cut "
        "to a whole number: make it a float array (np.zeros(shape) is float64; "
        "np.zeros(shape, dtype=int) or an integer array you fill is not)"
    )


def low_precision(got, expected, dtype=None) -> str | None:
    """The message when ``got`` equals ``expected`` only to the precision of the
    student's ``dtype`` (:func:`dtype_of`: float32 or float16), or, for a float64
    array, to float32's (a step that ran in float32); None otherwise."""
    name = dtype.name if dtype is not None and dtype.name in LOW_PRECISION else None
    rtol = LOW_PRECISION[name] if name else FLOAT32_STEP
    expected = np.asarray(expected, dtype=np.float64)
    scale = float(np.abs(expected).max()) if expected.size else 0.0
    if not close(got, expected, rtol=rtol, atol=rtol * scale):
        return None
    if name is None:
        return (
            "right only to float32 precision: compute in float64 throughout (your "
            "array is float64, but a step before it ran in float32)"
        )
    return f"right only to {name} precision: compute in float64 (your array is {name})"


def wrong_value(got, expected, noun: str = "value") -> str:
    """Where ``got`` is furthest from ``expected``, with both values in as many
    digits as it takes to tell them apart (and their difference, past six)."""
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    want, have = expected[index].item(), got[index].item()
    digits = next((n for n in range(6, 18) if f"{want:.{n}g}" != f"{have:.{n}g}"), 17)
    place = f" at {tuple(int(i) for i in index)}" if index else ""
    message = f"wrong {noun}{place}: expected {want:.{digits}g}, got {have:.{digits}g}"
    return message + (f" (a difference of {have - want:.2g})" if digits > 6 else "")


def explain(got, expected, dtype=None, noun: str = "value") -> str:
    """The message for ``got`` (the shape of ``expected``) that matched no known
    mistake: :func:`whole`, :func:`low_precision`, else :func:`wrong_value`."""
    return (
        whole(dtype)
        or low_precision(got, expected, dtype)
        or wrong_value(got, expected, noun)
    )
