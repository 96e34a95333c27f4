"""Student versions and autograders for every chapter's exercises (for instructors).

Each ``chapters/NN_topic/exercises.ipynb`` is an otter-grader master notebook:
questions, reference solutions and tests in one file. This command runs
``otter assign`` on each of them; otter strips the solutions, writes the student
notebook, runs the tests against the reference solutions (a failing reference stops
the command) and builds the autograder zip::

    python -m convbn.homework                  # all chapters -> _build/homework/
    python -m convbn.homework 01_continuous_convolution
    python -m convbn.homework grade 01_continuous_convolution submission.ipynb

which writes, per chapter, ``_build/homework/NN_topic/student/exercises.ipynb`` (hand
this out) and ``_build/homework/NN_topic/autograder/`` (the solutions notebook and
``exercises-autograder_*.zip``, for Gradescope or ``otter run``).

``grade CHAPTER PATH... [--csv FILE] [--feedback DIR] [--timeout S] [--memory MB]
[-j N] [--similarity FILE] [--unsafe]`` grades notebooks, or folders of them, here,
without Docker: each submission in a sandbox of its own (bubblewrap,
:mod:`convbn_tools.isolation`), the checks in this process, calling the student's
functions as black boxes (:mod:`convbn_tools.grading` has the design and its
limits). One notebook prints its scores and each failing check's message; ``--csv``
writes the gradebook, ``--feedback`` one file per student, ``--similarity`` a
report of copied code (:mod:`convbn_tools.similarity`). Where no sandbox can be
made, it refuses to grade unless told ``--unsafe``. :func:`grade` runs otter's own
autograder zip on one notebook (``otter run``, what Gradescope runs).

``python -m convbn.homework``, ``python -m convbn_tools.homework`` and the
``convbn-homework`` script are the same command. otter runs in a process of its own
through ``python -m convbn_tools.otter``, which first applies the kernel-message
patch of ``convbn_tools.kernel_poll`` (otter executes notebooks with the same
nbclient as the book build).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat

from convbn_tools import colab, gradebook, gradescope, grading, isolation

__all__ = ["find_exercises", "assign", "grade", "grade_class", "main"]


def _otter(*args: str) -> list[str]:
    """The command line for ``otter <args>`` in this Python, patched."""
    return [sys.executable, "-m", "convbn_tools.otter", *args]


def find_exercises(root: str | Path = ".") -> dict[str, Path]:
    """Map each chapter folder name to its exercises notebook, in chapter order."""
    chapters = Path(root) / "chapters"
    if not chapters.is_dir():
        raise FileNotFoundError(
            f"root must be the course's top folder (with chapters/ in it); "
            f"{Path(root).resolve()} has no chapters/ folder"
        )
    return {p.parent.name: p for p in sorted(chapters.glob("*/exercises.ipynb"))}


def _select(root, names) -> dict[str, Path]:
    available = find_exercises(root)
    if not names:
        return available
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ValueError(
            f"chapter must be one of {', '.join(available)}; got {', '.join(unknown)}"
        )
    return {n: available[n] for n in names}


def assign(
    chapters=None,
    root: str | Path = ".",
    out: str | Path | None = None,
    run_tests: bool = True,
    convbn: str | None = None,
) -> dict[str, Path]:
    """Run ``otter assign`` for the given chapters (default: all); return output dirs.

    The output of each chapter goes to ``out / chapter`` (default
    ``root/_build/homework``), replacing what was there. Each autograder zip is made
    for Gradescope by otter itself, from the assignment config keys of
    :func:`convbn_tools.gradescope.assignment_config`: Python 3.11 and the course's
    package, from ``convbn`` (a pip requirement) or by default from the repository
    ``_config.yml`` names (with ``git`` for pip to fetch it).
    """
    root = Path(root)
    out = root / "_build" / "homework" if out is None else Path(out)
    selected = _select(root, chapters)
    results = {}
    with tempfile.TemporaryDirectory(prefix="convbn-gradescope-") as configs:
        config = gradescope.write_config(configs, root, convbn)
        for name, notebook in selected.items():
            target = (out / name).resolve()
            if target.exists():
                shutil.rmtree(target)
            target.parent.mkdir(parents=True, exist_ok=True)
            command = _otter("assign", "-v", "--config-file", str(config))
            command += [str(notebook.resolve()), str(target)]
            if not run_tests:
                command.append("--no-run-tests")
            done = subprocess.run(
                command, cwd=notebook.parent, capture_output=True, text=True
            )
            if done.returncode != 0:
                raise RuntimeError(
                    f"otter assign failed for {notebook} (exit {done.returncode}):\n"
                    f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
                )
            _colab_first(target / "student" / "exercises.ipynb", root, notebook)
            results[name] = target
    return results


def _colab_first(student: Path, root: Path, master: Path) -> None:
    """Put the student version's Colab cell first, able to check in Colab.

    otter puts its own cell (``import otter``) first, and Colab has no otter; and in
    Colab otter reads tests only from files. The student's cell therefore comes
    first and, in Colab only, also installs otter and writes the tests
    (:func:`convbn_tools.colab.student_cell_source`).
    """
    notebook = nbformat.read(student, as_version=4)
    tests = dict(notebook.metadata.get("otter", {}).get("tests") or {})
    if not tests:
        raise RuntimeError(f"{student}: otter wrote no tests into its metadata")
    url, branch = colab.repository(root)
    needs = colab.colab_requirements(root)
    folder = master.resolve().parent.relative_to(root.resolve()).as_posix()
    source = colab.student_cell_source(url, folder, needs, tests, branch)
    cells = [cell for cell in notebook.cells if not colab.is_colab_cell(cell)]
    notebook.cells = [colab.make_cell(source), *cells]
    nbformat.write(notebook, student)


def grade(
    chapter: str,
    submission: str | Path,
    root: str | Path = ".",
    out: str | Path | None = None,
) -> dict:
    """Grade one submitted notebook with a chapter's autograder (``otter run``).

    Builds the autograder first if ``_build/homework/<chapter>`` has none. Returns
    otter's results dictionary (``{"tests": [{"name", "score", "max_score",
    "output"}, ...]}``).
    """
    submission = Path(submission)
    if not submission.is_file():
        raise FileNotFoundError(
            f"submission must be a notebook file; {submission} does not exist"
        )
    root = Path(root)
    out = root / "_build" / "homework" if out is None else Path(out)
    zips = sorted((out / chapter / "autograder").glob("*-autograder_*.zip"))
    if not zips:
        assign([chapter], root=root, out=out)
        zips = sorted((out / chapter / "autograder").glob("*-autograder_*.zip"))
    with tempfile.TemporaryDirectory() as results_dir:
        done = subprocess.run(
            _otter(
                "run",
                "--no-logo",
                "-a",
                str(zips[-1]),
                "-o",
                results_dir,
                str(submission.resolve()),
            ),
            capture_output=True,
            text=True,
        )
        results_file = Path(results_dir) / "results.json"
        if not results_file.exists():
            raise RuntimeError(
                f"otter run failed for {submission}:\n"
                f"{done.stdout[-3000:]}\n{done.stderr[-3000:]}"
            )
        return json.loads(results_file.read_text())


def grade_class(
    chapter: str,
    paths,
    root: str | Path = ".",
    *,
    csv: str | Path | None = None,
    feedback: str | Path | None = None,
    timeout: float = grading.DEFAULT_TIMEOUT,
    memory_mb: int = grading.DEFAULT_MEMORY,
    jobs: int = 1,
    progress: bool = True,
    similarity: str | Path | None = None,
    unsafe: bool = False,
) -> list[gradebook.Graded]:
    """Grade every notebook of ``paths`` (notebooks or folders) for ``chapter``.

    Each submission runs in a sandbox of its own (:mod:`convbn_tools.grading`),
    ``jobs`` at a time, with ``timeout`` seconds for its cells and for each check
    and ``memory_mb`` of memory. Writes the CSV gradebook to ``csv``, one
    feedback file per submission into ``feedback`` and the report of similar code
    to ``similarity``, when given. Without isolation, raises
    :class:`convbn_tools.grading.NotIsolated` unless ``unsafe``.
    """
    master = _select(root, [chapter])[chapter]
    submissions = grading.find_submissions(paths)
    questions = gradebook.read_questions(master)
    results = grading.grade_batch(
        questions,
        submissions,
        timeout=timeout,
        memory_mb=memory_mb,
        jobs=jobs,
        progress=progress,
        unsafe=unsafe,
    )
    if csv is not None:
        gradebook.write_csv(results, csv)
    if feedback is not None:
        gradebook.write_feedback(results, feedback)
    if similarity is not None:
        from convbn_tools import similarity as similar

        similar.write_report(results, master, similarity)
    return results


def main(argv=None) -> int:
    """The command line (``argv``: its arguments, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog="python -m convbn.homework",
        description="Make student versions and autograders of the exercises "
        "(otter assign), or grade submissions, each in a sandbox of its own.",
    )
    parser.add_argument(
        "args",
        nargs="*",
        help="chapter folder names (default: all), or: grade CHAPTER PATH... "
        "(notebooks, or folders of notebooks)",
    )
    parser.add_argument("--root", default=".", help="the course's top folder")
    parser.add_argument(
        "--out", default=None, help="output folder (default: ROOT/_build/homework)"
    )
    parser.add_argument(
        "--convbn",
        default=None,
        metavar="SPEC",
        help="where Gradescope installs the course's package from, as a pip "
        "requirement (default: 'convbn @ git+URL@BRANCH' from _config.yml)",
    )
    grade_options = parser.add_argument_group("grade")
    grade_options.add_argument("--csv", help="write the gradebook to this CSV file")
    grade_options.add_argument(
        "--feedback", help="write one feedback file per submission into this folder"
    )
    grade_options.add_argument(
        "--timeout",
        type=float,
        default=grading.DEFAULT_TIMEOUT,
        help="seconds for a notebook's cells, and for each test (default 300)",
    )
    grade_options.add_argument(
        "--memory",
        type=int,
        default=grading.DEFAULT_MEMORY,
        help="memory limit in MB of each of a submission's processes (default 2048)",
    )
    grade_options.add_argument(
        "-j", "--jobs", type=int, default=1, help="submissions graded at a time"
    )
    grade_options.add_argument(
        "--similarity",
        metavar="FILE",
        help="write a report of code similar between submissions, or to the "
        "reference solutions (.html or .csv)",
    )
    grade_options.add_argument(
        "--unsafe",
        action="store_true",
        help="grade even where no sandbox can be made (bubblewrap missing or "
        "unable to start): the submissions can then read and write what you can; "
        "the CSV says so",
    )
    options = parser.parse_args(argv)
    if options.args[:1] == ["grade"]:
        return _grade_command(parser, options)
    try:
        made = assign(options.args, options.root, options.out, convbn=options.convbn)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    for name, target in made.items():
        print(
            f"{name}: student -> {target / 'student'}, "
            f"autograder -> {target / 'autograder'}"
        )
    return 0


