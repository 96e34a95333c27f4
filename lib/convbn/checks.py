"""Exercise checkers: they diagnose the mistake, not only say "wrong".

Every checker takes the student's function (or value), tries it on random shapes
and edge cases against a reference, returns ``True`` when it is right, and otherwise
raises ``AssertionError`` with a message that names the most likely mistake.
The exercises notebooks call them from their otter-grader test cells.
"""

from __future__ import annotations

import numpy as np

from . import convolution

__all__ = [
    "check_exponential_kernel",
    "check_causal_convolution",
    "check_gaussian_convolution",
    "check_convolve2d",
    "check_output_size",
    "check_toeplitz_matrix",
    "check_correlate2d",
    "check_rotate180",
    "check_correlate1d_full",
    "check_parameter_counts",
    "check_receptive_field",
    "check_difference_image",
    "check_shift",
    "check_circular_correlate2d",
    "check_is_equivariant",
]


def _call(fn, *args, what: str):
    """Call the student's function; turn its crash into a readable failure."""
    if not callable(fn):
        raise AssertionError(f"expected a function for {what}, got {type(fn).__name__}")
    try:
        return fn(*args)
    except Exception as error:  # the student's bug, reported with its inputs
        shown = ", ".join(_short(a) for a in args)
        raise AssertionError(
            f"{what} raised {type(error).__name__}: {error} (called with {shown})"
        ) from error


def _short(value) -> str:
    if isinstance(value, np.ndarray):
        return f"array of shape {value.shape}"
    return repr(value)


def _as_result(value, shape, what: str) -> np.ndarray:
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return numbers, got {type(value).__name__}"
        ) from error
    if array.shape != tuple(shape):
        raise AssertionError(
            f"{what} returned shape {array.shape}, expected {tuple(shape)}"
        )
    return array


def _close(a, b, rtol=1e-6, atol=1e-9) -> bool:
    return np.shape(a) == np.shape(b) and np.allclose(a, b, rtol=rtol, atol=atol)


# --- chapter 1 -------------------------------------------------------------------


def check_exponential_kernel(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(a, tau)`` must return w(a) = exp(-a / tau) / tau, 0 for a < 0.

    Checked on random arrays of ages (1-D and 2-D, negative and positive, a = 0) and
    random time scales tau; the weights must be causal, non-negative and integrate to 1.
    """
    rng = np.random.default_rng(seed)
    what = "your kernel function"
    for trial in range(12):
        tau = float(rng.uniform(0.2, 5.0))
        shape = (
            (int(rng.integers(1, 40)),) if trial % 2 else tuple(rng.integers(1, 7, 2))
        )
        a = rng.uniform(-4 * tau, 8 * tau, size=shape)
        a.flat[0] = 0.0
        expected = convolution.kernel(a, "exponential", tau)
        got = _as_result(_call(fn, a.copy(), tau, what=what), a.shape, what)
        if _close(got, expected):
            continue
        future = a < 0
        if np.any(got[future] != 0):
            raise AssertionError(
                "the kernel is not causal: w(a) must be 0 for a < 0, because a "
                "negative age is a measurement from the future"
            )
        if np.any(got < 0):
            raise AssertionError(
                "weights must be non-negative; check the sign of the "
                "exponent: exp(-a / tau)"
            )
        past = ~future & (a > 0)
        if _close(got[past], expected[past] * tau):
            raise AssertionError(
                "the weights integrate to tau, not 1: divide by tau so that w is a "
                "probability density (a weighted average needs total weight 1)"
            )
        if _close(got[past], np.exp(-a[past] * tau) * tau) or _close(
            got[past], np.exp(-a[past] * tau) / tau
        ):
            raise AssertionError(
                "tau is a time scale: the exponent is -a / tau, not -a * tau"
            )
        if _close(got[past], expected[past]) and got.flat[0] != expected.flat[0]:
            raise AssertionError(
                "w(0) is wrong: the newest measurement (age a = 0) gets weight "
                "1 / tau; use a >= 0, not a > 0"
            )
        index = np.unravel_index(np.argmax(np.abs(got - expected)), a.shape)
        raise AssertionError(
            f"wrong value for tau={tau:.3g} at a={a[index]:.4g}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


def _causal_reference(x, w, dt):
    return dt * np.convolve(x, w)[: len(x)]


def check_causal_convolution(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(x, w, dt)`` must return s[n] = dt * sum_{k=0..n} x[k] w[n - k].

    ``x`` holds measurements sampled every ``dt``; ``w[j]`` is the kernel at age j * dt.
    One estimate per measurement (``len(x)`` values), using only past and present
    measurements. Checked on random lengths, including a kernel longer than the signal
    and a kernel of length 1; the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your convolution function"
    cases = [(int(rng.integers(2, 30)), int(rng.integers(2, 12))) for _ in range(10)]
    cases += [(5, 9), (7, 1), (1, 3)]
    for n, m in cases:
        x = rng.normal(size=n)
        w = rng.uniform(0.1, 1.0, size=m)
        dt = float(rng.uniform(0.05, 0.5))
        x_in, w_in = x.copy(), w.copy()
        raw = _call(fn, x_in, w_in, dt, what=what)
        if not (np.array_equal(x_in, x) and np.array_equal(w_in, w)):
            raise AssertionError(
                "your function modified its input arrays; work on copies"
            )
        expected = _causal_reference(x, w, dt)
        got = np.asarray(raw, dtype=np.float64)
        if got.shape == (n + m - 1,) and n + m - 1 != n:
            if _close(got[:n], expected):
                raise AssertionError(
                    f"you returned the full convolution ({n + m - 1} values); keep one "
                    f"estimate per measurement: the first len(x) = {n} values"
                )
        got = _as_result(got, (n,), what)
        if _close(got, expected):
            continue
        if _close(got * dt, expected):
            raise AssertionError(
                "you forgot the step dt: the Riemann sum is dt * sum_k x[k] w[n - k]"
            )
        if _close(got, dt * np.convolve(x, w[::-1])[m - 1 : m - 1 + n]) and m > 1:
            raise AssertionError(
                "the kernel is not flipped: s[n] pairs x[k] with w[n - k] (the newest "
                "measurement x[n] with w[0]), not with w[k - n]; that is "
                "cross-correlation (chapter 3)"
            )
        if n > 1 and _close(got[1:], expected[:-1]):
            raise AssertionError(
                "off by one: s[n] must include the present measurement x[n] (weight "
                "w[0]); your result is shifted one sample late"
            )
        if n > 1 and _close(got[:-1], expected[1:]):
            raise AssertionError(
                "off by one: your result is one sample early, so s[n] uses x[n + 1], "
                "a measurement from the future"
            )
        index = int(np.argmax(np.abs(got - expected)))
        raise AssertionError(
            f"wrong value at n={index} (len(x)={n}, len(w)={m}): expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


def check_gaussian_convolution(fn, seed: int = 0) -> bool:
    """Chapter 1: ``fn(mean1, std1, mean2, std2)`` must return ``(mean, std)`` of N1*N2.

    The convolution of N(mean1, std1^2) and N(mean2, std2^2) is the normal density with
    mean ``mean1 + mean2`` and standard deviation ``sqrt(std1^2 + std2^2)``.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    for _ in range(10):
        m1, m2 = rng.normal(0, 3, size=2)
        s1, s2 = rng.uniform(0.2, 3.0, size=2)
        result = _call(fn, float(m1), float(s1), float(m2), float(s2), what=what)
        try:
            mean, std = (float(v) for v in result)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return two numbers (mean, std), got {result!r}"
            ) from error
        want_mean, want_std = m1 + m2, float(np.hypot(s1, s2))
        if not np.isclose(mean, want_mean, rtol=1e-6, atol=1e-9):
            if np.isclose(mean, (m1 + m2) / 2):
                raise AssertionError("the means add; they are not averaged")
            if np.isclose(abs(mean), abs(m1 - m2)):
                raise AssertionError("the means add: mean = mean1 + mean2")
            raise AssertionError(
                f"wrong mean: expected {want_mean:.6g}, got {mean:.6g}"
            )
        if np.isclose(std, want_std, rtol=1e-6):
            continue
        if np.isclose(std, s1 + s2):
            raise AssertionError(
                "you added the standard deviations; it is the "
                "variances that add: std = sqrt(std1^2 + std2^2)"
            )
        if np.isclose(std, s1**2 + s2**2):
            raise AssertionError(
                "you returned the variance; return the standard "
                "deviation sqrt(std1^2 + std2^2)"
            )
        raise AssertionError(f"wrong std: expected {want_std:.6g}, got {std:.6g}")
    return True


