"""The wire between the grader and a submission's process: safe values, remote calls.

The grader never runs a student's code: the submission runs in a process of its own
(:mod:`convbn_tools.sandbox`), and the checkers, in the grader, call the student's
functions through this wire as black boxes. Both ends hold a :class:`Channel`:

- A value crosses as a tree of plain data (None, bool, int, float, str, bytes,
  lists, tuples, dicts), pickled with *no* globals allowed on reading
  (``_DataOnly``), so a message cannot make the grader run code. numpy arrays
  cross in the ``.npy`` format read with ``allow_pickle=False``; a numpy Generator
  as its bit generator's state; a TensorFlow tensor as its values; a Keras model as
  its config (JSON) and its weights (arrays), rebuilt with ``safe_mode=True`` only
  after a limited process of its own has reported the sizes of its variables
  (``Channel.model_sizes``), so that a small config cannot make the grader allocate
  gigabytes.
- A result of :mod:`convbn.experiments` (``Figure1Result``, ...) crosses as a
  *record*: its class's name, from the fixed allow-list
  :data:`convbn_tools.records.RECORDS`, and its fields, data only (arrays, numbers,
  strings, lists, tuples and dicts of those, a dict as its key/value pairs); the
  receiver rebuilds it with its own class of that name, each field checked against
  the class's annotation.
- What the grader decodes has a budget: nodes, bytes, depth, records and the
  deadline (:class:`Budget`), so a few hundred bytes of shared references (a value
  that unfolds to 2^60 nodes) end the session instead of the grader. A plain value
  is a number, a string, bytes or None, never a container built by the unpickler
  itself (which no depth limit reaches: hashing a tuple nested 300,000 deep
  overflows the C stack). Every text the other side controls is cut to
  :data:`MAX_TEXT` characters on the receiving side.
- A function crosses as a *handle*: the receiver gets a :class:`Remote`, which calls
  it on the other side and waits for the answer, serving calls back meanwhile (a
  checker may hand the student's function a function of its own).
- Anything else crosses as an :class:`Opaque` stand-in that names its type (one
  class per name: a million stand-ins cost a million small objects, not classes).
- An exception raised on the other side comes back as an ``Exception`` of the same
  name (never a ``BaseException``: a student's ``SystemExit`` is an ordinary error
  here). Arrays that the called function modified in place are copied back, so the
  checkers' "modified its input" diagnoses still work; so are the weights of a Keras
  model argument, every variable (moving statistics included) as an array
  (:class:`ModelWeights`), into the caller's model, whose variables' shapes they
  must match: the model itself is not rebuilt.

The grader's end waits with a deadline: :class:`Timeout` and :class:`PeerGone`
(the other process ended) are ``BaseException``\\ s, so that no checker's
``except Exception`` can mistake them for a wrong answer.
"""

from __future__ import annotations

import builtins
import functools
import io
import json
import os
import pickle
import select
import struct
import sys
import time
from collections.abc import Callable

import numpy as np

from convbn_tools import keras_values

__all__ = [
    "MAX_MESSAGE",
    "MAX_TEXT",
    "Budget",
    "Refused",
    "Channel",
    "Remote",
    "Opaque",
    "ModelWeights",
    "Timeout",
    "PeerGone",
]

#: The largest message either side accepts (bytes); larger ones end the session.
MAX_MESSAGE = 256 * 2**20
_HEADER = struct.Struct("!Q")
_DEPTH = 64
#: The longest text (an error message, a name) taken from the other side.
MAX_TEXT = 2000
#: The most nodes, and bytes of arrays, one decoded message may hold.
MAX_NODES, MAX_BYTES = 2_000_000, 256 * 2**20
#: The largest Keras model (bytes of variables) the grader rebuilds.
MAX_MODEL_BYTES = keras_values.MAX_MODEL_BYTES
#: The most results of :mod:`convbn.experiments` (records) one message may hold: a
#: checker compares a claim's runs pairwise and in every order (3 to 5 seeds).
MAX_RECORDS = 8
#: The types a plain value (``("v", value)``) may have.
_PLAIN = (type(None), bool, int, float, str, bytes)
#: The handles of the sandbox's adapters for Keras losses (see
#: :mod:`convbn_tools.sandbox`): trace with ``tf.function``; the gradient of a sum.
GRAPH_HANDLE, GRADIENT_HANDLE = 0, 1


