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
"""

from __future__ import annotations

import time
from queue import Empty

#: The longest a single wait for a kernel message lasts before looking again.
SLICE_SECONDS = 1.0


def patch() -> None:
    """Make ``AsyncZMQSocketChannel.get_msg`` poll in slices of ``SLICE_SECONDS``.

    Same contract as the original: return the next message, or raise ``queue.Empty``
    when ``timeout`` seconds pass without one (``None``: wait for ever).
    """
    from jupyter_client.channels import AsyncZMQSocketChannel

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
