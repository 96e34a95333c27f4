"""Keep notebook execution from stalling on a missed ZeroMQ wake-up.

Works around jupyter/nbclient#312 (https://github.com/jupyter/nbclient/issues/312:
cell execution with nbclient sometimes blocks). What we see, with pyzmq 27 and
jupyter_client 8: nbclient's asyncio client waits for a kernel message that has
already arrived (the wake-up was lost), the kernel sits idle, and the build waits
for the whole cell timeout and then fails. We measured it on this course's
notebooks: running the chapter notebooks in a loop with plain nbclient stalled
within a few notebooks, and one cold ``jupyter-book build`` in two stalled. Polling
in one-second slices (below) makes a lost wake-up cost at most a second: with it,
six cold builds in a row and over sixty notebook executions never stalled. nbval
uses the blocking client and is not affected.

A separate, kernel-side bug with the same symptom (ipython/ipykernel#1554) is
avoided by the ``ipykernel<7`` pin in requirements.txt. CONTRIBUTING.md, section
"Known upstream bugs and their workarounds", describes both side by side, and when
each workaround can go.

Used as a Sphinx extension (``_config.yml``: ``sphinx: extra_extensions``), so every
book build gets it; ``python -m convbn_tools.otter`` applies it before otter runs,
and :func:`patch` can be called directly before running nbclient (as
``benchmarks/notebooks.py`` does).

A reader who runs a notebook by hand (``jupyter nbconvert --execute``, papermill)
gets plain nbclient, which can meet the stall (about one run in seventy): the cell
has finished, the kernel is idle, and the command waits for the whole cell timeout.
This module is also that command, with the patch applied (README, "Troubleshooting")::

    python -m convbn_tools.kernel_poll chapters/04_*/index.ipynb --inplace
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path
from queue import Empty

#: The longest a single wait for a kernel message lasts before looking again.
SLICE_SECONDS = 1.0


def patch() -> None:
    """Make ``AsyncZMQSocketChannel.get_msg`` poll in slices of ``SLICE_SECONDS``.

    Same contract as the original: return the next message, or raise ``queue.Empty``
    when ``timeout`` seconds pass without one (``None``: wait for ever).
    """
    from jupyter_client import channels

    # jupyter_client 8 names its asyncio channel AsyncZMQSocketChannel; in 7 (Colab's
    # 7.4.9) ZMQSocketChannel is that channel, with the same get_msg and _recv.
    AsyncZMQSocketChannel = getattr(
        channels, "AsyncZMQSocketChannel", channels.ZMQSocketChannel
    )
    if getattr(AsyncZMQSocketChannel.get_msg, "_convbn_sliced", False):
        return

    # Works around jupyter/nbclient#312 (see the module docstring and
    # CONTRIBUTING.md): a wait cut into slices re-polls the socket, so a lost
    # wake-up costs at most SLICE_SECONDS.
    async def get_msg(self, timeout: float | None = None):
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            if deadline is None:
                wait = SLICE_SECONDS
            else:
                wait = min(SLICE_SECONDS, max(deadline - time.monotonic(), 0.0))
            if await self.socket.poll(int(wait * 1000)):
                return await self._recv()
            if deadline is not None and time.monotonic() >= deadline:
                raise Empty

    get_msg._convbn_sliced = True
    AsyncZMQSocketChannel.get_msg = get_msg


def setup(app):
    """Sphinx entry point: patch before myst-nb executes any notebook."""
    patch()
    return {"parallel_read_safe": True, "parallel_write_safe": True}


def execute(path: Path, output: Path, timeout: float) -> None:
    """Run the notebook at ``path`` in its own folder with nbclient, patched, and
    write it, with its outputs, to ``output``; a failing cell raises (nbclient's
    ``CellExecutionError`` names the cell and the error)."""
    import nbformat
    from nbclient import NotebookClient

    patch()
    notebook = nbformat.read(path, as_version=4)
    client = NotebookClient(
        notebook,
        timeout=timeout,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent.resolve())}},
    )
    client.execute()
    nbformat.write(notebook, output)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m convbn_tools.kernel_poll",
        description="Execute notebooks as `jupyter nbconvert --execute` would, "
        "without nbclient's stall on a lost kernel message (jupyter/nbclient#312).",
    )
    parser.add_argument("notebooks", nargs="+", type=Path, metavar="NOTEBOOK")
    where = parser.add_mutually_exclusive_group()
    where.add_argument(
        "--inplace", action="store_true", help="write the outputs into the notebook"
    )
    where.add_argument(
        "--output-dir",
        type=Path,
        help="write each executed notebook here (default: NAME.executed.ipynb "
        "beside it)",
    )
    parser.add_argument(
        "--timeout", type=float, default=600, help="seconds a cell may take (600)"
    )
    options = parser.parse_args(argv)
    missing = [str(p) for p in options.notebooks if not p.is_file()]
    if missing:
        parser.error("no such notebook: " + ", ".join(missing))
    if options.timeout <= 0:
        parser.error(
            f"--timeout must be a positive number of seconds, got {options.timeout}"
        )
    for path in options.notebooks:
        if options.inplace:
            output = path
        elif options.output_dir is not None:
            options.output_dir.mkdir(parents=True, exist_ok=True)
            output = options.output_dir / path.name
        else:
            output = path.with_suffix(".executed.ipynb")
        execute(path, output, options.timeout)
        print(f"{path} -> {output}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