class Timeout(BaseException):
    """The other side did not answer before the deadline."""


class PeerGone(BaseException):
    """The other side's process ended, or sent something that is not a message."""


class Refused(ValueError):
    """A value the grader will not read (a Keras model that ``safe_mode`` refuses,
    or one too large); the message says why."""


class Budget:
    """What decoding one message may cost: ``nodes``, ``bytes`` of arrays and
    texts, ``records`` and the ``deadline`` (a ``time.monotonic`` value or None)."""

    def __init__(self, nodes=MAX_NODES, size=MAX_BYTES, deadline=None):
        self.nodes, self.bytes, self.deadline = nodes, size, deadline
        self.records = MAX_RECORDS

    def record(self) -> None:
        """Count one record; Refused past ``MAX_RECORDS``."""
        self.records -= 1
        if self.records < 0:
            raise Refused(
                f"more than {MAX_RECORDS} results of convbn.experiments in one value"
            )

    def spend(self, size: int = 0) -> None:
        """Count one node of ``size`` bytes; PeerGone or Timeout past the budget."""
        self.nodes -= 1
        self.bytes -= size
        if self.nodes < 0:
            raise PeerGone(f"a value of more than {MAX_NODES} parts")
        if self.bytes < 0:
            raise PeerGone(f"a value of more than {MAX_BYTES // 2**20} MB")
        if self.deadline is not None and self.nodes % 4096 == 0:
            if time.monotonic() > self.deadline:
                raise Timeout()


def _cut(text, limit: int = MAX_TEXT) -> str:
    """``text`` as a str of at most ``limit`` characters (received from the other
    side, which may have lifted its own cap)."""
    text = text if isinstance(text, str) else str(type(text).__name__)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _shown(kind) -> str:
    """A message's kind as text: its repr if a str, else its type's name (the repr
    of a tuple the unpickler nested 300,000 deep raises RecursionError)."""
    return _cut(repr(kind), 40) if isinstance(kind, str) else type(kind).__name__


class Opaque:
    """Stands for a value of a type that cannot cross (its type name is kept)."""

    type_name = "object"

    def __repr__(self) -> str:
        return f"<{self.type_name} object (the grader cannot read it)>"


class _DataOnly(pickle.Unpickler):
    """An unpickler that refuses every global: plain data only, no code runs."""

    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refused global {module}.{name}")


class ModelWeights:
    """The values of a Keras model's variables (``model.weights`` order), as a model
    argument comes back from a call: the channel assigns them to the caller's
    model, after checking their shapes against its variables."""

    def __init__(self, arrays: list[np.ndarray]):
        self.arrays = arrays


def _opaque(type_name: str) -> Opaque:
    type_name = _cut(type_name, 100)
    return _opaque_class(type_name if type_name.isidentifier() else "object")()


@functools.lru_cache(maxsize=256)
def _opaque_class(name: str) -> type:
    """The stand-in class of type ``name``: one for each name (a class costs a
    kilobyte, and a message may hold two million stand-ins)."""
    return type(name, (Opaque,), {"type_name": name})


def _exception(type_name: str, text: str) -> Exception:
    """An ``Exception`` named like the remote one (builtin class when it is one)."""
    type_name, text = _cut(type_name, 100), _cut(text)
    known = getattr(builtins, type_name, None)
    if isinstance(known, type) and issubclass(known, Exception):
        try:
            return known(text)
        except Exception:  # an exception class with another constructor
            pass
    name = type_name if type_name.isidentifier() else "RemoteError"
    return type(name, (Exception,), {})(text)


def _text(error: BaseException) -> str:
    try:
        return str(error)[:2000]
    except Exception:  # a student's exception whose __str__ fails
        return "(no message)"


def _npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=False)
    return buffer.getvalue()


