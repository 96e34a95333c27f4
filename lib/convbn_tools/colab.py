"""The first cell of every notebook: the course's files and package, in Colab only.

Colab opens one ``.ipynb`` from GitHub and nothing else: no ``convbn``, no data file
next to the notebook (``chapters/09_bn_in_practice/claims.json``). Every notebook of
``chapters/`` therefore starts with a code cell that, when ``google.colab`` is in
``sys.modules`` and only then,

1. clones the repository ``_config.yml`` names (``repository: url`` and ``branch``)
   into ``/content/convbn`` with ``git clone --depth 1`` (once per runtime);
2. installs the course's package from it with ``pip install --no-deps`` (not
   editable: an editable install's path hook is read at interpreter start, so the
   running kernel would not see it);
3. installs what Colab lacks or has too old of :func:`colab_requirements`, keeping
   Colab's own numpy, TensorFlow and ipywidgets: Colab's front end renders
   ipywidgets 7 only (googlecolab/colabtools#4525), and upgrading numpy under a
   preinstalled TensorFlow breaks it;
4. changes into the notebook's own folder, so relative paths work as in the book.

On Colab's TPU runtime, which has no TensorFlow, the cell stops at once with one
line saying which runtime to choose (``WRONG_RUNTIME``), rather than letting a
later cell fail at ``import tensorflow``.

Anywhere else the cell only imports ``sys``. It is tagged ``remove-cell`` (not in
the HTML book) and collapsed in JupyterLab. The cell is generated, never edited by
hand: after changing ``repository: url`` in ``_config.yml`` (a fork), rewrite it in
every notebook with::

    python -m convbn_tools.colab            # rewrite the cells from _config.yml
    python -m convbn_tools.colab --check    # exit 1 if a notebook is out of date

The student versions of the exercises (``python -m convbn.homework``) start with a
longer cell (:func:`student_cell_source`): in Colab it also installs otter-grader and
writes the chapter's tests to files, which is where otter looks for them in Colab.

``tests/book/test_hygiene.py`` checks that every notebook starts with the cell this
module makes from ``_config.yml``; ``tests/book/test_colab.py`` (marked ``colab``)
runs it as Colab would, in a fresh environment of Colab's published runtime
(``tests/book/colab_runtime.txt``, written by ``convbn_tools.colab_runtime``)::

    python -m convbn_tools.colab runtime --from PATH   # refresh that file
"""

from __future__ import annotations

import argparse
import re
import sys
import tomllib
from pathlib import Path

import nbformat
import yaml
from packaging.requirements import InvalidRequirement, Requirement
from packaging.specifiers import SpecifierSet

__all__ = [
    "MARKER",
    "TARGET",
    "repository",
    "requirement_lines",
    "colab_requirements",
    "cell_source",
    "NEEDED",
    "WRONG_RUNTIME",
    "UNCAPPED",
    "guard_source",
    "HOMEWORK",
    "STAND_IN",
    "tests_code",
    "otter_requirements",
    "student_cell_source",
    "make_cell",
    "is_colab_cell",
    "notebooks",
    "expected_cell",
    "write_cells",
    "main",
]