def _peak_mb() -> float:
    """This process's peak resident memory (MB): Linux's ``VmHWM``, which belongs
    to this program (``ru_maxrss`` keeps the size of whatever process forked it
    before ``exec``, a test runner's say)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _stop(number, frame) -> None:
    """SIGTERM: end every sandbox and exit at once (a grading thread may be deep in
    a checker; nothing is left running, no partial gradebook is written)."""
    grading.stop_all()
    os._exit(128 + number)


def _grade_command(parser, options) -> int:
    if len(options.args) < 3:
        parser.error("usage: grade CHAPTER PATH... (notebooks or folders)")
    if not options.timeout > 0:
        parser.error(f"--timeout must be positive, got {options.timeout:g}")
    if options.memory < 256:
        parser.error(f"--memory must be at least 256 (MB), got {options.memory}")
    if options.jobs < 1:
        parser.error(f"-j must be at least 1, got {options.jobs}")
    if options.similarity and Path(options.similarity).suffix.lower() not in (
        ".html",
        ".csv",
    ):
        parser.error(
            f"--similarity must name an .html or .csv file, got {options.similarity}"
        )
    chapter, paths = options.args[1], options.args[2:]
    signal.signal(signal.SIGTERM, _stop)
    try:
        _select(options.root, [chapter])
        found = grading.find_submissions(paths)
    except (ValueError, FileNotFoundError) as error:
        parser.error(str(error))
    grading.clean_path(paths)
    box = isolation.detect(options.memory)
    seen = [p for _, p in found if box.isolated and box.visible(p)]
    outputs = [options.csv, options.feedback, options.similarity]
    seen += [p for p in outputs if p and box.isolated and box.visible(p)]
    if seen:
        parser.error(
            f"PATH {seen[0]} is inside a folder the sandboxes can read (Python's "
            "installation or its packages): keep submissions and results elsewhere"
        )
    for given in (options.csv, options.similarity):  # fail now, not after grading
        if given:
            try:
                Path(given).parent.mkdir(parents=True, exist_ok=True)
                Path(given).touch()
            except OSError as error:
                parser.error(f"cannot write {given}: {error.strerror or error}")
    if not box.isolated and not options.unsafe:
        parser.error(
            f"no sandbox can be made here ({box.why}): install bubblewrap (Debian, "
            "Ubuntu: apt install bubblewrap; Fedora: dnf install bubblewrap), or "
            "pass --unsafe to grade without isolation"
        )
    for line in box.describe():
        print(f"isolation: {gradebook.clean(line)}", file=sys.stderr)
    results = grade_class(
        chapter,
        paths,
        options.root,
        csv=options.csv,
        feedback=options.feedback,
        timeout=options.timeout,
        memory_mb=options.memory,
        jobs=options.jobs,
        progress=len(paths) > 1 or Path(paths[0]).is_dir(),
        similarity=options.similarity,
        unsafe=options.unsafe,
    )
    if len(results) == 1:
        print(gradebook.report(results[0]))
    else:
        for graded in results:
            line = f"{gradebook.clean(graded.label)}: {graded.total:g} / "
            line += f"{sum(graded.points.values()):g}"
            print(
                line + (f"  ({gradebook.clean(graded.error)})" if graded.error else "")
            )
    if not box.isolated:
        print(f"warning: {box.summary()}", file=sys.stderr)
    print(f"grader: peak memory {_peak_mb():.0f} MB", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
