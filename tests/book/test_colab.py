"""The Colab cell installs the course in a Colab-like Python 3.12 and chapters run.

The Colab launch button opens one notebook from GitHub in Colab, whose runtime is
Python 3.12 with numpy, TensorFlow, Keras, matplotlib and ipywidgets preinstalled
and nothing of the course. The first cell of every notebook (made by
:mod:`convbn_tools.colab`) clones the repository, installs the package and changes
into the notebook's folder. The test marked ``colab`` (run by .ci/run) does that in
a fresh Python 3.12 environment:

1. installs :data:`COLAB_PREINSTALLED`, the packages the course needs that Colab
   has, at the versions of Colab's runtime (late 2025: ``pip list`` there), and
   nbclient and ipykernel to run notebooks;
2. makes a git repository of this checkout's files as they are (GitHub is out of
   reach), to stand for the repository URL;
3. executes one chapter of each part, each with its Colab cell made for that
   repository and a clone folder of the test's own, after a cell that puts a
   ``google.colab`` module in ``sys.modules`` as Colab's kernel has it, and checks
   that no cell fails, that the package came from the clone, that the notebook
   ran in its chapter's folder and that Colab's ipywidgets 7 and TensorFlow
   stayed;
4. makes the student version of chapter 3's exercises (``python -m
   convbn.homework``), fills in the reference answers and runs it with otter in
   Colab mode: its first cell installs otter too and writes the tests to files, and
   every question earns its point.

The environment is made once for both tests.

The quick tests (not marked) check the cell's text without installing anything.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from importlib import metadata
from pathlib import Path

import nbformat
import pytest
import yaml
from environments import FreshEnvironment, python_312

from conftest import ROOT
from convbn_tools import colab

#: What Colab preinstalls that the course needs, at Colab's versions (late 2025).
#: Colab's front end renders ipywidgets 7 only (googlecolab/colabtools#4525), so the
#: cell must not upgrade it; Keras is upgraded by the cell (chapter 10 needs 3.14).
COLAB_PREINSTALLED = [
    "numpy==2.0.2",
    "scipy==1.16.3",
    "matplotlib==3.10.0",
    "ipywidgets==7.7.1",
    "tensorflow==2.19.0",
    "keras==3.10.0",
    "scikit-learn==1.6.1",
    "scikit-image==0.25.2",
    "mlxtend==0.23.4",
]
#: To run notebooks here (Colab's own kernel is not on PyPI); the course's bound.
HARNESS = ["ipykernel>=6.29,<7", "nbclient>=0.10"]
#: One chapter of each part (_toc.yml), the faster ones; chapter 10 needs Keras 3.14.
CHAPTERS = {
    "Part I": "03_cross_correlation",
    "Part II": "06_pooling",
    "Part III": "08_batch_normalization",
    "Part IV": "10_keras_models",
}
#: Run first in the kernel: Colab's kernel has imported google.colab.
FAKE_COLAB = (
    'import sys, types\nsys.modules["google.colab"] = types.ModuleType("google.colab")'
)
#: Run last: what the cell left behind (the folder, where convbn and widgets come from).
REPORT = (
    "import json, os, convbn, ipywidgets, keras, tensorflow\n"
    "print(json.dumps({'cwd': os.getcwd(), 'convbn': convbn.__file__,\n"
    "    'ipywidgets': ipywidgets.__version__, 'keras': keras.__version__,\n"
    "    'tensorflow': tensorflow.__version__}))"
)


def test_the_chapters_run_are_one_of_each_part_of_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    parts = {
        part["caption"].split(":")[0]: [c["file"] for c in part["chapters"]]
        for part in toc["parts"]
        if part["caption"].startswith("Part ")
    }
    assert set(parts) == set(CHAPTERS)
    for part, chapter in CHAPTERS.items():
        assert f"chapters/{chapter}/index" in parts[part], f"{chapter} not in {part}"


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


def _origin(tmp_path):
    """A git repository (branch of _config.yml) of this checkout's files as they are."""
    origin = tmp_path / "origin"
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\0")
    for name in filter(None, listed):
        if (ROOT / name).is_file() and not name.startswith("node_modules/"):
            (origin / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, origin / name)
    branch = colab.repository(ROOT)[1]
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    for command in (
        ["init", "--quiet", "--initial-branch", branch],
        ["add", "--all"],
        ["commit", "--quiet", "-m", "the checkout as it is"],
    ):
        subprocess.run([*git, *command], cwd=origin, check=True, capture_output=True)
    return origin


@pytest.fixture(scope="module")
def colab_like(tmp_path_factory):
    """One Colab-like environment for this module's tests, and the repository the
    cells clone: ``(env, url, branch)``. Installing it takes most of a test's time."""
    python = python_312()
    if python is None:
        pytest.skip("no Python 3.12 (Colab's version): install python3.12")
    if shutil.which("git") is None:
        pytest.skip("the Colab cell clones with git, which is not installed")
    where = tmp_path_factory.mktemp("colab")
    env = FreshEnvironment(where / "env", python)
    env.pip_install("--upgrade", "pip")
    env.pip_install(*COLAB_PREINSTALLED, *HARNESS)
    missing = subprocess.run(
        [env.python, "-c", "import convbn"], env=env.environ, capture_output=True
    )
    assert b"ModuleNotFoundError" in missing.stderr, "no convbn before a cell runs"
    origin = _origin(where)
    return env, f"file://{origin}", colab.repository(ROOT)[1]


