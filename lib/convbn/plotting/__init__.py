"""The book's figure style and the plot functions the chapters share.

Every plot function returns the matplotlib ``Figure`` it drew, so a notebook can show
it as a static figure and :mod:`convbn.widgets` can redraw it from slider values.

One module per part of the book, every public name re-exported here (notebooks call
``convbn.plotting.plot_pooling``):

* ``convbn.plotting.style`` -- the colours, :func:`setup`, :func:`show_images`,
  :func:`show_matrix`;
* ``convbn.plotting.convolution`` -- Part I, convolution (chapters 1 to 5);
* ``convbn.plotting.pooling`` -- Part II, pooling and the convolutional layer
  (chapters 6 and 7);
* ``convbn.plotting.batchnorm`` -- Part III, batch normalization (chapters 8, 9);
* ``convbn.plotting.seeded`` -- chapter 9's seeded results and the normalization
  layers after BN;
* ``convbn.plotting.keras`` -- Part IV, Keras (chapters 10 to 12).

The plots compute with the numeric modules' public functions and constants
(:mod:`convbn.convolution`, :mod:`convbn.pooling`, ``convbn.activations``, ...),
never with copies of their formulas.
"""

from . import batchnorm, convolution, keras, pooling, seeded, style
from .batchnorm import (
    plot_batchnorm_distribution,
    plot_claims,
    plot_figure1,
    plot_learning_rate_sweep,
)
from .convolution import (
    plot_convolution_explorer,
    plot_correlation_step,
    plot_correlation_steps,
    plot_equivariance,
    plot_kernels,
    plot_receptive_field,
    plot_smoothing,
    plot_symbolic_convolution,
    symbolic_convolution,
)
from .keras import (
    plot_activations,
    plot_cnn_feature_maps,
    plot_cnn_history,
    plot_confusion_matrix,
    plot_dropout,
    plot_loss_and_gradient,
    plot_losses,
    plot_mistakes,
    plot_optimizer_curves,
)
from .pooling import (
    layer_geometry,
    plot_layer_geometry,
    plot_pool1d,
    plot_pooling,
    pooling_feature_map,
)
from .seeded import (
    plot_batch_statistics,
    plot_seeded_curves,
    plot_seeded_table,
    plot_small_batches,
)
from .style import setup, show_images, show_matrix

__all__ = [
    "OKABE_ITO",
    "COLORS",
    "MATRIX_CMAP",
    "STYLE",
    "setup",
    "show_images",
    "show_matrix",
    "plot_kernels",
    "plot_smoothing",
    "EXPLORER_KERNELS",
    "plot_convolution_explorer",
    "symbolic_convolution",
    "FIG_9_1_INPUT",
    "FIG_9_1_KERNEL",
    "plot_symbolic_convolution",
    "CORRELATION_IMAGE",
    "CORRELATION_KERNEL",
    "plot_correlation_step",
    "plot_correlation_steps",
    "plot_receptive_field",
    "EQUIVARIANCE_KERNELS",
    "EQUIVARIANCE_BOUNDARIES",
    "plot_equivariance",
    "POOLING_KERNEL",
    "pooling_feature_map",
    "plot_pool1d",
    "plot_pooling",
    "layer_geometry",
    "plot_layer_geometry",
    "BATCHNORM_FEATURE",
    "plot_batchnorm_distribution",
    "CH09_NETWORKS",
    "CH08_NETWORKS",
    "plot_figure1",
    "plot_learning_rate_sweep",
    "plot_claims",
    "BATCH_STATISTICS",
    "plot_seeded_table",
    "plot_seeded_curves",
    "plot_small_batches",
    "plot_batch_statistics",
    "ACTIVATIONS",
    "SOFTMAX_LOGITS",
    "DROPOUT_NOISE_SHAPES",
    "plot_activations",
    "plot_dropout",
    "plot_losses",
    "plot_loss_and_gradient",
    "plot_optimizer_curves",
    "plot_cnn_history",
    "plot_confusion_matrix",
    "plot_mistakes",
    "plot_cnn_feature_maps",
]

# The public constants, defined in the part modules and documented here: Sphinx's
# autodoc reads the comments of a package's constants from its __init__.py only.

# --- style ---

