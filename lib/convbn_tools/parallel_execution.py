"""Execute the book's notebooks several at a time before Sphinx reads them.

myst-nb, in ``execute_notebooks: cache`` mode, runs each notebook that has no
matching entry in the jupyter-cache when Sphinx reads that page, one page after
another: a cold build of this book spends almost all of its time waiting for one
kernel at a time while the second core idles. Jupyter Book 1.x offers no parallel
reading (its ``build_sphinx`` always passes ``parallel=1``).

This Sphinx extension hooks ``env-before-read-docs``, when Sphinx knows which pages
it is about to read. It executes the notebooks among them that the cache cannot
answer, ``jobs`` at a time (one per core), in worker processes, exactly as
myst-nb's cache client would: the same ``single_nb_execution`` call, the same
working directory (the notebook's folder), timeout and ``allow_errors``, with the
kernel-poll workaround (:mod:`convbn_tools.kernel_poll`) applied in every worker.
Each success is stored in the cache the way myst-nb stores it, so when Sphinx then
reads the page, myst-nb finds it there ("Using cached notebook") and executes
nothing. A notebook that fails here is not stored: myst-nb executes it again when it
reads the page and reports the error through its usual path (with
``raise_on_error``, the build fails with the traceback), so failures read the same
with or without this extension.

The longest notebooks start first (their last recorded execution time, else the
reverse of reading order, since the later chapters train networks), which keeps both
workers busy until the end.

``CONVBN_BUILD_JOBS`` sets the number of workers (default: the cores this process
may use, as many as the available memory allows at 2 GB each);
``CONVBN_BUILD_JOBS=1`` turns the extension off, leaving execution to myst-nb alone.
"""

from __future__ import annotations

import multiprocessing
import os
import time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path, PurePosixPath

#: Environment variable with the number of notebooks to execute at once.
JOBS_VARIABLE = "CONVBN_BUILD_JOBS"
#: Memory set aside per notebook executing: the course's budget is 1.5 GB a notebook
#: (DESIGN.md), plus room for the worker and the build itself.
MEMORY_PER_JOB = 2 * 2**30


def _cores() -> int:
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # not Linux
        return max(1, os.cpu_count() or 1)


def _available_bytes() -> int | None:
    try:
        import psutil
    except ImportError:
        return None
    return int(psutil.virtual_memory().available)


def jobs() -> int:
    """How many notebooks to execute at once: ``CONVBN_BUILD_JOBS`` if set, else one
    per core, but no more than :data:`MEMORY_PER_JOB` each of the memory available.

    Raises ``ValueError`` naming the variable when it is set to something other than
    a positive integer.
    """
    value = os.environ.get(JOBS_VARIABLE, "").strip()
    if value:
        try:
            count = int(value)
        except ValueError:
            count = 0
        if count < 1:
            raise ValueError(
                f"{JOBS_VARIABLE} must be a positive integer (the number of notebooks "
                f"to execute at once), got {value!r}"
            )
        return count
    available = _available_bytes()
    if available is None:
        return _cores()
    return max(1, min(_cores(), available // MEMORY_PER_JOB))


def _read(path: Path):
    """The notebook as myst-nb's ``.ipynb`` reader reads it (so the hashes agree)."""
    import nbformat

    return nbformat.reads(
        path.read_text(encoding="utf-8"), as_version=nbformat.NO_CONVERT
    )


def _execute(path: str, timeout, allow_errors: bool):
    """Worker: execute one notebook in its own folder; return what myst-nb needs."""
    from jupyter_cache.executors.utils import single_nb_execution

    notebook = _read(Path(path))
    result = single_nb_execution(
        notebook,
        cwd=str(Path(path).parent.resolve()),
        allow_errors=allow_errors,
        timeout=timeout,
        meta_override=True,
    )
    return result.nb, result.time, result.exc_string


def _worker_init() -> None:
    from convbn_tools import kernel_poll

    kernel_poll.patch()


def _excluded(path: Path, patterns) -> bool:
    posix = PurePosixPath(path.as_posix())
    return any(posix.match(pattern) for pattern in patterns or ())


def pending(app, docnames) -> list[Path]:
    """The notebooks among ``docnames`` that myst-nb would execute: cache misses."""
    from jupyter_cache import get_cache

    config = app.env.mystnb_config
    if config.execution_mode != "cache":
        return []
    cache = get_cache(config.execution_cache_path)
    todo = []
    for docname in docnames:
        path = Path(app.env.doc2path(docname))
        if path.suffix != ".ipynb" or _excluded(path, config.execution_excludepatterns):
            continue
        notebook = _read(path)
        if config.metadata_key in notebook.metadata:
            continue  # per-notebook execution settings: leave it to myst-nb
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append(path)
    return todo


def _longest_first(cache, paths: list[Path]) -> list[Path]:
    seconds = {}
    for record in cache.list_cache_records():
        took = (record.data or {}).get("execution_seconds")
        if took is not None:
            seconds[str(Path(record.uri).resolve())] = float(took)
    order = {path: i for i, path in enumerate(paths)}
    return sorted(
        paths,
        key=lambda p: (-seconds.get(str(p.resolve()), -1.0), -order[p]),
    )


def execute_pending(app, env, docnames) -> None:
    """``env-before-read-docs`` handler: fill the cache for ``docnames`` in parallel."""
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn
    from sphinx.util import logging

    logger = logging.getLogger(__name__)
    count = jobs()
    todo = pending(app, docnames)
    if count < 2 or len(todo) < 2:
        return
    config = env.mystnb_config
    cache = get_cache(config.execution_cache_path)
    todo = _longest_first(cache, todo)
    workers = min(count, len(todo))
    logger.info(
        f"[convbn] executing {len(todo)} notebooks, {workers} at a time "
        f"({JOBS_VARIABLE}={count})"
    )
    start = time.monotonic()
    context = multiprocessing.get_context("spawn")
    failed = []
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_worker_init
    ) as pool:
        futures = {
            pool.submit(
                _execute,
                str(path),
                config.execution_timeout,
                config.execution_allow_errors,
            ): path
            for path in todo
        }
        for future in as_completed(futures):
            path = futures[future]
            relative = os.path.relpath(path, app.srcdir)
            try:
                notebook, seconds, error = future.result()
            except Exception as exc:  # a worker died: myst-nb will run it again
                failed.append(relative)
                logger.info(f"[convbn] {relative}: not executed here ({exc!r})")
                continue
            if error is not None:
                failed.append(relative)
                logger.info(f"[convbn] {relative} failed; myst-nb will run it again")
                continue
            stage = cache.add_nb_to_project(str(path))
            cache.cache_notebook_bundle(
                CacheBundleIn(notebook, stage.uri, data={"execution_seconds": seconds}),
                check_validity=False,
                overwrite=True,
            )
            logger.info(f"[convbn] {relative} executed in {seconds:.1f} s")
    logger.info(
        f"[convbn] {len(todo) - len(failed)} of {len(todo)} notebooks executed in "
        f"{time.monotonic() - start:.0f} s"
    )


def setup(app):
    """Sphinx entry point."""
    app.connect("env-before-read-docs", execute_pending)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