#: The first line of the cell; what identifies it.
MARKER = "# Colab only: fetch the course and install its package (nothing elsewhere)."
#: Where the cell clones the repository in Colab (Colab's working folder is /content).
TARGET = "/content/convbn"
#: Requirements of the package that the cell leaves to Colab's preinstalled version:
#: its front end renders ipywidgets 7 only (googlecolab/colabtools#4525).
KEPT = ("ipywidgets",)
#: What the cell keeps of Colab's and needs: TensorFlow, beneath Keras (Colab's TPU
#: runtime has none; the cell then names the runtime to choose).
NEEDED = ("tensorflow",)
#: The cell's one line on a runtime without :data:`NEEDED`.
WRONG_RUNTIME = (
    "This notebook needs TensorFlow, which Colab's TPU runtime does not have: "
    "choose a CPU or GPU runtime (Runtime > Change runtime type) and run it again."
)
#: otter's upper bounds that the student cell leaves out, so that pip keeps Colab's
#: newer version: otter-grader 7 asks for wrapt ^1.16 (Poetry's caret, written for
#: every dependency: click ^8, jinja2 ^3), not for a known break. Colab has wrapt
#: 2.3.0 beneath TensorFlow, tensorflow-datasets, dm-tree and smart_open (each asks
#: for any wrapt >= 1.11); the Colab test grades student notebooks with it.
UNCAPPED = ("wrapt",)
#: Lines of requirements.txt the chapters need beyond the package's own dependencies
#: (Keras 3.14 divides activity regularizers by the batch size, as chapter 10 says;
#: chapter 11 runs a model on Keras's JAX backend, which Colab has, as on its TPUs).
EXTRA = ("keras", "jax")

_URL = re.compile(r"https://[A-Za-z0-9.-]+(/[A-Za-z0-9._~-]+)+")
_BRANCH = re.compile(r"[A-Za-z0-9._/-]+")


def _root(root) -> Path:
    root = Path(root)
    if not (root / "_config.yml").is_file() or not (root / "chapters").is_dir():
        raise FileNotFoundError(
            f"root must be the course's top folder (with _config.yml and chapters/); "
            f"{root.resolve()} is not"
        )
    return root


def repository(root: str | Path = ".") -> tuple[str, str]:
    """``(url, branch)`` of ``_config.yml``'s ``repository:`` section.

    The URL must be an ``https://`` address without a trailing ``.git`` or slash
    (the launch buttons append ``/blob/<branch>/<path>`` to it); the branch defaults
    to ``main``, as in Jupyter Book.
    """
    config = yaml.safe_load((_root(root) / "_config.yml").read_text()) or {}
    section = config.get("repository") or {}
    url = str(section.get("url", ""))
    branch = str(section.get("branch", "main"))
    if not _URL.fullmatch(url) or url.endswith((".git", "/")):
        raise ValueError(
            "_config.yml's repository: url must be the https:// address of the "
            f"course's repository (no trailing .git or /), got {url!r}"
        )
    if not _BRANCH.fullmatch(branch):
        raise ValueError(
            f"_config.yml's repository: branch must be a branch name, got {branch!r}"
        )
    return url, branch


