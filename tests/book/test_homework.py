"""The instructor's workflow: otter assign on every exercises notebook, then grading."""

import json
import re

import pytest

from conftest import ROOT
from convbn import homework

pytestmark = pytest.mark.slow


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


def test_every_chapter_gets_a_student_version_and_an_autograder(built):
    assert set(built) == set(homework.find_exercises(ROOT))
    for target in built.values():
        assert (target / "student" / "exercises.ipynb").exists()
        assert list((target / "autograder").glob("*-autograder_*.zip"))


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


def fill(student_path, answers, destination):
    notebook = json.loads(student_path.read_text())
    for cell in notebook["cells"]:
        text = "".join(cell["source"])
        for name, code in answers.items():
            if cell["cell_type"] == "code" and re.search(rf"def {name}\(", text):
                cell["source"] = code
    destination.write_text(json.dumps(notebook))
    return destination


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
            "gaussian_convolution": "def gaussian_convolution(m1, s1, m2, s2):\n"
            "    return m1 + m2, s1 + s2\n",
        },
        tmp_path / "submission.ipynb",
    )
    results = homework.grade("01_continuous_convolution", wrong, out=out)
    by_name = {t["name"]: t for t in results["tests"] if "score" in t}
    assert by_name["q1_kernel"]["score"] == 0
    assert "integrate to tau, not 1" in by_name["q1_kernel"]["output"]
    assert by_name["q3_gaussians"]["score"] == 0
    assert "added the standard deviations" in by_name["q3_gaussians"]["output"]


def test_bad_chapter_and_root_are_named():
    with pytest.raises(ValueError, match="chapter must be one of 01_continuous"):
        homework.assign(["99_nothing"], root=ROOT)
    with pytest.raises(FileNotFoundError, match="root must be the course's top folder"):
        homework.find_exercises(ROOT / "lib")
