"""The Colab cell: what it installs, keeps, writes, and what it says on a TPU runtime.

The Colab launch button opens one notebook from GitHub in Colab. The first cell of
every notebook (made by :mod:`convbn_tools.colab`) clones the repository, installs
the package and what Colab lacks or has too old, and changes into the notebook's
folder. These quick tests check the cell's text, and run it in this process with
Colab and its TPU runtime faked; ``test_colab_notebooks.py`` (marked ``colab`` and
``colab_full``) runs it in a fresh environment of Colab's published runtime
(``tests/book/colab_runtime.txt``, ``test_colab_runtime.py``).
"""

from __future__ import annotations

import json
import os
import shutil
import sys
import types
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml
from packaging.requirements import Requirement

from conftest import ROOT
from convbn_tools import colab


def test_cell_installs_from_the_config_url_and_keeps_colab_s_packages():
    url, branch = colab.repository(ROOT)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert (url, branch) == (
        config["repository"]["url"],
        config["repository"]["branch"],
    )
    needs = colab.colab_requirements(ROOT)
    names = [r.split("<")[0].split(">")[0].split("=")[0] for r in needs]
    assert "ipywidgets" not in names and "tensorflow" not in names
    assert {"numpy", "scipy", "matplotlib", "keras"} <= set(names)
    text = colab.cell_source(url, "chapters/03_cross_correlation", needs, branch)
    assert text.startswith(colab.MARKER)
    assert '"--no-deps", COURSE' in text and f'REPOSITORY = "{url}"' in text
    compile(text, "colab-cell", "exec")


@pytest.mark.parametrize(
    "arguments, message",
    [
        (("", "chapters/x", []), "url must be"),
        (('https://x.org/a"b', "chapters/x", []), "url must be"),
        (("https://x.org/a", "/abs", []), "folder must be relative"),
        (("https://x.org/a", "chapters/../..", []), "folder must be relative"),
        (("https://x.org/a", "chapters/x", [], "a b"), "branch must be"),
        (("https://x.org/a", "chapters/x", ["not a requirement!"]), "requirements"),
    ],
)
def test_cell_source_rejects_bad_arguments(arguments, message):
    with pytest.raises(Exception, match=message):
        colab.cell_source(*arguments)


TESTS = {"q1_kernel": "assert True\n", "q2_lags": 'name = "q2"\n'}


def test_student_cell_installs_otter_without_ipywidgets_8_and_writes_the_tests():
    url, branch = colab.repository(ROOT)
    needs = colab.colab_requirements(ROOT)
    folder = "chapters/03_cross_correlation"
    text = colab.student_cell_source(url, folder, needs, TESTS, branch)
    compile(text, "student-colab-cell", "exec")
    course = colab.cell_source(url, folder, needs, branch)
    otter_needs, otter = colab.otter_requirements()
    assert otter == [f"otter-grader=={metadata.version('otter-grader')}"]
    assert f'"--no-deps", COURSE, "{otter[0]}"' in text
    assert all(f'"{line}",' in text for line in needs + otter_needs)
    assert not any(line.startswith("ipywidgets") for line in otter_needs)
    assert not any("[" in line or ";" in line for line in otter_needs)
    # the course's part is the same as in the book's notebooks, but for otter
    head = text.split("    needs = [")[0].replace(f', "{otter[0]}"', "")
    assert head == course.split("    needs = [")[0]
    assert 'HOMEWORK = "/content/homework/03_cross_correlation"' in text


