"""Book hygiene: what every notebook, the table of contents and setup files promise."""

import ast
import json
import re
import sys
from pathlib import Path

import pytest
import yaml

from conftest import ROOT
from convbn_tools import colab

NOTEBOOKS = sorted(
    p
    for p in (ROOT / "chapters").glob("**/*.ipynb")
    if ".ipynb_checkpoints" not in p.parts
)
CHAPTERS = sorted(
    p
    for p in (ROOT / "chapters").iterdir()
    if p.is_dir() and re.match(r"\d\d_", p.name)
)
ids = [str(p.relative_to(ROOT)) for p in NOTEBOOKS]


def load(path):
    return json.loads(path.read_text(encoding="utf-8"))


def code_cells(path):
    return [c for c in load(path)["cells"] if c["cell_type"] == "code"]


def source(cell):
    return "".join(cell["source"])


def tags(cell):
    return cell.get("metadata", {}).get("tags", [])


def toc_files():
    def walk(node):
        if isinstance(node, dict):
            if "file" in node:
                yield node["file"]
            for value in node.values():
                yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    return [toc["root"], *walk(toc.get("parts", toc.get("chapters", [])))]


def test_there_are_notebooks():
    assert len(NOTEBOOKS) >= 2 and CHAPTERS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_is_stored_without_outputs(path):
    dirty = [
        i
        for i, c in enumerate(load(path)["cells"])
        if c["cell_type"] == "code"
        and (c.get("outputs") or c.get("execution_count") is not None)
    ]
    assert not dirty, (
        f"{path.name}: cells {dirty} carry outputs; clear them before commit"
    )


NETWORK = re.compile(
    r"sys\.path|urllib|requests\.|keras\.datasets|load_data\(|"
    r"source\s*=\s*[\"']keras|https?://|pip install|!wget|!curl|"
    r"get_file\(|socket\."
)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_touches_neither_network_nor_sys_path(path):
    """Beyond the Colab cell, which clones and installs the course in Colab only."""
    for cell in code_cells(path):
        if colab.is_colab_cell(cell):
            continue
        match = NETWORK.search(source(cell))
        assert match is None, f"{path.name}: code cell uses {match.group(0)!r}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_imports_convbn_and_sets_seeds_not_paths(path):
    text = "\n".join(source(c) for c in code_cells(path))
    assert re.search(r"^(import convbn|from convbn)", text, re.M), "import convbn"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_starts_with_the_colab_cell_from_the_config(path):
    """The first cell installs the course in Colab from _config.yml's repository URL
    (rewrite it with ``python -m convbn_tools.colab``), and is hidden in the book."""
    first = load(path)["cells"][0]
    assert colab.is_colab_cell(first), (
        f"{path.name}: the first cell is not the Colab cell; run "
        "`python -m convbn_tools.colab`"
    )
    url, branch = colab.repository(ROOT)
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    assert url == config["repository"]["url"]
    text = source(first)
    assert f'REPOSITORY = "{url}"' in text and f'"--branch", "{branch}"' in text
    folder = path.parent.relative_to(ROOT).as_posix()
    assert text.endswith(f'os.chdir(f"{{COURSE}}/{folder}")')
    assert tags(first) == ["remove-cell"]
    assert first["metadata"]["jupyter"]["source_hidden"] is True
    expected = colab.expected_cell(path, ROOT)
    assert text == expected.source, (
        f"{path.name}: the Colab cell is out of date: `python -m convbn_tools.colab`"
    )
    assert sum(colab.is_colab_cell(c) for c in load(path)["cells"]) == 1


def test_colab_cell_does_nothing_outside_colab(tmp_path, monkeypatch):
    """Run as it is stored, outside Colab: no clone, no install, no change of folder."""
    monkeypatch.chdir(tmp_path)
    code = source(load(NOTEBOOKS[0])["cells"][0])
    namespace = {}
    exec(compile(code, "colab-cell", "exec"), namespace)
    assert "google.colab" not in sys.modules
    assert set(namespace) == {"__builtins__", "sys"}
    assert list(tmp_path.iterdir()) == [] and Path.cwd() == tmp_path


