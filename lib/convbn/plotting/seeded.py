"""Plots of chapter 9's seeded results and of the normalization layers after BN.

* :func:`plot_seeded_table` -- every row of a seeded claims table as a paired
  difference per seed, its mean and 95% interval, and the row's margin;
* :func:`plot_seeded_curves` -- the dropout and regularizer curves of one seed;
* :func:`plot_small_batches` -- BN against group normalization by batch size;
* :func:`plot_batch_statistics` -- how BN's output for one example depends on the
  other examples of its batch, and group normalization's does not (the widget's).

The public names are re-exported by :mod:`convbn.plotting`.
"""

from __future__ import annotations

import functools

import matplotlib.pyplot as plt
import numpy as np

from .._validation import as_number
from ..batchnorm import batchnorm_forward, groupnorm_forward
from .batchnorm import CH09_NETWORKS
from .style import OKABE_ITO

__all__ = [
    "plot_seeded_table",
    "plot_seeded_curves",
    "plot_small_batches",
    "plot_batch_statistics",
    "BATCH_STATISTICS",
]

_VERDICT_COLORS = {
    "holds": OKABE_ITO["blue"],
    "does not hold": OKABE_ITO["vermillion"],
    "inconclusive at this scale": OKABE_ITO["black"],
}


def plot_seeded_table(table):
    """A seeded claims table as a forest plot; returns the figure.

    Introduced in chapter 9. One row per claim of ``table`` (what
    :func:`convbn.experiments.seeded_table` returned): the paired difference of each
    seed (dots), the mean and its interval at the family-wise confidence of
    :data:`convbn.experiments.CONFIDENCE` (bar), 0 (solid line) and the row's
    margin (dashed), each row scaled by its largest absolute value so that rows of
    different units share an axis. The colour is the verdict.
    """
    from ..experiments import CONFIDENCE, CRITERIA, SeededTable, summarize
    from ..experiments.stats import confidence_label

    if not isinstance(table, SeededTable):
        raise TypeError(
            "table must be a convbn.experiments.SeededTable (what seeded_table "
            f"returns), got {type(table).__name__}"
        )
    rows = list(table)
    fig, ax = plt.subplots(figsize=(8.0, 0.55 * len(rows) + 1.2))
    for i, row in enumerate(rows):
        y = len(rows) - 1 - i
        d = np.asarray(row.differences)
        kind, margin, _ = CRITERIA[row.key]
        if d.size < 2:
            continue
        s = summarize(d, CONFIDENCE)
        scale = max(np.max(np.abs(d)), abs(s.low), abs(s.high), margin) or 1.0
        color = _VERDICT_COLORS[row.verdict]
        ax.plot(d / scale, np.full(d.size, y) + 0.12, "o", ms=4, color=color, alpha=0.6)
        ax.plot([s.low / scale, s.high / scale], [y, y], color=color, lw=3)
        ax.plot(s.mean / scale, y, "|", color="white", ms=10, mew=2)
        for m in (margin, -margin) if kind == "equivalent" else (margin,):
            if m:
                ax.plot([m / scale] * 2, [y - 0.3, y + 0.3], "--", color="0.3", lw=1)
    ax.axvline(0, color="0.2", lw=1)
    ax.set_yticks(range(len(rows)), [r.key.replace("_", " ") for r in reversed(rows)])
    ax.set_xlim(-1.1, 1.1)
    ax.set_xlabel("paired difference per seed, scaled per row (0 = no effect)")
    handles = [
        plt.Line2D([], [], color=c, lw=3, label=v) for v, c in _VERDICT_COLORS.items()
    ]
    handles.append(plt.Line2D([], [], color="0.3", ls="--", label="margin"))
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    level = confidence_label(CONFIDENCE)
    ax.set_title(f"Each claim: seeds (dots), mean and {level} interval (bar)")
    fig.tight_layout()
    return fig