def _from_npy(data: bytes, budget: Budget | None = None) -> np.ndarray:
    """An array from ``.npy`` bytes: numbers, booleans or non-empty strings only
    (no fields, no sub-arrays, no zero-size items), charged to ``budget`` at no
    less than 8 bytes an element (what a checker's conversion to float costs),
    from its header, before anything is allocated."""
    from numpy.lib import format as npy

    stream = io.BytesIO(data)
    version = npy.read_magic(stream)
    if version not in ((1, 0), (2, 0), (3, 0)):
        raise PeerGone("an array in an unknown .npy version")
    read_header = {(1, 0): npy.read_array_header_1_0}.get(
        version, npy.read_array_header_2_0
    )
    shape, _, dtype = read_header(stream)
    if (
        dtype.fields is not None
        or dtype.subdtype is not None
        or dtype.itemsize == 0
        or dtype.kind not in "biufcSU"
    ):
        raise PeerGone(f"an array of a type the grader does not read ({dtype})")
    size = int(np.prod(shape, dtype=object))
    if budget is not None:
        budget.spend(size * max(8, dtype.itemsize))
    elif size * dtype.itemsize > MAX_BYTES:
        raise PeerGone(f"an array of more than {MAX_BYTES // 2**20} MB")
    return np.load(io.BytesIO(data), allow_pickle=False)


#: The pickle opcodes a message may use: plain values, lists, tuples, the memo.
_OPCODES = frozenset(
    """PROTO FRAME STOP MARK NONE NEWTRUE NEWFALSE BININT BININT1 BININT2 LONG1
    BINFLOAT SHORT_BINUNICODE BINUNICODE BINUNICODE8 SHORT_BINBYTES BINBYTES BINBYTES8
    EMPTY_LIST APPEND APPENDS LIST EMPTY_TUPLE TUPLE TUPLE1 TUPLE2 TUPLE3 MEMOIZE
    BINGET LONG_BINGET""".split()
)
_STRUCTURE = frozenset("PROTO FRAME STOP MARK MEMOIZE".split())


def _check_opcodes(data: bytes) -> None:
    """Refuse a pickle that uses any opcode but :data:`_OPCODES`, an int of more
    than 64 bytes, a reference to an object not yet memoized, or more than
    ``MAX_NODES`` objects (PeerGone). Protocol 5 memoizes with ``MEMOIZE`` only;
    ``BINPUT`` (which can make the unpickler size its memo to any index) is
    refused."""
    import pickletools

    objects = memoized = 0
    try:
        for opcode, argument, _ in pickletools.genops(data):
            name = opcode.name
            if name not in _OPCODES:
                raise PeerGone(f"a message with a {name} opcode")
            if (
                name == "LONG1"
                and isinstance(argument, int)
                and argument.bit_length() > 512
            ):
                raise PeerGone("a message with a huge int")
            if name == "MEMOIZE":
                memoized += 1
            elif name in ("BINGET", "LONG_BINGET") and not 0 <= argument < memoized:
                raise PeerGone("a message that refers to nothing")
            if name not in _STRUCTURE:
                objects += 1
                if objects > MAX_NODES:
                    raise PeerGone(f"a message of more than {MAX_NODES} objects")
    except PeerGone:
        raise
    except Exception as error:  # pickletools' own complaint: not a pickle
        raise PeerGone(f"a malformed message ({_cut(str(error), 200)})") from None


def _within(limit: int, value) -> None:
    """ValueError if ``value`` (arguments) holds more than ``limit`` numbers."""
    count, todo = 0, [value]
    while todo:
        item = todo.pop()
        if isinstance(item, np.ndarray | np.generic):
            count += int(np.size(item))
        elif isinstance(item, list | tuple | set | frozenset):
            todo.extend(item)
            count += 1
        elif isinstance(item, dict):
            todo.extend(item.values())
            count += 1
        else:
            count += 1
        if count > limit:
            raise ValueError(
                f"a function handed over by the grader takes at most {limit} "
                "numbers a call"
            )


def _handle(value, exported: list) -> int:
    """``value`` as an index of ``exported`` (PeerGone if it is not one)."""
    if type(value) is not int or not 0 <= value < len(exported):
        raise PeerGone("a call of a function that was never handed over")
    return value


def _hashable_keys(items, kind: str) -> None:
    """Refuse keys of a set or dict whose hashes collide (a set of ints that all
    hash to 0 takes quadratic time to build)."""
    counts: dict[int, int] = {}
    for item in items:
        try:
            code = hash(item)
        except TypeError:
            raise PeerGone(f"a {kind} with an unhashable item") from None
        counts[code] = counts.get(code, 0) + 1
        if counts[code] > 16:
            raise PeerGone(f"a {kind} whose items' hashes collide")


