"""The checkers of chapter 5: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, convolution
from convbn.checks import ch05

# --- check_shift ---------------------------------------------------------------------


def shift_ok(x, d):
    x = np.asarray(x)
    out = np.zeros_like(x)
    n = len(x)
    if 0 <= d < n:
        out[d:] = x[: n - d]
    elif -n < d < 0:
        out[: n + d] = x[-d:]
    return out


def shift_loop(x, d):  # written differently: index by index
    x = np.asarray(x, dtype=float)
    out = np.zeros(x.shape)
    for i in range(len(x)):
        if 0 <= i - d < len(x):
            out[i] = x[i - d]
    return out


def shift_pad(x, d):  # written differently: pad, then crop
    x = np.asarray(x, dtype=float)
    n = len(x)
    d = max(-n, min(n, d))
    widths = [(max(d, 0), max(-d, 0))] + [(0, 0)] * (x.ndim - 1)
    padded = np.pad(x, widths)
    return padded[max(-d, 0) : max(-d, 0) + n]


def _shift_wrong_direction(x, d):
    return shift_ok(x, -d)


def _shift_roll(x, d):
    return np.roll(x, d, axis=0)


def _shift_no_crop(x, d):
    x = np.asarray(x, dtype=float)
    return np.concatenate([np.zeros((d,) + x.shape[1:]), x]) if d > 0 else x


def _shift_minus_zero(x, d):
    out = np.zeros_like(x)
    out[d:] = x[:-d]
    return out


def _shift_columns(x, d):
    return shift_ok(x.T, d).T if x.ndim == 2 else shift_ok(x, d)


def _shift_positive_only(x, d):
    out = np.zeros_like(x)
    d = abs(d)
    out[d:] = x[: len(x) - d] if d < len(x) else 0
    return out


def _shift_negative_zeros(x, d):
    return shift_ok(x, d) if d >= 0 else np.zeros_like(x)


def _shift_in_place(x, d):
    x[:] = shift_ok(x, d)
    return x


def _shift_big_k(x, d):
    if abs(d) >= len(x):
        return x.copy()
    return shift_ok(x, d)


@pytest.mark.parametrize("solution", [shift_ok, shift_loop, shift_pad])
def test_check_shift_accepts_correct_solutions(solution):
    assert checks.check_shift(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_shift_wrong_direction, "wrong direction"),
        (_shift_roll, "wraps around"),
        (_shift_no_crop, "did not cut the array back"),
        (_shift_minus_zero, "x\\[:-0\\]"),
        (_shift_columns, "wrong axis"),
        (_shift_positive_only, "wrong direction"),
        (_shift_negative_zeros, "a negative d is wrong"),
        (_shift_in_place, "modified its input"),
        (_shift_big_k, "all zeros"),
        (lambda x, d: None, "returned None"),
        (lambda x, d: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_shift_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_shift(wrong)


# --- check_circular_correlate2d ---------------------------------------------------


def circular_ok(image, kernel):
    kh, kw = kernel.shape
    padded = np.pad(image, ((kh // 2, kh // 2), (kw // 2, kw // 2)), mode="wrap")
    return convolution.correlate2d(padded, kernel, mode="valid")


def circular_loops(image, kernel):  # written differently: the formula with %
    h, w = image.shape
    kh, kw = kernel.shape
    out = np.zeros((h, w))
    for i in range(h):
        for j in range(w):
            for m in range(kh):
                for n in range(kw):
                    out[i, j] += (
                        image[(i + m - kh // 2) % h, (j + n - kw // 2) % w]
                        * kernel[m, n]
                    )
    return out


def circular_fft(image, kernel):  # written differently: with FFTs
    h, w = image.shape
    kh, kw = kernel.shape
    big = np.zeros((h, w))
    big[:kh, :kw] = kernel
    big = np.roll(big, (-(kh // 2), -(kw // 2)), axis=(0, 1))
    return np.real(np.fft.ifft2(np.fft.fft2(image) * np.conj(np.fft.fft2(big))))


def _circ_roll(dy, dx):
    def wrong(image, kernel):
        return np.roll(circular_ok(image, kernel), (dy, dx), axis=(0, 1))

    return wrong


def _circ_uncentred(image, kernel):  # pads everything after: window starts at (i, j)
    kh, kw = kernel.shape
    padded = np.pad(image, ((0, kh - 1), (0, kw - 1)), mode="wrap")
    return convolution.correlate2d(padded, kernel, mode="valid")


@pytest.mark.parametrize("solution", [circular_ok, circular_loops, circular_fft])
def test_check_circular_correlate2d_accepts_correct_solutions(solution):
    assert checks.check_circular_correlate2d(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda i, k: convolution.correlate2d(i, k, mode="same"), "padded with zeros"),
        (lambda i, k: circular_ok(i, k[::-1, ::-1]), "kernel is flipped"),
        (
            lambda i, k: (
                circular_ok(i, k.T) if k.shape[0] == k.shape[1] else circular_ok(i, k)
            ),
            "transposed",
        ),
        (_circ_uncentred, "off by the kernel centre"),
        (_circ_roll(2, 1), "wrong value"),
        (_circ_roll(-1, 0), "off by the kernel centre"),
        (lambda i, k: convolution.correlate2d(i, k, mode="valid"), "valid part"),
        (lambda i, k: convolution.correlate2d(i, k, mode="full"), "full correlation"),
        (lambda i, k: np.zeros((2, 2)), "returned shape"),
    ],
)
def test_check_circular_correlate2d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_circular_correlate2d(wrong)


# --- check_is_equivariant ------------------------------------------------------------


def equivariant_ok(f, x, shift):
    return np.allclose(f(np.roll(x, shift, axis=0)), np.roll(f(x), shift, axis=0))


def equivariant_loop(f, x, shift):  # written differently: own shift, own tolerance
    moved = np.concatenate([x[len(x) - shift % len(x) :], x[: len(x) - shift % len(x)]])
    left, right = f(moved), f(x)
    right = np.concatenate(
        [right[len(x) - shift % len(x) :], right[: len(x) - shift % len(x)]]
    )
    return bool(np.max(np.abs(left - right)) < 1e-9 * (1 + np.max(np.abs(right))))


def test_equivariance_cases_cover_both_answers():
    cases = ch05.equivariance_cases(np.random.default_rng(0))
    for _, f, x, s, intended in cases:
        assert equivariant_ok(f, x, s) == intended
    assert {c[-1] for c in cases} == {True, False}


@pytest.mark.parametrize("solution", [equivariant_ok, equivariant_loop])
def test_check_is_equivariant_accepts_correct_solutions(solution):
    assert checks.check_is_equivariant(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda f, x, s: True, "always returns True"),
        (lambda f, x, s: False, "always returns False"),
        (lambda f, x, s: np.allclose(f(np.roll(x, s, 0)), f(x)), "invariance"),
        (lambda f, x, s: np.allclose(np.roll(f(x), s, 0), f(x)), "invariance"),
        (
            lambda f, x, s: np.allclose(f(np.roll(x, s, 0)), np.roll(f(x), -s, 0)),
            "opposite directions",
        ),
        (
            lambda f, x, s: np.array_equal(f(np.roll(x, s, 0)), np.roll(f(x), s, 0)),
            "rounding errors",
        ),
        (lambda f, x, s: np.allclose(f(np.roll(x, s)), np.roll(f(x), s)), "axis=0"),
        (lambda f, x, s: f(np.roll(x, s, 0)) == np.roll(f(x), s, 0), "not =="),
        (lambda f, x, s: "yes", "must return True or False"),
        (lambda f, x, s: x.shape[0] > 10, "wrong answer for"),
    ],
)
def test_check_is_equivariant_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_is_equivariant(wrong)


# --- check_equivariance_predictions (predict, then check) ------------------------

ANSWERS = {
    "tanh, zero fill": True,
    "softplus, zero fill": False,
    "softplus, circular": True,
    "median3, circular": True,
    "centre, circular": True,
    "centre, zero fill": False,
    "sort, circular": False,
    "causal_mean, zero fill, right": True,
    "causal_mean, zero fill, left": False,
}


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_equivariance_maps_behave_as_the_answers_say(seed):
    rng = np.random.default_rng(seed)
    for name, (f, boundary, directions) in ch05.EQUIVARIANCE_MAPS.items():
        assert ch05.is_equivariant(f, boundary, directions, rng) == ANSWERS[name]


@pytest.mark.parametrize(
    "answers",
    [ANSWERS, {key: np.bool_(value) for key, value in reversed(ANSWERS.items())}],
)
def test_check_equivariance_predictions_accepts_right_answers(answers):
    assert checks.check_equivariance_predictions(answers) is True


@pytest.mark.parametrize(
    ("key", "match"),
    [
        ("tanh, zero fill", "tanh\\(0\\) = 0"),
        ("softplus, zero fill", "True, not False: softplus\\(0\\) = log 2|only if f"),
        ("softplus, circular", "brings in no zeros"),
        ("median3, circular", "not linearity"),
        ("centre, circular", "same mean as x"),
        ("centre, zero fill", "changes the mean"),
        ("sort, circular", "invariance"),
        ("causal_mean, zero fill, right", "exactly such zeros"),
        ("causal_mean, zero fill, left", "pushes x\\[d - 1\\] off"),
    ],
)
def test_check_equivariance_predictions_explains_each_wrong_answer(key, match):
    with pytest.raises(AssertionError, match=match) as error:
        checks.check_equivariance_predictions({**ANSWERS, key: not ANSWERS[key]})
    assert str(error.value).startswith("1 of your 9 predictions is wrong:")
    assert f"answers[{key!r}]: {ANSWERS[key]}, not {not ANSWERS[key]}: " in str(
        error.value
    )


@pytest.mark.parametrize(
    ("change", "match"),
    [
        ({"sort, circular": "no"}, "must be True or False, got str"),
        ({"sort, circular": 0}, "must be True or False, got int"),
        ({"sort, circular": ...}, "predict answers\\['sort, circular'\\] first"),
    ],
)
def test_check_equivariance_predictions_wants_booleans(change, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_equivariance_predictions({**ANSWERS, **change})


# --- check_find_counterexample ------------------------------------------------------


def _search(
    f, inputs, boundary, signs=(1, -1), first_only=False, test=np.allclose, side=None
):
    def g(x, d):
        return np.roll(x, d) if boundary == "circular" else shift_ok(x, d)

    for i, x in enumerate(inputs[:1] if first_only else inputs):
        for d in range(1, len(x)):
            for s in signs:
                other = side(f, g, x, s * d) if side else g(f(x), s * d)
                if not test(f(g(x, s * d)), other):
                    return i, s * d
    return None


def search_ok(f, inputs, boundary):
    return _search(f, inputs, boundary)


def search_last(f, inputs, boundary):  # written differently: the last one, as a list
    found = [
        [i, d]
        for i, x in enumerate(inputs)
        for d in [*range(-len(x) + 1, 0), *range(1, len(x))]
        if _search(f, [x], boundary) is not None
        and not np.allclose(
            f(np.roll(x, d) if boundary == "circular" else shift_loop(x, d)),
            np.roll(f(x), d) if boundary == "circular" else shift_loop(f(x), d),
        )
    ]
    return tuple(np.int64(v) for v in found[-1]) if found else None


@pytest.mark.parametrize("solution", [search_ok, search_last])
def test_check_find_counterexample_accepts_right_searches(solution):
    assert checks.check_find_counterexample(solution) is True


def test_counterexample_cases_have_both_answers():
    cases = ch05.counterexample_cases(np.random.default_rng(0))
    found = [bool(ch05.counterexamples(f, x, b)) for _, f, x, b in cases]
    assert True in found and False in found


def _modifies(f, inputs, boundary):
    inputs[0][0] = 99.0
    return search_ok(f, inputs, boundary)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda f, xs, b: _search(f, xs, b, signs=(1,)), "positive shifts only"),
        (lambda f, xs, b: _search(f, xs, b, first_only=True), "first input only"),
        (lambda f, xs, b: _search(f, xs, "circular"), "uses np.roll whatever"),
        (lambda f, xs, b: _search(f, xs, "zero"), "zero-fill shift whatever"),
        (
            lambda f, xs, b: _search(f, xs, b, test=np.array_equal),
            "compares exactly",
        ),
        (
            lambda f, xs, b: _search(f, xs, b, side=lambda f, g, x, d: f(x)),
            "tests invariance",
        ),
        (
            lambda f, xs, b: _search(f, xs, b, side=lambda f, g, x, d: g(f(x), -d)),
            "opposite directions",
        ),
        (lambda f, xs, b: None, "you found none, but inputs\\[0\\] with d = 1"),
        (lambda f, xs, b: (0, 1), "inputs\\[0\\] with d = 1 is no counterexample"),
        (lambda f, xs, b: (5, 1), "returned index 5, but there are 1 inputs"),
        (lambda f, xs, b: (0, 0), "returned the shift d = 0"),
        (lambda f, xs, b: True, "must return None or a pair"),
        (lambda f, xs, b: (0, 1.5), "must return None or a pair"),
        (_modifies, "modified the inputs"),
        (lambda f, xs: None, "raised TypeError"),
    ],
)
def test_check_find_counterexample_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_find_counterexample(wrong)
