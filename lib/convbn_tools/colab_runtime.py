"""Colab's runtime as data: ``tests/book/colab_runtime.txt``, and its refresh.

Google publishes what Colab's runtime has in the public repository
googlecolab/backend-info: ``os-info.txt`` (the Python version), ``pip-freeze.txt``
(``pip freeze`` of the CPU runtime) and ``pip-freeze.tpu.txt`` (the TPU runtime).
The Colab test (``tests/book/test_colab.py``) builds its environment from the file
this module writes, never from a guess:

- a header naming the snapshot: the repository, the files, the commit, its date and
  subject, the Python version, and what the TPU runtime lacks of the course;
- the lines of ``pip-freeze.txt``, as written there, of the packages the course
  touches: what the Colab cells ask for (:func:`convbn_tools.colab.colab_requirements`,
  otter's requirements), what they keep (ipywidgets, TensorFlow), the kernel stack
  students' cells run in and the notebook runner (:data:`KERNEL`), and everything
  those need, as pip resolves them on Colab's Python, at Colab's versions.

Refresh it from a newer snapshot (a maintainer's command; tests never fetch)::

    python -m convbn_tools.colab runtime --from PATH_TO_A_CLONE [--commit SHA]
    python -m convbn_tools.colab runtime --from FOLDER --commit SHA --date YYYY-MM-DD
    python -m convbn_tools.colab runtime --from https://github.com/googlecolab/backend-info

``PATH_TO_A_CLONE`` is a git clone (or bare git directory) of backend-info;
``FOLDER`` holds ``pip-freeze.txt`` and ``os-info.txt`` (and ``pip-freeze.tpu.txt``)
downloaded by hand; the URL form downloads them (network). Finding every dependency
asks PyPI through pip (``pip install --dry-run``) with an interpreter of Colab's
Python version (``--python``, default ``python3.13`` for 3.13).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tempfile
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

__all__ = [
    "SOURCE",
    "FILES",
    "RUNTIME_FILE",
    "KERNEL",
    "Runtime",
    "parse_freeze",
    "parse_python",
    "course_packages",
    "snapshot",
    "resolve",
    "make_runtime",
    "render",
    "parse",
    "read",
    "changes",
    "find_python",
    "main",
]

#: The repository Google publishes Colab's runtime in.
SOURCE = "https://github.com/googlecolab/backend-info"
#: Its files this module reads: Python's version, the CPU runtime's and the TPU's.
FILES = ("os-info.txt", "pip-freeze.txt", "pip-freeze.tpu.txt")
#: Where the course keeps the runtime, relative to its top folder.
RUNTIME_FILE = "tests/book/colab_runtime.txt"
#: What runs the cells: the kernel students' cells run in (Colab's own ipykernel and
#: IPython), the notebook runner of the test, and the pip that the cells call.
KERNEL = (
    "ipykernel",
    "ipython",
    "jupyter-client",
    "jupyter-core",
    "traitlets",
    "tornado",
    "pyzmq",
    "nbclient",
    "nbformat",
    "pip",
    "setuptools",
)

_HEADER = re.compile(r"# (source|files|commit|date|subject|python|tpu-lacks): ?(.*)")
_COMMIT = re.compile(r"[0-9a-f]{40}")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


@dataclass(frozen=True)
class Runtime:
    """One snapshot of Colab's runtime: where it comes from and its pins.

    ``pins`` maps a canonical package name (``jupyter-client``) to its
    ``pip-freeze.txt`` line (``jupyter_client==7.4.9``); ``tpu_lacks`` are the course's
    packages the TPU runtime does not have.
    """

    commit: str
    date: str
    subject: str
    python: str
    pins: dict = field(default_factory=dict)
    tpu_lacks: tuple = ()
    source: str = SOURCE

    def version(self, name: str) -> str | None:
        """Colab's version of the package ``name``, or None if it has none here."""
        line = self.pins.get(canonicalize_name(name))
        return line.split("==", 1)[1] if line else None

    @property
    def python_minor(self) -> str:
        """``"3.13"`` of ``"3.13.15"``."""
        return ".".join(self.python.split(".")[:2])

    def requirements(self, exclude=()) -> list[str]:
        """The pins as pip requirements, but those of the packages ``exclude``."""
        skip = {canonicalize_name(n) for n in exclude}
        return [line for name, line in self.pins.items() if name not in skip]


