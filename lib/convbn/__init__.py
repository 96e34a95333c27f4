"""convbn: the tested package behind "From Convolution to Batch Normalization".

One module per concept (see the README's table): ``convolution``, ``pooling``,
``batchnorm``, ``losses``, ``activations``, ``experiments``, ``datasets``,
``plotting``, ``widgets``, ``checks``. The book's build extensions and the
instructor's homework command are not part of it: they live in ``convbn_tools``,
which no notebook imports (``python -m convbn.homework`` forwards there).
Importing ``convbn`` also sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless already set) so
that TensorFlow, if a chapter imports it afterwards, does not flood the notebook with
C++ log lines.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import (
    batchnorm,
    checks,
    convolution,
    datasets,
    losses,
    plotting,
    pooling,
)
from ._tf import import_keras

__version__ = "0.1.0"
__all__ = [
    "batchnorm",
    "checks",
    "convolution",
    "datasets",
    "experiments",
    "import_keras",
    "losses",
    "plotting",
    "pooling",
    "widgets",
    "__version__",
]


def __getattr__(name):
    # ipywidgets (widgets) and Keras (experiments) are imported only when a chapter
    # asks for them.
    if name in ("widgets", "experiments"):
        import importlib

        return importlib.import_module(f".{name}", __name__)
    raise AttributeError(f"module 'convbn' has no attribute {name!r}")