def plot_seeded_curves(runs, seed: int = 0):
    """Claims (iii) and (iv) over training, for one seed of the committed runs.

    Introduced in chapter 9. Left: validation accuracy of the BN network with and
    without dropout against training steps (the short run ends at the dotted line).
    Right: training loss without and with BN on 500 images, with the target loss at
    which the regularizer claim compares them (dashed) and the step where each
    network reaches it (dots). Returns the figure.
    """
    from ..experiments import SeededRuns
    from ..experiments.multiseed import matched, regularizer_target

    if not isinstance(runs, SeededRuns):
        raise TypeError(
            f"runs must be a convbn.experiments.SeededRuns, got {type(runs).__name__}"
        )
    run = runs.seed(as_number(seed, "seed", integer=True, minimum=0))
    fig, axes = plt.subplots(1, 2, figsize=(10.0, 3.3))
    d = run["dropout"]
    for key, color in (
        ("dropout", OKABE_ITO["vermillion"]),
        ("no dropout", OKABE_ITO["blue"]),
    ):
        label = "BN + Dropout(0.5)" if key == "dropout" else "BN, no dropout"
        axes[0].plot(d["steps"], d["val_accuracy"][key], "o-", color=color, label=label)
    axes[0].axvline(d["short"], color="0.4", ls=":", lw=1)
    axes[0].set(
        xlabel="training steps",
        ylabel="validation accuracy",
        title="(iii) dropout: short and long run",
    )
    axes[0].legend(loc="lower right")
    r = run["regularizer"]
    target = regularizer_target(runs)
    at = matched(run, target) if target else {}
    for name, (label, color) in CH09_NETWORKS.items():
        axes[1].semilogy(r["steps"], r["train_loss"][name], color=color, label=label)
        step = at.get(name, {}).get("step")
        if step is not None:
            i = r["steps"].index(step)
            axes[1].plot(step, r["train_loss"][name][i], "o", color=color)
    if target:
        axes[1].axhline(target, color="0.3", ls="--", lw=1)
    axes[1].set(
        xlabel="training steps",
        ylabel="training loss (500 images)",
        title="(iv) compared where each reaches the target loss",
    )
    axes[1].legend(loc="upper right")
    fig.suptitle(f"seed {run['seed']}", x=0.01, ha="left", fontsize="small")
    fig.tight_layout()
    return fig


def plot_small_batches(runs):
    """BN against group normalization by batch size, every seed; returns the figure.

    Introduced in chapter 9. Validation accuracy against batch size (log scale) for
    each seed (thin lines) and the mean (thick), BN and GN.
    """
    from ..experiments import SeededRuns

    if not isinstance(runs, SeededRuns):
        raise TypeError(
            f"runs must be a convbn.experiments.SeededRuns, got {type(runs).__name__}"
        )
    fig, ax = plt.subplots(figsize=(6.0, 3.3))
    for norm, label, color in (
        ("bn", "batch normalization", OKABE_ITO["blue"]),
        ("gn", "group normalization", OKABE_ITO["green"]),
    ):
        sizes = np.array(runs.runs[0]["small_batch"]["batch_sizes"])
        acc = np.array([r["small_batch"]["val_accuracy"][norm] for r in runs.runs])
        for row in acc:
            ax.plot(sizes, row, color=color, lw=0.8, alpha=0.4)
        ax.plot(sizes, acc.mean(axis=0), "o-", color=color, lw=2.5, label=label)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set(
        xlabel="batch size",
        ylabel="validation accuracy",
        title=f"One epoch at each batch size ({len(runs.runs)} seeds)",
    )
    ax.legend(loc="lower right")
    fig.tight_layout()
    return fig


#: The feature :func:`plot_batch_statistics` draws from: ``(N, H, W, C)`` examples
#: whose channels have different means and scales, and the position it follows.
BATCH_STATISTICS = {"pool": 2000, "shape": (4, 4, 8), "groups": 2, "repeats": 400}