def _module_of(value) -> str:
    return getattr(type(value), "__module__", "") or ""


class Channel:
    """One end of the wire: framed messages on two file descriptors, and the codec.

    ``exported`` holds the functions this side has handed to the other (a handle is
    an index into it). ``deadline`` (a ``time.monotonic`` value or None) bounds every
    wait for a message and every decoding.
    ``max_message`` caps what this side accepts. ``model_sizes(config_json)``
    returns the ``(shape, dtype)`` of each variable of the Keras model a config
    describes, found in a limited process (see :mod:`convbn_tools.grading`); without
    it, no Keras model is read.
    """

    def __init__(self, read_fd: int, write_fd: int, max_message: int = MAX_MESSAGE):
        self.read_fd, self.write_fd = read_fd, write_fd
        self.exported: list[Callable] = []
        self.deadline: float | None = None
        self.max_message = max_message
        self.model_sizes = None
        self.call_limit: int | None = None

    # framing ---------------------------------------------------------------
    def send(self, message) -> None:
        """Send one message (a tree of plain data)."""
        data = pickle.dumps(message, protocol=5)
        if len(data) > MAX_MESSAGE:
            raise ValueError(
                f"a value of {len(data) / 2**20:.0f} MB is too large to send "
                f"(at most {MAX_MESSAGE // 2**20} MB)"
            )
        view = memoryview(_HEADER.pack(len(data)) + data)
        while view:
            try:
                written = os.write(self.write_fd, view)
            except (BrokenPipeError, OSError) as error:
                raise PeerGone(f"the other process is gone ({error})") from None
            view = view[written:]

    def _read(self, count: int) -> bytes:
        data, done = bytearray(count), 0  # filled in place, made bytes once
        view = memoryview(data)
        while done < count:
            wait = None
            if self.deadline is not None:
                # past it, what has already come is still read, for one second
                # (a process that keeps writing cannot hold the grader longer)
                wait = self.deadline - time.monotonic()
                if wait < -1.0:
                    raise Timeout()
                wait = max(wait, 0.0)
            ready, _, _ = select.select([self.read_fd], [], [], wait)
            if not ready:
                raise Timeout()
            got = os.readv(self.read_fd, [view[done : done + 2**20]])
            if not got:
                raise PeerGone("the other process ended")
            done += got
        view.release()
        return bytes(data)

    def receive(self):
        """The next message (plain data only); waits until ``deadline``.

        Before it is unpickled, its opcodes are checked (``_check_opcodes``):
        no dicts, sets, globals or copies, no huge ints, a bounded number of
        objects; so that unpickling, which no deadline can interrupt, is linear
        in the message's size and builds no more than the budget allows.
        """
        (size,) = _HEADER.unpack(self._read(_HEADER.size))
        if size > self.max_message:
            raise PeerGone(f"a message of {size} bytes is larger than allowed")
        data = self._read(size)
        _check_opcodes(data)
        try:
            return _DataOnly(io.BytesIO(data)).load()
        except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as error:
            raise PeerGone(f"a malformed message ({error})") from None

    # codec -----------------------------------------------------------------
    def encode(self, value, depth: int = 0):
        """``value`` as a tree of plain data (functions become handles)."""
        if depth > _DEPTH:
            raise ValueError("a value nested too deeply to send")
        if value is None or isinstance(value, bool | int | float | str | bytes):
            if type(value) in (type(None), bool, int, float, str, bytes):
                return ("v", value)
        if value is Ellipsis:
            return ("...",)
        if type(value) is complex:
            return ("complex", value.real, value.imag)
        if isinstance(value, np.ndarray) and value.dtype != object:
            return ("nd", _npy(np.ascontiguousarray(value)))
        if isinstance(value, np.generic) and not isinstance(value, np.object_):
            return ("np", _npy(np.asarray(value)))
        if isinstance(value, np.random.Generator):
            state = value.bit_generator.state
            return ("rng", type(value.bit_generator).__name__, self.encode(state))
        if type(value) in (list, tuple, set, frozenset):
            items = [self.encode(v, depth + 1) for v in value]
            return (type(value).__name__, items)
        if type(value) is dict:
            pairs = [
                (self.encode(k, depth + 1), self.encode(v, depth + 1))
                for k, v in value.items()
            ]
            return ("dict", pairs)
        module = _module_of(value)
        if module.startswith(("tensorflow", "keras")):
            encoded = self._encode_keras(value)
            if encoded is not None:
                return encoded
        if module.startswith("convbn."):
            from convbn_tools import records

            name = records.name_of(value)
            if name is not None:
                fields = [
                    (field, self.encode(item, depth + 1))
                    for field, item in records.fields_of(value)
                ]
                return ("record", name, fields)
        if isinstance(value, Remote) and value.channel is self:
            return ("yours", value.handle, value.__name__)
        if callable(value) and not isinstance(value, type):
            self.exported.append(value)
            name = getattr(value, "__name__", type(value).__name__)
            return ("fn", len(self.exported) - 1, str(name))
        return ("opaque", type(value).__name__)

    def _encode_keras(self, value):
        import keras

        if keras.ops.is_tensor(value) and hasattr(value, "numpy"):
            return ("tensor", _npy(np.asarray(value.numpy())))
        if isinstance(value, keras.Model):
            config = json.dumps(keras.saving.serialize_keras_object(value))
            weights = [_npy(np.asarray(w)) for w in value.get_weights()]
            return ("keras", config, weights)
        return None

    def _arguments(self, value, depth: int = 0):
        """A call's arguments ``value`` as :meth:`encode` gives them, but a Keras
        model (in lists, tuples and dicts) as its weights only: what is compared
        before and after the call, and copied back."""
        if depth > _DEPTH:
            raise ValueError("a value nested too deeply to send")
        if type(value) in (list, tuple):
            items = [self._arguments(v, depth + 1) for v in value]
            return (type(value).__name__, items)
        if type(value) is dict:
            pairs = [
                (self.encode(k, depth + 1), self._arguments(v, depth + 1))
                for k, v in value.items()
            ]
            return ("dict", pairs)
        if _module_of(value).startswith("keras"):
            import keras

            if isinstance(value, keras.Model):
                weights = [_npy(np.asarray(w)) for w in value.get_weights()]
                return ("weights", weights)
        return self.encode(value, depth)

    def decode(
        self,
        tree,
        depth: int = 0,
        budget: Budget | None = None,
        copy_back: bool = False,
    ):
        """The value a tree of plain data stands for (handles become Remotes),
        within ``budget`` (default: a new :class:`Budget` up to ``deadline``).
        ``copy_back``: the tree is a call's arguments as the callee left them, so
        a Keras model's weights (:class:`ModelWeights`) may be in it, and a model
        in another form is not read."""
        if budget is None:
            budget = Budget(deadline=self.deadline)
        if depth > _DEPTH or not isinstance(tree, tuple) or not tree:
            raise PeerGone("a malformed value")
        kind, rest = tree[0], tree[1:]
        budget.spend()
        try:
            if kind == "v":
                if type(rest[0]) not in _PLAIN:  # a list or tuple the unpickler
                    raise PeerGone("a malformed plain value")  # built: no budget
                if isinstance(rest[0], str | bytes):
                    budget.spend(len(rest[0]))
                return rest[0]
            if kind == "...":
                return Ellipsis
            if kind == "complex":
                return complex(float(rest[0]), float(rest[1]))
            if kind in ("nd", "np"):
                budget.spend(len(rest[0]))
                array = _from_npy(rest[0], budget)
                return array if kind == "nd" else array[()]
            if kind == "rng":  # PCG64 only, from its two 128-bit numbers
                state = self.decode(rest[1], depth + 1, budget)
                if rest[0] != "PCG64":
                    return _opaque("Generator")
                inner = state["state"]
                numbers = (inner["state"], inner["inc"], state["has_uint32"])
                if not all(type(n) is int and 0 <= n < 2**128 for n in numbers):
                    raise ValueError("not a PCG64 state")
                made = np.random.PCG64()
                made.state = {
                    "bit_generator": "PCG64",
                    "state": {"state": inner["state"], "inc": inner["inc"]},
                    "has_uint32": int(bool(state["has_uint32"])),
                    "uinteger": int(state["uinteger"]) % 2**32,
                }
                return np.random.Generator(made)
            if kind in ("list", "tuple", "set", "frozenset"):
                items = [self.decode(v, depth + 1, budget, copy_back) for v in rest[0]]
                if kind in ("set", "frozenset"):
                    _hashable_keys(items, kind)
                return {"list": list, "tuple": tuple, "set": set}.get(kind, frozenset)(
                    items
                )
            if kind == "dict":
                pairs = [
                    (
                        self.decode(k, depth + 1, budget),
                        self.decode(v, depth + 1, budget, copy_back),
                    )
                    for k, v in rest[0]
                ]
                _hashable_keys([k for k, _ in pairs], kind)
                return dict(pairs)
            if kind == "tensor":
                budget.spend(len(rest[0]))
                array = _from_npy(rest[0], budget)
                keras = sys.modules.get("keras")  # imported before any sandbox
                return array if keras is None else keras.ops.convert_to_tensor(array)
            if kind == "keras" and copy_back:  # a model comes back as its weights
                return _opaque("Model")  # only: nothing is built from this one
            if kind == "keras":
                return self._decode_model(rest[0], rest[1], budget)
            if kind == "weights" and copy_back:
                arrays = []
                for data in rest[0]:
                    budget.spend(len(data))
                    arrays.append(_from_npy(data, budget))
                return ModelWeights(arrays)
            if kind == "record":
                from convbn_tools import records

                budget.record()
                fields = [
                    (_cut(field, 100), self._decode_data(item, depth + 1, budget))
                    for field, item in rest[1]
                ]
                return records.build(rest[0], fields)
            if kind == "fn":
                return Remote(self, int(rest[0]), _cut(rest[1], 100))
            if kind == "yours":
                return self.exported[_handle(rest[0], self.exported)]
            if kind == "opaque":
                return _opaque(rest[0])
        except (PeerGone, Timeout, Refused):
            raise
        except Exception as error:  # a value that does not parse: the peer's fault
            raise PeerGone(f"a malformed value ({type(error).__name__})") from None
        raise PeerGone(f"an unknown kind of value {_shown(kind)}")

    def _decode_data(self, tree, depth: int, budget: Budget):
        """A record's field: :meth:`decode` of plain data only (None, numbers,
        strings, bytes, arrays, and lists, tuples and dicts with string keys of
        those); Refused for anything else (a function, a model, an object)."""
        if depth > _DEPTH or not isinstance(tree, tuple) or not tree:
            raise PeerGone("a malformed value")
        kind = tree[0]
        if kind in ("v", "nd", "np"):
            return self.decode(tree, depth, budget)
        if kind in ("list", "tuple"):
            budget.spend()
            items = [self._decode_data(v, depth + 1, budget) for v in tree[1]]
            return items if kind == "list" else tuple(items)
        if kind == "dict":
            budget.spend()
            pairs = [
                (
                    self._decode_data(k, depth + 1, budget),
                    self._decode_data(v, depth + 1, budget),
                )
                for k, v in tree[1]
            ]
            if not all(isinstance(k, str) for k, _ in pairs):
                raise Refused("a record's dict whose keys are not all strings")
            _hashable_keys([k for k, _ in pairs], kind)
            return dict(pairs)
        raise Refused(f"a record's field holds a {_shown(kind)}, not data")

    def _decode_model(self, config, weights, budget: Budget):
        """A Keras model from its config and weights, checked before it is built
        (:func:`convbn_tools.keras_values.build`: functions of Keras's modeling
        modules only; the variables' sizes, from ``model_sizes``, a limited
        process, must fit :data:`MAX_MODEL_BYTES` and match the weights)."""
        if self.model_sizes is None:
            raise Refused("this grader reads no Keras models")
        if not (isinstance(config, str) and isinstance(weights, list)):
            raise PeerGone("a malformed Keras model")
        budget.spend(len(config))

        def arrays():
            out = []
            for data in weights:
                budget.spend(len(data))
                out.append(_from_npy(data, budget))
            return out

        model = keras_values.build(config, arrays, self.model_sizes, Refused, _cut)
        if model is None:
            raise PeerGone("a Keras model whose weights do not match its config")
        return model

    # calls -----------------------------------------------------------------
    def call(self, handle: int, args, kwargs, options=None):
        """Call the other side's function ``handle`` and return what it returns.

        Serves the other side's calls back into this one until the answer comes.
        ``options`` (plain data) travels with the request.
        """
        self.send(
            ("call", handle, self.encode(list(args)), self.encode(kwargs), options)
        )
        while True:
            message = self.receive()
            if not isinstance(message, tuple) or len(message) not in (3, 5):
                raise PeerGone("a malformed message")
            if message[0] == "call" and len(message) == 5:
                self.serve_call(message)
                continue
            if message[0] == "return" and len(message) == 3:
                _, value, changed = message
                budget = Budget(deadline=self.deadline)  # one for the whole answer
                if changed is not None:
                    changed = self.decode(changed, budget=budget, copy_back=True)
                    _write_back(args, changed)
                return self.decode(value, budget=budget)
            if message[0] == "raise" and len(message) == 3:
                _, type_name, text = message
                raise _exception(type_name, text)
            raise PeerGone(f"an unexpected message {_shown(message[0])}")

    def serve_call(self, message) -> None:
        """Run one ``("call", ...)`` request of the other side and send the answer.

        With ``call_limit`` set (the grader's side), the arguments may hold at most
        that many numbers in all: a function a checker hands the student runs
        here, in the grader, and a large input could make it build a huge array.
        """
        _, handle, args, kwargs, options = message
        try:
            fn = self.exported[_handle(handle, self.exported)]
            args, kwargs = self.decode(args), self.decode(kwargs)
            if not (isinstance(args, list) and isinstance(kwargs, dict)):
                raise TypeError("a call needs a list of arguments and a dict")
            if self.call_limit is not None:
                _within(self.call_limit, [args, kwargs])
            before = self._arguments(args)
        except (PeerGone, Timeout):
            raise
        except Exception as error:
            self.send(("raise", type(error).__name__, _text(error)))
            return
        try:
            result = fn(*args, **kwargs)
        except BaseException as error:  # the called code's error, any kind
            if isinstance(error, PeerGone | Timeout):
                raise
            self.send(("raise", type(error).__name__, _text(error)))
            return
        try:
            after = self._arguments(args)
            changed = None if after == before else after
            self.send(("return", self.encode(result), changed))
        except (PeerGone, Timeout):
            raise
        except Exception as error:  # a result that cannot cross
            self.send(("raise", type(error).__name__, _text(error)))