def test_tests_code_writes_the_tests_and_a_stand_in_notebook(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    where = tmp_path / "homework" / "03"
    exec(colab.tests_code(TESTS, str(where)), {"os": os})
    assert Path.cwd() == where
    assert {p.stem: p.read_text() for p in (where / "tests").iterdir()} == TESTS
    assert json.loads((where / "exercises.ipynb").read_text())["cells"] == []


@pytest.mark.parametrize(
    "arguments, message",
    [
        (({}, "/content/x"), "tests must be a non-empty dict"),
        (({"q 1": ""}, "/content/x"), "is not a question name"),
        (({"q1": 1}, "/content/x"), "must be text"),
        ((TESTS, "content/x"), "where must be an absolute folder"),
        ((TESTS, "/content/x", "../x.ipynb"), "notebook must be"),
    ],
)
def test_tests_code_rejects_bad_arguments(arguments, message):
    with pytest.raises(ValueError, match=message):
        colab.tests_code(*arguments)


def test_repository_rejects_a_url_the_launch_buttons_cannot_use(tmp_path):
    (tmp_path / "chapters").mkdir()
    for url in ("github.com/a/b", "https://x.org/a/b.git", "https://x.org/a/", ""):
        (tmp_path / "_config.yml").write_text(
            yaml.safe_dump({"repository": {"url": url}})
        )
        with pytest.raises(ValueError, match="repository: url"):
            colab.repository(tmp_path)
    with pytest.raises(FileNotFoundError, match="root must be"):
        colab.repository(tmp_path / "nowhere")


def test_write_cells_inserts_then_replaces_and_check_reports(tmp_path):
    for name in ("_config.yml", "pyproject.toml", "requirements.txt"):
        shutil.copy(ROOT / name, tmp_path / name)
    folder = tmp_path / "chapters" / "03_cross_correlation"
    folder.mkdir(parents=True)
    source = ROOT / "chapters" / "03_cross_correlation" / "index.ipynb"
    notebook = nbformat.read(source, as_version=4)
    first_page_cell = notebook.cells[1].source
    notebook.cells = notebook.cells[1:]  # without its Colab cell
    nbformat.write(notebook, folder / "index.ipynb")
    assert colab.write_cells(tmp_path, check=True) == [folder / "index.ipynb"]
    assert colab.write_cells(tmp_path) == [folder / "index.ipynb"]
    assert colab.write_cells(tmp_path, check=True) == []
    config = (tmp_path / "_config.yml").read_text()
    fork = "https://github.com/someone/convbn-fork"
    (tmp_path / "_config.yml").write_text(
        config.replace(colab.repository(ROOT)[0], fork)
    )
    assert colab.main(["--root", str(tmp_path), "--check"]) == 1
    assert colab.main(["--root", str(tmp_path)]) == 0
    cells = nbformat.read(folder / "index.ipynb", as_version=4).cells
    assert f'REPOSITORY = "{fork}"' in cells[0].source
    assert cells[1].source == first_page_cell
    assert sum(colab.is_colab_cell(c) for c in cells) == 1


def _run_in_fake_colab(source, monkeypatch, tmp_path, lacking=()):
    """Run a cell's ``source`` here as in Colab, with the modules ``lacking`` not
    importable; return what it asked subprocess to run."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    for name in lacking:
        monkeypatch.setitem(sys.modules, name, None)  # find_spec: None; import fails
    monkeypatch.chdir(tmp_path)
    ran = []
    monkeypatch.setattr("subprocess.run", lambda command, **kw: ran.append(command))
    exec(compile(source, "colab-cell", "exec"), {"__name__": "__main__"})
    return ran


def test_on_a_runtime_without_tensorflow_the_cell_says_which_runtime_to_choose(
    monkeypatch, tmp_path
):
    """Colab's TPU runtime has no TensorFlow: the cell installs nothing and stops
    with one line, which IPython (Colab's kernel) shows instead of a traceback."""
    source = colab.expected_cell(
        ROOT / "chapters" / "10_keras_models" / "index.ipynb", ROOT
    ).source
    with pytest.raises(Exception, match="choose a CPU or GPU runtime") as raised:
        _run_in_fake_colab(source, monkeypatch, tmp_path, lacking=["tensorflow"])
    assert type(raised.value).__name__ == "WrongRuntime"
    assert raised.value._render_traceback_() == [colab.WRONG_RUNTIME]
    assert "Runtime > Change runtime type" in colab.WRONG_RUNTIME
    assert "\n" not in colab.WRONG_RUNTIME
    assert Path.cwd() == tmp_path, "nothing cloned, no change of folder"


def test_with_tensorflow_the_cell_clones_and_installs(monkeypatch, tmp_path):
    folder = "chapters/03_cross_correlation"
    url, branch = colab.repository(ROOT)
    source = colab.cell_source(
        url, folder, ["numpy>=1.26"], branch, target=str(tmp_path / "convbn")
    )
    (tmp_path / "convbn" / folder).mkdir(parents=True)  # as if cloned before
    ran = _run_in_fake_colab(source, monkeypatch, tmp_path)
    assert [command[-2:] for command in ran] == [
        ["--no-deps", str(tmp_path / "convbn")],
        ["--quiet", "numpy>=1.26"],
    ]
    assert Path.cwd() == tmp_path / "convbn" / folder


def test_guard_source_checks_every_needed_module_and_rejects_bad_text():
    text = colab.guard_source(("tensorflow", "jax"), "Choose a GPU.")
    assert '("tensorflow", "jax")' in text and '"Choose a GPU."' in text
    compile(text, "guard", "exec")
    for needed, message in ((("tensorflow",), 'say "hi"'), (("a b",), "x"), ((), "x")):
        with pytest.raises(ValueError):
            colab.guard_source(needed, message)


def test_otter_s_wrapt_bound_is_lifted_and_nothing_else_changes():
    """otter 7 asks for wrapt<2 (Poetry's caret); Colab has wrapt 2.3.0. The student
    cell asks for otter's lower bound only, so pip keeps Colab's wrapt."""
    needs, _ = colab.otter_requirements()
    written = {
        Requirement(line).name: Requirement(line)
        for line in metadata.requires("otter-grader")
        if "extra" not in line
    }
    for line in needs:
        requirement = Requirement(line)
        if requirement.name in colab.UNCAPPED:
            assert all("<" not in s.operator for s in requirement.specifier)
            assert any("<" in s.operator for s in written[requirement.name].specifier)
        else:
            assert requirement.specifier == written[requirement.name].specifier
    assert "wrapt" in {Requirement(line).name for line in needs}


def test_the_runtime_command_is_reached_through_colab_s_command_line(capsys):
    with pytest.raises(SystemExit):
        colab.main(["runtime", "--help"])
    assert "--from" in capsys.readouterr().out
