"""The process a submission runs in: its cells, then the grader's calls.

    python -m convbn_tools.sandbox READ WRITE LIFELINE ADDRESS_MB FILE_BYTES NPROC
    python -m convbn_tools.sandbox --model-sizes ADDRESS_MB FILE_BYTES NPROC

Started by :mod:`convbn_tools.grading`, one per submission and view, inside the
isolation of :mod:`convbn_tools.isolation` (bubblewrap: a read-only view of Python
and its packages, no network, its own PID namespace, cgroup limits where the
machine allows them). Here, before
any student code runs:

- the address-space (a backstop), file-size, open-file and (without a cgroup)
  process limits are set, hard, and a thread ends the process when the grader's
  end of the lifeline pipe closes;
- an audit hook (which Python code cannot remove) refuses sockets' ``connect``,
  ``bind``, ``sendto`` and name lookups, signals to other processes, and starting
  programs (``subprocess``, ``os.system``, ``os.exec*``, ``os.fork``,
  ``os.posix_spawn``); these are courtesy messages, the isolation is what holds;
- in a numpy-only run (``CONVBN_NUMPY_ONLY``), importing ``convbn``, scipy or
  TensorFlow fails with a message that names the rule (in a sandbox those packages
  are not in the view at all);
- ``otter`` is a stand-in, so the notebook's ``grader.check(...)`` cells do nothing
  (the grader runs the checks itself, on its side of the wire);
- the notebook's code cells run one by one in an IPython shell (magics work, no
  Jupyter kernel and no ZeroMQ), reporting each cell's start and end to the grader;
- then the process serves the grader's requests over :mod:`convbn_tools.wire`: the
  value of a name, a call of one of the student's functions.

Nothing that happens here is trusted: the grader decides every score on its side.
"""

from __future__ import annotations

import os
import resource
import signal
import sys
import threading
import types

from convbn_tools.wire import GRADIENT_HANDLE, GRAPH_HANDLE, Channel

__all__ = ["main"]

_REFUSED = (
    "socket.connect",
    "socket.bind",
    "socket.sendto",
    "socket.sendmsg",
    "socket.getaddrinfo",
    "socket.gethostbyname",
    "socket.gethostbyaddr",
    "socket.getnameinfo",
    "subprocess.Popen",
    "os.system",
    "os.exec",
    "os.fork",
    "os.forkpty",
    "os.posix_spawn",
    "os.spawn",
    "pty.spawn",
)


def _refuse(event: str, args) -> None:
    if event in ("os.kill", "os.killpg") and args[0] not in (0, os.getpid()):
        raise PermissionError(f"{event}: other processes cannot be signalled")
    if event in _REFUSED:
        what = "the network" if event.startswith("socket.") else "other programs"
        raise PermissionError(f"{event}: {what} cannot be used while grading")


def _otter_stand_in() -> types.ModuleType:
    """A module ``otter`` whose ``Notebook`` does nothing: the grader checks."""
    module = types.ModuleType("otter")

    class Notebook:
        """Stands for otter's Notebook while grading; every method does nothing."""

        def __init__(self, *args, **kwargs):
            pass

        def __getattr__(self, name):
            return lambda *args, **kwargs: None

    module.Notebook = Notebook
    return module


_NUMPY_ONLY_MESSAGE = (
    "No module named {name!r} here: this exercise says numpy only, so its "
    "functions are graded where only numpy, the standard library, IPython and "
    "matplotlib can be imported"
)


class _NumpyOnly:
    """A finder, first on ``sys.meta_path`` in a numpy-only run, that names the
    rule when a forbidden package is imported. In a sandbox the packages are not
    there at all; without one (``--unsafe``) this finder is all there is."""

    def __init__(self, forbidden):
        self.forbidden = frozenset(forbidden)

    def find_spec(self, name, path=None, target=None):
        if name.partition(".")[0] in self.forbidden:
            raise ModuleNotFoundError(_NUMPY_ONLY_MESSAGE.format(name=name), name=name)
        return None


def _graph(fn):
    """``fn`` traced by ``tf.function`` (for checks of Keras losses)."""
    import tensorflow as tf

    traced = tf.function(lambda *args: fn(*args), reduce_retracing=True)
    return lambda *args: traced(*(tf.constant(a) for a in args))


def _gradient(fn, y_true, y_pred):
    """The gradient of ``sum(fn(y_true, y_pred))`` with respect to ``y_pred``."""
    import tensorflow as tf

    y_true, y_pred = tf.constant(y_true), tf.constant(y_pred)
    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        total = tf.reduce_sum(fn(y_true, y_pred))
    gradient = tape.gradient(total, y_pred)
    return None if gradient is None else gradient.numpy()


def _shell():
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    return InteractiveShell.instance(config=config)


def _error(result) -> tuple[str, str] | None:
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return None
    try:
        text = str(error)[:500]
    except Exception:  # a student's exception whose __str__ fails
        text = ""
    return type(error).__name__, text


def _lifeline(fd: int) -> None:
    """End this process when the grader's end of pipe ``fd`` closes (the grader
    never writes to it), so that no sandbox outlives a grader that was killed."""
    try:
        os.read(fd, 1)
    finally:
        os._exit(70)


