"""otter-grader's command line, with the kernel-message wait of ``kernel_poll``.

    python -m convbn_tools.otter assign -v master.ipynb out/
    python -m convbn_tools.otter assign --config-file config.yml master.ipynb out/
    python -m convbn_tools.otter run -a autograder.zip submission.ipynb

Same arguments and exit status as ``otter``; the differences: first,
:func:`convbn_tools.kernel_poll.patch` is applied, so a lost ZeroMQ wake-up cannot
stall otter's notebook executions (it runs them with nbclient's asyncio client,
like the book build); second, ``assign --config-file FILE`` reads an assignment
config file before the notebook's ASSIGNMENT CONFIG, as otter reads the file a
notebook names in its ``config_file`` key (otter's own loader; a key the notebook
sets wins). :mod:`convbn_tools.homework` runs otter this way, with the Gradescope
keys of :mod:`convbn_tools.gradescope`.
"""

from __future__ import annotations

import sys

from convbn_tools import kernel_poll

__all__ = ["main"]


def _config_file(argv: list[str]) -> tuple[str | None, list[str]]:
    """``(FILE, the other arguments)`` for ``assign ... --config-file FILE ...``."""
    if argv[:1] != ["assign"]:
        return None, argv
    rest, found = [], None
    arguments = iter(argv)
    for argument in arguments:
        if argument == "--config-file":
            found = next(arguments, None)
            if found is None:
                sys.exit("otter assign: --config-file needs a file")
        elif argument.startswith("--config-file="):
            found = argument.split("=", 1)[1]
        else:
            rest.append(argument)
    return found, rest


def _read_first(path: str) -> None:
    """Make ``otter assign`` load ``path`` into its assignment config before the
    notebook's ASSIGNMENT CONFIG is applied."""
    from pathlib import Path

    from otter import assign

    path = str(Path(path).resolve())  # otter assign changes into the notebook's folder
    base = assign.Assignment

    class Assignment(base):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.load_config_file(path)

    assign.Assignment = Assignment


def main(argv: list[str] | None = None) -> None:
    """Run ``otter <argv>`` (default: the command line's arguments), patched.

    Exits with otter's status, as the ``otter`` command does.
    """
    kernel_poll.patch()
    from otter.cli import cli

    config, argv = _config_file(list(sys.argv[1:] if argv is None else argv))
    if config is not None:
        _read_first(config)
    cli.main(args=argv, prog_name="otter")


if __name__ == "__main__":
    main()
