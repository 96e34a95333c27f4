"""The chapters' claims about time, each measured in one run on this machine.

    python benchmarks/claims.py            # prints the table; exit 1 if one fails
    python benchmarks/claims.py --write    # also into results.json

No notebook asserts anything that depends on the machine's speed or load (DESIGN.md):
a busy machine stretches a long call more than a short one, so a slope or a ratio
measured while other programs run can land anywhere, and a reader on a shared Colab
or Binder machine would see the lesson fail. The chapters' timing claims are checked
here instead, each from times measured in the same run, interleaved where memory
allows (first, second, ..., first, second, ...: both see the same load), as medians,
each timed call right after an untimed one of the same function (as in the chapter's
loop of repeats, its data are in the cache: a call of a few microseconds right after
one that read 512 MB would be timed fetching its input from main memory):

* chapter 3: the loop version of ``correlate2d`` is more than twenty times slower
  than the vectorised one (a 64 x 64 image, a 3 x 3 kernel);
* chapter 4, on one core: the time of the dense product ``W @ x`` grows with a
  log-log slope near 2 (between 1.6 and 2.8, n = 2048 ... 8192) and that of
  ``convolve1d`` (k = 3, "same") near 1 (between 0.6 and 1.5, fitted from n = 8192
  to 4 million); at n = 8192 the dense product is more than fifty times slower than
  the convolution, and a convolution of 256 values takes more than a tenth of the
  time of one of 8192.

The dense sizes are timed one after the other (the largest matrix alone takes
512 MB, all five about 1 GB); the n = 8192 comparison and all the convolution sizes
are interleaved. ``--write`` stores the table under ``"claims"`` in
``benchmarks/results.json``, leaving the rest of that file as it is (the book's
performance page shows it).
"""

from __future__ import annotations

import argparse
import datetime
import functools
import json
import os
import sys
from pathlib import Path

import numpy as np
from _harness import medians
from threadpoolctl import threadpool_limits

from convbn import convolution

RESULTS = Path(__file__).with_name("results.json")
#: The sizes chapter 4 times: the dense product, and the convolution (fitted from 8192).
DENSE_SIZES = np.round(2 ** np.arange(11, 13.5, 0.5)).astype(int)  # 2048 ... 8192
CONV_SIZES = 2 ** np.arange(8, 23)  # 256 ... 4,194,304
FITTED_FROM = 8192


def chapter3(repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    image, kernel = rng.random((64, 64)), rng.random((3, 3))
    loops, vectorised = medians(
        [
            lambda: convolution.correlate2d_loops(image, kernel),
            lambda: convolution.correlate2d(image, kernel),
        ],
        repeats,
    )
    return [
        claim(
            3,
            "correlate2d_loops is more than twenty times slower than correlate2d "
            "(64 x 64, 3 x 3)",
            loops / vectorised,
            20,
            None,
            f"{loops * 1e3:.2f} ms against {vectorised * 1e3:.3f} ms",
        )
    ]


def chapter4(repeats: int) -> list[dict]:
    rng = np.random.default_rng(0)
    kernel = rng.normal(size=3)
    signals = {int(n): rng.standard_normal(n) for n in CONV_SIZES}

    def conv(n):
        return lambda: convolution.convolve1d(signals[n], kernel, "same")

    dense = []
    with threadpool_limits(limits=1):  # one core for both, as in the chapter
        for n in DENSE_SIZES:
            calls = [
                functools.partial(
                    np.matmul, rng.standard_normal((n, n)), rng.standard_normal(n)
                )
            ]
            if n == FITTED_FROM:  # the one size timed both ways: interleaved
                calls.append(conv(FITTED_FROM))
            timed = medians(calls, repeats, warm=True)
            dense.append(timed[0])
            del calls  # the largest matrix alone takes 512 MB
        dense_n, conv_n = timed  # n = 8192, the last size
        times = dict(
            zip(
                signals, medians([conv(n) for n in signals], repeats, True), strict=True
            )
        )
    fitted = [n for n in signals if n >= FITTED_FROM]
    dense_slope = np.polyfit(np.log(DENSE_SIZES), np.log(dense), 1)[0]
    conv_slope = np.polyfit(np.log(fitted), np.log([times[n] for n in fitted]), 1)[0]
    first = int(CONV_SIZES[0])
    return [
        claim(
            4,
            "dense W @ x: log-log slope near 2 (n = 2048 ... 8192, one core)",
            dense_slope,
            1.6,
            2.8,
            f"{dense[0] * 1e3:.2f} ms to {dense[-1] * 1e3:.1f} ms",
        ),
        claim(
            4,
            "convolve1d, k = 3: log-log slope near 1 (n = 8192 ... 4 million)",
            conv_slope,
            0.6,
            1.5,
            f"{times[fitted[0]] * 1e6:.0f} µs to {times[fitted[-1]] * 1e3:.1f} ms",
        ),
        claim(
            4,
            "at n = 8192 the dense product is more than fifty times slower than "
            "the convolution",
            dense_n / conv_n,
            50,
            None,
            f"{dense_n * 1e3:.1f} ms against {conv_n * 1e6:.0f} µs",
        ),
        claim(
            4,
            "a convolution of 256 values takes more than a tenth of the time of "
            "one of 8192",
            times[first] / times[FITTED_FROM],
            0.1,
            None,
            f"{times[first] * 1e6:.0f} µs against {times[FITTED_FROM] * 1e6:.0f} µs",
        ),
    ]


def claim(chapter, text, measured, low, high, times) -> dict:
    """A row: the claim, the measured value, its bounds and whether it holds."""
    measured = float(measured)
    holds = (low is None or measured > low) and (high is None or measured < high)
    return {
        "chapter": chapter,
        "claim": text,
        "measured": round(measured, 3),
        "low": low,
        "high": high,
        "times": times,
        "holds": bool(holds),
    }


def bounds(row: dict) -> str:
    if row["high"] is None:
        return f"> {row['low']:g}"
    return f"{row['low']:g} to {row['high']:g}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--write", action="store_true")
    options = parser.parse_args(argv)
    rows = chapter3(options.repeats) + chapter4(options.repeats)
    print(f"{'ch':>2s}  {'claim':84s} {'measured':>9s} {'bounds':>10s}")
    for row in rows:
        verdict = "holds" if row["holds"] else "FAILS"
        print(
            f"{row['chapter']:2d}  {row['claim']:84s} {row['measured']:9.3g} "
            f"{bounds(row):>10s} {verdict}  ({row['times']})",
            flush=True,
        )
    if options.write:
        results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
        results["claims"] = {
            "date": datetime.date.today().isoformat(),
            "cpus": os.cpu_count(),
            "load": round(os.getloadavg()[0], 1),
            "repeats": options.repeats,
            "rows": rows,
        }
        RESULTS.write_text(json.dumps(results, indent=1) + "\n")
        print(f"\nwrote {RESULTS}")
    return 0 if all(row["holds"] for row in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
