"""The Gradescope autograder through otter's own configuration.

Gradescope builds its grading image with the autograder zip's ``setup.sh``, which
creates a conda environment from the zip's ``environment.yml``. ``otter assign``
writes that file from its ASSIGNMENT CONFIG (``otter/assign/assignment.py``): left
alone, it holds otter's default Python (newer than the one this course is tested
with) and otter-grader, and no ``convbn``, whose ``convbn.checks`` every test of
every chapter imports, so every student would get zero.

:func:`assignment_config` generates the keys otter reads for that image from
``_config.yml`` and ``requirements.txt``:

- ``python_version``: :data:`PYTHON`, the version CI tests;
- ``requirements``: the course's package from its repository, as the Colab cell
  gets it (``_config.yml``'s ``repository: url`` and ``branch``), and the lines of
  ``requirements.txt`` for :data:`GRADING` (TensorFlow and Keras for the checkers
  of chapters 8 to 12, and the ``ipykernel<7`` pin: otter executes the notebook in
  a kernel there too, see CONTRIBUTING.md, "Known upstream bugs"); otter puts them
  after its own pin (``overwrite_requirements: false``);
- ``environment``: a conda file otter merges with its own, with conda-forge's
  ``git`` when the package comes from a ``git+`` URL: pip needs the ``git`` program
  for that, and neither otter's ``setup.sh`` nor its local grading image installs
  it.

:func:`write_config` writes them as an otter config file, which ``python -m
convbn_tools.otter assign --config-file FILE`` loads as otter loads a
``config_file`` (a key of the notebook's own ASSIGNMENT CONFIG wins);
``python -m convbn.homework`` does this for every chapter, and ``--convbn SPEC``
replaces the package's source (a released version, a wheel's URL, a fork).
"""

from __future__ import annotations

from pathlib import Path

import yaml
from packaging.requirements import InvalidRequirement, Requirement

from convbn_tools import colab

__all__ = [
    "PYTHON",
    "GRADING",
    "GIT",
    "package_source",
    "requirements",
    "environment",
    "assignment_config",
    "write_config",
]

#: The Python version of the grading image, the one CI tests the course with.
PYTHON = "3.11"
#: Lines of ``requirements.txt`` the grading image needs beyond the package's own
#: dependencies.
GRADING = ("tensorflow", "keras", "ipykernel")
#: The conda package that gives the image the ``git`` program (conda-forge's).
GIT = "git"


def package_source(root: str | Path = ".") -> str:
    """The course's package as pip installs it from ``_config.yml``'s repository."""
    url, branch = colab.repository(root)
    return f"convbn @ git+{url}@{branch}"


def _package(source: str) -> Requirement:
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
    return package


def requirements(root: str | Path = ".", source: str | None = None) -> list[str]:
    """What the grading image installs with pip, besides otter: the package (from
    ``source``, default :func:`package_source`) and the lines of ``requirements.txt``
    for :data:`GRADING`.

    Raises ``ValueError`` when ``source`` is not a requirement of a package named
    ``convbn``, or when ``requirements.txt`` lacks one of :data:`GRADING`.
    """
    root = Path(root)
    source = package_source(root) if source is None else source
    package = _package(source)
    return [str(package), *colab.requirement_lines(root, GRADING)]


def environment(source: str) -> dict | None:
    """The conda environment otter merges with its own for the package ``source``
    (a pip requirement): conda-forge's :data:`GIT` when pip installs it from a
    ``git+`` URL, otherwise None (nothing to add)."""
    url = _package(source).url or ""
    if not url.startswith("git+"):
        return None
    return {"channels": ["conda-forge"], "dependencies": [GIT]}


def assignment_config(
    root: str | Path = ".",
    source: str | None = None,
    environment_file: str | Path | None = None,
) -> dict:
    """otter's ASSIGNMENT CONFIG keys for the grading image: ``python_version``,
    ``requirements`` (:func:`requirements`), ``overwrite_requirements`` (false:
    after otter's own pin) and, when ``environment_file`` is given (the path of
    :func:`environment` written out), ``environment``."""
    config = {
        "python_version": PYTHON,
        "requirements": requirements(root, source),
        "overwrite_requirements": False,
    }
    if environment_file is not None:
        config["environment"] = str(Path(environment_file).resolve())
    return config


def write_config(
    folder: str | Path, root: str | Path = ".", source: str | None = None
) -> Path:
    """Write the assignment config (and its conda file, if any) into ``folder``,
    which must not be an output folder of ``otter assign`` (otter copies the conda
    file into the autograder folder); return the config file's path, for
    ``python -m convbn_tools.otter assign --config-file``."""
    folder = Path(folder)
    source = package_source(root) if source is None else source
    conda = environment(source)
    conda_file = None
    if conda is not None:
        conda_file = folder / "gradescope-environment.yml"
        conda_file.write_text(yaml.safe_dump(conda, sort_keys=False))
    config = assignment_config(root, source, conda_file)
    path = folder / "gradescope-assignment.yml"
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
