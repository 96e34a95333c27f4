"""Every convbn-versus-reference benchmark in one table, and the scaling sweep.

    python benchmarks/run_all.py                  # table + sweep, writes results.json
    python benchmarks/run_all.py --repeats 10 --no-write

Runs the rows of convolution.py, pooling.py and batchnorm.py (each times convbn and
its reference interleaved in the same run and reports the ratio of the medians),
then times the loop version, the vectorised version and scipy on growing image sizes.
Writes ``benchmarks/results.json`` (the book's performance page shows it) and exits
with 1 if a target ratio is missed. The grading benchmark (``grading.py``: time per
submission, a class's throughput) runs on its own and keeps its ``"grading"`` entry
there, and so does the check of the chapters' timing claims (``claims.py``), under
``"claims"``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import sys
from pathlib import Path

import batchnorm as batchnorm_bench
import convolution as convolution_bench
import numpy as np
import pooling as pooling_bench
import scipy.signal
from _harness import paired_medians, report

from convbn import convolution

RESULTS = Path(__file__).with_name("results.json")


def sweep(repeats: int, sizes=(16, 32, 64, 128, 256), loop_limit: int = 128):
    """Seconds per call of the three ways to cross-correlate an n x n image with a
    3 x 3 kernel ("valid"); the loop version only up to ``loop_limit``."""
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=(3, 3))
    rows = []
    for n in sizes:
        image = rng.normal(size=(n, n))
        scipy_s, vector_s = paired_medians(
            lambda image=image: scipy.signal.correlate2d(image, kernel, "valid"),
            lambda image=image: convolution.correlate2d(image, kernel),
            repeats,
        )
        loop_s = None
        if n <= loop_limit:
            _, loop_s = paired_medians(
                lambda: None,
                lambda image=image: convolution.correlate2d_loops(image, kernel),
                max(3, repeats // 10),
            )
        rows.append({"n": n, "loops": loop_s, "vectorised": vector_s, "scipy": scipy_s})
        shown = "-" if loop_s is None else f"{loop_s * 1e3:9.2f}"
        print(
            f"{n:5d}x{n:<5d} loops {shown:>9s} ms  vectorised "
            f"{vector_s * 1e3:8.3f} ms  scipy {scipy_s * 1e3:8.3f} ms",
            flush=True,
        )
    return rows


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--no-write", action="store_true")
    options = parser.parse_args(argv)
    table = []

    def collect(module):
        for row in module.rows(options.repeats):
            table.append(row)
            yield row

    status = 0
    for module in (convolution_bench, pooling_bench, batchnorm_bench):
        status |= report(collect(module), module.__doc__.splitlines()[0])
        print()
    print("correlate2d on n x n with a 3 x 3 kernel: loops, vectorised, scipy")
    scaling = sweep(options.repeats)
    if not options.no_write:
        import tensorflow as tf

        previous = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        kept = {k: previous[k] for k in ("grading", "claims") if k in previous}
        RESULTS.write_text(
            json.dumps(
                {
                    "date": datetime.date.today().isoformat(),
                    "machine": {
                        "cpus": os.cpu_count(),
                        "python": platform.python_version(),
                        "numpy": np.__version__,
                        "scipy": scipy.__version__,
                        "tensorflow": tf.__version__,
                    },
                    "repeats": options.repeats,
                    "rows": [
                        {
                            "benchmark": name,
                            "reference": reference,
                            "reference_ms": round(ref * 1e3, 4),
                            "convbn_ms": round(ours * 1e3, 4),
                            "ratio": round(ours / ref, 3),
                            "target": target,
                        }
                        for name, reference, ref, ours, target in table
                    ],
                    "scaling": scaling,
                    **kept,  # grading.py's and claims.py's, measured on their own
                },
                indent=1,
            )
            + "\n"
        )
        print(f"\nwrote {RESULTS}")
    return status


if __name__ == "__main__":
    sys.exit(main())
