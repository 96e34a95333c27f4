"""The harness every checker uses: call the student's code, read it, name the mistake.

A checker calls the student's function with :func:`call` (a crash becomes an
``AssertionError`` naming the inputs, and the arrays it is given must come back
unchanged), reads what it returned with :func:`as_array`, :func:`as_int` or
:func:`as_numbers`, and compares that with the reference answer from the public
``convbn`` functions: :func:`diagnose` names the first known :class:`Mistake` the
result matches (:func:`first_mistake`), or says where it is wrong (:func:`wrong_at`).

A predict-then-check item hands its checker a dict of the student's predictions:
:func:`as_predictions` reads it, and :func:`wrong_predictions` raises one message
that explains every wrong prediction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any, NamedTuple

import numpy as np

from ._numpy_only import guarded

#: The default tolerances of :func:`close`.
RTOL, ATOL = 1e-6, 1e-9
#: The default message of :func:`unchanged`; ``{what}`` and ``{name}`` are filled in.
MODIFIED = "{what} modified its input {name}; work on a copy"

_WORDS = {1: "one", 2: "two", 3: "three", 4: "four"}


class Mistake(NamedTuple):
    """A known mistake: what it returns for the inputs at hand, and its diagnosis.

    ``value`` is None when the mistake does not apply to these inputs.
    """

    value: Any
    message: str


class InputModified(AssertionError):
    """The student's function changed an array it was given."""


def _short(value) -> str:
    """``value`` for a message: an array by its shape, anything else by its repr."""
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return shown(value)


def shown(value, limit: int | None = None) -> str:
    """``repr(value)``, cut to ``limit`` characters if given; an integer too long
    for Python to print (more than 4300 digits), or a value whose repr fails, is
    described instead, so that a message never crashes."""
    try:
        text = repr(value)
    except Exception:  # an int beyond sys.get_int_max_str_digits, a broken __repr__
        if isinstance(value, int):
            return f"an integer of {int(abs(value).bit_length() * 0.30103) + 1} digits"
        return f"a {type(value).__name__} that cannot be printed"
    if limit is None or len(text) <= limit:
        return text
    return text[: limit - 3] + "..."


def _complex(raw: np.ndarray) -> bool:
    """Whether ``raw`` (from ``np.asarray``) holds complex numbers."""
    if raw.dtype.kind == "c":
        return True
    return raw.dtype == object and any(
        isinstance(v, complex | np.complexfloating) for v in raw.flat
    )


def _said(error: BaseException, limit: int = 300) -> str:
    """What ``error`` says, cut to ``limit`` characters (a KeyError of a large key
    would otherwise fill the message)."""
    try:
        text = str(error)
    except Exception:  # a broken __str__
        return f"a {type(error).__name__} that cannot be printed"
    return text if len(text) <= limit else text[: limit - 3] + "..."


def call(
    fn,
    *args,
    what: str,
    inputs: Sequence[str] = (),
    modified: str = MODIFIED,
):
    """``fn(*args)``; the student's crash becomes an AssertionError naming the inputs.

    Inside a numpy-only block (:func:`convbn.checks._numpy_only.refusing`) the call
    is :func:`convbn.checks._numpy_only.guarded`. ``inputs`` names the leading
    arguments. Those that are numpy arrays are passed as copies and must come back
    unchanged (:func:`unchanged` with the message ``modified``), so the checker's
    own arrays stay as they were whatever ``fn`` does. The names also label the
    arguments in the crash message, where what the error says is cut to 300
    characters.
    """
    if not callable(fn):
        raise AssertionError(f"expected a function for {what}, got {type(fn).__name__}")
    count = len(inputs)
    passed = [
        a.copy() if i < count and isinstance(a, np.ndarray) else a
        for i, a in enumerate(args)
    ]
    try:
        result = guarded(fn, tuple(passed))
    except Exception as error:  # the student's bug, reported with its inputs
        names = [*inputs, *[None] * (len(args) - count)]
        shown = ", ".join(
            _short(a) if name is None else f"{name}={_short(a)}"
            for a, name in zip(args, names, strict=True)
        )
        text = _said(error)
        raise AssertionError(
            f"{what} raised {type(error).__name__}: {text} (called with {shown})"
        ) from error
    unchanged(args[:count], passed[:count], inputs, what, modified)
    return result


