"""convbn_tools.parallel_execution: notebooks executed in parallel, read from the cache.

A small Sphinx project with myst-nb in cache mode: two notebooks that work and one
that fails. With the extension, the two are executed before Sphinx reads them and
myst-nb takes them from the cache; the failing one is left to myst-nb, which reports
it as it would without the extension.
"""

import json
import os
import subprocess
import sys
import textwrap

import nbformat
import pytest
import yaml

from conftest import ROOT
from convbn_tools import parallel_execution

CONF = """
extensions = ["myst_nb", "convbn_tools.parallel_execution"]
nb_execution_mode = "cache"
nb_execution_timeout = 120
nb_execution_show_tb = True
exclude_patterns = ["_build"]
"""


def _notebook(path, *sources):
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_markdown_cell(f"# {path.stem}")]
    notebook.cells += [nbformat.v4.new_code_cell(source) for source in sources]
    path.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, path)


def _build(root, jobs):
    env = {**os.environ, parallel_execution.JOBS_VARIABLE: str(jobs)}
    env.pop("MPLBACKEND", None)
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-v",
            str(root),
            str(root / "_build"),
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


@pytest.fixture
def project(tmp_path):
    (tmp_path / "conf.py").write_text(CONF)
    (tmp_path / "index.md").write_text(
        textwrap.dedent(
            """
            # Test

            ```{toctree}
            one/first
            two/second
            broken
            ```
            """
        )
    )
    where = "import json, os; print(json.dumps(os.getcwd()))"
    _notebook(tmp_path / "one" / "first.ipynb", where, "1 + 1")
    _notebook(tmp_path / "two" / "second.ipynb", where)
    _notebook(tmp_path / "broken.ipynb", "raise RuntimeError('on purpose')")
    return tmp_path


@pytest.mark.slow
def test_notebooks_run_in_parallel_then_come_from_the_cache(project):
    result = _build(project, jobs=2)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "[convbn] executing 3 notebooks, 2 at a time" in log
    assert "[convbn] 2 of 3 notebooks executed" in log
    # myst-nb reads the two that worked from the cache, and runs the broken one again
    for name in ("first", "second"):
        assert f"{name}.ipynb: Using cached notebook" in log, log
    assert "broken.ipynb: Executing notebook using local CWD" in log
    assert "Executing notebook failed: CellExecutionError" in log
    assert "on purpose" in log
    # each kernel ran in its notebook's folder, as myst-nb runs it
    for folder, page in (("one", "one/first.html"), ("two", "two/second.html")):
        html = (project / "_build" / page).read_text()
        assert json.dumps(str((project / folder).resolve())) in html.replace(
            "&quot;", '"'
        )


@pytest.mark.slow
def test_one_job_leaves_execution_to_myst_nb(project):
    result = _build(project, jobs=1)
    log = result.stdout + result.stderr
    assert result.returncode == 0, log
    assert "[convbn]" not in log
    assert "first.ipynb: Executing notebook using local CWD" in log


def test_jobs_default_to_the_usable_cores_as_memory_allows(monkeypatch):
    monkeypatch.delenv(parallel_execution.JOBS_VARIABLE, raising=False)
    gib = 2**30
    monkeypatch.setattr(parallel_execution, "_cores", lambda: 8)
    monkeypatch.setattr(parallel_execution, "_available_bytes", lambda: 64 * gib)
    assert parallel_execution.jobs() == 8
    monkeypatch.setattr(parallel_execution, "_available_bytes", lambda: 7 * gib)
    assert parallel_execution.jobs() == 3  # 2 GB each
    monkeypatch.setattr(parallel_execution, "_available_bytes", lambda: gib)
    assert parallel_execution.jobs() == 1
    monkeypatch.setattr(parallel_execution, "_available_bytes", lambda: None)
    assert parallel_execution.jobs() == 8  # without psutil: the cores
    monkeypatch.setenv(parallel_execution.JOBS_VARIABLE, " 3 ")
    assert parallel_execution.jobs() == 3


def test_this_machine_gets_one_job_per_core(monkeypatch):
    monkeypatch.delenv(parallel_execution.JOBS_VARIABLE, raising=False)
    cores = len(os.sched_getaffinity(0))
    assert parallel_execution._cores() == cores
    needed = cores * parallel_execution.MEMORY_PER_JOB
    if parallel_execution._available_bytes() >= needed:
        assert parallel_execution.jobs() == cores


@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5"])
def test_a_bad_job_count_is_named(monkeypatch, value):
    monkeypatch.setenv(parallel_execution.JOBS_VARIABLE, value)
    with pytest.raises(
        ValueError, match="CONVBN_BUILD_JOBS must be a positive integer"
    ) as err:
        parallel_execution.jobs()
    assert repr(value) in str(err.value)


def test_the_book_uses_the_extension_after_the_kernel_poll_workaround():
    extensions = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"][
        "extra_extensions"
    ]
    assert "convbn_tools.parallel_execution" in extensions
    assert extensions.index("convbn_tools.kernel_poll") < extensions.index(
        "convbn_tools.parallel_execution"
    )
