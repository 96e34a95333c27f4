"""The convolutional layer (chapters 6, 7 and 12), public through
:mod:`convbn.convolution`, which re-exports every function here.

The patch matrix (:func:`im2col`) and the layer that is one matrix product with it
(:func:`conv2d`, grouped or not), the depthwise convolution
(:func:`depthwise_conv2d`), the backward passes (:func:`conv2d_backward`,
:func:`depthwise_conv2d_backward`) and the transposed convolution
(:func:`conv2d_transpose`, :func:`transpose_output_size`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from ._blocks import blocks, run
from ._shapes import as_stride, output_size, result_dtype, same_padding
from ._validation import as_choice, as_float_array, as_number

PADDINGS = ("valid", "same")


def _geometry(hw, kh, kw, stride, padding, dilation):
    """Checked stride, padding and dilation of a ``kh`` x ``kw`` kernel on inputs of
    spatial size ``hw``; the zeros before and after each axis; (H_out, W_out)."""
    stride = as_stride(stride)
    padding = as_choice(padding, "padding", PADDINGS)
    dilation = as_number(dilation, "dilation", integer=True, minimum=1)
    # A dilated kernel covers (k - 1) r + 1 positions: its "effective" size.
    span = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    if padding == "valid" and (span[0] > hw[0] or span[1] > hw[1]):
        raise ValueError(
            f"kernel of spatial size {(kh, kw)} (dilation {dilation}: it spans "
            f"{span}) is larger than the input's {tuple(hw)}: valid padding "
            "needs it to fit; use padding='same' or a smaller kernel"
        )
    pads = [
        same_padding(n, k, stride) if padding == "same" else (0, 0)
        for n, k in zip(hw, span, strict=True)
    ]
    out_shape = tuple(
        output_size(n, k, padding, stride) for n, k in zip(hw, span, strict=True)
    )
    return stride, padding, dilation, pads, out_shape


def _padded(x, pads):
    """x with ``pads`` zeros before and after its rows and its columns."""
    return np.pad(x, ((0, 0), *pads, (0, 0))) if any(pads[0] + pads[1]) else x


def _patch_matrix(x, kh, kw, stride, dilation, pads):
    """im2col on checked arguments: pad, take every window, copy once."""
    x = _padded(x, pads)
    span = ((kh - 1) * dilation + 1, (kw - 1) * dilation + 1)
    # (N, H_out, W_out, C, kh, kw): a view, no copy yet
    view = sliding_window_view(x, span, axis=(1, 2))[
        :, ::stride, ::stride, :, ::dilation, ::dilation
    ]
    # rows (n, i, j), columns (m, q, c): the one copy, always a new array
    cols = np.empty((*view.shape[:3], kh, kw, x.shape[3]), x.dtype)
    np.copyto(cols, view.transpose(0, 1, 2, 4, 5, 3))
    return cols.reshape(-1, kh * kw * x.shape[3])


def im2col(
    x, kh: int, kw: int, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> np.ndarray:
    """The patch matrix: every window of ``x`` that a ``kh`` x ``kw`` kernel sees,
    one per row (chapter 7).

    ``x`` is ``(N, H, W, C)``; the result is ``(N * H_out * W_out, kh * kw * C)``
    with H_out = :func:`output_size` (H, span, padding, s), span ``(kh - 1) D + 1``
    (s the stride, D the dilation), and

        cols[(n H_out + i) W_out + j, (m kw + q) C + c] = xp[n, i s + m D, j s + q D, c]

    rows in ``(n, i, j)`` order, columns in ``(m, q, c)`` order, where xp is x
    zero-padded as :func:`conv2d` pads it ("same": :func:`same_padding` of the span,
    the odd zero at the end). A convolution is then one matrix product:
    ``conv2d(x, w, stride=s, padding=p, dilation=D)`` equals ``(im2col(x, kh, kw, s,
    p, D) @ w.reshape(-1, C_out)).reshape(N, H_out, W_out, C_out)``, which is how
    :func:`conv2d` computes it. Equals ``tf.image.extract_patches(x, [1, kh, kw, 1],
    [1, s, s, 1], [1, D, D, 1], padding.upper())`` reshaped to 2-D (it orders a
    window's values as (kh, kw, C) too). The result is a new array, float32 for
    float32 input.

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> im2col(x, 2, 2)  # four windows, each [x[i, j], x[i, j+1], x[i+1, j], ...]
    array([[0., 1., 3., 4.],
           [1., 2., 4., 5.],
           [3., 4., 6., 7.],
           [4., 5., 7., 8.]])
    >>> im2col(x, 2, 2, padding="same")[-1]  # the last window reads the zero padding
    array([8., 0., 0., 0.])
    """
    x = as_float_array(x, "x", ndim=4)
    kh = as_number(kh, "kh", integer=True, minimum=1)
    kw = as_number(kw, "kw", integer=True, minimum=1)
    stride, _, dilation, pads, _ = _geometry(
        x.shape[1:3], kh, kw, stride, padding, dilation
    )
    return _patch_matrix(x, kh, kw, stride, dilation, pads)


def _as_groups(groups, c_in: int, c_out: int) -> int:
    groups = as_number(groups, "groups", integer=True, minimum=1)
    for size, what, where in ((c_in, "input", "x"), (c_out, "output", "w")):
        if size % groups:
            raise ValueError(
                f"groups={groups} must divide the number of {what} channels, but "
                f"{where} has {size} ({where}.shape[3]): each group takes "
                f"C_in // groups input and C_out // groups output channels"
            )
    return groups


def _layer_inputs(x, w, stride, padding, dilation, groups=1):
    """Checked conv2d arguments, the padding of each axis and the output size."""
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    kh, kw, c_group, c_out = w.shape
    if groups == 1 and x.shape[3] != c_group:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (x.shape[3]) but w "
            f"expects C_in={c_group} (w.shape[2]); x is (N, H, W, C_in), w is "
            "(kh, kw, C_in, C_out)"
        )
    groups = _as_groups(groups, x.shape[3], c_out)
    if x.shape[3] != c_group * groups:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (x.shape[3]) and "
            f"groups={groups}, so w must have C_in // groups = "
            f"{x.shape[3] // groups} input channels (w.shape[2]), got {c_group}; "
            "w is (kh, kw, C_in // groups, C_out)"
        )
    geometry = _geometry(x.shape[1:3], kh, kw, stride, padding, dilation)
    return x, w, groups, *geometry


def _as_bias(b, size: int, name: str = "C_out"):
    if b is None:
        return None
    b = as_float_array(b, "b", ndim=1)
    if b.shape != (size,):
        raise ValueError(f"b must have shape ({name},) = ({size},), got {b.shape}")
    return b


def _tap_slices(m, q, stride, dilation, h_out, w_out):
    """The rows and columns of the padded input that tap (m, q) reads, one per
    output position: ``i s + m D`` for ``0 <= i < H_out``, and the same for j."""
    return (
        slice(m * dilation, m * dilation + (h_out - 1) * stride + 1, stride),
        slice(q * dilation, q * dilation + (w_out - 1) * stride + 1, stride),
    )


def _groups(x, w, groups):
    """Each group's input channels (a contiguous copy when there are several
    groups: its windows then copy faster), its input and output channel slices and
    its kernel. Groups are Keras's consecutive blocks of channels."""
    c_group, per_group = w.shape[2], w.shape[3] // groups
    parts = np.moveaxis(x.reshape(*x.shape[:3], groups, c_group), 3, 0)
    return [
        (
            x if groups == 1 else np.ascontiguousarray(parts[g]),
            slice(g * c_group, (g + 1) * c_group),
            slice(g * per_group, (g + 1) * per_group),
            w[..., g * per_group : (g + 1) * per_group],
        )
        for g in range(groups)
    ]


