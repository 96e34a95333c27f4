"""Grading a class: each submission in a sandbox, the checks in the grader.

    python -m convbn.homework grade CHAPTER PATH... [--csv FILE] [--feedback DIR]
        [--timeout S] [--memory MB] [-j N]

The design, in one paragraph: the student's code and the checkers never share a
process. A submission runs in a process of its own (:mod:`convbn_tools.sandbox`),
with a wall-clock limit, a memory limit (its resident memory, polled), a file-size
limit, no network and no other programs; where Linux allows unprivileged namespaces
(``unshare -rmnp``) it also gets no network interface at all, its own PID space and
a read-only view of every file system. The grader, which never runs student code,
reads the chapter's master notebook (:mod:`convbn_tools.gradebook`, which also
writes the gradebook and the feedback), runs each question's test function (the
otter test cell of the master) itself, and hands the checkers the student's
functions as :class:`convbn_tools.wire.Remote` black boxes: a call ships the
arguments to the sandbox and the result back, as plain data that cannot carry
code. Whatever the student's code patches (``convbn.checks``, ``sys.modules``,
numpy's comparisons, ``grader``, ``otter``), it patches the sandbox, whose opinion
nobody asks. A numpy-only question (:data:`convbn.checks.NUMPY_ONLY`) fails when
the student's function reaches code of ``convbn``.

When a cell hangs, crashes the process, runs out of memory or calls ``os._exit``,
the reason is kept ("timed out after 300 s in cell 7"), the cells before it are run
again in a fresh sandbox, and the questions are checked on what they defined; a
check that hangs or kills the sandbox fails that question and the next one gets a
fresh sandbox. One wall-clock limit bounds the notebook's cells and, separately,
each question's check.

What this does not cover: a sandbox is as strong as the operating system's limits
(without namespaces, a student's process can write files the user can write, and a
C extension or ``ctypes`` can reach the network past the audit hook); "numpy only"
is caught at run time, in the sandbox, so a solution *copied as text* from
``convbn`` passes (that is plagiarism, for a similarity check), and so does a
student who disables the sandbox's watch on purpose (patching
``convbn_tools.sandbox``); a student's function can still behave
differently when it detects the grader (it sees the arguments, not the checker);
values that are not data (a class instance, a generator) reach the checkers as
:class:`convbn_tools.wire.Opaque` stand-ins; a Keras loss traced by ``tf.function``
(chapter 11) is traced inside the sandbox.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

# Graded, the questions and the reports live in gradebook; they are re-exported here
# (they were defined here first, and grading.read_questions, ... still work).
from convbn_tools.gradebook import (
    Graded,
    Question,
    _source,
    master_code,
    read_questions,
    report,
    write_csv,
    write_feedback,
    write_notebook,
)
from convbn_tools.wire import Channel, NotNumpyOnly, PeerGone, Remote, Timeout

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_MEMORY",
    "Question",
    "Graded",
    "read_questions",
    "master_code",
    "write_notebook",
    "find_submissions",
    "grade_submission",
    "grade_batch",
    "write_csv",
    "write_feedback",
    "report",
]

#: Default wall-clock limit (seconds) of a notebook's cells, and of each check.
DEFAULT_TIMEOUT = 300.0
#: Default memory limit (MB) of a submission's process.
DEFAULT_MEMORY = 2048
#: The file-size limit (bytes) of a submission's process (its log, its files).
FILE_LIMIT = 64 * 2**20

_MOUNT_SCRIPT = r"""
mount --make-rprivate / 2>/dev/null
for m in $(awk '{print $2}' /proc/self/mounts | sort -u); do
    mount -o remount,bind,ro "$m" 2>/dev/null
