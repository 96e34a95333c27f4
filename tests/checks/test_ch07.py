"""The checkers of exercises 7.1 and 7.2: right solutions pass, each known mistake is
named (the planted bugs of the debugging exercise only located), and the known ways
round them fail: a table of recorded inputs, finite differences of a forward pass,
a numeric gradient with ties broken by a ramp. Exercise 7.3's checker, and the
search for graded answers on the chapter's pages, are tested in
``test_ch07_layers.py``; the toolkit exercises' checkers in
``test_ch07_toolkit.py``."""

import json
import re

import numpy as np
import pytest

from conftest import ROOT
from convbn import checks, convolution

EXERCISES = ROOT / "chapters" / "07_conv_layer" / "exercises.ipynb"

# --- check_conv2d_backward -----------------------------------------------------------


def correlate(x, w, stride=1):
    """A "valid" cross-correlation in numpy alone, as a student may write it: the
    exercise is numpy only, so a student function may not call convbn.conv2d."""
    kh, kw = w.shape[:2]
    windows = np.lib.stride_tricks.sliding_window_view(x, (kh, kw), axis=(1, 2))
    return np.einsum("nijdmq,mqdc->nijc", windows[:, ::stride, ::stride], w)


def backward_loops(dout, x, w, stride):
    """Right, written with loops over every output position and tap."""
    n, h_out, w_out, c_out = dout.shape
    kh, kw = w.shape[:2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(h_out):
        for j in range(w_out):
            for m in range(kh):
                for q in range(kw):
                    r, c = i * stride + m, j * stride + q
                    dx[:, r, c, :] += dout[:, i, j, :] @ w[m, q].T
                    dw[m, q] += x[:, r, c, :].T @ dout[:, i, j, :]
    return dx, dw, dout.sum(axis=(0, 1, 2))


def backward_full_correlation(dout, x, w, stride):
    """Right, written with the lesson's second form: dout with s - 1 zeros between
    its entries, padded and correlated with the rotated kernel, then the unread rows
    (output_padding) appended; dw from the strided patches."""
    n, h_out, w_out, c_out = dout.shape
    kh, kw = w.shape[:2]
    spread = np.zeros((n, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1, c_out))
    spread[:, ::stride, ::stride] = dout
    padded = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = correlate(padded, w[::-1, ::-1].transpose(0, 1, 3, 2))
    rows, cols = x.shape[1] - dx.shape[1], x.shape[2] - dx.shape[2]
    dx = np.pad(dx, ((0, 0), (0, rows), (0, cols), (0, 0)))
    dw = np.stack(
        [
            np.stack(
                [
                    np.einsum(
                        "nijd,nijc->dc",
                        x[
                            :,
                            m : m + stride * h_out : stride,
                            q : q + stride * w_out : stride,
                        ],
                        dout,
                    )
                    for q in range(kw)
                ]
            )
            for m in range(kh)
        ]
    )
    return dx, dw, dout.sum(axis=(0, 1, 2))


@pytest.mark.parametrize("solution", [backward_loops, backward_full_correlation])
def test_check_conv2d_backward_accepts_correct_solutions(solution):
    assert checks.check_conv2d_backward(solution) is True
    assert checks.check_conv2d_backward(solution, seed=7) is True


def _replace(index, make):
    def wrong(dout, x, w, stride):
        grads = list(backward_loops(dout, x, w, stride))
        grads[index] = make(dout, x, w, stride, grads[index])
        return tuple(grads)

    return wrong


def _full(dout, kernel, stride):
    """The full correlation of the spread dout with ``kernel``, no rows appended."""
    n, h_out, w_out, c_out = dout.shape
    spread = np.zeros((n, (h_out - 1) * stride + 1, (w_out - 1) * stride + 1, c_out))
    spread[:, ::stride, ::stride] = dout
    kh, kw = kernel.shape[:2]
    padded = np.pad(spread, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return correlate(padded, kernel.transpose(0, 1, 3, 2))


def _grown(dx, x):
    rows, cols = x.shape[1] - dx.shape[1], x.shape[2] - dx.shape[2]
    return np.pad(dx, ((0, 0), (0, max(rows, 0)), (0, max(cols, 0)), (0, 0)))


def _dw_stride_1(dout, x, w):
    """dw with the windows of a stride-1 layer, x[n, i + m, j + q], i < H_out."""
    h_out, w_out = dout.shape[1:3]
    dw = np.zeros(w.shape)
    for m, q in np.ndindex(w.shape[:2]):
        seen = x[:, m : m + h_out, q : q + w_out]
        dw[m, q] = np.einsum("nijd,nijc->dc", seen, dout)
    return dw


def _modifies(dout, x, w, stride):
    grads = backward_loops(dout, x, w, stride)
    dout *= 2
    return grads


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            _replace(0, lambda d, x, w, s, g: _grown(_full(d, w, s), x)),
            "dx: the kernel is not flipped",
        ),
        (
            _replace(0, lambda d, x, w, s, g: _full(d, w[::-1, ::-1], 1)),
            "dx: the stride is ignored",
        ),
        (
            _replace(0, lambda d, x, w, s, g: _full(d, w[::-1, ::-1], s)),
            r"no window reads the last 1 row\(s\)",
        ),
        (_replace(0, lambda d, x, w, s, g: g[:, 1:]), r"dx has shape .* x's shape"),
        (_replace(1, lambda d, x, w, s, g: g[::-1, ::-1]), "dw is rotated by 180"),
        (
            _replace(1, lambda d, x, w, s, g: _dw_stride_1(d, x, w)),
            "dw: the stride is ignored",
        ),
        (
            _replace(1, lambda d, x, w, s, g: g / len(x)),
            "dw is averaged over the batch",
        ),
        (
            _replace(1, lambda d, x, w, s, g: g.transpose(0, 1, 3, 2)),
            "dw: the channels are transposed",
        ),
        (
            _replace(2, lambda d, x, w, s, g: d.sum(axis=0)),
            "db is summed over the batch",
        ),
        (_replace(2, lambda d, x, w, s, g: d.sum(axis=(1, 2))), "summed over space"),
        (_replace(2, lambda d, x, w, s, g: d.mean(axis=(0, 1, 2))), "db is a mean"),
        (lambda d, x, w, s: backward_loops(d, x, w, s)[:2], "must return three arr"),
        (_modifies, "modified its input dout"),
        (_replace(0, lambda d, x, w, s, g: g + 0.1), "wrong dx value at"),
        (lambda d, x, w: None, "raised TypeError"),  # the stride argument is missing
    ],
)
def test_check_conv2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv2d_backward(wrong)


