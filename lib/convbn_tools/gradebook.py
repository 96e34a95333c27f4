"""What grading a class reads and writes, none of which runs student code.

The questions of a chapter's master notebook (their points, and the test functions
of their otter test cells), the master's reference solutions as a submission, the
result of grading one submission (``Graded``), and what is made of the results: the
CSV gradebook, one feedback file per submission, and the report the command prints.
:mod:`convbn_tools.grading` runs the submissions in between.
"""

from __future__ import annotations

import ast
import csv
import json
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import Path

__all__ = [
    "Question",
    "Graded",
    "read_questions",
    "master_code",
    "write_notebook",
    "write_csv",
    "write_feedback",
    "report",
    "clean",
    "feedback_names",
]


# --------------------------------------------------------------------------
# The questions of a chapter, from its master notebook
# --------------------------------------------------------------------------
@dataclass
class Test:
    """One test function of a question: its name, parameters and code."""

    name: str
    params: list[str]
    code: str
    numpy_only: bool


@dataclass
class Question:
    """A question of the master notebook: name, points and its tests."""

    name: str
    points: float
    tests: list[Test] = field(default_factory=list)


def _source(cell) -> str:
    source = cell.get("source", "")
    return "".join(source) if isinstance(source, list) else str(source)


def _checkers_imported(tree: ast.AST) -> set[str]:
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith(
            "convbn.checks"
        ):
            names.update(alias.name for alias in node.names)
    return names


def read_questions(master: str | Path) -> list[Question]:
    """The questions of an otter master notebook, with their test functions.

    A question is a ``# BEGIN QUESTION`` raw cell (its ``name`` and ``points``);
    its tests are the ``test_*`` functions of the code cells between ``# BEGIN
    TESTS`` and ``# END TESTS``. A test is numpy-only when a checker it imports
    from ``convbn.checks`` is in :data:`convbn.checks.NUMPY_ONLY`.
    """
    import yaml

    from convbn.checks import NUMPY_ONLY

    cells = json.loads(Path(master).read_text())["cells"]
    questions: list[Question] = []
    in_tests = False
    for cell in cells:
        text = _source(cell)
        first = text.strip().splitlines()[0].strip() if text.strip() else ""
        if cell["cell_type"] == "raw":
            if first == "# BEGIN QUESTION":
                config = yaml.safe_load(text.split("\n", 1)[1]) or {}
                questions.append(
                    Question(str(config["name"]), float(config.get("points", 1)))
                )
            elif first == "# BEGIN TESTS":
                in_tests = True
            elif first == "# END TESTS":
                in_tests = False
            continue
        if not (in_tests and cell["cell_type"] == "code" and questions):
            continue
        tree = ast.parse(text)
        numpy_only = bool(_checkers_imported(tree) & NUMPY_ONLY)
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
                module = ast.Module(body=[node], type_ignores=[])
                questions[-1].tests.append(
                    Test(
                        node.name,
                        [a.arg for a in node.args.args],
                        ast.unparse(module),
                        numpy_only,
                    )
                )
    return [q for q in questions if q.tests]


def master_code(master: str | Path) -> list[str]:
    """The master notebook's code cells without its test cells.

    Run as a submission, they are the reference solutions: the honest work that
    gets full marks (the tests and the benchmark build submissions from them).
    """
    sources, in_tests = [], False
    for cell in json.loads(Path(master).read_text())["cells"]:
        text = _source(cell)
        if cell["cell_type"] == "raw":
            in_tests = {"# BEGIN TESTS": True, "# END TESTS": False}.get(
                text.strip(), in_tests
            )
        elif cell["cell_type"] == "code" and not in_tests:
            sources.append(text)
    return sources


