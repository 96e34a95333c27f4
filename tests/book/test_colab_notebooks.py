"""Every chapter under Colab's runtime, and student notebooks graded in Colab mode.

The Colab launch button opens one notebook from GitHub in Colab, whose runtime
Google publishes (googlecolab/backend-info); ``tests/book/colab_runtime.txt`` holds
the part of it the course touches (``test_colab_runtime.py``). These tests:

1. make a fresh environment of that runtime: Colab's Python (3.13), and Colab's
   versions of everything in the file installed as they are, without dependencies
   of their own (Colab's numpy, TensorFlow, Keras, ipywidgets 7, and the kernel
   students' cells run in: ipykernel 6.17, IPython 7.34, jupyter_client 7.4);
2. make a git repository of this checkout's files as they are, to stand for the
   repository URL (GitHub is out of reach);
3. execute each chapter's lesson there, with its Colab cell made for that
   repository and a clone folder of the test's own, after a cell that puts a
   ``google.colab`` module in ``sys.modules`` as Colab's kernel has it, and check
   that no cell fails, that the package came from the clone, that the notebook ran
   in its chapter's folder, and that nothing of Colab's changed but the Keras the
   course needs newer; the cell on a TPU runtime (no TensorFlow) says in one line
   which runtime to choose;
4. make the student version of two chapters' exercises (``python -m
   convbn.homework``), fill in the reference answers and run each with otter in
   Colab mode: its first cell installs otter too (Colab's wrapt 2 kept) and writes
   the tests to files, and every question earns its point.

``python -m pytest -m colab`` runs them (.ci/run does), the environment made once
for all: about five minutes on two cores, most of it the twelve lessons (10 to 30 s
each) and the environment (about a minute with pip's cache).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import nbformat
import pytest
import yaml
from environments import (
    FreshEnvironment,
    checkout_repository,
    python_version,
    require,
)
from packaging.utils import canonicalize_name
from packaging.version import Version

from conftest import ROOT
from convbn_tools import colab, colab_runtime

RUNTIME = colab_runtime.read(ROOT)
#: Every chapter's lesson (chapter 10 needs Keras 3.14, chapter 11 JAX too).
LESSONS = sorted(p.parent.name for p in ROOT.glob("chapters/[0-9][0-9]_*/index.ipynb"))
#: The student notebooks graded in Colab mode: a numpy chapter and a Keras one.
STUDENTS = ("03_cross_correlation", "10_keras_models")
#: What the cells may change of Colab's: Keras, upgraded (chapter 10 needs 3.14).
UPGRADED = {"keras"}
#: Run first in the kernel: Colab's kernel has imported google.colab.
FAKE_COLAB = (
    'import sys, types\nsys.modules["google.colab"] = types.ModuleType("google.colab")'
)
#: Run after FAKE_COLAB for the TPU runtime: TensorFlow cannot be imported.
FAKE_TPU = 'sys.modules["tensorflow"] = None'
#: Run last: what the cell left behind (the folder, where convbn and widgets come from).
REPORT = (
    "import json, os, sys, convbn, ipywidgets, keras, tensorflow, IPython, ipykernel\n"
    "print(json.dumps({'cwd': os.getcwd(), 'convbn': convbn.__file__,\n"
    "    'ipywidgets': ipywidgets.__version__, 'keras': keras.__version__,\n"
    "    'tensorflow': tensorflow.__version__, 'ipython': IPython.__version__,\n"
    "    'ipykernel': ipykernel.__version__,\n"
    "    'python': '.'.join(map(str, sys.version_info[:2]))}))"
)


def test_the_lessons_run_are_every_chapter_of_the_toc():
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [c["file"] for part in toc["parts"] for c in part["chapters"]]
    chapters = {f.split("/")[1] for f in files if f.endswith("/index")}
    assert set(LESSONS) == {c for c in chapters if c[:2].isdigit()}
    assert len(LESSONS) >= 12 and set(STUDENTS) <= set(LESSONS)


@pytest.fixture(scope="module")
def colab_env(tmp_path_factory):
    """A fresh environment of Colab's runtime for this module's tests, and the
    repository the cells clone: ``(env, url, branch)``. Making it takes minutes."""
    minor = RUNTIME.python_minor
    python = require(
        python_version(minor),
        f"Python {minor}, Colab's (colab_runtime.txt: {RUNTIME.python}); install "
        f"python{minor} (pyenv install {minor}, or the deadsnakes packages)",
    )
    require(
        shutil.which("git"),
        "git, which the Colab cell clones with (apt-get install git)",
    )
    where = tmp_path_factory.mktemp("colab")
    env = FreshEnvironment(where / "env", python)
    env.pip_install(RUNTIME.pins["pip"])
    # As Colab has them: each at its version, nothing more (Colab lacks some of
    # their dependencies, jedi for IPython 7 among them).
    env.pip_install("--no-deps", *RUNTIME.requirements(exclude=["pip"]))
    assert _versions(env) == _colab_versions(), "the environment is Colab's"
    missing = subprocess.run(
        [env.python, "-c", "import convbn"], env=env.environ, capture_output=True
    )
    assert b"ModuleNotFoundError" in missing.stderr, "no convbn before a cell runs"
    branch = colab.repository(ROOT)[1]
    origin = checkout_repository(where, branch)
    return env, f"file://{origin}", branch


def _versions(env) -> dict[str, str]:
    """``{canonical name: version}`` of what is installed in ``env``."""
    listed = json.loads(env.run(env.python, "-m", "pip", "list", "--format=json"))
    return {canonicalize_name(p["name"]): p["version"] for p in listed}


def _colab_versions() -> dict[str, str]:
    return {name: RUNTIME.version(name) for name in RUNTIME.pins}


def _assert_only_upgraded(env, also=()):
    """Nothing of Colab's changed in ``env`` but :data:`UPGRADED`, upgraded."""
    now = _versions(env)
    for name, version in _colab_versions().items():
        if name in UPGRADED:
            assert Version(now[name]) >= Version(version), f"{name} downgraded"
        else:
            assert now.get(name) == version, f"{name}: {now.get(name)}, not {version}"
    return now


