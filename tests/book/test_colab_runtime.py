"""Colab's runtime as data: the file the Colab test installs, and its refresh.

``tests/book/colab_runtime.txt`` is written by ``python -m convbn_tools.colab runtime
--from SNAPSHOT`` from googlecolab/backend-info. These tests read it (no network):
the parser and the refresh on small made-up snapshots, and what the file says of
the Colab cells: they upgrade only what the course needs newer, downgrade nothing,
and name the runtime to choose where the TPU runtime lacks what they keep.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.requirements import Requirement

from conftest import ROOT
from convbn_tools import colab, colab_runtime

FREEZE = """# Do not modify this file directly
absl-py==1.4.0
google-colab @ file:///colabtools/dist/google_colab-1.0.0.tar.gz
ipykernel==6.17.1
jupyter_client==7.4.9
keras==3.13.2
numpy==2.1.3
tensorflow==2.20.0
wrapt==2.3.0
"""
TPU = FREEZE.replace("tensorflow==2.20.0\n", "")
OS_INFO = "# generated\nUbuntu 22.04.5 LTS\nPython 3.13.15\nR version 4.6.1\n"
FILES = {"os-info.txt": OS_INFO, "pip-freeze.txt": FREEZE, "pip-freeze.tpu.txt": TPU}
COMMIT = "a72407924822ea377410b69f0a290150bcb5c9c2"


def test_parse_freeze_keeps_pins_by_canonical_name_and_skips_references():
    pins = colab_runtime.parse_freeze(FREEZE)
    assert pins["jupyter-client"] == "jupyter_client==7.4.9"
    assert "google-colab" not in pins and len(pins) == 7
    with pytest.raises(ValueError, match="line 2: 'numpy>=2' is not name==ver"):
        colab_runtime.parse_freeze("# c\nnumpy>=2\n")


def test_parse_python_reads_os_info():
    assert colab_runtime.parse_python(OS_INFO) == "3.13.15"
    with pytest.raises(ValueError, match="no 'Python X.Y.Z' line"):
        colab_runtime.parse_python("Ubuntu 22.04\n")


def _found(commit=COMMIT):
    return {
        "files": dict(FILES),
        "commit": commit,
        "date": "2026-08-19",
        "subject": "Upgrade to Python 3.13",
        "source": colab_runtime.SOURCE,
    }


def test_make_runtime_pins_the_seeds_at_colab_s_versions_and_what_pip_adds():
    asked = {}

    def resolver(seeds, constraints, python):
        asked.update(seeds=seeds, constraints=constraints, python=python)
        return ["absl-py", "keras", "numpy", "fica", "jupyter-client", "ipykernel"]

    wanted = ["numpy>=1.26", "keras>=3.14,<4", "fica>=0.4.1", "tensorflow"]
    runtime = colab_runtime.make_runtime(_found(), wanted, "python3.13", resolver)
    # wanted and KERNEL: Colab's line where it has one, the line itself otherwise
    assert asked["seeds"][:4] == ["numpy==2.1.3", "keras==3.13.2", "fica>=0.4.1"] + [
        "tensorflow==2.20.0"
    ]
    assert "ipykernel==6.17.1" in asked["seeds"] and asked["python"] == "python3.13"
    assert asked["constraints"] == ["absl-py==1.4.0", "wrapt==2.3.0"]
    assert list(runtime.pins) == [
        "absl-py",
        "ipykernel",
        "jupyter-client",
        "keras",
        "numpy",
    ]
    assert runtime.python == "3.13.15" and runtime.python_minor == "3.13"
    assert runtime.tpu_lacks == ("tensorflow",)
    assert runtime.version("Jupyter_Client") == "7.4.9"
    assert runtime.version("fica") is None
    assert runtime.requirements(exclude=["numpy"])[-1] == "keras==3.13.2"


def test_render_and_parse_are_inverse_and_parse_names_what_is_missing():
    runtime = colab_runtime.make_runtime(
        _found(), ["numpy"], "python", lambda *a: ["numpy", "keras"]
    )
    text = colab_runtime.render(runtime)
    assert f"# commit: {COMMIT}" in text and "# python: 3.13.15" in text
    assert colab_runtime.parse(text) == runtime
    for key in ("source", "commit", "date", "python"):
        lines = text.splitlines()
        broken = "\n".join(x for x in lines if not x.startswith(f"# {key}"))
        with pytest.raises(ValueError, match=f"no '# {key}:' line"):
            colab_runtime.parse(broken)
    with pytest.raises(ValueError, match="40 hex digits"):
        colab_runtime.parse(text.replace(COMMIT, "HEAD"))


def _git(where, *arguments, date="2026-08-19T12:00:00"):
    dates = {"GIT_AUTHOR_DATE": date, "GIT_COMMITTER_DATE": date}
    git = ["git", "-c", "user.name=t", "-c", "user.email=t@localhost"]
    done = subprocess.run(
        [*git, *arguments],
        cwd=where,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **dates},
    )
    return done.stdout.strip()


def _backend_info(where: Path) -> Path:
    """A small git repository shaped like googlecolab/backend-info: two snapshots."""
    where.mkdir()
    _git(where, "init", "--quiet", "--initial-branch", "main")
    (where / "os-info.txt").write_text(OS_INFO.replace("3.13.15", "3.12.11"))
    (where / "pip-freeze.txt").write_text(FREEZE.replace("2.1.3", "2.0.2"))
    _git(where, "add", "--all")
    _git(where, "commit", "--quiet", "-m", "Older", date="2026-07-01T12:00:00")
    for name, text in FILES.items():
        (where / name).write_text(text)
    _git(where, "add", "--all")
    _git(where, "commit", "--quiet", "-m", "Upgrade to Python 3.13")
    return where


def test_snapshot_of_a_git_directory_names_its_commit_date_and_subject(tmp_path):
    repository = _backend_info(tmp_path / "backend-info")
    newest = colab_runtime.snapshot(str(repository))
    assert newest["commit"] == _git(repository, "rev-parse", "HEAD")
    assert (newest["date"], newest["subject"]) == (
        "2026-08-19",
        "Upgrade to Python 3.13",
    )
    assert newest["files"] == FILES
    older = colab_runtime.snapshot(str(repository), commit="HEAD~1")
    assert older["date"] == "2026-07-01" and "pip-freeze.tpu.txt" not in older["files"]
    assert "numpy==2.0.2" in older["files"]["pip-freeze.txt"]


def test_snapshot_of_a_folder_needs_the_commit_and_date(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ValueError, match="--commit .* and --date"):
        colab_runtime.snapshot(str(tmp_path))
    with pytest.raises(ValueError, match="--commit"):
        colab_runtime.snapshot(str(tmp_path), commit="abc", date="2026-08-19")
    with pytest.raises(ValueError, match="date must be YYYY-MM-DD"):
        colab_runtime.snapshot(str(tmp_path), commit=COMMIT, date="19/08/2026")
    found = colab_runtime.snapshot(
        str(tmp_path / "pip-freeze.txt"), commit=COMMIT, date="2026-08-19"
    )
    assert found["files"] == FILES and found["commit"] == COMMIT
    (tmp_path / "os-info.txt").unlink()
    with pytest.raises(ValueError, match="no os-info.txt"):
        colab_runtime.snapshot(str(tmp_path), commit=COMMIT, date="2026-08-19")


def test_snapshot_of_the_url_downloads_the_commit_s_files():
    asked = []

    def fetch(url):
        asked.append(url)
        if url.startswith("https://api.github.com/"):
            return json.dumps(
                {
                    "sha": COMMIT,
                    "commit": {
                        "committer": {"date": "2026-08-19T19:32:30Z"},
                        "message": "Upgrade to Python 3.13\n\nmore",
                    },
                }
            )
        if url.endswith("pip-freeze.tpu.txt"):
            raise OSError("404")
        return FILES[url.rsplit("/", 1)[1]]

    found = colab_runtime.snapshot(colab_runtime.SOURCE, fetch=fetch)
    assert asked[0] == (
        "https://api.github.com/repos/googlecolab/backend-info/commits/HEAD"
    )
    assert f"/googlecolab/backend-info/{COMMIT}/pip-freeze.txt" in asked[2]
    assert (found["commit"], found["date"]) == (COMMIT, "2026-08-19")
    assert found["subject"] == "Upgrade to Python 3.13"
    assert set(found["files"]) == {"os-info.txt", "pip-freeze.txt"}
    with pytest.raises(ValueError, match="OWNER/NAME"):
        colab_runtime.snapshot("https://example.org/x", fetch=fetch)


def test_the_command_writes_the_runtime_file_of_a_snapshot(tmp_path, monkeypatch):
    repository = _backend_info(tmp_path / "backend-info")
    course = tmp_path / "course"
    (course / "chapters").mkdir(parents=True)
    (course / "tests" / "book").mkdir(parents=True)
    for name in ("_config.yml", "pyproject.toml", "requirements.txt"):
        (course / name).write_text((ROOT / name).read_text())
    monkeypatch.setattr(colab_runtime, "resolve", lambda *a: ["numpy", "keras"])
    arguments = ["--from", str(repository), "--root", str(course)]
    assert colab.main(["runtime", *arguments, "--python", sys.executable]) == 0
    runtime = colab_runtime.read(course)
    assert runtime.pins == {"keras": "keras==3.13.2", "numpy": "numpy==2.1.3"}
    assert runtime.commit == _git(repository, "rev-parse", "HEAD")


def test_changes_tells_upgrades_from_downgrades():
    runtime = colab_runtime.parse((ROOT / colab_runtime.RUNTIME_FILE).read_text())
    keras, wrapt = runtime.version("keras"), runtime.version("wrapt")
    assert colab_runtime.changes(
        [f"keras>{keras}", f"wrapt<{wrapt}", "numpy>=1", "not-in-colab>=1"], runtime
    ) == {"keras": "upgrade", "wrapt": "downgrade"}
    assert colab_runtime.changes([f"wrapt=={wrapt}.1"], runtime) == {"wrapt": "upgrade"}
    assert colab_runtime.changes(["keras~=1.0"], runtime) == {"keras": "downgrade"}


# The committed file, and what it says of the cells.

RUNTIME = colab_runtime.read(ROOT)


def test_the_runtime_file_names_its_snapshot_and_colab_s_python():
    assert RUNTIME.source == colab_runtime.SOURCE
    assert len(RUNTIME.commit) == 40 and RUNTIME.date[:2] == "20"
    assert RUNTIME.python_minor in {"3.11", "3.12", "3.13", "3.14"}
    for name in [*colab_runtime.KERNEL, "tensorflow", "keras", "ipywidgets", "numpy"]:
        assert RUNTIME.version(name), f"{name}: not in the runtime file"


def test_the_runtime_file_has_every_package_the_cells_start_from_that_colab_has():
    """Refresh with `python -m convbn_tools.colab runtime --from ...` if this fails:
    the course's requirements changed since the file was written."""
    for line in colab_runtime.course_packages(ROOT):
        name = Requirement(line).name
        assert RUNTIME.version(name) or name in {
            "fica",
            "ipylab",
            "python-frontmatter",
            "python-on-whales",
        }, f"{name}: Colab has it, the runtime file does not"


