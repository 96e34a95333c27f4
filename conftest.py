"""Suite-wide settings, for tests/ and for the notebooks nbval runs.

Figures render without a screen, and TensorFlow keeps its C++ log lines to itself.
The suite needs no network; to prove it, run it in a network namespace of its own,
whose loopback (which Jupyter kernels talk over) starts down:
``unshare -n sh -c 'ip link set lo up && python -m pytest'``.
"""

import os

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
