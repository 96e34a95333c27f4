"""The checkers of chapter 7: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

from convbn import checks, convolution

# --- check_conv2d_backward -----------------------------------------------------------


def backward_loops(dout, x, w):
    """Right, written with loops over every output position and tap."""
    n, h_out, w_out, c_out = dout.shape
    kh, kw = w.shape[:2]
    dx, dw = np.zeros_like(x), np.zeros_like(w)
    for i in range(h_out):
        for j in range(w_out):
            for m in range(kh):
                for q in range(kw):
                    dx[:, i + m, j + q, :] += dout[:, i, j, :] @ w[m, q].T
                    dw[m, q] += x[:, i + m, j + q, :].T @ dout[:, i, j, :]
    return dx, dw, dout.sum(axis=(0, 1, 2))


def backward_full_correlation(dout, x, w):
    """Right, written as in the lesson: dx is a full correlation with the rotated
    kernel, dw a correlation of x with dout."""
    kh, kw = w.shape[:2]
    padded = np.pad(dout, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    dx = convolution.conv2d(padded, w[::-1, ::-1].transpose(0, 1, 3, 2))
    dw = convolution.conv2d(
        x.transpose(3, 1, 2, 0), dout.transpose(1, 2, 0, 3)
    ).transpose(1, 2, 0, 3)
    return dx, dw, dout.sum(axis=(0, 1, 2))


@pytest.mark.parametrize("solution", [backward_loops, backward_full_correlation])
def test_check_conv2d_backward_accepts_correct_solutions(solution):
    assert checks.check_conv2d_backward(solution) is True
    assert checks.check_conv2d_backward(solution, seed=7) is True


def _replace(index, make):
    def wrong(dout, x, w):
        grads = list(backward_loops(dout, x, w))
        grads[index] = make(dout, x, w, grads[index])
        return tuple(grads)

    return wrong


def _full(dout, kernel):
    kh, kw = kernel.shape[:2]
    padded = np.pad(dout, ((0, 0), (kh - 1, kh - 1), (kw - 1, kw - 1), (0, 0)))
    return convolution.conv2d(padded, kernel.transpose(0, 1, 3, 2))


def _modifies(dout, x, w):
    grads = backward_loops(dout, x, w)
    dout *= 2
    return grads


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_replace(0, lambda d, x, w, g: _full(d, w)), "dx: the kernel is not flipped"),
        (
            _replace(
                0,
                lambda d, x, w, g: convolution.conv2d(
                    d, w[::-1, ::-1].transpose(0, 1, 3, 2), padding="same"
                ),
            ),
            "dx has the wrong padding",
        ),
        (_replace(0, lambda d, x, w, g: g[:, 1:]), r"dx has shape .* pad dout"),
        (_replace(1, lambda d, x, w, g: g[::-1, ::-1]), "dw is rotated by 180"),
        (_replace(1, lambda d, x, w, g: g / len(x)), "dw is averaged over the batch"),
        (
            _replace(1, lambda d, x, w, g: g.transpose(0, 1, 3, 2)),
            "dw: the channels are transposed",
        ),
        (_replace(2, lambda d, x, w, g: d.sum(axis=0)), "db is summed over the batch"),
        (_replace(2, lambda d, x, w, g: d.sum(axis=(1, 2))), "db is summed over space"),
        (_replace(2, lambda d, x, w, g: d.mean(axis=(0, 1, 2))), "db is a mean"),
        (lambda d, x, w: backward_loops(d, x, w)[:2], "must return three arrays"),
        (_modifies, "modified its input dout"),
        (_replace(0, lambda d, x, w, g: g + 0.1), "wrong dx value at"),
    ],
)
def test_check_conv2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_conv2d_backward(wrong)


def test_check_conv2d_backward_names_transposed_channels_in_dx():
    def wrong(dout, x, w):
        dx, dw, db = backward_loops(dout, x, w)
        if w.shape[2] == w.shape[3]:
            dx = _full(dout, w[::-1, ::-1].transpose(0, 1, 3, 2))
        return dx, dw, db

    with pytest.raises(AssertionError, match="dx: the channels are transposed"):
        checks.check_conv2d_backward(wrong)


# --- check_max_pool2d_backward -------------------------------------------------------


def pool_backward_argmax(dout, x, size):
    """Right: np.argmax finds the first maximum of each flattened window."""
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * size : (i + 1) * size, j * size : (j + 1) * size]
            m, q = np.unravel_index(np.argmax(window), window.shape)
            dx[i * size + m, j * size + q] = dout[i, j]
    return dx


def pool_backward_masks(dout, x, size):
    """Right, written with reshapes and a running 'already taken' mask."""
    h, w = dout.shape[0] * size, dout.shape[1] * size
    blocks = x[:h, :w].reshape(dout.shape[0], size, dout.shape[1], size)
    blocks = blocks.transpose(0, 2, 1, 3).reshape(*dout.shape, size * size)
    first = blocks.argmax(axis=-1)
    onehot = np.eye(size * size)[first] * dout[..., None]
    dx = np.zeros_like(x)
    dx[:h, :w] = (
        onehot.reshape(*dout.shape, size, size).transpose(0, 2, 1, 3).reshape(h, w)
    )
    return dx


@pytest.mark.parametrize("solution", [pool_backward_argmax, pool_backward_masks])
def test_check_max_pool2d_backward_accepts_correct_solutions(solution):
    assert checks.check_max_pool2d_backward(solution) is True
    assert checks.check_max_pool2d_backward(solution, seed=3) is True


def _every_tie(dout, x, size):
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            rows, cols = (
                slice(i * size, (i + 1) * size),
                slice(j * size, (j + 1) * size),
            )
            window = x[rows, cols]
            dx[rows, cols] += dout[i, j] * (window == window.max())
    return dx


def _last_tie(dout, x, size):
    dx = np.zeros_like(x)
    for i in range(dout.shape[0]):
        for j in range(dout.shape[1]):
            window = x[i * size : (i + 1) * size, j * size : (j + 1) * size]
            flat = window.ravel()
            k = len(flat) - 1 - np.argmax(flat[::-1])
            m, q = divmod(k, size)
            dx[i * size + m, j * size + q] = dout[i, j]
    return dx


def _spread(dout, x, size):
    dx = np.zeros_like(x)
    h, w = dout.shape[0] * size, dout.shape[1] * size
    dx[:h, :w] = np.kron(dout, np.ones((size, size))) / size**2
    return dx


def _ones(dout, x, size):
    return pool_backward_argmax(np.ones_like(dout), x, size)


def _off_by_one(dout, x, size):
    dx = np.zeros_like(x)
    right = pool_backward_argmax(dout, x, size)
    dx[1:] = right[:-1]
    return dx


def _covered_only(dout, x, size):
    return pool_backward_argmax(dout, x, size)[
        : dout.shape[0] * size, : dout.shape[1] * size
    ]


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_every_tie, "every tied maximum"),
        (_last_tie, "the last maximum"),
        (_spread, "spread over the window"),
        (_ones, "dout is not used"),
        (_off_by_one, "off by one"),
        (_covered_only, "dx must have x's shape"),
        (lambda d, x, s: None, "did you forget `return`"),
        (lambda d, x, s: pool_backward_argmax(d, x, s) * 2, "wrong value at"),
    ],
)
def test_check_max_pool2d_backward_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_max_pool2d_backward(wrong)
