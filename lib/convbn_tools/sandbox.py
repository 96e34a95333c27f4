"""The process a submission runs in: its cells, then the grader's calls.

    python -m convbn_tools.sandbox READ_FD WRITE_FD LIFELINE_FD ADDRESS_MB FILE_BYTES

Started by :mod:`convbn_tools.grading`, one per submission, in a session of its own
and, where Linux allows it, new user, network, PID and mount namespaces with every
file system read-only but a private ``tmpfs`` (the grader also watches its resident
memory). Here, before any student code runs:

- the address-space (a backstop) and file-size limits are set, hard, and a thread
  ends the process when the grader's end of the lifeline pipe closes;
- an audit hook (which Python code cannot remove) refuses sockets' ``connect``,
  ``bind``, ``sendto`` and name lookups, and starting programs (``subprocess``,
  ``os.system``, ``os.exec*``, ``os.fork``, ``os.posix_spawn``);
- ``otter`` is a stand-in, so the notebook's ``grader.check(...)`` cells do nothing
  (the grader runs the checks itself, on its side of the wire);
- the notebook's code cells run one by one in an IPython shell (magics work, no
  Jupyter kernel and no ZeroMQ), reporting each cell's start and end to the grader;
- then the process serves the grader's requests over :mod:`convbn_tools.wire`: the
  value of a name, a call of one of the student's functions. A call made for a
  numpy-only question runs under a profile hook that notes the first function of
  ``convbn`` it reaches, or that the hook was switched off.

Nothing that happens here is trusted: the grader decides every score on its side.
"""

from __future__ import annotations

import importlib.util
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


def _convbn_folder() -> str | None:
    spec = importlib.util.find_spec("convbn")
    if spec is None or not spec.submodule_search_locations:
        return None
    return os.path.realpath(list(spec.submodule_search_locations)[0]) + os.sep


class _Watch:
    """Runs a call for the grader; for a numpy-only question, under a profile hook
    that notes the first function of ``convbn`` the call reaches."""

    def __init__(self, channel: Channel):
        self.channel = channel
        self.folder = _convbn_folder()
        self.seen: str | None = None
        self._known: dict[str, bool] = {}
        self.hook = self._hook  # one bound method, so that `is` can recognize it

    def _inside(self, filename: str) -> bool:
        inside = self._known.get(filename)
        if inside is None:
            inside = filename.startswith(self.folder) or (
                not filename.startswith("<")
                and os.path.realpath(filename).startswith(self.folder)
            )
            self._known[filename] = inside
        return inside

    def _hook(self, frame, event, arg):
        if event == "call" and self.seen is None:
            if self._inside(frame.f_code.co_filename):
                module = frame.f_globals.get("__name__", "convbn")
                self.seen = f"calls {module}.{frame.f_code.co_qualname}"

    def __call__(self, fn, args, kwargs, options):
        if not (isinstance(options, dict) and options.get("numpy_only")):
            return fn(*args, **kwargs)
        if self.folder is None:
            return fn(*args, **kwargs)
        self.seen = None
        sys.setprofile(self.hook)
        threading.setprofile(self.hook)
        try:
            return fn(*args, **kwargs)
        finally:
            intact = sys.getprofile() is self.hook
            sys.setprofile(None)
            threading.setprofile(None)
            if not intact:
                off = "switches off the grader's watch (sys.setprofile)"
                self.seen = self.seen or off
            if self.seen is not None:
                self.channel.notes = {"convbn": self.seen}


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


def _limit(address_mb: int, file_bytes: int) -> None:
    """Lower this process's limits (hard too: no code here can raise them again)."""
    size = address_mb * 2**20
    resource.setrlimit(resource.RLIMIT_AS, (size, size))
    resource.setrlimit(resource.RLIMIT_FSIZE, (file_bytes, file_bytes))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past it: OSError


def main(argv: list[str] | None = None) -> int:
    """Run a submission and serve the grader.

    ``argv``: the two ends of the wire, the lifeline (see :func:`_lifeline`), the
    address-space limit (MB) and the file-size limit (bytes).
    """
    argv = sys.argv[1:] if argv is None else argv
    _limit(int(argv[3]), int(argv[4]))
    threading.Thread(target=_lifeline, args=(int(argv[2]),), daemon=True).start()
    channel = Channel(int(argv[0]), int(argv[1]))
    channel.exported = [_graph, _gradient]
    assert (GRAPH_HANDLE, GRADIENT_HANDLE) == (0, 1)
    channel.on_call = _Watch(channel)
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


if __name__ == "__main__":
    sys.exit(main())
