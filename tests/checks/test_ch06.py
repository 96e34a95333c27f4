"""The checkers of chapter 6: right solutions pass, each known mistake is named."""

import numpy as np
import pytest
from numpy.lib.stride_tricks import sliding_window_view

from convbn import checks, pooling
from convbn.checks import ch06

# --- check_max_pool2d ----------------------------------------------------------------


def max_pool_loops(x, size, stride):
    rows = (x.shape[0] - size) // stride + 1
    cols = (x.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[
                i * stride : i * stride + size, j * stride : j * stride + size
            ].max()
    return out


def max_pool_windows(x, size, stride):  # written differently: a strided view
    return sliding_window_view(x, (size, size))[::stride, ::stride].max(axis=(2, 3))


def max_pool_shifts(x, size, stride):  # written differently: shift and np.maximum
    rows = (x.shape[0] - size) // stride + 1
    cols = (x.shape[1] - size) // stride + 1
    out = np.full((rows, cols), -np.inf)
    for m in range(size):
        for q in range(size):
            part = x[
                m : m + (rows - 1) * stride + 1 : stride,
                q : q + (cols - 1) * stride + 1 : stride,
            ]
            out = np.maximum(out, part)
    return out


def _pool_with(stat):
    def pool(x, size, stride):
        rows = (x.shape[0] - size) // stride + 1
        cols = (x.shape[1] - size) // stride + 1
        return np.array(
            [
                [
                    stat(
                        x[
                            i * stride : i * stride + size,
                            j * stride : j * stride + size,
                        ]
                    )
                    for j in range(cols)
                ]
                for i in range(rows)
            ]
        )

    return pool


def _mp_last_dropped(x, size, stride):
    rows = (x.shape[0] - size) // stride
    cols = (x.shape[1] - size) // stride
    return max_pool_loops(x, size, stride)[:rows, :cols]


def _mp_one_too_many(x, size, stride):
    rows = -(-(x.shape[0] - size) // stride) + 1  # ceil: a window past the edge
    cols = -(-(x.shape[1] - size) // stride) + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[
                i * stride : i * stride + size, j * stride : j * stride + size
            ].max()
    return out


def _mp_small_window(x, size, stride):
    rows = (x.shape[0] - size) // stride + 1
    cols = (x.shape[1] - size) // stride + 1
    out = np.zeros((rows, cols))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = x[
                i * stride : i * stride + size - 1, j * stride : j * stride + size - 1
            ].max()
    return out


def _mp_square_only(x, size, stride):
    n = (x.shape[0] - size) // stride + 1
    out = np.zeros((n, n))
    for i in range(n):
        for j in range(n):
            out[i, j] = x[
                i * stride : i * stride + size, j * stride : j * stride + size
            ].max()
    return out


def _mp_modifies(x, size, stride):
    out = max_pool_loops(x, size, stride)
    x[:] = 0.0
    return out


@pytest.mark.parametrize(
    "solution", [max_pool_loops, max_pool_windows, max_pool_shifts]
)
def test_check_max_pool2d_accepts_correct_solutions(solution):
    assert checks.check_max_pool2d(solution) is True
    assert checks.check_max_pool2d(solution, seed=7) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_pool_with(np.mean), "average of each window"),
        (_pool_with(np.min), "smallest value"),
        (_pool_with(lambda w: np.abs(w).max()), "largest absolute value"),
        (lambda x, size, stride: max_pool_loops(x, size, 1), "stride is ignored"),
        (lambda x, size, stride: max_pool_loops(x, size, size), "instead of stride"),
        (
            lambda x, size, stride: max_pool_loops(x, stride, size),
            "size and stride are swapped",
        ),
        (_mp_last_dropped, "last window is dropped"),
        (_mp_one_too_many, "one window too many"),
        (_mp_small_window, "off by one inside the window"),
        (lambda x, size, stride: max_pool_loops(x, size, stride).T, "transposed"),
        (_mp_square_only, "only for square inputs"),
        (_mp_modifies, "modified its input"),
        (lambda x, size, stride: None, "returned None"),
        (lambda x, size, stride: x.max(), r"returned shape \(\)"),
        (lambda x, size, stride: 1 / 0, "raised ZeroDivisionError"),
        (
            lambda x, size, stride: max_pool_loops(x, size, stride) + 0.1,
            "wrong value at",
        ),
    ],
)
def test_check_max_pool2d_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_max_pool2d(wrong)


