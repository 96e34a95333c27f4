"""Batch normalization: Algorithms 1 and 2 of Ioffe & Szegedy (2015) (chapters 8, 9),
and the normalizations that came after it, layer and group normalization (chapter 9).

Every function normalises over every axis but the last, so a dense layer's ``(N, D)``
activations get one mean and variance per feature, and a convolutional layer's ``(N,
H, W, C)`` feature maps get one per channel, over the effective mini-batch of ``m =
N * H * W`` values (the paper's m * p * q, section 3.2).

* :func:`batchnorm_forward` -- Algorithm 1: mini-batch mean, biased mini-batch
  variance, normalise, scale by gamma and shift by beta. Equals
  ``keras.layers.BatchNormalization(epsilon=eps)(x, training=True)``.
* :func:`batchnorm_backward` -- the gradients of section 3 of the paper.
* :func:`batchnorm_inference` -- the inference transform with fixed statistics,
  ``keras...(x, training=False)`` with the moving statistics set to them.
* :func:`update_moving` -- Keras's moving average of the batch statistics.
* :func:`population_statistics` -- Algorithm 2's estimate of the population mean and
  (unbiased) variance from many mini-batches.

Conventions, as Keras has them: ``eps`` is added to the variance inside the square
root (default 1e-3, the Keras default; PyTorch uses 1e-5); training normalises with
the biased batch variance (divide by m) and Keras's moving variance averages that
biased value, whereas the paper's Algorithm 2 uses the unbiased m / (m - 1) estimate
for inference; ``momentum`` is the weight of the old moving value (Keras 0.99 ==
PyTorch's ``momentum=0.01``).

Layer and group normalization (chapter 9, after batch normalization) take their
statistics per example instead of over the batch, so they have no moving statistics
and behave the same in training and inference:

* :func:`layernorm_forward` / :func:`layernorm_backward` -- Ba, Kiros & Hinton
  (2016): over the last axis of each example. Equals
  ``keras.layers.LayerNormalization(epsilon=eps)``.
* :func:`groupnorm_forward` / :func:`groupnorm_backward` -- Wu & He (2018): over H,
  W and a contiguous group of channels of each example of ``(N, H, W, C)``;
  ``groups=C`` is instance normalization, ``groups=1`` layer normalization over
  ``(H, W, C)``. Equals ``keras.layers.GroupNormalization(groups, epsilon=eps)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ._validation import as_float_array, as_number

__all__ = [
    "BatchNormCache",
    "batch_statistics",
    "batchnorm_forward",
    "batchnorm_backward",
    "batchnorm_inference",
    "update_moving",
    "population_statistics",
    "LayerNormCache",
    "layernorm_forward",
    "layernorm_backward",
    "GroupNormCache",
    "groupnorm_forward",
    "groupnorm_backward",
]


@dataclass(frozen=True)
class BatchNormCache:
    """What :func:`batchnorm_forward` keeps for :func:`batchnorm_backward`.

    ``x_hat`` is the normalised input (the shape of x), ``mean`` and ``var`` the batch
    statistics (shape ``(D,)``, var biased), ``inv_std`` = 1 / sqrt(var + eps),
    ``gamma`` the scale and ``m`` the number of values each statistic is over.
    """

    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float
    m: int


def _as_batch(x, name: str = "x") -> tuple[np.ndarray, int]:
    """``x`` as a float array of rank >= 2 and the number of values per feature."""
    x = as_float_array(x, name, ndim=(2, 3, 4, 5))
    m = x.size // x.shape[-1]
    if m < 2:
        raise ValueError(
            f"{name} has shape {x.shape}: a batch of one value per feature "
            "(everything but the last axis) has no variance to normalise by; "
            "batch normalization needs at least 2 (use the inference transform "
            "for a single example)"
        )
    return x, m


def _as_feature_vector(value, name: str, depth: int, dtype) -> np.ndarray:
    """A ``(D,)`` parameter matching the last axis of the data."""
    array = as_float_array(value, name, ndim=(0, 1))
    if array.ndim == 0:
        array = np.full(depth, array)
    if array.shape != (depth,):
        raise ValueError(
            f"{name} must have shape ({depth},), one value per feature (the last "
            f"axis of x), got shape {array.shape}"
        )
    return array.astype(dtype, copy=False)


def _as_eps(eps) -> float:
    return as_number(eps, "eps", positive=True)


def _dtype(*arrays):
    return np.result_type(*arrays)


def _rows(x: np.ndarray) -> np.ndarray:
    """A ``(m, D)`` view: one row per value position, one column per feature."""
    return x.reshape(-1, x.shape[-1])


def batch_statistics(x) -> tuple[np.ndarray, np.ndarray]:
    """The mini-batch mean and biased variance of each feature (chapter 8).

    ``mu_B = (1/m) sum_i x_i`` and ``sigma_B^2 = (1/m) sum_i (x_i - mu_B)^2`` over
    every axis but the last of ``x`` (``(N, D)`` or ``(N, H, W, C)``); both have
    shape ``(D,)``. These are ``np.mean(x, axis)`` and ``np.var(x, axis)`` (ddof=0).
    """
    x, m = _as_batch(x)
    rows = _rows(x)
    mean = rows.sum(axis=0) / m
    centred = rows - mean
    return mean, np.einsum("ij,ij->j", centred, centred) / m


def batchnorm_forward(x, gamma, beta, eps: float = 1e-3):
    """Algorithm 1, the batch-normalizing transform in training mode (chapter 8).

    Over every axis but the last of ``x`` (``(N, D)`` or ``(N, H, W, C)``; m values
    per feature)::

        mu    = (1/m) sum_i x_i                     mini-batch mean
        var   = (1/m) sum_i (x_i - mu)^2            mini-batch variance (biased)
        x_hat = (x_i - mu) / sqrt(var + eps)        normalise
        y_i   = gamma * x_hat + beta                scale and shift

    ``gamma`` and ``beta`` have shape ``(D,)`` (a scalar is broadcast). Returns ``(y,
    cache)``: y has the shape of x, ``cache`` is a :class:`BatchNormCache` for
    :func:`batchnorm_backward`. Equals ``keras.layers.BatchNormalization(epsilon=
    eps)(x, training=True)`` with the same gamma and beta. float32 stays float32.

    >>> x = np.array([[1.0, 0.0], [3.0, 4.0]])  # N = 2 examples of D = 2 features
    >>> y, cache = batchnorm_forward(x, gamma=[1.0, 2.0], beta=[0.0, 1.0], eps=1e-9)
    >>> cache.mean, cache.var
    (array([2., 2.]), array([1., 4.]))
    >>> y
    array([[-1., -1.],
           [ 1.,  3.]])
    >>> batchnorm_forward(x, gamma=1.0, beta=0.0)[0].round(4)  # eps = 1e-3
    array([[-0.9995, -0.9999],
           [ 0.9995,  0.9999]])
    """
    x, m = _as_batch(x)
    depth = x.shape[-1]
    gamma = _as_feature_vector(gamma, "gamma", depth, x.dtype)
    beta = _as_feature_vector(beta, "beta", depth, x.dtype)
    eps = _as_eps(eps)
    dtype = _dtype(x, gamma, beta)
    rows = _rows(x).astype(dtype, copy=False)
    mean = rows.sum(axis=0) / m
    x_hat = rows - mean
    var = np.einsum("ij,ij->j", x_hat, x_hat) / m
    inv_std = (1.0 / np.sqrt(var + eps)).astype(dtype)
    x_hat *= inv_std
    y = x_hat * gamma
    y += beta
    cache = BatchNormCache(
        x_hat.reshape(x.shape), mean, var.astype(dtype), inv_std, gamma, eps, m
    )
    return y.reshape(x.shape), cache


def batchnorm_backward(dy, cache: BatchNormCache):
    """The backward pass of the batch-normalizing transform (chapter 8).

    Given ``dy`` = dl/dy (the shape of x) and the forward pass's ``cache``, returns
    ``(dx, dgamma, dbeta)`` by the chain rule of section 3 of the paper::

        dl/dx_hat = dy * gamma
        dl/dvar   = sum_i dl/dx_hat_i (x_i - mu) (-1/2) (var + eps)^(-3/2)
        dl/dmu    = sum_i dl/dx_hat_i (-1 / sqrt(var + eps))
                    + dl/dvar * sum_i -2 (x_i - mu) / m
        dl/dx_i   = dl/dx_hat_i / sqrt(var + eps) + dl/dvar * 2 (x_i - mu) / m
                    + dl/dmu / m
        dl/dgamma = sum_i dy_i x_hat_i,      dl/dbeta = sum_i dy_i

    Since sum_i (x_i - mu) = 0 the second term of dl/dmu vanishes, and the three
    terms of dl/dx combine into ``(inv_std / m) (m g - sum(g) - x_hat sum(g x_hat))``
    with ``g = dl/dx_hat``, which is what is computed (two passes over the data).
    Equals TensorFlow's ``GradientTape`` gradients of
    ``keras.layers.BatchNormalization(x, training=True)``.
    """
    if not isinstance(cache, BatchNormCache):
        raise TypeError(
            "cache must be the BatchNormCache returned by batchnorm_forward, got "
            f"{type(cache).__name__}"
        )
    dy = as_float_array(dy, "dy")
    if dy.shape != cache.x_hat.shape:
        raise ValueError(
            f"dy must have the shape of x, {cache.x_hat.shape}, got {dy.shape}"
        )
    dtype = _dtype(dy, cache.x_hat)
    g = _rows(dy).astype(dtype, copy=False)
    x_hat = _rows(cache.x_hat)
    dbeta = g.sum(axis=0)
    dgamma = np.einsum("ij,ij->j", g, x_hat)
    # g = dl/dx_hat = dy * gamma, so sum(g) = gamma dbeta, sum(g x_hat) = gamma dgamma.
    scale = (cache.gamma * cache.inv_std).astype(dtype)
    dx = g - dbeta / cache.m
    dx -= x_hat * (dgamma / cache.m)
    dx *= scale
    return dx.reshape(dy.shape), dgamma, dbeta


def batchnorm_inference(x, gamma, beta, mean, var, eps: float = 1e-3) -> np.ndarray:
    """The inference transform: fixed statistics instead of the batch's (chapter 8).

    ``y = gamma * (x - mean) / sqrt(var + eps) + beta`` over the last axis of ``x``
    (any rank >= 1; a single example works), with ``mean`` and ``var`` of shape
    ``(D,)``: Keras's moving averages, or Algorithm 2's population statistics from
    :func:`population_statistics`. Being affine, it can be folded into the previous
    layer's weights. Equals ``keras.layers.BatchNormalization(epsilon=eps)(x,
    training=False)`` with ``moving_mean = mean`` and ``moving_variance = var``.

    >>> batchnorm_inference(
    ...     [[0.0], [4.0]], gamma=2.0, beta=1.0, mean=[2.0], var=[3.75], eps=0.25
    ... )  # 2 (x - 2) / sqrt(3.75 + 0.25) + 1
    array([[-1.],
           [ 3.]])
    """
    x = as_float_array(x, "x", ndim=(1, 2, 3, 4, 5))
    depth = x.shape[-1]
    gamma = _as_feature_vector(gamma, "gamma", depth, x.dtype)
    beta = _as_feature_vector(beta, "beta", depth, x.dtype)
    mean = _as_feature_vector(mean, "mean", depth, x.dtype)
    var = _as_feature_vector(var, "var", depth, x.dtype)
    if np.any(var < 0):
        raise ValueError("var must be >= 0 (a variance), got a negative entry")
    eps = _as_eps(eps)
    scale = gamma / np.sqrt(var + eps)
    return (x * scale + (beta - mean * scale)).astype(_dtype(x, gamma), copy=False)


def update_moving(moving, batch_stat, momentum: float = 0.99) -> np.ndarray:
    """One step of Keras's moving average of a batch statistic (chapter 8).

    ``moving * momentum + batch_stat * (1 - momentum)``: ``momentum`` is the weight of
    the old value (Keras's default 0.99; PyTorch's ``momentum=0.1`` is the weight of
    the new value, i.e. Keras's 0.9). Keras applies this to ``moving_mean`` with the
    batch mean and to ``moving_variance`` with the biased batch variance after every
    training step. Returns a new array; ``moving`` is not modified.

    >>> update_moving([0.0, 10.0], [1.0, 2.0], momentum=0.75)
    array([0.25, 8.  ])
    """
    moving = as_float_array(moving, "moving", ndim=(0, 1))
    batch_stat = as_float_array(batch_stat, "batch_stat", ndim=(0, 1))
    if moving.shape != batch_stat.shape:
        raise ValueError(
            f"moving and batch_stat must have the same shape, got {moving.shape} and "
            f"{batch_stat.shape}"
        )
    momentum = as_number(momentum, "momentum", minimum=0.0, maximum=1.0)
    return moving * momentum + batch_stat * (1.0 - momentum)


def population_statistics(batch_means, batch_vars, m: int):
    """Algorithm 2's population statistics from many mini-batches (chapter 8).

    ``batch_means`` and ``batch_vars`` are ``(B, D)``: the mean and biased variance of
    each of B mini-batches of size ``m``. Returns ``(E[x], Var[x])`` with ``E[x] =
    mean over batches of mu_B`` and the unbiased ``Var[x] = m / (m - 1) * mean over
    batches of sigma_B^2``, each ``(D,)`` -- the statistics the paper uses at
    inference (step 10 of Algorithm 2).
    """
    batch_means = as_float_array(batch_means, "batch_means", ndim=(1, 2))
    batch_vars = as_float_array(batch_vars, "batch_vars", ndim=(1, 2))
    if batch_means.shape != batch_vars.shape:
        raise ValueError(
            "batch_means and batch_vars must have the same shape (B, D), got "
            f"{batch_means.shape} and {batch_vars.shape}"
        )
    if np.any(batch_vars < 0):
        raise ValueError("batch_vars must be >= 0 (variances), got a negative entry")
    m = as_number(m, "m", integer=True, minimum=2)
    return batch_means.mean(axis=0), m / (m - 1) * batch_vars.mean(axis=0)


# --- Layer and group normalization (chapter 9) -------------------------------------


@dataclass(frozen=True)
class LayerNormCache:
    """What :func:`layernorm_forward` keeps for :func:`layernorm_backward`.

    ``x_hat`` is the normalised input (the shape of x); ``mean``, ``var`` (biased) and
    ``inv_std`` = 1 / sqrt(var + eps) are per example, shape ``x.shape[:-1]``;
    ``gamma`` is the scale ``(D,)`` and ``m`` = D the number of values each statistic
    is over.
    """

    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float
    m: int


@dataclass(frozen=True)
class GroupNormCache:
    """What :func:`groupnorm_forward` keeps for :func:`groupnorm_backward`.

    ``x_hat`` is the normalised input ``(N, H, W, C)``; ``mean``, ``var`` (biased)
    and ``inv_std`` = 1 / sqrt(var + eps) are per example and group, shape ``(N,
    groups)``; ``gamma`` is the scale ``(C,)`` and ``m`` = H * W * C / groups the
    number of values each statistic is over.
    """

    x_hat: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    inv_std: np.ndarray
    gamma: np.ndarray
    eps: float
    groups: int
    m: int


def _as_dy(dy, cache, cache_type, forward: str) -> np.ndarray:
    """The backward pass's arguments checked: the cache's type, dy's shape."""
    if not isinstance(cache, cache_type):
        raise TypeError(
            f"cache must be the {cache_type.__name__} returned by {forward}, got "
            f"{type(cache).__name__}"
        )
    dy = as_float_array(dy, "dy")
    if dy.shape != cache.x_hat.shape:
        raise ValueError(
            f"dy must have the shape of x, {cache.x_hat.shape}, got {dy.shape}"
        )
    return dy


def layernorm_forward(x, gamma, beta, eps: float = 1e-3):
    """Layer normalization: each example normalised over its last axis (chapter 9).

    Introduced in chapter 9 (after batch normalization). Inputs:

    - ``x``: ``(..., D)``, e.g. ``(N, D)`` activations or ``(N, H, W, C)`` feature
      maps (then D = C); a single example ``(D,)`` works too.
    - ``gamma``, ``beta``: ``(D,)`` (a scalar is broadcast).
    - ``eps``: > 0, added to the variance inside the square root.

    Statistics over the last axis only, one mean and variance per example (per
    position, for feature maps), never over the batch::

        mu    = (1/D) sum_j x_j                      mean of the example
        var   = (1/D) sum_j (x_j - mu)^2             variance (biased)
        x_hat = (x_j - mu) / sqrt(var + eps)         normalise
        y_j   = gamma_j * x_hat_j + beta_j           scale and shift, per feature

    Returns ``(y, cache)``: y has the shape of x, ``cache`` is a
    :class:`LayerNormCache` for :func:`layernorm_backward`. No example depends on
    another and there are no moving statistics, so training and inference compute
    the same thing. Equals ``keras.layers.LayerNormalization(epsilon=eps)`` with the
    same gamma and beta (Keras computes ``x * inv + (beta - mu * inv)`` with ``inv =
    gamma * rsqrt(var + eps)``, the biased variance of ``tf.nn.moments``), in
    training and inference alike. float32 stays float32.

    >>> x = np.array([[1.0, 3.0], [0.0, 4.0]])  # N = 2 examples of D = 2 features
    >>> y, cache = layernorm_forward(x, gamma=[1.0, 2.0], beta=[0.0, 1.0], eps=1e-9)
    >>> cache.mean, cache.var  # one per example (row), not per feature
    (array([2., 2.]), array([1., 4.]))
    >>> y
    array([[-1.,  3.],
           [-1.,  3.]])
    """
    x = as_float_array(x, "x", ndim=(1, 2, 3, 4, 5))
    depth = x.shape[-1]
    gamma = _as_feature_vector(gamma, "gamma", depth, x.dtype)
    beta = _as_feature_vector(beta, "beta", depth, x.dtype)
    eps = _as_eps(eps)
    dtype = _dtype(x, gamma, beta)
    rows = _rows(x).astype(dtype, copy=False)
    # einsum: sums over short rows several times faster than ndarray.sum(axis=-1).
    mean = np.einsum("ij->i", rows) / dtype.type(depth)
    x_hat = rows - mean[:, None]
    var = np.einsum("ij,ij->i", x_hat, x_hat) / dtype.type(depth)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(dtype)
    x_hat *= inv_std[:, None]
    y = x_hat * gamma
    y += beta
    lead = x.shape[:-1]
    cache = LayerNormCache(
        x_hat.reshape(x.shape),
        mean.reshape(lead),
        var.reshape(lead),
        inv_std.reshape(lead),
        gamma,
        eps,
        depth,
    )
    return y.reshape(x.shape), cache


def layernorm_backward(dy, cache: LayerNormCache):
    """The backward pass of layer normalization (chapter 9, after batch normalization).

    Inputs: ``dy`` = dl/dy, the shape of x; ``cache``, the :class:`LayerNormCache` of
    :func:`layernorm_forward`. Returns ``(dx, dgamma, dbeta)``, the gradients of the
    loss l with respect to x, gamma and beta: dx the shape of x, dgamma and dbeta
    ``(D,)``. Each example's dx depends on its own D features only (through its mean
    and variance); dgamma and dbeta add up the contributions of every example. The
    formulas are derived in chapter 9's Exercise 9.8, from chapter 8's derivation of
    :func:`batchnorm_backward`. float32 stays float32.

    Equals TensorFlow's ``GradientTape`` gradients through
    ``keras.layers.LayerNormalization(epsilon=eps)``.
    """
    dy = _as_dy(dy, cache, LayerNormCache, "layernorm_forward")
    dtype = _dtype(dy, cache.x_hat)
    dy_rows = _rows(dy).astype(dtype, copy=False)
    x_hat = _rows(cache.x_hat)
    dbeta = np.einsum("ij->j", dy_rows)
    dgamma = np.einsum("ij,ij->j", dy_rows, x_hat)
    g = dy_rows * cache.gamma.astype(dtype, copy=False)
    sum_g = np.einsum("ij->i", g) / dtype.type(cache.m)
    sum_gx = np.einsum("ij,ij->i", g, x_hat) / dtype.type(cache.m)
    g -= sum_g[:, None]
    g -= x_hat * sum_gx[:, None]
    g *= cache.inv_std.reshape(-1, 1).astype(dtype, copy=False)
    return g.reshape(dy.shape), dgamma, dbeta


def _as_groups(groups, channels: int) -> int:
    groups = as_number(groups, "groups", integer=True, minimum=1)
    if channels % groups:
        raise ValueError(
            f"groups={groups} must divide the number of channels C={channels} (the "
            "last axis of x) into groups of equal size"
        )
    return groups


def groupnorm_forward(x, gamma, beta, groups: int, eps: float = 1e-3):
    """Group normalization: per example, over H, W and a group of channels (chapter 9).

    Introduced in chapter 9 (after batch normalization). Inputs:

    - ``x``: ``(N, H, W, C)`` feature maps.
    - ``gamma``, ``beta``: ``(C,)``, one per channel (a scalar is broadcast).
    - ``groups``: G, an int >= 1 that divides C. The channels are split into G
      contiguous groups of C / G: channel c is in group c // (C / G).
    - ``eps``: > 0, added to the variance inside the square root.

    For each example n and group g, over the m = H * W * C / G values ``x[n, :, :,
    c]`` with c in the group::

        mu    = (1/m) sum x                           mean of the example's group
        var   = (1/m) sum (x - mu)^2                  variance (biased)
        x_hat = (x - mu) / sqrt(var + eps)            normalise
        y     = gamma_c * x_hat + beta_c              scale and shift, per channel

    ``groups=C`` is instance normalization (each channel of each example over H, W),
    ``groups=1`` layer normalization over ``(H, W, C)`` with one gamma per channel.
    Returns ``(y, cache)``: y ``(N, H, W, C)``; ``cache`` a :class:`GroupNormCache`
    for :func:`groupnorm_backward`, with statistics of shape ``(N, G)``. No moving
    statistics: training and inference compute the same thing. Equals
    ``keras.layers.GroupNormalization(groups=groups, epsilon=eps)`` with the same
    gamma and beta (Keras reshapes x to ``(N, H, W, G, C / G)``, takes
    ``tf.nn.moments`` over the axes 1, 2, 4 and computes ``x * inv + (beta - mu *
    inv)`` with ``inv = gamma * rsqrt(var + eps)``). float32 stays float32.

    >>> x = np.array([[[[1.0, 3.0, 0.0, 4.0], [3.0, 1.0, 4.0, 0.0]]]])  # (1, 1, 2, 4)
    >>> y, cache = groupnorm_forward(x, gamma=1.0, beta=0.0, groups=2, eps=1e-9)
    >>> cache.mean, cache.var  # (N, G): channels 0-1, then channels 2-3
    (array([[2., 2.]]), array([[1., 4.]]))
    >>> y[0, 0]
    array([[-1.,  1., -1.,  1.],
           [ 1., -1.,  1., -1.]])
    """
    x = as_float_array(x, "x", ndim=4)
    n, height, width, channels = x.shape
    groups = _as_groups(groups, channels)
    gamma = _as_feature_vector(gamma, "gamma", channels, x.dtype)
    beta = _as_feature_vector(beta, "beta", channels, x.dtype)
    eps = _as_eps(eps)
    dtype = _dtype(x, gamma, beta)
    size = channels // groups
    m = height * width * size
    pixels = x.reshape(n, height * width, channels).astype(dtype, copy=False)
    # Sums per example and channel (fast, over axis 1), then over each group.
    per_channel = np.einsum("nsc->nc", pixels)
    mean = per_channel.reshape(n, groups, size).sum(axis=2) / dtype.type(m)
    x_hat = pixels - np.repeat(mean, size, axis=1)[:, None, :]
    squares = np.einsum("nsc,nsc->nc", x_hat, x_hat)
    var = squares.reshape(n, groups, size).sum(axis=2) / dtype.type(m)
    inv_std = (1.0 / np.sqrt(var + eps)).astype(dtype)
    x_hat *= np.repeat(inv_std, size, axis=1)[:, None, :]
    y = x_hat * gamma
    y += beta
    cache = GroupNormCache(
        x_hat.reshape(x.shape), mean, var, inv_std, gamma, eps, groups, m
    )
    return y.reshape(x.shape), cache


def groupnorm_backward(dy, cache: GroupNormCache):
    """The backward pass of group normalization (chapter 9, after batch normalization).

    Inputs: ``dy`` = dl/dy, ``(N, H, W, C)``; ``cache``, the :class:`GroupNormCache`
    of :func:`groupnorm_forward`. Returns ``(dx, dgamma, dbeta)``: dx ``(N, H, W,
    C)``, dgamma and dbeta ``(C,)``. Each example's dx depends only on its own
    group's values, through the group's mean and variance as well as directly (the
    same derivation as exercise 9.8's layer normalization, over a group's m values
    instead of one example's features). Computed as ``dx = a dy + b x_hat + c`` with
    a, b, c per example and channel.
    Equals TensorFlow's ``GradientTape`` gradients through
    ``keras.layers.GroupNormalization(groups=groups, epsilon=eps)``.
    """
    dy = _as_dy(dy, cache, GroupNormCache, "groupnorm_forward")
    dtype = _dtype(dy, cache.x_hat)
    n, height, width, channels = dy.shape
    groups, size = cache.groups, channels // cache.groups
    dy_pixels = dy.reshape(n, height * width, channels).astype(dtype, copy=False)
    x_hat = cache.x_hat.reshape(dy_pixels.shape)
    gamma = cache.gamma.astype(dtype, copy=False)
    # Per example and channel: sum dy and sum dy x_hat; dbeta, dgamma sum over N.
    dbeta_nc = np.einsum("nsc->nc", dy_pixels)
    dgamma_nc = np.einsum("nsc,nsc->nc", dy_pixels, x_hat)
    # Per example and group: sum g and sum g x_hat, over the group's channels.
    sum_g = (dbeta_nc * gamma).reshape(n, groups, size).sum(axis=2)
    sum_gx = (dgamma_nc * gamma).reshape(n, groups, size).sum(axis=2)
    inv_std = np.repeat(cache.inv_std.astype(dtype, copy=False), size, axis=1)
    per_m = inv_std / dtype.type(cache.m)
    a = (gamma * inv_std)[:, None, :]
    b = (-np.repeat(sum_gx, size, axis=1) * per_m)[:, None, :]
    c = (-np.repeat(sum_g, size, axis=1) * per_m)[:, None, :]
    dx = dy_pixels * a
    dx += x_hat * b
    dx += c
    return dx.reshape(dy.shape), dgamma_nc.sum(axis=0), dbeta_nc.sum(axis=0)