def parse_freeze(text: str) -> dict[str, str]:
    """``{canonical name: line}`` of the ``name==version`` lines of ``pip freeze``.

    Comments and direct references (``name @ url``: Colab's own packages, wheels
    from elsewhere) are left out; anything else raises ``ValueError``.
    """
    pins = {}
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#") or " @ " in line:
            continue
        name, equals, version = line.partition("==")
        if not equals or not re.fullmatch(r"[A-Za-z0-9._-]+", name) or not version:
            raise ValueError(f"pip-freeze.txt line {number}: {raw!r} is not name==ver")
        pins[canonicalize_name(name)] = line
    return pins


def parse_python(os_info: str) -> str:
    """The Python version (``3.13.15``) in ``os-info.txt``'s ``Python X.Y.Z`` line."""
    found = re.search(r"^Python (\d+\.\d+\.\d+)\s*$", os_info, re.M)
    if not found:
        raise ValueError("os-info.txt has no 'Python X.Y.Z' line")
    return found.group(1)


def course_packages(root: str | Path = ".") -> list[str]:
    """The requirements the Colab cells start from, in the cells' words: the
    course's (:func:`~convbn_tools.colab.colab_requirements`), those of otter the
    student cell installs, and what the cells keep of Colab's (ipywidgets,
    TensorFlow)."""
    from convbn_tools import colab

    otter_needs, _ = colab.otter_requirements()
    return [*colab.colab_requirements(root), *otter_needs, *colab.KEPT, "tensorflow"]


def _git(where: str, *arguments) -> str:
    done = subprocess.run(
        ["git", "-C", where, *arguments], capture_output=True, text=True
    )
    if done.returncode != 0:
        raise ValueError(f"git {' '.join(arguments)} in {where}: {done.stderr.strip()}")
    return done.stdout


def _is_git(path: Path) -> bool:
    """Whether ``path`` is a git clone's top folder or a bare git directory."""
    bare = (path / "HEAD").is_file() and (path / "objects").is_dir()
    return (path / ".git").exists() or bare


def _download(url: str) -> str:
    with urllib.request.urlopen(url, timeout=60) as answer:  # a maintainer's command
        return answer.read().decode()


def snapshot(
    source: str, commit: str | None = None, date: str | None = None, fetch=_download
) -> dict:
    """The snapshot ``source`` names: ``{"files": {name: text}, "commit", "date",
    "subject", "source"}``.

    ``source`` is a git directory of backend-info (``commit`` defaults to its HEAD;
    date and subject come from git), a folder holding the files, or a
    ``pip-freeze.txt`` in one (``commit`` and ``date`` required), or the repository's
    ``https://github.com/OWNER/NAME`` address (downloads with ``fetch``; ``commit``
    defaults to the default branch's newest). ``pip-freeze.tpu.txt`` may be absent.
    """
    if date is not None and not _DATE.fullmatch(date):
        raise ValueError(f"date must be YYYY-MM-DD, got {date!r}")
    files = {}
    if source.startswith("https://"):
        found = re.fullmatch(r"https://github\.com/([\w.-]+/[\w.-]+?)/?", source)
        if not found:
            raise ValueError(f"{source!r} is not a https://github.com/OWNER/NAME URL")
        name = found.group(1)
        api = f"https://api.github.com/repos/{name}/commits/{commit or 'HEAD'}"
        described = json.loads(fetch(api))
        commit = described["sha"]
        date = date or described["commit"]["committer"]["date"][:10]
        subject = described["commit"]["message"].splitlines()[0]
        for file in FILES:
            raw = f"https://raw.githubusercontent.com/{name}/{commit}/{file}"
            try:
                files[file] = fetch(raw)
            except OSError:
                if file != FILES[-1]:
                    raise
        origin = f"https://github.com/{name}"
    elif _is_git(Path(source)):
        log = _git(source, "log", "-1", "--format=%H%n%cs%n%s", commit or "HEAD")
        commit, git_date, subject = (log.splitlines() + ["", "", ""])[:3]
        date = date or git_date
        listed = _git(source, "ls-tree", "--name-only", commit).split()
        for file in FILES:
            if file in listed:
                files[file] = _git(source, "show", f"{commit}:{file}")
        origin = SOURCE
    else:
        folder = Path(source)
        folder = folder.parent if folder.is_file() else folder
        if commit is None or not _COMMIT.fullmatch(commit) or date is None:
            raise ValueError(
                "a folder of files has no history: give the snapshot's --commit (40 "
                "hex digits) and --date (from backend-info's git log)"
            )
        for file in FILES:
            if (folder / file).is_file():
                files[file] = (folder / file).read_text()
        subject, origin = "", SOURCE
    missing = [f for f in FILES[:2] if f not in files]
    if missing:
        raise ValueError(f"{source}: no {' or '.join(missing)} in the snapshot")
    return {
        "files": files,
        "commit": commit,
        "date": date,
        "subject": subject,
        "source": origin,
    }


