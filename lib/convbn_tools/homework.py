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
``exercises-autograder_*.zip``). ``grade`` runs that autograder on one submitted
notebook, here, without Docker (``otter run``), and prints the score and each failing
check's message. Grading a whole class is ``otter grade`` with the same zip; the
grading environment must have ``convbn`` installed
(``pip install -r requirements.txt``).

``python -m convbn.homework``, ``python -m convbn_tools.homework`` and the
``convbn-homework`` script are the same command. otter runs in a process of its own
through ``python -m convbn_tools.otter``, which first applies the kernel-message
patch of ``convbn_tools.kernel_poll`` (otter executes notebooks with the same
nbclient as the book build).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

__all__ = ["find_exercises", "assign", "grade", "main"]


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
) -> dict[str, Path]:
    """Run ``otter assign`` for the given chapters (default: all); return output dirs.

    The output of each chapter goes to ``out / chapter`` (default
    ``root/_build/homework``), replacing what was there.
    """
    root = Path(root)
    out = root / "_build" / "homework" if out is None else Path(out)
    results = {}
    for name, notebook in _select(root, chapters).items():
        target = (out / name).resolve()
        if target.exists():
            shutil.rmtree(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        command = _otter("assign", "-v", str(notebook.resolve()), str(target))
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
        results[name] = target
    return results


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


def main(argv=None) -> int:
    """The command line (``argv``: its arguments, default ``sys.argv[1:]``)."""
    parser = argparse.ArgumentParser(
        prog="python -m convbn.homework",
        description="Make student versions and autograders of the exercises "
        "(otter assign), or grade one submission (otter run).",
    )
    parser.add_argument(
        "args",
        nargs="*",
        help="chapter folder names (default: all), or: grade CHAPTER SUBMISSION.ipynb",
    )
    parser.add_argument("--root", default=".", help="the course's top folder")
    parser.add_argument(
        "--out", default=None, help="output folder (default: ROOT/_build/homework)"
    )
    options = parser.parse_args(argv)
    if options.args[:1] == ["grade"]:
        if len(options.args) != 3:
            parser.error("usage: grade CHAPTER SUBMISSION.ipynb")
        results = grade(options.args[1], options.args[2], options.root, options.out)
        for test in results["tests"]:
            if "score" in test:
                print(f"{test['name']}: {test['score']:g} / {test['max_score']:g}")
                if test["score"] < test["max_score"]:
                    print("    " + test.get("output", "").replace("\n", "\n    "))
        return 0
    for name, target in assign(options.args, options.root, options.out).items():
        print(
            f"{name}: student -> {target / 'student'}, "
            f"autograder -> {target / 'autograder'}"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
