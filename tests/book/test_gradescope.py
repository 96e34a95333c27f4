"""convbn_tools.gradescope: the autograder otter makes names Python 3.11, git and the
package, through otter's own assignment config.

The quick tests check the keys; the zips ``otter assign`` makes for every chapter are
checked in test_homework.py. The test marked ``gradescope`` (run by .ci/run) builds
the grading image as far as this machine allows: Gradescope's ``setup.sh`` makes a
conda environment (conda-forge is out of reach here), so it installs the pip part of
the zip's ``environment.yml`` into a fresh Python 3.11 environment, the package from
a git URL with git present, and there runs ``otter run`` on a right and a wrong
submission.
"""

import json
import re
import shutil
import sys
import time
import zipfile

import nbformat
import pytest
import yaml
from environments import FreshEnvironment, checkout_repository, require
from otter.assign import Assignment

from conftest import ROOT
from convbn_tools import colab, gradescope, homework

SOURCE = "convbn @ git+https://github.com/convbn-course/convbn@main"
GRADING = ["tensorflow<3,>=2.16", "keras<4,>=3.14", "ipykernel<7,>=6.29"]


def test_the_package_comes_from_the_configured_repository():
    assert gradescope.package_source(ROOT) == SOURCE
    assert gradescope.requirements(ROOT) == [SOURCE, *GRADING]
    assert gradescope.requirements(ROOT, "convbn==0.1.0")[0] == "convbn==0.1.0"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("numpy>=2", "a requirement for the package convbn, got 'numpy>=2'"),
        ("convbn from github", "source must be a pip requirement for convbn"),
    ],
)
def test_a_bad_source_is_named(source, message):
    with pytest.raises(ValueError, match=message):
        gradescope.requirements(ROOT, source)
    with pytest.raises(ValueError, match=message):
        gradescope.environment(source)


def test_a_missing_requirement_is_named(tmp_path):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    (tmp_path / "chapters").mkdir()
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    kept = [line for line in lines if not line.startswith("keras")]
    (tmp_path / "requirements.txt").write_text("\n".join(kept))
    with pytest.raises(ValueError, match="requirements.txt has no line for keras"):
        gradescope.requirements(tmp_path)


def test_git_comes_with_a_git_url_only():
    assert gradescope.environment(SOURCE) == {
        "channels": ["conda-forge"],
        "dependencies": ["git"],
    }
    assert gradescope.environment("convbn==0.1.0") is None
    wheel = "convbn @ https://example.org/convbn-0.1.0-py3-none-any.whl"
    assert gradescope.environment(wheel) is None


def test_the_python_is_the_one_ci_tests():
    run = (ROOT / ".ci" / "run").read_text()
    assert f"PYTHON=${{PYTHON:-python{gradescope.PYTHON}}}" in run


def test_otter_reads_the_written_config(tmp_path):
    """The file is an otter config file: otter's own loader gives each key its
    value, and the notebook's ASSIGNMENT CONFIG, applied after it, wins."""
    path = gradescope.write_config(tmp_path, ROOT)
    conda = tmp_path / "gradescope-environment.yml"
    assert yaml.safe_load(conda.read_text()) == gradescope.environment(SOURCE)
    assignment = Assignment(require_valid_keys=True)
    assignment.load_config_file(str(path))
    assert assignment.get_python_version() == "3.11"  # a string, not the float 3.11
    assert assignment.requirements == [SOURCE, *GRADING]
    assert assignment.overwrite_requirements is False
    assert assignment.environment == str(conda.resolve())
    assignment.update({"python_version": "3.12", "name": "ch01"})
    assert assignment.python_version == "3.12"
    assert assignment.requirements == [SOURCE, *GRADING]

    wheel = "convbn @ https://example.org/convbn-0.1.0-py3-none-any.whl"
    other = tmp_path / "wheel"
    other.mkdir()
    config = yaml.safe_load(gradescope.write_config(other, ROOT, wheel).read_text())
    assert "environment" not in config and config["requirements"][0] == wheel
    assert sorted(p.name for p in other.iterdir()) == ["gradescope-assignment.yml"]


