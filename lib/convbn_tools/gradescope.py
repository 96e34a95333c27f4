"""The autograder zip that Gradescope can build: Python 3.11 and the course's package.

``otter assign`` writes ``exercises-autograder_*.zip``; Gradescope builds its grading
image from the zip's ``setup.sh``, which creates a conda environment from the zip's
``environment.yml``: otter's own default is a Python newer than the one this course
is tested with, and otter-grader alone, with no ``convbn``. Every test of every
chapter starts with ``from convbn.checks import ...``, so such an image would give
every student zero.

:func:`configure_zip` rewrites that ``environment.yml`` in place:

- ``python=`` :data:`PYTHON` (the version CI tests);
- after otter's own pin, the course's package from its repository, as the Colab cell
  gets it (``_config.yml``'s ``repository: url`` and ``branch``), with the package's
  dependencies (``pyproject.toml``), and the lines of ``requirements.txt`` for
  :data:`GRADING` (TensorFlow and Keras for the checkers of chapters 8 to 12, and
  the ``ipykernel<7`` pin: otter executes the notebook in a kernel there too, see
  CONTRIBUTING.md, "Known upstream bugs").

``python -m convbn.homework`` does this for every zip it makes; ``--convbn SPEC``
replaces the package's source (a released version, a wheel's URL, a fork).
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from convbn_tools import colab

__all__ = ["PYTHON", "GRADING", "package_source", "requirements", "configure_zip"]

#: The Python version of the grading image, the one CI tests the course with.
PYTHON = "3.11"
#: Lines of ``requirements.txt`` the grading image needs beyond the package's own
#: dependencies.
GRADING = ("tensorflow", "keras", "ipykernel")


def package_source(root: str | Path = ".") -> str:
    """The course's package as pip installs it from ``_config.yml``'s repository."""
    url, branch = colab.repository(root)
    return f"convbn @ git+{url}@{branch}"


def requirements(root: str | Path = ".", source: str | None = None) -> list[str]:
    """What the grading image installs with pip, besides otter: the package (from
    ``source``, default :func:`package_source`) and the lines of ``requirements.txt``
    for :data:`GRADING`.

    Raises ``ValueError`` when ``source`` is not a requirement of a package named
    ``convbn``, or when ``requirements.txt`` lacks one of :data:`GRADING`.
    """
    root = Path(root)
    source = package_source(root) if source is None else source
    try:
        package = Requirement(source)
    except InvalidRequirement as error:
        raise ValueError(
            f"source must be a pip requirement for convbn (e.g. 'convbn==0.1.0' or "
            f"'convbn @ https://.../convbn-0.1.0-py3-none-any.whl'), got {source!r}"
        ) from error
    if package.name != "convbn":
        raise ValueError(
            f"source must be a requirement for the package convbn, got {source!r} "
            f"(a requirement for {package.name!r})"
        )
    return [str(package), *colab.requirement_lines(root, GRADING)]


def _environment(text: str, pip: list[str]) -> tuple[str, list[str]]:
    environment = yaml.safe_load(text)
    dependencies = environment.get("dependencies") if environment else None
    if not isinstance(dependencies, list):
        raise ValueError("the zip's environment.yml has no list of dependencies")
    pythons = [
        i
        for i, item in enumerate(dependencies)
        if isinstance(item, str) and item.split("=")[0].strip() == "python"
    ]
    sections = [item for item in dependencies if isinstance(item, dict)]
    if len(pythons) != 1 or len(sections) != 1 or "pip" not in sections[0]:
        raise ValueError(
            "the zip's environment.yml must name python once and have one pip "
            f"section (otter-grader's layout), got {dependencies!r}"
        )
    dependencies[pythons[0]] = f"python={PYTHON}"
    names = {Requirement(line).name for line in pip}
    kept = [line for line in sections[0]["pip"] if Requirement(line).name not in names]
    sections[0]["pip"] = kept + pip
    return yaml.safe_dump(environment, sort_keys=False), sections[0]["pip"]


def configure_zip(path: str | Path, pip: list[str]) -> list[str]:
    """Rewrite the autograder zip at ``path``: Python :data:`PYTHON` and ``pip`` (from
    :func:`requirements`) in its ``environment.yml``. Returns the zip's pip list.

    The zip is rewritten whole, every other member unchanged, and replaced only once
    the new one is complete.
    """
    path = Path(path)
    if not zipfile.is_zipfile(path):
        raise ValueError(f"path must be an otter autograder zip, got {path}")
    with zipfile.ZipFile(path) as old:
        if "environment.yml" not in old.namelist():
            raise ValueError(f"{path} has no environment.yml: not an autograder zip")
        members = [(info, old.read(info)) for info in old.infolist()]
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as new:
        for info, data in members:
            if info.filename == "environment.yml":
                text, written = _environment(data.decode(), pip)
                data = text.encode()
            new.writestr(info, data)
    partial = path.with_name(path.name + ".partial")
    partial.write_bytes(buffer.getvalue())
    partial.replace(path)
    return written