# --- chapter 2: discrete convolution ---


def _where(got, expected) -> str:
    """Where ``got`` is furthest from ``expected``, with both values."""
    index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
    return (
        f"wrong value at {tuple(int(k) for k in index)}: expected "
        f"{expected[index]:.6g}, got {got[index]:.6g}"
    )


# The (image shape, kernel shape) pairs check_convolve2d and check_correlate2d try,
# square ones first: a solution that passes those and fails a later group is told
# that it mixes up rows and columns.
_VALID2D_GROUPS = [
    ([((6, 6), (3, 3)), ((7, 7), (2, 2)), ((5, 5), (4, 4))], None),
    ([((5, 8), (3, 3)), ((9, 4), (2, 2))], "square images"),
    ([((7, 7), (2, 4)), ((6, 6), (3, 1))], "square kernels"),
    (
        [
            ((6, 9), (4, 2)),
            ((8, 5), (1, 3)),
            ((4, 6), (1, 1)),
            ((3, 5), (3, 5)),
            ((1, 7), (1, 3)),
        ],
        "square images and kernels",
    ),
]


def _valid2d_mistakes(image, kernel, flip: bool):
    """``(result, message)`` for the usual wrong versions of a valid 2-D convolution
    (``flip=True``, chapter 2) or cross-correlation (``flip=False``, chapter 3)."""
    kh, kw = kernel.shape
    op = convolution.convolve2d if flip else convolution.correlate2d
    if flip:
        rule = "convolution flips it in both axes, K[::-1, ::-1] (a rotation by 180°)"
        mistakes = [
            (
                convolution.correlate2d(image, kernel),
                "the kernel is not flipped: that is cross-correlation (chapter 3). "
                "Convolution pairs I[i + m, j + n] with K[kh - 1 - m, kw - 1 - n]: "
                "the window's top-left pixel meets the kernel's bottom-right entry",
            )
        ]
    else:
        rule = "cross-correlation does not flip it at all"
        mistakes = [
            (
                convolution.convolve2d(image, kernel),
                "the kernel is flipped: that is convolution (chapter 2). "
                "Cross-correlation pairs I[i + m, j + n] with K[m, n], not with "
                "K[kh - 1 - m, kw - 1 - n]",
            )
        ]
    for flipped, axis in ((kernel[::-1, :], "rows"), (kernel[:, ::-1], "columns")):
        mistakes.append(
            (
                convolution.correlate2d(image, flipped),
                f"the kernel is flipped along the {axis} only: {rule}",
            )
        )
    if kh == kw:
        mistakes.append(
            (
                op(image, kernel.T),
                "the kernel's indices are swapped (K[n, m] instead of K[m, n]): the "
                "row offset m goes with the kernel's row index",
            )
        )
    for skip_row, skip_col, part in (
        (True, False, "row"),
        (False, True, "column"),
        (True, True, "row and column"),
    ):
        if (skip_row and kh == 1) or (skip_col and kw == 1):
            continue
        for end, side in ((0, "first"), (-1, "last")):
            shorter = kernel.copy()
            if skip_row:
                shorter[end, :] = 0.0
            if skip_col:
                shorter[:, end] = 0.0
            mistakes.append(
                (
                    op(image, shorter),
                    f"off by one: your sum skips the kernel's {side} {part}; every "
                    f"output adds kh * kw = {kh * kw} products (loop over "
                    "range(kh) and range(kw))",
                )
            )
    return mistakes