def _cell_requirements():
    otter_needs, _ = colab.otter_requirements()
    return [*colab.colab_requirements(ROOT), *otter_needs]


def test_the_cells_upgrade_only_keras_and_downgrade_nothing_of_colab_s():
    """Keras 3.14 divides activity regularizers by the batch size (chapter 10);
    Colab's 3.13 does not. Nothing else of Colab's changes, nor the numpy,
    TensorFlow and ipywidgets 7 the cells keep."""
    changes = colab_runtime.changes(_cell_requirements(), RUNTIME)
    assert changes == {"keras": "upgrade"}


def test_otter_s_own_wrapt_bound_would_downgrade_colab_s_wrapt():
    """Why colab.UNCAPPED lifts it: otter 7's wrapt<2 against Colab's 2.x."""
    from importlib import metadata

    written = [
        line.split(";")[0]
        for line in metadata.requires("otter-grader") or []
        if "extra" not in line
    ]
    assert colab_runtime.changes(written, RUNTIME).get("wrapt") == "downgrade"


def test_what_the_tpu_runtime_lacks_is_installed_or_guarded_by_the_cell():
    """Colab's TPU runtime has no TensorFlow (pip-freeze.tpu.txt): the cell, which
    keeps Colab's TensorFlow, must then name the runtime to choose; anything else
    the TPU runtime lacks, the cell installs."""
    installed = {Requirement(line).name for line in _cell_requirements()}
    for name in RUNTIME.tpu_lacks:
        assert name in installed or name in colab.NEEDED, name
    assert "tensorflow" in RUNTIME.tpu_lacks


