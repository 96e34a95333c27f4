"""The results of :mod:`convbn.experiments` that cross the wire as data.

Chapter 9's checkers take the student's runs, the frozen dataclasses that
:mod:`convbn.experiments` returns (:class:`~convbn.experiments.Figure1Result`, ...),
and test their class (``isinstance``). Such a value crosses
:mod:`convbn_tools.wire` as a *record*: the name of its class, one of the fixed
:data:`RECORDS`, and its fields, each a tree of data (arrays, numbers, strings, and
lists, tuples and dicts with string keys of those). The receiver rebuilds it with
its own class of that name, after checking each field against the class's
annotation (:func:`build`), so that the other side can neither name another class
nor send anything but data. Nothing here imports ``convbn`` until a record is
read (the numpy-only sandbox cannot).
"""

from __future__ import annotations

import dataclasses
import importlib
import numbers
import sys
import typing

import numpy as np

from convbn_tools.wire import Refused

__all__ = ["RECORDS", "name_of", "build"]

#: The package whose classes records name; every name of :data:`RECORDS` is public
#: there (:mod:`convbn.experiments` re-exports them from its modules).
PACKAGE = "convbn.experiments"

#: The classes that cross as records, namely what the experiments of
#: :mod:`convbn.experiments` return (frozen dataclasses of numbers and arrays).
#: ``check_claim_decision`` (chapter 9) tests Figure1Result, DropoutResult and
#: RegularizerResult; the rest cross the same way.
RECORDS = frozenset(
    f"{PACKAGE}.{name}"
    for name in (
        "Figure1Result",
        "DropoutResult",
        "RegularizerResult",
        "LearningRateSweep",
        "StepTime",
        "LearningRateInterval",
        "DropoutCurves",
        "RegularizerCurves",
        "NoisyBNResult",
        "NoisyHighRateResult",
        "SmallBatchResult",
        "Summary",
    )
)


def name_of(value) -> str | None:
    """The record name of ``value`` if it is an instance of exactly one of the
    classes of :data:`RECORDS` (as imported on this side), else None."""
    cls = type(value)
    name = f"{PACKAGE}.{getattr(cls, '__name__', '')}"
    if name not in RECORDS:
        return None
    package = sys.modules.get(PACKAGE)
    if getattr(package, cls.__name__, None) is not cls:
        return None
    return name


def fields_of(value) -> list[tuple[str, object]]:
    """``(name, value)`` of each field of the record ``value``."""
    return [(f.name, getattr(value, f.name)) for f in dataclasses.fields(value)]


def _record_class(name) -> type:
    if not isinstance(name, str) or name not in RECORDS:
        shown = name if isinstance(name, str) else type(name).__name__
        raise Refused(
            f"a record of class {shown[:100]!r}: only the results of "
            f"{PACKAGE} cross as data ({', '.join(sorted(_short(n) for n in RECORDS))})"
        )
    try:
        cls = getattr(importlib.import_module(PACKAGE), _short(name))
    except Exception as error:  # the numpy-only view: no convbn here
        raise Refused(f"a {_short(name)} cannot be read here ({error})") from None
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise Refused(f"{name} is not a dataclass")
    return cls


def _short(name: str) -> str:
    return name.rpartition(".")[2]


def _real(value) -> bool:
    return isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)


def _integer(value) -> bool:
    return isinstance(value, int | np.integer) and not isinstance(value, bool)


#: What a field of each annotation may hold (after decoding), and its description.
_KINDS = {
    np.ndarray: (
        lambda v: isinstance(v, np.ndarray) and v.dtype.kind in "biuf",
        "an array of numbers",
    ),
    dict: (lambda v: isinstance(v, dict), "a dict"),
    float: (_real, "a number"),
    int: (_integer, "an integer"),
    str: (lambda v: isinstance(v, str), "a string"),
    tuple: (lambda v: isinstance(v, tuple), "a tuple"),
}


def annotations(cls) -> dict[str, tuple]:
    """For each field of ``cls``: (what it may hold, its description, required);
    Refused for a field annotated with a type :data:`_KINDS` does not know."""
    hints = typing.get_type_hints(cls)
    out = {}
    for field in dataclasses.fields(cls):
        kind = _KINDS.get(hints.get(field.name))
        if kind is None:
            raise Refused(f"{cls.__name__}.{field.name} is not a field of data")
        required = (
            field.default is dataclasses.MISSING
            and field.default_factory is dataclasses.MISSING
        )
        out[field.name] = (*kind, required)
    return out


def build(name, values: list[tuple[object, object]]):
    """The record of class ``name`` (one of :data:`RECORDS`) with the decoded
    ``values`` (``(field, value)`` pairs); Refused, naming the class and the field,
    for another class, a field it does not have (or twice), a missing one, or a
    value that its annotation does not allow."""
    cls = _record_class(name)
    kinds = annotations(cls)
    given: dict[str, object] = {}
    for field, value in values:
        if not isinstance(field, str) or field not in kinds:
            shown = field[:100] if isinstance(field, str) else type(field).__name__
            raise Refused(f"{cls.__name__} has no field {shown!r}")
        if field in given:
            raise Refused(f"{cls.__name__}.{field} is given twice")
        allowed, description, _ = kinds[field]
        if not allowed(value):
            raise Refused(
                f"{cls.__name__}.{field} must be {description}, got "
                f"{type(value).__name__}"
            )
        given[field] = value
    missing = [
        f for f, (_, _, required) in kinds.items() if required and f not in given
    ]
    if missing:
        raise Refused(f"{cls.__name__} lacks its field {missing[0]}")
    return cls(**given)