def _cell(url, folder, branch, target):
    """The Colab cell of ``folder`` for the repository ``url`` cloned into
    ``target``, and checks that it is the stored cell but for those."""
    cell = colab.cell_source(
        url, folder, colab.colab_requirements(ROOT), branch, str(target)
    )
    stored = colab.expected_cell(ROOT / folder / "index.ipynb", ROOT).source
    back = cell.replace(url, colab.repository(ROOT)[0])
    assert back.replace(str(target), colab.TARGET) == stored
    return cell


@pytest.mark.colab
@pytest.mark.parametrize("chapter", LESSONS)
def test_lesson_runs_under_colab_s_runtime(colab_env, tmp_path, chapter):
    env, url, branch = colab_env
    target = tmp_path / "content" / "convbn"
    target.parent.mkdir()
    notebook = ROOT / "chapters" / chapter / "index.ipynb"
    runnable = nbformat.read(notebook, as_version=4)
    assert colab.is_colab_cell(runnable.cells[0])
    runnable.cells[0].source = _cell(url, f"chapters/{chapter}", branch, target)
    runnable.cells.append(nbformat.v4.new_code_cell(REPORT))
    copy = tmp_path / f"{chapter}.ipynb"
    nbformat.write(runnable, copy)
    start = time.monotonic()
    done = env.execute(copy, tmp_path / f"{chapter}-out.ipynb", tmp_path, [FAKE_COLAB])
    print(f"{chapter}: {time.monotonic() - start:.0f} s under Colab's runtime")
    report = _last_json(done)
    assert report["cwd"] == str(target / "chapters" / chapter)
    assert report["convbn"].startswith(str(env.where)), "installed, not editable"
    for name in ("ipywidgets", "tensorflow", "ipython", "ipykernel"):
        assert report[name] == RUNTIME.version(name), f"Colab's {name} stayed"
    assert report["python"] == RUNTIME.python_minor
    assert tuple(map(int, report["keras"].split(".")[:2])) >= (3, 14)
    _assert_only_upgraded(env)


@pytest.mark.colab
def test_on_a_tpu_runtime_the_cell_names_the_runtime_to_choose(colab_env, tmp_path):
    """Colab's TPU runtime has no TensorFlow: the cell's only output is one line
    naming the runtime to choose, in Colab's IPython, and nothing is cloned."""
    env, url, branch = colab_env
    target = tmp_path / "content" / "convbn"
    chapter = "chapters/10_keras_models"
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell(_cell(url, chapter, branch, target)),
        nbformat.v4.new_code_cell("print('after')"),
    ]
    nbformat.write(notebook, tmp_path / "tpu.ipynb")
    done = env.execute(
        tmp_path / "tpu.ipynb",
        tmp_path / "tpu-out.ipynb",
        tmp_path,
        [FAKE_COLAB, FAKE_TPU],
        allow_errors=True,
    )
    outputs = done["cells"][2]["outputs"]
    assert [o["output_type"] for o in outputs] == ["error"]
    assert outputs[0]["traceback"] == [colab.WRONG_RUNTIME]
    assert not target.exists(), "nothing cloned"


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
    "import json, os, wrapt\n"
    "print(json.dumps({'cwd': os.getcwd(), 'interpreter': str(grader.interpreter),\n"
    "    'wrapt': wrapt.__version__,\n"
    "    'grades': {q: grader.check(q).grade for q in sorted(TESTS)}}))"
)


@pytest.mark.colab
@pytest.mark.parametrize("chapter", STUDENTS)
def test_a_student_notebook_checks_itself_in_colab(colab_env, tmp_path, chapter):
    """The student version (``python -m convbn.homework``) of ``chapter`` under
    Colab's runtime, with the reference solutions filled in: its first cell installs
    the course and otter and writes the tests, and otter, in Colab mode, grades
    every question from those files, each check called from a cell as a student
    calls it (otter finds the student's names through wrapt's frames)."""
    from convbn_tools import homework

    env, url, branch = colab_env
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
    assert (
        cell.replace(url, colab.repository(ROOT)[0])
        .replace(str(target), colab.TARGET)
        .replace(str(homework_folder), colab.HOMEWORK)
        == student.cells[0].source
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
    start = time.monotonic()
    done = env.execute(copy, tmp_path / "student-out.ipynb", tmp_path, [FAKE_COLAB])
    print(f"{chapter} exercises: {time.monotonic() - start:.0f} s, otter in Colab mode")
    report = _last_json(done)
    assert report["cwd"] == str(homework_folder / chapter)
    assert report["interpreter"] == "IPythonInterpreter.COLAB"
    assert report["grades"] == {name: 1.0 for name in tests}
    assert report["wrapt"] == RUNTIME.version("wrapt"), "Colab's wrapt stayed"
    now = _assert_only_upgraded(env)
    assert "otter-grader" in now


def _last_json(notebook: dict) -> dict:
    outputs = notebook["cells"][-1]["outputs"]
    text = "".join(
        "".join(o.get("text", "")) for o in outputs if o["output_type"] == "stream"
    )
    return json.loads(text.strip().splitlines()[-1])