def unchanged(
    originals: Iterable,
    passed: Iterable,
    names: Iterable[str],
    what: str,
    message=MODIFIED,
) -> None:
    """Raise :class:`InputModified` if an array passed to the student's function
    differs from its original; ``message`` may use ``{what}`` and ``{name}``."""
    for original, given, name in zip(originals, passed, names, strict=True):
        if isinstance(original, np.ndarray) and not np.array_equal(original, given):
            raise InputModified(message.format(what=what, name=name))


def as_array(value, shape=None, what: str = "your function", *, single=False):
    """What the student returned, as a float64 array (of ``shape``, if given).

    With ``single`` the function returns one array, so None (a forgotten
    ``return``) and a tuple (several results) get their own message. A result of
    size 1 passes where a scalar (``shape=()``) is expected.
    """
    shape = None if shape is None else tuple(shape)
    if single and value is None:
        raise AssertionError(f"{what} returned None: did you forget `return`?")
    if single and isinstance(value, tuple):
        one = "one number" if shape == () else "one array"
        if shape:
            one += f" of shape {shape}"
        raise AssertionError(
            f"{what} returned a tuple of {len(value)} items; return {one}"
        )
    try:
        raw = np.asarray(value)
        if _complex(raw):
            raise AssertionError(
                f"{what} returned complex numbers (dtype {raw.dtype}): the answer is "
                "real, so an imaginary part, even a small one, is a mistake; return a "
                "real (float) array"
            )
        array = np.asarray(raw, dtype=np.float64)
    except OverflowError as error:
        raise AssertionError(
            f"{what} returned a number too large for a float (above 1.8e308)"
        ) from error
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return numbers, got {type(value).__name__}"
        ) from error
    if shape == () and array.size == 1:
        array = array.reshape(())
    if shape is not None and array.shape != shape:
        raise AssertionError(f"{what} returned shape {array.shape}, expected {shape}")
    return array


def as_int(value, what: str, where: str = "", *, noun="integer", hint="") -> int:
    """What the student returned, as a whole number.

    An int, a float with an integer value or an array of one such number passes; a
    bool does not. ``where`` (e.g. " for n=3") follows ``what`` in the messages,
    ``noun`` says what one value is, ``hint`` explains a fractional result.
    """
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise AssertionError(
            f"{what} must return one {noun}{where}, got {type(value).__name__} "
            f"{shown(value)}"
        )
    if isinstance(value, int | np.integer):  # however large: no float conversion
        return int(value)
    if not float(value).is_integer():
        raise AssertionError(
            f"{what} returned {value!r}{where}: {hint or 'a count is a whole number'}"
        )
    return int(value)


def as_float(value, what: str) -> float:
    """What the student gave as one number (an int, a float or an array of one)."""
    if isinstance(value, np.ndarray) and value.size == 1:
        value = value.item()
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        raise AssertionError(
            f"{what} must be one number, got {type(value).__name__} {shown(value)}"
        )
    try:
        return float(value)
    except OverflowError as error:
        raise AssertionError(
            f"{what} is {shown(value)}, too large for a float (above 1.8e308)"
        ) from error