def resolve(requirements, constraints, python: str) -> list[str]:
    """The canonical names of every package pip installs for ``requirements`` with
    ``constraints`` on the interpreter ``python`` (``pip install --dry-run``, which
    asks the package index but installs nothing)."""
    with tempfile.TemporaryDirectory() as folder:
        wanted = Path(folder, "requirements.txt")
        pinned = Path(folder, "constraints.txt")
        report = Path(folder, "report.json")
        wanted.write_text("\n".join(requirements) + "\n")
        pinned.write_text("\n".join(constraints) + "\n")
        done = subprocess.run(
            [
                python,
                *("-m", "pip", "install", "--dry-run", "--ignore-installed"),
                *("--quiet", "--report", report, "-r", wanted, "-c", pinned),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode != 0:
            raise RuntimeError(f"pip could not resolve Colab's pins:\n{done.stderr}")
        installs = json.loads(report.read_text())["install"]
    return sorted(canonicalize_name(i["metadata"]["name"]) for i in installs)


def make_runtime(found: dict, wanted, python: str, resolver=None) -> Runtime:
    """The :class:`Runtime` of the snapshot ``found`` (:func:`snapshot`) for the
    requirements ``wanted`` (:func:`course_packages`) and :data:`KERNEL`.

    Each of them is pinned to Colab's version when Colab has it, the rest of Colab's
    pins constrain their dependencies, and ``resolver(seeds, constraints, python)``
    (default :func:`resolve`: pip on the interpreter ``python``) names everything
    that takes; Colab's lines of those are the pins.
    """
    freeze = parse_freeze(found["files"]["pip-freeze.txt"])
    version = parse_python(found["files"]["os-info.txt"])
    seeds = []
    for line in [*wanted, *KERNEL]:
        name = canonicalize_name(Requirement(line).name)
        seeds.append(freeze.get(name, line))
    seeded = {canonicalize_name(Requirement(s).name) for s in seeds}
    constraints = [line for name, line in freeze.items() if name not in seeded]
    names = (resolver or resolve)(seeds, constraints, python)
    pins = {name: freeze[name] for name in sorted(names) if name in freeze}
    tpu_lacks = ()
    if "pip-freeze.tpu.txt" in found["files"]:
        tpu = parse_freeze(found["files"]["pip-freeze.tpu.txt"])
        tops = [canonicalize_name(Requirement(w).name) for w in wanted]
        tpu_lacks = tuple(sorted({n for n in tops if n in freeze and n not in tpu}))
    return Runtime(
        commit=found["commit"],
        date=found["date"],
        subject=found["subject"],
        python=version,
        pins=pins,
        tpu_lacks=tpu_lacks,
        source=found["source"],
    )


def render(runtime: Runtime) -> str:
    """The text of the runtime file (:func:`parse` reads it back)."""
    head = [
        "# Colab's runtime, as Google publishes it: what the Colab test installs.",
        "# Made by `python -m convbn_tools.colab runtime --from SNAPSHOT` (see",
        "# CONTRIBUTING.md, 'Colab'); do not edit by hand.",
        f"# source: {runtime.source}",
        f"# files: {', '.join(FILES)}",
        f"# commit: {runtime.commit}",
        f"# date: {runtime.date}",
        f"# subject: {runtime.subject}",
        f"# python: {runtime.python}",
        f"# tpu-lacks: {' '.join(runtime.tpu_lacks)}",
        "# The lines of pip-freeze.txt of what the course touches: the Colab cells'",
        "# requirements, what they keep, the kernel stack and the notebook runner, and",
        "# their dependencies.",
    ]
    return "\n".join([*head, *runtime.pins.values()]) + "\n"


def parse(text: str) -> Runtime:
    """The :class:`Runtime` of a runtime file's ``text``; ``ValueError`` if a header
    line is missing or a pin is malformed."""
    header = {}
    for line in text.splitlines():
        found = _HEADER.fullmatch(line.rstrip())
        if found:
            header[found.group(1)] = found.group(2).strip()
    for key in ("source", "commit", "date", "python"):
        if not header.get(key):
            raise ValueError(f"the runtime file has no '# {key}:' line")
    if not _COMMIT.fullmatch(header["commit"]):
        raise ValueError(f"'# commit:' must be 40 hex digits, got {header['commit']!r}")
    if not re.fullmatch(r"\d+\.\d+\.\d+", header["python"]):
        raise ValueError(f"'# python:' must be X.Y.Z, got {header['python']!r}")
    return Runtime(
        commit=header["commit"],
        date=header["date"],
        subject=header.get("subject", ""),
        python=header["python"],
        pins=parse_freeze(text),
        tpu_lacks=tuple(header.get("tpu-lacks", "").split()),
        source=header["source"],
    )


def read(root: str | Path = ".") -> Runtime:
    """The runtime file of the course at ``root``."""
    return parse((Path(root) / RUNTIME_FILE).read_text())


def changes(requirements, runtime: Runtime) -> dict[str, str]:
    """What pip does to Colab's packages for ``requirements``: ``{name: "upgrade"}``
    where Colab's version is below what a line asks, ``{name: "downgrade"}`` where a
    line's upper bound or exact pin excludes it. Packages Colab lacks or whose
    version satisfies the line are not listed."""
    from packaging.version import Version

    found = {}
    for line in requirements:
        requirement = Requirement(str(line))
        have = runtime.version(requirement.name)
        if have is None or requirement.specifier.contains(have, prereleases=True):
            continue
        broken = [
            s for s in requirement.specifier if not s.contains(have, prereleases=True)
        ]
        upward = all(
            s.operator in (">", ">=")
            or (s.operator == "==" and Version(s.version.rstrip(".*")) > Version(have))
            for s in broken
        )
        found[canonicalize_name(requirement.name)] = (
            "upgrade" if upward else "downgrade"
        )
    return found


def find_python(minor: str) -> str | None:
    """An interpreter of Python ``minor`` (``"3.13"``) with ``venv``, or None:
    ``python3.13`` on the PATH, or one of pyenv's ``3.13.*``."""
    candidates = [shutil.which(f"python{minor}")]
    candidates += sorted(Path.home().glob(f".pyenv/versions/{minor}.*/bin/python3"))
    for candidate in filter(None, candidates):
        done = subprocess.run(
            [
                str(candidate),
                *("-c", "import sys, venv; print(*sys.version_info[:2], sep='.')"),
            ],
            capture_output=True,
            text=True,
        )
        if done.returncode == 0 and done.stdout.strip() == minor:
            return str(candidate)
    return None


def main(argv: list[str] | None = None) -> int:
    """``python -m convbn_tools.colab runtime``: write the runtime file."""
    parser = argparse.ArgumentParser(
        prog="python -m convbn_tools.colab runtime",
        description="Write tests/book/colab_runtime.txt from a snapshot of "
        "googlecolab/backend-info.",
    )
    parser.add_argument(
        "--from",
        dest="source",
        required=True,
        help="a git clone of backend-info, a folder with its pip-freeze.txt and "
        f"os-info.txt, or its URL ({SOURCE}; downloads)",
    )
    parser.add_argument("--commit", help="the snapshot (default: the newest)")
    parser.add_argument("--date", help="the snapshot's date, YYYY-MM-DD (folders)")
    parser.add_argument("--root", default=".", help="the course's top folder")
    parser.add_argument(
        "--python", help="an interpreter of Colab's Python version, to resolve with"
    )
    options = parser.parse_args(argv)
    found = snapshot(options.source, options.commit, options.date)
    minor = ".".join(parse_python(found["files"]["os-info.txt"]).split(".")[:2])
    python = options.python or find_python(minor)
    if python is None:
        parser.error(f"no Python {minor} (Colab's) found: give one with --python")
    runtime = make_runtime(found, course_packages(options.root), python)
    out = Path(options.root) / RUNTIME_FILE
    out.write_text(render(runtime))
    print(
        f"{out}: {len(runtime.pins)} packages of Colab's runtime at "
        f"{runtime.commit[:12]} ({runtime.date}), Python {runtime.python}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