@pytest.mark.colab
def test_colab_cell_installs_the_course_and_a_chapter_of_each_part_runs(
    colab_like, tmp_path
):
    env, url, branch = colab_like
    target = tmp_path / "content" / "convbn"
    target.parent.mkdir()
    needs = colab.colab_requirements(ROOT)
    for chapter in CHAPTERS.values():
        notebook = ROOT / "chapters" / chapter / "index.ipynb"
        stored = colab.expected_cell(notebook, ROOT).source
        cell = colab.cell_source(url, f"chapters/{chapter}", needs, branch, str(target))
        # The stored cell but for the URL and the clone folder.
        assert (
            cell.replace(url, colab.repository(ROOT)[0]).replace(
                str(target), colab.TARGET
            )
            == stored
        )
        runnable = nbformat.read(notebook, as_version=4)
        assert colab.is_colab_cell(runnable.cells[0])
        runnable.cells[0].source = cell
        runnable.cells.append(nbformat.v4.new_code_cell(REPORT))
        copy = tmp_path / f"{chapter}.ipynb"
        nbformat.write(runnable, copy)
        done = env.execute(
            copy, tmp_path / f"{chapter}-out.ipynb", tmp_path, [FAKE_COLAB]
        )
        report = _last_json(done)
        assert report["cwd"] == str(target / "chapters" / chapter)
        assert report["convbn"].startswith(str(env.where)), "installed, not editable"
        assert report["ipywidgets"] == "7.7.1" and report["tensorflow"] == "2.19.0"
        assert tuple(map(int, report["keras"].split(".")[:2])) >= (3, 14)


#: Run in the student notebook right after its Colab cell has installed otter: what
#: otter sees of Colab's kernel (``get_ipython()`` is Colab's shell there).
FAKE_COLAB_SHELL = (
    "import otter.check.utils\n"
    "class _ColabShell:\n"
    "    def __str__(self):\n"
    "        return '<google.colab._shell.Shell object>'\n"
    "otter.check.utils.get_ipython = _ColabShell"
)
#: Run last in the student notebook: otter's mode and each question's grade.
STUDENT_REPORT = (
    "import json, os\n"
    "print(json.dumps({'cwd': os.getcwd(), 'interpreter': str(grader.interpreter),\n"
    "    'grades': {q: grader.check(q).grade for q in sorted(TESTS)}}))"
)


@pytest.mark.colab
def test_a_student_notebook_checks_itself_in_colab(colab_like, tmp_path):
    """The student version (``python -m convbn.homework``) of chapter 3 in a Colab-like
    Python 3.12, with the reference solutions filled in: its first cell installs the
    course and otter and writes the tests, and otter, in Colab mode, grades every
    question from those files."""
    from convbn_tools import homework

    env, url, branch = colab_like

    chapter = "03_cross_correlation"
    made = homework.assign([chapter], root=ROOT, out=tmp_path / "hw", run_tests=False)
    student = nbformat.read(made[chapter] / "student" / "exercises.ipynb", 4)
    solved = nbformat.read(made[chapter] / "autograder" / "exercises.ipynb", 4)
    assert colab.is_colab_cell(student.cells[0])
    assert colab.is_colab_cell(solved.cells[1])
    tests = dict(student.metadata.otter.tests)

    target = tmp_path / "content" / "convbn"
    homework_folder = tmp_path / "content" / "hw"
    target.parent.mkdir()
    needs = colab.colab_requirements(ROOT)
    folder = f"chapters/{chapter}"
    cell = colab.student_cell_source(
        url, folder, needs, tests, branch, str(homework_folder), str(target)
    )
    stored = student.cells[0].source
    assert (
        cell.replace(url, colab.repository(ROOT)[0])
        .replace(str(target), colab.TARGET)
        .replace(str(homework_folder), colab.HOMEWORK)
        == stored
    )
    # the student's cells, with the reference solutions in place of the blanks
    runnable = nbformat.v4.new_notebook(metadata=student.metadata)
    runnable.cells = [
        nbformat.v4.new_code_cell(cell),
        nbformat.v4.new_code_cell(FAKE_COLAB_SHELL),
        student.cells[1],
        *solved.cells[2:],
        nbformat.v4.new_code_cell(STUDENT_REPORT),
    ]
    copy = tmp_path / "student.ipynb"
    nbformat.write(runnable, copy)
    done = env.execute(copy, tmp_path / "student-out.ipynb", tmp_path, [FAKE_COLAB])
    report = _last_json(done)
    assert report["cwd"] == str(homework_folder / chapter)
    assert report["interpreter"] == "IPythonInterpreter.COLAB"
    assert report["grades"] == {name: 1.0 for name in tests}
    versions = subprocess.run(
        [env.python, "-c", "import ipywidgets, otter; print(ipywidgets.__version__)"],
        env=env.environ,
        capture_output=True,
        text=True,
    )
    assert versions.stdout.strip() == "7.7.1", "Colab's ipywidgets 7 stayed"


def _last_json(notebook: dict) -> dict:
    outputs = notebook["cells"][-1]["outputs"]
    text = "".join(
        "".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream"
    )
    return json.loads(text.strip().splitlines()[-1])
