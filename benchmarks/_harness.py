"""Timing and reporting shared by the benchmark scripts in this folder.

Each script yields rows ``(name, reference name, reference seconds, our seconds,
target ratio or None)``; :func:`report` prints them as a table and returns the exit
status (1 if a target ratio is missed).
"""

from __future__ import annotations

import argparse
import statistics
import time


def paired_medians(reference, ours, repeats: int) -> tuple[float, float]:
    """Median times of ``reference()`` and ``ours()``, interleaved so that both see
    the same machine load (after one warm-up call each)."""
    reference(), ours()  # warm up (TensorFlow builds its kernels on the first call)
    ref_times, our_times = [], []
    for _ in range(repeats):
        for fn, times in ((reference, ref_times), (ours, our_times)):
            start = time.perf_counter()
            fn()
            times.append(time.perf_counter() - start)
    return statistics.median(ref_times), statistics.median(our_times)


def report(rows, title: str) -> int:
    """Print ``rows`` as a table; 1 if a target is missed, else 0."""
    print(
        f"{'benchmark':45s} {'reference':26s} {'ref ms':>8s} {'ours ms':>8s} "
        f"{'ratio':>7s} {'target':>7s}"
    )
    missed = 0
    for name, reference, ref, ours, target in rows:
        ratio = ours / ref
        verdict = "" if target is None else ("ok" if ratio <= target else "MISSED")
        missed += verdict == "MISSED"
        shown = "-" if target is None else f"<={target}"
        print(
            f"{name:45s} {reference:26s} {ref * 1e3:8.2f} {ours * 1e3:8.2f} "
            f"{ratio:7.2f} {shown:>7s} {verdict}",
            flush=True,
        )
    return 1 if missed else 0


def main(rows, doc: str, argv=None) -> int:
    """Parse ``--repeats`` and report ``rows(repeats)``."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    options = parser.parse_args(argv)
    return report(rows(options.repeats), doc.splitlines()[0])
