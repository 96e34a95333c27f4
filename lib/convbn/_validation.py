"""Argument checks shared by every public function of `convbn`.

Each helper raises a `TypeError` (wrong kind of value) or a `ValueError` (right kind,
wrong value) whose message names the argument, says what was expected and what came.
"""

from __future__ import annotations

import numbers
from collections.abc import Iterable

import numpy as np


def _describe(value) -> str:
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    text = repr(value)
    if len(text) > 60:
        text = text[:57] + "..."
    return f"{type(value).__name__} {text}"


def as_float_array(
    value,
    name: str,
    *,
    ndim: int | Iterable[int] | None = None,
    allow_nan: bool = False,
    min_size: int = 1,
) -> np.ndarray:
    """Return `value` as a float array (float32 stays float32, all else float64).

    Raises TypeError for non-numeric input and ValueError for a wrong number of
    dimensions, too few elements or NaN/infinite entries.
    """
    if isinstance(value, str | bytes) or value is None:
        raise TypeError(f"{name} must be a numeric array, got {_describe(value)}")
    array = np.asarray(value)
    if array.dtype == object or not (
        np.issubdtype(array.dtype, np.number) or array.dtype == bool
    ):
        raise TypeError(f"{name} must be a numeric array, got {_describe(array)}")
    if np.iscomplexobj(array):
        raise TypeError(f"{name} must be real-valued, got {_describe(array)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if array.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array, got {_describe(array)}")
    if array.size < min_size:
        raise ValueError(
            f"{name} must have at least {min_size} element(s), got {_describe(array)}"
        )
    dtype = np.float32 if array.dtype == np.float32 else np.float64
    array = array.astype(dtype, copy=False)
    if not allow_nan and not np.all(np.isfinite(array)):
        raise ValueError(f"{name} must not contain NaN or infinite values")
    return array


def as_number(
    value,
    name: str,
    *,
    positive: bool = False,
    nonnegative: bool = False,
    integer: bool = False,
    minimum=None,
    maximum=None,
):
    """Check that `value` is a real number (an int if `integer`) within bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        kind = "an integer" if integer else "a real number"
        raise TypeError(f"{name} must be {kind}, got {_describe(value)}")
    if integer and not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {_describe(value)}")
    if not np.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value!r}")
    if positive and value <= 0:
        raise ValueError(f"{name} must be > 0, got {value!r}")
    if nonnegative and value < 0:
        raise ValueError(f"{name} must be >= 0, got {value!r}")
    if minimum is not None and value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value!r}")
    if maximum is not None and value > maximum:
        raise ValueError(f"{name} must be <= {maximum}, got {value!r}")
    return int(value) if integer else float(value)


def as_choice(value, name: str, choices: Iterable[str]) -> str:
    """Check that `value` is one of the strings in `choices`."""
    choices = tuple(choices)
    if not isinstance(value, str) or value not in choices:
        listed = ", ".join(repr(c) for c in choices)
        raise ValueError(f"{name} must be one of {listed}; got {value!r}")
    return value


def as_callable(value, name: str):
    """Check that `value` can be called."""
    if not callable(value):
        raise TypeError(f"{name} must be a function, got {_describe(value)}")
    return value
