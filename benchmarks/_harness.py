"""Timing and reporting shared by the benchmark scripts in this folder.

Each script yields rows ``(name, reference name, reference seconds, our seconds,
target ratio or None)``; :func:`report` prints them as a table and returns the exit
status (1 if a target ratio is missed).
"""

from __future__ import annotations

import argparse
import statistics
import time


def medians(calls, repeats: int, warm: bool = False) -> list[float]:
    """Median times of each of ``calls``, timed in turn (first, second, ..., first,
    second, ...) so that all see the same machine load, after one warm-up call each
    (TensorFlow builds its kernels on the first call). With ``warm``, each timed call
    follows an untimed one of the same function: its data is in the cache, as in a
    loop of calls, although the other calls between flush it (a call of a few
    microseconds is otherwise timed reading its input from main memory)."""
    for fn in calls:
        fn()
    times = [[] for _ in calls]
    for _ in range(repeats):
        for fn, taken in zip(calls, times, strict=True):
            if warm:
                fn()
            start = time.perf_counter()
            fn()
            taken.append(time.perf_counter() - start)
    return [statistics.median(taken) for taken in times]


def paired_medians(reference, ours, repeats: int) -> tuple[float, float]:
    """Median times of ``reference()`` and ``ours()``, interleaved (:func:`medians`)."""
    ref, mine = medians([reference, ours], repeats)
    return ref, mine


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
