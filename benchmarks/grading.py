"""Grading time per honest submission, a class's throughput, and what isolation costs.

    python benchmarks/grading.py                      # chapters 3 and 6, 16 each
    python benchmarks/grading.py --submissions 20 --chapters 08_batch_normalization
    python benchmarks/grading.py --write              # also into results.json

Builds ``--submissions`` honest notebooks per chapter (the master's reference
solutions, see :func:`convbn_tools.gradebook.master_code`), grades them as
``python -m convbn.homework grade`` does, once one at a time and once with ``-j 2``,
and prints the median seconds per submission (each in its own sandbox: start the
process, run the cells, run every check through the wire) and the throughput in
submissions per minute, first in the sandbox (bubblewrap, cgroups, and a second
numpy-only sandbox for a chapter that has numpy-only questions), then, in the same
run, without isolation (``--unsafe``: the same processes, no bubblewrap), and the
ratio of the two throughputs: the cost of isolation, which should stay under 20 %.
``--write`` stores the table under ``"grading"`` in ``benchmarks/results.json``,
leaving the rest of that file as it is.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from convbn_tools import gradebook, grading, isolation
from convbn_tools.homework import find_exercises

ROOT = Path(__file__).resolve().parents[1]
RESULTS = Path(__file__).with_name("results.json")


def measure(chapter: str, count: int, jobs: int, box=None) -> dict:
    """Grade ``count`` honest submissions of ``chapter`` with ``jobs`` at a time.

    Returns the median and largest seconds per submission, the wall time and the
    throughput (submissions per minute); every submission must get full marks.
    """
    master = find_exercises(ROOT)[chapter]
    questions = gradebook.read_questions(master)
    cells = gradebook.master_code(master)
    with tempfile.TemporaryDirectory() as folder:
        paths = [
            gradebook.write_notebook(Path(folder) / f"student{i:03d}.ipynb", cells)
            for i in range(count)
        ]
        start = time.monotonic()
        results = grading.grade_batch(
            questions,
            [(p.name, p) for p in paths],
            jobs=jobs,
            progress=False,
            unsafe=True,
            box=box,
        )
        wall = time.monotonic() - start
    full = sum(q.points for q in questions)
    wrong = [r.label for r in results if r.total != full or r.error]
    if wrong:
        raise RuntimeError(f"honest submissions without full marks: {wrong}")
    seconds = [r.seconds for r in results]
    return {
        "chapter": chapter,
        "submissions": count,
        "jobs": jobs,
        "median_s": round(statistics.median(seconds), 2),
        "max_s": round(max(seconds), 2),
        "wall_s": round(wall, 1),
        "per_minute": round(60 * count / wall, 1),
    }


def main(argv=None) -> int:
    """Run the measurements; print them (and store them with ``--write``)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--submissions", type=int, default=16)
    parser.add_argument(
        "--chapters", nargs="+", default=["03_cross_correlation", "06_pooling"]
    )
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args(argv)
    box = isolation.detect()
    unsafe = isolation.Isolation(None, "", None, "the reference: no isolation")
    grading._guard_grader()  # Keras imported once, before either is timed
    print(f"isolation: {box.summary()}")
    print(
        f"{'chapter':28s} {'-j':>3s} {'median s':>9s} {'max s':>7s} "
        f"{'wall s':>7s} {'per min':>8s} {'unsafe/min':>10s} {'cost':>6s}",
        flush=True,
    )
    rows = []
    for chapter in options.chapters:
        for jobs in (1, 2):
            row = measure(chapter, options.submissions, jobs, box)
            reference = measure(chapter, options.submissions, jobs, unsafe)
            row["unsafe_per_minute"] = reference["per_minute"]
            row["isolation_cost"] = round(
                1 - row["per_minute"] / reference["per_minute"], 3
            )
            rows.append(row)
            print(
                f"{chapter:28s} {jobs:3d} {row['median_s']:9.2f} {row['max_s']:7.2f} "
                f"{row['wall_s']:7.1f} {row['per_minute']:8.1f} "
                f"{reference['per_minute']:10.1f} {row['isolation_cost']:6.1%}",
                flush=True,
            )
    if options.write:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["grading"] = {
            "date": datetime.date.today().isoformat(),
            "cpus": os.cpu_count(),
            "isolation": box.summary(),
            "rows": rows,
        }
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {RESULTS}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