#: The Okabe-Ito colour-blind-safe palette.
OKABE_ITO = style.OKABE_ITO
#: The line colours in the order the book uses them.
COLORS = style.COLORS
#: The colormap for matrices and feature maps.
MATRIX_CMAP = style.MATRIX_CMAP
#: The matplotlib settings :func:`setup` applies.
STYLE = style.STYLE

# --- Part I: convolution ---

#: The kernels of :func:`plot_convolution_explorer` (chapter 2), by name: two
#: blurs (weights sum to 1), a sharpener (sum 1) and three edge detectors (sum 0).
#: The explorer *convolves*, which flips the kernel, so the two Sobel kernels are
#: stored flipped: convolving with ``SOBEL_X[::-1, ::-1]`` is cross-correlating with
#: :data:`convbn.convolution.SOBEL_X`, and the response keeps that kernel's meaning
#: (positive where the intensity increases to the right; ``SOBEL_Y``: downwards).
#: The other four are symmetric, so flipping changes nothing.
EXPLORER_KERNELS = convolution.EXPLORER_KERNELS
#: The input of Goodfellow et al.'s Fig. 9.1 (chapter 2), as letters.
FIG_9_1_INPUT = convolution.FIG_9_1_INPUT
#: The kernel of Goodfellow et al.'s Fig. 9.1 (chapter 2), as letters.
FIG_9_1_KERNEL = convolution.FIG_9_1_KERNEL
#: The 5 x 5 binary image of chapter 3's worked example (the lecture slides').
CORRELATION_IMAGE = convolution.CORRELATION_IMAGE
#: The 3 x 3 kernel of chapter 3's worked example.
CORRELATION_KERNEL = convolution.CORRELATION_KERNEL
#: The kernels of :func:`plot_equivariance` (chapter 5), applied by cross-correlation
#: as written: :data:`convbn.convolution.SOBEL_X` ("edge", vertical edges, positive
#: where the intensity increases to the right), :data:`convbn.convolution.SOBEL_Y`
#: ("horizontal edge", positive where it increases downwards) and a 5 x 5 box blur.
EQUIVARIANCE_KERNELS = convolution.EQUIVARIANCE_KERNELS
#: The boundary handlings of :func:`plot_equivariance` (chapter 5).
EQUIVARIANCE_BOUNDARIES = convolution.EQUIVARIANCE_BOUNDARIES

# --- Part II: pooling ---

#: The detector of :func:`plot_pooling` (chapter 6), followed by a ReLU: the
#: vertical-edge Sobel kernel :data:`convbn.convolution.SOBEL_X` (cross-correlation
#: form), which responds positively where the intensity increases to the right.
POOLING_KERNEL = pooling.POOLING_KERNEL

# --- Part III: batch normalization ---

#: The population of :func:`plot_batchnorm_distribution` (chapter 8): a skewed
#: feature with mean 5 and standard deviation 3 (a shifted, scaled Gamma(2) law).
BATCHNORM_FEATURE = batchnorm.BATCHNORM_FEATURE
#: Line colours and labels of the two networks chapter 9 compares.
CH09_NETWORKS = batchnorm.CH09_NETWORKS
#: The name :data:`CH09_NETWORKS` had before the chapters were renumbered (chapter 9
#: was chapter 8): the same dict, kept so that code written against it still runs.
CH08_NETWORKS = batchnorm.CH08_NETWORKS
#: The feature maps of :func:`plot_batch_statistics` (chapter 9): a pool of 2,000
#: examples of shape (4, 4, 8), group normalization with 2 groups, 400 batches.
BATCH_STATISTICS = seeded.BATCH_STATISTICS

# --- Part IV: Keras ---

#: The hidden-layer activations :func:`plot_activations` draws (chapter 10).
ACTIVATIONS = keras.ACTIVATIONS
#: The logits whose softmax :func:`plot_activations` shows (chapter 10).
SOFTMAX_LOGITS = keras.SOFTMAX_LOGITS
#: The ``noise_shape`` choices of :func:`plot_dropout` (chapter 10), for its 6 x 10
#: input: one decision per entry, one per row (whole rows dropped), one per column.
DROPOUT_NOISE_SHAPES = keras.DROPOUT_NOISE_SHAPES
