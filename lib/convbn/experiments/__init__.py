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
  holds or not) generated from one run of each.
* Over several seeds: :func:`learning_rate_interval` (the limit bracketed, dead
  ReLUs), :func:`dropout_curves`, :func:`regularizer_curves` (at matched training
  loss), :func:`noisy_bn_experiment` and :func:`noisy_bn_high_rate` (Santurkar et
  al. 2018) and
  :func:`small_batch_experiment` (BN against group normalization), run for seeds
  0-4 by ``python -m convbn.experiments claims`` (:func:`run_seeds`) into the file
  the chapter reads (:func:`load_runs`); :func:`seeded_table` decides each claim
  with :func:`summarize` and :func:`verdict` by :data:`CRITERIA`, every row at the
  family-wise :data:`CONFIDENCE`.

The settings the paper leaves open (optimizer, learning rate, initial weight scale,
number of steps) are the course's choices, stated in each docstring. Everything
uses plain stochastic gradient descent (no momentum) with a constant learning rate.

The package has one module per part: ``figure1`` (the paper's experiment),
``claims`` (the slides' claims and the one-run table), ``measures`` (the seeded
measurements of the claims), ``debate`` (noisy BN, smoothness, small batches),
``stats`` (intervals and verdicts), ``multiseed`` (the seeded runs, the results
file and the table) and ``_training`` (the building blocks); every public name is
re-exported here.
"""

from . import _training, multiseed, stats
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
    NoisyHighRateResult,
    SmallBatchResult,
    noisy_bn_experiment,
    noisy_bn_high_rate,
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
    SeededClaim,
    SeededRuns,
    SeededTable,
    load_runs,
    regularizer_target,
    run_seed,
    run_seeds,
    seeded_differences,
    seeded_table,
)
from .stats import (
    Summary,
    equivalence_verdict,
    familywise_confidence,
    summarize,
    verdict,
)

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
    "familywise_confidence",
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
    "NoisyHighRateResult",
    "noisy_bn_high_rate",
    "SmallBatchResult",
    "small_batch_experiment",
    "CRITERIA",
    "FAMILY",
    "CONFIDENCE",
    "SeededClaim",
    "SeededRuns",
    "SeededTable",
    "run_seed",
    "run_seeds",
    "load_runs",
    "seeded_differences",
    "seeded_table",
    "regularizer_target",
]

#: The keys of the two networks every experiment compares (without and with BN).
NETWORKS = _training.NETWORKS
#: The percentiles of Figure 1(b, c).
PERCENTILES = _training.PERCENTILES
#: The three verdicts of a seeded claim in chapter 9, ``"holds"``, ``"does not
#: hold"`` and ``"inconclusive at this scale"``.
VERDICTS = stats.VERDICTS
#: The criterion of each row of chapter 9's seeded table (its quantity and margin fixed
#: before the runs; the wording of the rule revised after a review), as
#: ``key -> (kind, margin, criterion in words)``; ``kind`` is ``"greater"``
#: (:func:`verdict`) or ``"equivalent"`` (:func:`equivalence_verdict`).
CRITERIA = multiseed.CRITERIA
#: The rows of chapter 9 decided together (every key of :data:`CRITERIA`).
FAMILY = multiseed.FAMILY
#: Each row's interval confidence, ``1 - 0.05 / len(FAMILY)`` (Bonferroni).
CONFIDENCE = multiseed.CONFIDENCE
