"""Grading a class: each submission in a sandbox, the checks in the grader.

    python -m convbn.homework grade CHAPTER PATH... [--csv FILE] [--feedback DIR]
        [--timeout S] [--memory MB] [-j N] [--similarity FILE] [--unsafe]

The design, in one paragraph: the student's code and the checkers never share a
process. A submission runs in a process of its own (:mod:`convbn_tools.sandbox`),
isolated by bubblewrap (:mod:`convbn_tools.isolation`: a read-only view that holds
Python and its packages and nothing of the course but its two packages, no network,
its own PID namespace, no capabilities, a seccomp filter where libseccomp loads,
cgroup memory and task limits where the machine allows them), with a wall-clock
limit. The grader, which never runs student code, reads
the chapter's master notebook (:mod:`convbn_tools.gradebook`, which also writes the
gradebook and the feedback), runs each question's test function (the otter test
cell of the master) itself, and hands the checkers the student's functions as
:class:`convbn_tools.wire.Remote` black boxes: a call ships the arguments to the
sandbox and the result back, as plain data that cannot carry code, decoded within a
budget. Whatever the student's code patches (``convbn.checks``, ``sys.modules``,
numpy's comparisons, ``grader``, ``otter``, files), it patches the sandbox, whose
opinion nobody asks. A numpy-only question (:data:`convbn.checks.NUMPY_ONLY`) is
checked in a second sandbox whose view holds numpy, IPython and matplotlib and no
other third-party package: there ``convbn`` and scipy cannot be imported at all.

The grader protects itself too: before any sandbox starts it imports Keras and
TensorFlow, and the command takes the course's folder, the working folder and the
submissions' folders off ``sys.path`` (``clean_path``); a Keras model is rebuilt
only after a sandbox of its own has reported the sizes of its variables; without
isolation it refuses to grade unless told ``--unsafe`` (the CSV and the report then
say so), and it becomes the "subreaper" of what its sandboxes start, so that
nothing they leave behind outlives the batch.

When a cell hangs, crashes the process, runs out of memory or calls ``os._exit``,
the reason is kept ("timed out after 300 s in cell 7"), with the errors of the
cells before it; the cells before it are run again in a fresh sandbox, and the
questions are checked on what they defined; a check that hangs or kills the sandbox
fails that question and the next one gets a fresh sandbox. One wall-clock limit
bounds the notebook's cells and, separately, each question's check.

What this does not cover: a solution *copied as text* (from ``convbn``'s source, the
published reference solutions, or another student) passes; ``--similarity`` reports
it for a person to judge (:mod:`convbn_tools.similarity`). A student's function can
behave differently when it detects the grader (it sees the arguments, not the
checker). Values that are not data (a class instance, a generator) reach the
checkers as :class:`convbn_tools.wire.Opaque` stand-ins, except the results of
:mod:`convbn.experiments`, which cross as records of data
(:mod:`convbn_tools.records`); a Keras model a checker hands the student's function
comes back as its weights, copied into the checker's model; a Keras loss traced by
``tf.function`` (chapter 11) is traced inside the sandbox.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from convbn_tools import isolation

# Graded, the questions and the reports live in gradebook; they are re-exported here
# (they were defined here first, and grading.read_questions, ... still work).
from convbn_tools.gradebook import (
    Graded,
    Question,
    _source,
    clean,
    master_code,
    read_questions,
    report,
    write_csv,
    write_feedback,
    write_notebook,
)
from convbn_tools.process import (
    _LIVE,
    _STOP,
    Sandbox,
    _descendants,
    _kill_tree,
    _Stopped,
)
from convbn_tools.wire import PeerGone, Timeout, _cut

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
    "stop_all",
    "clean_path",
    "NotIsolated",
    "write_csv",
    "write_feedback",
    "report",
]

#: Default wall-clock limit (seconds) of a notebook's cells, and of each check.
DEFAULT_TIMEOUT = 300.0
#: Default memory limit (MB) of a submission's process.
DEFAULT_MEMORY = 2048


# --------------------------------------------------------------------------
# Submissions
# --------------------------------------------------------------------------
#: The largest notebook file read (bytes); a larger one is graded zero, with why.
NOTEBOOK_LIMIT = 64 * 2**20


def _label(path: Path) -> str:
    """A file name as text, whatever bytes it holds (undecodable ones as ``\\xff``)."""
    return os.fsencode(path.as_posix()).decode("utf-8", "backslashreplace")


def _notebooks_in(folder: Path) -> list[Path]:
    """Every ``*.ipynb`` entry under ``folder``, symbolic links included (they are
    graded zero, not followed), checkpoints and linked folders skipped."""
    found = []
    for top, folders, files in os.walk(folder, followlinks=False):
        folders[:] = sorted(f for f in folders if f != ".ipynb_checkpoints")
        found += [Path(top) / f for f in files if f.endswith(".ipynb")]
    return sorted(found)


def find_submissions(paths) -> list[tuple[str, Path]]:
    """``(label, path)`` of every notebook among ``paths`` (files or folders).

    A folder gives every ``.ipynb`` under it (checkpoints skipped), labelled by its
    path relative to the folder. A path that does not exist, a file that is not a
    notebook and a folder without notebooks are errors naming the path. A symbolic
    link or a file that is not a regular one is listed, and graded zero with the
    reason (it could name the solutions, or another student's notebook).
    """
    found: list[tuple[str, Path]] = []
    for given in paths:
        path = Path(given)
        if not path.exists() and not path.is_symlink():
            raise FileNotFoundError(f"PATH {given} does not exist")
        if path.is_dir() and not path.is_symlink():
            inside = _notebooks_in(path)
            if not inside:
                raise ValueError(f"PATH {given} is a folder with no .ipynb notebooks")
            found += [(_label(p.relative_to(path)), p) for p in inside]
        elif path.suffix != ".ipynb":
            raise ValueError(
                f"PATH must be a notebook (.ipynb) or a folder of notebooks, "
                f"got {given}"
            )
        else:
            found.append((_label(Path(path.name)), path))
    labels = [label for label, _ in found]
    if len(set(labels)) < len(labels):  # same file names in different places
        found = [(_label(p), p) for _, p in found]
    return found


def _read_notebook(path: Path) -> str:
    """The text of ``path``: a regular file, not a symbolic link, of at most
    :data:`NOTEBOOK_LIMIT` bytes (ValueError otherwise)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
    try:
        fd = os.open(path, flags)
    except OSError as error:
        if path.is_symlink():
            raise ValueError("it is a symbolic link, not a notebook") from None
        raise ValueError(error.strerror or str(error)) from None
    with os.fdopen(fd, "rb") as file:
        status = os.fstat(file.fileno())
        if not stat.S_ISREG(status.st_mode):
            raise ValueError("it is not a regular file")
        if status.st_size > NOTEBOOK_LIMIT:
            raise ValueError(f"it is larger than {NOTEBOOK_LIMIT // 2**20} MB")
        return file.read(NOTEBOOK_LIMIT + 1).decode("utf-8")


def _code_cells(path: Path) -> list[tuple[int, str]]:
    """``(number, source)`` of each code cell, numbered from 1 as Jupyter does."""
    notebook = json.loads(_read_notebook(path))
    cells = notebook["cells"] if isinstance(notebook, dict) else None
    if not isinstance(cells, list):
        raise ValueError("it has no list of cells")
    code = [_source(c) for c in cells if isinstance(c, dict)]
    kinds = [c.get("cell_type") for c in cells if isinstance(c, dict)]
    sources = [s for s, k in zip(code, kinds, strict=True) if k == "code"]
    return list(enumerate(sources, start=1))


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
    """The sandbox of one submission in one view, restarted when a check kills it.

    ``errors`` are the reasons the notebook did not run to its end, ``cell_errors``
    the errors its cells raised (both kept when a later cell crashes).
    """

    def __init__(self, cells, timeout, memory_mb, log_path, box, numpy_only, models):
        self.models = models
        self.cells, self.timeout, self.memory_mb = cells, timeout, memory_mb
        self.log_path, self.isolation, self.numpy_only = log_path, box, numpy_only
        self.completed: list = list(cells)
        self.box: Sandbox | None = None
        self.broken: str | None = None
        self.errors: list[str] = []
        self.cell_errors: list[str] = []
        self.pending, self.pending_error = None, None

    def _launch(self, cells, first: bool) -> None:
        self.spawn(cells, first)
        self.finish()

    def spawn(self, cells, first: bool = True) -> None:
        """Start a sandbox and send it ``cells``; :meth:`finish` waits for them.
        (Both happen in the thread that grades: bubblewrap's ``--die-with-parent``
        ends the sandbox when the *thread* that started it ends.)"""
        if _STOP.is_set():
            raise _Stopped()
        box = Sandbox(
            self.memory_mb, self.log_path, self.isolation, self.numpy_only, self.models
        )
        self.box, self.pending, self.pending_error = box, (cells, first), None
        try:
            box.start(120.0)
            box.send_cells(cells, self.timeout)
        except (Timeout, PeerGone) as error:
            self.pending_error = error

    def finish(self) -> None:
        """Wait for the cells :meth:`spawn` sent; keep their errors and, when the
        notebook did not run to its end, why (and run it again without that)."""
        box, (cells, first) = self.box, self.pending
        failure = None
        try:
            if self.pending_error is not None:
                raise self.pending_error
            box.collect()
        except Timeout:
            box.kill()
            if box.cell is None and not box.started:
                failure = "the sandbox did not start within 120 s"
            else:
                where = _cell_label(box.cell) if box.cell else "its last cell"
                failure = f"timed out after {self.timeout:g} s in {where}"
        except PeerGone as error:
            how = box.ended(error)
            where = _cell_label(box.cell) if box.cell else "starting up"
            failure = f"the notebook's process ended in {where}: {how}"
        if first:  # the errors of the cells that ran, also before a crash
            for number, (kind, text) in sorted(box.errors.items()):
                line = f"cell {number} raised {kind}" + (f": {text}" if text else "")
                if kind == "MemoryError":
                    line += f" (out of memory: the limit is {self.memory_mb} MB)"
                    self.errors.append(
                        f"{_cell_label((number, dict(cells)[number]))} ran out of "
                        f"memory (limit {self.memory_mb} MB)"
                    )
                self.cell_errors.append(line)
        if failure is not None:
            self._failed(failure, box, first)

    def _failed(self, reason: str, box: Sandbox, first: bool) -> None:
        if not first:
            self.broken = f"running the notebook again failed: {reason}"
            self.errors.append(self.broken)
            self.box = None
            return
        self.errors.append(reason)
        cell = box.cell
        self.completed = [c for c in self.cells if cell is None or c[0] < cell[0]]
        self._launch(self.completed, first=False)

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


class _Watchdog:
    """Raises :class:`~convbn_tools.wire.Timeout` in the thread that entered it once
    ``seconds`` have passed, if it is still inside: the wire's deadline bounds the
    waits for the sandbox, this bounds what a checker computes here on the student's
    values (chapter 9 re-runs the experiment a submission's results name, with the
    settings they name: ``steps=10**9`` would hold the batch for days). The
    exception arrives between two bytecodes (after a numpy or TensorFlow call in
    progress returns); one that has not arrived when the block ends is withdrawn."""

    def __init__(self, seconds: float):
        self.thread = threading.get_ident()
        self.lock = threading.Lock()
        self.inside, self.fired = True, False
        self.timer = threading.Timer(seconds, self._fire)
        self.timer.daemon = True

    def _set(self, exception) -> None:
        import ctypes

        ctypes.pythonapi.PyThreadState_SetAsyncExc(
            ctypes.c_ulong(self.thread),
            None if exception is None else ctypes.py_object(exception),
        )

    def _fire(self) -> None:
        with self.lock:
            if self.inside:
                self.fired = True
                self._set(Timeout)

    def __enter__(self) -> _Watchdog:
        self.timer.start()
        return self

    def __exit__(self, *exc) -> None:
        self.timer.cancel()
        with self.lock:
            self.inside = False
            if self.fired:  # not delivered yet (else this block is ending with it)
                self._set(None)


#: Seconds past a check's deadline before its computation here is interrupted (the
#: wire's own Timeout, at the deadline, comes first when it is waiting).
WATCHDOG_GRACE = 1.0


def _run_test(test, session: _Session, box: Sandbox, timeout: float) -> str | None:
    """Run one test function here, on the student's values; None when it passes.
    Within ``timeout`` seconds: the waits for the sandbox end at the deadline, the
    checker's own computation here by :class:`_Watchdog` (Timeout, both)."""
    namespace: dict = {"__name__": "convbn_grader_test"}
    exec(compile(test.code, f"<test {test.name}>", "exec"), namespace)
    with _Watchdog(timeout + WATCHDOG_GRACE):
        return _checked(test, namespace, session, box, timeout)


def _checked(test, namespace, session, box, timeout: float) -> str | None:
    box.channel.deadline = time.monotonic() + timeout
    try:
        args = []
        for name in test.params:
            try:
                args.append(box.value(name))
            except (NameError, TypeError) as error:
                refused = [e for e in session.cell_errors if "numpy only" in e]
                if session.numpy_only and refused:
                    return f"{error}; in the numpy-only run, {refused[0]}"
                return str(error)
        try:
            namespace[test.name](*args)
        except AssertionError as error:
            return _cut(str(error)) or "the check failed"
        except Exception as error:  # the checker could not read the answer
            text = _cut(f"{type(error).__name__}: {error}")
            return f"the check could not finish: {text}"
    finally:
        box.channel.deadline = None
    return None


#: The checkers' modules that read Keras models (the grader refuses them elsewhere).
_MODEL_MODULES = ("convbn.checks.ch09_keras", "convbn.checks.ch10")


def _reads_models(questions) -> bool:
    """Whether a test of ``questions`` calls a checker of :data:`_MODEL_MODULES`."""
    import re

    import convbn.checks

    for question in questions:
        for test in question.tests:
            for name in re.findall(r"check_\w+", test.code):
                checker = getattr(convbn.checks, name, None)
                if getattr(checker, "__module__", "") in _MODEL_MODULES:
                    return True
    return False


def _merge(graded: Graded, sessions: dict[bool, _Session]) -> None:
    """The sessions' reasons and cell errors, into ``graded`` (the full view's
    first; of the numpy-only run's cell errors, those the rule caused)."""
    ordered = sorted(sessions.items())  # the full view (False) first
    for view, session in ordered:
        for error in session.errors:
            if error not in graded.errors:
                graded.errors.append(error)
        for line in session.cell_errors:
            if view and len(sessions) > 1:
                if "numpy only" not in line:
                    continue
                line = f"(numpy-only run) {line}"
            graded.cell_errors.append(line)


def _begin_all(sessions: dict[bool, _Session]) -> None:
    """Run the notebook in every view at the same time: start every sandbox,
    then wait for each."""
    for session in sessions.values():
        session.spawn(session.cells)
    for session in sessions.values():
        session.finish()


def grade_submission(
    questions: list[Question],
    path: str | Path,
    *,
    label: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY,
    box: isolation.Isolation | None = None,
) -> Graded:
    """Grade one notebook in a sandbox; never raises for what the notebook does.

    ``questions`` come from :func:`convbn_tools.gradebook.read_questions`. Each
    question's score is its points times the fraction of its tests that pass.
    ``box`` is the isolation (default: :func:`convbn_tools.isolation.detect`).
    """
    path = Path(path)
    box = isolation.detect() if box is None else box
    start = time.monotonic()
    graded = Graded(label or path.name, path)
    for question in questions:
        graded.points[question.name] = question.points
        graded.scores[question.name] = 0.0
        graded.messages[question.name] = None
    try:
        cells = _code_cells(path)
    except Exception as error:  # bad JSON, too deep (RecursionError), not text
        text = _cut(str(error), 300) or type(error).__name__
        graded.errors.append(f"not a readable notebook ({text})")
        for question in questions:
            graded.messages[question.name] = "not graded: the notebook is unreadable"
        graded.seconds = time.monotonic() - start
        return graded
    views = sorted({t.numpy_only for q in questions for t in q.tests})
    models = _reads_models(questions)
    with tempfile.TemporaryDirectory(prefix="convbn-grade-") as folder:
        sessions = {
            view: _Session(
                cells,
                timeout,
                memory_mb,
                Path(folder) / f"sandbox{int(view)}.log",
                box,
                view,
                models and not view,
            )
            for view in views
        }
        try:
            _begin_all(sessions)
            _merge(graded, sessions)
            for question in questions:
                _grade_question(question, sessions, graded, timeout)
        except Exception as error:  # a sandbox that answered nonsense: no points
            if not graded.errors and not graded.cell_errors:
                _merge(graded, sessions)
            graded.errors.append(
                f"grading stopped: {type(error).__name__}: {_cut(str(error), 200)}"
            )
        finally:
            for session in sessions.values():
                session.close()
    graded.seconds = time.monotonic() - start
    return graded


def _grade_question(question, sessions, graded, timeout) -> None:
    passed, messages = 0, []
    for test in question.tests:
        session = sessions[test.numpy_only]
        box = session.sandbox()
        if box is None:
            messages.append(f"not checked: {session.broken}")
            continue
        try:
            message = _run_test(test, session, box, timeout)
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
class NotIsolated(RuntimeError):
    """No isolation here, and the instructor did not say ``--unsafe``."""


def clean_path(paths) -> None:
    """Take the working folder, the course's folder and the folders of ``paths``
    (the submissions) off ``sys.path``, so that nothing a submission could leave
    there is ever imported here (the grading command does this first)."""
    import convbn_tools

    course = Path(convbn_tools.__file__).resolve().parents[2]
    unsafe = {Path.cwd().resolve(), course}
    for given in paths:
        path = Path(given).resolve()
        unsafe.add(path if path.is_dir() else path.parent)
    sys.path[:] = [p for p in sys.path if p and Path(p).resolve() not in unsafe]


def _guard_grader() -> None:
    """Before any sandbox starts: import Keras and TensorFlow (so that nothing is
    imported later, from wherever), and become the subreaper of this process's
    descendants (what a sandbox leaves behind comes back here)."""
    try:
        import keras  # noqa: F401  (with its backend, TensorFlow by default)
    except ImportError:  # a grader without Keras reads no tensors as such
        pass
    if sys.platform.startswith("linux"):
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(36, 1, 0, 0, 0)  # PR_SET_CHILD_SUBREAPER


def stop_all() -> None:
    """End every sandbox now and everything this process started (Ctrl-C,
    SIGTERM, the end of a batch)."""
    _STOP.set()
    for process in list(_LIVE):
        _kill_tree(process.pid)
    for child in (_descendants(os.getpid()) or [])[1:]:
        try:
            os.kill(child, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass


def _reap_orphans() -> None:
    """Kill and reap the processes that outlived their sandbox (they were
    re-parented to this process, the subreaper)."""
    live = {p.pid for p in _LIVE}
    for child in (_descendants(os.getpid()) or [])[1:]:
        if child not in live:
            try:
                os.kill(child, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


def grade_batch(
    questions: list[Question],
    submissions: list[tuple[str, Path]],
    *,
    timeout: float = DEFAULT_TIMEOUT,
    memory_mb: int = DEFAULT_MEMORY,
    jobs: int = 1,
    progress: bool = True,
    unsafe: bool = False,
    box: isolation.Isolation | None = None,
) -> list[Graded]:
    """Grade ``submissions`` (from :func:`find_submissions`), ``jobs`` at a time.

    Returns the results in the order given. With ``progress`` a progress line is
    kept up to date on stderr. ``box`` is the isolation (default: what
    :func:`convbn_tools.isolation.detect` finds); without isolation this raises
    :class:`NotIsolated` unless ``unsafe``, and every result then says so.
    """
    if jobs < 1:
        raise ValueError(f"jobs must be at least 1, got {jobs}")
    box = isolation.detect() if box is None else box
    if not box.isolated and not unsafe:
        raise NotIsolated(
            f"no isolation here ({box.why}): install bubblewrap (Debian and Ubuntu: "
            "apt install bubblewrap), or pass --unsafe to grade without it"
        )
    _guard_grader()
    results: list[Graded | None] = [None] * len(submissions)
    done = 0
    lock = threading.Lock()
    started = time.monotonic()

    def one(index: int) -> None:
        nonlocal done
        label, path = submissions[index]
        try:
            graded = grade_submission(
                questions,
                path,
                label=label,
                timeout=timeout,
                memory_mb=memory_mb,
                box=box,
            )
        except Exception as error:  # a bug, not the student's: one row, not all
            graded = Graded(label, path, points={q.name: q.points for q in questions})
            graded.scores = {q.name: 0.0 for q in questions}
            graded.messages = {q.name: "not graded" for q in questions}
            graded.errors.append(
                f"grading failed: {type(error).__name__}: {_cut(str(error), 300)}"
            )
        graded.isolation = box.summary()
        results[index] = graded
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
        stop_all()
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    finally:
        _STOP.clear()
    pool.shutdown(wait=True)
    _reap_orphans()
    if progress:
        sys.stderr.write("\n")
    return results  # type: ignore[return-value]


def _progress(done: int, total: int, started: float, label: str) -> None:
    width = 30
    filled = width * done // max(total, 1)
    bar = "#" * filled + "-" * (width - filled)
    elapsed = time.monotonic() - started
    label = clean(label)[-40:]
    sys.stderr.write(f"\rgrading [{bar}] {done}/{total} {elapsed:5.0f} s {label:<40}")
    sys.stderr.flush()
