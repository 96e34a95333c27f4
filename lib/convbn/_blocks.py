"""The layer's big computations, a block of images at a time, on every core.

:func:`conv2d` and its relatives (``convbn._layer``) cut the batch into blocks of a
few images: a block's patch matrix and products stay in the processor's cache
between the operation that writes them and the one that reads them, and memory
holds one block's patch matrix per thread instead of the whole batch's.

The blocks run on as many threads as numpy's BLAS would use (its default is one per
core; ``OPENBLAS_NUM_THREADS`` and threadpoolctl's limits lower it). numpy releases
the GIL inside array operations and matrix products, so plain threads run in
parallel. Meanwhile BLAS itself is kept to one thread (threadpoolctl, which
scikit-learn brings): the blocks are the parallelism, and a product split across
cores that other programs also use waits for its slowest part, while a free thread
simply takes the next block. Without threadpoolctl the blocks run one after the
other, each product on BLAS's own threads.
"""

from __future__ import annotations

import threading

# A block's arrays (its patch matrix, its products) hold about this many bytes: a
# few images of the course's layers, within the processor's caches. Measured on the
# benchmarks' layers (benchmarks/convolution.py): 2 MiB blocks cost conv2d_backward
# 20 % and conv2d_transpose 25 % more time, 8 MiB blocks grouped conv2d 50 % more.
BLOCK_BYTES = 2**22

_blas = []  # threadpoolctl's controller of the BLAS libraries, made on first use


def blocks(n_images: int, rows_per_image: int, row_bytes: int):
    """Slices of the images, and of the rows they give, about BLOCK_BYTES each.

    Each image gives ``rows_per_image`` rows of ``row_bytes`` bytes (of a patch
    matrix, or of an output).
    """
    step = max(1, BLOCK_BYTES // max(1, rows_per_image * row_bytes))
    return [
        (slice(start, stop), slice(start * rows_per_image, stop * rows_per_image))
        for start in range(0, n_images, step)
        for stop in [min(start + step, n_images)]
    ]


def _blas_controller():
    if not _blas:
        try:
            from threadpoolctl import ThreadpoolController
        except ImportError:  # pragma: no cover - scikit-learn requires it
            _blas.append(None)
        else:
            _blas.append(ThreadpoolController().select(user_api="blas"))
    return _blas[0]


def run(work, block_list) -> None:
    """Call ``work(images, rows)`` for every block of :func:`blocks`, on as many
    threads as BLAS would use, BLAS single-threaded meanwhile. Blocks must write
    to disjoint places; the first exception raised in any thread is raised here."""
    blas = _blas_controller()
    threads = 1
    if blas is not None and blas.lib_controllers:
        threads = min(
            len(block_list), max(lib.num_threads for lib in blas.lib_controllers)
        )
    if threads <= 1:
        for block in block_list:
            work(*block)
        return
    pending, lock, errors = iter(block_list), threading.Lock(), []

    def worker():
        while not errors:
            with lock:
                block = next(pending, None)
            if block is None:
                return
            try:
                work(*block)
            except BaseException as error:  # re-raised in the calling thread
                errors.append(error)

    with blas.limit(limits=1):
        helpers = [threading.Thread(target=worker) for _ in range(threads - 1)]
        for helper in helpers:
            helper.start()
        worker()  # the calling thread takes blocks too
        for helper in helpers:
            helper.join()
    if errors:
        raise errors[0]