def conv2d(
    x,
    w,
    b=None,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
    groups: int = 1,
) -> np.ndarray:
    """The convolutional layer: a batch of multi-channel cross-correlations.

    Used from chapter 6 (the three stages of a layer) to chapter 12 (a CNN's forward
    pass recomputed); chapter 7 teaches its channels, stride, dilation and groups.

    Shapes follow Keras: ``x`` is ``(N, H, W, C_in)``, ``w`` ``(kh, kw, C_in, C_out)``,
    ``b`` ``(C_out,)`` or None; the result is ``(N, H_out, W_out, C_out)`` with

        out[n, i, j, c] = b[c]
            + sum_{m, q, d} xp[n, i s + m D, j s + q D, d] w[m, q, d, c]

    (s the stride, D the dilation) where xp is x zero-padded as TensorFlow pads: none
    for "valid"; for "same", :func:`same_padding` of the dilated kernel's span
    ``(kh - 1) D + 1``. H_out = :func:`output_size` (H, span, padding, s). Equals
    ``tf.nn.conv2d(x, w, s, padding.upper(), dilations=D) + b`` and
    ``keras.layers.Conv2D`` with the same weights. Computed as one matrix product of
    the patch matrix :func:`im2col` with the kernel: ``im2col(x, kh, kw, s, padding,
    D) @ w.reshape(-1, C_out)``, a few images at a time (their patches stay in the
    processor's cache) on every core.

    ``groups=g`` splits the channels into g groups, as ``keras.layers.Conv2D(...,
    groups=g)``: ``w`` is ``(kh, kw, C_in // g, C_out)``, and output channels
    ``k C_out / g`` to ``(k + 1) C_out / g - 1`` see only input channels
    ``k C_in / g`` to ``(k + 1) C_in / g - 1`` (g divides both). Each group is its
    own layer (one matrix product per group), with g times fewer weights and
    multiplications; ``groups=C_in`` with ``C_out = M C_in`` is
    :func:`depthwise_conv2d`.

    With a stride, "same" is therefore not in general :func:`correlate2d`'s strided
    "same" (the stride-1 result subsampled from 0): for D = 1 it subsamples that
    result from p = (kh - 1) // 2 - same_padding(H, kh, s)[0], which depends on H
    (p = 1 for H = 8, kh = 3, s = 2; p = 0 for H = 7).

    >>> x, w = np.ones((1, 3, 3, 1)), np.ones((2, 2, 1, 1))
    >>> conv2d(x, w, b=[0.5])[0, :, :, 0]
    array([[4.5, 4.5],
           [4.5, 4.5]])
    >>> conv2d(x, w, padding="same")[0, :, :, 0]  # one zero row and column, at the end
    array([[4., 4., 2.],
           [4., 4., 2.],
           [2., 2., 1.]])
    >>> x, w = np.ones((2, 5, 5, 3)), np.ones((3, 3, 3, 4))  # 3 channels in, 4 out
    >>> conv2d(x, w, stride=2, padding="same").shape
    (2, 3, 3, 4)
    >>> x = np.arange(16.0).reshape(1, 4, 4, 1)
    >>> conv2d(x, np.ones((2, 2, 1, 1)), stride=2)[0, :, :, 0]
    array([[10., 18.],
           [42., 50.]])
    >>> conv2d(x, np.ones((2, 2, 1, 1)), dilation=3)[0, :, :, 0]  # the four corners
    array([[30.]])
    >>> x8, w3 = np.arange(8.0).reshape(1, 1, 8, 1), np.ones((1, 3, 1, 1))
    >>> conv2d(x8, w3, padding="same", stride=2)[0, 0, :, 0]  # windows on 1, 3, 5, 7
    array([ 3.,  9., 15., 13.])
    >>> correlate2d(x8[0, :, :, 0], w3[:, :, 0, 0], "same")[0]  # its [1::2], not [::2]
    array([ 1.,  3.,  6.,  9., 12., 15., 18., 13.])
    >>> x2 = np.ones((1, 1, 1, 2)) * [1.0, 10.0]  # two channels, two groups
    >>> conv2d(x2, np.ones((1, 1, 1, 4)), groups=2)[0, 0, 0]  # 2 outputs per group
    array([ 1.,  1., 10., 10.])
    """
    x, w, groups, stride, _, dilation, pads, (h_out, w_out) = _layer_inputs(
        x, w, stride, padding, dilation, groups
    )
    kh, kw, c_group, c_out = w.shape
    b = _as_bias(b, c_out)
    dtype = result_dtype(x, w, *([] if b is None else [b]))
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    out = np.empty((x.shape[0] * h_out * w_out, c_out), dtype)
    parts = [
        (part, outs, kernel.reshape(kh * kw * c_group, -1))
        for part, _, outs, kernel in _groups(x, w, groups)
    ]

    def product(images, rows):  # a block of images: its patches, one product
        for part, outs, kernel in parts:
            cols = _patch_matrix(part[images], kh, kw, stride, dilation, pads)
            np.matmul(cols, kernel, out=out[rows, outs])
        if b is not None:
            out[rows] += b

    run(product, blocks(x.shape[0], h_out * w_out, kh * kw * c_group * out.itemsize))
    return out.reshape(x.shape[0], h_out, w_out, c_out)


