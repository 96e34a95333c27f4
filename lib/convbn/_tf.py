"""Import Keras (TensorFlow backend) without TensorFlow's C++ start-up log lines.

TensorFlow 2.21 writes "oneDNN custom operations are on", "Could not find cuda
drivers" and "failed call to cuInit" straight to file descriptor 2 while it loads and
when it first looks for devices, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect. In a
notebook those lines become red stderr boxes in the book. :func:`import_keras` loads
TensorFlow and initialises its devices with descriptor 2 pointed at /dev/null, then
restores it; TensorFlow's Python logger is set to show errors only.
"""

from __future__ import annotations

import contextlib
import os
import sys


@contextlib.contextmanager
def _silenced_fd2():
    sys.stderr.flush()
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 2)
            yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)


def import_keras():
    """Return the ``keras`` module with TensorFlow loaded quietly.

    Used in chapters 3, 6 and 8-12.
    """
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    os.environ.setdefault("KERAS_BACKEND", "tensorflow")
    with _silenced_fd2():
        import keras
        import tensorflow as tf

        tf.config.list_physical_devices()
        tf.constant(0.0) + 1.0  # the first op initialises the (absent) GPU platform
    # Python-level TensorFlow notices ("5 out of the last 5 calls ... triggered
    # tf.function retracing" when a chapter builds many small models) would print
    # into the book; errors still show.
    tf.get_logger().setLevel("ERROR")
    return keras