def imports_of(tree: ast.AST, package: str = "") -> set[str]:
    """Every module the imports in ``tree`` name, as absolute names.

    ``import a.b``, ``from a import b`` (both ``a`` and ``a.b``: b may be a module),
    ``importlib.import_module("a")``; relative imports are resolved against
    ``package``, the dotted name of the package the code is in.
    """
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            parts = package.split(".")[: len(package.split(".")) - node.level + 1]
            base = ".".join(parts) if node.level else ""
            module = ".".join(filter(None, [base, node.module]))
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
        elif (
            isinstance(node, ast.Call)
            and getattr(node.func, "attr", getattr(node.func, "id", None))
            in ("import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
        ):
            found.add(str(node.args[0].value))
    return found


def is_tooling(module: str) -> bool:
    """convbn_tools, or the one convbn module that imports it (the homework shim)."""
    return module.split(".")[0] == "convbn_tools" or module == "convbn.homework"


#: The one convbn module allowed to import the tooling: ``python -m convbn.homework``.
SHIM = ROOT / "lib" / "convbn" / "homework.py"
MODULES = sorted(p for p in (ROOT / "lib" / "convbn").rglob("*.py") if p != SHIM)


def package_of(path) -> str:
    """The dotted package a module file of lib/ belongs to."""
    return ".".join(path.relative_to(ROOT / "lib").parent.parts)


@pytest.mark.parametrize(
    "path", MODULES, ids=[str(p.relative_to(ROOT / "lib")) for p in MODULES]
)
def test_convbn_does_not_import_the_book_tooling(path):
    """Students import convbn; the build's and the instructor's tooling stays out."""
    tree = ast.parse(path.read_text())
    found = sorted(filter(is_tooling, imports_of(tree, package_of(path))))
    assert not found, f"{path.name} imports {found}: convbn must not need convbn_tools"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_notebook_does_not_import_the_book_tooling(path):
    for cell in code_cells(path):
        text = source(cell)
        assert "convbn_tools" not in text and "convbn.homework" not in text, (
            f"{path.name}: a code cell names the book and instructor tooling "
            f"(convbn_tools), which is not for notebooks:\n{text[:200]}"
        )


def test_the_homework_shim_only_forwards():
    names = ("assign", "find_exercises", "grade", "main")
    assert imports_of(ast.parse(SHIM.read_text()), "convbn") == {
        "sys",
        "convbn_tools.homework",
        *(f"convbn_tools.homework.{name}" for name in names),
    }


FIGURE = re.compile(r"plt\.subplots|plt\.figure|plotting\.(plot_|show_)")


def is_assertion_cell(cell):
    """A code cell with an ``assert`` statement at its top level."""
    try:
        tree = ast.parse(source(cell))
    except SyntaxError:  # IPython magics: not an assertion cell
        return False
    return any(isinstance(node, ast.Assert) for node in tree.body)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_assertion_cells_are_removed_from_the_book_and_collapsed(path):
    """Facts the prose states are asserted out of the reader's way: removed from the
    HTML book (tag ``remove-cell``) and collapsed in JupyterLab, Binder and Colab
    (``jupyter.source_hidden``)."""
    for index, cell in enumerate(code_cells(path)):
        if is_assertion_cell(cell):
            assert "remove-cell" in tags(cell), f"code cell {index}: tag remove-cell"
        if "remove-cell" in tags(cell):
            jupyter = cell.get("metadata", {}).get("jupyter", {})
            assert jupyter.get("source_hidden") is True, (
                f"code cell {index} is tagged remove-cell: also set "
                "metadata.jupyter.source_hidden = true"
            )


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_no_two_assertion_cells_in_a_row(path):
    """Assertion cells of one section with no visible code between them are one."""
    previous = None
    for index, cell in enumerate(load(path)["cells"]):
        if cell["cell_type"] != "code":
            if re.search(r"^#{1,2} ", source(cell), re.MULTILINE):  # a new section
                previous = None
            continue
        hidden = "remove-cell" in tags(cell) and is_assertion_cell(cell)
        assert not (hidden and previous), (
            f"cells {previous} and {index} are both assertion cells: merge them"
        )
        previous = index if hidden else None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=ids)
def test_every_figure_has_alt_text(path):
    for cell in code_cells(path):
        if FIGURE.search(source(cell)) and "remove-cell" not in tags(cell):
            alt = cell["metadata"].get("mystnb", {}).get("image", {}).get("alt", "")
            assert len(alt) > 40, (
                f"{path.name}: figure cell without alt text:\n{source(cell)[:200]}"
            )


def test_toc_lists_every_notebook_and_only_existing_pages():
    listed = toc_files()
    for f in listed:
        assert any((ROOT / (f + ext)).exists() for ext in ("", ".md", ".ipynb")), (
            f"_toc.yml lists {f}, which does not exist"
        )
    for path in NOTEBOOKS:
        assert str(path.relative_to(ROOT).with_suffix("")) in listed, (
            f"{path} is not in _toc.yml"
        )