def depthwise_conv2d(
    x, w, b=None, stride: int = 1, padding: str = "valid", dilation: int = 1
) -> np.ndarray:
    """Depthwise convolution: each input channel filtered on its own (chapter 7).

    ``x`` is ``(N, H, W, C)`` and ``w`` ``(kh, kw, C, M)``, the layout of
    ``keras.layers.DepthwiseConv2D`` with ``depth_multiplier=M``; ``b`` is
    ``(C M,)`` or None. Channel c gets its own M filters, and output channel
    ``c M + m`` is input channel c cross-correlated with filter m:

        out[n, i, j, c M + m] = b[c M + m]
            + sum_{p, q} xp[n, i s + p D, j s + q D, c] w[p, q, c, m]

    with the padding, stride s, dilation D and output size of :func:`conv2d`. It
    is :func:`conv2d` with ``groups=C`` and the kernel ``w.reshape(kh, kw, 1, C M)``
    (one input channel per group, M outputs each), with C times fewer
    multiplications than a full layer with C M outputs; followed by a 1 x 1
    :func:`conv2d` it is ``keras.layers.SeparableConv2D`` (MobileNet's block).
    Equals ``tf.nn.depthwise_conv2d`` and ``keras.layers.DepthwiseConv2D`` with the
    same weights. Computed as one multiply-add pass (``np.einsum``) over a view of
    every window of x, a few images at a time on every core, not through
    :func:`im2col` (a window's products are never summed over channels, so a matrix
    product has nothing to do; the patch matrix would copy x kh kw times).

    >>> x = np.ones((1, 3, 3, 2)) * [1.0, 10.0]
    >>> depthwise_conv2d(x, np.ones((2, 2, 2, 1)))[0, 0, 0]  # each channel alone
    array([ 4., 40.])
    >>> w = np.ones((2, 2, 2, 3)) * [1.0, 2.0, 3.0]  # M = 3 filters per channel
    >>> depthwise_conv2d(x, w)[0, 0, 0]  # channel 0's three, then channel 1's
    array([  4.,   8.,  12.,  40.,  80., 120.])
    """
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    kh, kw, channels, m = w.shape
    _check_depthwise_channels(x, w)
    stride, _, dilation, pads, (h_out, w_out) = _geometry(
        x.shape[1:3], kh, kw, stride, padding, dilation
    )
    b = _as_bias(b, channels * m, "C * M")
    dtype = result_dtype(x, w, *([] if b is None else [b]))
    x = np.ascontiguousarray(_padded(x, pads), dtype)
    if m > 1:  # channel c M + k reads input channel c: repeat it M times
        x = np.repeat(x, m, axis=3)
    # Each tap's weights repeated along a row of the output, (kh, kw, W_out, C M):
    # with stride 1 a window's row and the output's row are then both W_out C M
    # consecutive numbers, and one loop runs over all of them.
    taps = np.broadcast_to(
        w.astype(dtype).reshape(kh, kw, 1, -1), (kh, kw, w_out, channels * m)
    ).copy()
    out = np.empty((x.shape[0], h_out, w_out, channels * m), dtype)
    # x is C-contiguous, but numpy keeps any stride on an axis of length 1 (x[..., None]
    # has a channel stride of 0, x[..., ::k] of k items), and with stride 1 the
    # channel stride steps along a whole row: the strides come from the shape.
    channel = x.itemsize
    column, row = channel * x.shape[3], channel * x.shape[3] * x.shape[2]
    image = row * x.shape[1]
    shape, steps, spec = out.shape[1:], (row * stride, column * stride, channel), "jc"
    if stride == 1:  # a row's W_out C M numbers are consecutive: one axis, one loop
        shape, steps, spec = (h_out, w_out * channels * m), (row, channel), "l"
        taps = taps.reshape(kh, kw, -1)

    def multiply_add(images, _):  # a block of images, every tap in one pass
        block = out[images].reshape(-1, *shape)
        windows = as_strided(  # windows[p, q, n, i, j] = xp[n, i s + p D, j s + q D]
            x[images],
            (kh, kw, *block.shape),
            (row * dilation, column * dilation, image, *steps),
            writeable=False,
        )
        # block[n, i, j, c] = sum over p, q of windows[p, q, n, i, j, c]
        # times taps[p, q, j, c]; with stride 1, (j, c) is the one axis l
        np.einsum(f"pqni{spec},pq{spec}->ni{spec}", windows, taps, out=block)
        if b is not None:
            out[images] += b

    image_bytes = (x[0].size + out[0].size) * out.itemsize  # an image in, its out
    run(multiply_add, blocks(x.shape[0], 1, image_bytes))
    return out