def test_check_conv2d_backward_names_transposed_channels_in_dx():
    def wrong(dout, x, w, stride):
        dx, dw, db = backward_loops(dout, x, w, stride)
        if w.shape[2] == w.shape[3]:
            dx = _grown(_full(dout, w[::-1, ::-1].transpose(0, 1, 3, 2), stride), x)
        return dx, dw, db

    with pytest.raises(AssertionError, match="dx: the channels are transposed"):
        checks.check_conv2d_backward(wrong)


def test_the_stride_1_answer_of_the_lesson_fails_at_the_first_stride():
    def stride_1(dout, x, w, stride):
        del stride
        return backward_loops(dout, x, w, 1)

    with pytest.raises(AssertionError, match=r"stride 2"):
        checks.check_conv2d_backward(stride_1)


def _dx_assigned_by_tap(dout, x, w, stride):
    """dx with = instead of += in the loop over the taps."""
    h_out, w_out = dout.shape[1:3]
    dx = np.zeros_like(x)
    for m in range(w.shape[0]):
        for q in range(w.shape[1]):
            rows = slice(m, m + (h_out - 1) * stride + 1, stride)
            cols = slice(q, q + (w_out - 1) * stride + 1, stride)
            dx[:, rows, cols, :] = dout @ w[m, q].T
    return dx


