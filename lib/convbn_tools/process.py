"""The grader's side of one submission's process: start it isolated, talk, end it.

``Sandbox`` starts ``python -m convbn_tools.sandbox`` through
``Isolation.command`` (bubblewrap, cgroup limits), holds
the grader's end of the wire (:mod:`convbn_tools.wire`) and ends the process and
everything it started. :mod:`convbn_tools.grading` runs the sessions and batches.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from convbn_tools import isolation
from convbn_tools.wire import Channel, PeerGone, Refused, Timeout, _cut

__all__ = ["Sandbox", "FILE_LIMIT", "GRADER_MAX_MESSAGE"]

#: The file-size limit (bytes) of a submission's process (its log, its files).
FILE_LIMIT = 64 * 2**20
#: The largest message the grader accepts from a sandbox (bytes).
GRADER_MAX_MESSAGE = 64 * 2**20
#: The most numbers a student's call of a checker's function may pass (it runs in
#: the grader: chapter 5's maps take signals of 6 to 9 numbers).
CALL_LIMIT = 1024
#: The longest a Keras model from a submission may take for 32 samples (seconds),
#: measured in its sandbox: the checkers call it in the grader.
MODEL_SECONDS = 2.0


# --------------------------------------------------------------------------
# The sandbox process
# --------------------------------------------------------------------------
#: The sandboxes' processes alive now, and the flag that stops a batch (Ctrl-C).
_LIVE: set[subprocess.Popen] = set()
_STOP = threading.Event()


class _Stopped(BaseException):
    """The batch is being stopped: start no more sandboxes."""


def _died(code: int | None) -> str:
    if code is None:
        return "it stopped answering"
    if code < 0 or code > 128:
        number = -code if code < 0 else code - 128
        try:
            name = signal.Signals(number).name
        except ValueError:
            name = f"signal {number}"
        return f"it was killed by {name}"
    return f"it exited with status {code} (os._exit, or a crash)"


def _descendants(pid: int) -> list[int] | None:
    """``pid`` and its descendants, from Linux's ``/proc/PID/task/TID/children``
    (a few small reads; None where that file does not exist)."""
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        tasks = Path(f"/proc/{current}/task")
        try:
            for task in tasks.iterdir():
                todo += [int(c) for c in (task / "children").read_text().split()]
        except FileNotFoundError:
            if current == pid and not Path(f"/proc/{pid}").exists():
                return []
            if current == pid:
                return None
        except OSError:
            pass
    return found


def _kill_tree(pid: int) -> None:
    """SIGKILL ``pid`` and every descendant (its group first)."""
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for one in _descendants(pid) or [pid]:
        try:
            os.kill(one, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _memory_mb(pid: int) -> float:
    """The resident memory (MB) of process ``pid`` and all its descendants."""
    pids = _descendants(pid) if sys.platform.startswith("linux") else None
    if pids is not None:
        pages = 0
        for one in pids:
            try:
                pages += int(Path(f"/proc/{one}/statm").read_text().split()[1])
            except (OSError, ValueError, IndexError):
                pass
        return pages * os.sysconf("SC_PAGE_SIZE") / 2**20
    import psutil

    try:
        root = psutil.Process(pid)
        processes = [root, *root.children(recursive=True)]
    except psutil.Error:
        return 0.0
    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            pass
    return total / 2**20


def _rlimits(box: isolation.Isolation, memory_mb: int) -> list[str]:
    """The sandbox's own limits, as its command line gives them: address space
    (MB, a backstop, see ``Sandbox``), file size (bytes) and ``RLIMIT_NPROC`` (0
    where a cgroup counts tasks)."""
    tasks = _tasks_allowed() if box.limits not in ("cgroup v1", "cgroup v2") else 0
    backstop = 4 * int(memory_mb) + 4096
    return [str(backstop), str(FILE_LIMIT), str(tasks)]


def _tasks_allowed() -> int:
    """``RLIMIT_NPROC`` for a sandbox without a cgroup: the tasks this user runs
    now plus :data:`convbn_tools.isolation.TASKS` (the limit counts them all)."""
    uid, count = os.getuid(), 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)
        if int(fields.get("Uid", "-1").split()[0]) == uid:
            count += int(fields.get("Threads", "1"))
    return count + isolation.TASKS


class Sandbox:
    """One submission's process and the grader's end of the wire to it.

    ``box.numpy_only``: it runs in the numpy-only view; ``models``: the grader
    reads Keras models from it (else a model is refused unread). Its memory limit is the
    cgroup's where there is one, and always also its resident memory, polled every
    0.1 s (the process is killed past it): TensorFlow reserves several GB of
    address space that it never uses, so an address-space limit (``RLIMIT_AS``) as
    low as the budget breaks Keras; that limit is only a backstop, at 4 times the
    budget plus 4 GB. The sandbox sets its own rlimits before any student code
    runs (a process can lower its hard limits, not raise them).
    """

    def __init__(
        self,
        memory_mb: int,
        log_path: Path,
        box: isolation.Isolation,
        numpy_only: bool = False,
        models: bool = False,
    ):
        self.memory_mb, self.isolation, self.numpy_only = memory_mb, box, numpy_only
        self.limits = _rlimits(box, memory_mb)
        self.home = tempfile.mkdtemp(prefix="convbn-sandbox-")
        keep = ("PATH", "LANG", "LC_ALL", "VIRTUAL_ENV", *isolation.SYSTEMD_ENV)
        if not box.isolated:
            keep += ("PYTHONPATH",)
        env = {k: v for k, v in os.environ.items() if k in keep}
        home = isolation.HOME if box.isolated else self.home
        env.update(
            HOME=home,
            TMPDIR="/tmp" if box.isolated else self.home,
            MPLBACKEND="Agg",
            MPLCONFIGDIR=home,
            IPYTHONDIR=home,
            KERAS_HOME=home,
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONDONTWRITEBYTECODE="1",
            OMP_NUM_THREADS="1",
        )
        if numpy_only:
            env["CONVBN_NUMPY_ONLY"] = "1"
        ours, theirs = [], []  # the descriptors this side keeps, and the child's
        self.launch = self.log = None
        try:
            read_child, write_parent = os.pipe()
            theirs.append(read_child), ours.append(write_parent)
            read_parent, write_child = os.pipe()
            ours.append(read_parent), theirs.append(write_child)
            # The sandbox ends itself when this end closes, even if the grader dies.
            lifeline, self.lifeline = os.pipe()
            theirs.append(lifeline), ours.append(self.lifeline)
            command = [sys.executable, "-m", "convbn_tools.sandbox"]
            command += [str(read_child), str(write_child), str(lifeline), *self.limits]
            self.launch = box.command(command, memory_mb, numpy_only)
            self.log = open(log_path, "ab")  # closed in close()
            self.process = subprocess.Popen(
                self.launch.argv,
                pass_fds=(*theirs, *self.launch.pass_fds),
                stdin=subprocess.DEVNULL,
                stdout=self.log,
                stderr=self.log,
                cwd=self.home,
                env=env,
                start_new_session=True,
            )
        except BaseException:  # nothing started: free what was made
            for fd in ours:
                os.close(fd)
            for thing in (self.launch, self.log):
                if thing is not None:
                    thing.close()
            shutil.rmtree(self.home, ignore_errors=True)
            raise
        finally:
            for fd in theirs:
                os.close(fd)
        _LIVE.add(self.process)
        self.channel = Channel(read_parent, write_parent, GRADER_MAX_MESSAGE)
        self.channel.call_limit = CALL_LIMIT
        if models:  # a chapter whose checkers read Keras models
            self.channel.model_sizes = self._model_sizes
        self._checker: subprocess.Popen | None = None  # sizes of Keras models
        self.cell: tuple[int, str] | None = None
        self.errors: dict[int, tuple[str, str]] = {}
        self.alive = True
        self.started = False
        self.over_memory = False
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def _watch_memory(self, process: subprocess.Popen | None = None) -> None:
        """Kill ``process`` (default: the sandbox's) past the memory limit."""
        watched = self.process if process is None else process
        while self.alive and watched.poll() is None:
            if _memory_mb(watched.pid) > self.memory_mb:
                if process is None:
                    self.over_memory = True
                _kill_tree(watched.pid)
                return
            time.sleep(0.1)

    def _model_sizes(self, config: str) -> list:
        """The ``(shape, dtype)`` of each variable of the Keras model ``config``
        describes, found by building it in a sandbox of its own (full view, the
        same memory limit, until this sandbox's deadline), which serves this
        submission's models and ends with it (one import of Keras). A model whose
        forward pass of 32 samples takes more than :data:`MODEL_SECONDS` there is
        refused: the checkers call it here, in the grader."""
        deadline = self.channel.deadline
        checker = self._checker
        if checker is None or checker.poll() is not None:
            self._stop_checker()  # a dead one: its pipes, cgroups and files
            checker = self._checker = self._start_checker()
        line = json.dumps(json.loads(config)) + "\n"  # one line, whatever it held
        try:
            checker.stdin.write(line.encode())
            checker.stdin.flush()
        except OSError:
            pass
        wait = 120.0 if deadline is None else max(deadline - time.monotonic(), 1.0)
        answer = self._answer(checker, wait)
        if "refused" in answer:
            self._answer(checker, wait)  # its empty timing
            raise Refused(f"Keras refused the model: {_cut(answer['refused'])}")
        timing = self._answer(checker, MODEL_SECONDS + 1.0, slow=True)
        seconds = timing.get("seconds")
        if isinstance(seconds, int | float) and seconds > MODEL_SECONDS:
            raise Refused(
                f"the Keras model takes {seconds:.1f} s for 32 samples (at most "
                f"{MODEL_SECONDS:g} s: the grader calls it)"
            )
        return [
            (tuple(int(n) for n in shape), str(dtype))
            for shape, dtype in answer["sizes"]
        ]

    def _answer(self, checker, wait: float, slow: bool = False) -> dict:
        """The measuring sandbox's next line, within ``wait`` seconds (then it is
        ended: Timeout, or Refused when ``slow``: a forward pass too long)."""
        ready, _, _ = select.select([checker.stdout], [], [], wait)
        line = checker.stdout.readline(2**20) if ready else None
        if line is None:
            self._stop_checker()
            if slow:
                raise Refused(
                    f"the Keras model takes more than {MODEL_SECONDS:g} s for 32 "
                    "samples (the grader calls it)"
                )
            raise Timeout()
        try:
            answer = json.loads(line)
            if not isinstance(answer, dict):
                raise ValueError
            return answer
        except ValueError:
            self._stop_checker()
            raise Refused(
                f"the Keras model could not be built within the limits "
                f"({self.memory_mb} MB): {_died(checker.returncode)}"
            ) from None

    def _start_checker(self) -> subprocess.Popen:
        command = [sys.executable, "-m", "convbn_tools.sandbox", "--model-sizes"]
        command += self.limits
        self._checker_launch = self.isolation.command(
            command, self.memory_mb, numpy_only=False
        )
        keep = ("PATH", "LANG", "VIRTUAL_ENV", "KERAS_BACKEND")
        env = {k: v for k, v in os.environ.items() if k in keep}
        env.update(
            HOME=isolation.HOME if self.isolation.isolated else self.home,
            TF_CPP_MIN_LOG_LEVEL="3",
            OMP_NUM_THREADS="1",
        )
        try:
            checker = subprocess.Popen(
                self._checker_launch.argv,
                bufsize=0,  # unbuffered: select() then sees every line that came
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=self.log,
                pass_fds=self._checker_launch.pass_fds,
                env=env,
                cwd=self.home,
                start_new_session=True,
            )
        except BaseException:
            self._checker_launch.close()
            raise
        threading.Thread(
            target=self._watch_memory, args=(checker,), daemon=True
        ).start()
        return checker

    def _stop_checker(self) -> None:
        checker, self._checker = self._checker, None
        if checker is not None:
            _kill_tree(checker.pid)
            checker.wait()
            for stream in (checker.stdin, checker.stdout):
                try:
                    stream.close()
                except OSError:
                    pass
            self._checker_launch.close()

    def ended(self, error: PeerGone) -> str:
        """Why the wire broke (``error``): memory, a signal, an exit status, or a
        message that was not one (then the process is ended here)."""
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # alive: it wrote nonsense on the wire
            self.kill()
            return f"it broke the wire to the grader ({error})"
        if self.over_memory or self.launch.out_of_memory():
            self.kill()
            return f"it exceeded the memory limit ({self.memory_mb} MB)"
        how = self.kill()
        if how.endswith("SIGKILL") and self.isolation.limits == "cgroup v2":
            how += f" (the memory limit, {self.memory_mb} MB, or the task limit)"
        return how

    def start(self, timeout: float) -> None:
        """Wait until the sandbox is ready for cells (raises Timeout, PeerGone)."""
        self.channel.deadline = time.monotonic() + timeout
        message = self.channel.receive()
        self.channel.deadline = None
        if not (isinstance(message, tuple) and message[:1] == ("ready",)):
            raise PeerGone("the sandbox did not start")
        self.started = True

    def send_cells(self, cells, timeout: float) -> None:
        """Start running ``cells`` (``(number, source)``) within ``timeout``
        seconds from now; :meth:`collect` waits for them."""
        self.channel.deadline = time.monotonic() + timeout
        self.sources = dict(cells)
        self.channel.send(("run", list(cells)))

    def collect(self) -> dict[int, tuple[str, str]]:
        """Wait for the cells sent; return the errors of those that raised, by
        cell number (also kept in ``self.errors``, which survives a Timeout or
        PeerGone, with ``self.cell`` the cell it was running)."""
        while True:
            message = self.channel.receive()
            try:
                kind = message[0]
                if kind == "cell":
                    self.cell = (int(message[1]), self.sources[message[1]])
                elif kind == "done":
                    if message[2] is not None:
                        error = (_cut(message[2][0], 100), _cut(message[2][1], 500))
                        self.errors[int(message[1])] = error
                    self.cell = None
                elif kind == "ran":
                    self.channel.deadline = None
                    return dict(self.errors)
                else:
                    raise ValueError(kind)
            except (TypeError, IndexError, KeyError, ValueError):
                # the wire is the sandbox's to write to: anything can come
                raise PeerGone("a malformed message while running cells") from None

    def run(self, cells, timeout: float) -> dict[int, tuple[str, str]]:
        """Run ``cells`` and wait for them (:meth:`send_cells`, :meth:`collect`)."""
        self.send_cells(cells, timeout)
        return self.collect()

    def value(self, name: str):
        """The student's value of ``name`` (a Remote for a function)."""
        self.channel.send(("get", name))
        message = self.channel.receive()
        if not (isinstance(message, tuple) and len(message) in (1, 2)):
            raise PeerGone("a malformed answer")
        if message[0] == "missing":
            raise NameError(
                f"{name} is not defined in your notebook (or the cell that defines "
                "it did not run)"
            )
        if message[0] == "unreadable":
            raise TypeError(f"{name} cannot be read by the grader: {_cut(message[1])}")
        try:
            return self.channel.decode(message[1])
        except Refused as error:
            raise TypeError(f"{name} cannot be read by the grader: {error}") from None

    def kill(self) -> str:
        """End the process (and everything it started); return how it had ended."""
        code = self.process.poll()
        if code is None:
            _kill_tree(self.process.pid)
            self.process.wait()
        self.close()
        return _died(code)

    def close(self) -> None:
        """Ask the process to end, then make sure it has; free its files."""
        if self.alive:
            self.alive = False
            if self.process.poll() is None:
                try:
                    self.channel.send(("bye",))
                    self.process.wait(timeout=5)
                except (PeerGone, subprocess.TimeoutExpired):
                    pass
            _kill_tree(self.process.pid)  # and whatever it left behind
            self.process.wait()
            self._stop_checker()
            _LIVE.discard(self.process)
            for fd in (self.channel.read_fd, self.channel.write_fd, self.lifeline):
                os.close(fd)
            self.log.close()
            self.launch.close()
            shutil.rmtree(self.home, ignore_errors=True)