def _check_depthwise_channels(x, w):
    if x.shape[3] != w.shape[2]:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (x.shape[3]) but w has "
            f"C={w.shape[2]} (w.shape[2]); x is (N, H, W, C), w is (kh, kw, C, M) "
            "as in keras.layers.DepthwiseConv2D"
        )


def depthwise_conv2d_backward(
    dout, x, w, stride: int = 1, padding: str = "valid", dilation: int = 1
):
    """The backward pass of :func:`depthwise_conv2d`: gradients for input, kernel
    and bias (chapter 7).

    Inputs:

    - dout: ``(N, H_out, W_out, C M)``, the gradient of a loss with respect to the
      output of ``depthwise_conv2d(x, w, b, stride, padding, dilation)``
    - x: ``(N, H, W, C)``, w: ``(kh, kw, C, M)``, and the forward pass's stride,
      padding and dilation

    Returns a tuple of dx ``(N, H, W, C)``, dw ``(kh, kw, C, M)`` and db ``(C M,)``.

    A depthwise convolution is :func:`conv2d` with ``groups=C`` and the kernel
    ``w.reshape(kh, kw, 1, C M)``, so this is :func:`conv2d_backward` of that layer,
    with dw reshaped back to ``(kh, kw, C, M)``. Equals ``tf.GradientTape`` through
    ``keras.layers.DepthwiseConv2D``.
    """
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    _check_depthwise_channels(x, w)
    kh, kw, channels, m = w.shape
    dx, dw, db = conv2d_backward(
        dout,
        x,
        w.reshape(kh, kw, 1, channels * m),
        stride,
        padding,
        dilation,
        groups=channels,
    )
    return dx, dw.reshape(w.shape), db


