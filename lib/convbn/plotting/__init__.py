"""The book's figure style and the plot functions the chapters share.

Every plot function returns the matplotlib ``Figure`` it drew, so a notebook can show
it as a static figure and :mod:`convbn.widgets` can redraw it from slider values.

One module per part of the book, every public name re-exported here (notebooks call
``convbn.plotting.plot_pooling``):

* :mod:`convbn.plotting.style` -- the colours, :func:`setup`, :func:`show_images`,
  :func:`show_matrix`;
* :mod:`convbn.plotting.convolution` -- Part I, convolution (chapters 1 to 5);
* :mod:`convbn.plotting.pooling` -- Part II, pooling (chapter 6);
* :mod:`convbn.plotting.batchnorm` -- Part III, batch normalization (chapters 7, 8);
* :mod:`convbn.plotting.keras` -- Part IV, Keras (chapters 9 to 11).

The plots compute with the numeric modules' public functions and constants
(:mod:`convbn.convolution`, :mod:`convbn.pooling`, :mod:`convbn.activations`, ...),
never with copies of their formulas.
"""

from .batchnorm import (
    BATCHNORM_FEATURE,
    CH08_NETWORKS,
    plot_batchnorm_distribution,
    plot_claims,
    plot_figure1,
    plot_learning_rate_sweep,
)
from .convolution import (
    CORRELATION_IMAGE,
    CORRELATION_KERNEL,
    EQUIVARIANCE_BOUNDARIES,
    EQUIVARIANCE_KERNELS,
    EXPLORER_KERNELS,
    FIG_9_1_INPUT,
    FIG_9_1_KERNEL,
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
    ACTIVATIONS,
    DROPOUT_NOISE_SHAPES,
    SOFTMAX_LOGITS,
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
from .pooling import POOLING_KERNEL, plot_pool1d, plot_pooling, pooling_feature_map
from .style import (
    COLORS,
    MATRIX_CMAP,
    OKABE_ITO,
    STYLE,
    setup,
    show_images,
    show_matrix,
)

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
    "BATCHNORM_FEATURE",
    "plot_batchnorm_distribution",
    "CH08_NETWORKS",
    "plot_figure1",
    "plot_learning_rate_sweep",
    "plot_claims",
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