def write_notebook(path: str | Path, cells: list[str]) -> Path:
    """Write a notebook (nbformat 4) of the code cells ``cells`` to ``path``."""
    notebook = {
        "cells": [
            {
                "cell_type": "code",
                "execution_count": None,
                "id": f"c{i}",
                "metadata": {},
                "outputs": [],
                "source": source,
            }
            for i, source in enumerate(cells)
        ],
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    path = Path(path)
    path.write_text(json.dumps(notebook))
    return path


# --------------------------------------------------------------------------
# The result of a submission, the gradebook and the feedback
# --------------------------------------------------------------------------
@dataclass
class Graded:
    """The result of one submission.

    ``scores`` and ``points`` map each question to its score and maximum;
    ``messages`` to the checkers' messages (None when it passed); ``errors`` are
    the reasons the notebook did not run to its end; ``cell_errors`` the errors
    its cells raised; ``seconds`` the wall-clock time it took.
    """

    label: str
    path: Path
    scores: dict[str, float] = field(default_factory=dict)
    points: dict[str, float] = field(default_factory=dict)
    messages: dict[str, str | None] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    cell_errors: list[str] = field(default_factory=list)
    seconds: float = 0.0
    isolation: str = ""

    @property
    def total(self) -> float:
        """The sum of the scores."""
        return sum(self.scores.values())

    @property
    def error(self) -> str:
        """The reasons, on one line (empty when the notebook ran to its end)."""
        return "; ".join(self.errors)


#: ANSI escape sequences (CSI and OSC), then the characters that are not text.
_ESCAPES = re.compile(
    r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b.?"
)
_BIDI = dict.fromkeys(
    map(ord, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
)


def clean(text, newlines: bool = False) -> str:
    """``text`` without terminal escapes, control characters (C0, C1, DEL) and
    bidirectional overrides; tabs become spaces; newlines are kept if
    ``newlines``, else they become spaces. Everything printed or written from a
    submission (its file name, its errors, the checkers' messages) goes through it.
    """
    text = str(text).encode("utf-8", "backslashreplace").decode("utf-8")  # surrogates
    text = _ESCAPES.sub("", text).translate(_BIDI).replace("\t", " ")
    if not newlines:
        text = text.replace("\r\n", " ").replace("\n", " ")
    keep = "\n" if newlines else ""
    return "".join(c for c in text if c in keep or unicodedata.category(c) != "Cc")


def _cell(text) -> str:
    """A CSV cell: clean, and defused as OWASP advises for a text that a
    spreadsheet would read as a formula (starting with = + - @, tab or CR)."""
    text = clean(text)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def write_csv(results: list[Graded], path: str | Path) -> None:
    """The gradebook: file, one column per question, ``total``, ``error``, and
    ``isolation`` (what isolated the submission, or UNSAFE)."""
    questions = list(results[0].points) if results else []
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["file", *map(_cell, questions), "total", "error", "isolation"])
        for graded in results:
            writer.writerow(
                [
                    _cell(graded.label),
                    *(f"{graded.scores[q]:g}" for q in questions),
                    f"{graded.total:g}",
                    _cell(graded.error),
                    _cell(graded.isolation),
                ]
            )


def report(graded: Graded) -> str:
    """One submission's scores and messages, as the command prints them."""
    lines = []
    for name, score in graded.scores.items():
        lines.append(f"{name}: {score:g} / {graded.points[name]:g}")
        message = graded.messages[name]
        if message:
            lines.append("    " + clean(message, True).replace("\n", "\n    "))
    lines.append(f"total: {graded.total:g} / {sum(graded.points.values()):g}")
    for error in graded.errors:
        lines.append(f"error: {clean(error)}")
    if graded.isolation.startswith("UNSAFE"):
        lines.append(f"warning: {graded.isolation}")
    return "\n".join(lines)


def feedback_names(results: list[Graded]) -> list[str]:
    """A file name per result, unique even where the file system folds case or
    Unicode forms: the label's letters and digits (any script) kept, every other
    run of characters one ``_``, a path's separators ``__``, then ``-2``, ``-3``
    ... for a name already taken."""
    names, taken = [], set()
    for graded in results:
        label = unicodedata.normalize("NFC", clean(graded.label))
        stem = label[:-6] if label.endswith(".ipynb") else label
        stem = "__".join(re.sub(r"[^\w.-]+", "_", part) for part in stem.split("/"))
        stem = stem.strip("._")[:120] or "submission"
        name, number = stem, 1
        while name.casefold() in taken:
            number += 1
            name = f"{stem}-{number}"
        taken.add(name.casefold())
        names.append(name + ".txt")
    return names


def write_feedback(results: list[Graded], folder: str | Path) -> list[Path]:
    """One text file per submission with each check's message (names from
    :func:`feedback_names`); returns the paths."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for graded, name in zip(results, feedback_names(results), strict=True):
        lines = [f"Feedback on {clean(graded.label)}", ""]
        for question, score in graded.scores.items():
            lines.append(f"{question}: {score:g} / {graded.points[question]:g}")
            message = clean(graded.messages[question] or "passed", True)
            lines.append("    " + message.replace("\n", "\n    "))
            lines.append("")
        lines.append(f"Total: {graded.total:g} / {sum(graded.points.values()):g}")
        if graded.errors:
            lines += ["", "The notebook did not run to its end:"]
            lines += [f"- {clean(e)}" for e in graded.errors]
        if graded.cell_errors:
            lines += ["", "Errors raised by your cells:"]
            lines += [f"- {clean(e)}" for e in graded.cell_errors]
        target = folder / name
        target.write_text("\n".join(lines) + "\n", encoding="utf-8")
        written.append(target)
    return written
