"""otter-grader's command line, with the kernel-message wait of ``kernel_poll``.

    python -m convbn_tools.otter assign -v master.ipynb out/
    python -m convbn_tools.otter run -a autograder.zip submission.ipynb

Same arguments and exit status as ``otter``; the only difference is that
:func:`convbn_tools.kernel_poll.patch` is applied first, so a lost ZeroMQ wake-up
cannot stall otter's notebook executions (it runs them with nbclient's asyncio
client, like the book build). :mod:`convbn_tools.homework` runs otter this way.
"""

from __future__ import annotations

from convbn_tools import kernel_poll

__all__ = ["main"]


def main(argv: list[str] | None = None) -> None:
    """Run ``otter <argv>`` (default: the command line's arguments), patched.

    Exits with otter's status, as the ``otter`` command does.
    """
    kernel_poll.patch()
    from otter.cli import cli

    cli.main(args=argv, prog_name="otter")


if __name__ == "__main__":
    main()