def _limit(address_mb: int, file_bytes: int, tasks: int) -> None:
    """Lower this process's limits (hard too: no code here can raise them again).
    ``tasks`` (0: none) is ``RLIMIT_NPROC``, for where no cgroup counts them."""
    size = address_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    files = min(1024, resource.getrlimit(resource.RLIMIT_NOFILE)[1])
    resource.setrlimit(resource.RLIMIT_NOFILE, (files, files))
    if tasks:
        resource.setrlimit(resource.RLIMIT_NPROC, (tasks, tasks))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it: OSError


def main(argv: list[str] | None = None) -> int:
    """Run a submission and serve the grader.

    ``argv``: the two ends of the wire, the lifeline (see :func:`_lifeline`), the
    address-space limit (MB), the file-size limit (bytes) and ``RLIMIT_NPROC``
    (0: none); or ``--model-sizes`` (see :func:`model_sizes`).
    """
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--model-sizes"]:  # ADDRESS_MB FILE_BYTES NPROC
        _limit(int(argv[1]), int(argv[2]), int(argv[3]))
        return model_sizes()
    _limit(int(argv[3]), int(argv[4]), int(argv[5]))
    threading.Thread(target=_lifeline, args=(int(argv[2]),), daemon=True).start()
    channel = Channel(int(argv[0]), int(argv[1]))
    channel.model_sizes = _sizes_here  # the grader's models are trusted here
    channel.exported = [_graph, _gradient]
    assert (GRAPH_HANDLE, GRADIENT_HANDLE) == (0, 1)
    if os.environ.get("CONVBN_NUMPY_ONLY"):
        from convbn_tools.isolation import FORBIDDEN_IN_NUMPY_VIEW

        sys.meta_path.insert(0, _NumpyOnly(FORBIDDEN_IN_NUMPY_VIEW))
    import numpy  # noqa: F401  (ready before the student's first cell)

    shell = _shell()
    sys.modules["otter"] = _otter_stand_in()
    sys.addaudithook(_refuse)
    channel.send(("ready", os.getpid()))
    while True:
        message = channel.receive()
        kind = message[0]
        if kind == "run":
            for number, source in message[1]:
                channel.send(("cell", number))
                result = shell.run_cell(source, store_history=False)
                channel.send(("done", number, _error(result)))
            channel.send(("ran",))
        elif kind == "get":
            name = message[1]
            if name in shell.user_ns and not name.startswith("_"):
                try:
                    channel.send(("value", channel.encode(shell.user_ns[name])))
                except Exception as error:  # a value that cannot cross
                    channel.send(("unreadable", f"{type(error).__name__}: {error}"))
            else:
                channel.send(("missing",))
        elif kind == "call":
            channel.serve_call(message)
        else:
            return 0


def _sizes_here(config: str) -> list:
    """The ``(shape, dtype)`` of each variable of the model ``config`` describes,
    built here (a model the grader sent: the sandbox's own limits apply)."""
    import json

    import keras

    model = keras.saving.deserialize_keras_object(json.loads(config), safe_mode=True)
    return [(tuple(w.shape), str(w.dtype)) for w in model.weights]


def _forward_seconds(model) -> float | None:
    """Seconds a forward pass of 32 zero samples takes (None for a model whose
    inputs have no fixed shape): the grader will call the model itself."""
    import time

    import numpy as np

    try:
        shapes = [tuple(t.shape) for t in model.inputs]
    except (AttributeError, ValueError):
        return None
    if not shapes or any(d is None for s in shapes for d in s[1:]):
        return None
    batch = [np.zeros((32, *s[1:]), dtype="float32") for s in shapes]
    start = time.monotonic()
    model(batch if len(batch) > 1 else batch[0], training=False)
    return time.monotonic() - start


def model_sizes() -> int:
    """Serve the grader: read a Keras model's config (JSON, one line) on stdin,
    build it with ``safe_mode``, and write the ``(shape, dtype)`` of each of its
    weights as one line of JSON on stdout, or ``{"refused": message}``, then the
    seconds a forward pass of 32 zero samples takes (``{"seconds": ...}``); until
    stdin ends. The grader runs this in a sandbox of its own, under the memory
    limit, before it builds a model a submission sent (Keras is imported once)."""
    import json

    import keras

    for line in sys.stdin:
        try:
            model = keras.saving.deserialize_keras_object(
                json.loads(line), safe_mode=True
            )
            sizes = [[list(w.shape), str(w.dtype)] for w in model.weights]
            answer = {"sizes": sizes}
        except Exception as error:  # Keras's own message, e.g. safe_mode's refusal
            answer = {"refused": f"{type(error).__name__}: {str(error)[:1000]}"}
            model = None
        sys.stdout.write(json.dumps(answer) + "\n")  # first the sizes, then
        sys.stdout.flush()
        try:  # the time of a forward pass, which the grader waits for briefly
            seconds = None if model is None else _forward_seconds(model)
        except Exception:  # a model that cannot run on zeros: the checkers will say
            seconds = None
        sys.stdout.write(json.dumps({"seconds": seconds}) + "\n")
        sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
