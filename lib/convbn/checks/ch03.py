"""Chapter 3, cross-correlation: the checkers of the valid 2-D cross-correlation,
the kernel rotated by 180 degrees, the predicted responses of correlation and
convolution to a single 1, and the full 1-D cross-correlation."""

from __future__ import annotations

import numpy as np

from .. import convolution
from ._core import (
    Mistake,
    as_array,
    as_predictions,
    call,
    close,
    diagnose,
    first_mistake,
    wrong_predictions,
)
from .ch02 import run_valid2d

#: The checkers of this chapter's exercises that say "numpy only": the student's
#: function may not use ``convbn`` (the grader enforces it, see
#: ``convbn.checks.NUMPY_ONLY``).
NUMPY_ONLY = (
    "check_correlate2d",
    "check_correlate1d_full",
)

__all__ = [
    "check_correlate2d",
    "check_rotate180",
    "check_impulse_responses",
    "check_correlate1d_full",
]

#: The image and kernel of :func:`check_impulse_responses`: a single 1 at
#: IMPULSE_AT in a 4 x 6 image of zeros, and a 2 x 3 kernel with no symmetry.
IMPULSE_AT = (2, 3)
IMPULSE_IMAGE = np.zeros((4, 6))
IMPULSE_IMAGE[IMPULSE_AT] = 1.0
IMPULSE_KERNEL = np.array([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])


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


def impulse_responses() -> dict:
    """The valid correlation and convolution of ``IMPULSE_IMAGE`` with
    ``IMPULSE_KERNEL``, by :func:`convbn.convolution.correlate2d` and
    :func:`~convbn.convolution.convolve2d`."""
    return {
        "correlate": convolution.correlate2d(IMPULSE_IMAGE, IMPULSE_KERNEL),
        "convolve": convolution.convolve2d(IMPULSE_IMAGE, IMPULSE_KERNEL),
    }


def _stamp(kernel, shape, at) -> np.ndarray:
    """``kernel`` placed with its top-left entry at ``at`` in zeros of ``shape``."""
    out = np.zeros(shape)
    out[at[0] : at[0] + kernel.shape[0], at[1] : at[1] + kernel.shape[1]] = kernel
    return out


def check_impulse_responses(responses, seed: int = 0) -> bool:
    """Chapter 3 (predict, then check): ``responses`` maps ``"correlate"`` and
    ``"convolve"`` to the predicted valid outputs, each ``(3, 4)``, for
    ``IMPULSE_IMAGE`` (a single 1 at row 2, column 3) and ``IMPULSE_KERNEL``.

    The correlation is S[i, j] = sum I[i + m, j + n] K[m, n] = K[2 - i, 3 - j]: the
    windows that cover the 1 see it at mirrored offsets, so the output holds the
    kernel rotated by 180 degrees; the convolution flips the kernel back and stamps
    it as it is (chapter 2: a single 1 copies the kernel). Names the two swapped, a
    flip of one axis only, a transposed kernel, the right pattern in the wrong
    place and a 'full' or 'same' shape. ``seed`` is unused: the question has one
    answer.
    """
    del seed
    names = ("correlate", "convolve")
    got = as_predictions(responses, names, "responses")
    truth = impulse_responses()
    shape = truth["correlate"].shape
    kernel = IMPULSE_KERNEL
    patterns = {"correlate": kernel[::-1, ::-1], "convolve": kernel}
    wrong = []
    for name in names:
        what = f"responses[{name!r}]"
        try:
            value = np.asarray(got[name], dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(f"{what} must be an array of numbers") from error
        expected = truth[name]
        if close(value, expected):
            continue
        other = "convolve" if name == "correlate" else "correlate"
        if value.shape != shape:
            message = (
                f"the valid output has one entry per window that fits, shape (4 - 2 "
                f"+ 1, 6 - 3 + 1) = {shape}; got shape {value.shape}"
            )
        else:
            kh, kw = kernel.shape
            corner = (IMPULSE_AT[0] - kh + 1, IMPULSE_AT[1] - kw + 1)
            reverse = {
                "correlate": "as the window moves right the 1 moves left within it, "
                "and as it moves down the 1 moves up, so the kernel appears reversed "
                "along both axes",
                "convolve": "convolution reverses the kernel along both axes, which "
                "undoes both reversals of the correlation",
            }[name]
            mistakes = [
                Mistake(
                    truth[other], f"that is the {other} output: the two are swapped"
                ),
                Mistake(
                    _stamp(kernel[::-1, :], shape, corner),
                    f"only the rows are reversed: {reverse}",
                ),
                Mistake(
                    _stamp(kernel[:, ::-1], shape, corner),
                    f"only the columns are reversed: {reverse}",
                ),
            ]
            mistakes += [
                Mistake(
                    _stamp(patterns[name], shape, (i, j)),
                    f"the pattern is right but in the wrong place: S[i, j] is the "
                    f"window with its top-left corner at (i, j), and only the windows "
                    f"with corners (1..2, 1..3) cover the 1 at {IMPULSE_AT}",
                )
                for i in range(shape[0] - kh + 1)
                for j in range(shape[1] - kw + 1)
            ]
            message = first_mistake(value, expected, mistakes)
        message = message or "wrong entries"
        wrong.append((what, f"{message}; expected\n{expected}"))
    wrong_predictions(
        wrong,
        len(names),
        "The reasoning: the window with its top-left corner at (i, j) covers the 1 "
        "at (2, 3) with its entry (2 - i, 3 - j), so the correlation is S[i, j] = "
        "K[2 - i, 3 - j], the kernel rotated by 180 degrees; the convolution pairs "
        "that entry with K[1 - (2 - i), 2 - (3 - j)] and so copies the kernel as it "
        "is. That is the flip's purpose: a single 1 reproduces the kernel.",
    )
    return True
