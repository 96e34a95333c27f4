"""The "numpy only" rule, enforced where the student works.

When a class is graded, the function of a numpy-only exercise (:data:`NUMPY_ONLY
<convbn.checks.NUMPY_ONLY>`) runs where ``convbn`` cannot be imported, so a call to
the library fails there. In the student's own notebook it would pass. While a checker
calls the student's function, :func:`refusing` therefore makes the library functions
the exercise asks for (and TensorFlow's equivalents, if TensorFlow is loaded) raise
an ``AssertionError`` that names the rule and the function called: "exercise 7.4 is
numpy only: write im2col yourself, without convbn.convolution.im2col".

Each function is replaced, in its public module and in the student's function's
globals (where ``from convbn.convolution import im2col`` put it), by a stand-in that
refuses only in the thread that is calling the student's function and calls the real
function everywhere else, so that checks running at the same time (the grader runs
several in threads) are not disturbed. The real functions are put back when the last
caller leaves, whatever the student's function did. Functions of the grader's remote
submissions (not Python functions here) are left alone: they run in a sandbox
without ``convbn``.

The stand-ins name the function; :func:`guarded`, through which the harness calls the
student's function, catches every other way in: while that function runs, a
profile hook (``sys.setprofile``, this thread only) refuses any call into a package
that cannot be imported where the class is graded (:data:`FORBIDDEN`: scipy,
TensorFlow, Keras, and ``convbn`` however it is reached, a copy of a function or its
``__wrapped__`` included), and a result that is not plain data is turned into an
array while the hook still watches, so that nothing of the library runs later, when
the checker reads it. A refusal the student's code catches fails the check all the
same.
"""

from __future__ import annotations

import functools
import gc
import numbers
import sys
import threading
import types
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

import numpy as np

#: The rule each thread is enforcing now (its start: "exercise 7.4 is numpy only:
#: write im2col yourself"), by thread.
_RULES: dict[int, str] = {}
#: The stand-ins: the one of each real function (by id), and the real function of
#: each stand-in (by id).
_STAND_INS: dict[int, types.FunctionType] = {}
_REAL: dict[int, object] = {}
#: Where a stand-in is installed, by (id of the namespace, name): [namespace, real
#: function, stand-in, number of callers].
_INSTALLED: dict[tuple[int, str], list] = {}
_LOCK = threading.Lock()
#: The refusal a stand-in raised in each thread (the student's code may catch it).
_REFUSED: dict[int, AssertionError] = {}
#: The top-level packages a numpy-only function may not call: none of them can be
#: imported where the class is graded (``convbn_tools.isolation``'s
#: ``FORBIDDEN_IN_NUMPY_VIEW``, which a test compares with this).
FORBIDDEN = frozenset(
    {"convbn", "scipy", "tensorflow", "keras", "jax", "torch", "sklearn", "skimage"}
)
#: The C functions that start a thread or a process (module, names), which the
#: watch of :func:`guarded` would not follow: refused too.
_ELSEWHERE = {
    "_thread": {"start_new_thread", "start_new", "start_joinable_thread"},
    "_posixsubprocess": {"fork_exec"},
    "posix": {"fork", "forkpty", "system", "posix_spawn", "posix_spawnp"},
    "nt": {"system", "spawnv", "spawnve", "startfile"},
}
#: Types whose values are data as they are (a result of another type is turned into
#: an array while the student's function is still watched).
_PLAIN = (np.ndarray, np.generic, numbers.Number, str, bytes, dict, type(None))


class Refused(AssertionError):
    """A library function called where the exercise says numpy only."""


def library(module, *, skip: Iterable[str] = ()) -> list[tuple[str, object, object]]:
    """The public functions of ``module`` (its ``__all__``, classes and constants
    left out), as ``(name shown, module, function)`` for :func:`refusing`."""
    found = []
    for name in getattr(module, "__all__", ()):
        value = getattr(module, name, None)
        if name in skip or isinstance(value, type) or not callable(value):
            continue
        found.append((f"{module.__name__}.{name}", module, value))
    return found