def _check_valid2d_case(fn, image, kernel, flip: bool, what: str) -> None:
    """Check one (image, kernel) pair; raise AssertionError naming the mistake."""
    H, W = image.shape
    kh, kw = kernel.shape
    image_in, kernel_in = image.copy(), kernel.copy()
    raw = _call(fn, image_in, kernel_in, what=what)
    if not (np.array_equal(image_in, image) and np.array_equal(kernel_in, kernel)):
        raise AssertionError("your function modified its input arrays; work on copies")
    ops = [
        ("convolution", convolution.convolve2d),
        ("cross-correlation", convolution.correlate2d),
    ]
    if not flip:
        ops.reverse()
    expected = ops[0][1](image, kernel)
    try:
        got = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return numbers, got {type(raw).__name__}"
        ) from error
    sizes = f"(image {image.shape}, kernel {kernel.shape})"
    transposed = (
        f"your result is transposed {sizes}: S[i, j] must have i running over rows "
        "(the first axis) and j over columns"
    )
    if got.shape != expected.shape:
        for mode in ("full", "same"):
            for name, op in ops:
                other = op(image, kernel, mode)
                if got.shape == other.shape and _close(got, other):
                    raise AssertionError(
                        f"you returned the {mode!r} {name} {sizes}, shape "
                        f"{got.shape}; 'valid' keeps only the positions where the "
                        "kernel lies entirely inside the image: shape "
                        f"(H - kh + 1, W - kw + 1) = {expected.shape}"
                    )
        if got.shape == expected.T.shape and _close(got, expected.T):
            raise AssertionError(transposed)
        if got.ndim == 2:
            excess = {got.shape[0] - (H - kh + 1), got.shape[1] - (W - kw + 1)}
            if excess <= {-1, 0}:
                raise AssertionError(
                    f"off by one {sizes}: your output is one too small, shape "
                    f"{got.shape}; there are H - kh + 1 = {H - kh + 1} valid rows "
                    f"and W - kw + 1 = {W - kw + 1} valid columns: loop over "
                    "range(H - kh + 1), not range(H - kh)"
                )
            if excess <= {0, 1}:
                raise AssertionError(
                    f"off by one {sizes}: your output is one too large, shape "
                    f"{got.shape}; the last valid window starts at row H - kh and "
                    f"column W - kw, so the shape is {expected.shape}"
                )
        raise AssertionError(
            f"{what} returned shape {got.shape} {sizes}, expected (H - kh + 1, "
            f"W - kw + 1) = {expected.shape}"
        )
    if _close(got, expected):
        return
    if got.shape == expected.T.shape and _close(got, expected.T):
        raise AssertionError(transposed)
    for other, message in _valid2d_mistakes(image, kernel, flip):
        if not _close(other, expected) and _close(got, other):
            raise AssertionError(f"{message} {sizes}")
    raise AssertionError(f"{_where(got, expected)} {sizes}")


def _check_valid2d(fn, seed: int, flip: bool, what: str) -> bool:
    """Run :func:`_check_valid2d_case` over ``_VALID2D_GROUPS``."""
    rng = np.random.default_rng(seed)
    passed_square = False
    for cases, only in _VALID2D_GROUPS:
        for image_shape, kernel_shape in cases:
            image = rng.normal(size=image_shape)
            kernel = rng.normal(size=kernel_shape)
            try:
                _check_valid2d_case(fn, image, kernel, flip, what)
            except AssertionError as error:
                if passed_square and only is not None:
                    raise AssertionError(
                        f"your function works only for {only}: it fails for an "
                        f"image of shape {image_shape} and a kernel of shape "
                        f"{kernel_shape}. Use the number of rows (shape[0]) for the "
                        "row indices i and m and the number of columns (shape[1]) "
                        f"for j and n. Details: {error}"
                    ) from error
                raise
        if only is None:
            passed_square = True
    return True