def _assigned_by_position(dout, x, w, stride):
    """dx and dw with = instead of += in the loops over the output positions."""
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(dout.shape[1]):
        for j in range(dout.shape[2]):
            for m in range(w.shape[0]):
                for q in range(w.shape[1]):
                    r, c = i * stride + m, j * stride + q
                    dx[:, r, c, :] = dout[:, i, j, :] @ w[m, q].T
                    dw[m, q] = x[:, r, c, :].T @ dout[:, i, j, :]
    return dx, dw


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            _replace(0, lambda d, x, w, s, g: _dx_assigned_by_tap(d, x, w, s)),
            "dx: contributions are overwritten instead of added",
        ),
        (
            _replace(0, lambda d, x, w, s, g: _assigned_by_position(d, x, w, s)[0]),
            r"dx: contributions are overwritten .* with \+=, not =",
        ),
        (
            _replace(1, lambda d, x, w, s, g: _assigned_by_position(d, x, w, s)[1]),
            r"dw: contributions are overwritten .* use \+=",
        ),
    ],
)
def test_check_conv2d_backward_names_assignment_instead_of_addition(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv2d_backward(wrong)


def test_check_conv2d_backward_refuses_complex_gradients():
    def complex_dx(dout, x, w, stride):
        dx, dw, db = backward_loops(dout, x, w, stride)
        return dx + 1e-3j, dw, db

    with pytest.raises(AssertionError, match=r"dx returned complex numbers"):
        checks.check_conv2d_backward(complex_dx)


def test_check_conv2d_backward_survives_a_number_too_large_for_a_float():
    def huge(dout, x, w, stride):
        dx, dw, _ = backward_loops(dout, x, w, stride)
        return dx, dw, [10**400] * w.shape[3]

    with pytest.raises(AssertionError, match="db returned a number too large"):
        checks.check_conv2d_backward(huge)


def _recording(solution, seen):
    def recorded(*args):
        result = solution(*args)
        seen[_key(args)] = result
        return result

    return recorded


def _key(args):
    return tuple(a.tobytes() if isinstance(a, np.ndarray) else a for a in args)


def _replaying(seen, fallback):
    def replay(*args):
        return seen.get(_key(args)) or fallback(*args)

    return replay


def test_recorded_answers_to_the_seeded_cases_fail_on_the_fresh_ones():
    """Item: with seeded cases alone, a table of the answers to the inputs of one
    run passes the next. The fresh cases differ at every run."""
    seen = {}
    assert checks.check_conv2d_backward(_recording(backward_loops, seen))
    first = set(seen)
    assert checks.check_conv2d_backward(_recording(backward_loops, seen))
    assert len(set(seen) - first) == 4  # the seeded cases again, four new ones

    def zeros(dout, x, w, stride):
        return np.zeros_like(x), np.zeros_like(w), np.zeros(w.shape[3])

    with pytest.raises(AssertionError, match="db"):
        checks.check_conv2d_backward(_replaying(seen, zeros))


class _OutOfTime(Exception):
    """Stands for the grader's time limit."""


def probing(budget):
    """The cheat: a forward pass and central differences of sum(dout * z), one
    entry of x, w and b at a time; the loss is linear, so the differences are exact.
    When a call needs more than ``budget`` forward passes it gives up at once, as
    the grader's time limit would end it later."""

    def backward(dout, x, w, stride):
        needed = 2 * (x.size + w.size + w.shape[3])
        if needed > budget:  # what the time limit would end, ended before it starts
            raise _OutOfTime(f"{needed} forward passes, more than {budget}")

        def loss(x, w, b):
            return np.sum(dout * (correlate(x, w, stride) + b))

        b = np.zeros(w.shape[3])
        grads = []
        for which, array in enumerate((x, w, b)):
            grad = np.zeros_like(array)
            for index in np.ndindex(array.shape):
                up, down = array.copy(), array.copy()
                up[index] += 0.5
                down[index] -= 0.5
                args_up, args_down = [x, w, b], [x, w, b]
                args_up[which], args_down[which] = up, down
                grad[index] = loss(*args_up) - loss(*args_down)
            grads.append(grad)
        return tuple(grads)

    return backward


def test_probing_a_forward_pass_passes_the_small_cases_only():
    """Item: finite differences pass every small case (exactly), and run out of
    time on the realistic layer: 2 x 296,080 forward passes of 4 images of 96 x 96
    x 8, at a few milliseconds each, many minutes; here after 5,000."""
    rng = np.random.default_rng(0)
    for n, h, w_, c_in, c_out, kh, kw, stride in checks.ch07._CONV_CASES:
        x, w = rng.normal(size=(n, h, w_, c_in)), rng.normal(size=(kh, kw, c_in, c_out))
        dout = rng.normal(size=convolution.conv2d(x, w, stride=stride).shape)
        label = f"stride {stride}"
        checks.ch07._check_conv_case(
            probing(5_000), dout, x, w, stride, "probing", label
        )
    n, h, w_, c_in, c_out, kh, kw, stride = checks.ch07._REALISTIC
    assert 2 * (n * h * w_ * c_in + kh * kw * c_in * c_out + c_out) == 2 * 296_080
    with pytest.raises(AssertionError, match=r"raised _OutOfTime.*\(4, 96, 96, 8\)"):
        checks.check_conv2d_backward(probing(5_000))


# --- check_max_pool2d_backward -------------------------------------------------------


def pool_backward_argmax(dout, x, size, stride):
    """Right: np.argmax finds the first maximum of each flattened window; += adds
    the gradients of overlapping windows."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * stride : i * stride + size, j * stride : j * stride + size]
            m, q = np.unravel_index(np.argmax(window), window.shape)
            dx[i * stride + m, j * stride + q] += dout[i, j]
    return dx


def pool_backward_scatter(dout, x, size, stride):
    """Right, written with strided windows and np.add.at."""
    view = np.lib.stride_tricks.sliding_window_view(x, (size, size))[::stride, ::stride]
    view = view[: dout.shape[0], : dout.shape[1]].reshape(*dout.shape, size * size)
    first = view.argmax(axis=-1)
    rows = np.arange(dout.shape[0])[:, None] * stride + first // size
    cols = np.arange(dout.shape[1])[None, :] * stride + first % size
    dx = np.zeros_like(x)
    np.add.at(dx, (rows, cols), dout)
    return dx


@pytest.mark.parametrize("solution", [pool_backward_argmax, pool_backward_scatter])
def test_check_max_pool2d_backward_accepts_correct_solutions(solution):
    assert checks.check_max_pool2d_backward(solution) is True
    assert checks.check_max_pool2d_backward(solution, seed=3) is True


def routed(read, write, add):
    """The exercise's code with its window read from rows i * read on and its
    gradient written at i * write + m, added or assigned: ("size", "size", False)
    is the classmate's code, ("stride", "stride", True) the fix."""

    def backward(dout, x, size, stride):
        step = {"size": size, "stride": stride}
        r_step, w_step = step[read], step[write]
        dx = np.zeros_like(x)
        for i in range(dout.shape[0]):
            for j in range(dout.shape[1]):
                rows = slice(i * r_step, i * r_step + size)
                cols = slice(j * r_step, j * r_step + size)
                window = x[rows, cols]
                m, q = np.unravel_index(np.argmax(window), window.shape)
                if add:
                    dx[i * w_step + m, j * w_step + q] += dout[i, j]
                else:
                    dx[i * w_step + m, j * w_step + q] = dout[i, j]
        return dx

    return backward


#: Words that would give the planted bugs' fixes away.
GIVEAWAYS = ("i * stride", "i * size", "add up", "+=", "overwrit", "wrong place")


@pytest.mark.parametrize(
    "wrong",
    [
        routed("size", "size", add=False),  # the classmate's code, both bugs
        routed("size", "size", add=True),  # the windows still at i * size
        routed("stride", "stride", add=False),  # still = instead of +=
    ],
    ids=["both bugs", "windows at i * size", "= instead of +="],
)
def test_the_planted_bugs_are_located_not_explained(wrong):
    with pytest.raises(AssertionError) as caught:
        checks.check_max_pool2d_backward(wrong)
    message = str(caught.value)
    assert re.match(r"wrong dx\[\d+, \d+\]: expected .*, got ", message), message
    assert "in the window(s) (" in message and "numeric_gradient" in message
    assert not any(word in message for word in GIVEAWAYS), message


@pytest.mark.parametrize(
    "wrong",
    [
        routed("stride", "size", add=True),  # slices fixed, the index not
        routed("stride", "size", add=False),
        routed("size", "stride", add=True),  # the index fixed, the slices not
        routed("size", "stride", add=False),
    ],
    ids=["read fixed", "read fixed, =", "write fixed", "write fixed, ="],
)
def test_half_of_the_first_fix_is_named_even_when_it_crashes(wrong):
    with pytest.raises(AssertionError, match="the window whose maximum you find and"):
        checks.check_max_pool2d_backward(wrong)


def test_a_crash_of_half_a_fix_is_named_with_the_crash():
    x = np.arange(49.0).reshape(7, 7)  # every maximum in its window's last row
    dout = np.ones((3, 3))
    with pytest.raises(AssertionError, match=r"disagree.*raised IndexError"):
        checks.ch07._check_pool_case(
            routed("stride", "size", add=True), dout, x, 3, 2, "distinct", "yours"
        )


def _pool_case(shape, size, stride, kind, seed):
    rng = np.random.default_rng(seed)
    x = checks.ch07._pool_values(rng, shape, kind)
    dout = rng.normal(size=tuple((n - size) // stride + 1 for n in shape))
    return dout, x, size, stride, kind


def _per_window(share, add=True):
    """A backward pass written window by window: ``share`` says what part of
    dout[i, j] each entry of a window gets; ``add=False`` assigns (=)."""

    def backward(dout, x, size, stride):
        dx = np.zeros_like(x)
        for i, j in np.ndindex(dout.shape):
            rows = slice(i * stride, i * stride + size)
            cols = slice(j * stride, j * stride + size)
            part = share(x[rows, cols]) * dout[i, j]
            if add:
                dx[rows, cols] += part
            else:
                dx[rows, cols][part != 0] = part[part != 0]
        return dx

    return backward


def _last(window):
    flat = window.ravel()
    last = len(flat) - 1 - int(np.argmax(flat[::-1]))
    return np.arange(window.size).reshape(window.shape) == last


def _off_by_one(dout, x, size, stride):
    dx = np.zeros_like(x)
    dx[1:] = pool_backward_argmax(dout, x, size, stride)[:-1]
    return dx


def _covered_only(dout, x, size, stride):
    rows = (dout.shape[0] - 1) * stride + size
    cols = (dout.shape[1] - 1) * stride + size
    return pool_backward_argmax(dout, x, size, stride)[:rows, :cols]


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_per_window(lambda w: w == w.max()), "every tied maximum"),
        (_per_window(_last), "the last maximum"),
        (_per_window(lambda w: np.full(w.shape, 1 / w.size)), "spread over the"),
        (lambda d, x, s, t: pool_backward_argmax(np.ones_like(d), x, s, t), "dout is"),
        (_off_by_one, "off by one"),
        (_covered_only, "dx must have x's shape"),
        (lambda d, x, s, t: None, "did you forget `return`"),
        (lambda d, x, s, t: pool_backward_argmax(d, x, s, t) * 2, r"wrong dx\[\d"),
        (
            lambda d, x, s, t: pool_backward_argmax(d, x, s, t) + 1e-3j,
            "returned complex numbers",
        ),
    ],
)
def test_check_max_pool2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_max_pool2d_backward(wrong)