def as_numbers(value, names: Sequence[str], what: str, *, whole=False) -> tuple:
    """What the student returned, as a tuple of ``len(names)`` numbers.

    Whole numbers come back as ints, so that they compare exactly; with ``whole``
    every number must be one.
    """
    kind = "whole numbers" if whole else "numbers"
    wanted = f"{what} must return {_WORDS[len(names)]} {kind} ({', '.join(names)})"
    try:
        if isinstance(value, str | bytes):
            raise TypeError("text")
        if _complex(np.asarray(value, dtype=object)):
            raise TypeError("complex")
        numbers = [float(v) for v in value]
    except (TypeError, ValueError, OverflowError) as error:
        raise AssertionError(f"{wanted}, got {shown(value)}") from error
    if len(numbers) != len(names):
        raise AssertionError(f"{wanted}, got {len(numbers)}: {shown(value)}")
    if whole and not all(v.is_integer() for v in numbers):
        raise AssertionError(f"{wanted}, got {shown(value)}")
    return tuple(int(v) if v.is_integer() else v for v in numbers)


def close(a, b, rtol: float = RTOL, atol: float = ATOL) -> bool:
    """Same shape and ``np.allclose``."""
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


def first_mistake(
    got,
    expected,
    mistakes: Iterable[Mistake],
    *,
    rtol: float = RTOL,
    atol: float = ATOL,
    same: Callable[[Any, Any], bool] | None = None,
) -> str | None:
    """The message of the first mistake whose value ``got`` matches, or None.

    A mistake whose value is None, or equals ``expected`` for these inputs, is
    skipped, so that a right answer is never named as a mistake. ``same(a, b)``
    says whether two results match (default: :func:`close` with ``rtol``, ``atol``;
    ``operator.eq`` for counts, shapes and lists of answers).
    """
    same = same or partial(close, rtol=rtol, atol=atol)
    for value, message in mistakes:
        if value is None or same(value, expected):
            continue
        if same(got, value):
            return message
    return None


def wrong_at(got, expected, *, at: Callable | None = None, noun="value") -> str:
    """Where ``got`` is furthest from ``expected``, with both values.

    "wrong value at (i, j): expected 1.5, got 2"; ``at(index)`` describes the place
    instead of the index (nothing is said for a scalar), ``noun`` the kind of value.
    """
    got = np.asarray(got, dtype=np.float64)
    expected = np.asarray(expected, dtype=np.float64)
    index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    index = tuple(int(i) for i in index)
    if at is not None:
        place = at(index)
    else:
        place = f"at {index}" if index else ""
    return (
        " ".join(filter(None, (f"wrong {noun}", place)))
        + f": expected {expected[index]:.6g}, got {got[index]:.6g}"
    )


def diagnose(
    got,
    expected,
    mistakes: Iterable[Mistake] = (),
    label: str = "",
    *,
    what: str = "your function",
    rtol: float = RTOL,
    atol: float = ATOL,
) -> None:
    """Return if ``got`` is close to ``expected``; else raise AssertionError.

    The message names the first mistake ``got`` matches (a mistake may have another
    shape than the answer), else the wrong shape ``what`` returned, else where it is
    wrong; ``label`` (the inputs, say) follows it.
    """
    if close(got, expected, rtol, atol):
        return
    message = first_mistake(got, expected, mistakes, rtol=rtol, atol=atol)
    if message is None and np.shape(got) != np.shape(expected):
        message = (
            f"{what} returned shape {np.shape(got)}, expected {np.shape(expected)}"
        )
    raise AssertionError(f"{message or wrong_at(got, expected)} {label}".rstrip())


#: The gradients a normalization's backward pass returns, in order.
GRADIENTS = ("dx", "dgamma", "dbeta")