def _flat_rows(y, height, width):
    """y ``(N, H_out, W_out, C)`` placed in the corner of zeros ``(N, height, width,
    C)``, its pixels as rows ``(N height width, C)``.

    With stride 1 and a (padded) input of ``height`` x ``width`` pixels, output
    pixel r of a layer reads tap (m, q) from input pixel ``r + shift``, ``shift =
    (m width + q) D``, counting pixels as rows of these matrices: the pixels past
    H_out or W_out are zeros, so what shifts past the end of an image row adds
    nothing.
    """
    rows = np.zeros((y.shape[0], height, width, y.shape[3]), y.dtype)
    rows[:, : y.shape[1], : y.shape[2]] = y
    return rows.reshape(-1, y.shape[3])


def _transpose_full(y, w, stride, dilation):
    """Every output position of a forward conv2d sends ``y[n, i, j] @ w[m, q].T`` back
    to input position ``(i s + m D, j s + q D)``, and what arrives adds up: the
    whole transposed convolution, ``(N, (H_out - 1) s + span, ..., C_in)``."""
    n_batch, h_out, w_out, c_out = y.shape
    kh, kw, c_in, _ = w.shape
    height = (h_out - 1) * stride + (kh - 1) * dilation + 1
    width = (w_out - 1) * stride + (kw - 1) * dilation + 1
    # taps[m, q, d] is what tap (m, q) sends to input channel d, from one product.
    # Channels first, so that each tap's block is contiguous and the additions below
    # read memory in order; a transposed view at the end gives (N, H, W, C_in).
    if stride == 1:  # each tap's block shifted along the pixels, in one addition
        rows = _flat_rows(y, height, width)
        taps = (w.reshape(-1, c_out) @ rows.T).reshape(kh, kw, c_in, len(rows))
        full = np.zeros((c_in, len(rows)), taps.dtype)
        for m, q in np.ndindex(kh, kw):
            shift = (m * width + q) * dilation
            full[:, shift:] += taps[m, q, :, : len(rows) - shift]
        return full.T.reshape(n_batch, height, width, c_in)
    taps = w.reshape(-1, c_out) @ y.reshape(-1, c_out).T  # one dtype, the callers'
    taps = taps.reshape(kh, kw, c_in, n_batch, h_out, w_out)
    full = np.zeros((c_in, n_batch, height, width), taps.dtype)
    for m, q in np.ndindex(kh, kw):
        rows, cols = _tap_slices(m, q, stride, dilation, h_out, w_out)
        full[:, :, rows, cols] += taps[m, q]
    return full.transpose(1, 2, 3, 0)


