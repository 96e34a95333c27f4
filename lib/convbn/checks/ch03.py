"""Chapter 3, cross-correlation: the checkers of the valid 2-D cross-correlation,
the kernel rotated by 180 degrees, and the full 1-D cross-correlation."""

from __future__ import annotations

import numpy as np

from .. import convolution
from ._core import Mistake, as_array, call, diagnose
from .ch02 import run_valid2d

__all__ = ["check_correlate2d", "check_rotate180", "check_correlate1d_full"]


def check_correlate2d(fn, seed: int = 0) -> bool:
    """Chapter 3: ``fn(image, kernel)`` must return the valid 2-D cross-correlation.

    S[i, j] = sum_m sum_n I[i + m, j + n] K[m, n] for 0 <= i <= H - kh and
    0 <= j <= W - kw: shape ``(H - kh + 1, W - kw + 1)``, the kernel not flipped.
    Checked against :func:`convbn.convolution.correlate2d` on random square and
    non-square images and kernels, a 1 x 1 kernel, a kernel as large as the image and
    row and column kernels; the inputs must not be modified.
    """
    return run_valid2d(fn, seed, flip=False, what="your correlation function")


def check_rotate180(fn, seed: int = 0) -> bool:
    """Chapter 3: ``fn(kernel)`` must return the kernel rotated by 180 degrees.

    R[m, n] = K[kh - 1 - m, kw - 1 - n]: both axes reversed, same shape
    ``(kh, kw)``; convolution is cross-correlation with this kernel. Checked on random
    square and non-square kernels, rows, columns and a 1 x 1 kernel; the input must
    not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your rotation function"
    shapes = [(3, 3), (2, 2), (5, 5), (3, 4), (4, 2), (1, 5), (4, 1), (1, 1), (2, 3)]
    for shape in shapes:
        kernel = rng.normal(size=shape)
        raw = call(
            fn,
            kernel,
            what=what,
            inputs=("kernel",),
            modified="{what} modified the kernel it was given; return a new array",
        )
        expected = kernel[::-1, ::-1]
        mistakes = [
            Mistake(kernel, "you returned the kernel unchanged; reverse both axes"),
            Mistake(
                kernel[::-1, :],
                "you flipped the rows only (upside down); a 180-degree rotation "
                "also reverses the columns: K[::-1, ::-1]",
            ),
            Mistake(
                kernel[:, ::-1],
                "you flipped the columns only (left-right); a 180-degree rotation "
                "also reverses the rows: K[::-1, ::-1]",
            ),
            Mistake(
                kernel.T,
                "you transposed the kernel: a transpose mirrors it along the "
                "diagonal, which is not a 180-degree rotation",
            ),
            Mistake(
                kernel[::-1, ::-1].T,
                "you mirrored the kernel along its anti-diagonal (rotated and "
                "transposed); drop the transpose",
            ),
            Mistake(np.rot90(kernel), "you rotated by 90 degrees, not 180"),
            Mistake(np.rot90(kernel, -1), "you rotated by 90 degrees, not 180"),
        ]
        got = as_array(raw, what=what)
        diagnose(got, expected, mistakes, f"(kernel of shape {shape})", what=what)
    return True


def check_correlate1d_full(fn, seed: int = 0) -> bool:
    """Chapter 3: ``fn(x, w)`` must return the full 1-D cross-correlation.

    c[t] = sum_a xp[t + a] w[a] for t = 0 .. n + k - 2, where xp is ``x`` (length n)
    with k - 1 zeros added on both sides and k = len(w): n + k - 1 values, equal to
    ``np.correlate(x, w, "full")`` and :func:`convbn.convolution.correlate1d` with
    ``mode="full"``. Checked on random lengths, the kernel shorter than, as long as
    and longer than the signal; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your correlation function"
    lengths = [(8, 3), (10, 4), (5, 5), (3, 6), (7, 1), (1, 4), (12, 2), (2, 9)]
    for n, k in lengths:
        x = rng.normal(size=n)
        w = rng.normal(size=k)
        raw = call(fn, x, w, what=what, inputs=("x", "w"))
        expected = convolution.correlate1d(x, w, "full")
        got = as_array(raw, what=what)
        mistakes = [
            Mistake(
                convolution.convolve1d(x, w, "full"),
                "the kernel is flipped: that is convolution. Cross-correlation "
                "slides w over x as it is, pairing x[t + a] with w[a]",
            ),
            Mistake(
                expected[::-1],
                "your result is reversed: you computed the correlation of w with x. "
                "Cross-correlation is not commutative: swapping the arguments "
                "reverses the output",
            ),
            Mistake(
                convolution.correlate1d(x, w, "valid"),
                "you returned the valid part only; the full correlation has "
                "len(x) + len(w) - 1 values (pad x with len(w) - 1 zeros on each side)",
            ),
            Mistake(
                convolution.correlate1d(x, w, "same"),
                "you returned the 'same' part only; the full correlation has "
                "len(x) + len(w) - 1 values",
            ),
            Mistake(
                expected[1:],
                "off by one: your result misses the first value, where only w[-1] "
                "overlaps x[0]; pad x with len(w) - 1 zeros, not len(w) - 2",
            ),
            Mistake(
                expected[:-1],
                "off by one: your result misses the last value, where only w[0] "
                "overlaps x[-1]; the full correlation has len(x) + len(w) - 1 values",
            ),
        ]
        diagnose(got, expected, mistakes, f"(len(x) = {n}, len(w) = {k})", what=what)
    return True
