"""binder/ follows repo2docker's rules and builds a working environment.

The quick checks always run; the full one (marked ``binder``, run by .ci/run) does
what repo2docker does -- a fresh Python 3.11 environment, ``pip install -r
binder/requirements.txt``, then ``binder/postBuild`` from the repository's root --
and executes a chapter notebook in it, and checks JupyterLab's settings against the
pinned JupyterLab's own schema.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from importlib.util import find_spec
from pathlib import Path

import lab_browser
import pytest
from environments import FreshEnvironment, require
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


#: The JupyterLab plugin whose settings binder/overrides.json sets.
NOTIFICATION = "@jupyterlab/apputils-extension:notification"
#: Run in the Binder environment: overrides.json against the schema of the
#: JupyterLab installed there (the pinned one); prints the schema's fetchNews default.
VALIDATE = f"""
import json, sys
from pathlib import Path
import jsonschema, jupyterlab
schemas = Path(jupyterlab.__file__).parent / "schemas"
schema = json.loads((schemas / "{NOTIFICATION.replace(":", "/")}.json").read_text())
jsonschema.validate(json.loads(sys.argv[1])["{NOTIFICATION}"], schema)
print(schema["properties"]["fetchNews"]["default"])
"""


def test_jupyterlab_settings_never_ask_about_news():
    """binder/overrides.json, which postBuild copies to the environment's
    share/jupyter/lab/settings/, turns the news and update checks off (no "official
    Jupyter news" prompt); the Binder test checks it against the pinned JupyterLab's
    schema."""
    overrides = json.loads((BINDER / "overrides.json").read_text())
    assert overrides == {NOTIFICATION: {"fetchNews": "false", "checkForUpdates": False}}
    post_build = (BINDER / "postBuild").read_text()
    assert "share/jupyter/lab/settings" in post_build
    assert "cp binder/overrides.json" in post_build


@pytest.fixture(scope="module")
def binder_env(tmp_path_factory):
    """repo2docker's steps in a fresh virtual environment (Python 3.11)."""
    require(
        sys.version_info[:2] == (3, 11),
        "Python 3.11, repo2docker's (binder/runtime.txt): run the tests with it",
    )
    env = FreshEnvironment(tmp_path_factory.mktemp("binder") / "env")
    env.pip_install("-r", "binder/requirements.txt")
    env.run("bash", "binder/postBuild")
    return env


@pytest.mark.binder
def test_binder_environment_builds_and_runs_a_chapter(binder_env, tmp_path):
    """The course's packages come from this checkout; chapter 2 runs."""
    env = binder_env
    # Both packages of the distribution: convbn and the book tooling, convbn_tools.
    for package in ("convbn", "convbn_tools"):
        where = env.run(
            env.python, "-c", f"import {package}; print({package}.__file__)"
        )
        assert Path(where.strip()).is_relative_to(ROOT / "lib" / package)
    settings = env.where / "share" / "jupyter" / "lab" / "settings" / "overrides.json"
    overrides = (BINDER / "overrides.json").read_text()
    assert json.loads(settings.read_text()) == json.loads(overrides)
    # valid for the pinned JupyterLab, whose default ("none") would ask
    assert env.run(env.python, "-c", VALIDATE, overrides).strip() == "none"
    notebook = ROOT / "chapters" / "02_discrete_convolution" / "index.ipynb"
    env.execute(notebook, tmp_path / "index.ipynb", notebook.parent)
    assert (tmp_path / "index.ipynb").exists()


#: The chapters whose widgets are tried in JupyterLab (parts I, II and III).
LAB_CHAPTERS = ("03_cross_correlation", "06_pooling", "08_batch_normalization")


@pytest.mark.binder
def test_jupyterlab_opens_without_news_and_widgets_fit_and_respond(
    binder_env, tmp_path
):
    """JupyterLab from the Binder environment in headless Chromium at 1,280 px:
    no news prompt; in chapters 3, 6 and 8 every cell runs, every widget figure
    lies inside its output area and the notebook column, and every slider moved
    changes the figure."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    require(chromium, "Chromium (Debian: apt-get install chromium)")
    require(find_spec("playwright"), "Playwright (pip install -r requirements.txt)")
    import playwright.sync_api as sync_api

    shots = ROOT / "_build" / "screenshots" / "jupyterlab"
    shots.mkdir(parents=True, exist_ok=True)
    with (
        lab_browser.serve(
            binder_env.bin, ROOT, LAB_CHAPTERS, tmp_path, binder_env.environ
        ) as (base, token),
        sync_api.sync_playwright() as playwright,
    ):
        assert lab_browser.notification_settings(base, token)["fetchNews"] == "false"
        browser = playwright.chromium.launch(
            executable_path=chromium, args=["--no-sandbox", "--disable-gpu"]
        )
        results = {
            chapter: lab_browser.open_and_run(
                browser, base, token, f"{chapter}/index.ipynb", shots
            )
            for chapter in LAB_CHAPTERS
        }
        browser.close()
    for chapter, found in results.items():
        assert not found["errors"], f"{chapter}: {found['errors'][:3]}"
        assert found["news"] == 0, f"{chapter}: JupyterLab asked about the news"
        assert found["widgets"], f"{chapter}: no widget in the page"
        for widget in found["widgets"]:
            figure, area, column = widget["figure"], widget["area"], widget["column"]
            assert figure is not None, f"{chapter}: a widget without a figure"
            assert area["left"] - 1 <= figure["left"], (chapter, widget)
            assert figure["right"] <= area["right"] + 1, (
                f"{chapter}: a figure {figure['width']:.0f} px wide overflows its "
                f"output area ({area['right'] - area['left']:.0f} px)"
            )
            assert figure["right"] <= column["right"] + 1 and not widget["scrolls"]
        sliders = sum(widget["sliders"] for widget in found["widgets"])
        assert sliders >= 1 and len(found["moved"]) == sliders, (chapter, found)
        still = [label for label, changed in found["moved"] if not changed]
        assert not still, f"{chapter}: moving {still} left the figure unchanged"