def conv2d_backward(
    dout,
    x,
    w,
    stride: int = 1,
    padding: str = "valid",
    dilation: int = 1,
    groups: int = 1,
):
    """The backward pass of :func:`conv2d`: gradients for input, kernel and bias.

    Introduced in chapter 7.

    Inputs:

    - dout: ``(N, H_out, W_out, C_out)``, the gradient of a loss with respect to the
      output of ``conv2d(x, w, b, stride, padding, dilation, groups)``
    - x: ``(N, H, W, C_in)``, w: ``(kh, kw, C_in // groups, C_out)``, and the forward
      pass's stride, padding, dilation and groups (the bias does not matter)

    Returns a tuple of:

    - dx ``(N, H, W, C_in)``: every output position sends ``dout[n, i, j, :] @
      w[m, q].T`` back to the input entry it read through tap (m, q), and the
      contributions add up. It is the *transposed convolution* of dout with w
      (:func:`conv2d_transpose`), that is ``M.T @ dout`` with M the convolution
      matrix (chapter 2).
    - dw ``(kh, kw, C_in // groups, C_out)``: ``dw[m, q, d, c] = sum_{n, i, j}
      xp[n, i s + m D, j s + q D, d] dout[n, i, j, c]``, a cross-correlation of the
      input with dout, that is ``im2col(x, kh, kw, s, padding, D).T @ dout``
      reshaped.
    - db ``(C_out,)``: ``dout`` summed over the batch and both spatial axes.

    With groups, each group's gradients are those of its own layer: its input
    channels receive only its output channels' dout. Equals ``tf.GradientTape``
    through ``tf.nn.conv2d(x, w, s, padding.upper(), dilations=D) + b``, and through
    ``keras.layers.Conv2D(..., groups=groups)``.

    >>> x = np.arange(9.0).reshape(1, 3, 3, 1)
    >>> dx, dw, db = conv2d_backward(np.ones((1, 2, 2, 1)), x, np.ones((2, 2, 1, 1)))
    >>> dx[0, :, :, 0]  # how many windows cover each input entry
    array([[1., 2., 1.],
           [2., 4., 2.],
           [1., 2., 1.]])
    >>> dw[:, :, 0, 0], db
    (array([[ 8., 12.],
           [20., 24.]]), array([4.]))
    """
    x, w, groups, stride, _, dilation, pads, out_shape = _layer_inputs(
        x, w, stride, padding, dilation, groups
    )
    kh, kw, c_group, c_out = w.shape
    dout = as_float_array(dout, "dout", ndim=4)
    expected = (x.shape[0], *out_shape, c_out)
    if dout.shape != expected:
        raise ValueError(
            f"dout must have the shape of conv2d's output, (N, H_out, W_out, C_out) "
            f"= {expected}, got {dout.shape}"
        )
    dtype = result_dtype(dout, x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    dout = dout.astype(dtype, copy=False)
    flat = dout.reshape(-1, c_out)
    dx, dw_of = np.empty(x.shape, dtype), {}  # dw_of: each block's share of dw
    parts = _groups(x, w, groups)

    def backward(images, rows):
        dw = dw_of[images.start] = np.empty(w.shape, dtype)
        for part, ins, outs, kernel in parts:
            cols = _patch_matrix(part[images], kh, kw, stride, dilation, pads)
            dw[..., outs] = (cols.T @ flat[rows, outs]).reshape(kernel.shape)
            full = _transpose_full(dout[images, ..., outs], kernel, stride, dilation)
            _crop_to(full, pads, dx[images, ..., ins])

    row_bytes = 2 * kh * kw * c_group * dx.itemsize  # patches, transposed products
    run(backward, blocks(x.shape[0], math.prod(out_shape), row_bytes))
    dw = sum(dw_of[start] for start in sorted(dw_of))  # in a fixed order
    return dx, dw, flat.sum(axis=0)


def _crop_to(full, pads, out):
    """Write into ``out`` the input gradient of a forward conv2d whose input has
    ``out``'s shape and was padded by ``pads``: the transposed convolution ``full``
    without the padded rows and columns, and zeros in the last rows and columns that
    no window read (valid padding with a stride that does not divide H - kh;
    output_padding)."""
    (top, _), (left, _) = pads
    rows = min(out.shape[1], full.shape[1] - top)
    cols = min(out.shape[2], full.shape[2] - left)
    out[:, :rows, :cols] = full[:, top : top + rows, left : left + cols]
    out[:, rows:] = 0
    out[:, :rows, cols:] = 0


def _as_output_padding(output_padding, stride: int):
    """None, or a pair (rows, columns) of ints with 0 <= a < stride, from an int or a
    sequence or array of two."""
    if output_padding is None:
        return None
    if isinstance(output_padding, np.ndarray) and output_padding.ndim == 0:
        output_padding = output_padding.item()
    if isinstance(output_padding, Sequence | np.ndarray) and not isinstance(
        output_padding, str | bytes
    ):
        if len(output_padding) != 2 or np.asarray(output_padding, object).ndim > 1:
            raise ValueError(
                "output_padding must be an int or a pair (rows, columns) of ints, "
                f"got {output_padding!r}"
            )
        values = tuple(output_padding)
    else:
        values = (output_padding, output_padding)
    pair = tuple(as_number(a, "output_padding", integer=True) for a in values)
    if not all(0 <= a < stride for a in pair):
        raise ValueError(
            f"output_padding must satisfy 0 <= output_padding < stride = {stride}, "
            f"got {output_padding!r}"
        )
    return pair


def transpose_output_size(
    n: int, k: int, padding: str = "valid", stride: int = 1, output_padding=None
) -> int:
    """Rows (or columns) of a transposed convolution of ``n`` rows with a kernel of
    ``k`` (chapter 7).

    Keras's ``Conv2DTranspose`` formula. With ``output_padding=None``: "valid" gives
    ``n s + max(k - s, 0)`` and "same" ``n s``. With ``output_padding=a`` (an int,
    ``0 <= a < s``) it is Dumoulin and Visin's ``(n - 1) s + k - 2 p + a``, with
    ``p = 0`` for "valid" and ``p = k // 2`` for "same". A forward :func:`conv2d`
    with that kernel, stride and padding maps the s input sizes ``a = 0, ..., s - 1``
    to the same ``n``; ``a`` says which one to go back to. For "valid",
    ``a = (H - k) % s`` recovers ``H`` (its last ``a`` rows are those no window
    reads). With "same" and an even k, ``a = 0`` raises a ValueError: that size
    maps to ``n - 1``.

    >>> transpose_output_size(4, 3, stride=2), transpose_output_size(4, 3, "same", 2)
    (9, 8)
    >>> transpose_output_size(4, 3, stride=2, output_padding=1)  # 10 -> 4 -> 10
    10
    """
    n = as_number(n, "n", integer=True, minimum=1)
    k = as_number(k, "k", integer=True, minimum=1)
    padding = as_choice(padding, "padding", PADDINGS)
    stride = as_stride(stride)
    if output_padding is None:
        return n * stride + max(k - stride, 0) if padding == "valid" else n * stride
    a = as_number(output_padding, "output_padding", integer=True)
    a = _as_output_padding(a, stride)[0]
    p = k // 2 if padding == "same" else 0
    length = (n - 1) * stride + k - 2 * p + a
    if length < 1 or output_size(length, k, padding, stride) != n:
        # with stride 1, 0 is the only output_padding there is
        advice = "output_padding=None" if stride == 1 else "output_padding >= 1 or None"
        raise ValueError(
            f"output_padding={a} with an even kernel (k={k}) and padding 'same' "
            f"gives {length} rows, which a stride-{stride} convolution does not "
            f"map to n={n}: use {advice} (Keras fails here, or returns an empty "
            "array)"
        )
    return length


def conv2d_transpose(
    x, w, stride: int = 1, padding: str = "valid", output_padding=None
) -> np.ndarray:
    """Transposed convolution: upsampling by a learned kernel.

    Introduced in chapter 7.

    ``x`` is ``(N, H, W, C_in)`` and ``w`` is ``(kh, kw, C_out, C_in)``, the kernel
    layout of ``keras.layers.Conv2DTranspose``. Every input pixel stamps a copy of the
    kernel, scaled by its values, into the output, ``s`` pixels from its neighbour's
    stamp:

        full[n, i s + m, j s + q, c] += sum_d x[n, i, j, d] w[m, q, c, d]

    The output has :func:`transpose_output_size` ``(H, kh, padding, s,
    output_padding)`` rows, and as many columns from W and kw:

    - ``output_padding=None`` (Keras's default): "valid" keeps all of ``full``,
      padded with zeros to Keras's length ``H s + max(kh - s, 0)`` (a stride larger
      than the kernel leaves zero rows at the end); "same" keeps ``H s`` rows.
    - ``output_padding=a`` (an int, or a pair (rows, columns) as a tuple, list or
      array of two ints, each ``0 <= a < s``): ``(H - 1) s + kh - 2 p + a`` rows,
      p = 0 for "valid" and ``kh // 2`` for "same" (Dumoulin and Visin's formula);
      the ``a`` extra rows are the ones a forward stride-s convolution would leave
      unread.

    "same" crops ``full`` as the forward convolution's "same" padding pads an input
    of the output's length L: :func:`same_padding` ``(L, kh, s)`` rows, the odd one
    at the end. Where the stride does not divide the kernel size, the stamps overlap
    unevenly: the checkerboard pattern.

    It is the gradient of :func:`conv2d` with respect to its input: for an input x of
    H rows, ``conv2d_backward(dout, x, w, s, padding)[0] == conv2d_transpose(dout, w,
    s, padding, output_padding=a)`` with ``a = (H - kh) % s`` for "valid" (for
    "same" and odd kh, ``a = (H - 1) % s``); without output_padding only when x has
    the size the transpose produces. Equals
    ``keras.layers.Conv2DTranspose(C_out, (kh, kw), strides=s, padding=padding,
    output_padding=output_padding, use_bias=False)`` with kernel ``w``.

    >>> up = conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), stride=2)
    >>> up[0, :, :, 0]  # overlapping stamps add up: the checkerboard
    array([[1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.],
           [2., 2., 4., 2., 2.],
           [1., 1., 2., 1., 1.],
           [1., 1., 2., 1., 1.]])
    >>> conv2d_transpose(np.ones((1, 2, 2, 1)), np.ones((3, 3, 1, 1)), 2,
    ...                  output_padding=1)[0, :, :, 0]  # one more row and column
    array([[1., 1., 2., 1., 1., 0.],
           [1., 1., 2., 1., 1., 0.],
           [2., 2., 4., 2., 2., 0.],
           [1., 1., 2., 1., 1., 0.],
           [1., 1., 2., 1., 1., 0.],
           [0., 0., 0., 0., 0., 0.]])
    """
    x = as_float_array(x, "x", ndim=4)
    w = as_float_array(w, "w", ndim=4)
    stride = as_stride(stride)
    padding = as_choice(padding, "padding", PADDINGS)
    extra = _as_output_padding(output_padding, stride) or (None, None)
    kh, kw, c_out, c_in = w.shape
    if x.shape[3] != c_in:
        raise ValueError(
            f"channel mismatch: x has {x.shape[3]} channels (x.shape[3]) but w "
            f"expects C_in={c_in} (w.shape[3]); x is (N, H, W, C_in), w is "
            "(kh, kw, C_out, C_in) as in keras.layers.Conv2DTranspose"
        )
    lengths = [
        transpose_output_size(n, k, padding, stride, a)
        for n, k, a in zip(x.shape[1:3], (kh, kw), extra, strict=True)
    ]
    # The transpose of the forward conv2d, kernel w in conv2d's layout, that maps an
    # input of these lengths (padded as it would pad them) to x's size.
    pads = [
        same_padding(length, k, stride) if padding == "same" else (0, 0)
        for length, k in zip(lengths, (kh, kw), strict=True)
    ]
    dtype = result_dtype(x, w)
    x, w = x.astype(dtype, copy=False), w.astype(dtype, copy=False)
    out = np.empty((x.shape[0], *lengths, c_out), dtype)

    def transpose(images, _):  # a block of images
        _crop_to(_transpose_full(x[images], w, stride, 1), pads, out[images])

    row_bytes = 2 * kh * kw * c_out * out.itemsize  # the taps, the sums
    run(transpose, blocks(x.shape[0], x.shape[1] * x.shape[2], row_bytes))
    return out
