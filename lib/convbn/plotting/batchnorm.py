"""Plots of Part III, batch normalization (chapters 8 and 9).

Chapter 8: one feature before and after the batch-normalizing transform. Chapter 9:
the results of :mod:`convbn.experiments` (the paper's Figure 1, the learning-rate
sweep, the claims about cost, dropout and regularization).

The public names are re-exported by :mod:`convbn.plotting`, whose ``__init__.py``
documents the constants (the API page reads their comments there).
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from .._validation import as_number
from ..batchnorm import batchnorm_forward
from .style import COLORS, OKABE_ITO

__all__ = [
    "BATCHNORM_FEATURE",
    "plot_batchnorm_distribution",
    "CH09_NETWORKS",
    "CH08_NETWORKS",
    "plot_figure1",
    "plot_learning_rate_sweep",
    "plot_claims",
]

# --- chapter 8: internal covariate shift and the batch-normalizing transform ---

BATCHNORM_FEATURE = {"mean": 5.0, "std": 3.0, "shape": 2.0}


def _feature_sample(m: int, seed: int) -> np.ndarray:
    """``m`` values of the chapter 8 feature: ``mean + std (g - k) / sqrt(k)``."""
    k = BATCHNORM_FEATURE["shape"]
    g = np.random.default_rng(seed).gamma(k, 1.0, size=m)
    return BATCHNORM_FEATURE["mean"] + BATCHNORM_FEATURE["std"] * (g - k) / np.sqrt(k)


def _feature_density(x: np.ndarray) -> np.ndarray:
    """The density of the chapter 8 feature at ``x`` (Gamma(k) shifted and scaled)."""
    from math import gamma as gamma_function

    k = BATCHNORM_FEATURE["shape"]
    scale = BATCHNORM_FEATURE["std"] / np.sqrt(k)
    t = (x - BATCHNORM_FEATURE["mean"]) / scale + k
    positive = np.clip(t, 1e-300, None)
    pdf = positive ** (k - 1) * np.exp(-positive) / gamma_function(k)
    return np.where(t > 0, pdf / scale, 0.0)


def plot_batchnorm_distribution(
    batch_size: int = 64,
    gamma: float = 1.0,
    beta: float = 0.0,
    eps: float = 1e-3,
    seed: int = 0,
):
    """One feature before and after the batch-normalizing transform (chapter 8).

    Draws a mini-batch of ``batch_size`` values of a skewed feature (mean 5,
    standard deviation 3, :data:`BATCHNORM_FEATURE`; ``seed`` picks the batch) and
    applies Algorithm 1 with :func:`convbn.batchnorm.batchnorm_forward`: ``y = gamma
    (x - mu_B) / sqrt(sigma_B^2 + eps) + beta``. Left: the batch's histogram over the
    population density, with the batch mean; right: the histogram of y, the lines
    ``beta`` and ``beta +- gamma``, and the measured mean and standard deviation of
    y in the title (``beta`` and ``|gamma| sqrt(sigma_B^2 / (sigma_B^2 + eps))``).
    Returns the Figure.
    """
    batch_size = as_number(batch_size, "batch_size", integer=True, minimum=2)
    if batch_size > 100_000:
        raise ValueError(f"batch_size must be <= 100000, got {batch_size}")
    gamma = as_number(gamma, "gamma")
    beta = as_number(beta, "beta")
    eps = as_number(eps, "eps", positive=True)
    seed = as_number(seed, "seed", integer=True, nonnegative=True)

    x = _feature_sample(batch_size, seed)
    y = batchnorm_forward(x[:, None], gamma, beta, eps)[0][:, 0]
    mu, sigma = x.mean(), x.std()
    y_mean = round(float(y.mean()), 2) + 0.0  # no "-0.00" in the title
    bins = int(np.clip(np.sqrt(batch_size) * 2, 8, 40))

    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 3.3))
    grid = np.linspace(-3.0, 25.0, 400)
    left.hist(
        x,
        bins=bins,
        range=(-3, 25),
        density=True,
        color=COLORS[0],
        alpha=0.7,
        label=f"mini-batch, m = {batch_size}",
    )
    left.plot(
        grid,
        _feature_density(grid),
        color=OKABE_ITO["black"],
        lw=1.2,
        label="population",
    )
    left.axvline(mu, color=COLORS[1], ls="--", label=f"batch mean {mu:.2f}")
    if batch_size <= 32:  # few values: also mark each one
        left.plot(x, np.zeros_like(x), "|", color=COLORS[0], ms=14, mew=2)
        right.plot(y, np.zeros_like(y), "|", color=COLORS[2], ms=14, mew=2)
    left.set(
        xlabel="x (before BN)",
        ylabel="density",
        title=f"before: mean {mu:.2f}, std {sigma:.2f}",
    )
    left.legend(loc="upper right")

    spread = max(4.0, 4.0 * abs(gamma))
    low, high = min(-5.0, beta - spread), max(5.0, beta + 2.0 * spread)
    right.hist(
        y,
        bins=bins,
        range=(low, high),
        density=True,
        color=COLORS[2],
        alpha=0.7,
        label="y = BN(x)",
    )
    right.axvline(beta, color=COLORS[1], ls="--", label=f"β = {beta:g}")
    for side in (-1, 1):
        right.axvline(
            beta + side * gamma,
            color=COLORS[3],
            ls=":",
            label=f"β ± γ (γ = {gamma:g})" if side == 1 else None,
        )
    right.set(
        xlabel="y (after BN)",
        xlim=(low, high),
        title=f"after (ε = {eps:g}): mean {y_mean:.2f}, std {y.std():.2f}",
    )
    right.legend(loc="upper right")
    fig.tight_layout()
    return fig


# --- chapter 9: batch normalization in practice ---

CH09_NETWORKS = {
    "plain": ("without BN", OKABE_ITO["orange"]),
    "bn": ("with BN", OKABE_ITO["blue"]),
}
CH08_NETWORKS = CH09_NETWORKS  # the name of the old numbering, kept as an alias


def _result(value, cls_name: str, name: str):
    """Check that ``value`` is the ``cls_name`` result of convbn.experiments."""
    from .. import experiments  # imported when used: the chapters import it lazily

    cls = getattr(experiments, cls_name)
    if not isinstance(value, cls):
        raise TypeError(
            f"{name} must be a convbn.experiments.{cls_name} (what the experiment "
            f"returns), got {type(value).__name__}"
        )
    return value


def _figure1_units(result) -> tuple[int, int]:
    """The number of last-layer units of a Figure 1 result and the one shown first."""
    result = _result(result, "Figure1Result", "result")
    return result.percentiles["plain"].shape[-1], result.unit


def _sweep_rates(sweep) -> tuple[list[float], int]:
    """A sweep's learning rates and the index of the one shown first: the first rate
    at which only the BN network trains, else the largest."""
    sweep = _result(sweep, "LearningRateSweep", "sweep")
    rates = [float(r) for r in sweep.learning_rates]
    only_bn = np.flatnonzero(sweep.trains("bn") & ~sweep.trains("plain"))
    return rates, int(only_bn[0]) if only_bn.size else len(rates) - 1


def plot_figure1(result, unit: int | None = None):
    """Figure 1 of Ioffe & Szegedy (2015), from an MNIST experiment's result.

    Introduced in chapter 9. ``result`` is what
    :func:`convbn.experiments.mnist_experiment` returned. Three panels: (a) test
    accuracy against training steps, without and with BN; (b, c) the 15th, 50th and
    85th percentiles of the input to sigmoid ``unit`` (0-99) of the last hidden
    layer over training, without BN and with BN, on a shared vertical axis (the band
    is the 15th-85th range, the line the median). ``unit=None`` shows
    ``result.unit``. Returns the figure.
    """
    n_units, default = _figure1_units(result)
    unit = default if unit is None else unit
    unit = as_number(unit, "unit", integer=True, minimum=0, maximum=n_units - 1)
    steps = result.steps
    fig, axes = plt.subplots(1, 3, figsize=(8.2, 3.1))
    for name, (label, color) in CH09_NETWORKS.items():
        axes[0].plot(steps, result.accuracy[name], color=color, label=label)
    axes[0].set(
        xlabel="training steps",
        ylabel="test accuracy",
        ylim=(0.0, 1.0),
        title="(a) test accuracy",
    )
    axes[0].legend(loc="lower right")
    lows, highs = [], []
    for ax, (name, (label, color)), letter in zip(
        axes[1:], CH09_NETWORKS.items(), "bc", strict=True
    ):
        p15, p50, p85 = result.percentiles[name][:, :, unit].T
        ax.fill_between(
            steps, p15, p85, color=color, alpha=0.25, lw=0, label="15th-85th percentile"
        )
        ax.plot(steps, p50, color=color, label="median")
        ax.plot(steps, p15, color=color, lw=0.8)
        ax.plot(steps, p85, color=color, lw=0.8)
        ax.set(xlabel="training steps", title=f"({letter}) {label}")
        lows.append(p15.min())
        highs.append(p85.max())
        ax.legend(loc="lower right")
    axes[1].set_ylabel(f"input to sigmoid {unit}")
    pad = 0.05 * (max(highs) - min(lows) or 1.0)
    for ax in axes[1:]:
        ax.set_ylim(min(lows) - pad, max(highs) + pad)
    fig.tight_layout()
    return fig


def _smooth(values, window: int = 10):
    """Running mean over ``window`` steps (shorter at the start); NaN/inf kept."""
    values = np.asarray(values, dtype=float)
    finite = np.where(np.isfinite(values), values, np.nan)
    out = np.empty_like(finite)
    for i in range(len(finite)):
        out[i] = np.mean(finite[max(0, i - window + 1) : i + 1])
    return out


def plot_learning_rate_sweep(sweep, learning_rate: float | None = None):
    """The learning-rate sweep of :func:`convbn.experiments.learning_rate_sweep`.

    Introduced in chapter 9. Left: validation accuracy after training against the
    learning rate (log scale), without and with BN, with the threshold above which a
    run counts as training and the chance level 0.1. Right: the training loss (running
    mean over 10 steps) at ``learning_rate`` (one of ``sweep.learning_rates``; by
    default the first rate at which only the BN network trains, else the largest).
    Returns the figure.
    """
    rates, index = _sweep_rates(sweep)
    rates = np.asarray(rates)
    if learning_rate is not None:
        learning_rate = as_number(learning_rate, "learning_rate", positive=True)
        matches = np.flatnonzero(np.isclose(rates, learning_rate, rtol=1e-9))
        if matches.size == 0:
            listed = ", ".join(f"{r:g}" for r in rates)
            raise ValueError(
                f"learning_rate must be one of the sweep's rates ({listed}), got "
                f"{learning_rate:g}"
            )
        index = int(matches[0])
    fig, (left, right) = plt.subplots(1, 2, figsize=(8.2, 3.2))
    for name, (label, color) in CH09_NETWORKS.items():
        left.semilogx(rates, sweep.val_accuracy[name], "o-", color=color, label=label)
        outcome = sweep.outcome(name, index)
        right.plot(
            _smooth(sweep.loss[name][index]),
            color=color,
            label=f"{label}: {outcome}",
        )
    left.axhline(
        sweep.threshold,
        color="gray",
        ls="--",
        lw=1,
        label=f"threshold {sweep.threshold:g}",
    )
    left.axhline(0.1, color="gray", ls=":", lw=1, label="chance")
    left.axvline(rates[index], color="black", lw=0.8)
    left.set(
        xlabel="learning rate",
        ylabel="validation accuracy",
        ylim=(0.0, 1.0),
        title=f"after {sweep.config.get('steps', '?')} SGD steps",
    )
    left.legend(loc="lower left")
    right.axhline(np.log(10), color="gray", ls=":", lw=1, label="ln 10 (guessing)")
    right.set(
        xlabel="training step",
        ylabel="training loss",
        title=f"learning rate {rates[index]:g}",
    )
    curves = np.concatenate([_smooth(sweep.loss[n][index]) for n in CH09_NETWORKS])
    finite = curves[np.isfinite(curves)]
    top = float(finite.max()) if finite.size else 10.0
    right.set_ylim(0.0, max(2.5, min(top * 1.05, 10.0)))
    right.legend(loc="upper right")
    fig.tight_layout()
    return fig


def plot_claims(timing, dropout, regularizer):
    """Claims (ii)-(iv) of chapter 9 as three bar charts; returns the figure.

    Introduced in chapter 9. Left: milliseconds per training step without and with
    BN (:func:`convbn.experiments.step_time`, median over the repeats). Middle:
    training and validation accuracy of the BN network with and without dropout
    (:func:`convbn.experiments.dropout_experiment`). Right: training and validation
    accuracy without and with BN on the small training set
    (:func:`convbn.experiments.regularizer_experiment`).
    """
    timing = _result(timing, "StepTime", "timing")
    dropout = _result(dropout, "DropoutResult", "dropout")
    regularizer = _result(regularizer, "RegularizerResult", "regularizer")
    fig, axes = plt.subplots(1, 3, figsize=(10.5, 3.3))
    names = list(CH09_NETWORKS)
    ms = [1000 * float(np.median(timing.seconds[n])) for n in names]
    axes[0].bar(
        [CH09_NETWORKS[n][0] for n in names],
        ms,
        color=[CH09_NETWORKS[n][1] for n in names],
    )
    axes[0].set(
        ylabel="ms per training step", title=f"(ii) cost: x{timing.ratio:.2f} with BN"
    )

    def grouped(ax, keys, labels, train, val, title):
        pos = np.arange(len(keys))
        ax.bar(
            pos - 0.2,
            [train[k] for k in keys],
            0.4,
            label="training",
            color=OKABE_ITO["sky"],
        )
        ax.bar(
            pos + 0.2,
            [val[k] for k in keys],
            0.4,
            label="validation",
            color=OKABE_ITO["vermillion"],
        )
        ax.set_xticks(pos, labels)
        low = min(min(train.values()), min(val.values()))
        ax.set(ylabel="accuracy", ylim=(max(0.0, low - 0.1), 1.08), title=title)
        ax.set_yticks([t for t in ax.get_yticks() if t <= 1.0])
        ax.legend(loc="upper center", ncols=2)

    grouped(
        axes[1],
        ["dropout", "no dropout"],
        [f"BN + Dropout({dropout.rate:g})", "BN, no dropout"],
        dropout.train_accuracy,
        dropout.val_accuracy,
        "(iii) removing dropout",
    )
    grouped(
        axes[2],
        names,
        [CH09_NETWORKS[n][0] for n in names],
        regularizer.train_accuracy,
        regularizer.val_accuracy,
        f"(iv) {regularizer.config.get('n_train', '?')} training images",
    )
    fig.tight_layout()
    return fig