done
mount -t tmpfs -o size=256m tmpfs "$SANDBOX_HOME" || exit 97
cd "$SANDBOX_HOME" || exit 97
exec "$@"
"""


# --------------------------------------------------------------------------
# Submissions
# --------------------------------------------------------------------------
def find_submissions(paths) -> list[tuple[str, Path]]:
    """``(label, path)`` of every notebook among ``paths`` (files or folders).

    A folder gives every ``.ipynb`` under it (checkpoints skipped), labelled by its
    path relative to the folder. A path that does not exist, a file that is not a
    notebook and a folder without notebooks are errors naming the path.
    """
    found: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given)
        if not path.exists():
            raise FileNotFoundError(f"PATH {given} does not exist")
        if path.is_dir():
            inside = sorted(
                p
                for p in path.rglob("*.ipynb")
                if ".ipynb_checkpoints" not in p.parts and p.is_file()
            )
            if not inside:
                raise ValueError(f"PATH {given} is a folder with no .ipynb notebooks")
            found += [(p.relative_to(path).as_posix(), p) for p in inside]
        elif path.suffix != ".ipynb":
            raise ValueError(
                f"PATH must be a notebook (.ipynb) or a folder of notebooks, "
                f"got {given}"
            )
        else:
            found.append((path.name, path))
    labels = [label for label, _ in found]
    if len(set(labels)) < len(labels):  # same file names in different places
        found = [(p.as_posix(), p) for _, p in found]
    return found


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """``(number, source)`` of each code cell, numbered from 1 as Jupyter does."""
    notebook = json.loads(path.read_text(encoding="utf-8"))
    cells = notebook["cells"] if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("it has no list of cells")
    code = [_source(c) for c in cells if isinstance(c, dict)]
    kinds = [c.get("cell_type") for c in cells if isinstance(c, dict)]
    sources = [s for s, k in zip(code, kinds, strict=True) if k == "code"]
    return list(enumerate(sources, start=1))


# --------------------------------------------------------------------------
# The sandbox process
# --------------------------------------------------------------------------
#: The sandboxes' processes alive now, and the flag that stops a batch (Ctrl-C).
_LIVE: set[subprocess.Popen] = set()
_STOP = threading.Event()


class _Stopped(BaseException):
    """The batch is being stopped: start no more sandboxes."""


_NAMESPACES: bool | None = None
_NAMESPACES_LOCK = threading.Lock()


_UNSHARE = ["unshare", "-rmnp", "--fork", "--kill-child", "sh", "-c", _MOUNT_SCRIPT]
# Run inside the namespaces by the probe: succeeds only if a file outside the
# sandbox's tmpfs cannot be written and the network has no way out.
_PROBE = 'touch "$0" 2>/dev/null && exit 1; [ -z "$(ip -o route 2>/dev/null)" ]'


def namespaces_available() -> bool:
    """Whether the namespace sandbox works here, for an unprivileged user.

    Runs the sandbox's own ``unshare -rmnp`` and mount script once and checks,
    inside, that a file outside its ``tmpfs`` cannot be written and that there is
    no network route. False (the sandbox then runs without namespaces) if any of
    it fails: no ``unshare``, user namespaces disabled, no ``mount``.
    """
    global _NAMESPACES
    with _NAMESPACES_LOCK:
        if _NAMESPACES is None:
            _NAMESPACES = False
            if shutil.which("unshare") and sys.platform.startswith("linux"):
                with tempfile.TemporaryDirectory() as folder:
                    home = Path(folder) / "home"
                    home.mkdir()
                    outside = Path(folder) / "written"
                    command = [*_UNSHARE, "probe", "sh", "-c", _PROBE, str(outside)]
                    try:
                        done = subprocess.run(
                            command,
                            capture_output=True,
                            timeout=60,
                            env={**os.environ, "SANDBOX_HOME": str(home)},
                        )
                        _NAMESPACES = done.returncode == 0 and not outside.exists()
                    except (OSError, subprocess.SubprocessError):
                        _NAMESPACES = False
        return _NAMESPACES


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


class Sandbox:
    """One submission's process and the grader's end of the wire to it.

    Its memory limit is on resident memory, polled every 0.1 s (the process group
    is killed past it): TensorFlow reserves several GB of address space that it
    never uses, so an address-space limit (``RLIMIT_AS``) as low as the budget
    breaks Keras; that limit is only a backstop, at 4 times the budget plus 4 GB.
    The sandbox sets its limits itself, before any student code runs (a process
    can lower its hard limits, not raise them).
    """

    def __init__(self, memory_mb: int, log_path: Path):
        self.memory_mb = memory_mb
        read_child, write_parent = os.pipe()
        read_parent, write_child = os.pipe()
        # The sandbox ends itself when this end closes, even if the grader is killed.
        lifeline, self.lifeline = os.pipe()
        command = [sys.executable, "-m", "convbn_tools.sandbox"]
        backstop = 4 * int(memory_mb) + 4096  # address space, MB: see the docstring
        command += [str(read_child), str(write_child), str(lifeline)]
        command += [str(backstop), str(FILE_LIMIT)]
        self.home = tempfile.mkdtemp(prefix="convbn-sandbox-")
        env = {
            k: v
            for k, v in os.environ.items()
            if k in ("PATH", "PYTHONPATH", "LANG", "LC_ALL", "VIRTUAL_ENV")
        }
        env.update(
            HOME=self.home,
            TMPDIR=self.home,
            MPLBACKEND="Agg",
            MPLCONFIGDIR=self.home,
            IPYTHONDIR=self.home,
            KERAS_HOME=self.home,
            TF_CPP_MIN_LOG_LEVEL="3",
            PYTHONDONTWRITEBYTECODE="1",
            SANDBOX_HOME=self.home,
            OMP_NUM_THREADS="1",
        )
        if namespaces_available():
            command = [*_UNSHARE, "sandbox", *command]
        self.log = open(log_path, "ab")  # closed in close()
        self.process = subprocess.Popen(
            command,
            pass_fds=(read_child, write_child, lifeline),
            stdin=subprocess.DEVNULL,
            stdout=self.log,
            stderr=self.log,
            cwd=self.home,
            env=env,
            start_new_session=True,
        )
        _LIVE.add(self.process)
        for fd in (read_child, write_child, lifeline):
            os.close(fd)
        self.channel = Channel(read_parent, write_parent)
        self.cell: tuple[int, str] | None = None
        self.alive = True
        self.started = False
        self.over_memory = False
        threading.Thread(target=self._watch_memory, daemon=True).start()

    def _watch_memory(self) -> None:
        while self.alive and self.process.poll() is None:
            if _memory_mb(self.process.pid) > self.memory_mb:
                self.over_memory = True
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                return
            time.sleep(0.1)

    def ended(self, error: PeerGone) -> str:
        """Why the wire broke (``error``): memory, a signal, an exit status, or a
        message that was not one (then the process is ended here)."""
        try:
            self.process.wait(timeout=5)
        except subprocess.TimeoutExpired:  # alive: it wrote nonsense on the wire
            self.kill()
            return f"it broke the wire to the grader ({error})"
        if self.over_memory:
            self.kill()
            return f"it exceeded the memory limit ({self.memory_mb} MB)"
        return self.kill()

    def start(self, timeout: float) -> None:
        """Wait until the sandbox is ready for cells (raises Timeout, PeerGone)."""
        self.channel.deadline = time.monotonic() + timeout
        message = self.channel.receive()
        self.channel.deadline = None
        if not (isinstance(message, tuple) and message[:1] == ("ready",)):
            raise PeerGone("the sandbox did not start")
        self.started = True

    def run(self, cells, timeout: float) -> dict[int, tuple[str, str]]:
        """Run ``cells`` (``(number, source)``); return the errors of those that
        raised, by cell number. Raises Timeout or PeerGone with ``self.cell``
        the cell it was running."""
        self.channel.deadline = time.monotonic() + timeout
        errors = {}
        sources = dict(cells)
        self.channel.send(("run", list(cells)))
        while True:
            message = self.channel.receive()
            try:
                kind = message[0]
                if kind == "cell":
                    self.cell = (int(message[1]), sources[message[1]])
                elif kind == "done":
                    if message[2] is not None:
                        error = (str(message[2][0]), str(message[2][1]))
                        errors[int(message[1])] = error
                    self.cell = None
                elif kind == "ran":
                    self.channel.deadline = None
                    return errors
                else:
                    raise ValueError(kind)
            except (TypeError, IndexError, KeyError, ValueError):
                # the wire is the sandbox's to write to: anything can come
                raise PeerGone("a malformed message while running cells") from None

    def value(self, name: str, numpy_only: bool):
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
            raise TypeError(f"{name} cannot be read by the grader: {message[1]}")
        value = self.channel.decode(message[1])
        if isinstance(value, Remote):
            value.options = {"numpy_only": numpy_only}
        return value

    def kill(self) -> str:
        """End the process (all of its group); return how it had ended."""
        code = self.process.poll()
        if code is None:
            try:
                os.killpg(self.process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
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
            if self.process.poll() is None:
                try:
                    os.killpg(self.process.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
                self.process.wait()
            _LIVE.discard(self.process)
            for fd in (self.channel.read_fd, self.channel.write_fd, self.lifeline):
                os.close(fd)
            self.log.close()
            shutil.rmtree(self.home, ignore_errors=True)


# --------------------------------------------------------------------------
# Grading one submission
# --------------------------------------------------------------------------
def _cell_label(cell) -> str:
    number, source = cell
    first = next((line.strip() for line in source.splitlines() if line.strip()), "")
    if len(first) > 50:
        first = first[:47] + "..."
    return f"cell {number}" + (f" ({first})" if first else "")


class _Session:
    """The sandbox of one submission, restarted when a check kills it."""

    def __init__(self, cells, timeout, memory_mb, log_path, graded: Graded):
        self.cells, self.timeout, self.memory_mb = cells, timeout, memory_mb
        self.log_path, self.graded = log_path, graded
        self.completed: list = list(cells)
        self.box: Sandbox | None = None
        self.broken: str | None = None

    def _launch(self, cells, first: bool) -> None:
        if _STOP.is_set():
            raise _Stopped()
        box = Sandbox(self.memory_mb, self.log_path)
        self.box = box
        try:
            box.start(120.0)
            errors = box.run(cells, self.timeout)
        except Timeout:
            box.kill()
            if box.cell is None and not box.started:
                reason = "the sandbox did not start within 120 s"
            else:
                where = _cell_label(box.cell) if box.cell else "its last cell"
                reason = f"timed out after {self.timeout:g} s in {where}"
            self._failed(reason, box, first)
            return
        except PeerGone as error:
            how = box.ended(error)
            where = _cell_label(box.cell) if box.cell else "starting up"
            self._failed(f"the notebook's process ended in {where}: {how}", box, first)
            return
        if first:
            for number, (kind, text) in sorted(errors.items()):
                line = f"cell {number} raised {kind}" + (f": {text}" if text else "")
                if kind == "MemoryError":
                    line += f" (out of memory: the limit is {self.memory_mb} MB)"
                    self.graded.errors.append(
                        f"{_cell_label((number, dict(cells)[number]))} ran out of "
                        f"memory (limit {self.memory_mb} MB)"
                    )
                self.graded.cell_errors.append(line)

    def _failed(self, reason: str, box: Sandbox, first: bool) -> None:
        if not first:
            self.broken = f"running the notebook again failed: {reason}"
            self.graded.errors.append(self.broken)
            self.box = None
            return
        self.graded.errors.append(reason)
        cell = box.cell
        self.completed = [c for c in self.cells if cell is None or c[0] < cell[0]]
        self._launch(self.completed, first=False)

    def begin(self) -> None:
        """Run the notebook's cells (and again without the one that failed)."""
        self._launch(self.cells, first=True)

    def sandbox(self) -> Sandbox | None:
        """A live sandbox with the completed cells run (None if that fails)."""
        if self.broken:
            return None
        box = self.box
        if box is None or not box.alive or box.process.poll() is not None:
            if box is not None:
                box.kill()
            self._launch(self.completed, first=False)
        return None if self.broken else self.box

    def close(self) -> None:
        """End the sandbox."""
        if self.box is not None:
            self.box.close()