#: What convbn imports that neither Colab has nor the cells install, and why it may:
#: the static widgets of the book build (convbn.widgets._no_comms) only.
BOOK_BUILD_ONLY = {"comm"}


def _imports(body_only: bool) -> dict[str, set[str]]:
    """``{top-level module: files}`` of the third-party imports in convbn, those at
    module level only with ``body_only``."""
    found = {}
    for path in sorted((ROOT / "lib" / "convbn").rglob("*.py")):
        tree = ast.parse(path.read_text())
        for node in tree.body if body_only else ast.walk(tree):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and not node.level and node.module:
                names = [node.module]
            else:
                continue
            for top in {name.split(".")[0] for name in names}:
                if top not in sys.stdlib_module_names and top not in {
                    "convbn",
                    "convbn_tools",  # the python -m convbn.homework shim
                }:
                    found.setdefault(top, set()).add(path.name)
    return found


def test_what_convbn_imports_colab_has_or_the_cells_install():
    """A module Colab lacks fails a chapter at import there: convbn.widgets
    imported comm (ipywidgets 8's, not 7's) at the top, and every chapter with a
    widget failed under Colab's runtime."""
    from importlib import metadata

    distributions = metadata.packages_distributions()
    installed = {Requirement(line).name for line in _cell_requirements()}
    for body_only, allowed in ((True, set()), (False, BOOK_BUILD_ONLY)):
        for module, files in _imports(body_only).items():
            names = distributions.get(module, [module])
            assert module in allowed or any(
                RUNTIME.version(n) or n in installed for n in names
            ), f"{sorted(files)} import {module}, which Colab lacks"
    assert set(_imports(False)) >= {"numpy", "tensorflow", "ipywidgets"}