def requirement_lines(root: str | Path, names) -> list[str]:
    """The lines of ``root/requirements.txt`` for the packages ``names``, in that
    order (the Colab cell's and the Gradescope image's pins come from there).

    Raises ``ValueError`` for a line that is not a requirement, or when a name has
    no line.
    """
    found = {}
    for line in (Path(root) / "requirements.txt").read_text().splitlines():
        line = line.split("#")[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            requirement = Requirement(line)
        except InvalidRequirement as error:
            raise ValueError(
                f"requirements.txt: {line!r} is not a requirement"
            ) from error
        if requirement.name in names:
            found[requirement.name] = str(requirement)
    missing = [name for name in names if name not in found]
    if missing:
        raise ValueError(f"requirements.txt has no line for {', '.join(missing)}")
    return [found[name] for name in names]


def colab_requirements(root: str | Path = ".") -> list[str]:
    """What the cell asks pip for besides the package, which it installs without
    dependencies: the package's dependencies (``pyproject.toml``) but those of
    :data:`KEPT`, and the lines of ``requirements.txt`` for :data:`EXTRA`.

    pip upgrades only what does not satisfy them, so Colab's TensorFlow and numpy
    stay as they are.
    """
    root = _root(root)
    project = tomllib.loads((root / "pyproject.toml").read_text())["project"]
    found = [
        str(Requirement(line))
        for line in project["dependencies"]
        if Requirement(line).name not in KEPT
    ]
    return found + requirement_lines(root, EXTRA)


def guard_source(needed=NEEDED, message: str = WRONG_RUNTIME) -> str:
    """Code that, when a package of ``needed`` cannot be imported, stops the cell
    with ``message`` as its only line of output (IPython shows what an exception's
    ``_render_traceback_`` returns instead of a traceback) and installs nothing."""
    if not message or "\n" in message or '"' in message:
        raise ValueError(f"message must be one line without quotes, got {message!r}")
    if not needed or not all(_NAME.fullmatch(str(n)) for n in needed):
        raise ValueError(f"needed must be module names, got {needed!r}")
    if len(needed) == 1:
        test = f'importlib.util.find_spec("{needed[0]}") is None'
    else:
        names = ", ".join(f'"{n}"' for n in needed)
        test = f"any(importlib.util.find_spec(n) is None for n in ({names}))"
    words, lines = message.split(" "), [""]
    for word in words:
        if lines[-1] and len(lines[-1]) + len(word) > 64:
            lines.append("")
        lines[-1] += word + " "
    lines[-1] = lines[-1][:-1]
    text = "".join(f'        "{line}"\n' for line in lines)
    return (
        f"if {test}:\n"
        "\n"
        "    class WrongRuntime(Exception):\n"
        "        def _render_traceback_(self):\n"
        "            return [str(self)]\n"
        "\n"
        "    raise WrongRuntime(\n"
        f"{text}"
        "    )"
    )


def cell_source(
    url: str,
    folder: str,
    requirements,
    branch: str = "main",
    target: str = TARGET,
    no_deps=(),
) -> str:
    """The cell's code: clone ``url`` (``branch``) into ``target``, install the
    package and ``requirements``, change into ``target/folder``; in Colab only.

    ``no_deps`` are installed, like the package, without their dependencies (list
    those among ``requirements``, but for what Colab must keep).

    ``folder`` is the notebook's folder relative to the repository's root, with
    ``/`` separators (``chapters/03_cross_correlation``).
    """
    for name, value in (("url", url), ("folder", folder), ("target", target)):
        if not isinstance(value, str) or not value or '"' in value or "\\" in value:
            raise ValueError(
                f"{name} must be a non-empty string without quotes, got {value!r}"
            )
    if not _BRANCH.fullmatch(str(branch)):
        raise ValueError(f"branch must be a branch name, got {branch!r}")
    if folder.startswith("/") or ".." in folder.split("/"):
        raise ValueError(f"folder must be relative to the repository, got {folder!r}")
    try:
        requirements = [str(Requirement(str(r))) for r in requirements]
        no_deps = [str(Requirement(str(r))) for r in no_deps]
    except InvalidRequirement as error:
        raise ValueError(f"requirements must be pip requirements: {error}") from error
    needs = "".join(f'        "{r}",\n' for r in requirements)
    guard = "\n".join(
        f"    {line}" if line else "" for line in guard_source().split("\n")
    )
    bare = "".join(f', "{r}"' for r in no_deps)
    return (
        f"{MARKER}\n"
        "# Generated from _config.yml's repository URL: see the README, 'Forking'.\n"
        "import sys\n"
        "\n"
        'if "google.colab" in sys.modules:\n'
        "    import importlib.util\n"
        "    import os\n"
        "    import subprocess\n"
        "\n"
        f"{guard}\n"
        "\n"
        f'    REPOSITORY = "{url}"\n'
        f'    COURSE = "{target}"\n'
        "    if not os.path.isdir(COURSE):\n"
        f'        clone = ["git", "clone", "--depth", "1", "--branch", "{branch}"]\n'
        "        subprocess.run([*clone, REPOSITORY, COURSE], check=True)\n"
        '    pip = [sys.executable, "-m", "pip", "install", "--quiet"]\n'
        "    # Colab's numpy, TensorFlow and ipywidgets 7 stay; pip adds the rest.\n"
        f'    subprocess.run([*pip, "--no-deps", COURSE{bare}], check=True)\n'
        "    needs = [\n"
        f"{needs}"
        "    ]\n"
        "    subprocess.run([*pip, *needs], check=True)\n"
        "    importlib.invalidate_caches()\n"
        f'    os.chdir(f"{{COURSE}}/{folder}")'
    )


#: Where a student notebook's cell writes its tests in Colab, one folder per chapter.
HOMEWORK = "/content/homework"

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


#: What the student cell writes in Colab for otter's first cell to read, an empty
#: notebook: the one the student runs is not on the Colab runtime's disk.
STAND_IN = '{"cells": [], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}'


def tests_code(tests: dict, where: str, notebook: str = "exercises.ipynb") -> str:
    """Code that writes ``tests`` (``{question: test file text}``) into
    ``where/tests/``, an empty ``where/notebook`` (:data:`STAND_IN`), and changes
    into ``where``.

    In Colab, the notebook a student runs is not on the runtime's disk: otter's first
    cell (``otter.Notebook("exercises.ipynb")``) needs a file of that name, and otter
    reads a question's tests only from ``tests/<question>.py``, not from the
    notebook's metadata, where ``otter assign`` put them. These are the public tests
    already in that metadata.
    """
    if not isinstance(tests, dict) or not tests:
        raise ValueError(f"tests must be a non-empty dict of test files, got {tests!r}")
    for name, text in tests.items():
        if not isinstance(name, str) or not _NAME.fullmatch(name):
            raise ValueError(f"tests: {name!r} is not a question name")
        if not isinstance(text, str):
            raise ValueError(f"tests: the test of {name} must be text, got {text!r}")
    if not isinstance(where, str) or not where.startswith("/") or '"' in where:
        raise ValueError(f"where must be an absolute folder, got {where!r}")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+\.ipynb", str(notebook)):
        raise ValueError(f"notebook must be a notebook's file name, got {notebook!r}")
    entries = "".join(f"    {name!r}: {text!r},\n" for name, text in tests.items())
    return (
        "# The student version: otter reads the tests from files in Colab.\n"
        f'HOMEWORK = "{where}"\n'
        'os.makedirs(os.path.join(HOMEWORK, "tests"), exist_ok=True)\n'
        "TESTS = {\n"
        f"{entries}"
        "}\n"
        "for name, text in TESTS.items():\n"
        '    with open(os.path.join(HOMEWORK, "tests", name + ".py"), "w") as file:\n'
        "        file.write(text)\n"
        f'with open(os.path.join(HOMEWORK, "{notebook}"), "w") as file:\n'
        f"    file.write({STAND_IN!r})\n"
        "os.chdir(HOMEWORK)"
    )


def otter_requirements() -> tuple[list[str], list[str]]:
    """``(requirements, no_deps)`` that give Colab the otter-grader of this
    environment: the version that wrote the student notebook, without its
    dependencies, and those dependencies but :data:`KEPT` (otter asks for
    ipywidgets 8, which Colab's front end does not render; otter's checks run with 7)
    and without extras (PDF export is off), the upper bounds of ``UNCAPPED``
    left out.
    """
    from importlib import metadata

    needs = []
    for line in metadata.requires("otter-grader") or []:
        requirement = Requirement(line)
        if "extra" in str(requirement.marker or "") or requirement.name in KEPT:
            continue
        requirement.extras, requirement.marker = set(), None
        if requirement.name in UNCAPPED:
            requirement.specifier = SpecifierSet(
                ",".join(str(s) for s in requirement.specifier if "<" not in s.operator)
            )
        needs.append(str(requirement))
    return needs, [f"otter-grader=={metadata.version('otter-grader')}"]


def student_cell_source(
    url: str,
    folder: str,
    requirements,
    tests: dict,
    branch: str = "main",
    homework: str = HOMEWORK,
    target: str = TARGET,
) -> str:
    """The Colab cell of a student notebook (``python -m convbn.homework``).

    The course's cell (:func:`cell_source`, with ``requirements`` and otter-grader
    from :func:`otter_requirements`), then, still in Colab only, :func:`tests_code`
    for the chapter's folder under ``homework``. The cell must come before otter's
    own first cell (``import otter``), since Colab has no otter. ``target`` is where
    the repository is cloned, as in :func:`cell_source`.
    """
    chapter = folder.rstrip("/").split("/")[-1]
    otter_needs, otter = otter_requirements()
    requirements = [*requirements, *otter_needs]
    course = cell_source(url, folder, requirements, branch, target, no_deps=otter)
    student = tests_code(tests, f"{homework}/{chapter}")
    return course + "\n" + "\n".join(f"    {line}" for line in student.splitlines())


def make_cell(source: str) -> nbformat.NotebookNode:
    """A code cell of ``source``, removed from the HTML book, collapsed in Jupyter."""
    if not isinstance(source, str) or not source.startswith(MARKER):
        raise ValueError(
            f"source must be a cell_source() text starting with {MARKER!r}"
        )
    cell = nbformat.v4.new_code_cell(source)
    cell.id = "colab-setup"
    cell.metadata = {"tags": ["remove-cell"], "jupyter": {"source_hidden": True}}
    return cell


def is_colab_cell(cell) -> bool:
    """Whether ``cell`` (a notebook cell, dict or NotebookNode) is the Colab cell."""
    source = cell.get("source", "")
    source = "".join(source) if isinstance(source, list) else source
    return cell.get("cell_type") == "code" and source.startswith(MARKER)


def notebooks(root: str | Path = ".") -> list[Path]:
    """Every notebook of ``root/chapters`` (checkpoints skipped), sorted."""
    return sorted(
        p
        for p in (_root(root) / "chapters").rglob("*.ipynb")
        if ".ipynb_checkpoints" not in p.parts
    )


def expected_cell(path: str | Path, root: str | Path = ".") -> nbformat.NotebookNode:
    """The Colab cell the notebook ``path`` (under ``root``) should start with."""
    root = _root(root)
    url, branch = repository(root)
    folder = Path(path).resolve().parent.relative_to(root.resolve()).as_posix()
    source = cell_source(url, folder, colab_requirements(root), branch)
    return make_cell(source)


def write_cells(root: str | Path = ".", check: bool = False) -> list[Path]:
    """Make every notebook start with its Colab cell; return those that changed.

    A notebook whose first cell is a Colab cell has it replaced, any other gets it
    inserted. With ``check``, nothing is written: the list says what would change.
    """
    changed = []
    for path in notebooks(root):
        notebook = nbformat.read(path, as_version=4)
        cell = expected_cell(path, root)
        cells = notebook.cells
        if cells and is_colab_cell(cells[0]):
            if cells[0].source == cell.source and cells[0].metadata == cell.metadata:
                continue
            cells[0] = cell
        else:
            cells.insert(0, cell)
        changed.append(path)
        if not check:
            nbformat.write(notebook, path)
    return changed


def main(argv: list[str] | None = None) -> int:
    """The command line (``argv``: its arguments, default ``sys.argv[1:]``);
    ``runtime ...`` is :func:`convbn_tools.colab_runtime.main`."""
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["runtime"]:
        from convbn_tools import colab_runtime

        return colab_runtime.main(argv[1:])
    parser = argparse.ArgumentParser(
        prog="python -m convbn_tools.colab",
        description="(Re)write the Colab cell at the top of every notebook from "
        "_config.yml's repository URL. `python -m convbn_tools.colab runtime "
        "--from SNAPSHOT` refreshes tests/book/colab_runtime.txt instead.",
    )
    parser.add_argument("--root", default=".", help="the course's top folder")
    parser.add_argument(
        "--check",
        action="store_true",
        help="write nothing; exit 1 if a notebook's cell is missing or out of date",
    )
    options = parser.parse_args(argv)
    changed = write_cells(options.root, check=options.check)
    verb = "out of date" if options.check else "rewritten"
    for path in changed:
        print(f"{verb}: {path}")
    total = len(notebooks(options.root))
    url = repository(options.root)[0]
    print(f"{len(changed)} of {total} notebooks {verb}; URL {url}")
    return 1 if options.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