def _run_test(test, box: Sandbox, timeout: float) -> str | None:
    """Run one test function here, on the student's values; None when it passes."""
    namespace: dict = {"__name__": "convbn_grader_test"}
    exec(compile(test.code, f"<test {test.name}>", "exec"), namespace)
    box.channel.deadline = time.monotonic() + timeout
    try:
        args = []
        for name in test.params:
            try:
                args.append(box.value(name, test.numpy_only))
            except (NameError, TypeError) as error:
                return str(error)
        try:
            namespace[test.name](*args)
        except AssertionError as error:
            return str(error) or "the check failed"
        except Exception as error:  # the checker could not read the answer
            return f"the check could not finish: {type(error).__name__}: {error}"
    finally:
        box.channel.deadline = None
    return None


def grade_submission(
    questions: list[Question],
    path: str | Path,
    *,
    label: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY,
) -> Graded:
    """Grade one notebook in a sandbox; never raises for what the notebook does.

    ``questions`` come from :func:`convbn_tools.gradebook.read_questions`. Each
    question's score is its points times the fraction of its tests that pass.
    """
    path = Path(path)
    start = time.monotonic()
    graded = Graded(label or path.name, path)
    for question in questions:
        graded.points[question.name] = question.points
        graded.scores[question.name] = 0.0
        graded.messages[question.name] = None
    try:
        cells = _code_cells(path)
    except (OSError, ValueError, KeyError, TypeError) as error:
        graded.errors.append(f"not a readable notebook ({error})")
        for question in questions:
            graded.messages[question.name] = "not graded: the notebook is unreadable"
        graded.seconds = time.monotonic() - start
        return graded
    with tempfile.TemporaryDirectory(prefix="convbn-grade-") as folder:
        session = _Session(
            cells, timeout, memory_mb, Path(folder) / "sandbox.log", graded
        )
        try:
            session.begin()
            for question in questions:
                _grade_question(question, session, graded, timeout)
        except Exception as error:  # a sandbox that answered nonsense: no points
            graded.errors.append(
                f"grading stopped: {type(error).__name__}: {str(error)[:200]}"
            )
        finally:
            session.close()
    graded.seconds = time.monotonic() - start
    return graded