def tensorflow(*paths: str) -> list[tuple[str, object, object]]:
    """TensorFlow's functions at ``paths`` ("image.extract_patches"), if TensorFlow
    is already loaded (it is never imported here), for :func:`refusing`."""
    tf = sys.modules.get("tensorflow")
    found = []
    for path in paths if tf is not None else ():
        where, _, name = path.rpartition(".")
        module = getattr(tf, where, None)
        value = getattr(module, name, None)
        if isinstance(module, types.ModuleType) and callable(value):
            found.append((f"tf.{path}", module, value))
    return found


def _stand_in(real, shown: str):
    """The stand-in of ``real``: it refuses in a thread enforcing a rule."""
    stand_in = _STAND_INS.get(id(real))
    if stand_in is None:

        @functools.wraps(real)
        def stand_in(*args, **kwargs):
            thread = threading.get_ident()
            rule = _RULES.get(thread)
            if rule is None:
                return real(*args, **kwargs)
            refusal = _REFUSED[thread] = Refused(f"{rule}, without {shown}")
            raise refusal

        _STAND_INS[id(real)], _REAL[id(stand_in)] = stand_in, real
    return stand_in


def _unwrapped(fn):
    """The function behind a ``functools.partial``, a bound method or a callable
    object (its class's ``__call__``), unless the object is the grader's stand-in
    for a remote function (a class of ``convbn_tools``)."""
    while True:
        if isinstance(fn, functools.partial | types.MethodType):
            fn = fn.func if isinstance(fn, functools.partial) else fn.__func__
            continue
        call = next(
            (vars(k)["__call__"] for k in type(fn).__mro__ if "__call__" in vars(k)),
            None,
        )
        remote = type(fn).__module__.partition(".")[0] == "convbn_tools"
        if isinstance(fn, types.FunctionType) or remote:
            return fn
        if not isinstance(call, types.FunctionType):  # a builtin, a C type
            return fn
        fn = call


def _install(namespaces: list[dict], real: dict[int, tuple]) -> list[tuple]:
    """Stand-ins for the functions of ``real`` (id -> (real, shown)) wherever they
    are in ``namespaces``; the keys of :data:`_INSTALLED` this caller counts in."""
    keys = []
    for namespace in namespaces:
        for name, value in list(namespace.items()):
            original = _REAL.get(id(value), value)
            if id(original) not in real or real[id(original)][0] is not original:
                continue
            key = (id(namespace), name)
            entry = _INSTALLED.get(key)
            if entry is None:
                stand_in = _stand_in(original, real[id(original)][1])
                entry = _INSTALLED[key] = [namespace, original, stand_in, 0]
                namespace[name] = stand_in
            entry[3] += 1
            keys.append(key)
    return keys


def _remove(keys: list[tuple]) -> None:
    """One caller fewer for each of ``keys``; the last puts the real function back
    (unless the name has been given another value meanwhile)."""
    for key in keys:
        entry = _INSTALLED[key]
        entry[3] -= 1
        if entry[3] == 0:
            namespace, original, stand_in, _ = _INSTALLED.pop(key)
            if namespace.get(key[1]) is stand_in:
                namespace[key[1]] = original


def _refusal(error: BaseException) -> Refused | None:
    """The :class:`Refused` that ``error`` comes from, if any."""
    seen = set()
    while error is not None and id(error) not in seen:
        if isinstance(error, Refused):
            return error
        seen.add(id(error))
        error = error.__cause__ or error.__context__
    return None