# --- check_average_pool1d_same -------------------------------------------------------


def avg_same(x, size, stride):
    n = len(x)
    count = -(-n // stride)
    total = max((count - 1) * stride + size - n, 0)
    padded = np.pad(np.asarray(x, float), (total // 2, total - total // 2))
    real = np.pad(np.ones(n), (total // 2, total - total // 2))
    sums = np.array(
        [padded[i * stride : i * stride + size].sum() for i in range(count)]
    )
    counts = np.array(
        [real[i * stride : i * stride + size].sum() for i in range(count)]
    )
    return sums / counts


def avg_same_loops(x, size, stride):  # written differently: clip each window
    import math

    n = len(x)
    count = math.ceil(n / stride)
    before = max((count - 1) * stride + size - n, 0) // 2
    out = []
    for i in range(count):
        start = i * stride - before
        window = x[max(start, 0) : min(start + size, n)]
        out.append(sum(window) / len(window))
    return np.array(out)


def _avg_variant(**kw):
    return lambda x, size, stride: ch06.average_same(np.asarray(x), size, stride, **kw)


def _avg_pad_rule(rule):
    def pool(x, size, stride):
        n = len(x)
        count = -(-n // stride)
        total = max((count - 1) * stride + size - n, 0)
        before = {"end": 0, "start": total, "odd first": total - total // 2}[rule]
        return ch06.average_same(np.asarray(x), size, stride, before=before)

    return pool


def _avg_valid(x, size, stride):
    if size > len(x):
        return avg_same(x, size, stride)
    return pooling.pool1d(x, size, stride, "average", "valid")


def _avg_floor_count(x, size, stride):
    return avg_same(x, size, stride)[: max(len(x) // stride, 1)]


def _avg_modifies(x, size, stride):
    out = avg_same(x, size, stride)
    x += 1.0
    return out


@pytest.mark.parametrize("solution", [avg_same, avg_same_loops])
def test_check_average_pool1d_same_accepts_correct_solutions(solution):
    assert checks.check_average_pool1d_same(solution) is True
    assert checks.check_average_pool1d_same(solution, seed=3) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_avg_valid, "that is 'valid' pooling"),
        (_avg_variant(divide_by_size=True), "divided every sum by size"),
        (_avg_pad_rule("end"), "all .* padded positions at the end"),
        (_avg_pad_rule("start"), "padded positions before the first input"),
        (_avg_pad_rule("odd first"), "odd padded position is on the wrong side"),
        (
            lambda x, size, stride: pooling.pool1d(x, size, stride, "max", "same"),
            "maximum of each window",
        ),
        (_avg_floor_count, r"n // stride"),
        (lambda x, size, stride: avg_same(x, size, 1), "stride is ignored"),
        (_avg_modifies, "modified its input"),
        (lambda x, size, stride: None, "returned None"),
        (lambda x, size, stride: avg_same(x, size, stride) * 1.01, "wrong value at"),
    ],
)
def test_check_average_pool1d_same_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_average_pool1d_same(wrong)


# --- check_pooling_weights -----------------------------------------------------------


def weights_ok(size, sigma):
    c = (size - 1) / 2
    m, q = np.meshgrid(np.arange(size) - c, np.arange(size) - c, indexing="ij")
    w = np.exp(-(m**2 + q**2) / (2 * sigma**2))
    return w / w.sum()


def weights_loops(size, sigma):  # written differently: loops and an outer product
    c = (size - 1) / 2
    g = np.array([np.exp(-((i - c) ** 2) / (2 * sigma**2)) for i in range(size)])
    w = np.outer(g, g)
    return w / w.sum()


def _w_variant(**kw):
    return lambda size, sigma: ch06.gaussian(size, sigma, **kw)


def _w_odd_only(size, sigma):
    if size % 2:
        return weights_ok(size, sigma)
    return weights_ok(size + 1, sigma)[:size, :size] * (size + 1) ** 2 / size**2


@pytest.mark.parametrize("solution", [weights_ok, weights_loops])
def test_check_pooling_weights_accepts_correct_solutions(solution):
    assert checks.check_pooling_weights(solution) is True
    assert checks.check_pooling_weights(solution, seed=5) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_w_variant(normalise=False), "the weights sum to"),
        (lambda size, sigma: 3 * weights_ok(size, sigma), "the weights sum to"),
        (lambda size, sigma: np.ones((size, size)) / size**2, "all weights are equal"),
        (_w_variant(sign=1.0), "grow with the distance"),
        (_w_variant(sigma_power=1), "sigma is not squared"),
        (_w_variant(two=False), "factor 2 is missing"),
        (_w_variant(sq=False), "distance is not squared"),
        (_w_variant(rows_only=True), "depend on the row only"),
        (
            lambda size, sigma: ch06.gaussian(size, sigma, centre=size // 2),
            r"size // 2",
        ),
        (
            lambda size, sigma: ch06.gaussian(size, sigma, centre=size / 2),
            r"size / 2",
        ),
        (_w_odd_only, "right for odd sizes only"),
        (
            lambda size, sigma: weights_ok(size, sigma)[0],
            r"return one weight per pixel",
        ),
        (lambda size, sigma: weights_ok(size, sigma).ravel(), r"returned shape \("),
    ],
)
def test_check_pooling_weights_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_pooling_weights(wrong)


# --- check_conv_layer ----------------------------------------------------------------


def layer_loops(x, w, b, pool):
    kh, kw, channels = w.shape
    H, W = x.shape
    z = np.zeros((H - kh + 1, W - kw + 1, channels))
    for c in range(channels):
        for i in range(H - kh + 1):
            for j in range(W - kw + 1):
                z[i, j, c] = np.sum(x[i : i + kh, j : j + kw] * w[:, :, c]) + b[c]
    h = np.maximum(z, 0)
    rows, cols = h.shape[0] // pool, h.shape[1] // pool
    out = np.zeros((rows, cols, channels))
    for i in range(rows):
        for j in range(cols):
            out[i, j] = h[i * pool : (i + 1) * pool, j * pool : (j + 1) * pool].max(
                axis=(0, 1)
            )
    return out


def layer_vectorized(x, w, b, pool):  # written differently: einsum and reshape
    kh, kw, _ = w.shape
    z = np.einsum("ijmq,mqc->ijc", sliding_window_view(x, (kh, kw)), w) + b
    h = np.maximum(z, 0)
    rows, cols = h.shape[0] // pool, h.shape[1] // pool
    h = h[: rows * pool, : cols * pool]
    return h.reshape(rows, pool, cols, pool, -1).max(axis=(1, 3))


def _layer_with(**kw):
    def layer(x, w, b, pool):
        return ch06.layer(x, w, b, pool, **kw)

    return layer


def _layer_same(x, w, b, pool):
    kh, kw, _ = w.shape
    padded = np.pad(x, ((kh // 2, kh - 1 - kh // 2), (kw // 2, kw - 1 - kw // 2)))
    return layer_loops(padded, w, b, pool)


def _layer_modifies(x, w, b, pool):
    out = layer_loops(x, w, b, pool)
    b[:] = 0
    return out


def test_check_conv_layer_reference_equals_loops():
    rng = np.random.default_rng(4)
    for _ in range(5):
        x = rng.normal(size=(9, 11))
        w = rng.normal(size=(3, 2, 2))
        b = rng.normal(size=2)
        assert np.allclose(ch06.layer(x, w, b, 2), layer_loops(x, w, b, 2))


@pytest.mark.parametrize("solution", [layer_loops, layer_vectorized])
def test_check_conv_layer_accepts_correct_solutions(solution):
    assert checks.check_conv_layer(solution) is True
    assert checks.check_conv_layer(solution, seed=11) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_layer_with(flip=True), "kernel is flipped"),
        (lambda x, w, b, pool: layer_loops(x, w, 0 * b, pool), "bias is missing"),
        (
            lambda x, w, b, pool: layer_loops(x, w, 0 * b, pool) + b,
            "added after the ReLU",
        ),
        (lambda x, w, b, pool: layer_loops(x, w, -b, pool), "bias is subtracted"),
        (_layer_with(relu=False), "no detector stage"),
        (_layer_with(relu=np.abs), r"\|z\|"),
        (_layer_with(stat="average"), "average pooling"),
        (lambda x, w, b, pool: layer_loops(x, w, b, 1), "no pooling stage"),
        (_layer_with(stride=1), "moves by 1"),
        (
            lambda x, w, b, pool: np.moveaxis(layer_loops(x, w, b, pool), -1, 0),
            "channels come first",
        ),
        (
            lambda x, w, b, pool: layer_loops(
                x, np.repeat(w[:, :, :1], w.shape[2], 2), b, pool
            ),
            "first filter",
        ),
        (_layer_same, "'same'"),
        (_layer_modifies, "modified its inputs"),
        (lambda x, w, b, pool: None, "returned None"),
        (lambda x, w, b, pool: layer_loops(x, w, b, pool)[..., 0], "returned shape"),
        (lambda x, w, b, pool: layer_loops(x, w, b, pool) + 0.5, "wrong value at"),
    ],
)
def test_check_conv_layer_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv_layer(wrong)


# --- check_block_max_pool (debug) ---------------------------------------------------


def block_reshape(x, size):
    rows, cols = x.shape[0] // size, x.shape[1] // size
    x = x[: rows * size, : cols * size]
    return x.reshape(rows, size, cols, size).max(axis=(1, 3))


def block_strides(x, size):  # written differently: the maximum of shifted slices
    rows, cols = x.shape[0] // size, x.shape[1] // size
    out = np.full((rows, cols), -np.inf)
    for m in range(size):
        for q in range(size):
            out = np.maximum(out, x[m : rows * size : size, q : cols * size : size])
    return out.tolist()


def block_planted_bug(x, size):  # exercise 6.2 as given
    rows, cols = x.shape[0] // size, x.shape[1] // size
    x = x[: rows * size, : cols * size]
    return x.reshape(rows, cols, size, size).max(axis=(2, 3))


def test_the_planted_bug_is_right_for_one_column_of_windows():
    strip = np.random.default_rng(0).normal(size=(8, 2))
    assert np.array_equal(block_planted_bug(strip, 2), block_reshape(strip, 2))


@pytest.mark.parametrize("solution", [block_reshape, block_strides])
def test_check_block_max_pool_accepts_right_solutions(solution):
    assert checks.check_block_max_pool(solution, seed=4) is True


def _block_no_crop(x, size):
    rows, cols = x.shape[0] // size, x.shape[1] // size
    return x.reshape(rows, size, cols, size).max(axis=(1, 3))


def _block_in_place(x, size):
    x -= 0.0
    x[0, 0] = 1e9
    return block_reshape(x, size)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (
            block_planted_bug,
            "windows are mixed up: reshape\\(rows, cols, size, size\\)",
        ),
        (
            lambda x, k: (
                block_reshape(x, k).T
                if x.shape[0] // k == x.shape[1] // k
                else block_reshape(x, k)
            ),
            "transposed",
        ),
        (_block_no_crop, "leftover rows and columns are not dropped"),
        (
            lambda x, k: ch06._blocks(x, k).max(axis=(1, 2)),
            "maximum is over the wrong axes: in \\(rows, size, cols, size\\)",
        ),
        (lambda x, k: ch06._blocks(x, k).max(axis=(0, 2)), "axes 0 and 2 count"),
        (lambda x, k: ch06._blocks(x, k).mean(axis=(1, 3)), "averaged each window"),
        (lambda x, k: ch06._blocks(x, k).min(axis=(1, 3)), "smallest value"),
        (lambda x, k: block_reshape(x, k) + 1, "wrong value at"),
        (_block_in_place, "modified its input x"),
        (lambda x, k: None, "returned None"),
    ],
)
def test_check_block_max_pool_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_block_max_pool(wrong)