def _write_back(original, new) -> None:
    """Copy arrays the called function changed into the caller's arrays, in place,
    and the weights of a Keras model into the caller's model."""
    if isinstance(new, ModelWeights):
        keras = sys.modules.get("keras")
        if keras is not None and isinstance(original, keras.Model):
            keras_values.assign_weights(original, new.arrays, _cut)
    elif isinstance(original, np.ndarray) and isinstance(new, np.ndarray):
        if original.shape == new.shape and original.flags.writeable:
            np.copyto(original, new, casting="unsafe")
    elif isinstance(original, np.random.Generator) and isinstance(
        new, np.random.Generator
    ):
        original.bit_generator.state = new.bit_generator.state
    elif isinstance(original, list | tuple) and isinstance(new, list | tuple):
        for a, b in zip(original, new, strict=False):
            _write_back(a, b)
    elif isinstance(original, dict) and isinstance(new, dict):
        for key in original.keys() & new.keys():
            _write_back(original[key], new[key])


class Remote:
    """A function on the other side of a :class:`Channel`; calling it calls that.

    ``options`` (a dict of plain data) goes with every call (see
    :meth:`Channel.call`).
    """

    def __init__(self, channel: Channel, handle: int, name: str, options=None):
        self.channel, self.handle, self.__name__ = channel, handle, name
        self.options = options

    def __call__(self, *args, **kwargs):
        return self.channel.call(self.handle, args, kwargs, self.options)

    def in_graph(self) -> Remote:
        """The same function, traced by ``tf.function`` on the other side.

        The sandbox exports its tracing adapter as :data:`GRAPH_HANDLE`.
        """
        traced = self.channel.call(GRAPH_HANDLE, (self,), {}, self.options)
        if isinstance(traced, Remote):
            traced.options = self.options
        return traced

    def gradient_of_sum(self, y_true, y_pred):
        """The gradient of ``sum(self(y_true, y_pred))`` with respect to ``y_pred``
        (None when none flows), taken with ``tf.GradientTape`` on the other side."""
        return self.channel.call(
            GRADIENT_HANDLE, (self, y_true, y_pred), {}, self.options
        )

    def __repr__(self) -> str:
        return f"<student function {self.__name__}>"