def _feature_pool(seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    n, (h, w, c) = BATCH_STATISTICS["pool"], BATCH_STATISTICS["shape"]
    means = rng.normal(0.0, 2.0, size=c)
    scales = rng.uniform(0.5, 3.0, size=c)
    per_example = rng.normal(0.0, 1.0, size=(n, 1, 1, c))  # examples differ
    return means + scales * (per_example + rng.normal(0.0, 1.0, size=(n, h, w, c)))


def _bn_outputs(pool, batch_size, rng, repeats):
    """BN's output for example 0 at position (0, 0), channel 0, in ``repeats``
    random batches of ``batch_size`` that contain it."""
    c = pool.shape[-1]
    ones, zeros = np.ones(c), np.zeros(c)
    out = np.empty(repeats)
    for r in range(repeats):
        others = rng.choice(np.arange(1, len(pool)), size=batch_size - 1, replace=False)
        batch = pool[np.concatenate([[0], others])]
        y, _ = batchnorm_forward(batch, ones, zeros)
        out[r] = y[0, 0, 0, 0]
    return out


_SIZES = (2, 4, 8, 16, 32, 64)


@functools.lru_cache(maxsize=4)
def _bn_spread(seed: int) -> tuple:
    """The standard deviation of BN's output for example 0 over 150 batches, for
    each batch size of ``_SIZES`` (the right panel; the same for every slider
    value, so computed once)."""
    pool = _feature_pool(seed)
    rng = np.random.default_rng(seed + 2)
    return tuple(float(np.std(_bn_outputs(pool, b, rng, 150))) for b in _SIZES)


def plot_batch_statistics(batch_size: int = 8, seed: int = 0):
    """Why BN needs large batches and group normalization does not (chapter 9).

    Introduced in chapter 9. One example of a feature map ``(4, 4, 8)`` is put into
    400 random batches of ``batch_size`` examples from a pool of 2,000. Left: the
    histogram of BN's output for that example (position (0, 0), channel 0) over the
    400 batches (:func:`convbn.batchnorm.batchnorm_forward`), against group
    normalization's output with 2 groups (:func:`convbn.batchnorm.groupnorm_forward`),
    which uses only the example itself and is the same in every batch, and against
    BN with the pool's statistics (what inference mode aims at). Right: the standard
    deviation of BN's output over batches, against the batch size (2 to 64), with
    ``batch_size`` marked. Returns the figure.
    """
    batch_size = as_number(
        batch_size, "batch_size", integer=True, minimum=2, maximum=64
    )
    seed = as_number(seed, "seed", integer=True, minimum=0)
    pool = _feature_pool(seed)
    c = pool.shape[-1]
    repeats = BATCH_STATISTICS["repeats"]
    rng = np.random.default_rng(seed + 1)
    bn = _bn_outputs(pool, batch_size, rng, repeats)
    gn, _ = groupnorm_forward(
        pool[:1], np.ones(c), np.zeros(c), BATCH_STATISTICS["groups"]
    )
    population, _ = batchnorm_forward(pool, np.ones(c), np.zeros(c))
    sizes = list(_SIZES)
    sds = list(_bn_spread(seed))
    fig, axes = plt.subplots(1, 2, figsize=(8.2, 3.1))
    ax = axes[0]
    lo = min(bn.min(), population[0, 0, 0, 0], gn[0, 0, 0, 0]) - 0.2
    hi = max(bn.max(), population[0, 0, 0, 0], gn[0, 0, 0, 0]) + 0.2
    ax.hist(
        bn,
        bins=np.linspace(lo, hi, 40),
        color=OKABE_ITO["blue"],
        alpha=0.7,
        label=f"BN, batch of {batch_size} (400 batches)",
    )
    ax.axvline(
        population[0, 0, 0, 0], color="0.2", ls="--", label="BN, pool statistics"
    )
    ax.axvline(
        gn[0, 0, 0, 0], color=OKABE_ITO["green"], lw=2.5, label="group norm (any batch)"
    )
    ax.set(
        xlabel="normalized value of one example",
        ylabel="batches",
        title=f"The same example, batch size {batch_size}",
    )
    ax.legend(loc="upper left", fontsize="small")
    ax = axes[1]
    ax.plot(sizes, sds, "o-", color=OKABE_ITO["blue"], label="BN")
    ax.plot(
        sizes, np.zeros(len(sizes)), "s-", color=OKABE_ITO["green"], label="group norm"
    )
    i = sizes.index(batch_size) if batch_size in sizes else None
    if i is not None:
        ax.plot(
            sizes[i], sds[i], "o", ms=12, mfc="none", mec=OKABE_ITO["vermillion"], mew=2
        )
    else:
        ax.axvline(batch_size, color=OKABE_ITO["vermillion"], lw=1)
    ax.set_xscale("log", base=2)
    ax.set_xticks(sizes, [str(s) for s in sizes])
    ax.set(
        xlabel="batch size",
        ylabel="sd of the output over batches",
        title="The batch's noise in BN's output",
    )
    ax.legend(loc="upper right")
    fig.tight_layout()
    return fig
