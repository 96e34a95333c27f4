"""convbn_tools.gradescope: the autograder zip names Python 3.11 and the package.

The zips ``otter assign`` makes for every chapter are checked in test_homework.py;
here, the rules on a zip laid out as otter lays it out.
"""

import shutil
import zipfile

import pytest
import yaml

from conftest import ROOT
from convbn_tools import gradescope, homework

OTTER_ENVIRONMENT = """name: otter-env
channels:
  - conda-forge
dependencies:
  - python=3.13
  - pip
  - jupyter_server
  - pip:
      - otter-grader[grading,plugins]==7.0.0
"""
MEMBERS = {
    "setup.sh": b"#!/usr/bin/env bash\necho setup\n",
    "run_autograder": b"#!/bin/bash\npython run_otter.py\n",
    "tests/q1.py": b"from convbn.checks import check_correlate2d\n",
}


@pytest.fixture
def archive(tmp_path):
    path = tmp_path / "exercises-autograder_2026.zip"
    with zipfile.ZipFile(path, "w") as zipped:
        zipped.writestr("environment.yml", OTTER_ENVIRONMENT)
        for name, data in MEMBERS.items():
            zipped.writestr(name, data)
    return path


def test_the_package_comes_from_the_configured_repository():
    source = "convbn @ git+https://github.com/convbn-course/convbn@main"
    assert gradescope.package_source(ROOT) == source
    assert gradescope.requirements(ROOT) == [
        source,
        "tensorflow<3,>=2.16",
        "keras<4,>=3.14",
        "ipykernel<7,>=6.29",
    ]
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


def test_a_missing_requirement_is_named(tmp_path):
    shutil.copy(ROOT / "_config.yml", tmp_path)
    (tmp_path / "chapters").mkdir()
    lines = (ROOT / "requirements.txt").read_text().splitlines()
    kept = [line for line in lines if not line.startswith("keras")]
    (tmp_path / "requirements.txt").write_text("\n".join(kept))
    with pytest.raises(ValueError, match="requirements.txt has no line for keras"):
        gradescope.requirements(tmp_path)


def test_the_zip_gets_python_3_11_and_the_package_and_keeps_the_rest(archive):
    pip = gradescope.requirements(ROOT)
    written = gradescope.configure_zip(archive, pip)
    assert written == ["otter-grader[grading,plugins]==7.0.0", *pip]
    with zipfile.ZipFile(archive) as zipped:
        environment = yaml.safe_load(zipped.read("environment.yml"))
        assert {name: zipped.read(name) for name in MEMBERS} == MEMBERS
        assert sorted(zipped.namelist()) == sorted(["environment.yml", *MEMBERS])
    assert environment["name"] == "otter-env"
    assert environment["dependencies"][:3] == ["python=3.11", "pip", "jupyter_server"]
    # a second run replaces the course's lines instead of adding them again
    other = ["convbn==0.1.0", *pip[1:]]
    assert gradescope.configure_zip(archive, other)[1:] == other


def test_a_file_that_is_no_autograder_zip_is_named_and_left_alone(tmp_path, archive):
    text = tmp_path / "notes.txt"
    text.write_text("not a zip")
    with pytest.raises(ValueError, match="path must be an otter autograder zip"):
        gradescope.configure_zip(text, [])
    assert text.read_text() == "not a zip"

    bare = tmp_path / "bare.zip"
    with zipfile.ZipFile(bare, "w") as zipped:
        zipped.writestr("setup.sh", "echo")
    with pytest.raises(ValueError, match="has no environment.yml"):
        gradescope.configure_zip(bare, [])

    odd = tmp_path / "odd.zip"
    with zipfile.ZipFile(odd, "w") as zipped:
        zipped.writestr("environment.yml", "dependencies:\n  - python=3.13\n")
    before = odd.read_bytes()
    with pytest.raises(ValueError, match="one pip section"):
        gradescope.configure_zip(odd, ["convbn==0.1.0"])
    assert odd.read_bytes() == before
    assert not list(tmp_path.glob("*.partial"))


def test_the_command_names_a_bad_source(tmp_path, capsys):
    with pytest.raises(SystemExit) as done:
        homework.main(
            ["--convbn", "numpy", "--out", f"{tmp_path}", "--root", f"{ROOT}"]
        )
    assert done.value.code == 2
    assert "a requirement for the package convbn" in capsys.readouterr().err
    assert not any(tmp_path.iterdir())  # nothing was made
