"""The instructor's workflow: otter assign on every exercises notebook, then grading.

Also: the commands that run it (``python -m convbn.homework``, the console script,
``python -m convbn_tools.otter``) start.
"""

import json
import os
import re
import subprocess
import sys
import tomllib
import zipfile
from importlib import metadata
from pathlib import Path

import nbformat
import otter
import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT
from convbn.convolution import convolve2d, correlate2d
from convbn_tools import colab, homework


def run(*args):
    """``python <args>`` in a fresh process, from the course's top folder."""
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, capture_output=True, text=True, timeout=300
    )


def test_otter_runs_patched_as_a_module():
    done = run("-m", "convbn_tools.otter", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Usage: otter" in done.stdout and "assign" in done.stdout


def test_otter_module_applies_the_kernel_poll_patch_first(monkeypatch):
    from jupyter_client.channels import AsyncZMQSocketChannel
    from otter.cli import cli

    from convbn_tools import otter

    monkeypatch.setattr(AsyncZMQSocketChannel, "get_msg", AsyncZMQSocketChannel.get_msg)
    seen = {}

    def fake_main(args=None, prog_name=None):
        seen.update(args=args, prog_name=prog_name)
        seen["patched"] = getattr(AsyncZMQSocketChannel.get_msg, "_convbn_sliced", 0)

    monkeypatch.setattr(cli, "main", fake_main)
    otter.main(["assign", "master.ipynb", "out"])
    assert seen == {
        "args": ["assign", "master.ipynb", "out"],
        "prog_name": "otter",
        "patched": True,
    }


@pytest.mark.parametrize("module", ["convbn.homework", "convbn_tools.homework"])
def test_homework_command_keeps_its_documented_name(module):
    done = run("-m", module, "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: python -m convbn.homework")
    assert "grade CHAPTER" in done.stdout and "(otter assign)" in done.stdout


def test_the_shim_forwards_to_convbn_tools():
    from convbn import homework as shim

    assert shim.main is homework.main and shim.assign is homework.assign
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    assert scripts["scripts"]["convbn-homework"] == "convbn_tools.homework:main"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    out = tmp_path_factory.mktemp("homework")
    return homework.assign(root=ROOT, out=out)  # also runs the tests on the solutions


def solution_lines(master):
    """The code lines between # BEGIN / # END SOLUTION in the master's code cells."""
    lines, inside = [], False
    for cell in json.loads(master.read_text())["cells"]:
        if cell["cell_type"] != "code":
            continue
        for line in "".join(cell["source"]).splitlines():
            if line.strip() == "# BEGIN SOLUTION":
                inside = True
            elif line.strip() == "# END SOLUTION":
                inside = False
            elif inside and line.strip():
                lines.append(line.strip())
    return lines


@pytest.mark.slow
def test_every_chapter_gets_a_student_version_and_an_autograder(built):
    assert set(built) == set(homework.find_exercises(ROOT))
    for target in built.values():
        assert (target / "student" / "exercises.ipynb").exists()
        assert list((target / "autograder").glob("*-autograder_*.zip"))


@pytest.mark.slow
def test_every_autograder_zip_installs_python_3_11_and_the_course_package(built):
    expected = [
        f"otter-grader[grading,plugins]=={metadata.version('otter-grader')}",
        "convbn @ git+https://github.com/convbn-course/convbn@main",
        "tensorflow<3,>=2.16",
        "keras<4,>=3.14",
        "ipykernel<7,>=6.29",
    ]
    for target in built.values():
        (archive,) = (target / "autograder").glob("*-autograder_*.zip")
        with zipfile.ZipFile(archive) as zipped:
            names = set(zipped.namelist())
            environment = yaml.safe_load(zipped.read("environment.yml"))
        assert {"setup.sh", "run_autograder", "run_otter.py"} <= names
        assert any(name.startswith("tests/q1_") for name in names)
        dependencies = environment["dependencies"]
        assert "python=3.11" in dependencies
        (pip,) = [item["pip"] for item in dependencies if isinstance(item, dict)]
        assert [str(Requirement(line)) for line in pip] == [
            str(Requirement(line)) for line in expected
        ]
        # the grading image gets versions this environment (Python 3.11) runs with
        for line in pip[2:]:
            requirement = Requirement(line)
            assert requirement.specifier.contains(metadata.version(requirement.name))


@pytest.mark.slow
def test_student_versions_contain_no_solution_code(built):
    for name, target in built.items():
        master = ROOT / "chapters" / name / "exercises.ipynb"
        # Lines short enough to occur anywhere ("])", "return x") prove nothing.
        secret = [line for line in solution_lines(master) if len(line) >= 12]
        assert secret, f"{name}: no solution code found in the master notebook"
        student = (target / "student" / "exercises.ipynb").read_text()
        for line in secret:
            assert json.dumps(line)[1:-1] not in student, f"{name}: leaked {line!r}"
        assert "BEGIN SOLUTION" not in student and "BEGIN TESTS" not in student
        assert "grader.check(" in student  # students can check themselves


class _ColabShell:
    """What ``get_ipython()`` is in Colab, as far as otter can tell."""

    def __str__(self):
        return "<google.colab._shell.Shell object>"


@pytest.mark.slow
def test_student_versions_start_with_a_colab_cell_that_lets_otter_check(
    built, tmp_path, monkeypatch
):
    for target in built.values():
        student = nbformat.read(target / "student" / "exercises.ipynb", as_version=4)
        first, second = student.cells[:2]
        assert colab.is_colab_cell(first) and "import otter" in second.source
        assert sum(colab.is_colab_cell(cell) for cell in student.cells) == 1
        assert f"otter-grader=={metadata.version('otter-grader')}" in first.source
        assert '"ipywidgets' not in first.source  # Colab keeps its ipywidgets 7
        for name, text in student.metadata.otter.tests.items():
            assert repr(name) in first.source and repr(text) in first.source

    # What the cell does in Colab after installing: otter then checks from files.
    target = built["03_cross_correlation"]
    student = nbformat.read(target / "student" / "exercises.ipynb", as_version=4)
    tests = dict(student.metadata.otter.tests)
    where = tmp_path / "homework" / "03_cross_correlation"
    monkeypatch.chdir(tmp_path)
    exec(colab.tests_code(tests, str(where)), {"os": os})
    assert Path.cwd() == where
    assert {p.stem: p.read_text() for p in (where / "tests").glob("*.py")} == tests
    assert nbformat.reads((where / "exercises.ipynb").read_text(), 4).cells == []

    from otter.check import utils as otter_utils

    monkeypatch.setattr(otter_utils, "get_ipython", _ColabShell)
    grader = otter.Notebook("exercises.ipynb")
    assert grader.interpreter is otter_utils.IPythonInterpreter.COLAB
    right = grader.check("q1_debug_correlate2d", {"correlate2d": correlate2d})
    wrong = grader.check("q1_debug_correlate2d", {"correlate2d": convolve2d})
    assert right.grade == 1 and wrong.grade == 0
    assert "the kernel is flipped" in repr(wrong)  # the checker's diagnosis


def fill(student_path, answers, destination):
    notebook = json.loads(student_path.read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        for name, code in answers.items():
            if cell["cell_type"] == "code" and re.search(rf"def {name}\(", text):
                cell["source"] = code
    destination.write_text(json.dumps(notebook))
    return destination


@pytest.mark.slow
def test_solutions_score_full_marks_and_wrong_answers_get_the_checkers_message(
    built, tmp_path
):
    target = built["01_continuous_convolution"]
    out = target.parent
    solutions = homework.grade(
        "01_continuous_convolution", target / "autograder" / "exercises.ipynb", out=out
    )
    scores = {
        t["name"]: (t["score"], t["max_score"])
        for t in solutions["tests"]
        if "score" in t
    }
    assert len(scores) >= 3 and all(s == m for s, m in scores.values())

    wrong = fill(
        target / "student" / "exercises.ipynb",
        {
            "exponential_kernel": "def exponential_kernel(a, tau):\n"
            "    return np.where(a >= 0, np.exp(-a / tau), 0.0)\n",
        },  # the planted bug of q2 left in, the predictions of q3 left blank
        tmp_path / "submission.ipynb",
    )
    results = homework.grade("01_continuous_convolution", wrong, out=out)
    by_name = {t["name"]: t for t in results["tests"] if "score" in t}
    assert by_name["q1_kernel"]["score"] == 0
    assert "integrate to tau, not 1" in by_name["q1_kernel"]["output"]
    assert by_name["q2_debug_causal"]["score"] == 0
    assert "x[0] never enters the sum" in by_name["q2_debug_causal"]["output"]
    assert by_name["q3_predict_lags"]["score"] == 0
    assert (
        "replace the ... with your prediction" in by_name["q3_predict_lags"]["output"]
    )


def test_bad_chapter_and_root_are_named():
    with pytest.raises(ValueError, match="chapter must be one of 01_continuous"):
        homework.assign(["99_nothing"], root=ROOT)
    with pytest.raises(FileNotFoundError, match="root must be the course's top folder"):
        homework.find_exercises(ROOT / "lib")