@contextmanager
def refusing(rule: str, functions: list[tuple[str, object, object]], fn) -> Iterator:
    """While the block runs, calling one of ``functions`` (from :func:`library` and
    :func:`tensorflow`) in this thread raises :class:`Refused` (an AssertionError)
    ``f"{rule}, without {name}"``, through its module or the globals of the
    student's function ``fn``; passing the library's function itself as ``fn``
    raises it at once. The block's AssertionError that comes from a refusal (the
    checker's "your function raised ...") is replaced by the refusal itself.

    Compute the checker's own answers before the block: inside it they would be
    refused too. The real functions are back after it, whatever ``fn`` raised.
    """
    code = _unwrapped(fn)
    if not isinstance(code, types.FunctionType) or not functions:
        yield  # not Python code that runs here (the grader's remote function)
        return
    real = {id(value): (value, shown) for shown, _, value in functions}
    code = _REAL.get(id(code), code)
    if id(code) in real and real[id(code)][0] is code:  # the library's own function
        raise Refused(f"{rule}, without {real[id(code)][1]}")
    namespaces = {id(vars(module)): vars(module) for _, module, _ in functions}
    namespaces.setdefault(id(code.__globals__), code.__globals__)
    thread = threading.get_ident()
    with _LOCK:
        keys = _install(list(namespaces.values()), real)
    before = _RULES.get(thread)
    _RULES[thread] = rule
    try:
        yield
    except AssertionError as error:  # the checker's message about a crash of fn
        refused = _refusal(error)
        if refused is None:
            raise
        raise refused from None  # the rule, with the student's line in its traceback
    finally:
        if before is None:
            _RULES.pop(thread, None)
        else:
            _RULES[thread] = before
        with _LOCK:
            _remove(keys)


def _hook(rule: str, refused: list):
    """The profile hook of :func:`guarded`: a call into a package of
    :data:`FORBIDDEN` (a Python function, or a C function of such a module) raises
    :class:`Refused`, also kept in ``refused``; the stand-ins and this module's own
    code (which reads the result) pass."""
    here = globals()

    def hook(frame, event, arg):
        if event == "call":
            if frame.f_globals is here:
                return
            module = frame.f_globals.get("__name__")
            name = getattr(frame.f_code, "co_qualname", frame.f_code.co_name)
        elif event == "c_call":
            module = getattr(arg, "__module__", None)
            owner = getattr(arg, "__self__", None)
            if module is None and isinstance(owner, types.ModuleType):
                module = owner.__name__
            name = getattr(arg, "__name__", "?")
        else:
            return
        package = str(module).partition(".")[0]
        if package in FORBIDDEN:
            message = (
                f"{rule}, without {package}: your function called {module}.{name}, "
                "and where the class is graded only numpy can be imported"
            )
        elif event == "c_call" and name in _ELSEWHERE.get(module, ()):
            message = (
                f"{rule}, in the function itself: it started a thread or a process "
                f"({module}.{name}), where the checker cannot see what runs"
            )
        else:
            return
        if not refused:
            refused.append(Refused(message))
        raise refused[0]

    return hook


def _materialized(value):
    """``value`` as data: a tuple or a list item by item, plain values as they are,
    anything else (an object that makes its array when asked) as an array, if it
    converts."""
    if type(value) in (tuple, list):
        items = []
        for item in value:
            items.append(_materialized(item))
        return type(value)(items)
    if isinstance(value, np.ndarray):  # a subclass as a plain array
        return value if type(value) is np.ndarray else np.asarray(value)
    if isinstance(value, _PLAIN):
        return value
    try:
        return np.asarray(value)
    except Refused:
        raise
    except Exception:  # not numbers: the checker says what came
        return value


def guarded(fn, args: tuple):
    """``fn(*args)``: inside a :func:`refusing` block (in this thread), with the
    profile hook that refuses :data:`FORBIDDEN` packages while ``fn`` runs and its
    result is read (:func:`_materialized`); a refusal the student's code caught is
    raised after it. Elsewhere a plain call."""
    thread = threading.get_ident()
    rule = _RULES.get(thread)
    if rule is None:
        return fn(*args)
    refused: list = []
    hook = _hook(rule, refused)
    before = sys.getprofile()
    _REFUSED.pop(thread, None)
    # No garbage collection while the watch is on: a collection runs gc.callbacks in
    # this thread, and a library's callback (jax registers one) would look like a
    # call the student's function made.
    collecting = gc.isenabled()
    gc.disable()
    sys.setprofile(hook)
    try:
        result = _materialized(fn(*args))
        removed = sys.getprofile() is not hook
    except BaseException:
        _REFUSED.pop(thread, None)  # a refusal in flight is in the error's chain
        raise
    finally:
        sys.setprofile(before)
        if collecting:
            gc.enable()
    caught = refused[0] if refused else _REFUSED.pop(thread, None)
    if caught is not None:
        raise caught
    if removed:
        raise Refused(
            f"{rule}: your function removed the checker's watch (sys.setprofile)"
        )
    return result