def check_gradients(
    raw,
    expected: Sequence[np.ndarray],
    mistakes: Callable[[], Sequence[Iterable[Mistake]]],
    *,
    what: str,
    context: str,
    per_example: str,
    explain: Callable[[Any, Any, Any], str] | None = None,
) -> None:
    """Return if the student's ``raw`` is a normalization's right ``(dx, dgamma,
    dbeta)`` (``expected``, for an ``(N, D)`` input); else raise AssertionError.

    In turn: three items; dgamma and dbeta not None and not of shape (N,), one value
    per example (``per_example`` says what to do instead); the shapes of
    ``expected``; dgamma and dbeta not swapped. Then dbeta, dgamma and dx, the
    simplest first: the first that is wrong is named by the first of its
    ``mistakes()`` (three lists, in the order of :data:`GRADIENTS`, computed only
    then) that it matches, else by ``explain(got, expected, value returned)``
    (default :func:`wrong_at`), followed by its name and ``context``.
    """
    n, d = np.shape(expected[0])
    if not isinstance(raw, tuple | list) or len(raw) != 3:
        raise AssertionError(
            f"{what} must return three arrays (dx, dgamma, dbeta), got "
            f"{type(raw).__name__}"
            + (f" of length {len(raw)}" if isinstance(raw, tuple | list) else "")
        )
    for value, name in zip(raw, GRADIENTS, strict=True):
        if value is None:
            raise AssertionError(
                f"{what} returned None for {name}: compute all three gradients and "
                "return (dx, dgamma, dbeta)"
            )
        if name != "dx" and np.shape(value) == (n,) and n != d:
            raise AssertionError(
                f"{name} has shape ({n},), one value per example: {per_example}, "
                f"shape ({d},)"
            )
    got = [
        as_array(value, np.shape(want), f"{what} ({name})")
        for value, want, name in zip(raw, expected, GRADIENTS, strict=True)
    ]
    if (
        not close(got[1], expected[1])
        and close(got[1], expected[2])
        and close(got[2], expected[1])
    ):
        raise AssertionError("dgamma and dbeta are swapped: return (dx, dgamma, dbeta)")
    wrong = [i for i in (2, 1, 0) if not close(got[i], expected[i])]
    if not wrong:
        return
    i = wrong[0]
    message = first_mistake(got[i], expected[i], mistakes()[i])
    if message is None:
        message = (explain or (lambda a, b, _: wrong_at(a, b)))(
            got[i], expected[i], raw[i]
        )
    raise AssertionError(f"{message} ({GRADIENTS[i]}, {context})")


def fresh_rng() -> np.random.Generator:
    """A generator seeded from the operating system's entropy, different at every
    call: the cases it draws cannot be known before the check runs, so that a table
    of the answers recorded in one run does not pass the next."""
    return np.random.default_rng()


def as_predictions(value, names: Sequence[str], what: str = "predictions") -> dict:
    """The student's predictions: a dict with exactly the keys ``names``.

    A key still holding ``...`` (the blank the student notebook starts with) has not
    been predicted yet; the message names the keys missing, unknown or left blank.
    """
    wanted = ", ".join(repr(n) for n in names)
    if not isinstance(value, dict):
        raise AssertionError(
            f"{what} must be a dict with the keys {wanted}, got {type(value).__name__}"
        )
    missing = [repr(n) for n in names if n not in value]
    if missing:
        raise AssertionError(f"{what} has no entry for {', '.join(missing)}")
    unknown = [repr(k) for k in value if k not in names]
    if unknown:
        raise AssertionError(
            f"{what} has unknown keys {', '.join(unknown)}; the keys are {wanted}"
        )
    blank = [f"{what}[{n!r}]" for n in names if value[n] is Ellipsis]
    if blank:
        raise AssertionError(
            f"predict {', '.join(blank)} first: replace the ... with your prediction"
        )
    return {n: value[n] for n in names}


def wrong_predictions(wrong: Sequence[tuple[str, str]], total: int, rule="") -> None:
    """Raise AssertionError explaining each ``(key, message)`` of ``wrong``, if any.

    ``total`` is the number of predictions; ``rule``, the reasoning that gives all
    of them, ends the message.
    """
    if not wrong:
        return
    count = f"{len(wrong)} of your {total} predictions"
    lines = [f"{count} {'is' if len(wrong) == 1 else 'are'} wrong:"]
    lines += [f"- {key}: {message}" for key, message in wrong]
    if rule:
        lines.append(rule)
    raise AssertionError("\n".join(lines))
