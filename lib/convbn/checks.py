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
    "check_max_pool2d",
    "check_average_pool1d_same",
    "check_pooling_weights",
    "check_conv_layer",
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_batchnorm_inference",
    "check_sequential_model",
    "check_dense_parameters",
    "check_to_functional",
    "check_inverted_dropout",
    "check_custom_loss",
    "check_categorical_crossentropy",
    "check_adam_step",
    "check_inverse_time_decay",
    "check_cnn_shapes",
    "check_conv_bn_params",
    "check_fold_batchnorm",
    "check_confusion_matrix",
    "check_moving_average",
    "check_moving_after",
    "check_bn_parameter_counts",
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


def _named_mistake(got, expected, variants, rtol=1e-6, atol=1e-9) -> str | None:
    """The message of the first known mistake ``got`` matches, or None.

    ``variants`` holds ``(what that mistake returns, message)`` pairs; a variant
    that is None, or that happens to equal ``expected`` for these inputs, is
    skipped, so that a right answer is never diagnosed as a mistake.
    """
    for value, message in variants:
        if value is None or _close(value, expected, rtol, atol):
            continue
        if _close(got, value, rtol, atol):
            return message
    return None


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
    message = _named_mistake(got, expected, _valid2d_mistakes(image, kernel, flip))
    raise AssertionError(f"{message or _where(got, expected)} {sizes}")


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
        message = _named_mistake(got, expected, _ch02_toeplitz_variants(w, n))
        if message:
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
        message = _named_mistake(got, expected, variants)
        if message is None:
            got = _as_result(got, expected.shape, what)
            message = _where(got, expected)
        raise AssertionError(f"{message} (kernel of shape {shape})")
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
        message = _named_mistake(got, expected, variants)
        if message is None:
            got = _as_result(got, expected.shape, what)
            message = _where(got, expected)
        raise AssertionError(f"{message} {sizes}")
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


# --- chapter 6: pooling and the convolutional layer ---

# The (input shape, size, stride) cases check_max_pool2d tries, square inputs first:
# a solution that passes those and fails later is told it only handles square inputs.
_CH06_SQUARE_CASES = [
    ((6, 6), 2, 2),
    ((8, 8), 3, 2),
    ((7, 7), 2, 3),
    ((5, 5), 1, 1),
    ((4, 4), 4, 1),
    ((9, 9), 3, 3),
    ((6, 6), 3, 1),
]
_CH06_OTHER_CASES = [
    ((6, 9), 2, 2),
    ((10, 7), 3, 2),
    ((5, 8), 2, 3),
    ((7, 4), 4, 2),
    ((3, 11), 3, 1),
    ((8, 5), 1, 2),
    ((5, 9), 5, 2),
    ((1, 6), 1, 1),
    ((9, 6), 2, 4),
]


def _ch06_max_pool(x, size, stride, stat=np.max, length=None):
    """Valid pooling of a 2-D array with ``stat`` over windows of ``length`` rows and
    columns (default ``size``) that start every ``stride`` entries; the window grid is
    the one of ``size``."""
    length = size if length is None else length
    rows = (x.shape[0] - size) // stride + 1
    cols = (x.shape[1] - size) // stride + 1
    out = np.empty((rows, cols))
    for i in range(rows):
        for j in range(cols):
            window = x[
                i * stride : i * stride + length, j * stride : j * stride + length
            ]
            out[i, j] = stat(window)
    return out


class _Ch06Named(AssertionError):
    """A failure whose message names the mistake (not wrapped by later hints)."""


def _ch06_max_pool_mistake(got, x, size, stride, label) -> None:
    """Raise AssertionError naming the mistake that turns max pooling into ``got``."""
    from .pooling import pool2d

    H, W = x.shape
    expected = pool2d(x, size, stride)
    rows, cols = expected.shape
    candidates = [
        (
            _ch06_max_pool(x, size, stride, np.mean),
            "you computed the average of each window (average pooling); max pooling "
            "takes the largest value: window.max()",
        ),
        (
            _ch06_max_pool(x, size, stride, np.min),
            "you took the smallest value of each window (min); max pooling takes the "
            "largest: window.max()",
        ),
        (
            _ch06_max_pool(x, size, stride, lambda w: np.abs(w).max()),
            "you took the largest absolute value, max |x|; max pooling keeps the sign: "
            "window.max()",
        ),
        (
            expected.T,
            "your result is transposed: out[i, j] must have i running over the rows "
            "(the first axis) and j over the columns",
        ),
    ]
    if stride != 1:
        candidates.append(
            (
                _ch06_max_pool(x, size, 1),
                f"the stride is ignored: you moved the window by 1 instead of stride = "
                f"{stride}; window (i, j) starts at row i * stride and column j * "
                "stride",
            )
        )
    if stride != size:
        candidates.append(
            (
                _ch06_max_pool(x, size, size),
                f"you moved the window by size = {size} instead of stride = {stride} "
                "(the stride is a separate argument; it equals size only by default "
                "in Keras)",
            )
        )
        if stride <= min(H, W):
            candidates.append(
                (
                    _ch06_max_pool(x, stride, size),
                    "size and stride are swapped: windows are size x size entries "
                    "and start every stride entries; the function is called as "
                    "fn(x, size, stride)",
                )
            )
    if size > 1:
        candidates.append(
            (
                _ch06_max_pool(x, size, stride, length=size - 1),
                f"off by one inside the window: your windows are {size - 1} x "
                f"{size - 1} entries, not size x size = {size} x {size}; the window "
                "is x[i * stride : i * stride + size, j * stride : j * stride + size]",
            )
        )
    message = _named_mistake(got, expected, candidates)
    if message:
        raise _Ch06Named(f"{message} {label}")
    if got.shape != expected.shape:
        if got.ndim == 2 and rows != cols and got.shape in ((rows, rows), (cols, cols)):
            raise _Ch06Named(
                f"your function works only for square inputs {label}: your output "
                f"has shape {got.shape}, expected {expected.shape}; use x.shape[0] "
                "(H) for the number of window rows and x.shape[1] (W) for the "
                "columns"
            )
        extra = (got.shape[0] - rows, got.shape[1] - cols) if got.ndim == 2 else None
        if extra is not None and set(extra) <= {-1, 0}:
            raise _Ch06Named(
                f"the last window is dropped {label}: your output has shape "
                f"{got.shape}, expected {expected.shape}. Off by one in the output "
                f"size: there are (H - size) // stride + 1 = {rows} window rows and "
                f"(W - size) // stride + 1 = {cols} window columns; loop over "
                "range((H - size) // stride + 1)"
            )
        if extra is not None and set(extra) <= {0, 1}:
            raise _Ch06Named(
                f"one window too many {label}: your output has shape {got.shape}, "
                f"expected {expected.shape}; a valid window must fit: the last one "
                "starts at row ((H - size) // stride) * stride"
            )
        raise AssertionError(
            f"your max pooling returned shape {got.shape} {label}, expected "
            f"((H - size) // stride + 1, (W - size) // stride + 1) = {expected.shape}"
        )
    raise AssertionError(f"{_where(got, expected)} {label}")