def test_the_command_names_a_bad_source(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        homework.main(
            ["--convbn", "numpy", "--out", f"{tmp_path}", "--root", f"{ROOT}"]
        )
    assert done.value.code == 2
    assert "a requirement for the package convbn" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was made


#: The chapter graded in the built image: numpy only, the fastest to grade.
CHAPTER = "01_continuous_convolution"


def _scores(env, archive, submission, out) -> dict[str, float]:
    """``otter run`` in ``env`` (what Gradescope's ``run_autograder`` runs): each
    question's score."""
    out.mkdir()
    env.run(
        env.python,
        "-m",
        "convbn_tools.otter",
        "run",
        "--no-logo",
        "-a",
        archive,
        "-o",
        out,
        submission,
        cwd=out,
    )
    results = json.loads((out / "results.json").read_text())
    return {test["name"]: test["score"] for test in results["tests"] if "score" in test}


@pytest.mark.gradescope
def test_the_grading_image_installs_and_grades(tmp_path):
    """The pip part of the zip's environment installs in a fresh Python 3.11 with
    the package from a git URL (this checkout's files, standing for GitHub), and
    ``otter run`` there gives a right submission every point and a wrong one none
    for the question it gets wrong."""
    require(shutil.which("git"), "git (Debian: apt-get install git)")
    require(
        sys.version_info[:2] == (3, 11),
        f"Python {gradescope.PYTHON}, the grading image's (run the tests with it)",
    )
    start = time.monotonic()
    branch = colab.repository(ROOT)[1]
    origin = checkout_repository(tmp_path, branch)
    source = f"convbn @ git+file://{origin}@{branch}"
    made = homework.assign(
        [CHAPTER], root=ROOT, out=tmp_path / "hw", run_tests=False, convbn=source
    )
    autograder = made[CHAPTER] / "autograder"
    (archive,) = autograder.glob("*-autograder_*.zip")
    with zipfile.ZipFile(archive) as zipped:
        environment = yaml.safe_load(zipped.read("environment.yml"))
    dependencies = environment["dependencies"]
    conda = [item for item in dependencies if isinstance(item, str)]
    assert {"git", f"python={gradescope.PYTHON}"} <= set(conda)
    assert environment["channels"] == ["conda-forge"]
    (pip,) = [item["pip"] for item in dependencies if isinstance(item, dict)]
    assert pip[0].startswith("otter-grader[grading,plugins]==")
    assert pip[1:] == [source, *GRADING]

    env = FreshEnvironment(tmp_path / "image")
    env.pip_install("--upgrade", "pip")
    env.pip_install(*pip)
    installed = env.run(env.python, "-c", "import convbn; print(convbn.__file__)")
    assert installed.strip().startswith(str(env.where)), "from the URL, not editable"
    built = time.monotonic()

    right = autograder / "exercises.ipynb"
    solved = nbformat.read(right, as_version=4)
    student = nbformat.read(made[CHAPTER] / "student" / "exercises.ipynb", 4)
    # The debugging question left undone: the student's cell, not the fix.
    (fix,) = [
        i
        for i, cell in enumerate(solved.cells)
        if re.search(r"BEGIN SOLUTION NO PROMPT\s+def causal_convolution", cell.source)
    ]
    solved.cells[fix].source = student.cells[fix].source
    wrong = tmp_path / "wrong" / "exercises.ipynb"
    wrong.parent.mkdir()
    nbformat.write(solved, wrong)

    full = _scores(env, archive, right, tmp_path / "right-results")
    assert full == {"q1_kernel": 1.0, "q2_debug_causal": 1.0, "q3_predict_lags": 1.0}
    partial = _scores(env, archive, wrong, tmp_path / "wrong-results")
    assert partial == {**full, "q2_debug_causal": 0.0}
    print(
        f"\nGradescope image: built in {built - start:.0f} s, two submissions graded "
        f"in {time.monotonic() - built:.0f} s"
    )