def _grade_question(question, session, graded, timeout) -> None:
    passed, messages = 0, []
    for test in question.tests:
        box = session.sandbox()
        if box is None:
            messages.append(f"not checked: {session.broken}")
            continue
        try:
            message = _run_test(test, box, timeout)
        except NotNumpyOnly as error:
            names = ", ".join(test.params)
            message = (
                f"{names} {error.args[0]}: this exercise says numpy only, so the "
                "functions of convbn (the reference solutions) may not be used; "
                "write it yourself with numpy"
            )
        except Timeout:
            box.kill()
            message = f"timed out after {timeout:g} s while checking {question.name}"
            graded.errors.append(message)
        except PeerGone as error:
            how = box.ended(error)
            message = (
                f"the notebook's process ended while checking {question.name}: {how}"
            )
            graded.errors.append(message)
        if message is None:
            passed += 1
        else:
            messages.append(message)
    share = passed / len(question.tests)
    graded.scores[question.name] = question.points * share
    graded.messages[question.name] = "\n".join(messages) or None


# --------------------------------------------------------------------------
# A batch
# --------------------------------------------------------------------------
def grade_batch(
    questions: list[Question],
    submissions: list[tuple[str, Path]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY,
    jobs: int = 1,
    progress: bool = True,
) -> list[Graded]:
    """Grade ``submissions`` (from :func:`find_submissions`), ``jobs`` at a time.

    Returns the results in the order given. With ``progress`` a progress line is
    kept up to date on stderr.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    results: list[Graded | None] = [None] * len(submissions)
    done = 0
    lock = threading.Lock()
    started = time.monotonic()

    def one(index: int) -> None:
        nonlocal done
        label, path = submissions[index]
        results[index] = grade_submission(
            questions, path, label=label, timeout=timeout, memory_mb=memory_mb
        )
        with lock:
            done += 1
            if progress:
                _progress(done, len(submissions), started, label)

    if progress:
        _progress(0, len(submissions), started, "")
    pool = ThreadPoolExecutor(max_workers=jobs)
    try:
        list(pool.map(one, range(len(submissions))))
    except BaseException:  # Ctrl-C, or a bug: end every sandbox now, not later
        _STOP.set()
        for process in list(_LIVE):
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        _STOP.clear()
    if progress:
        sys.stderr.write("\n")
    return results  # type: ignore[return-value]


def _progress(done: int, total: int, started: float, label: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    elapsed = time.monotonic() - started
    sys.stderr.write(
        f"\rgrading [{bar}] {done}/{total} {elapsed:5.0f} s {label[-40:]:<40}"
    )
    sys.stderr.flush()