def _ch06_max_pool_case(fn, x, size, stride, what) -> None:
    from .pooling import pool2d

    x_in = x.copy()
    raw = _call(fn, x_in, size, stride, what=what)
    if not np.array_equal(x_in, x):
        raise _Ch06Named(
            "your function modified its input x; pooling must leave the detector "
            "output as it is (work on a copy)"
        )
    label = f"(x of shape {x.shape}, size {size}, stride {stride})"
    if raw is None:
        raise AssertionError(f"{what} returned None; return the pooled array")
    try:
        got = np.asarray(raw, dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise AssertionError(
            f"{what} must return numbers, got {type(raw).__name__}"
        ) from error
    expected = pool2d(x, size, stride)
    if got.shape == expected.shape and _close(got, expected):
        return
    _ch06_max_pool_mistake(got, x, size, stride, label)


def check_max_pool2d(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, size, stride)`` must return the valid max pooling of ``x``.

    For a 2-D array ``x`` of shape ``(H, W)``, windows of ``size x size`` entries
    start every ``stride`` rows and columns (the window step):
    ``out[i, j] = max(x[i s : i s + size, j s : j s + size])``, shape
    ``((H - size) // s + 1, (W - size) // s + 1)``; equal to
    ``convbn.pooling.pool2d(x, size, stride)`` and ``keras.layers.MaxPooling2D(size,
    stride)``. Checked against :func:`convbn.pooling.pool2d` on square inputs first,
    then non-square ones, with size 1, size != stride (both ways), stride > size and a
    window as large as the input; ``x`` must not be modified. Names the usual
    mistakes: average or min instead of max, the stride ignored (or taken equal to
    the size), size and stride swapped, the last window dropped, a window one entry
    too small, a transposed result, code that only works for square inputs.
    """
    rng = np.random.default_rng(seed)
    what = "your max pooling"
    other = list(_CH06_OTHER_CASES)
    for _ in range(6):
        H, W = (int(v) for v in rng.integers(2, 13, size=2))
        size = int(rng.integers(1, min(H, W) + 1))
        other.append(((H, W), size, int(rng.integers(1, 5))))
    for group, square in ((_CH06_SQUARE_CASES, True), (other, False)):
        for shape, size, stride in group:
            x = rng.normal(size=shape)
            try:
                _ch06_max_pool_case(fn, x, size, stride, what)
            except _Ch06Named:
                raise
            except AssertionError as error:
                if square or shape[0] == shape[1]:
                    raise
                raise AssertionError(
                    f"your function works only for square inputs: it is right for "
                    f"every square x but fails for x of shape {shape}. Use x.shape[0] "
                    f"(H) for the rows and x.shape[1] (W) for the columns. Details: "
                    f"{error}"
                ) from error
    return True


def _ch06_same_windows(n: int, size: int, stride: int, before=None):
    """(start, stop) of each "same" window, clipped to the real inputs, and the
    number of positions padded before (Keras's: half of the total, rounded down)."""
    count = -(-n // stride)
    total = max((count - 1) * stride + size - n, 0)
    before = total // 2 if before is None else before
    starts = [i * stride - before for i in range(count)]
    return [(max(s, 0), min(s + size, n)) for s in starts]


def _ch06_avg_same(x, size, stride, before=None, divide_by_size=False):
    windows = _ch06_same_windows(len(x), size, stride, before)
    sums = np.array([x[a:b].sum() for a, b in windows])
    counts = np.array([b - a for a, b in windows])
    return sums / (size if divide_by_size else counts)


def check_average_pool1d_same(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, size, stride)`` must return Keras's "same" average pooling.

    For a 1-D array ``x`` of length ``n``: ``ceil(n / stride)`` outputs, as
    ``keras.layers.AveragePooling1D(size, stride, padding="same")``. Output ``i``
    averages the window that starts at ``i * stride - before``, where ``before =
    total // 2`` of ``total = max((ceil(n / stride) - 1) * stride + size - n, 0)``
    padded positions (the odd one goes at the end); the average is over the real
    inputs in the window only (padding is not counted), so the windows at the ends
    can be smaller, as in Goodfellow et al.'s Fig. 9.10. Equal to
    ``convbn.pooling.pool1d(x, size, stride, "average", "same")``. Checked on random
    lengths (1 to 16), sizes (1 to 5, also larger than ``n``) and strides (1 to 4);
    ``x`` must not be modified.
    """
    from .pooling import pool1d

    rng = np.random.default_rng(seed)
    what = "your 'same' average pooling"
    cases = [(5, 3, 2), (6, 3, 2), (7, 2, 2), (8, 4, 3), (1, 1, 1), (4, 1, 2)]
    cases += [(9, 4, 2), (3, 5, 1), (10, 2, 3), (6, 3, 1), (11, 5, 4), (2, 3, 2)]
    for _ in range(12):
        cases.append(
            (int(rng.integers(1, 17)), int(rng.integers(1, 6)), int(rng.integers(1, 5)))
        )
    for n, size, stride in cases:
        x = rng.normal(size=n)
        x_in = x.copy()
        raw = _call(fn, x_in, size, stride, what=what)
        if not np.array_equal(x_in, x):
            raise AssertionError("your function modified its input x; work on a copy")
        label = f"(n = {n}, size {size}, stride {stride})"
        expected = pool1d(x, size, stride, "average", "same")
        if raw is None:
            raise AssertionError(f"{what} returned None; return the pooled array")
        try:
            got = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return numbers, got {type(raw).__name__}"
            ) from error
        if got.shape == expected.shape and _close(got, expected):
            continue
        count = len(expected)
        if got.ndim == 1 and size <= n and len(got) == (n - size) // stride + 1:
            if len(got) != count and _close(
                got, pool1d(x, size, stride, "average", "valid")
            ):
                raise AssertionError(
                    f"you dropped the smaller windows at the end {label}: that is "
                    f"'valid' pooling, {len(got)} outputs; 'same' keeps ceil(n / "
                    f"stride) = {count} outputs so that no input is ignored, even if "
                    "the last window is cut short"
                )
        if got.ndim == 1 and len(got) == n // stride and n % stride:
            raise AssertionError(
                f"you returned n // stride = {len(got)} outputs {label}; 'same' "
                f"pooling gives ceil(n / stride) = {count}"
            )
        if got.ndim == 1 and len(got) == n and stride > 1:
            raise AssertionError(
                f"the stride is ignored {label}: you returned {n} outputs, one per "
                f"input; output i starts at i * stride, and there are ceil(n / "
                f"stride) = {count} of them"
            )
        got = _as_result(got, expected.shape, what)
        total = max((count - 1) * stride + size - n, 0)
        variants = [
            (
                _ch06_avg_same(x, size, stride, divide_by_size=True),
                "you divided every sum by size, counting the padded positions as "
                "zeros; Keras averages over the real inputs in each window only, so "
                "a window cut short by the border divides by fewer",
            ),
            (
                _ch06_avg_same(x, size, stride, before=0),
                f"you put all {total} padded positions at the end; Keras puts half "
                "of them, total // 2, before the first input and the rest after",
            ),
            (
                _ch06_avg_same(x, size, stride, before=total - total // 2),
                "the odd padded position is on the wrong side: Keras pads total // 2 "
                "before and total - total // 2 (the larger half) after",
            ),
            (
                _ch06_avg_same(x, size, stride, before=total),
                f"you put all {total} padded positions before the first input; "
                "Keras puts total // 2 before and the rest at the end",
            ),
            (
                np.array(
                    [x[a:b].max() for a, b in _ch06_same_windows(n, size, stride)]
                ),
                "you took the maximum of each window; average pooling takes the mean",
            ),
        ]
        message = _named_mistake(got, expected, variants)
        raise AssertionError(f"{message or _where(got, expected)} {label}")
    return True


def _ch06_gaussian(
    size,
    sigma,
    centre=None,
    sq=True,
    two=True,
    sign=-1.0,
    sigma_power=2,
    rows_only=False,
    normalise=True,
):
    """Distance-weighted pooling weights with one of the usual mistakes switched on."""
    c = (size - 1) / 2 if centre is None else centre
    m = np.arange(size) - c
    d2 = m[:, None] ** 2 + (0 * m[None, :] if rows_only else m[None, :] ** 2)
    d = d2 if sq else np.sqrt(d2)
    w = np.exp(sign * d / ((2 if two else 1) * sigma**sigma_power))
    return w / w.sum() if normalise else w


def check_pooling_weights(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(size, sigma)`` must return the weights of distance-weighted
    pooling over a ``size x size`` window.

    ``w[m, q]`` is proportional to ``exp(-((m - c)^2 + (q - c)^2) / (2 sigma^2))`` with
    ``c = (size - 1) / 2``, the window's centre (between two pixels for an even
    size), and the weights sum to 1; shape ``(size, size)``. Equal to
    ``convbn.pooling.pooling_weights(size, sigma)``. Checked on odd sizes first, then
    even ones, with random ``sigma`` from 0.4 to 3. Names the usual mistakes: not
    normalised, sigma not squared, the factor 2 missing, the distance not squared,
    the wrong sign, the centre at ``size // 2``, equal weights, one axis only.
    """
    from .pooling import pooling_weights

    rng = np.random.default_rng(seed)
    what = "your pooling weights"
    groups = [([1, 3, 5, 3, 7], None), ([2, 4, 6, 4], "odd sizes")]
    passed_odd = False
    for sizes, only in groups:
        for size in sizes:
            sigma = float(np.round(rng.uniform(0.4, 3.0), 2))
            label = f"(size {size}, sigma {sigma})"
            raw = _call(fn, size, sigma, what=what)
            expected = pooling_weights(size, sigma)
            try:
                got = np.asarray(raw, dtype=np.float64)
            except (TypeError, ValueError) as error:
                raise AssertionError(
                    f"{what} must return numbers, got {type(raw).__name__}"
                ) from error
            if got.shape == (size,):
                raise AssertionError(
                    f"you returned shape {got.shape} {label}: the window is 2-D, so "
                    f"return one weight per pixel, shape ({size}, {size})"
                )
            got = _as_result(got, (size, size), what)
            if _close(got, expected):
                continue
            total = got.sum()
            if (
                not np.isclose(total, 1.0)
                and total > 0
                and _close(got / total, expected)
            ):
                raise AssertionError(
                    f"the weights sum to {total:.4g}, not 1 {label}: divide by their "
                    "sum, so that pooling a constant map returns that constant (a "
                    "weighted average)"
                )
            variants = [
                (
                    np.full((size, size), 1 / size**2),
                    "all weights are equal: that is average pooling; the weights "
                    "must fall off with the distance from the centre",
                ),
                (
                    _ch06_gaussian(size, sigma, sign=1.0),
                    "the weights grow with the distance from the centre: the "
                    "exponent is minus the squared distance, exp(-d^2 / (2 sigma^2))",
                ),
                (
                    _ch06_gaussian(size, sigma, sigma_power=1),
                    "sigma is not squared: exp(-d^2 / (2 sigma^2)), not "
                    "exp(-d^2 / (2 sigma))",
                ),
                (
                    _ch06_gaussian(size, sigma, two=False),
                    "the factor 2 is missing: exp(-d^2 / (2 sigma^2)), not "
                    "exp(-d^2 / sigma^2)",
                ),
                (
                    _ch06_gaussian(size, sigma, sq=False),
                    "the distance is not squared: the exponent is -d^2 / (2 sigma^2) "
                    "with d^2 = (m - c)^2 + (q - c)^2",
                ),
                (
                    _ch06_gaussian(size, sigma, rows_only=True),
                    "the weights depend on the row only: the distance from the "
                    "centre is d^2 = (m - c)^2 + (q - c)^2, rows and columns",
                ),
                (
                    _ch06_gaussian(size, sigma, centre=size // 2),
                    f"the centre is at size // 2 = {size // 2}; for an even size "
                    f"the centre of the window lies between two pixels, at (size - "
                    f"1) / 2 = {(size - 1) / 2}, so that the weights are symmetric",
                ),
                (
                    _ch06_gaussian(size, sigma, centre=size / 2),
                    f"the centre is at size / 2 = {size / 2}; indices run from 0 to "
                    f"size - 1, so the centre is at (size - 1) / 2 = {(size - 1) / 2}",
                ),
            ]
            message = _named_mistake(got, expected, variants)
            if message:
                raise AssertionError(f"{message} {label}")
            if passed_odd and only is not None:
                raise AssertionError(
                    f"your weights are right for odd sizes only {label}: "
                    f"{_where(got, expected)}"
                )
            raise AssertionError(f"{_where(got, expected)} {label}")
        passed_odd = True
    return True


def _ch06_layer(x, w, b, pool, flip=False, relu=True, stat="max", stride=None):
    """The reference three-stage layer for check_conv_layer, with switches."""
    from .convolution import conv2d
    from .pooling import pool2d

    kernel = w[::-1, ::-1] if flip else w
    z = conv2d(x[None, :, :, None], kernel[:, :, None, :], b)[0]
    h = np.maximum(z, 0.0) if relu is True else (relu(z) if relu else z)
    return pool2d(h[None], pool, stride or pool, stat)[0]


def check_conv_layer(fn, seed: int = 0) -> bool:
    """Chapter 6: ``fn(x, w, b, pool)`` must run the three stages of a convolutional
    layer on one image.

    ``x`` is ``(H, W)``, ``w`` is ``(kh, kw, C)`` (C filters), ``b`` is ``(C,)``, and
    ``pool`` an int. Stage 1 (affine): ``z[i, j, c] = b[c] + sum_{m, q} x[i + m, j +
    q] w[m, q, c]``, the valid cross-correlation, shape ``(H - kh + 1, W - kw + 1,
    C)``; stage 2 (detector): ``h = max(z, 0)``; stage 3: max pooling of each channel
    with windows of ``pool x pool`` and stride ``pool`` ("valid"). The result has
    shape ``((H - kh + 1) // pool, (W - kw + 1) // pool, C)``, as ``Conv2D(C, (kh,
    kw))`` + ``ReLU()`` + ``MaxPooling2D(pool)`` in Keras. Checked on random
    non-square images, kernels (1 x 1 to 4 x 4, not square), 1 to 3 channels and
    pool sizes 1 to 3. Names the usual mistakes: a flipped kernel, the bias missing or
    added after the ReLU, no ReLU, average pooling, no pooling, pooling with stride
    1, channels first, one filter used for every channel.
    """
    rng = np.random.default_rng(seed)
    what = "your convolutional layer"
    cases = [((8, 8), (3, 3), 2, 2), ((9, 7), (2, 3), 3, 2), ((10, 12), (3, 2), 2, 3)]
    cases += [((6, 5), (1, 1), 1, 1), ((7, 9), (4, 2), 2, 2), ((5, 6), (3, 3), 3, 1)]
    cases += [((11, 8), (2, 2), 1, 3), ((8, 10), (3, 4), 2, 2)]
    for image_shape, kernel_shape, channels, pool in cases:
        x = rng.normal(size=image_shape)
        w = rng.normal(size=(*kernel_shape, channels))
        b = rng.uniform(-3.0, 1.0, size=channels)
        b[0] = -abs(b[0]) - 1.0  # some pooled pre-activations negative: ReLU matters
        args = (x.copy(), w.copy(), b.copy(), pool)
        raw = _call(fn, *args, what=what)
        if not all(
            np.array_equal(a, o) for a, o in zip(args[:3], (x, w, b), strict=True)
        ):
            raise AssertionError("your function modified its inputs; work on copies")
        label = (
            f"(x {image_shape}, w {w.shape}, {channels} channel"
            f"{'s' if channels > 1 else ''}, pool {pool})"
        )
        expected = _ch06_layer(x, w, b, pool)
        if raw is None:
            raise AssertionError(f"{what} returned None; return the pooled array")
        try:
            got = np.asarray(raw, dtype=np.float64)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return numbers, got {type(raw).__name__}"
            ) from error
        if got.shape == expected.shape and _close(got, expected):
            continue
        zero = np.zeros_like(b)
        variants = [
            (
                np.moveaxis(expected, -1, 0),
                "channels come first in your result; Keras's layout puts them last: "
                "shape (H_out, W_out, C)",
            ),
            (
                _ch06_layer(x, w, b, 1),
                "there is no pooling stage: after the ReLU, take the max over pool x "
                "pool windows with stride pool",
            ),
            (
                _ch06_layer(x, w, b, pool, stride=1),
                "your pooling moves by 1, not by pool: the windows must not overlap "
                "(stride = pool)",
            ),
            (
                _ch06_layer(x, w, b, pool, flip=True),
                "the kernel is flipped: a convolutional layer computes the "
                "cross-correlation sum x[i + m, j + q] w[m, q, c] (chapter 3), "
                "without flipping w",
            ),
            (
                _ch06_layer(x, w, zero, pool),
                "the bias is missing: z = (x cross-correlated with w[:, :, c]) + b[c] "
                "before the ReLU",
            ),
            (
                _ch06_layer(x, w, zero, pool) + b,
                "the bias is added after the ReLU (or after pooling): it belongs to "
                "the affine stage, z = correlation + b[c], and the ReLU comes after it",
            ),
            (
                _ch06_layer(x, w, -b, pool),
                "the bias is subtracted: z = correlation + b[c]",
            ),
            (
                _ch06_layer(x, w, b, pool, relu=False),
                "there is no detector stage: apply the ReLU, max(z, 0), before "
                "pooling (negative pooled values are impossible after a ReLU)",
            ),
            (
                _ch06_layer(x, w, b, pool, relu=np.abs),
                "you took |z| as the detector; the ReLU is max(z, 0)",
            ),
            (
                _ch06_layer(x, w, b, pool, stat="average"),
                "you averaged each window: that is average pooling; this layer uses "
                "max pooling",
            ),
            (
                _ch06_layer(x, np.repeat(w[:, :, :1], channels, axis=2), b, pool),
                "every channel uses the first filter w[:, :, 0]; channel c uses its "
                "own filter w[:, :, c] and bias b[c]",
            ),
        ]
        message = _named_mistake(got, expected, variants)
        if message:
            raise AssertionError(f"{message} {label}")
        if got.shape != expected.shape:
            kh, kw = kernel_shape
            H, W = image_shape
            if got.ndim == 3 and got.shape[:2] == (H // pool, W // pool):
                raise AssertionError(
                    f"your result has shape {got.shape} {label}, as if the "
                    f"correlation kept the image's size ('same'); this layer uses "
                    f"the valid correlation, (H - kh + 1, W - kw + 1) = "
                    f"{(H - kh + 1, W - kw + 1)} before pooling, {expected.shape} "
                    "after"
                )
            raise AssertionError(
                f"{what} returned shape {got.shape} {label}, expected ((H - kh + 1) "
                f"// pool, (W - kw + 1) // pool, C) = {expected.shape}"
            )
        raise AssertionError(f"{_where(got, expected)} {label}")
    return True


# --- chapter 7: internal covariate shift and the batch-normalizing transform ---


def _ch07_cases(rng):
    """``(N, D, eps)`` for the chapter 7 checkers: a general case, then edge cases.

    The first case (several examples and features, a large eps) tells every classic
    mistake apart; then a batch of two, a single feature, both, and random shapes.
    """
    cases = [(7, 3, 0.5), (2, 4, 1e-3), (9, 1, 0.2), (2, 1, 0.1)]
    for _ in range(6):
        n, d = int(rng.integers(2, 40)), int(rng.integers(1, 9))
        cases.append((n, d, float(rng.choice([1e-5, 1e-3, 0.1, 0.5, 2.0]))))
    return cases


def _ch07_data(rng, n: int, d: int):
    """x (N, D) with nonzero mean and non-unit variance per feature; gamma, beta, dy.

    gamma is away from 0 and 1 (either sign) and beta away from 0, so that leaving
    either out, or swapping them, changes the result.
    """
    loc = rng.uniform(2.0, 6.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    scale = rng.uniform(0.4, 3.0, size=d)
    x = loc + scale * rng.normal(size=(n, d))
    gamma = rng.uniform(1.5, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    beta = rng.uniform(0.5, 3.0, size=d) * rng.choice([-1.0, 1.0], size=d)
    dy = rng.normal(size=(n, d))
    return x, gamma, beta, dy


def _ch07_array(raw, shape, what: str) -> np.ndarray:
    """The student's array result, with a hint for None and for tuples."""
    if raw is None:
        raise AssertionError(f"{what} returned None: did you forget `return`?")
    if isinstance(raw, tuple):
        raise AssertionError(
            f"{what} returned a tuple of {len(raw)} items; return one "
            f"array of shape {tuple(shape)}"
        )
    return _as_result(raw, shape, what)


def _ch07_unchanged(originals, passed, names, what: str) -> None:
    for original, given, name in zip(originals, passed, names, strict=True):
        if not np.array_equal(original, given):
            raise AssertionError(
                f"{what} modified its input {name}; work on new arrays (x - mu makes a "
                "new array, x -= mu changes x in place)"
            )


def _ch07_diagnose(got, expected, variants, context: str) -> None:
    """Name the first variant ``got`` matches; else say where it is wrong."""
    if _close(got, expected):
        return
    message = _named_mistake(got, expected, variants)
    raise AssertionError(f"{message or _where(got, expected)} ({context})")


def _ch07_forward_variants(x, gamma, beta, eps):
    """What the classic mistakes of Algorithm 1 return, with their diagnoses."""
    mu, var = x.mean(axis=0), x.var(axis=0)

    def scaled(x_hat):
        return gamma * x_hat + beta

    with np.errstate(divide="ignore", invalid="ignore"):
        x_hat = (x - mu) / np.sqrt(var + eps)
        return [
            (
                scaled((x - mu) / np.sqrt(x.var(axis=0, ddof=1) + eps)),
                "you used the unbiased variance (dividing by m - 1, ddof=1); "
                "Algorithm 1 uses the biased mini-batch variance sigma_B^2 = (1/m) "
                "sum_i (x_i - mu_B)^2 (np.var's default, ddof=0)",
            ),
            (
                scaled((x - mu) / (np.sqrt(var) + eps)),
                "eps is outside the square root: normalise by sqrt(var + eps), not "
                "by sqrt(var) + eps",
            ),
            (
                scaled((x - mu) / np.sqrt(var) + eps),
                "eps is outside the square root: x_hat = (x - mu) / sqrt(var + eps)",
            ),
            (
                scaled((x - mu) / np.sqrt(var)),
                "eps is missing: x_hat = (x - mu) / sqrt(var + eps); eps keeps the "
                "division finite when a feature is constant over the batch",
            ),
            (
                scaled((x - mu) / (var + eps)),
                "the square root is missing: divide by the standard deviation "
                "sqrt(var + eps), not by the variance",
            ),
            (
                scaled((x - mu) / np.sqrt(x.std(axis=0) + eps)),
                "you put the standard deviation where the variance goes: x_hat = "
                "(x - mu) / sqrt(var + eps) with var = std**2",
            ),
            (
                scaled(
                    (x - x.mean(axis=1, keepdims=True))
                    / np.sqrt(x.var(axis=1, keepdims=True) + eps)
                ),
                "statistics over the wrong axis: you normalised each example (a row, "
                "axis=1); batch normalization takes each feature's mean and variance "
                "over the mini-batch, axis=0",
            ),
            (
                scaled((x - x.mean()) / np.sqrt(x.var() + eps)),
                "statistics over all values: you used one mean and one variance for "
                "the whole array; every feature (column) needs its own, over axis=0",
            ),
            (
                beta * x_hat + gamma,
                "gamma and beta are swapped: y = gamma * x_hat + beta (gamma scales, "
                "beta shifts)",
            ),
            (x_hat, "the scale and shift are missing: return y = gamma * x_hat + beta"),
            (gamma * x_hat, "beta is missing: y = gamma * x_hat + beta"),
            (x_hat + beta, "gamma is missing: y = gamma * x_hat + beta"),
            (
                scaled(x / np.sqrt(var + eps)),
                "the mean is not subtracted: x_hat = (x - mu_B) / sqrt(var + eps)",
            ),
            (
                scaled((x - mu) / np.sqrt((x**2).mean(axis=0) + eps)),
                "the variance is not centred: sigma_B^2 = mean((x - mu_B)^2), not "
                "mean(x^2)",
            ),
        ]


def check_batchnorm_forward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(x, gamma, beta, eps)`` must return Algorithm 1's y (training).

    ``x`` is ``(N, D)``; ``gamma`` and ``beta`` are ``(D,)``. Over the mini-batch
    (axis 0), per feature: ``mu = mean(x)``, the biased ``var = mean((x - mu)^2)``,
    ``x_hat = (x - mu) / sqrt(var + eps)`` and ``y = gamma * x_hat + beta``, shape
    ``(N, D)``; the reference is :func:`convbn.batchnorm.batchnorm_forward`. Checked on
    random shapes (N = 2 and D = 1 included) and features with nonzero mean and
    non-unit variance; the inputs must not be modified.
    """
    from .batchnorm import batchnorm_forward

    rng = np.random.default_rng(seed)
    what = "your batch-norm forward function"
    for n, d, eps in _ch07_cases(rng):
        x, gamma, beta, _ = _ch07_data(rng, n, d)
        passed = [x.copy(), gamma.copy(), beta.copy()]
        raw = _call(fn, *passed, eps, what=what)
        _ch07_unchanged([x, gamma, beta], passed, ["x", "gamma", "beta"], what)
        got = _ch07_array(raw, (n, d), what)
        expected = batchnorm_forward(x, gamma, beta, eps)[0]
        variants = _ch07_forward_variants(x, gamma, beta, eps)
        _ch07_diagnose(got, expected, variants, f"x of shape {(n, d)}, eps={eps:g}")
    return True


def _ch07_paper_backward(dy, x, gamma, eps, ddof: int = 0, axis: int = 0):
    """The paper's backward formulas, term by term: ``(T1, T2, T3, dvar, dmu, x_hat)``.

    ``dx = T1 + T2 + T3`` with ``T1 = g / sqrt(var + eps)`` (direct), ``T2 = dvar * 2
    (x - mu) / m`` (through the variance) and ``T3 = dmu / m`` (through the mean),
    ``g = dy * gamma``. ``ddof=1`` and ``axis=1`` give what the same formulas return
    with the unbiased variance or with statistics over the wrong axis.
    """
    m = x.shape[axis]
    mu = x.mean(axis=axis, keepdims=True)
    var = x.var(axis=axis, ddof=ddof, keepdims=True)
    inv_std = 1.0 / np.sqrt(var + eps)
    centred = x - mu
    g = dy * gamma
    dvar = (g * centred).sum(axis=axis, keepdims=True) * -0.5 * inv_std**3
    dmu = (-g * inv_std).sum(axis=axis, keepdims=True) + dvar * (-2.0 * centred).sum(
        axis=axis, keepdims=True
    ) / m
    return g * inv_std, dvar * 2.0 * centred / m, dmu / m, dvar, dmu, centred * inv_std


def _ch07_dx_variants(dy, x, gamma, eps):
    t1, t2, t3, dvar, dmu, _ = _ch07_paper_backward(dy, x, gamma, eps)
    m = x.shape[0]
    with np.errstate(divide="ignore", invalid="ignore"):
        variants = [
            (
                t1,
                "you treated mu_B and sigma_B^2 as constants: dx = dl/dx_hat / "
                "sqrt(var + eps) alone misses the two paths through the mean and the "
                "variance, which depend on every x_i",
            ),
            (
                t2 + t3,
                "a term of dx is missing: the direct term dl/dx_hat_i / "
                "sqrt(var + eps)",
            ),
            (
                t1 + t3,
                "a term of dx is missing: the path through the variance, dl/dvar * "
                "2 (x_i - mu) / m",
            ),
            (
                t1 + t2,
                "a term of dx is missing: the path through the mean, dl/dmu / m",
            ),
            (
                t1 - t2 + t3,
                "the variance term has the wrong sign: dl/dvar = sum_i dl/dx_hat_i "
                "(x_i - mu) * (-1/2) (var + eps)^(-3/2)",
            ),
            (t1 + t2 + dmu, "the mean term is dl/dmu / m: divide dl/dmu by m"),
            (
                t1 + dvar * 2.0 * (x - x.mean(axis=0)) + t3,
                "the variance term is dl/dvar * 2 (x_i - mu) / m: divide by m",
            ),
            (
                (t1 + t2 + t3) / gamma,
                "gamma is missing: dl/dx_hat = dl/dy * gamma (chain rule through y = "
                "gamma * x_hat + beta)",
            ),
            (
                sum(_ch07_paper_backward(dy, x, gamma, eps, ddof=1)[:3]),
                "you used the unbiased variance (ddof=1); Algorithm 1 uses the biased "
                "mini-batch variance, dividing by m",
            ),
        ]
        if m > 1 and x.shape[1] > 1:
            transposed = _ch07_paper_backward(dy, x, gamma, eps, axis=1)
            variants.append(
                (
                    sum(transposed[:3]),
                    "statistics and sums over the wrong axis: the mean and variance "
                    "(and the sums in dvar and dmu) run over the mini-batch, axis=0",
                )
            )
    return variants


def check_batchnorm_backward(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(dy, x, gamma, eps)`` must return ``(dx, dgamma, dbeta)``.

    The gradients of l through Algorithm 1 (training mode, statistics over axis 0 of
    the ``(N, D)`` input ``x``; ``dy = dl/dy``, ``gamma`` of shape ``(D,)``): ``dx`` of
    shape ``(N, D)`` with all three terms of the paper's section 3 (direct, through
    the variance, through the mean), ``dgamma = sum_i dy_i x_hat_i`` and ``dbeta =
    sum_i dy_i``, both ``(D,)``; the reference is
    :func:`convbn.batchnorm.batchnorm_backward`. Checked on random shapes (N = 2 and
    D = 1 included); the inputs must not be modified.
    """
    from .batchnorm import batchnorm_backward, batchnorm_forward

    rng = np.random.default_rng(seed)
    what = "your batch-norm backward function"
    for n, d, eps in _ch07_cases(rng):
        x, gamma, _, dy = _ch07_data(rng, n, d)
        context = f"x of shape {(n, d)}, eps={eps:g}"
        passed = [dy.copy(), x.copy(), gamma.copy()]
        raw = _call(fn, *passed, eps, what=what)
        _ch07_unchanged([dy, x, gamma], passed, ["dy", "x", "gamma"], what)
        if not isinstance(raw, tuple | list) or len(raw) != 3:
            raise AssertionError(
                f"{what} must return three arrays (dx, dgamma, dbeta), got "
                f"{type(raw).__name__}"
                + (f" of length {len(raw)}" if isinstance(raw, tuple | list) else "")
            )
        _, cache = batchnorm_forward(x, gamma, 0.0, eps)
        want_dx, want_dgamma, want_dbeta = batchnorm_backward(dy, cache)
        x_hat = cache.x_hat
        for value, name in zip(raw[1:], ("dgamma", "dbeta"), strict=True):
            if np.shape(value) == (n,) and n != d:
                raise AssertionError(
                    f"{name} has shape ({n},), one value per example: sum over the "
                    f"mini-batch (axis=0) to get one value per feature, shape ({d},)"
                )
        dx = _as_result(raw[0], (n, d), f"{what} (dx)")
        dgamma = _as_result(raw[1], (d,), f"{what} (dgamma)")
        dbeta = _as_result(raw[2], (d,), f"{what} (dbeta)")
        if (
            not _close(dgamma, want_dgamma)
            and _close(dgamma, want_dbeta)
            and _close(dbeta, want_dgamma)
        ):
            raise AssertionError(
                "dgamma and dbeta are swapped: return (dx, dgamma, dbeta)"
            )
        with np.errstate(divide="ignore", invalid="ignore"):
            x_hat_unbiased = (x - x.mean(0)) / np.sqrt(x.var(0, ddof=1) + eps)
        _ch07_diagnose(
            dbeta,
            want_dbeta,
            [
                (
                    dy.mean(axis=0),
                    "dbeta is the sum of dy over the batch, not the mean",
                ),
                (
                    (dy * gamma).sum(axis=0),
                    "dbeta = sum_i dy_i: beta is added, so gamma does not enter",
                ),
                (dy.sum(axis=1) if n == d else None, "dbeta: sum over axis=0"),
            ],
            "dbeta, " + context,
        )
        _ch07_diagnose(
            dgamma,
            want_dgamma,
            [
                (
                    dy.sum(axis=0),
                    "dgamma without x_hat: dl/dgamma = sum_i dy_i * x_hat_i (y = "
                    "gamma * x_hat + beta)",
                ),
                (
                    (dy * x).sum(axis=0),
                    "dgamma uses x instead of x_hat: dl/dgamma = sum_i dy_i * x_hat_i",
                ),
                (
                    (dy * x_hat * gamma).sum(axis=0),
                    "dgamma has an extra factor gamma: dl/dgamma = sum_i dy_i * "
                    "x_hat_i",
                ),
                (
                    (dy * x_hat).mean(axis=0),
                    "dgamma is a sum over the batch, not a mean",
                ),
                (
                    (dy * x_hat_unbiased).sum(axis=0),
                    "dgamma: x_hat must use the biased variance (ddof=0), as in the "
                    "forward pass",
                ),
            ],
            "dgamma, " + context,
        )
        _ch07_diagnose(
            dx, want_dx, _ch07_dx_variants(dy, x, gamma, eps), "dx, " + context
        )
    return True


def check_batchnorm_inference(fn, seed: int = 0) -> bool:
    """Chapter 7: ``fn(x, gamma, beta, mean, var, eps)`` must return the inference y.

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` with the given ``mean`` and
    ``var`` (population statistics, shape ``(D,)``), never the batch's own: each
    example's output must not depend on the rest of its batch. ``x`` is ``(N, D)``
    with N = 1 allowed; the reference is :func:`convbn.batchnorm.batchnorm_inference`.
    Checked on random shapes with statistics that differ from the batch's; the inputs
    must not be modified.
    """
    from .batchnorm import batchnorm_inference

    rng = np.random.default_rng(seed)
    what = "your batch-norm inference function"
    cases = _ch07_cases(rng)
    cases[3:3] = [(1, 3, 0.5), (1, 1, 1e-3)]
    for n, d, eps in cases:
        x, gamma, beta, _ = _ch07_data(rng, n, d)
        # Population statistics that this batch does not have.
        mean = x.mean(axis=0) + rng.uniform(1.0, 2.0, size=d) * rng.choice([-1, 1], d)
        var = rng.uniform(0.3, 4.0, size=d)
        passed = [x.copy(), gamma.copy(), beta.copy(), mean.copy(), var.copy()]
        raw = _call(fn, *passed, eps, what=what)
        names = ["x", "gamma", "beta", "mean", "var"]
        _ch07_unchanged([x, gamma, beta, mean, var], passed, names, what)
        got = _ch07_array(raw, (n, d), what)
        expected = batchnorm_inference(x, gamma, beta, mean, var, eps)

        def scaled(x_hat, gamma=gamma, beta=beta):
            return gamma * x_hat + beta

        x_hat = (x - mean) / np.sqrt(var + eps)
        variants = [
            (
                scaled((x - x.mean(axis=0)) / np.sqrt(x.var(axis=0) + eps)),
                "you normalised with the batch's own mean and variance; at inference "
                "use the given mean and var (population statistics), so that an "
                "example's output does not depend on the rest of its batch",
            ),
            (
                scaled((x - mean) / (var + eps)),
                "the square root is missing: divide by sqrt(var + eps), not by the "
                "variance",
            ),
            (
                scaled((x - mean) / (np.sqrt(var) + eps)),
                "eps is outside the square root: (x - mean) / sqrt(var + eps)",
            ),
            (
                scaled((x - mean) / np.sqrt(var) + eps),
                "eps is outside the square root: (x - mean) / sqrt(var + eps)",
            ),
            (scaled((x - mean) / np.sqrt(var)), "eps is missing: sqrt(var + eps)"),
            (
                scaled((x - mean) / np.sqrt(var**2 + eps)),
                "var is already the variance: do not square it",
            ),
            (
                scaled(x / np.sqrt(var + eps)),
                "the mean is not subtracted: (x - mean) / sqrt(var + eps)",
            ),
            (
                beta * x_hat + gamma,
                "gamma and beta are swapped: y = gamma * x_hat + beta",
            ),
            (x_hat, "the scale and shift are missing: y = gamma * x_hat + beta"),
            (gamma * x_hat, "beta is missing: y = gamma * x_hat + beta"),
            (x_hat + beta, "gamma is missing: y = gamma * x_hat + beta"),
        ]
        if n > 1:
            variants.append(
                (
                    scaled((x - mean) / np.sqrt(var * n / (n - 1) + eps)),
                    "do not rescale var by m / (m - 1): the given var is already the "
                    "population estimate to use",
                )
            )
        _ch07_diagnose(got, expected, variants, f"x of shape {(n, d)}, eps={eps:g}")
    return True


# --- chapter 9: Keras models ---

# The probe on which _ch09_activation_name recognises an activation function.
_CH09_PROBE = np.array([[-3.0, -1.0, -0.25, 0.0, 0.5, 1.5, 4.0]], dtype=np.float32)
# The network of chapter 9: (units, activation) of each Dense layer after 784 inputs.
_CH09_MLP = [(512, "relu"), (128, "relu"), (10, "softmax")]


def _ch09_keras():
    from ._tf import import_keras

    return import_keras()


def _ch09_activation_refs(z):
    e = np.exp(z - z.max(axis=-1, keepdims=True))
    return {
        "linear": z,
        "relu": np.maximum(z, 0.0),
        "sigmoid": 1.0 / (1.0 + np.exp(-z)),
        "tanh": np.tanh(z),
        "softmax": e / e.sum(axis=-1, keepdims=True),
    }


def _ch09_activation_name(fn) -> str:
    """Name the activation ``fn`` computes (relu, sigmoid, ...) from its values."""
    z = _CH09_PROBE
    try:
        out = np.asarray(fn(z), dtype=np.float64)
    except Exception:  # a layer or function that cannot take the probe
        return "an unrecognised activation"
    for name, ref in _ch09_activation_refs(z.astype(np.float64)).items():
        if out.shape == ref.shape and np.allclose(out, ref, rtol=1e-4, atol=1e-5):
            return name
    return "an unrecognised activation"


def _ch09_dense_stages(model):
    """The model's Dense layers, each with the activations applied after it.

    Returns a list of dicts ``{"layer", "units", "use_bias", "activation"}`` where
    ``activation`` is one name ("relu", "linear", ...) or "relu then softmax" when an
    activation layer follows a Dense layer that already has one. Raises
    AssertionError for a layer that is neither Dense nor an activation layer.
    """
    keras = _ch09_keras()
    activation_layers = (
        keras.layers.Activation,
        keras.layers.ReLU,
        keras.layers.Softmax,
        keras.layers.LeakyReLU,
        keras.layers.ELU,
        keras.layers.PReLU,
    )
    stages = []
    for layer in model.layers:
        if isinstance(layer, keras.layers.InputLayer):
            continue
        if isinstance(layer, keras.layers.Dense):
            stages.append(
                {
                    "layer": layer,
                    "units": layer.units,
                    "use_bias": layer.use_bias,
                    "activations": [_ch09_activation_name(layer.activation)],
                }
            )
        elif isinstance(layer, activation_layers):
            if not stages:
                raise AssertionError(
                    f"extra layer {layer.name} ({type(layer).__name__}) before the "
                    "first Dense layer: the 784 inputs go straight into Dense(512)"
                )
            stages[-1]["activations"].append(_ch09_activation_name(layer))
        else:
            raise AssertionError(
                f"extra layer {layer.name} ({type(layer).__name__}): the model must "
                "consist of three Dense layers only (784 -> 512 relu -> 128 relu -> "
                "10 softmax); remove it"
            )
    for stage in stages:
        names = [a for a in stage["activations"] if a != "linear"] or ["linear"]
        stage["activation"] = " then ".join(names)
    return stages


def _ch09_dense_forward(stages, x):
    """Numpy forward pass through Dense stages with their kernels and biases."""
    refs = _ch09_activation_refs
    for stage in stages:
        layer = stage["layer"]
        x = x @ np.asarray(layer.kernel, dtype=np.float64)
        if stage["use_bias"]:
            x = x + np.asarray(layer.bias, dtype=np.float64)
        for name in stage["activation"].split(" then "):
            x = refs(x)[name]
    return x


def _ch09_as_model(model, what):
    keras = _ch09_keras()
    if isinstance(model, type) and issubclass(model, keras.Model):
        raise AssertionError(
            f"{what} must be a model instance, got the class {model.__name__}: "
            "call it, e.g. keras.Sequential([...])"
        )
    if callable(model) and not isinstance(model, keras.Model):
        raise AssertionError(
            f"{what} must be a Keras model, got a function "
            f"({getattr(model, '__name__', type(model).__name__)}): call it and pass "
            "the model it returns"
        )
    if not isinstance(model, keras.Model):
        raise AssertionError(
            f"{what} must be a Keras model (keras.Sequential or keras.Model), got "
            f"{type(model).__name__}"
        )
    return model


def _ch09_input_shape(model, what):
    """The model's input shape; AssertionError when it is not built."""
    if not model.built:
        raise AssertionError(
            f"{what} is not built: it does not know its input shape yet, so it has no "
            "weights. Start it with keras.Input(shape=(784,)) (or call "
            "model.build((None, 784)))"
        )
    try:
        return tuple(model.input_shape)
    except (AttributeError, ValueError) as error:
        raise AssertionError(
            f"{what} is not built ({error}); start it with keras.Input(shape=(784,))"
        ) from error


def check_sequential_model(model, seed: int = 0) -> bool:
    """Chapter 9: ``model`` must be the Keras network 784 -> 512 relu -> 128 relu ->
    10 softmax.

    Accepts any correct construction: ``keras.Sequential`` starting with
    ``keras.Input(shape=(784,))`` (or built with ``model.build((None, 784))``), the
    functional API (``keras.Model(inputs=..., outputs=...)``), activations given to
    ``Dense`` or as separate ``Activation`` layers. Checks that it is built, the input
    shape ``(None, 784)``, exactly three Dense layers with 512, 128 and 10 units and
    biases, relu / relu / softmax, 468,874 parameters, and that its output on random
    inputs equals the numpy forward pass with its own weights. Names the mistake
    otherwise (missing softmax, wrong width, wrong activation, wrong input shape,
    extra or missing layer, not built, no bias).
    """
    what = "the model"
    model = _ch09_as_model(model, what)
    shape = _ch09_input_shape(model, what)
    if shape != (None, 784):
        hint = ""
        if shape[1:] == (28, 28) or shape[1:] == (28, 28, 1):
            hint = (
                ": flatten the images to vectors first (x.reshape(-1, 784)) and use "
                "keras.Input(shape=(784,))"
            )
        raise AssertionError(
            f"wrong input shape: expected (None, 784), got {shape}{hint}"
        )
    stages = _ch09_dense_stages(model)
    widths = [s["units"] for s in stages]
    expected_widths = [u for u, _ in _CH09_MLP]
    if len(stages) < 3:
        raise AssertionError(
            f"missing layer: expected 3 Dense layers with {expected_widths} units, "
            f"got {len(stages)} with {widths}"
        )
    if len(stages) > 3:
        raise AssertionError(
            f"extra layer: expected 3 Dense layers with {expected_widths} units, got "
            f"{len(stages)} with {widths}"
        )
    for i, (stage, (units, _)) in enumerate(
        zip(stages, _CH09_MLP, strict=True), start=1
    ):
        if stage["units"] != units:
            role = "the output layer" if i == 3 else f"hidden layer {i}"
            note = " (one unit per digit)" if i == 3 else ""
            raise AssertionError(
                f"wrong width: Dense layer {i} ({role}) has {stage['units']} units, "
                f"expected {units}{note}; widths {widths}, expected {expected_widths}"
            )
    output = stages[-1]["activation"]
    if output == "linear":
        raise AssertionError(
            "missing softmax: the output layer has no activation (linear), so its 10 "
            "outputs are not probabilities; use Dense(10, activation='softmax')"
        )
    if output != "softmax":
        raise AssertionError(
            f"wrong activation on the output layer: {output}, expected softmax (the "
            "10 outputs must be probabilities that sum to 1)"
        )
    for i, stage in enumerate(stages[:2], start=1):
        if stage["activation"] != "relu":
            name = stage["activation"]
            if name == "linear":
                name = "linear (no activation)"
            raise AssertionError(
                f"wrong activation in hidden layer {i}: {name}, expected relu"
            )
    for i, stage in enumerate(stages, start=1):
        if not stage["use_bias"]:
            raise AssertionError(
                f"no bias in Dense layer {i} (use_bias=False): every unit of this "
                "network has a bias"
            )
    count = model.count_params()
    if count != 468_874:
        raise AssertionError(
            f"the model has {count:,} parameters, expected 468,874 "
            "(784*512 + 512 + 512*128 + 128 + 128*10 + 10)"
        )
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(7, 784)).astype(np.float32)
    try:
        got = np.asarray(model(x, training=False), dtype=np.float64)
    except Exception as error:
        raise AssertionError(
            f"calling the model on a batch of shape (7, 784) raised "
            f"{type(error).__name__}: {error}"
        ) from error
    expected = _ch09_dense_forward(stages, x.astype(np.float64))
    if got.shape != expected.shape:
        raise AssertionError(
            f"the model's output has shape {got.shape} for 7 inputs, expected (7, 10)"
        )
    if not np.allclose(got, expected, rtol=1e-4, atol=1e-5):
        raise AssertionError(
            "the model's output differs from 784 -> 512 relu -> 128 relu -> 10 "
            "softmax computed with its own weights (largest difference "
            f"{np.abs(got - expected).max():.3g}): are the layers connected one after "
            "the other, each on the previous layer's output?"
        )
    return True


def _ch09_reference_count(sizes, use_bias=True) -> int:
    return sum(
        a * b + (b if use_bias else 0)
        for a, b in zip(sizes[:-1], sizes[1:], strict=True)
    )


def check_dense_parameters(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(sizes, use_bias=True)`` must return the number of parameters
    of a stack of Dense layers.

    ``sizes = [n_0, n_1, ..., n_L]`` lists the input width and the widths of the L
    Dense layers; layer l has an ``(n_{l-1}, n_l)`` kernel and, when ``use_bias``,
    ``n_l`` biases. The answer is an integer: sum of ``n_{l-1} * n_l + n_l``
    (``[784, 512, 128, 10]`` gives 468,874). Names the classic mistakes: forgotten
    biases, one bias per input instead of per unit, biases counted with
    ``use_bias=False``, parameters given to the input.
    """
    rng = np.random.default_rng(seed)
    cases = [[784, 512, 128, 10], [14, 64], [3, 1], [1, 1, 1]]
    for _ in range(12):
        length = int(rng.integers(2, 7))
        cases.append([int(n) for n in rng.integers(1, 1025, size=length)])
    for sizes in cases:
        for use_bias in (True, False):
            label = f"for sizes={sizes}, use_bias={use_bias}"
            got = _call(fn, list(sizes), use_bias, what=f"your function {label}")
            if isinstance(got, bool) or not isinstance(got, (int, np.integer, float)):
                raise AssertionError(
                    f"your function must return one integer {label}, got "
                    f"{type(got).__name__} {got!r}"
                )
            if got != int(got):
                raise AssertionError(
                    f"a parameter count is a whole number, got {got} {label}"
                )
            got = int(got)
            expected = _ch09_reference_count(sizes, use_bias)
            if got == expected:
                continue
            pairs = list(zip(sizes[:-1], sizes[1:], strict=True))
            weights = sum(a * b for a, b in pairs)
            variants = [
                (
                    weights,
                    "you forgot the biases: each Dense layer has one bias per unit "
                    "(n_l of them) besides its n_(l-1) x n_l kernel",
                ),
                (
                    weights + sum(a for a, _ in pairs),
                    "you counted one bias per input; a Dense layer has one bias per "
                    "unit (per output), n_l, not n_(l-1)",
                ),
                (
                    weights + sum(b for _, b in pairs),
                    "with use_bias=False there are no biases: count the kernels only",
                ),
                (
                    expected + sizes[0],
                    "the input has no parameters: count n_(l-1) x n_l + n_l for each "
                    "Dense layer only, not a bias for the input",
                ),
                (
                    _ch09_reference_count(sizes[:-1], use_bias)
                    if len(sizes) > 2
                    else None,
                    "you left out the last layer: sizes has L + 1 entries for L Dense "
                    "layers",
                ),
                (
                    sum(
                        a * b + (b if use_bias else 0)
                        for a, b in zip(sizes, sizes, strict=True)
                    )
                    if len(sizes) > 1
                    else None,
                    "each layer connects n_(l-1) inputs to n_l units: pair each size "
                    "with the next one, zip(sizes[:-1], sizes[1:])",
                ),
            ]
            for value, message in variants:
                if value is not None and value != expected and got == value:
                    raise AssertionError(
                        f"{message} ({label}: expected {expected}, got {got})"
                    )
            raise AssertionError(
                f"wrong count {label}: expected {expected:,}, got {got:,}"
            )
    return True


_CH09_FUNCTIONAL_CASES = [
    ([784, 512, 128, 10], ["relu", "relu", "softmax"], [True, True, True]),
    ([5, 3], ["linear"], [True]),
    ([12, 7, 4], ["tanh", "sigmoid"], [True, False]),
    ([8, 16, 16, 3], ["relu", "tanh", "softmax"], [True, True, True]),
]


def check_to_functional(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(model)`` must return a functional-API model that computes the
    same function as the ``keras.Sequential`` stack of Dense layers ``model``.

    The result must be a ``keras.Model`` built with ``keras.Input`` and
    ``keras.Model(inputs=..., outputs=...)`` (not a Sequential model), with the same
    input shape, the same parameter count and, on random inputs, the same outputs as
    ``model`` (so it uses the same weights: reuse the layers, or copy their weights).
    ``model`` itself must not change. Tried on several stacks (widths, activations,
    with and without biases) with random non-zero weights and biases.
    """
    keras = _ch09_keras()
    rng = np.random.default_rng(seed)
    for index, (sizes, activations, biases) in enumerate(_CH09_FUNCTIONAL_CASES):
        sequential = keras.Sequential(
            [keras.Input(shape=(sizes[0],))]
            + [
                keras.layers.Dense(n, activation=a, use_bias=b)
                for n, a, b in zip(sizes[1:], activations, biases, strict=True)
            ]
        )
        sequential.set_weights(
            [
                rng.normal(0.0, 0.5, w.shape).astype(np.float32)
                for w in sequential.get_weights()
            ]
        )
        before = [w.copy() for w in sequential.get_weights()]
        x = rng.normal(size=(6, sizes[0])).astype(np.float32)
        expected = np.asarray(sequential(x, training=False), dtype=np.float64)
        stack = " -> ".join(
            [str(sizes[0])]
            + [
                f"{n} {a}" + ("" if b else " (no bias)")
                for n, a, b in zip(sizes[1:], activations, biases, strict=True)
            ]
        )
        label = f"for the Sequential model {stack}"
        hard_coded = (
            " (it works for 784 -> 512 -> 128 -> 10: did you hard-code that "
            "architecture? read the layers from model.layers)"
            if index > 0
            else ""
        )
        try:
            result = _call(fn, sequential, what=f"your function {label}")
        except AssertionError as error:
            raise AssertionError(f"{error}{hard_coded}") from error
        if result is sequential or isinstance(result, keras.Sequential):
            raise AssertionError(
                f"your function returned a Sequential model {label}; build a "
                "functional one: inputs = keras.Input(shape=...), call each layer on "
                "the previous tensor, keras.Model(inputs=inputs, outputs=x)"
            )
        if not isinstance(result, keras.Model):
            raise AssertionError(
                f"your function must return a keras.Model {label}, got "
                f"{type(result).__name__}"
            )
        after = sequential.get_weights()
        if any(not np.array_equal(a, b) for a, b in zip(before, after, strict=True)):
            raise AssertionError(
                f"your function changed the weights of the Sequential model {label}; "
                "leave it as it is"
            )
        try:
            shape = tuple(result.input_shape)
        except (AttributeError, ValueError) as error:
            raise AssertionError(
                f"the returned model has no input {label}: start it with "
                f"keras.Input(shape=({sizes[0]},))"
            ) from error
        if shape != (None, sizes[0]):
            raise AssertionError(
                f"wrong input shape {label}: expected (None, {sizes[0]}), got "
                f"{shape}{hard_coded}"
            )
        count, want = result.count_params(), sequential.count_params()
        if count != want:
            raise AssertionError(
                f"the functional model has {count:,} parameters {label}, expected "
                f"{want:,}: a layer missing or added, a wrong width or a bias too "
                f"many or too few{hard_coded}"
            )
        try:
            got = np.asarray(result(x, training=False), dtype=np.float64)
        except Exception as error:
            raise AssertionError(
                f"calling the returned model on a batch of shape {x.shape} raised "
                f"{type(error).__name__}: {error} ({label})"
            ) from error
        if got.shape != expected.shape:
            raise AssertionError(
                f"the returned model's output has shape {got.shape} {label}, "
                f"expected {expected.shape}{hard_coded}"
            )
        if np.allclose(got, expected, rtol=1e-4, atol=1e-5):
            continue
        mine = sorted(tuple(np.round(w, 5).ravel()) for w in result.get_weights())
        theirs = sorted(tuple(np.round(w, 5).ravel()) for w in after)
        if mine != theirs:
            raise AssertionError(
                f"same architecture but different weights {label}: new Dense layers "
                "start from fresh random weights. Reuse the Sequential model's "
                "layers (call them on your tensors) or copy each layer's weights with "
                "new_layer.set_weights(old_layer.get_weights())"
            )
        raise AssertionError(
            f"the outputs differ {label} although the weights are the same "
            f"(largest difference {np.abs(got - expected).max():.3g}): check each "
            "layer's activation and that the layers are applied in order"
        )
    return True


def check_inverted_dropout(fn, seed: int = 0) -> bool:
    """Chapter 9: ``fn(x, rate, rng)`` must apply inverted dropout (training mode).

    Each entry of ``x`` (a numpy array of any shape) is set to 0 with probability
    ``rate`` (0 <= rate < 1), independently, using the numpy Generator ``rng``; the
    entries kept are multiplied by ``1 / (1 - rate)``, so the expected value of each
    output equals its input, as in ``keras.layers.Dropout`` during training. Returns
    a new array of the shape of ``x`` (``x`` is not modified); ``rate=0`` returns
    ``x`` unchanged; the same ``rng`` seed gives the same result.
    """
    base = np.random.default_rng(seed)
    for shape, rate in [
        ((400, 250), 0.5),
        ((100_000,), 0.2),
        ((50, 40, 50), 0.8),
        ((300, 300), 0.1),
    ]:
        x = 1.0 + base.random(shape)
        original = x.copy()
        label = f"for x of shape {shape} and rate={rate}"
        got = _as_result(
            _call(fn, x, rate, np.random.default_rng(7), what=f"dropout {label}"),
            shape,
            f"dropout {label}",
        )
        if not np.array_equal(x, original):
            raise AssertionError(
                f"dropout modified its input x {label}; return a new array"
            )
        dropped = got == 0
        kept = ~dropped
        fraction = dropped.mean()
        if abs(fraction - rate) > 0.02:
            if abs(fraction - (1 - rate)) <= 0.02:
                raise AssertionError(
                    f"you dropped {fraction:.1%} of the entries {label}: rate is the "
                    "fraction dropped, not the fraction kept (keep with probability "
                    "1 - rate)"
                )
            raise AssertionError(
                f"{fraction:.1%} of the entries are 0 {label}, expected about "
                f"{rate:.0%}: drop each entry independently with probability rate"
            )
        ratio = got[kept] / x[kept]
        scalings = [
            (
                1.0,
                "the entries kept are not scaled: multiply them by 1 / (1 - rate) so "
                "the expected output equals the input (inverted dropout)",
            ),
            (
                1 - rate,
                "you multiplied the kept entries by (1 - rate); inverted dropout "
                "divides by (1 - rate) during training",
            ),
            (
                1 / rate,
                "you divided the kept entries by rate; divide by (1 - rate), the "
                "probability of keeping an entry",
            ),
        ]
        if not np.allclose(ratio, 1 / (1 - rate), rtol=1e-6):
            for factor, message in scalings:
                if np.allclose(ratio, factor, rtol=1e-6):
                    raise AssertionError(f"{message} ({label})")
            raise AssertionError(
                f"the entries kept must be x / (1 - rate) = x * {1 / (1 - rate):.4g} "
                f"{label}; got ratios between {ratio.min():.4g} and {ratio.max():.4g}"
            )
        again = _call(fn, x, rate, np.random.default_rng(7), what=f"dropout {label}")
        if not np.array_equal(np.asarray(again), got):
            raise AssertionError(
                f"two calls with generators of the same seed gave different masks "
                f"{label}: draw the random numbers from the rng argument, not from "
                "np.random"
            )
        other = _call(fn, x, rate, np.random.default_rng(8), what=f"dropout {label}")
        if np.array_equal(np.asarray(other) == 0, dropped):
            raise AssertionError(
                f"generators with different seeds gave the same mask {label}: draw "
                "the random numbers from the rng argument"
            )
    x = 1.0 + base.random((20, 30))
    got = _as_result(
        _call(fn, x, 0.0, np.random.default_rng(1), what="dropout with rate=0"),
        x.shape,
        "dropout with rate=0",
    )
    if not np.allclose(got, x, rtol=1e-12, atol=0):
        raise AssertionError("with rate=0 nothing is dropped: the output must equal x")
    return True


# --- chapter 10: compiling: losses and optimizers ---


def _ch10_errstate():
    return np.errstate(divide="ignore", invalid="ignore", over="ignore")


def _ch10_reductions(values, shape):
    """Every mean of ``values`` over a set of axes other than the last alone."""
    from itertools import combinations

    ndim = len(shape)
    found = {}
    for size in range(1, ndim + 1):
        for axes in combinations(range(ndim), size):
            if axes == (ndim - 1,):
                continue
            found[axes] = values.mean(axis=axes)
    return found


def _ch10_loss_diagnosis(got, y_true, y_pred):
    """Name the mistake of a custom MSE that gave ``got`` (float64) on these inputs."""
    diff = y_true.astype(np.float64) - y_pred.astype(np.float64)
    square = np.square(diff)
    expected = square.mean(axis=-1)
    shape = diff.shape

    def close(value, target):
        return _close(value, target, rtol=1e-4, atol=1e-6)

    if got.shape == ():
        if close(got, square.mean()):
            return (
                "the loss is reduced to a scalar: like the slides' T.mean(...), it "
                "averages over the whole batch. Keras wants one loss per sample: "
                "average over the last axis only, ops.mean(..., axis=-1)"
            )
        if close(got, square.sum()) or close(got, expected.sum()):
            return (
                "the loss is reduced to a scalar (a sum over everything); return one "
                "value per sample: ops.mean(ops.square(y_true - y_pred), axis=-1)"
            )
        return (
            f"the loss returned a single number for inputs of shape {shape}; it "
            f"must return one value per sample, shape {expected.shape}"
        )
    if got.shape == shape and close(got, square):
        return (
            "nothing is averaged: the result has one value per element; average the "
            "squares over the last axis, ops.mean(..., axis=-1)"
        )
    if got.shape == shape[:-1] + (1,):
        return (
            f"the result has shape {got.shape}: do not keep the reduced axis "
            f"(keepdims=False), Keras expects shape {expected.shape}"
        )
    for axes, value in _ch10_reductions(square, shape).items():
        if close(got, value):
            if axes == tuple(range(1, len(shape))):
                return (
                    "the loss averages over every axis but the batch axis; Keras "
                    "reduces only the last axis, so for inputs of shape "
                    f"{shape} the result has shape {expected.shape}: use axis=-1"
                )
            return (
                f"the loss averages over axis {axes if len(axes) > 1 else axes[0]} "
                f"instead of the last axis: use axis=-1 (result shape "
                f"{expected.shape}, one value per sample)"
            )
    if got.shape != expected.shape:
        return (
            f"the loss returned shape {got.shape} for inputs of shape {shape}; the "
            f"per-sample loss has shape {expected.shape} (reduce the last axis only)"
        )
    variants = [
        (
            square.sum(axis=-1),
            "sum instead of mean: divide by the number of values "
            "on the last axis, ops.mean(..., axis=-1), not ops.sum",
        ),
        (
            np.abs(diff).mean(axis=-1),
            "absolute instead of squared differences: this "
            "is the mean absolute error; use ops.square",
        ),
        (
            np.sqrt(expected),
            "the square root of the mean squared error (RMSE); the "
            "mean squared error has no square root",
        ),
        (
            diff.mean(axis=-1),
            "the differences are not squared, so positive and negative errors cancel",
        ),
        (
            -diff.mean(axis=-1),
            "the differences are not squared, so positive and negative errors cancel",
        ),
        (
            np.square(diff.mean(axis=-1)),
            "the square of the mean difference: square "
            "each difference first, then average",
        ),
        (0.5 * expected, "a factor 1/2: the mean squared error has none"),
        (-expected, "the sign is wrong: a loss is minimised, so it must be >= 0"),
    ]
    message = _named_mistake(got, expected, variants, rtol=1e-4, atol=1e-6)
    if message:
        return message
    index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return (
        f"wrong value at index {tuple(int(i) for i in index)} for inputs of shape "
        f"{shape}: expected {expected[index]:.6g}, got {got[index]:.6g}"
    )


def check_custom_loss(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(y_true, y_pred)`` must be the per-sample mean squared error.

    The loss is written with ``keras.ops`` and returns a tensor of one value per
    sample, ``mean((y_true - y_pred) ** 2)`` over the **last** axis, exactly like
    ``keras.losses.mean_squared_error``: inputs of shape ``(batch, d)`` give shape
    ``(batch,)``, ``(batch, 1)`` gives ``(batch,)``, ``(batch, t, d)`` gives
    ``(batch, t)``. Checked on random float32 tensors of many shapes, then inside a
    ``tf.function`` (graph mode, as ``model.fit`` runs a loss) and for its gradient
    with respect to ``y_pred``, which must be ``2 (y_pred - y_true) / d``.

    Decision on numpy: the result must be a backend tensor (what ``keras.ops``
    returns). A numpy result (``np.mean(np.square(...))`` or ``.numpy()``) is
    rejected: it works on the eager tensors of a quick test but not on the symbolic
    tensors of ``model.fit``, and no gradient flows through it.
    """
    from ._tf import import_keras

    keras = import_keras()
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    what = "your loss function"
    shapes = [(8, 3), (6, 1), (4, 5, 3), (1, 7), (5, 10), (3, 4, 2, 6), (2, 9, 1)]
    shapes += [tuple(int(n) for n in rng.integers(1, 9, size=2)) for _ in range(3)]
    for shape in shapes:
        y_true = rng.normal(size=shape).astype(np.float32)
        y_pred = (y_true + rng.normal(scale=1.5, size=shape)).astype(np.float32)
        result = _call(fn, tf.constant(y_true), tf.constant(y_pred), what=what)
        if isinstance(result, np.ndarray | np.generic | float | int):
            raise AssertionError(
                f"{what} returned a numpy value ({type(result).__name__}), not a "
                "tensor: compute it with keras.ops (ops.mean, ops.square) so that it "
                "also works on the symbolic tensors of model.fit and can be "
                "differentiated"
            )
        if not keras.ops.is_tensor(result):
            raise AssertionError(
                f"{what} must return a tensor (from keras.ops), got "
                f"{type(result).__name__}"
            )
        got = np.asarray(keras.ops.convert_to_numpy(result), dtype=np.float64)
        expected = np.mean(
            np.square(y_true.astype(np.float64) - y_pred.astype(np.float64)), axis=-1
        )
        if got.shape == expected.shape and np.allclose(
            got, expected, rtol=1e-5, atol=1e-6
        ):
            continue
        raise AssertionError(_ch10_loss_diagnosis(got, y_true, y_pred))

    shape = (6, 4)
    y_true = tf.constant(rng.normal(size=shape).astype(np.float32))
    y_pred = tf.constant(rng.normal(size=shape).astype(np.float32))
    graph_fn = tf.function(lambda a, b: fn(a, b), reduce_retracing=True)
    try:
        graph_result = graph_fn(y_true, y_pred)
    except Exception as error:
        raise AssertionError(
            f"{what} fails in graph mode, where model.fit runs it "
            f"({type(error).__name__}: {str(error)[:160]}): use keras.ops functions "
            "only, no numpy calls and no .numpy()"
        ) from error
    if not np.allclose(
        keras.ops.convert_to_numpy(graph_result),
        keras.losses.mean_squared_error(y_true, y_pred),
        rtol=1e-5,
        atol=1e-6,
    ):
        raise AssertionError(f"{what} gives different values in graph mode")

    with tf.GradientTape() as tape:
        tape.watch(y_pred)
        total = tf.reduce_sum(fn(y_true, y_pred))
    gradient = tape.gradient(total, y_pred)
    if gradient is None:
        raise AssertionError(
            "no gradient flows from your loss back to y_pred: do not leave the "
            "keras.ops world (no numpy, no .numpy(), no ops.stop_gradient)"
        )
    expected_gradient = 2.0 * (y_pred - y_true) / shape[-1]
    if not np.allclose(gradient, expected_gradient, rtol=1e-4, atol=1e-6):
        raise AssertionError(
            "the gradient of your loss with respect to y_pred is not "
            "2 (y_pred - y_true) / d; does it use an operation with a wrong "
            "derivative (ops.stop_gradient, rounding)?"
        )
    return True


def check_categorical_crossentropy(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(y_true, y_pred)`` must be Keras's categorical crossentropy.

    numpy only. ``y_true`` holds one-hot labels (or a probability vector per sample)
    and ``y_pred`` predicted probabilities, both of shape ``(batch, ..., C)``; the
    result is one value per sample, shape ``(batch, ...)``, computed as Keras does:
    rescale each row of ``y_pred`` to sum to 1, clip it to ``[1e-7, 1 - 1e-7]``, then
    ``-sum(y_true * log(p), axis=-1)``. Reference:
    :func:`convbn.losses.categorical_crossentropy`. Checked on random shapes, a
    prediction of exactly 0 for the true class (the loss is then -log(1e-7) = 16.12),
    rows that do not sum to 1, and soft labels.
    """
    from . import losses

    rng = np.random.default_rng(seed)
    what = "your crossentropy function"
    cases = []
    for shape in [(6, 4), (1, 3), (5, 10), (3, 4, 5), (8, 2)]:
        labels = rng.integers(0, shape[-1], size=shape[:-1])
        y_true = np.eye(shape[-1])[labels]
        y_pred = rng.dirichlet(np.ones(shape[-1]), size=shape[:-1])
        cases.append((y_true, y_pred))
    y_true = np.eye(4)[[0, 1, 2, 3, 0]]
    y_pred = rng.dirichlet(np.ones(4), size=5)
    y_pred[0] = [0.0, 0.5, 0.25, 0.25]  # the true class gets probability 0
    y_pred[1] = [0.0, 1.0, 0.0, 0.0]  # a certain, right prediction
    cases.append((y_true, y_pred))
    y_true = np.eye(3)[[2, 0, 1, 1]]
    cases.append((y_true, rng.uniform(0.1, 1.0, size=(4, 3))))  # rows not summing to 1
    cases.append((rng.dirichlet(np.ones(5), size=4), rng.dirichlet(np.ones(5), size=4)))

    for y_true, y_pred in cases:
        expected = losses.categorical_crossentropy(y_true, y_pred)
        with _ch10_errstate():
            raw = _call(fn, y_true.copy(), y_pred.copy(), what=what)
        if np.ndim(raw) == 0 and expected.size > 1:
            raise AssertionError(
                "the loss is reduced to a scalar; return one value per sample (sum "
                "over the class axis only, axis=-1)"
            )
        got = _as_result(raw, expected.shape, what)
        if _close(got, expected, rtol=1e-5, atol=1e-7):
            continue
        raise AssertionError(_ch10_cce_diagnosis(got, y_true, y_pred, expected))
    return True


def _ch10_cce_diagnosis(got, y_true, y_pred, expected) -> str:
    eps = 1e-7
    normalised = y_pred / y_pred.sum(axis=-1, keepdims=True)
    clipped = np.clip(normalised, eps, 1 - eps)
    with _ch10_errstate():
        unclipped = -np.sum(y_true * np.log(normalised), axis=-1)
        other_eps = {
            e: -np.sum(y_true * np.log(np.clip(normalised, e, 1 - e)), axis=-1)
            for e in (1e-15, 1e-12, 1e-10, 1e-8, 1e-6, 1e-5)
        }
        binary = -np.sum(
            y_true * np.log(clipped) + (1 - y_true) * np.log(1 - clipped), axis=-1
        )
    if not np.all(np.isfinite(got)):
        return (
            "the loss is infinite or NaN when the true class gets probability 0: "
            "log(0) = -inf. Clip the probabilities to [1e-7, 1 - 1e-7] first, as "
            "Keras does (np.clip(p, 1e-7, 1 - 1e-7))"
        )
    if _close(got, unclipped, rtol=1e-5, atol=1e-7):
        return "the probabilities are not clipped to [1e-7, 1 - 1e-7] before the log"
    for e, value in other_eps.items():
        if _close(got, value, rtol=1e-5, atol=1e-7):
            return (
                f"the probabilities are clipped with epsilon {e:g}; Keras uses "
                "1e-7 (keras.backend.epsilon())"
            )
    not_rescaled = -np.sum(y_true * np.log(np.clip(y_pred, eps, 1 - eps)), axis=-1)
    if _close(got, not_rescaled, rtol=1e-5, atol=1e-7):
        return (
            "rows of y_pred that do not sum to 1 are not rescaled: divide each row "
            "by its sum before clipping, as Keras does"
        )
    n_classes = y_true.shape[-1]
    variants = [
        (-expected, "the sign is wrong: the loss is -sum(y_true * log(p))"),
        (expected / n_classes, "mean instead of sum over the classes"),
        (expected / np.log(10), "log base 10 instead of the natural log (np.log)"),
        (expected / np.log(2), "log base 2 instead of the natural log (np.log)"),
        (
            binary,
            "this is the binary crossentropy summed over the classes; the "
            "categorical crossentropy has no (1 - y) log(1 - p) terms",
        ),
    ]
    message = _named_mistake(got, expected, variants, rtol=1e-5, atol=1e-7)
    if message:
        return message
    hard = np.eye(n_classes)[np.argmax(y_true, axis=-1)]
    picked = -np.sum(hard * np.log(clipped), axis=-1)
    if _close(got, picked, rtol=1e-5, atol=1e-7) and not np.array_equal(hard, y_true):
        return (
            "only the most likely class of y_true is used; y_true may hold soft "
            "labels (probabilities): sum y_true * log(p) over every class"
        )
    index = np.unravel_index(np.argmax(np.abs(got - expected)), got.shape)
    return (
        f"wrong value for sample {tuple(int(i) for i in index)} (y_true "
        f"{np.round(y_true[index], 3).tolist()}, y_pred "
        f"{np.round(y_pred[index], 3).tolist()}): expected {expected[index]:.6g}, "
        f"got {got[index]:.6g}"
    )


def _ch10_adam_reference(w, g, m, v, t, lr, beta_1, beta_2, epsilon):
    """One step of Keras's Adam (keras.optimizers.Adam.update_step), in numpy."""
    m_new = m + (g - m) * (1 - beta_1)
    v_new = v + (np.square(g) - v) * (1 - beta_2)
    alpha = lr * np.sqrt(1 - beta_2**t) / (1 - beta_1**t)
    return w - m_new * alpha / (np.sqrt(v_new) + epsilon), m_new, v_new


def _ch10_adam_variants(w, g, m, v, t, lr, b1, b2, eps):
    """(what it gives, message) for the classic mistakes in one Adam step."""
    m_ok = b1 * m + (1 - b1) * g
    v_ok = b2 * v + (1 - b2) * g**2

    def step(m_, v_, t_m=t, t_v=t, sqrt=True, sign=-1.0):
        m_hat = m_ / (1 - b1**t_m) if t_m is not None else m_
        v_hat = v_ / (1 - b2**t_v) if t_v is not None else v_
        root = np.sqrt(v_hat) if sqrt else v_hat
        return w + sign * lr * m_hat / (root + eps)

    return [
        (
            step(m_ok, v_ok, None, None),
            "no bias correction: divide m by (1 - beta_1**t) and v by (1 - beta_2**t)",
        ),
        (
            step(m_ok, v_ok, None, t),
            "m is not bias-corrected: m_hat = m / (1 - beta_1**t)",
        ),
        (
            step(m_ok, v_ok, t, None),
            "v is not bias-corrected: v_hat = v / (1 - beta_2**t)",
        ),
        (
            step(m_ok, v_ok, t - 1 if t > 1 else None, t - 1 if t > 1 else None),
            "the bias correction uses t - 1: t counts the steps from 1, so the "
            "first step divides by (1 - beta_1), not by (1 - beta_1**0)",
        ),
        (
            step(m_ok, v_ok, t + 1, t + 1),
            "the bias correction uses t + 1: t is "
            "already the number of this step (1 for the first)",
        ),
        (
            step(m_ok, v_ok, sign=1.0),
            "the step goes uphill: subtract the update, "
            "w - learning_rate * m_hat / (sqrt(v_hat) + epsilon)",
        ),
        (step(m_ok, v_ok, sqrt=False), "the square root of v_hat is missing"),
        (
            step(m, v),
            "the step uses the old moments m and v; update them first, "
            "then use the new ones",
        ),
        (w - lr * g, "this is a plain gradient descent step, not Adam"),
    ]


def check_adam_step(fn, seed: int = 0) -> bool:
    """Chapter 10: one step of the Adam optimizer, in numpy.

    ``fn(w, g, m, v, t, learning_rate, beta_1, beta_2, epsilon)`` gets the weights
    ``w``, their gradient ``g``, the moment estimates ``m`` and ``v`` from the
    previous step (arrays of the shape of ``w``, zeros before the first step) and the
    step number ``t`` (1 for the first update). It must return the tuple ``(w_new,
    m_new, v_new)``::

        m_new = beta_1 m + (1 - beta_1) g
        v_new = beta_2 v + (1 - beta_2) g**2
        w_new = w - learning_rate * m_hat / (sqrt(v_hat) + epsilon),
        m_hat = m_new / (1 - beta_1**t),  v_hat = v_new / (1 - beta_2**t).

    Keras writes the last line as ``w - lr sqrt(1 - beta_2**t) / (1 - beta_1**t) *
    m_new / (sqrt(v_new) + epsilon)``, which puts epsilon in a slightly different
    place; both forms (and epsilon inside the root) are accepted: they differ by far
    less than the step. Checked on random shapes and hyperparameters, on first steps
    from zero moments (with a zero gradient among them) and on later steps; the
    inputs must not be modified.
    """
    rng = np.random.default_rng(seed)
    what = "your Adam step"
    cases = []
    for trial in range(10):
        shape = (
            (int(rng.integers(1, 6)),) if trial % 2 else (2, int(rng.integers(1, 5)))
        )
        g = rng.choice([-1.0, 1.0], size=shape) * rng.uniform(0.1, 2.0, size=shape)
        first = trial < 4
        t = 1 if first else int(rng.integers(2, 50))
        m = np.zeros(shape) if first else rng.normal(scale=0.5, size=shape)
        v = np.zeros(shape) if first else rng.uniform(0.05, 2.0, size=shape)
        if first and trial == 0:
            g.flat[0] = 0.0  # 0 / (0 + epsilon) must give a step of 0, not NaN
        lr = float(rng.choice([0.001, 0.01, 0.1]))
        b1 = float(rng.uniform(0.8, 0.95))
        b2 = float(rng.uniform(0.99, 0.9999))
        cases.append((rng.normal(size=shape), g, m, v, t, lr, b1, b2, 1e-7))
    for w, g, m, v, t, lr, b1, b2, eps in cases:
        args = [a.copy() if isinstance(a, np.ndarray) else a for a in (w, g, m, v)]
        with _ch10_errstate():
            raw = _call(fn, *args, t, lr, b1, b2, eps, what=what)
        for before, after, name in zip((w, g, m, v), args, "wgmv", strict=True):
            if not np.array_equal(before, after):
                raise AssertionError(
                    f"{what} modified its input {name} in place; return new arrays"
                )
        if not isinstance(raw, tuple | list) or len(raw) != 3:
            raise AssertionError(
                f"{what} must return the tuple (w_new, m_new, v_new), got "
                f"{type(raw).__name__}"
                + (f" of length {len(raw)}" if isinstance(raw, tuple | list) else "")
            )
        w_ref, m_ref, v_ref = _ch10_adam_reference(w, g, m, v, t, lr, b1, b2, eps)
        got_w = _as_result(raw[0], w.shape, what + " (w_new)")
        got_m = _as_result(raw[1], w.shape, what + " (m_new)")
        got_v = _as_result(raw[2], w.shape, what + " (v_new)")
        setting = f"(t={t}, beta_1={b1:.3g}, beta_2={b2:.5g})"
        if not _close(got_m, m_ref):
            if _close(got_m, b1 * m + g):
                raise AssertionError("m_new misses the factor (1 - beta_1) on g")
            if _close(got_m, (1 - b1) * m + b1 * g):
                raise AssertionError(
                    "beta_1 weights the old m: m_new = beta_1 m + (1 - beta_1) g"
                )
            if _close(got_m, b2 * m + (1 - b2) * g):
                raise AssertionError("m_new uses beta_2; the first moment uses beta_1")
            raise AssertionError(
                f"m_new is wrong {setting}: expected {m_ref.ravel()[:3]}, got "
                f"{got_m.ravel()[:3]}"
            )
        if not _close(got_v, v_ref):
            if _close(got_v, b2 * v + (1 - b2) * g):
                raise AssertionError("v_new must average the squared gradient g**2")
            if _close(got_v, b2 * v + (1 - b2) * np.abs(g)):
                raise AssertionError("v_new must average g**2, not |g|")
            if _close(got_v, (1 - b2) * v + b2 * g**2):
                raise AssertionError(
                    "beta_2 weights the old v: v_new = beta_2 v + (1 - beta_2) g**2"
                )
            if _close(got_v, b1 * v + (1 - b1) * g**2):
                raise AssertionError("v_new uses beta_1; the second moment uses beta_2")
            raise AssertionError(
                f"v_new is wrong {setting}: expected {v_ref.ravel()[:3]}, got "
                f"{got_v.ravel()[:3]}"
            )
        bad = ~np.isfinite(got_w)
        if np.any(bad):
            if np.all(g[bad] == 0) and np.all(v_ref[bad] == 0):
                raise AssertionError(
                    "w_new is NaN for a zero gradient at the first step (0 / 0): "
                    "add epsilon to sqrt(v_hat) in the denominator"
                )
            raise AssertionError(
                f"w_new has infinite or NaN values {setting}: check the bias "
                "correction, 1 - beta**t must not be 0 (t is 1 at the first step)"
            )
        step_ref, step_got = w_ref - w, got_w - w
        if np.allclose(step_got, step_ref, rtol=2e-4, atol=1e-12):
            continue
        for value, message in _ch10_adam_variants(w, g, m, v, t, lr, b1, b2, eps):
            if np.allclose(got_w - w, value - w, rtol=2e-4, atol=1e-12):
                raise AssertionError(message)
        raise AssertionError(
            f"w_new is wrong {setting}: expected the step {step_ref.ravel()[:3]}, "
            f"got {step_got.ravel()[:3]}"
        )
    return True


def check_inverse_time_decay(fn, seed: int = 0) -> bool:
    """Chapter 10: ``fn(step, initial_learning_rate, decay_steps, decay_rate,
    staircase=False)`` must return Keras's ``InverseTimeDecay`` learning rate.

    ``lr(step) = initial_learning_rate / (1 + decay_rate * step / decay_steps)``, and
    with ``staircase=True`` the quotient ``step / decay_steps`` is rounded down
    (``np.floor``). ``step`` is a numpy array of step numbers; the result has its
    shape. With ``decay_steps=1`` this is Keras 2's ``decay=`` argument. Checked
    against ``keras.optimizers.schedules.InverseTimeDecay``'s formula for random
    settings, both values of ``staircase`` and step 0.
    """
    rng = np.random.default_rng(seed)
    what = "your learning-rate schedule"
    cases = [(0.01, 1, 0.0, False), (0.01, 1, 1e-3, False)]
    for trial in range(8):
        cases.append(
            (
                float(rng.choice([0.1, 0.01, 0.001])),
                int(rng.integers(2, 200)),
                float(rng.uniform(0.1, 2.0)),
                bool(trial % 2),
            )
        )
    for lr0, decay_steps, rate, staircase in cases:
        step = np.concatenate([[0], np.sort(rng.integers(1, 20 * decay_steps, 15))])
        step = step.astype(np.int64)
        p = step / decay_steps
        expected = lr0 / (1 + rate * (np.floor(p) if staircase else p))
        with _ch10_errstate():
            raw = _call(fn, step.copy(), lr0, decay_steps, rate, staircase, what=what)
        got = _as_result(raw, step.shape, what)
        if _close(got, expected, rtol=1e-6, atol=1e-12):
            continue
        setting = (
            f"(initial_learning_rate={lr0:g}, decay_steps={decay_steps}, "
            f"decay_rate={rate:.3g}, staircase={staircase})"
        )
        smooth = lr0 / (1 + rate * p)
        stairs = lr0 / (1 + rate * np.floor(p))
        variants = [
            (
                lr0 * (1 + rate * p),
                "the learning rate must shrink: divide by "
                "(1 + decay_rate * step / decay_steps), do not multiply",
            ),
            (
                lr0 / (1 + rate * step),
                "decay_steps is ignored: the decay uses step / decay_steps",
            ),
            (
                lr0 / (1 + rate * decay_steps / np.maximum(step, 1)),
                "the quotient is upside down: use step / decay_steps",
            ),
            (
                lr0 * rate**p,
                "this is exponential decay (ExponentialDecay), not inverse time decay",
            ),
            (
                lr0 * np.exp(-rate * p),
                "this is exponential decay, not inverse "
                "time decay: lr0 / (1 + decay_rate * step / decay_steps)",
            ),
            (
                lr0 / (1 + rate) * p,
                "brackets: lr0 / (1 + decay_rate * step / decay_steps)",
            ),
        ]
        if staircase:
            variants.insert(
                0,
                (
                    smooth,
                    "staircase=True is ignored: round "
                    "step / decay_steps down with np.floor",
                ),
            )
        else:
            variants.insert(
                0, (stairs, "the quotient is rounded down although staircase=False")
            )
        message = _named_mistake(got, expected, variants, atol=1e-12)
        if message:
            raise AssertionError(message)
        index = int(np.argmax(np.abs(got - expected)))
        raise AssertionError(
            f"wrong learning rate at step {step[index]} {setting}: expected "
            f"{expected[index]:.6g}, got {got[index]:.6g}"
        )
    return True


# --- chapter 11: a convolutional network in Keras, end to end ---


def _ch11_shapes(
    height,
    width,
    channels,
    filters,
    kernel_size,
    pool_size,
    padding,
    *,
    shrink=None,
    pool_round="floor",
    keep_channels=False,
    flatten_channels=True,
    transpose=False,
):
    """Layer output shapes of chapter 11's CNN, or of one of its usual wrong versions.

    ``shrink``: rows lost by a convolution (None: 0 for "same", k - 1 for "valid").
    """
    import math

    h, w, c = height, width, channels
    shapes = []
    for f in filters:
        if padding == "same":
            lost = 0
        else:
            lost = kernel_size - 1 if shrink is None else shrink
        h, w = h - lost, w - lost
        c = c if keep_channels else f
        shapes += [(h, w, c)] * 3
        rnd = math.floor if pool_round == "floor" else math.ceil
        h, w = rnd(h / pool_size), rnd(w / pool_size)
        shapes.append((h, w, c))
    shapes.append((h * w * c if flatten_channels else h * w,))
    shapes.append((10,))
    if transpose:
        shapes = [s if len(s) == 1 else (s[1], s[0], s[2]) for s in shapes]
    return shapes


def _ch11_as_shapes(result, what):
    """The student's result as a list of tuples of ints (an int n counts as (n,))."""
    try:
        items = list(result)
    except TypeError as error:
        raise AssertionError(
            f"{what} must return a list of shapes (tuples), got {type(result).__name__}"
        ) from error
    shapes = []
    for item in items:
        if isinstance(item, int | np.integer):
            item = (item,)
        try:
            shape = tuple(None if v is None else int(v) for v in item)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return a list of shapes such as (28, 28, 8), got an "
                f"entry {item!r}"
            ) from error
        shapes.append(shape)
    return shapes


def _ch11_fits(h, w, filters, k, p, padding) -> bool:
    """Whether every convolution and pooling window fits (no empty output)."""
    for _ in filters:
        if padding == "valid":
            if min(h, w) < k:
                return False
            h, w = h - k + 1, w - k + 1
        if min(h, w) < p:
            return False
        h, w = h // p, w // p
    return True


_CH11_SHAPE_MISTAKES = [
    (
        "valid",
        {"shrink": "k"},
        "a 'valid' convolution loses kernel_size - 1 rows "
        "and columns, not kernel_size: H_out = H - k + 1",
    ),
    (
        "valid",
        {"shrink": "k-2"},
        "a 'valid' convolution gives H - k + 1 rows, not H - k + 3 (off by two)",
    ),
    (
        "valid",
        {"shrink": 0},
        "a 'valid' convolution shrinks the image: H_out = H - "
        "k + 1 (only padding='same' keeps H)",
    ),
    (
        None,
        {"pool_round": "ceil"},
        "MaxPooling2D's default padding is 'valid': it "
        "rounds DOWN, H_out = floor(H / pool_size), dropping the leftover rows",
    ),
    (
        None,
        {"keep_channels": True},
        "a Conv2D layer outputs one channel per filter: "
        "its last axis is f, not the number of channels that came in",
    ),
    (
        None,
        {"flatten_channels": False},
        "Flatten keeps every value: H * W * C, not H * W",
    ),
    (
        None,
        {"transpose": True},
        "shapes are (height, width, channels), rows first: "
        "height and width are swapped",
    ),
]


def check_cnn_shapes(fn, seed: int = 0) -> bool:
    """Chapter 11: the output shape of every layer of a small CNN.

    ``fn(height, width, channels, filters, kernel_size, pool_size, padding)`` must
    return the list of output shapes, without the batch axis, of the network made of
    one block per entry of the list ``filters`` -- ``Conv2D(f, kernel_size,
    padding=padding)`` -> ``BatchNormalization()`` -> ``ReLU()`` ->
    ``MaxPooling2D(pool_size)`` -- then ``Flatten()`` and ``Dense(10)``: ``4 *
    len(filters) + 2`` tuples such as ``(28, 28, 8)``, ``(784,)``, ``(10,)``. Checked
    on random sizes, square and not, odd sizes that pooling rounds down, both
    paddings, one to three blocks.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [
        (28, 28, 1, [8, 16], 3, 2, "same"),
        (28, 28, 1, [8, 16], 3, 2, "valid"),
        (32, 24, 3, [4], 5, 2, "valid"),
        (15, 21, 2, [6, 5], 3, 3, "same"),
    ]
    while len(cases) < 24:
        filters = [int(v) for v in rng.integers(1, 40, size=int(rng.integers(1, 4)))]
        k, p = int(rng.integers(1, 6)), int(rng.integers(1, 4))
        padding = ("valid", "same")[int(rng.integers(2))]
        h, w = (int(v) for v in rng.integers(8, 70, size=2))
        if _ch11_fits(h, w, filters, k, p, padding):
            cases.append((h, w, int(rng.integers(1, 5)), filters, k, p, padding))
    for case in cases:
        h, w, c, filters, k, p, padding = case
        shown = (
            f"(height={h}, width={w}, channels={c}, filters={filters}, "
            f"kernel_size={k}, pool_size={p}, padding={padding!r})"
        )
        got = _ch11_as_shapes(_call(fn, *case, what=what), what)
        expected = _ch11_shapes(*case)
        if got == expected:
            continue
        if len(got) != len(expected):
            raise AssertionError(
                f"{what} returned {len(got)} shapes for {shown}, expected "
                f"{len(expected)}: four layers per block (Conv2D, BatchNormalization, "
                "ReLU, MaxPooling2D), then Flatten and Dense"
            )
        if any(len(s) > 0 and s[0] is None for s in got):
            raise AssertionError(
                "leave out the batch axis: return (H, W, C) shapes, not (None, H, W, "
                f"C) as Keras prints them ({shown})"
            )
        for only, kwargs, message in _CH11_SHAPE_MISTAKES:
            if only is not None and padding != only:
                continue
            if "shrink" in kwargs:
                kwargs = {"shrink": {"k": k, "k-2": k - 2}.get(kwargs["shrink"], 0)}
            if _ch11_shapes(*case, **kwargs) == got:
                raise AssertionError(f"{message} {shown}")
        if padding == "same" and _ch11_shapes(h, w, c, filters, k, p, "valid") == got:
            raise AssertionError(
                "padding='same' keeps the height and width: the convolution pads "
                f"its input so that H_out = H {shown}"
            )
        pairs = enumerate(zip(got, expected, strict=True))
        first = next(i for i, (a, b) in pairs if a != b)
        layers = [
            f"{kind} {b + 1}"
            for b in range(len(filters))
            for kind in ("Conv2D", "BatchNormalization", "ReLU", "MaxPooling2D")
        ] + ["Flatten", "Dense"]
        layer = layers[first]
        if layer.startswith(("BatchNormalization", "ReLU")):
            raise AssertionError(
                f"{layer} does not change the shape (it works value by value); "
                f"expected {expected[first]}, got {got[first]} {shown}"
            )
        if layer == "Dense":
            raise AssertionError(f"Dense(10) outputs (10,), got {got[first]} {shown}")
        raise AssertionError(
            f"wrong shape after layer {first} ({layer}): expected {expected[first]}, "
            f"got {got[first]} {shown}"
        )
    return True


def check_conv_bn_params(fn, seed: int = 0) -> bool:
    """Chapter 11: the parameters of a Conv2D layer and of the BatchNormalization
    after it.

    ``fn(kernel_size, in_channels, filters, use_bias)`` with ``kernel_size = (kh,
    kw)`` must return ``(conv, bn_trainable, bn_non_trainable)``: ``kh * kw *
    in_channels * filters`` weights plus ``filters`` biases if ``use_bias``; the BN
    layer after it has ``2 * filters`` trainable parameters (gamma, beta) and
    ``2 * filters`` non-trainable ones (moving mean and moving variance). Checked on
    random sizes, non-square kernels, with and without bias.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [((3, 3), 8, 16, True), ((3, 3), 1, 8, False), ((5, 1), 3, 4, True)]
    for _ in range(20):
        kh, kw = (int(v) for v in rng.integers(1, 8, size=2))
        cases.append(
            (
                (kh, kw),
                int(rng.integers(1, 65)),
                int(rng.integers(1, 129)),
                bool(rng.integers(2)),
            )
        )
    for (kh, kw), c_in, f, use_bias in cases:
        shown = (
            f"(kernel_size={(kh, kw)}, in_channels={c_in}, filters={f}, "
            f"use_bias={use_bias})"
        )
        result = _call(fn, (kh, kw), c_in, f, use_bias, what=what)
        try:
            got = tuple(int(v) if float(v) == int(v) else float(v) for v in result)
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return three numbers (conv, bn_trainable, "
                f"bn_non_trainable), got {result!r}"
            ) from error
        if len(got) != 3:
            raise AssertionError(
                f"{what} must return three numbers (conv, bn_trainable, "
                f"bn_non_trainable), got {len(got)}: {result!r}"
            )
        conv, trainable, frozen = got
        weights = kh * kw * c_in * f
        expected = (weights + (f if use_bias else 0), 2 * f, 2 * f)
        if got == expected:
            continue
        if conv != expected[0]:
            bias = f if use_bias else 0
            if conv == weights + f and not use_bias:
                message = "use_bias=False: the convolution has no bias to count"
            elif conv == weights and use_bias:
                message = "use_bias=True adds one bias per filter: + filters"
            elif conv in (kh * kw * f + bias, kh * kw * f):
                message = (
                    "each filter spans every input channel: kh * kw * in_channels "
                    "weights per filter"
                )
            elif kh != kw and conv in (
                kh * kh * c_in * f + bias,
                kw * kw * c_in * f + bias,
            ):
                message = "the kernel is kh x kw, not square: use both sizes"
            elif conv in (kh * kw * c_in + bias, kh * kw * c_in + 1):
                message = "there is one kernel per filter: multiply by filters"
            elif conv == (kh + kw) * c_in * f + bias:
                message = "a kh x kw kernel has kh * kw weights, not kh + kw"
            else:
                message = f"expected {expected[0]}"
            raise AssertionError(f"Conv2D count wrong {shown}: {message}; got {conv}")
        if trainable == 4 * f and frozen == 0:
            raise AssertionError(
                f"BatchNormalization {shown}: only gamma and beta are trained; the "
                "moving mean and variance are updated by averaging, not by the "
                "optimizer, so they are non-trainable (2 * filters each)"
            )
        if (trainable, frozen) == (2 * c_in, 2 * c_in) and f != c_in > 1:
            raise AssertionError(
                f"BatchNormalization {shown}: it normalises the convolution's OUTPUT, "
                "which has `filters` channels, not in_channels"
            )
        if trainable in (2, 1) or frozen in (2, 1):
            raise AssertionError(
                f"BatchNormalization {shown}: there is one gamma, beta, mean and "
                "variance PER CHANNEL (2 * filters trainable, 2 * filters "
                f"non-trainable); got {(trainable, frozen)}"
            )
        raise AssertionError(
            f"BatchNormalization count wrong {shown}: expected (trainable, "
            f"non-trainable) = {expected[1:]}, got {(trainable, frozen)}"
        )
    return True


def _ch11_fold(w, b, gamma, beta, mean, var, eps, *, mistake=None):
    """Folded ``(w, b)``: BN(conv(x, w, b)) == conv(x, w', b'); or a wrong version."""
    if mistake == "no_eps":
        scale = gamma / np.sqrt(var)
    elif mistake == "eps_outside":
        scale = gamma / (np.sqrt(var) + eps)
    elif mistake == "no_sqrt":
        scale = gamma / (var + eps)
    elif mistake == "inverse":
        scale = np.sqrt(var + eps) / gamma
    else:
        scale = gamma / np.sqrt(var + eps)
    w2 = w * scale
    if mistake == "input_axis":
        w2 = w * scale[:, None]
    elif mistake == "no_w_scale":
        w2 = w
    elif mistake == "gamma_only":
        w2 = w * gamma
    if mistake == "no_mean":
        b2 = b * scale + beta
    elif mistake == "no_b":
        b2 = beta - mean * scale
    elif mistake == "b_unscaled":
        b2 = b - mean * scale + beta
    elif mistake == "all_unscaled":
        b2 = b - mean + beta
    elif mistake == "no_beta":
        b2 = (b - mean) * scale
    elif mistake == "mean_plus":
        b2 = (b + mean) * scale + beta
    else:
        b2 = (b - mean) * scale + beta
    return w2, b2


_CH11_FOLD_MISTAKES = {
    "no_eps": "epsilon is missing: divide by sqrt(var + eps), not sqrt(var)",
    "eps_outside": "epsilon belongs inside the square root: sqrt(var + eps), not "
    "sqrt(var) + eps",
    "no_sqrt": "divide by the standard deviation sqrt(var + eps), not by the "
    "variance var + eps",
    "inverse": "the scale is gamma / sqrt(var + eps), not its inverse",
    "input_axis": "the scale has one entry per OUTPUT channel: multiply w along its "
    "last axis (w * scale), not along C_in",
    "no_w_scale": "the weights must be scaled too: w' = w * gamma / sqrt(var + eps)",
    "gamma_only": "the weights are multiplied by gamma / sqrt(var + eps), not by "
    "gamma alone",
    "no_mean": "the bias forgets the moving mean: b' = (b - mean) * scale + beta",
    "no_b": "the convolution's own bias b is lost: b' = (b - mean) * scale + beta",
    "b_unscaled": "b is scaled along with the mean: b' = (b - mean) * scale + beta",
    "all_unscaled": "b - mean must be multiplied by gamma / sqrt(var + eps)",
    "no_beta": "beta is missing: b' = (b - mean) * scale + beta",
    "mean_plus": "the mean is subtracted, not added: (b - mean) * scale",
}


def check_fold_batchnorm(fn, seed: int = 0) -> bool:
    """Chapter 11: fold an inference-mode BatchNormalization into the convolution.

    ``fn(w, b, gamma, beta, mean, var, eps)`` with ``w`` ``(kh, kw, C_in, C_out)``
    and ``b``, ``gamma``, ``beta``, ``mean``, ``var`` ``(C_out,)`` must return ``(w2,
    b2)`` such that ``conv(x, w2) + b2`` equals ``gamma * (conv(x, w) + b - mean) /
    sqrt(var + eps) + beta`` for every x: ``w2 = w * s`` (along the output-channel
    axis) and ``b2 = (b - mean) * s + beta`` with ``s = gamma / sqrt(var + eps)``.
    The inputs must not be modified. Checked on random shapes (C_in = C_out and not),
    random statistics and several epsilons, and on the layer's output with
    :func:`convbn.convolution.conv2d` and :func:`convbn.batchnorm.batchnorm_inference`.
    """
    from .batchnorm import batchnorm_inference

    rng = np.random.default_rng(seed)
    what = "your function"
    shapes = [(3, 3, 4, 4), (3, 3, 1, 8), (1, 1, 5, 3), (2, 5, 3, 6)]
    for _ in range(8):
        kh, kw, c_in, c_out = (int(v) for v in rng.integers(1, 7, size=4))
        shapes.append((kh, kw, c_in, c_out))
    for case, shape in enumerate(shapes):
        c_out = shape[3]
        w = rng.normal(size=shape)
        b = rng.normal(size=c_out)
        gamma = rng.uniform(0.3, 3.0, size=c_out) * rng.choice([-1, 1], size=c_out)
        beta = rng.normal(size=c_out)
        mean = rng.normal(size=c_out) * 2
        var = rng.uniform(0.01, 4.0, size=c_out)
        eps = (1e-3, 0.1, 0.5)[case % 3]
        inputs = [w, b, gamma, beta, mean, var]
        copies = [a.copy() for a in inputs]
        result = _call(fn, *inputs, eps, what=what)
        for name, a, original in zip(
            ("w", "b", "gamma", "beta", "mean", "var"), inputs, copies, strict=True
        ):
            if not np.array_equal(a, original):
                raise AssertionError(
                    f"{what} modified its argument {name} in place; return new arrays"
                )
        try:
            w2, b2 = result
        except (TypeError, ValueError) as error:
            raise AssertionError(
                f"{what} must return a pair (w2, b2), got {type(result).__name__}"
            ) from error
        shown = f"(w of shape {shape}, eps={eps})"
        w2 = _as_result(w2, shape, "the folded weights w2")
        b2 = _as_result(b2, (c_out,), "the folded bias b2")
        w_ok, b_ok = _ch11_fold(w, b, gamma, beta, mean, var, eps)
        if _close(w2, w_ok) and _close(b2, b_ok):
            # the point of folding: the layers agree on real inputs
            x = rng.normal(size=(2, shape[0] + 3, shape[1] + 2, shape[2]))
            before = batchnorm_inference(
                convolution.conv2d(x, w, b), gamma, beta, mean, var, eps
            )
            after = convolution.conv2d(x, w2, b2)
            assert np.allclose(before, after, rtol=1e-6, atol=1e-8)
            continue
        for mistake, message in _CH11_FOLD_MISTAKES.items():
            if mistake == "input_axis" and shape[2] != shape[3]:
                continue
            w_bad, b_bad = _ch11_fold(
                w, b, gamma, beta, mean, var, eps, mistake=mistake
            )
            if (
                _close(w2, w_bad)
                and (_close(b2, b_bad) or not _close(b2, b_ok))
                and (not _close(w2, w_ok))
            ):
                raise AssertionError(f"{message} {shown}")
            if _close(w2, w_ok) and _close(b2, b_bad) and not _close(b_bad, b_ok):
                raise AssertionError(f"{message} {shown}")
        if not _close(w2, w_ok):
            raise AssertionError(f"folded weights w2 {shown}: {_where(w2, w_ok)}")
        raise AssertionError(f"folded bias b2 {shown}: {_where(b2, b_ok)}")
    return True


def check_confusion_matrix(fn, seed: int = 0) -> bool:
    """Chapter 11: a confusion matrix in numpy.

    ``fn(y_true, y_pred, num_classes)`` with two ``(N,)`` integer label arrays must
    return the ``(num_classes, num_classes)`` array of counts whose entry ``[i, j]``
    is the number of examples of true class ``i`` predicted as class ``j`` (rows:
    true, columns: predicted). Checked on random labels, with repeated pairs,
    classes that never occur (also the last one) and a single example.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [
        (np.array([0, 1, 2, 2, 1]), np.array([0, 2, 2, 2, 0]), 3),
        (np.array([1]), np.array([1]), 2),
        (np.array([0, 0, 0, 1]), np.array([1, 1, 1, 1]), 4),
    ]
    for _ in range(15):
        k = int(rng.integers(2, 12))
        n = int(rng.integers(5, 300))
        y_true = rng.integers(0, max(k - 1, 1), size=n)  # the last class never occurs
        y_pred = np.where(rng.random(n) < 0.7, y_true, rng.integers(0, k, size=n))
        cases.append((y_true, y_pred, k))
    for y_true, y_pred, k in cases:
        copies = (y_true.copy(), y_pred.copy())
        shown = f"(N={len(y_true)}, num_classes={k})"
        result = _call(fn, y_true, y_pred, k, what=what)
        unchanged = np.array_equal(y_true, copies[0]) and np.array_equal(
            y_pred, copies[1]
        )
        if not unchanged:
            raise AssertionError(f"{what} modified y_true or y_pred in place")
        got_shape = np.shape(result)
        if got_shape != (k, k):
            square = len(got_shape) == 2 and got_shape[0] == got_shape[1]
            if square and got_shape[0] < k:
                raise AssertionError(
                    f"{what} returned shape {got_shape} {shown}: use num_classes for "
                    "the size, a class may never occur in the labels"
                )
        got = _as_result(result, (k, k), what)
        expected = np.zeros((k, k))
        np.add.at(expected, (y_true, y_pred), 1)
        if np.array_equal(got, expected):
            continue
        if np.array_equal(got, expected.T):
            raise AssertionError(
                f"transposed {shown}: rows are the TRUE classes and columns the "
                "predicted ones, entry [true, predicted]"
            )
        if np.array_equal(got, (expected > 0).astype(float)):
            raise AssertionError(
                f"repeated pairs counted once {shown}: `cm[y_true, y_pred] += 1` "
                "writes each (true, predicted) cell once even when the pair occurs "
                "many times; use np.add.at(cm, (y_true, y_pred), 1) or a loop"
            )
        rows = expected.sum(axis=1, keepdims=True)
        if _close(got, expected / np.where(rows == 0, 1, rows)) or _close(
            got, expected / expected.sum()
        ):
            raise AssertionError(
                f"normalised {shown}: return the counts, not fractions"
            )
        if np.array_equal(got, np.diag(np.diag(expected))):
            raise AssertionError(
                f"only the correct predictions are counted {shown}: the off-diagonal "
                "cells hold the mistakes"
            )
        raise AssertionError(f"{shown} {_where(got, expected)}")
    return True


# --- chapter 8: batch normalization in practice ---


def _ch08_returned(raw, shape, what: str) -> np.ndarray:
    """The student's value for a scalar or 1-D case; size-1 results of scalars pass."""
    if raw is None:
        raise AssertionError(f"{what} returned None: did you forget `return`?")
    if isinstance(raw, tuple):
        raise AssertionError(
            f"{what} returned a tuple of {len(raw)} items; return one number or array"
        )
    if shape == () and np.size(raw) == 1:
        raw = np.reshape(np.asarray(raw, dtype=float), ())
    return _as_result(raw, shape, what)


def _ch08_wrong_at(got, expected, context: str) -> str:
    got, expected = np.atleast_1d(got), np.atleast_1d(expected)
    i = int(np.argmax(np.abs(got - expected)))
    return (
        f"wrong value {context}: at index {i} expected {expected[i]:.6g}, got "
        f"{got[i]:.6g}"
    )


def _ch08_moving_variants(moving, batch, momentum):
    """``(message, value)`` for the classic wrong moving-average updates."""
    keras_rule = "Keras's rule is moving * momentum + batch_stat * (1 - momentum)"
    return [
        (
            "you used PyTorch's convention, moving * (1 - momentum) + batch_stat * "
            "momentum, where momentum is the weight of the NEW value; in Keras "
            "momentum (0.99) is the weight of the OLD moving value: " + keras_rule,
            moving * (1 - momentum) + batch * momentum,
        ),
        (
            "the batch statistic is added with weight 1: it must be weighted by "
            "(1 - momentum), so that the two weights add up to 1; " + keras_rule,
            moving * momentum + batch,
        ),
        (
            "the old moving value is kept with weight 1: it must be multiplied by "
            "momentum; " + keras_rule,
            moving + batch * (1 - momentum),
        ),
        (
            "momentum multiplies both terms: the batch statistic's weight is "
            "(1 - momentum); " + keras_rule,
            (moving + batch) * momentum,
        ),
        (
            "momentum is applied to the wrong term (moving * (1 - momentum) + "
            "batch_stat * ... ): " + keras_rule,
            moving * (1 - momentum) + batch,
        ),
        (
            "you return batch_stat itself: a moving average must remember the old "
            "value (with weight momentum) and move only a little towards the new one",
            batch,
        ),
        (
            "you return the old moving value unchanged: the moving average must move "
            "towards batch_stat by a fraction (1 - momentum)",
            moving,
        ),
        (
            "you average the two values equally; momentum sets the weights: "
            + keras_rule,
            (moving + batch) / 2,
        ),
        (
            "the sign of the batch term is wrong: " + keras_rule,
            moving * momentum - batch * (1 - momentum),
        ),
    ]


def _ch08_moving_cases(rng):
    """(moving, batch_stat, momentum) cases: scalars first, then 1-D arrays, then
    the edge momenta 0 and 1."""
    cases = []
    for momentum in (0.9, 0.99, float(rng.uniform(0.6, 0.98))):
        cases.append((float(rng.normal(0, 2)), float(rng.normal(3, 2)), momentum))
    for size in (1, 5, int(rng.integers(2, 40)), 64):
        momentum = float(rng.choice([0.9, 0.99, 0.999, rng.uniform(0.6, 0.98)]))
        moving = rng.normal(0.0, 2.0, size)
        batch = moving + rng.choice([-1.0, 1.0], size) * rng.uniform(0.5, 4.0, size)
        cases.append((moving, batch, momentum))
    cases.append((rng.normal(size=4), rng.normal(3.0, 1.0, size=4), 0.0))
    cases.append((rng.normal(size=4), rng.normal(3.0, 1.0, size=4), 1.0))
    cases.append(
        (
            rng.normal(size=6).astype(np.float32),
            rng.normal(3.0, 1.0, size=6).astype(np.float32),
            0.99,
        )
    )
    return cases


def check_moving_average(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(moving, batch_stat, momentum)`` must return Keras's update
    ``moving * momentum + batch_stat * (1 - momentum)``.

    ``momentum`` (0.99 in Keras) is the weight of the old value. Tried on single
    numbers and on 1-D arrays (one value per feature, as Keras stores its moving
    mean and variance), with momenta 0.9, 0.99, 0.999, random ones and the edge
    cases 0 and 1; the inputs must not be modified. The reference is
    :func:`convbn.batchnorm.update_moving`.
    """
    from .batchnorm import update_moving

    rng = np.random.default_rng(seed)
    what = "your moving-average function"
    scalars_ok = False
    for moving, batch, momentum in _ch08_moving_cases(rng):
        is_array = isinstance(moving, np.ndarray)
        passed = [np.copy(moving), np.copy(batch)] if is_array else [moving, batch]
        try:
            raw = fn(passed[0], passed[1], momentum)
        except Exception as error:
            if is_array and scalars_ok:
                raise AssertionError(
                    f"{what} works for single numbers but raised "
                    f"{type(error).__name__}: {error} on arrays of shape "
                    f"{moving.shape}; Keras keeps one moving value per feature, so "
                    "use numpy arithmetic that works elementwise (no float(), "
                    "math.*, or `if` on the values)"
                ) from error
            raise AssertionError(
                f"{what} raised {type(error).__name__}: {error} (called with "
                f"moving={_short(moving)}, batch_stat={_short(batch)}, "
                f"momentum={momentum})"
            ) from error
        if is_array:
            for original, given, name in (
                (moving, passed[0], "moving"),
                (batch, passed[1], "batch_stat"),
            ):
                if not np.array_equal(original, given):
                    raise AssertionError(
                        f"{what} modified its input {name} in place (e.g. moving "
                        "*= momentum); return a new array and leave the inputs "
                        "unchanged (Keras assigns the result to its variable itself)"
                    )
        shape = np.shape(moving)
        if is_array and scalars_ok and np.ndim(raw) == 0:
            raise AssertionError(
                f"{what} returned a single number for arrays of shape {shape}; it "
                "works only for scalars: return one moving value per feature"
            )
        got = _ch08_returned(raw, shape, what)
        expected = update_moving(moving, batch, momentum).astype(np.float64)
        moving64 = np.asarray(moving, dtype=np.float64)
        batch64 = np.asarray(batch, dtype=np.float64)
        tol = 1e-5 if np.asarray(moving).dtype == np.float32 else 1e-9
        if _close(got, expected, rtol=tol, atol=tol):
            scalars_ok = scalars_ok or not is_array
            continue
        context = f"with momentum={momentum}"
        if momentum in (0.0, 1.0):
            keep = "the old moving value" if momentum == 1.0 else "batch_stat"
            raise AssertionError(
                f"with momentum={momentum:g} the result must be {keep} (Keras's "
                "rule moving * momentum + batch_stat * (1 - momentum)); "
                + _ch08_wrong_at(got, expected, context)
            )
        for message, value in _ch08_moving_variants(moving64, batch64, momentum):
            if _close(got, value, rtol=tol, atol=tol):
                raise AssertionError(message)
        raise AssertionError(_ch08_wrong_at(got, expected, context))
    return True


def _ch08_after_reference(initial, batch, momentum, n):
    from .batchnorm import update_moving

    value = np.asarray(initial, dtype=np.float64)
    batch = np.asarray(batch, dtype=np.float64)
    for _ in range(n):
        value = update_moving(value, batch, momentum)
    return value


def check_moving_after(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(initial, batch_stat, momentum, n)`` must return the moving
    value after ``n`` Keras updates that all see the same ``batch_stat``.

    The closed form is ``batch_stat + (initial - batch_stat) * momentum**n``: the
    initial value's weight decays as ``momentum**n``. Tried on numbers and 1-D
    arrays, n from 0 to 2000 (a loop of n updates is also right), against n
    applications of :func:`convbn.batchnorm.update_moving`.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [  # the first one tells every classic mistake apart
        (1.0, 0.25, 0.9, 3),
        (0.0, 2.0, 0.99, 0),
        (0.0, 1.0, 0.99, 200),
        (3.0, -1.0, 0.999, 1),
    ]
    for _ in range(6):
        size = int(rng.integers(1, 9))
        cases.append(
            (
                rng.normal(0.0, 2.0, size),
                rng.normal(3.0, 2.0, size),
                float(rng.choice([0.9, 0.99, 0.999, rng.uniform(0.6, 0.98)])),
                int(rng.choice([1, 2, 5, 37, 200, 2000])),
            )
        )
    for initial, batch, momentum, n in cases:
        shape = np.shape(initial)
        copies = (np.copy(initial), np.copy(batch))
        raw = _call(fn, initial, batch, momentum, n, what=what)
        if isinstance(initial, np.ndarray) and not (
            np.array_equal(copies[0], initial) and np.array_equal(copies[1], batch)
        ):
            raise AssertionError(f"{what} modified its inputs; leave them unchanged")
        got = _ch08_returned(raw, shape, what)
        expected = _ch08_after_reference(initial, batch, momentum, n)
        if _close(got, expected, rtol=1e-7, atol=1e-9):
            continue
        i0 = np.asarray(initial, dtype=np.float64)
        b = np.asarray(batch, dtype=np.float64)
        m = momentum
        variants = [
            (
                "off by one: after n updates the initial value's weight is "
                "momentum**n, not momentum**(n - 1)",
                b + (i0 - b) * m ** max(n - 1, 0),
            ),
            (
                "off by one: after n updates the initial value's weight is "
                "momentum**n, not momentum**(n + 1)",
                b + (i0 - b) * m ** (n + 1),
            ),
            (
                "PyTorch's convention: in Keras momentum is the weight of the old "
                "value, so the initial value's weight is momentum**n, not "
                "(1 - momentum)**n",
                b + (i0 - b) * (1 - m) ** n,
            ),
            (
                "initial and batch_stat are swapped: the value starts at initial and "
                "moves towards batch_stat",
                i0 + (b - i0) * m**n,
            ),
            (
                "the weights multiply, they do not add: momentum**n, not momentum * n",
                b + (i0 - b) * m * n,
            ),
            (
                "the batch part is missing: the moving value tends to batch_stat, "
                "so the result is initial * momentum**n + batch_stat * (1 - "
                "momentum**n)",
                i0 * m**n,
            ),
            (
                "you return the value after a single update; apply it n times",
                i0 * m + b * (1 - m),
            ),
            (
                "you return batch_stat: after a finite number of steps the initial "
                "value still has weight momentum**n",
                b + 0 * i0,
            ),
        ]
        context = f"for n={n}, momentum={m}"
        if n == 0:
            raise AssertionError(
                "after n=0 updates the moving value is still initial; "
                + _ch08_wrong_at(got, expected, context)
            )
        for message, value in variants:
            if _close(got, value, rtol=1e-7, atol=1e-9):
                raise AssertionError(message)
        raise AssertionError(_ch08_wrong_at(got, expected, context))
    return True


def _ch08_counts(k, c_in, filters, batch_norm):
    kernel = k * k * c_in * filters
    if batch_norm:
        return kernel + 2 * filters, 2 * filters
    return kernel + filters, 0


def check_bn_parameter_counts(fn, seed: int = 0) -> bool:
    """Chapter 8: ``fn(kernel_size, in_channels, filters, batch_norm)`` must return
    ``(trainable, non_trainable)`` for ``Conv2D(filters, kernel_size,
    use_bias=not batch_norm)`` followed, if ``batch_norm``, by
    ``BatchNormalization()``.

    Conv2D has ``k * k * in_channels * filters`` weights plus one bias per filter
    when it has a bias; BatchNormalization has 2 trainable parameters per channel
    (gamma, beta) and 2 non-trainable ones (moving mean, moving variance). What
    ``model.count_params()`` and ``model.summary()`` report in Keras.
    """
    rng = np.random.default_rng(seed)
    what = "your function"
    cases = [(3, 1, 8, True), (3, 1, 8, False), (5, 3, 16, True), (1, 16, 4, True)]
    for _ in range(8):
        cases.append(
            (
                int(rng.choice([1, 3, 5, 7])),
                int(rng.integers(1, 65)),
                int(rng.integers(1, 129)),
                bool(rng.integers(0, 2)),
            )
        )
    for k, c_in, f, bn in cases:
        raw = _call(fn, k, c_in, f, bn, what=what)
        try:
            ok = not isinstance(raw, str | bytes) and len(raw) == 2
            ok = ok and all(float(v) == int(v) for v in raw)
            pair = tuple(int(v) for v in raw)
        except (TypeError, ValueError):
            ok = False
        if not ok:
            raise AssertionError(
                f"{what} must return two whole numbers (trainable, non_trainable), "
                f"got {raw!r}"
            )
        expected = _ch08_counts(k, c_in, f, bn)
        if pair == expected:
            continue
        kernel = k * k * c_in * f
        setting = f"kernel_size={k}, in_channels={c_in}, filters={f}, batch_norm={bn}"
        variants = [(expected[::-1], "the order is (trainable, non_trainable)")]
        if bn:
            variants += [
                (
                    (kernel + 3 * f, 2 * f),
                    "with batch normalization the convolution "
                    "has no bias (use_bias=False: BN's beta does its job), so do not "
                    "count the filters' biases",
                ),
                (
                    (kernel + 4 * f, 0),
                    "the moving mean and moving variance are not "
                    "trained by the optimizer: they are non-trainable (updated as "
                    "moving averages)",
                ),
                (
                    (kernel + 5 * f, 0),
                    "the moving mean and variance are "
                    "non-trainable, and the convolution has no bias with BN",
                ),
                (
                    (kernel, 4 * f),
                    "gamma and beta are trainable (the optimizer "
                    "learns them); only the moving mean and variance are not",
                ),
                (
                    (kernel + 2 * f, 0),
                    "BatchNormalization also stores 2 "
                    "non-trainable values per channel: the moving mean and variance",
                ),
                (
                    (kernel, 2 * f),
                    "gamma and beta (one each per channel) are "
                    "trainable parameters too",
                ),
                (
                    (kernel, 0),
                    "BatchNormalization has parameters: gamma and beta "
                    "(trainable) and the moving mean and variance (non-trainable), one "
                    "of each per channel",
                ),
                (
                    (kernel + f, 2 * f),
                    "BN has 2 trainable parameters per channel "
                    "(gamma and beta) and the convolution has no bias",
                ),
            ]
        else:
            no_bn = "batch_norm=False: there is no BatchNormalization layer to count"
            variants += [
                ((kernel, 0), "without BN the convolution has a bias: one per filter"),
                ((kernel + 3 * f, 2 * f), no_bn),
                ((kernel + 2 * f, 2 * f), no_bn),
            ]
        kernel_wrong = [
            (
                k * c_in * f,
                "a 2-D kernel has k * k weights per input channel and filter, not k",
            ),
            (
                k * k * f,
                "each filter has a k x k kernel for EVERY input channel: "
                "multiply by in_channels",
            ),
            (
                k * k * c_in,
                "there is one k x k x in_channels kernel per filter: "
                "multiply by filters",
            ),
        ]
        for value, message in variants:
            if pair == tuple(value):
                raise AssertionError(f"{message} ({setting})")
        for wrong_kernel, message in kernel_wrong:
            if (
                wrong_kernel != kernel
                and pair[0] - wrong_kernel == expected[0] - kernel
            ):
                raise AssertionError(f"{message} ({setting})")
        raise AssertionError(
            f"wrong counts for {setting}: expected {expected}, got {pair}"
        )
    return True
