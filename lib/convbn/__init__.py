"""convbn: the tested package behind "From Convolution to Batch Normalization".

One module per concept (see the README's table): ``convolution``, ``pooling``,
``batchnorm``, ``datasets``, ``plotting``, ``widgets``, ``checks``, ``homework``.
Importing ``convbn`` also sets ``TF_CPP_MIN_LOG_LEVEL=2`` (unless already set) so
that TensorFlow, if a chapter imports it afterwards, does not flood the notebook with
C++ log lines.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from . import batchnorm, checks, convolution, datasets, plotting, pooling  # noqa: E402
from ._tf import import_keras  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "batchnorm",
    "checks",
    "convolution",
    "datasets",
    "import_keras",
    "plotting",
    "pooling",
    "widgets",
    "__version__",
]


def __getattr__(name):
    # ipywidgets is imported only when a chapter asks for a widget.
    if name == "widgets":
        import importlib

        return importlib.import_module(".widgets", __name__)
    raise AttributeError(f"module 'convbn' has no attribute {name!r}")
