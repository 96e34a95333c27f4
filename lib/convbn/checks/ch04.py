"""Chapter 4, sparse interactions and parameter sharing: the checkers of the
parameter counts of dense, sparse and shared layers, the receptive field of a stack
of convolutions, and the difference image (a kernel slid along the rows)."""

from __future__ import annotations

import operator

import numpy as np

from .. import convolution
from ..datasets import sample_image
from ._core import Mistake, as_array, as_numbers, call, close, first_mistake, wrong_at

__all__ = ["check_parameter_counts", "check_receptive_field", "check_difference_image"]


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
        result = call(fn, m, n, k, what=what)
        got = as_numbers(result, ("dense", "sparse", "shared"), what)
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


def _receptive_field(k, depth, stride=1):
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
        got = call(fn, k, depth, what=what)
        expected = _receptive_field(k, depth)
        where = f"k={k}, depth={depth}"
        if not np.isscalar(got) and np.ndim(got) != 0:
            raise AssertionError(f"{what} must return one number, got {got!r}")
        if got == expected:
            continue
        off_by_one = f"off by one for {where}: expected {expected}, got {got}"
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    k * depth,
                    f"for {where} you returned k * depth = {got}: neighbouring units "
                    "of a layer share k - 1 of their inputs, so each layer adds only "
                    f"k - 1 new inputs: depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(
                    depth * (k - 1),
                    f"off by one for {where}: depth * (k - 1) forgets the unit's own "
                    f"position; the answer is depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(
                    k**depth,
                    f"for {where} you returned k ** depth = {got}: the inputs seen by "
                    f"neighbouring units overlap, so the field grows linearly, "
                    f"depth * (k - 1) + 1 = {expected}",
                ),
                Mistake(expected + 1, off_by_one),
                Mistake(expected - 1, off_by_one),
            ],
            same=operator.eq,
        )
        raise AssertionError(
            message or f"wrong size for {where}: expected {expected}, got {got}"
        )
    stride_cases = [(3, 3, 2), (2, 4, 3), (3, 1, 3), (1, 3, 2)]
    stride_cases += [
        (int(rng.integers(2, 8)), int(rng.integers(1, 6)), int(rng.integers(2, 4)))
        for _ in range(8)
    ]
    for k, depth, stride in stride_cases:
        try:
            got = call(fn, k, depth, stride, what=what)
        except AssertionError as error:
            if "positional argument" not in str(error):
                raise
            raise AssertionError(
                f"{error}; give your function a third parameter, stride=1"
            ) from error
        expected = _receptive_field(k, depth, stride)
        where = f"k={k}, depth={depth}, stride={stride}"
        if got == expected:
            continue
        compounds = (
            f"for {where} you returned {got}: the stride compounds, layer l adds "
            f"(k - 1) * s**(l - 1) inputs (not (k - 1) * s); expected {expected}"
        )
        power = (
            f"off by one power for {where}: the first layer adds k - 1 inputs "
            f"(s**0), the last (k - 1) * s**(depth - 1); expected {expected}"
        )
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    _receptive_field(k, depth),
                    f"for {where} you returned {got}, the stride-1 answer: a stride s "
                    "spreads the units of the layer below s inputs apart, so layer l "
                    f"adds (k - 1) * s**(l - 1) inputs; expected {expected}",
                ),
                Mistake(1 + (k - 1) * depth * stride, compounds),
                Mistake(stride * (depth * (k - 1) + 1), compounds),
                Mistake(1 + (k - 1) * stride**depth, power),
                Mistake(
                    1 + (k - 1) * sum(stride**i for i in range(1, depth + 1)), power
                ),
            ],
            same=operator.eq,
        )
        raise AssertionError(
            message or f"wrong size for {where}: expected {expected}, got {got}"
        )
    return True


def check_difference_image(fn, seed: int = 0) -> bool:
    """Chapter 4: ``fn(image)`` must return ``image[:, 1:] - image[:, :-1]``.

    Each output pixel is a pixel minus its left neighbour (the kernel [-1, 1] slid
    along each row), so an ``(H, W)`` image gives ``(H, W - 1)``: large values at
    vertical edges. Checked on random non-square images (including W = 2 and H = 1)
    and a photograph crop; the input must not be modified.
    """
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
        raw = call(
            fn,
            image,
            what=what,
            inputs=("image",),
            modified="{what} modified the image; work on a copy",
        )
        h, w = image.shape
        expected = convolution.correlate2d(image, np.array([[-1.0, 1.0]]))
        got = as_array(raw, what=what, single=True)
        vertical = image[1:, :] - image[:-1, :]
        if h > 1 and close(np.abs(got), np.abs(vertical)):
            raise AssertionError(
                "you took differences down the columns (pixel minus the pixel above, "
                "axis 0): that finds horizontal edges. Subtract the LEFT neighbour, "
                "along axis 1: image[:, 1:] - image[:, :-1]"
            )
        if got.shape == (w - 1, h) and close(np.abs(got), np.abs(expected.T)):
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
        got = as_array(got, expected.shape, what)
        if close(got, expected):
            continue
        message = first_mistake(
            got,
            expected,
            [
                Mistake(
                    -expected,
                    "wrong sign: each output is the pixel minus its LEFT neighbour, "
                    "image[:, j + 1] - image[:, j], not the other way round",
                ),
                Mistake(
                    np.abs(expected),
                    "you returned absolute values; keep the sign: dark-to-bright "
                    "edges are positive, bright-to-dark negative",
                ),
            ],
        )
        raise AssertionError(
            message or f"{wrong_at(got, expected)} for an image of shape {image.shape}"
        )
    return True