def check_convolve2d(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(image, kernel)`` must return the valid 2-D convolution.

    S[i, j] = sum_m sum_n I[i + m, j + n] K[kh - 1 - m, kw - 1 - n] for
    0 <= i <= H - kh, 0 <= j <= W - kw: the kernel flipped in both axes, shape
    ``(H - kh + 1, W - kw + 1)``; equal to ``scipy.signal.convolve2d(image, kernel,
    "valid")``. Checked against :func:`convbn.convolution.convolve2d` on square images
    and kernels first, then non-square ones, a 1 x 1 kernel, a kernel as large as the
    image, row and column kernels; the inputs must not be modified.
    """
    return _check_valid2d(fn, seed, flip=True, what="your convolution function")


def _ch02_as_count(value, where, what):
    """A whole number of outputs (an int, or a float with an integer value)."""
    if isinstance(value, bool | np.bool_) or not isinstance(
        value, int | float | np.integer | np.floating
    ):
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.item()
        else:
            raise AssertionError(
                f"{what} must return one number for {where}, got {value!r}"
            )
    if float(value) != int(value):
        raise AssertionError(
            f"{what} returned {value!r} for {where}: the number of outputs is a "
            "whole number; round with // (floor) or math.ceil as the formula says"
        )
    return int(value)


def check_output_size(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(n, k, padding, stride)`` must return the outputs along one axis.

    For an axis of ``n`` inputs and a kernel of ``k`` taps: "valid" gives
    floor((n - k) / s) + 1, "same" ceil(n / s) and "full" ceil((n + k - 1) / s),
    as :func:`convbn.convolution.output_size`. Checked on stride 1 first, then on
    strides 2 to 5, with k = 1, k = n, k > n ("same" and "full") and n = 1.
    """
    import math

    rng = np.random.default_rng(seed)
    what = "your output_size"
    cases = [(5, 3), (7, 1), (4, 4), (1, 1), (3, 5), (10, 2), (9, 4)]
    cases += [
        (int(n), int(rng.integers(1, n + 1))) for n in rng.integers(2, 40, size=12)
    ]
    for strides in ((1,), (2, 3, 4, 5)):
        for n, k in cases:
            for padding in convolution.MODES:
                if padding == "valid" and k > n:
                    continue
                for s in strides:
                    where = f"n={n}, k={k}, padding={padding!r}, stride={s}"
                    raw = _call(fn, n, k, padding, s, what=what)
                    got = _ch02_as_count(raw, where, what)
                    expected = convolution.output_size(n, k, padding, s)
                    if got == expected:
                        continue
                    _ch02_output_size_mistake(got, n, k, padding, s, where, math)
                    if s > 1:
                        raise AssertionError(
                            f"right for stride 1 but wrong for {where}: expected "
                            f"{expected}, got {got}. With stride s only every s-th "
                            "of the stride-1 outputs is kept, starting with the "
                            "first: ceil(stride-1 count / s)"
                        )
                    raise AssertionError(
                        f"wrong for {where}: expected {expected}, got {got}"
                    )
    return True


def _ch02_output_size_mistake(got, n, k, padding, s, where, math):
    """Raise AssertionError naming the classic mistake that gives ``got``, if any."""
    counts = {"valid": n - k + 1, "same": n, "full": n + k - 1}
    if padding == "valid" and got == (n - k) // s:
        raise AssertionError(
            f"off by one for {where}: you forgot the + 1. The first window starts at "
            f"0 and the last at n - k, so with stride s there are floor((n - k) / s) "
            f"+ 1 = {(n - k) // s + 1} of them"
        )
    if s > 1 and got == counts[padding]:
        raise AssertionError(
            f"your function ignores the stride ({where}): stride {s} keeps only "
            f"every {s}-th output, so {counts[padding]} stride-1 outputs become "
            f"{convolution.output_size(n, k, padding, s)}"
        )
    if s > 1 and padding != "valid" and got == counts[padding] // s:
        raise AssertionError(
            f"you used floor where ceil is needed ({where}): with stride s the "
            f"outputs 0, s, 2s, ... of the {counts[padding]} stride-1 outputs are "
            f"kept, which is ceil({counts[padding]} / {s}) = "
            f"{math.ceil(counts[padding] / s)}, not {counts[padding]} // {s}"
        )
    if s > 1 and padding == "valid" and got == math.ceil((n - k) / s) + 1:
        raise AssertionError(
            f"you used ceil where floor is needed ({where}): a window starting after "
            f"position n - k = {n - k} would stick out of the input; valid gives "
            f"floor((n - k) / s) + 1 = {(n - k) // s + 1}"
        )
    if k > 1 and padding == "same" and got == math.ceil(counts["full"] / s):
        raise AssertionError(
            f"you confused 'same' and 'full' ({where}): 'same' keeps as many outputs "
            f"as inputs before the stride (n = {n}); n + k - 1 is 'full'"
        )
    if k > 1 and padding == "full" and got == math.ceil(n / s):
        raise AssertionError(
            f"you confused 'full' and 'same' ({where}): 'full' gives every position "
            f"where kernel and input overlap, n + k - 1 = {n + k - 1} before the "
            "stride; n is 'same'"
        )
    if (
        k > 1
        and padding == "valid"
        and got
        in (
            math.ceil(n / s),
            math.ceil(counts["full"] / s),
        )
    ):
        raise AssertionError(
            f"wrong padding for {where}: 'valid' keeps only the windows that lie "
            f"inside the input, floor((n - k) / s) + 1 = {(n - k) // s + 1}"
        )
    if got in (counts[padding] + 1, counts[padding] - 1) and s == 1:
        raise AssertionError(
            f"off by one for {where}: expected {counts[padding]}, got {got}"
        )


def _ch02_toeplitz_variants(w, n):
    """(matrix, message) pairs of the classic wrong convolution matrices."""
    good = convolution.convolution_matrix(w, n, "full")
    down, up = np.zeros_like(good), np.zeros_like(good)
    down[1:], up[:-1] = good[:-1], good[1:]
    return [
        (
            convolution.convolution_matrix(w[::-1], n, "full"),
            "the kernel is not flipped: M[i, j] must be w[i - j] (output i takes "
            "input j with weight w[i - j]); you built the cross-correlation matrix, "
            "w[j - i + k - 1]",
        ),
        (
            good[::-1],
            "your rows are in reverse order: row i of M gives output s[i], so row 0 "
            "holds w[0] in column 0",
        ),
        (
            good[:, ::-1],
            "your columns are in reverse order: column j of M multiplies input "
            "x[j], so column 0 holds w[0] in row 0",
        ),
        (
            down,
            "off by one: your diagonals sit one row too low; M[i, j] = w[i - j], "
            "so the main diagonal holds w[0]",
        ),
        (
            up,
            "off by one: your diagonals sit one row too high; M[i, j] = w[i - j], "
            "so the main diagonal holds w[0]",
        ),
    ]


def check_toeplitz_matrix(fn, seed: int = 0) -> bool:
    """Chapter 2: ``fn(w, n)`` must return the full 1-D convolution matrix.

    M has shape ``(n + k - 1, n)`` for a kernel ``w`` of length k and
    M[i, j] = w[i - j] (0 where i - j is outside 0..k - 1), so that
    ``M @ x == np.convolve(x, w)`` for every x of length n: a Toeplitz matrix,
    :func:`convbn.convolution.convolution_matrix` ``(w, n)``. Checked on random
    kernels and lengths, including k = 1, n = 1 and a kernel longer than the input;
    ``w`` must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your toeplitz_matrix"
    cases = [(3, 5), (2, 4), (4, 6), (1, 5), (3, 1), (5, 3), (2, 2)]
    cases += [(int(rng.integers(1, 7)), int(rng.integers(1, 12))) for _ in range(8)]
    for k, n in cases:
        w = rng.integers(1, 10, size=k).astype(float)
        w[0] += 10.0  # no palindromes: every mistake changes the matrix
        w_in = w.copy()
        raw = _call(fn, w_in, n, what=what)
        if not np.array_equal(w_in, w):
            raise AssertionError("your function modified w; work on a copy")
        where = f"(w of length k={k}, n={n})"
        expected = convolution.convolution_matrix(w, n, "full")
        try:
            got = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return a matrix of numbers, got {type(raw).__name__}"
            ) from error
        if got.shape != expected.shape:
            if got.shape == expected.T.shape and _close(got, expected.T):
                raise AssertionError(
                    f"your matrix is transposed {where}: M has one row per output "
                    f"and one column per input, shape (n + k - 1, n) = "
                    f"{expected.shape}, so that M @ x works"
                )
            for mode in ("valid", "same"):
                other = convolution.convolution_matrix(w, n, mode)
                if other.shape != expected.shape and got.shape == other.shape:
                    raise AssertionError(
                        f"your matrix has the shape of the {mode!r} convolution "
                        f"{where}, {got.shape}; the full convolution has n + k - 1 "
                        f"outputs: shape {expected.shape}"
                    )
            raise AssertionError(
                f"{what} returned shape {got.shape} {where}, expected "
                f"(n + k - 1, n) = {expected.shape}"
            )
        if _close(got, expected):
            continue
        for other, message in _ch02_toeplitz_variants(w, n):
            if not _close(other, expected) and _close(got, other):
                raise AssertionError(f"{message} {where}")
        i, j = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
        raise AssertionError(
            f"wrong entry M[{i}, {j}] {where}: expected {expected[i, j]:g} "
            f"(w[i - j]), got {got[i, j]:g}"
        )
    return True


# --- chapter 3: cross-correlation ---


def check_correlate2d(fn, seed: int = 0) -> bool:
    """Chapter 3: ``fn(image, kernel)`` must return the valid 2-D cross-correlation.

    S[i, j] = sum_m sum_n I[i + m, j + n] K[m, n] for 0 <= i <= H - kh and
    0 <= j <= W - kw: shape ``(H - kh + 1, W - kw + 1)``, the kernel not flipped.
    Checked against :func:`convbn.convolution.correlate2d` on random square and
    non-square images and kernels, a 1 x 1 kernel, a kernel as large as the image and
    row and column kernels; the inputs must not be modified.
    """
    return _check_valid2d(fn, seed, flip=False, what="your correlation function")


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
        K_in = kernel.copy()
        raw = _call(fn, K_in, what=what)
        if not np.array_equal(K_in, kernel):
            raise AssertionError(
                "your function modified the kernel it was given; return a new array"
            )
        expected = kernel[::-1, ::-1]
        try:
            got = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return numbers, got {type(raw).__name__}"
            ) from error
        if got.shape == expected.shape and _close(got, expected):
            continue
        variants = [
            (kernel, "you returned the kernel unchanged; reverse both axes"),
            (
                kernel[::-1, :],
                "you flipped the rows only (upside down); a 180-degree rotation "
                "also reverses the columns: K[::-1, ::-1]",
            ),
            (
                kernel[:, ::-1],
                "you flipped the columns only (left-right); a 180-degree rotation "
                "also reverses the rows: K[::-1, ::-1]",
            ),
            (
                kernel.T,
                "you transposed the kernel: a transpose mirrors it along the "
                "diagonal, which is not a 180-degree rotation",
            ),
            (
                kernel[::-1, ::-1].T,
                "you mirrored the kernel along its anti-diagonal (rotated and "
                "transposed); drop the transpose",
            ),
            (np.rot90(kernel), "you rotated by 90 degrees, not 180"),
            (np.rot90(kernel, -1), "you rotated by 90 degrees, not 180"),
        ]
        for other, message in variants:
            if (
                other.shape == got.shape
                and not (other.shape == expected.shape and _close(other, expected))
                and _close(got, other)
            ):
                raise AssertionError(f"{message} (kernel of shape {shape})")
        got = _as_result(got, expected.shape, what)
        raise AssertionError(f"{_where(got, expected)} (kernel of shape {shape})")
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
        x_in, w_in = x.copy(), w.copy()
        raw = _call(fn, x_in, w_in, what=what)
        if not (np.array_equal(x_in, x) and np.array_equal(w_in, w)):
            raise AssertionError(
                "your function modified its input arrays; work on copies"
            )
        expected = convolution.correlate1d(x, w, "full")
        try:
            got = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return numbers, got {type(raw).__name__}"
            ) from error
        sizes = f"(len(x) = {n}, len(w) = {k})"
        if got.shape == expected.shape and _close(got, expected):
            continue
        variants = [
            (
                convolution.convolve1d(x, w, "full"),
                "the kernel is flipped: that is convolution. Cross-correlation "
                "slides w over x as it is, pairing x[t + a] with w[a]",
            ),
            (
                expected[::-1],
                "your result is reversed: you computed the correlation of w with x. "
                "Cross-correlation is not commutative: swapping the arguments "
                "reverses the output",
            ),
            (
                convolution.correlate1d(x, w, "valid"),
                "you returned the valid part only; the full correlation has "
                "len(x) + len(w) - 1 values (pad x with len(w) - 1 zeros on each side)",
            ),
            (
                convolution.correlate1d(x, w, "same"),
                "you returned the 'same' part only; the full correlation has "
                "len(x) + len(w) - 1 values",
            ),
            (
                expected[1:],
                "off by one: your result misses the first value, where only w[-1] "
                "overlaps x[0]; pad x with len(w) - 1 zeros, not len(w) - 2",
            ),
            (
                expected[:-1],
                "off by one: your result misses the last value, where only w[0] "
                "overlaps x[-1]; the full correlation has len(x) + len(w) - 1 values",
            ),
        ]
        for other, message in variants:
            if (
                other.shape == got.shape
                and not (other.shape == expected.shape and _close(other, expected))
                and _close(got, other)
            ):
                raise AssertionError(f"{message} {sizes}")
        got = _as_result(got, expected.shape, what)
        raise AssertionError(f"{_where(got, expected)} {sizes}")
    return True


# --- chapter 4: sparse interactions and parameter sharing ---


def check_parameter_counts(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(m, n, k)`` must return ``(dense, sparse, shared)`` parameters.

    A layer with ``m`` inputs and ``n`` outputs needs ``m * n`` weights fully
    connected, ``k * n`` when each output sees only ``k`` inputs (sparse interactions,
    one private kernel per output) and ``k`` when every output uses the same kernel
    (parameter sharing). Checked on random sizes with k <= m, including k = 1, k = m
    and m != n.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(7, 5, 3), (5, 9, 2), (6, 6, 1), (4, 3, 4)]
    for _ in range(12):
        m = int(rng.integers(2, 3000))
        cases.append((m, int(rng.integers(2, 3000)), int(rng.integers(1, min(m, 12)))))
    for m, n, k in cases:
        result = _call(fn, m, n, k, what=what)
        try:
            got = tuple(int(v) if float(v) == int(v) else float(v) for v in result)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return three numbers (dense, sparse, shared), got "
                f"{result!r}"
            ) from error
        if len(got) != 3:
            raise AssertionError(
                f"{what} must return three numbers (dense, sparse, shared), got "
                f"{len(got)}: {result!r}"
            )
        expected = (m * n, k * n, k)
        if got == expected:
            continue
        dense, sparse, shared = got
        where = f"(m={m}, n={n}, k={k})"
        if sorted(got) == sorted(expected):
            raise AssertionError(
                f"the right numbers in the wrong order {where}: return (dense, sparse, "
                f"shared) = ({m * n}, {k * n}, {k}), got {got}"
            )
        if dense != m * n:
            if dense in (m + n, m * m, n * n):
                raise AssertionError(
                    f"dense count wrong {where}: every one of the n outputs has a "
                    f"weight for every one of the m inputs, m * n = {m * n}; got "
                    f"{dense}"
                )
            raise AssertionError(
                f"dense count wrong {where}: expected m * n = {m * n}, got {dense}"
            )
        if sparse != k * n:
            if sparse == k * m and m != n:
                raise AssertionError(
                    f"sparse count wrong {where}: there is one kernel of k weights per "
                    f"OUTPUT, so k * n = {k * n}, not k * m = {k * m}"
                )
            if sparse == k:
                raise AssertionError(
                    f"sparse count wrong {where}: without sharing each of the n "
                    f"outputs has its own k weights, k * n = {k * n}; k alone is the "
                    "shared count"
                )
            raise AssertionError(
                f"sparse count wrong {where}: expected k * n = {k * n}, got {sparse}"
            )
        if shared == k * n:
            raise AssertionError(
                f"shared count wrong {where}: with parameter sharing all outputs use "
                f"the SAME kernel, so only k = {k} parameters remain, not k * n"
            )
        if shared == 1:
            raise AssertionError(
                f"shared count wrong {where}: the one shared kernel still has k = {k} "
                "weights"
            )
        raise AssertionError(
            f"shared count wrong {where}: expected k = {k}, got {shared}"
        )
    return True


def _receptive_field_reference(k, depth, stride=1):
    return 1 + (k - 1) * sum(stride**i for i in range(depth))


def check_receptive_field(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(k, depth, stride=1)`` must return the receptive field size.

    One unit of layer ``depth`` in a stack of convolutions with kernel width ``k``
    (and stride ``stride`` in every layer) depends on d (k - 1) + 1 inputs for
    stride 1, and on 1 + (k - 1) (1 + s + ... + s^(d - 1)) for stride s. Checked first
    with ``fn(k, depth)`` (stride 1), including k = 1 and depth = 1, then with strides.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(3, 2), (5, 3), (3, 1), (1, 4), (2, 5)]
    cases += [(int(rng.integers(2, 12)), int(rng.integers(1, 10))) for _ in range(10)]
    for k, depth in cases:
        got = _call(fn, k, depth, what=what)
        expected = _receptive_field_reference(k, depth)
        where = f"k={k}, depth={depth}"
        if not np.isscalar(got) and np.ndim(got) != 0:
            raise AssertionError(f"{what} must return one number, got {got!r}")
        if got == expected:
            continue
        if got == k * depth:
            raise AssertionError(
                f"for {where} you returned k * depth = {got}: neighbouring units of a "
                "layer share k - 1 of their inputs, so each layer adds only k - 1 "
                f"new inputs: depth * (k - 1) + 1 = {expected}"
            )
        if got == depth * (k - 1):
            raise AssertionError(
                f"off by one for {where}: depth * (k - 1) forgets the unit's own "
                f"position; the answer is depth * (k - 1) + 1 = {expected}"
            )
        if got == k**depth:
            raise AssertionError(
                f"for {where} you returned k ** depth = {got}: the inputs seen by "
                f"neighbouring units overlap, so the field grows linearly, "
                f"depth * (k - 1) + 1 = {expected}"
            )
        if got in (expected + 1, expected - 1):
            raise AssertionError(
                f"off by one for {where}: expected {expected}, got {got}"
            )
        raise AssertionError(f"wrong size for {where}: expected {expected}, got {got}")
    stride_cases = [(3, 3, 2), (2, 4, 3), (3, 1, 3), (1, 3, 2)]
    stride_cases += [
        (int(rng.integers(2, 8)), int(rng.integers(1, 6)), int(rng.integers(2, 4)))
        for _ in range(8)
    ]
    for k, depth, stride in stride_cases:
        try:
            got = _call(fn, k, depth, stride, what=what)
        except AssertionError as error:
            if "positional argument" not in str(error):
                raise
            raise AssertionError(
                f"{error}; give your function a third parameter, stride=1"
            ) from error
        expected = _receptive_field_reference(k, depth, stride)
        where = f"k={k}, depth={depth}, stride={stride}"
        if got == expected:
            continue
        if got == _receptive_field_reference(k, depth) and expected != got:
            raise AssertionError(
                f"for {where} you returned {got}, the stride-1 answer: a stride s "
                "spreads the units of the layer below s inputs apart, so layer l adds "
                f"(k - 1) * s**(l - 1) inputs; expected {expected}"
            )
        if got == 1 + (k - 1) * depth * stride or got == stride * (depth * (k - 1) + 1):
            raise AssertionError(
                f"for {where} you returned {got}: the stride compounds, layer l adds "
                f"(k - 1) * s**(l - 1) inputs (not (k - 1) * s); expected {expected}"
            )
        if got == 1 + (k - 1) * stride**depth or got == 1 + (k - 1) * sum(
            stride**i for i in range(1, depth + 1)
        ):
            raise AssertionError(
                f"off by one power for {where}: the first layer adds k - 1 inputs "
                f"(s**0), the last (k - 1) * s**(depth - 1); expected {expected}"
            )
        raise AssertionError(f"wrong size for {where}: expected {expected}, got {got}")
    return True


def check_difference_image(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(image)`` must return ``image[:, 1:] - image[:, :-1]``.

    Each output pixel is a pixel minus its left neighbour (the kernel [-1, 1] slid
    along each row), so an ``(H, W)`` image gives ``(H, W - 1)``: large values at
    vertical edges. Checked on random non-square images (including W = 2 and H = 1)
    and a photograph crop; the input must not be modified.
    """
    from .datasets import sample_image

    rng = np.random.default_rng(seed)
    what = "your function"
    images = [
        rng.normal(size=(int(rng.integers(2, 30)), int(rng.integers(2, 30))))
        for _ in range(8)
    ]
    images += [
        rng.normal(size=(5, 8)),
        rng.normal(size=(9, 4)),
        rng.normal(size=(3, 2)),
        rng.normal(size=(1, 6)),
        sample_image("chelsea")[50:90, 100:160],
    ]
    for image in images:
        original = image.copy()
        raw_result = _call(fn, image, what=what)
        if not np.array_equal(image, original):
            raise AssertionError("your function modified the image; work on a copy")
        h, w = image.shape
        expected = image[:, 1:] - image[:, :-1]
        if raw_result is None:
            raise AssertionError(f"{what} returned None; return the difference image")
        got = np.asarray(raw_result, dtype=np.float64)
        vertical = image[1:, :] - image[:-1, :]
        if h > 1 and _close(np.abs(got), np.abs(vertical)):
            raise AssertionError(
                "you took differences down the columns (pixel minus the pixel above, "
                "axis 0): that finds horizontal edges. Subtract the LEFT neighbour, "
                "along axis 1: image[:, 1:] - image[:, :-1]"
            )
        if got.shape == (w - 1, h) and _close(np.abs(got), np.abs(expected.T)):
            raise AssertionError(
                f"your result is transposed: shape {got.shape}, expected (H, W - 1) = "
                f"{expected.shape}"
            )
        if got.shape == (h, w):
            raise AssertionError(
                f"your result has shape {got.shape}, the input's: the kernel [-1, 1] "
                "fits in W - 1 positions per row (valid mode), so return shape "
                f"(H, W - 1) = {expected.shape}, without padding"
            )
        got = _as_result(got, expected.shape, what)
        if _close(got, expected):
            continue
        if _close(got, -expected):
            raise AssertionError(
                "wrong sign: each output is the pixel minus its LEFT neighbour, "
                "image[:, j + 1] - image[:, j], not the other way round"
            )
        if _close(got, np.abs(expected)):
            raise AssertionError(
                "you returned absolute values; keep the sign: dark-to-bright edges "
                "are positive, bright-to-dark negative"
            )
        index = np.unravel_index(np.argmax(np.abs(got - expected)), expected.shape)
        raise AssertionError(
            f"wrong value at {tuple(int(i) for i in index)} for an image of shape "
            f"{image.shape}: expected {expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


# --- chapter 5: equivariance ---


def _ch05_shift_reference(x, k: int, axis: int = 0) -> np.ndarray:
    """g(x)[i] = x[i - k] along ``axis``, zeros where i - k falls outside."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, 0)
    out = np.zeros_like(x)
    n = x.shape[0]
    if 0 <= k < n:
        out[k:] = x[: n - k]
    elif -n < k < 0:
        out[: n + k] = x[-k:]
    return np.moveaxis(out, 0, axis)


def check_shift(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(x, k)`` must shift ``x`` by ``k`` along axis 0, with zero fill.

    g(x)[i] = x[i - k]: for a 1-D array the content moves ``k`` places to the right,
    for a 2-D array (an image) ``k`` rows down; a negative ``k`` moves it left / up.
    Places with no source (i - k outside the array) get 0, nothing wraps around, the
    shape stays the same and ``x`` is not modified. Checked on 1-D and 2-D arrays with
    k = 0, positive, negative and ``|k| >= len(x)``.
    """
    rng = np.random.default_rng(seed)
    what = "your shift function"
    cases = []
    for ndim in (1, 2):
        for k in (1, 3, 0, -1, -2, "n", "n+2"):
            n = int(rng.integers(5, 12))
            shape = (n,) if ndim == 1 else (n, int(rng.integers(3, 9)))
            kk = n if k == "n" else n + 2 if k == "n+2" else k
            cases.append((rng.normal(size=shape), kk))
    cases.append((np.arange(1, 8), 2))  # integers work too
    for x, k in cases:
        n = x.shape[0]
        x_in = x.copy()
        try:
            raw = _call(fn, x_in, k, what=what)
        except AssertionError as error:
            if k == 0:
                raise AssertionError(
                    f"{error}; k = 0 must return x unchanged -- careful, x[:-0] is "
                    "x[:0], the empty array"
                ) from error
            raise
        if not np.array_equal(x_in, x):
            raise AssertionError("your function modified its input x; work on a copy")
        expected = _ch05_shift_reference(x, k)
        got = np.asarray(raw, dtype=np.float64) if raw is not None else None
        if got is None:
            raise AssertionError(f"{what} returned None; return the shifted array")
        if got.shape != x.shape:
            if k == 0 and got.shape[:1] == (0,):
                raise AssertionError(
                    "k = 0 must return x unchanged; careful, x[:-0] is x[:0], the "
                    "empty array"
                )
            if got.ndim == x.ndim and got.shape[0] == n + abs(k) and k:
                raise AssertionError(
                    f"you added {abs(k)} zeros but did not cut the array back to its "
                    f"length {n}: the shape must not change"
                )
            if got.ndim == x.ndim and got.shape[0] == n - abs(k) and k:
                raise AssertionError(
                    f"you dropped {abs(k)} elements but did not put zeros in their "
                    f"place: the shape must stay {x.shape}"
                )
        got = _as_result(got, x.shape, what)
        if _close(got, expected):
            continue
        label = f"(shape {x.shape}, k={k})"
        if abs(k) >= n:
            raise AssertionError(
                f"a shift by |k| >= len(x) pushes everything out: the result is all "
                f"zeros {label}"
            )
        if _close(got, _ch05_shift_reference(x, -k)):
            raise AssertionError(
                f"wrong direction {label}: g(x)[i] = x[i - k] moves the content to "
                "larger indices (right, or down for an image) when k > 0"
            )
        if _close(got, np.roll(x, k, axis=0)):
            raise AssertionError(
                f"your shift wraps around {label}: the elements pushed off one end "
                "reappear at the other (that is np.roll); fill with zeros instead"
            )
        if _close(got, np.roll(x, -k, axis=0)):
            raise AssertionError(
                f"your shift wraps around and goes the wrong way {label}: use zeros "
                "and g(x)[i] = x[i - k]"
            )
        if x.ndim == 2 and abs(k) < x.shape[1]:
            if _close(got, _ch05_shift_reference(x, k, axis=1)):
                raise AssertionError(
                    f"you shifted along the wrong axis {label}: an image moves k "
                    "rows down (axis 0), not k columns right"
                )
        if k < 0:
            raise AssertionError(
                f"a negative k is wrong {label}: it moves the content |k| places "
                "left (up), g(x)[i] = x[i + |k|], zeros at the end"
            )
        index = np.unravel_index(np.argmax(np.abs(got - expected)), x.shape)
        raise AssertionError(
            f"wrong value at index {tuple(int(i) for i in index)} {label}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


def _ch05_circular(image, kernel, flip: bool = False) -> np.ndarray:
    kh, kw = kernel.shape
    padded = np.pad(
        image, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)), mode="wrap"
    )
    if flip:
        kernel = kernel[::-1, ::-1]
    return convolution.correlate2d(padded, kernel, mode="valid")


def check_circular_correlate2d(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(image, kernel)`` must return the circular cross-correlation.

    S[i, j] = sum_m sum_n I[(i + m - kh // 2) mod H, (j + n - kw // 2) mod W] K[m, n]
    for an ``(H, W)`` image and a ``(kh, kw)`` kernel of odd sizes: the image wraps
    around at its borders, the output has the image's shape and S[i, j] is centred on
    pixel (i, j). Checked on random non-square images and kernels (1 x 1, 3 x 1,
    1 x 5, 3 x 3, 5 x 3, ...); the inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your circular correlation"
    sizes = [(3, 3), (1, 1), (3, 1), (1, 5), (5, 3), (3, 5), (5, 5), (3, 3)]
    for kh, kw in sizes:
        h, w = int(rng.integers(kh + 2, 13)), int(rng.integers(kw + 3, 14))
        image = rng.normal(size=(h, w))
        kernel = rng.normal(size=(kh, kw))
        image_in, kernel_in = image.copy(), kernel.copy()
        raw = _call(fn, image_in, kernel_in, what=what)
        if not (np.array_equal(image_in, image) and np.array_equal(kernel_in, kernel)):
            raise AssertionError("your function modified its inputs; work on copies")
        expected = _ch05_circular(image, kernel)
        label = f"(image {h}x{w}, kernel {kh}x{kw})"
        got = np.asarray(raw, dtype=np.float64)
        if got.shape == (h - kh + 1, w - kw + 1) and got.shape != (h, w):
            raise AssertionError(
                f"you returned the valid part {got.shape} {label}; wrap the image "
                f"around (pad it with its own opposite border) so the output keeps "
                f"the image's shape {(h, w)}"
            )
        if got.shape == (h + kh - 1, w + kw - 1) and got.shape != (h, w):
            raise AssertionError(
                f"you returned {got.shape}, the size of a full correlation {label}; "
                f"the circular correlation has the image's shape {(h, w)}"
            )
        got = _as_result(got, (h, w), what)
        if _close(got, expected):
            continue
        ph, pw = kh // 2, kw // 2
        if _close(got, convolution.correlate2d(image, kernel, mode="same")):
            raise AssertionError(
                f"you padded with zeros {label}: at the borders the kernel must see "
                "the opposite side of the image (np.pad(..., mode='wrap')), not zeros"
            )
        if _close(got, _ch05_circular(image, kernel, flip=True)):
            raise AssertionError(
                f"the kernel is flipped {label}: that is circular convolution; "
                "cross-correlation uses K[m, n] as it is"
            )
        if kh == kw and kh > 1 and _close(got, _ch05_circular(image, kernel.T)):
            raise AssertionError(f"the kernel is transposed {label}")
        for dy, dx in ((ph, pw), (-ph, -pw), (ph, 0), (0, pw), (-ph, 0), (0, -pw)):
            if (dy or dx) and _close(got, np.roll(expected, (dy, dx), axis=(0, 1))):
                raise AssertionError(
                    f"off by the kernel centre {label}: your output is the right one "
                    f"moved by {(dy, dx)} pixels; S[i, j] must be centred on pixel "
                    "(i, j): pad kh // 2 rows before and kh - 1 - kh // 2 after (same "
                    "for columns), or start the window at i - kh // 2"
                )
        index = np.unravel_index(np.argmax(np.abs(got - expected)), (h, w))
        raise AssertionError(
            f"wrong value at {tuple(int(i) for i in index)} {label}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


def _ch05_equivariance_cases(rng):
    """(description, f, x, shift) for check_is_equivariant: both kinds of f."""
    x1 = rng.normal(size=12)
    x2 = rng.normal(size=(7, 6))
    box = np.array([0.2, 0.5, 0.3])

    def circular_smooth(x):  # equivariant, computed with FFTs: rounding errors
        w = np.zeros(len(x))
        w[: len(box)] = box
        return np.real(np.fft.ifft(np.fft.fft(x) * np.fft.fft(w)))

    def zero_padded_smooth(x):  # zero padding at the ends: not equivariant
        return np.convolve(x, box, mode="same")

    def circular_rows(x):  # a circular 3-tap filter along axis 0
        return 2 * x - np.roll(x, 1, axis=0) - np.roll(x, -1, axis=0)

    return [
        ("f(x) = x**2", lambda x: x**2, x1, 3, True),
        ("f(x) = x * arange(len(x))", lambda x: x * np.arange(len(x)), x1, 3, False),
        ("circular smoothing (via FFT)", circular_smooth, x1, 4, True),
        ("f(x) = cumsum(x)", np.cumsum, x1, 2, False),
        ("f(x) = tanh(x)", np.tanh, x1, -5, True),
        ("f(x) = x[::-1]", lambda x: x[::-1], x1, 1, False),
        ("np.convolve(x, w, 'same')", zero_padded_smooth, x1, 1, False),
        ("f(x) = x - mean(x)", lambda x: x - x.mean(), x1, 7, True),
        (
            "f(x) = x * arange(len(x)) with shift 0",
            lambda x: x * np.arange(len(x)),
            x1,
            0,
            True,
        ),
        ("circular filter on an image", circular_rows, x2, 2, True),
        (
            "f(x) = x * column index (shifts move rows)",
            lambda x: x * np.arange(x.shape[1]),
            x2,
            3,
            True,
        ),
        (
            "f(x) = x * row index",
            lambda x: x * np.arange(len(x))[:, None],
            x2,
            2,
            False,
        ),
    ]


def check_is_equivariant(fn, seed: int = 0) -> bool:
    """Chapter 5: ``fn(f, x, shift)`` must say whether f(g(x)) == g(f(x)) (np.allclose).

    g is the circular shift ``np.roll(x, shift, axis=0)``; ``fn`` returns one bool.
    Checked with equivariant functions (x**2, tanh, circular filters, one computed with
    FFTs so that the two sides differ by rounding errors) and non-equivariant ones
    (x * arange, cumsum, reversal, zero-padded np.convolve), 1-D and 2-D x.
    """
    rng = np.random.default_rng(seed)
    what = "your is_translation_equivariant"
    cases = _ch05_equivariance_cases(rng)
    answers = []
    for name, f, x, shift, _ in cases:
        result = _call(fn, f, x.copy(), shift, what=what)
        if isinstance(result, np.ndarray) and result.size != 1:
            raise AssertionError(
                f"{what} returned an array of shape {result.shape} for {name}; return "
                "one True/False for the whole array: use np.allclose, not =="
            )
        if not isinstance(result, bool | np.bool_ | np.ndarray):
            raise AssertionError(
                f"{what} must return True or False, got {type(result).__name__} "
                f"{result!r} for {name}"
            )
        answers.append(bool(result))

    def g(x, s):
        return np.roll(x, s, axis=0)

    expected = [np.allclose(f(g(x, s)), g(f(x), s)) for _, f, x, s, _ in cases]
    if answers == expected:
        return True
    variants = [
        ([True] * len(cases), "it always returns True"),
        ([False] * len(cases), "it always returns False"),
        (
            [np.allclose(f(g(x, s)), f(x)) for _, f, x, s, _ in cases],
            "it compares f(g(x)) with f(x): that tests invariance (the output does "
            "not change), not equivariance (the output moves with the input)",
        ),
        (
            [np.allclose(f(g(x, s)), g(f(x), -s)) for _, f, x, s, _ in cases],
            "it shifts the two sides in opposite directions: use the same "
            "np.roll(..., shift, axis=0) for both",
        ),
        (
            [bool(np.array_equal(f(g(x, s)), g(f(x), s))) for _, f, x, s, _ in cases],
            "it compares exactly (== or np.array_equal): two computations of the same "
            "numbers can differ by rounding errors; use np.allclose",
        ),
        (
            [
                np.allclose(f(np.roll(x, s)), np.roll(f(x), s))
                for _, f, x, s, _ in cases
            ],
            "np.roll without axis=0 rolls the flattened array, which is not a "
            "translation of an image; use np.roll(x, shift, axis=0)",
        ),
    ]
    for pattern, message in variants:
        if answers == [bool(v) for v in pattern]:
            raise AssertionError(message)
    pairs = enumerate(zip(answers, expected, strict=True))
    index = next(i for i, (a, e) in pairs if a != e)
    name, _, x, shift, _ = cases[index]
    raise AssertionError(
        f"wrong answer for {name} (x of shape {x.shape}, shift {shift}): expected "
        f"{expected[index]}, got {answers[index]}"
    )
