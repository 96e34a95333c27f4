"""The training runs chapter 9 reports: the paper's MNIST experiment and the claims.

Every function here trains small Keras models from scratch, on the offline MNIST
subset of :func:`convbn.datasets.load_mnist`, and returns a small frozen dataclass
of numbers (no models, no notebook state). Runs are seeded: the same arguments give
the same numbers (``keras.utils.set_random_seed`` for the weights and dropout masks,
a numpy generator for the order of the mini-batches), except the wall-clock times of
:func:`step_time`.

* :func:`mnist_experiment` -- section 4.1 and Figure 1 of Ioffe & Szegedy (2015): a
  sigmoid network with three hidden layers of 100 units, with and without batch
  normalization; test accuracy and the 15th, 50th and 85th percentiles of the input
  to each last-hidden-layer sigmoid over training.
* :func:`learning_rate_sweep`, :func:`step_time`, :func:`dropout_experiment`,
  :func:`regularizer_experiment` -- the lecture slides' claims about batch
  normalization, tested at small scale on a small convolutional network
  (:func:`build_cnn`).
* :func:`claims_table` -- the table of claims (claim, source, what we measured,
  holds or not) generated from those results.

The settings the paper leaves open (optimizer, learning rate, initial weight scale,
number of steps) are the course's choices, stated in each docstring. Everything
uses plain stochastic gradient descent (no momentum) with a constant learning rate.

The package has one module per part: ``convbn.experiments.figure1`` (the paper's
experiment), ``convbn.experiments.claims`` (the slides' claims and their table), and
the building blocks they share in ``convbn.experiments._training``; every public
name is re-exported here.
"""

from . import _training
from ._training import (
    build_cnn,
    build_mlp,
    dead_fraction,
    random_affine_layer,
    set_population_statistics,
)
from .claims import (
    Claim,
    ClaimsTable,
    DropoutResult,
    LearningRateSweep,
    RegularizerResult,
    StepTime,
    claims_table,
    dropout_experiment,
    learning_rate_sweep,
    regularizer_experiment,
    step_time,
)
from .debate import (
    NoisyBNResult,
    SmallBatchResult,
    noisy_bn_experiment,
    small_batch_experiment,
)
from .figure1 import Figure1Result, mnist_experiment
from .measures import (
    DropoutCurves,
    LearningRateInterval,
    RegularizerCurves,
    dropout_curves,
    learning_rate_interval,
    regularizer_curves,
)
from .multiseed import (
    CRITERIA,
    SeededClaim,
    SeededRuns,
    SeededTable,
    load_runs,
    run_seed,
    run_seeds,
    seeded_differences,
    seeded_table,
)
from .stats import VERDICTS, Summary, equivalence_verdict, summarize, verdict

__all__ = [
    "NETWORKS",
    "PERCENTILES",
    "build_mlp",
    "build_cnn",
    "set_population_statistics",
    "Figure1Result",
    "mnist_experiment",
    "LearningRateSweep",
    "learning_rate_sweep",
    "StepTime",
    "step_time",
    "DropoutResult",
    "dropout_experiment",
    "RegularizerResult",
    "regularizer_experiment",
    "Claim",
    "ClaimsTable",
    "claims_table",
    "VERDICTS",
    "Summary",
    "summarize",
    "verdict",
    "equivalence_verdict",
    "dead_fraction",
    "random_affine_layer",
    "LearningRateInterval",
    "learning_rate_interval",
    "DropoutCurves",
    "dropout_curves",
    "RegularizerCurves",
    "regularizer_curves",
    "NoisyBNResult",
    "noisy_bn_experiment",
    "SmallBatchResult",
    "small_batch_experiment",
    "CRITERIA",
    "SeededClaim",
    "SeededRuns",
    "SeededTable",
    "run_seed",
    "run_seeds",
    "load_runs",
    "seeded_differences",
    "seeded_table",
]

#: The keys of the two networks every experiment compares (without and with BN).
NETWORKS = _training.NETWORKS
#: The percentiles of Figure 1(b, c).
PERCENTILES = _training.PERCENTILES