def test_the_off_by_one_message_gives_no_fix_away():
    with pytest.raises(AssertionError) as caught:
        checks.check_max_pool2d_backward(_off_by_one)
    assert not any(word in str(caught.value) for word in GIVEAWAYS)


def _exercise_code():
    """The code exercise 7.2 hands out, run: the classmate's backward pass, the
    forward pass and numeric_gradient."""
    cells = json.loads(EXERCISES.read_text())["cells"]
    source = next(
        "".join(c["source"])
        for c in cells
        if "def classmates_max_pool2d_backward" in "".join(c["source"])
    )
    space = {"np": np}
    exec(source, space)
    return space


EXERCISE = _exercise_code()
exercise_numeric_gradient = EXERCISE["numeric_gradient"]


def ramp_broken_ties(dout, x, size, stride):
    """The cheat: ties broken by a small ramp (the first entry wins), then the
    numeric gradient."""
    ramp = np.arange(x.size).reshape(x.shape)
    return exercise_numeric_gradient(dout, x - 1e-4 * ramp, size, stride)


def centred_ramp(dout, x, size, stride):
    """The same, with x moved near 0 first, so that values near 1e8 keep h."""
    return ramp_broken_ties(dout, x - np.median(x), size, stride)


@pytest.mark.parametrize(
    ("cheat", "match"),
    [
        (exercise_numeric_gradient, r"with ties\)$"),  # split among exact ties
        (ramp_broken_ties, r"1e-10.*near ties"),
        (centred_ramp, r"1e-10.*near ties"),
    ],
)
def test_numeric_probing_fails_before_the_large_case(cheat, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_max_pool2d_backward(cheat)


def test_the_cases_that_defeat_probing_are_what_they_say():
    cases = checks.ch07._PROBING_CASES
    assert {kind for *_, kind in cases} == {"near", "large"}
    assert max(shape[0] * shape[1] for shape, *_ in cases) == 240 * 240
    dout, x, size, stride, _ = _pool_case((7, 9), 3, 2, "near", seed=1)
    gaps = np.diff(np.unique(x))
    assert len(np.unique(x)) == x.size and gaps.min() < 2e-10  # distinct, 1e-10 apart
    ramp = ramp_broken_ties(dout, x, size, stride)
    assert not np.allclose(ramp, pool_backward_argmax(dout, x, size, stride))
    dout, x, size, stride, _ = _pool_case((9, 7), 3, 2, "large", seed=1)
    assert 1e8 - 10 < x.min() and x.max() < 1e8 + 10
    exact = pool_backward_argmax(dout, x, size, stride)
    assert not np.allclose(exercise_numeric_gradient(dout, x, size, stride), exact)
    # moved near 0 first, the values keep h: a way round this case alone, not round
    # the near ties
    centred = exercise_numeric_gradient(dout, x - np.median(x), size, stride)
    assert np.allclose(centred, exact)


def test_recorded_pooling_answers_fail_on_the_fresh_cases():
    seen = {}
    assert checks.check_max_pool2d_backward(_recording(pool_backward_argmax, seen))

    def replay(dout, x, size, stride):
        known = seen.get(_key((dout, x, size, stride)))
        return np.zeros_like(x) if known is None else known

    with pytest.raises(AssertionError):  # where, and why, depend on the fresh case
        checks.check_max_pool2d_backward(replay)


def test_zeros_are_not_called_a_gradient_one_place_off():
    """A shift that pushes the gradient off the edge leaves zeros, which must not be
    diagnosed as "off by one" (a fresh case of 4 x 2 once did)."""
    dout, x = (
        np.array([[1.5], [-2.0]]),
        np.array([[3.0, 1.0], [0.0, 0.0], [2.0, 1.0], [0.0, 0.0]]),
    )
    with pytest.raises(AssertionError, match=r"wrong dx\["):
        checks.ch07._check_pool_case(
            lambda d, x, s, t: np.zeros_like(x), dout, x, 1, 2, "distinct", "yours"
        )


def test_the_exercise_code_is_what_the_checker_locates():
    """The classmate's code in the exercises notebook is routed("size", "size")."""
    mine = EXERCISE["classmates_max_pool2d_backward"]
    for seed in range(3):
        dout, x, size, stride, _ = _pool_case((7, 7), 3, 2, "distinct", seed)
        ours = routed("size", "size", add=False)(dout, x, size, stride)
        assert np.array_equal(mine(dout, x, size, stride), ours)
