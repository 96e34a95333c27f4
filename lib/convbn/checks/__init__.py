"""Exercise checkers: they diagnose the mistake, not only say "wrong".

Every checker takes the student's function (or value), tries it on random shapes
and edge cases against a reference, returns ``True`` when it is right, and otherwise
raises ``AssertionError`` with a message that names the most likely mistake.
The exercises notebooks call them from their otter-grader test cells.

One module per chapter (``ch01`` ... ``ch12``) holds that chapter's checkers
(chapter 7's toolkit exercises are in ``ch07_toolkit``, re-exported by ``ch07``;
chapter 9's are split in four: ``ch09`` for numpy, ``ch09_keras``, ``ch09_claims``
and ``ch09_layernorm``, all re-exported by ``ch09``); all of them share the harness in
``_core`` and take their reference answers from the public ``convbn`` functions.

:data:`NUMPY_ONLY` names the checkers of the exercises whose text says "numpy only":
when a class is graded (``python -m convbn.homework grade``), they are run on the
notebook as it runs in a sandbox where ``convbn`` and scipy cannot be imported, so a
function that uses them gets no points, with a message that says why.
"""

from __future__ import annotations

from . import (
    ch01,
    ch02,
    ch03,
    ch04,
    ch05,
    ch06,
    ch07,
    ch07_toolkit,
    ch08,
    ch09,
    ch09_claims,
    ch09_keras,
    ch09_layernorm,
    ch10,
    ch11,
    ch12,
)
from .ch01 import (
    check_causal_convolution,
    check_exponential_kernel,
    check_gaussian_convolution,
    check_kernel_lags,
)
from .ch02 import (
    check_convolve2d,
    check_output_shapes,
    check_output_size,
    check_toeplitz_matrix,
)
from .ch03 import (
    check_correlate1d_full,
    check_correlate2d,
    check_impulse_responses,
    check_rotate180,
)
from .ch04 import (
    check_difference_image,
    check_layer_counts,
    check_locally_connected1d,
    check_parameter_counts,
    check_receptive_field,
    check_receptive_field_stack,
)
from .ch05 import (
    check_circular_correlate2d,
    check_equivariance_predictions,
    check_find_counterexample,
    check_is_equivariant,
    check_shift,
)
from .ch06 import (
    check_average_pool1d_same,
    check_block_max_pool,
    check_conv_layer,
    check_max_pool2d,
    check_pooling_weights,
)
from .ch07 import (
    check_conv2d_backward,
    check_layer_predictions,
    check_max_pool2d_backward,
)
from .ch07_toolkit import (
    check_depthwise_conv2d,
    check_im2col,
    check_separable_cost,
)
from .ch08 import (
    check_batchnorm_backward,
    check_batchnorm_forward,
    check_batchnorm_inference,
    check_groupnorm_forward,
    check_layernorm_forward,
)
from .ch09 import (
    check_bn_parameter_counts,
    check_moving_after,
    check_moving_average,
)
from .ch09_claims import check_claim_decision
from .ch09_keras import (
    check_classify,
    check_keras_batchnorm_kwargs,
    check_set_population_statistics,
)
from .ch09_layernorm import check_layernorm_backward
from .ch10 import (
    check_batchnorm_mlp,
    check_inverted_dropout,
    check_mlp_parameters,
    check_to_functional,
)
from .ch11 import (
    check_adam_step,
    check_categorical_crossentropy,
    check_custom_loss,
    check_inverse_time_decay,
)
from .ch12 import (
    check_cnn_shapes,
    check_conv_bn_params,
    check_fold_batchnorm,
    check_precision_recall,
)

#: The checkers whose exercises say "numpy only" (each chapter module's NUMPY_ONLY).
NUMPY_ONLY = frozenset(
    name
    for chapter in (ch01, ch02, ch03, ch04, ch05, ch06, ch07, ch07_toolkit, ch08)
    + (ch09, ch09_keras, ch09_claims, ch09_layernorm, ch10, ch11, ch12)
    for name in chapter.NUMPY_ONLY
)

__all__ = [
    "NUMPY_ONLY",
    "check_exponential_kernel",
    "check_causal_convolution",
    "check_gaussian_convolution",
    "check_kernel_lags",
    "check_convolve2d",
    "check_output_size",
    "check_output_shapes",
    "check_toeplitz_matrix",
    "check_correlate2d",
    "check_rotate180",
    "check_impulse_responses",
    "check_correlate1d_full",
    "check_parameter_counts",
    "check_receptive_field",
    "check_difference_image",
    "check_layer_counts",
    "check_receptive_field_stack",
    "check_locally_connected1d",
    "check_shift",
    "check_circular_correlate2d",
    "check_is_equivariant",
    "check_equivariance_predictions",
    "check_find_counterexample",
    "check_max_pool2d",
    "check_block_max_pool",
    "check_average_pool1d_same",
    "check_pooling_weights",
    "check_conv_layer",
    "check_conv2d_backward",
    "check_max_pool2d_backward",
    "check_layer_predictions",
    "check_im2col",
    "check_depthwise_conv2d",
    "check_separable_cost",
    "check_batchnorm_forward",
    "check_batchnorm_backward",
    "check_batchnorm_inference",
    "check_layernorm_forward",
    "check_groupnorm_forward",
    "check_batchnorm_mlp",
    "check_mlp_parameters",
    "check_to_functional",
    "check_inverted_dropout",
    "check_custom_loss",
    "check_categorical_crossentropy",
    "check_adam_step",
    "check_inverse_time_decay",
    "check_cnn_shapes",
    "check_conv_bn_params",
    "check_fold_batchnorm",
    "check_precision_recall",
    "check_moving_average",
    "check_moving_after",
    "check_bn_parameter_counts",
    "check_set_population_statistics",
    "check_claim_decision",
    "check_classify",
    "check_keras_batchnorm_kwargs",
    "check_layernorm_backward",
]