@pytest.mark.parametrize("chapter", CHAPTERS, ids=[c.name for c in CHAPTERS])
def test_chapter_has_lesson_and_exercises_in_otter_format(chapter):
    assert (chapter / "index.ipynb").exists()
    exercises = chapter / "exercises.ipynb"
    assert exercises.exists()
    cells = load(exercises)["cells"]
    raws = [source(c) for c in cells if c["cell_type"] == "raw"]
    config = yaml.safe_load(raws[0].replace("# ASSIGNMENT CONFIG", "", 1))
    assert raws[0].startswith("# ASSIGNMENT CONFIG")
    assert config["generate"] is True and config["tests"]["ok_format"] is False
    assert sum(r.startswith("# BEGIN QUESTION") for r in raws) >= 3
    block = None
    for cell in cells:
        text = source(cell).strip()
        if cell["cell_type"] == "raw" and text.startswith("# BEGIN "):
            block = text.split()[2]
        elif cell["cell_type"] == "raw" and text.startswith("# END "):
            block = None
        elif cell["cell_type"] == "code" and block == "SOLUTION":
            assert "hide-input" in tags(cell), "solutions are hidden behind a toggle"
            assert "# BEGIN SOLUTION" in text or "# SOLUTION" in text
        elif cell["cell_type"] == "code" and block == "TESTS":
            assert "remove-cell" in tags(cell), "test cells are not shown in the book"
            assert "convbn.checks import check_" in text, "tests call convbn.checks"


def test_readme_quick_start_is_the_two_commands():
    readme = (ROOT / "README.md").read_text()
    assert "pip install -r requirements.txt && jupyter-book build ." in readme
    assert "python -m pytest" in readme
    assert "python -m convbn.homework" in readme


def test_requirements_and_binder():
    required = [
        "jupyter-book",
        "jupyterlab",
        "numpy",
        "tensorflow",
        "ipywidgets",
        "nbval",
        "matplotlib",
        "scipy",
        "scikit-image",
        "mlxtend",
        "otter-grader",
        "sphinx-exercise",
        "pytest",
        "pytest-xdist",
        "hypothesis",
    ]
    lines = [
        ln.strip()
        for ln in (ROOT / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    names = {re.split(r"[<>=!~\[ ]", ln)[0].lower() for ln in lines}
    assert set(required) <= names
    assert "jupyter-book>=1.0.4,<2" in lines and lines[-1] == "-e ."
    pinned = [
        ln
        for ln in (ROOT / "binder" / "requirements.txt").read_text().splitlines()
        if ln.strip() and not ln.startswith("#")
    ]
    assert all(
        re.fullmatch(r"[A-Za-z0-9_.\-\[\],]+==[A-Za-z0-9_.+\-!]+", ln) for ln in pinned
    )
    pinned_names = {ln.split("==")[0].lower().replace("_", "-") for ln in pinned}
    assert set(required) <= pinned_names and "convbn" not in pinned_names
    assert (ROOT / "binder" / "runtime.txt").read_text().strip() == "python-3.11"
    post = (ROOT / "binder" / "postBuild").read_text()
    assert (
        "--no-deps" in post and (ROOT / "binder" / "postBuild").stat().st_mode & 0o111
    )


def test_every_reference_is_cited():
    keys = re.findall(r"@\w+\{([^,]+),", (ROOT / "references.bib").read_text())
    assert {"ioffe2015batch", "goodfellow2016deep", "keras2024docs"} <= set(keys)
    text = (ROOT / "intro.md").read_text() + "".join(
        p.read_text()
        for p in (ROOT / "chapters").glob("**/*.*")
        if p.suffix in (".md", ".ipynb")
    )
    for key in keys:
        assert re.search(r"\{cite(:[pt])?\}`[^`]*" + key, text), f"{key} is never cited"


def test_config_executes_strictly():
    config = yaml.safe_load((ROOT / "_config.yml").read_text())
    execute = config["execute"]
    assert execute["execute_notebooks"] in ("cache", "force")
    assert execute["timeout"] >= 300 and execute["raise_on_error"] is True
    assert config["launch_buttons"]["notebook_interface"] == "jupyterlab"
    assert "sphinx_exercise" in config["sphinx"]["extra_extensions"]


#: Colour maps that hide structure from colour-blind readers (red-green or rainbow).
UNSAFE_CMAPS = {
    "jet", "rainbow", "gist_rainbow", "hsv", "nipy_spectral", "gist_ncar", "turbo",
    "RdYlGn", "PiYG", "Spectral", "brg", "gist_stern", "prism", "flag", "RdGy",
}  # fmt: skip
CMAP = re.compile(
    r"""cmap\s*=\s*["']([A-Za-z_]+?)(?:_r)?["']|colormaps\[["']([A-Za-z_]+)"""
)


def test_colour_maps_and_colours_are_colour_blind_safe():
    """Every colour map named in the package or a notebook is free of the red-green
    and rainbow maps; line colours come from the Okabe-Ito palette."""
    from convbn import plotting

    texts = {"lib/convbn": "".join(p.read_text() for p in (ROOT / "lib").rglob("*.py"))}
    for path in NOTEBOOKS:
        texts[str(path.relative_to(ROOT))] = "".join(map(source, code_cells(path)))
    for where, text in texts.items():
        for match in CMAP.finditer(text):
            name = match.group(1) or match.group(2)
            assert name not in UNSAFE_CMAPS, f"{where} uses the colour map {name!r}"
    assert plotting.MATRIX_CMAP in {"cividis", "viridis"}
    assert set(plotting.COLORS) <= set(plotting.OKABE_ITO.values())
