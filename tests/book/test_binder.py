"""binder/ follows repo2docker's rules and builds a working environment.

The quick checks always run; the full one (marked ``binder``, run by .ci/run) does
what repo2docker does -- a fresh Python 3.11 environment, ``pip install -r
binder/requirements.txt``, then ``binder/postBuild`` from the repository's root --
and executes a chapter notebook in it.
"""

from __future__ import annotations

import os
import re
import sys
from pathlib import Path

import pytest
from environments import FreshEnvironment
from packaging.requirements import Requirement

from conftest import ROOT

BINDER = ROOT / "binder"


def pins() -> dict[str, str]:
    found = {}
    for line in (BINDER / "requirements.txt").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            name, version = line.split("==")
            found[re.sub(r"[-_.]+", "-", name).lower()] = version
    return found


def test_runtime_is_python_311():
    assert (BINDER / "runtime.txt").read_text().strip() == "python-3.11"


def test_requirements_are_exact_pins_without_local_references():
    lines = [
        line.strip()
        for line in (BINDER / "requirements.txt").read_text().splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert len(lines) > 50
    for line in lines:
        assert re.fullmatch(r"[A-Za-z0-9_.\-\[\]]+==[A-Za-z0-9_.+!\-]+", line), line
        assert "convbn" not in line.lower()


def test_pins_satisfy_requirements_txt():
    """Every package requirements.txt asks for is pinned to a version it allows."""
    pinned = pins()
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-e"):
            continue
        requirement = Requirement(line)
        name = re.sub(r"[-_.]+", "-", requirement.name).lower()
        assert name in pinned, f"{name} is not pinned in binder/requirements.txt"
        assert requirement.specifier.contains(pinned[name], prereleases=True), (
            f"{name}=={pinned[name]} does not satisfy {requirement.specifier}"
        )


def test_postbuild_installs_only_the_course_packages():
    post_build = BINDER / "postBuild"
    assert os.access(post_build, os.X_OK)
    text = post_build.read_text()
    assert text.startswith("#!/bin/bash")
    assert "--no-deps" in text and "-e ." in text


@pytest.mark.binder
def test_binder_environment_builds_and_runs_a_chapter(tmp_path):
    """repo2docker's steps in a fresh virtual environment, then chapter 2 runs."""
    if sys.version_info[:2] != (3, 11):
        pytest.skip("repo2docker would use Python 3.11 (binder/runtime.txt)")
    env = FreshEnvironment(tmp_path / "env")
    env.pip_install("-r", "binder/requirements.txt")
    env.run("bash", "binder/postBuild")
    # Both packages of the distribution: convbn and the book tooling, convbn_tools.
    for package in ("convbn", "convbn_tools"):
        where = env.run(
            env.python, "-c", f"import {package}; print({package}.__file__)"
        )
        assert Path(where.strip()).is_relative_to(ROOT / "lib" / package)
    notebook = ROOT / "chapters" / "02_discrete_convolution" / "index.ipynb"
    env.execute(notebook, tmp_path / "index.ipynb", notebook.parent)
    assert (tmp_path / "index.ipynb").exists()
