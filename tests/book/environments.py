"""Fresh virtual environments for the Binder and Colab tests (not a test module).

Both tests do what a new machine would: a virtual environment with nothing but the
interpreter, the course installed the way that service installs it, and notebooks
executed there. What they share is here: making the environment, running commands
in it with this checkout's ``PYTHONPATH`` removed (so nothing leaks in from the
developer's environment), and executing notebooks with nbclient inside it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import ROOT
from convbn_tools.colab_runtime import find_python

#: Executes one notebook inside the environment: ``python - NOTEBOOK OUT CWD
#: TIMEOUT PRELUDE LIB ERRORS`` with nbclient, the kernel the environment's own
#: ipykernel. ``PRELUDE`` (JSON, a list of code cells) is run first, in the same
#: kernel; with ``ERRORS`` ``1`` a failing cell does not stop the run. The timeout is
#: whole seconds (nbclient's trait is an Integer; traitlets 5.7, Colab's, takes no
#: float). The
#: book's kernel-message patch (``convbn_tools.kernel_poll``) is applied from this
#: checkout's lib/ to the client only: the kernel, a process of its own, does not
#: see that path.
_RUNNER = """
import json, sys
from pathlib import Path
import nbformat
from nbclient import NotebookClient

notebook, out, cwd, timeout, prelude, lib, errors = sys.argv[1:8]
sys.path.insert(0, lib)
from convbn_tools import kernel_poll
kernel_poll.patch()
sys.path.remove(lib)
nb = nbformat.read(notebook, as_version=4)
nb.cells[:0] = [nbformat.v4.new_code_cell(code) for code in json.loads(prelude)]
client = NotebookClient(
    nb, timeout=round(float(timeout)), kernel_name="python3",
    resources={"metadata": {"path": cwd}}, allow_errors=errors == "1",
)
client.execute()
nbformat.write(nb, out)
"""


def in_ci() -> bool:
    """Whether the tests run in CI: ``CI`` is set and not ``0``/``false`` (``.ci/run``
    exports ``CI=1``; GitHub Actions and most CI services set ``CI=true``)."""
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def require(condition, what: str):
    """Skip the calling test unless ``condition`` holds, saying that ``what`` is
    missing; under ``CI=1`` fail instead, so that a green CI means the test ran.

    ``what`` names the missing thing and how to get it ("git (apt-get install
    git)"). Returns ``condition`` when it holds.
    """
    if condition:
        return condition
    if in_ci():
        pytest.fail(f"CI=1 and this test cannot run: {what} is missing", pytrace=False)
    pytest.skip(f"{what} is missing")


def checkout_repository(where: Path, branch: str) -> Path:
    """A git repository at ``where/origin``, on ``branch``, of this checkout's files
    as they are (committed or not, but not ignored): it stands for the course's
    repository on GitHub, out of reach here. Its URL is ``file://<the path>``."""
    origin = Path(where) / "origin"
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
    git = ["git", "-c", "user.name=test", "-c", "user.email=test@localhost"]
    for command in (
        ["init", "--quiet", "--initial-branch", branch],
        ["add", "--all"],
        ["commit", "--quiet", "-m", "the checkout as it is"],
    ):
        subprocess.run([*git, *command], cwd=origin, check=True, capture_output=True)
    return origin


class FreshEnvironment:
    """A virtual environment made by ``python -m venv`` with the given interpreter.

    ``run`` runs a command with the environment's ``bin/`` first on ``PATH`` and
    without ``PYTHONPATH``, asserting that it succeeds; ``python`` is the
    environment's interpreter.
    """

    def __init__(self, where: Path, python: str = sys.executable):
        self.where = Path(where)
        subprocess.run([python, "-m", "venv", str(self.where)], check=True)
        self.bin = self.where / "bin"
        self.python = str(self.bin / "python")
        self.environ = {
            **os.environ,
            "PATH": f"{self.bin}{os.pathsep}{os.environ['PATH']}",
            "VIRTUAL_ENV": str(self.where),
            "MPLBACKEND": "Agg",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }
        self.environ.pop("PYTHONPATH", None)
        self.environ.pop("PYTHONHOME", None)

    def run(self, *command, cwd: Path = ROOT, timeout: float = 1200) -> str:
        """Run ``command`` in the environment; its standard output."""
        done = subprocess.run(
            [str(c) for c in command],
            cwd=cwd,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        assert done.returncode == 0, (
            f"{command}:\n{done.stdout[-2000:]}{done.stderr[-3000:]}"
        )
        return done.stdout

    def pip_install(self, *arguments) -> str:
        """``pip install --quiet <arguments>`` in the environment."""
        return self.run(self.python, "-m", "pip", "install", "--quiet", *arguments)

    def execute(
        self,
        notebook: Path,
        out: Path,
        cwd: Path,
        prelude=(),
        timeout: float = 600,
        allow_errors: bool = False,
    ) -> dict:
        """Execute ``notebook`` in a kernel of this environment, started in ``cwd``,
        after the code cells ``prelude``; write it to ``out`` and return it (JSON).

        Fails, with the cell's error, if any cell raises (unless ``allow_errors``:
        then every cell runs and the errors are in the outputs).
        """
        done = subprocess.run(
            [
                self.python,
                "-c",
                _RUNNER,
                str(notebook),
                str(out),
                str(cwd),
                str(timeout),
                json.dumps(list(prelude)),
                str(ROOT / "lib"),
                "1" if allow_errors else "0",
            ],
            cwd=cwd,
            env=self.environ,
            capture_output=True,
            text=True,
            timeout=20 * timeout,
        )
        assert done.returncode == 0, (
            f"{notebook} failed in {self.where}:\n{done.stderr[-4000:]}"
        )
        return json.loads(Path(out).read_text())


def python_version(version: str) -> str | None:
    """An interpreter of Python ``version`` (``"3.13"``), or None if there is none:
    ``python3.13`` on the PATH, or one of pyenv's ``3.13.*``."""
    return find_python(version)
