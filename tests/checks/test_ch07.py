"""The checkers of chapter 7: right solutions pass, each known mistake is named."""

import numpy as np
import pytest

import convbn
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


# --- check_layer_predictions ---------------------------------------------------------

RIGHT_PREDICTIONS = {
    "conv_params": 896,
    "conv_shape": (32, 32, 32),
    "conv_multiply_adds": 884_736,
    "transpose_params": 1032,
    "transpose_shape": (48, 48, 8),
}


def test_layer_predictions_are_what_keras_builds():
    keras = convbn.import_keras()
    conv = keras.layers.Conv2D(32, 3, strides=2, padding="same")
    transpose = keras.layers.Conv2DTranspose(8, 2, strides=3)
    conv_out = conv(np.zeros((1, 64, 64, 3), dtype="float32"))
    up = transpose(np.zeros((1, 16, 16, 32), dtype="float32"))
    right = checks.ch07.layer_predictions()
    assert right == RIGHT_PREDICTIONS
    assert right["conv_params"] == conv.count_params()
    assert right["conv_shape"] == tuple(conv_out.shape[1:])
    assert right["transpose_params"] == transpose.count_params()
    assert right["transpose_shape"] == tuple(up.shape[1:])
    kh, kw, c_in, c_out = conv.kernel.shape
    assert right["conv_multiply_adds"] == 32 * 32 * kh * kw * c_in * c_out


def test_check_layer_predictions_accepts_right_numbers_in_any_form():
    assert checks.check_layer_predictions(RIGHT_PREDICTIONS) is True
    other_forms = {
        **RIGHT_PREDICTIONS,
        "conv_params": 896.0,
        "conv_shape": [32, 32, 32],
        "transpose_shape": np.array([48, 48, 8]),
        "conv_multiply_adds": np.int64(884_736),
    }
    assert checks.check_layer_predictions(other_forms) is True


@pytest.mark.parametrize(
    ("name", "value", "match"),
    [
        ("conv_params", 864, "the 32 biases are missing"),
        ("conv_params", 320, "the input channels are missing"),
        ("conv_params", 28, "that is one filter"),
        ("conv_params", 393_248, "do not depend on the image size"),
        ("conv_params", 900, r"conv_params: wrong count \(you predicted 900"),
        ("conv_shape", (31, 31, 32), "that is 'valid' padding"),
        ("conv_shape", (64, 64, 32), "the stride is ignored"),
        ("conv_shape", (32, 32, 3), "one channel per filter"),
        ("conv_shape", (1, 32, 32, 32), "leave out the batch axis"),
        ("conv_shape", (32, 32), "give all three axes"),
        ("conv_multiply_adds", 3_538_944, "the stride is ignored"),
        ("conv_multiply_adds", 830_304, "'valid' padding"),
        ("conv_multiply_adds", 917_504, "the bias is left out of the count"),
        ("conv_multiply_adds", 27_648, "that is one filter"),
        ("conv_multiply_adds", 294_912, "the input channels are missing"),
        ("transpose_params", 1024, "the 8 biases are missing"),
        ("transpose_params", 1056, "one bias per OUTPUT channel"),
        ("transpose_shape", (47, 47, 8), r"n s \+ max\(k - s, 0\) = 48"),
        ("transpose_shape", (5, 5, 8), "forward convolution's size"),
        ("transpose_shape", (50, 50, 8), "adds the whole kernel"),
        ("transpose_shape", (48, 48, 32), "the layer's 8 channels"),
        ("transpose_shape", (48, 48), r"transpose_shape: wrong shape"),
        ("conv_shape", "32x32x32", "must be a shape"),
        ("conv_shape", (32.5, 32, 32), "whole numbers"),
        ("conv_params", 896.5, "a count is a whole number"),
        ("conv_params", ..., "still Ellipsis: write your prediction"),
        ("transpose_params", None, "still None"),
    ],
)
def test_check_layer_predictions_names_the_mistake(name, value, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_layer_predictions({**RIGHT_PREDICTIONS, name: value})


def test_check_layer_predictions_wants_a_dict_with_every_name():
    with pytest.raises(AssertionError, match="must be a dict"):
        checks.check_layer_predictions([896])
    partial = {k: v for k, v in RIGHT_PREDICTIONS.items() if k != "conv_shape"}
    with pytest.raises(AssertionError, match="predictions has no conv_shape"):
        checks.check_layer_predictions(partial)
