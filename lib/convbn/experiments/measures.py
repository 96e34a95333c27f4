"""The measurements behind chapter 9's seeded claims table and its "after BN" section.

Each function trains the small CNN of :func:`convbn.experiments.build_cnn` for one
seed and returns a frozen dataclass of numbers. :mod:`convbn.experiments.multiseed`
runs them over several seeds; the chapter reads the committed results.

* :func:`learning_rate_interval` -- claim (i) with a refined grid: the largest
  learning rate that trains, bracketed, and the fraction of dead ReLU channels.
* :func:`dropout_curves` -- claim (iii), split: does dropout only slow a short run,
  or does the network without it end up better?
* :func:`regularizer_curves` -- claim (iv) at matched training loss.
* :func:`noisy_bn_experiment` -- Santurkar et al. (2018): BN with random,
  time-varying shifts and scales; how much the distribution of a layer's input moves;
  how well the gradient predicts the loss along it.
* :func:`small_batch_experiment` -- BN against group normalization at batch sizes
  2 to 32 (Wu & He 2018).

Every evaluation of a network with BN uses Algorithm 2's population statistics,
computed on 500 training images and then put back (the run continues with Keras's
moving averages untouched).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_number
from ._training import (
    _accuracy,
    _keras,
    _restore,
    _state,
    _Trainer,
    build_cnn,
    dead_fraction,
    set_population_statistics,
)
from .claims import _check_common, _cnn_config, _cnn_data

#: Validation accuracy above which a run counts as training (chance is 0.1).
TRAINS = 0.5


def _mean_loss(model, x, y, batch_size: int = 500) -> float:
    keras = _keras()
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    total = 0.0
    for start in range(0, len(x), batch_size):
        xb, yb = x[start : start + batch_size], y[start : start + batch_size]
        total += float(loss_fn(yb, model(xb, training=False))) * len(xb)
    return total / len(x)


def _evaluate(model, data, train_metrics=False, sample: int = 500) -> dict:
    """Validation accuracy (and training loss and accuracy) with population
    statistics; the model's moving statistics are restored afterwards."""
    (x_train, y_train), (x_val, y_val) = data
    state = _state(model)
    try:
        weights_ok = all(np.all(np.isfinite(w)) for w in model.get_weights())
        if weights_ok:
            try:
                set_population_statistics(model, x_train[:sample])
            except ValueError:
                pass
        out = {"val": _accuracy(model, x_val, y_val)}
        if train_metrics:
            out["train"] = _accuracy(model, x_train, y_train)
            out["train_loss"] = _mean_loss(model, x_train, y_train)
    finally:
        _restore(model, state)
    return out


def _new_trainer(data, learning_rate, batch_size, seed, **network):
    keras = _keras()
    (x_train, y_train), _ = data
    keras.utils.set_random_seed(seed)
    model = build_cnn(seed=seed, **network)
    return _Trainer(model, learning_rate, x_train, y_train, batch_size, seed)


# --- claim (i): the learning rate, bracketed ----------------------------------------


@dataclass(frozen=True)
class LearningRateInterval:
    """What :func:`learning_rate_interval` measured, per network (``"plain"``,
    ``"bn"``).

    ``low[name]``: the largest learning rate tried that trains; ``high[name]``: the
    smallest one above it that does not (``inf`` if none failed); the network's
    limit lies between. ``runs[name]``: every run as ``(learning_rate, outcome,
    validation accuracy, fraction of dead ReLU channels)``, in the order tried;
    ``monotone[name]``: every rate below ``low`` trained too. ``config``: settings.
    """

    low: dict
    high: dict
    runs: dict
    monotone: dict
    config: dict = field(default_factory=dict)

    def ratio(self) -> tuple:
        """``(lowest, middle, highest)`` ratio of BN's limit to the plain one's that
        the brackets allow (the middle uses each bracket's geometric midpoint)."""
        lo, hi = self.low, self.high
        if not lo["plain"] or not lo["bn"]:
            return (math.nan, math.nan, math.nan)
        mid = {
            n: math.sqrt(lo[n] * hi[n]) if math.isfinite(hi[n]) else lo[n] for n in lo
        }
        return (
            lo["bn"] / hi["plain"],
            mid["bn"] / mid["plain"],
            hi["bn"] / lo["plain"],
        )

    def dead(self, name: str, outcome: str) -> list:
        """The dead-channel fractions of ``name``'s runs with that ``outcome``."""
        return [d for _, o, _, d in self.runs[name] if o == outcome]


def learning_rate_interval(
    grid=(0.1, 0.3, 1.0, 3.0, 10.0),
    *,
    refine: int = 3,
    steps: int = 200,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> LearningRateInterval:
    """Claim (i) with a bracket instead of a coarse grid.

    Introduced in chapter 9. For each network (without and with BN, same initial
    weights and batches), trains :func:`build_cnn` for ``steps`` SGD steps at every
    learning rate of ``grid`` upwards until the first that fails after one that
    trains, then halves the bracket between the largest rate that
    trains (validation accuracy >= 0.5, finite loss) and the next that does not,
    ``refine`` times, in log scale: with the default grid (factor 3) the bracket ends
    at a factor of ``3 ** (1/8) = 1.15``. A run whose loss stops being finite is cut
    short (it *diverges*); one that stays finite below 0.5 *stalls*. After every run
    it measures the fraction of dead ReLU channels on 500 training images
    (:func:`dead_fraction`).
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    grid = sorted(as_number(lr, "grid", positive=True) for lr in grid)
    if len(grid) < 2:
        raise ValueError(f"grid must hold at least 2 learning rates, got {len(grid)}")
    refine = as_number(refine, "refine", integer=True, minimum=0)
    data = _cnn_data(n_train, n_val, seed)
    x_probe = data[0][0][:500]
    low, high, runs, monotone = {}, {}, {}, {}
    for name in ("plain", "bn"):
        trainer = _new_trainer(data, grid[0], batch_size, seed, batch_norm=name == "bn")
        initial = trainer.model.get_weights()
        tried = []

        def run(lr, trainer=trainer, initial=initial, tried=tried):
            trainer.restart(initial, lr, seed)
            finite, done = True, 0
            while finite and done < steps:
                k = min(25, steps - done)
                finite = bool(np.all(np.isfinite(trainer.train(k))))
                done += k
            val = _evaluate(trainer.model, data)["val"] if finite else 0.1
            outcome = (
                "diverges" if not finite else ("trains" if val >= TRAINS else "stalls")
            )
            dead = dead_fraction(trainer.model, x_probe) if finite else math.nan
            tried.append((float(lr), outcome, float(val), float(dead)))
            return outcome == "trains"

        ok = []
        for lr in grid:  # upwards, until the first failure after a success
            ok.append(run(lr))
            if any(ok) and not ok[-1]:
                break
        if not any(ok):
            lo, hi = 0.0, grid[0]
        else:
            i = max(k for k, good in enumerate(ok) if good)
            lo = grid[i]
            hi = grid[i + 1] if i + 1 < len(grid) else math.inf
            for _ in range(refine if math.isfinite(hi) else 0):
                mid = math.sqrt(lo * hi)
                if run(mid):
                    lo = mid
                else:
                    hi = mid
        low[name], high[name], runs[name] = lo, hi, tuple(tried)
        monotone[name] = all(o == "trains" for lr, o, _, _ in tried if lr < lo)
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, grid=list(grid), refine=refine
    )
    return LearningRateInterval(low, high, runs, monotone, config)


# --- training with checkpoints --------------------------------------------------------


def _curves(trainer, data, steps, eval_every, train_metrics=False) -> dict:
    """Train for ``steps`` steps, evaluating at 0, ``eval_every``, ..., ``steps``."""
    at = list(range(0, steps + 1, eval_every))
    if at[-1] != steps:
        at.append(steps)
    out = {"steps": np.array(at), "loss": [], "val": [], "train": [], "train_loss": []}
    for k, step in enumerate(at):
        if k:
            out["loss"].append(trainer.train(step - at[k - 1]))
        ev = _evaluate(trainer.model, data, train_metrics)
        out["val"].append(ev["val"])
        if train_metrics:
            out["train"].append(ev["train"])
            out["train_loss"].append(ev["train_loss"])
    out["loss"] = np.concatenate(out["loss"])
    for key in ("val", "train", "train_loss"):
        out[key] = np.array(out[key])
    return out


# --- claim (iii): dropout, split in two ---------------------------------------------


@dataclass(frozen=True)
class DropoutCurves:
    """What :func:`dropout_curves` measured, for a BN network with and without
    dropout (keys ``"dropout"``, ``"no dropout"``).

    ``steps`` ``(K,)``: the evaluation steps; ``val_accuracy[key]`` ``(K,)``;
    ``loss[key]`` ``(steps,)``; ``short``: the step of the short-run comparison;
    ``rate``; ``config``.
    """

    steps: np.ndarray
    val_accuracy: dict
    loss: dict
    short: int
    rate: float
    config: dict = field(default_factory=dict)

    def at(self, step: int) -> dict:
        """Validation accuracy of each network at the evaluation ``step``."""
        i = int(np.flatnonzero(self.steps == step)[0])
        return {k: float(v[i]) for k, v in self.val_accuracy.items()}

    @property
    def short_run_cost(self) -> float:
        """No dropout minus dropout, at the short run's end (dropout slows it)."""
        a = self.at(self.short)
        return a["no dropout"] - a["dropout"]

    @property
    def final_gain(self) -> float:
        """No dropout minus dropout at the end of the long run."""
        a = self.at(int(self.steps[-1]))
        return a["no dropout"] - a["dropout"]


def dropout_curves(
    *,
    rate: float = 0.5,
    learning_rate: float = 0.3,
    steps: int = 800,
    short: int = 200,
    eval_every: int = 100,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> DropoutCurves:
    """Claim (iii), separated: "dropout slows a short run" and "BN without dropout
    ends up better than BN with dropout".

    Introduced in chapter 9. Trains the BN version of :func:`build_cnn` with
    ``Dropout(rate)`` before the last layer and without (same initial weights and
    batches), for ``steps`` steps (800: 13 epochs of the 4,000 images), evaluating
    the validation accuracy every ``eval_every`` steps. The short-run comparison is
    at step ``short`` (200, the length of the chapter's other runs), the long-run
    one at the end.
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    rate = as_number(rate, "rate", positive=True, maximum=0.95)
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    eval_every = as_number(eval_every, "eval_every", integer=True, minimum=1)
    short = as_number(short, "short", integer=True, minimum=1, maximum=steps)
    if short % eval_every:
        raise ValueError(f"short must be a multiple of eval_every = {eval_every}")
    data = _cnn_data(n_train, n_val, seed)
    val, loss = {}, {}
    for key, r in (("dropout", rate), ("no dropout", 0.0)):
        trainer = _new_trainer(
            data, learning_rate, batch_size, seed, batch_norm=True, dropout=r
        )
        c = _curves(trainer, data, steps, eval_every)
        val[key], loss[key], at = c["val"], c["loss"], c["steps"]
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return DropoutCurves(at, val, loss, short, rate, config)


# --- claim (iv): the regularizer, at matched training loss ---------------------------


@dataclass(frozen=True)
class RegularizerCurves:
    """What :func:`regularizer_curves` measured, per network (``"plain"``, ``"bn"``).

    ``steps`` ``(K,)``; ``train_loss[name]``, ``train_accuracy[name]``,
    ``val_accuracy[name]`` ``(K,)`` at those steps (inference mode, population
    statistics); ``target``: the training loss at which the networks are compared;
    ``config``.
    """

    steps: np.ndarray
    train_loss: dict
    train_accuracy: dict
    val_accuracy: dict
    target: float
    config: dict = field(default_factory=dict)

    def matched(self, name: str) -> int | None:
        """Index of the first evaluation at which ``name``'s training loss is at most
        ``target`` (None if it never gets there)."""
        hit = np.flatnonzero(self.train_loss[name] <= self.target)
        return int(hit[0]) if hit.size else None

    def gap_at_matched_loss(self) -> dict:
        """Training minus validation accuracy where each network first reaches the
        target loss (NaN if it never does)."""
        out = {}
        for name in ("plain", "bn"):
            i = self.matched(name)
            out[name] = (
                math.nan
                if i is None
                else float(self.train_accuracy[name][i] - self.val_accuracy[name][i])
            )
        return out

    def gap_at_step(self, step: int) -> dict:
        """Training minus validation accuracy at the evaluation ``step``."""
        i = int(np.flatnonzero(self.steps == step)[0])
        return {
            n: float(self.train_accuracy[n][i] - self.val_accuracy[n][i])
            for n in ("plain", "bn")
        }


def regularizer_curves(
    *,
    learning_rate: float = 0.1,
    steps: int = 600,
    eval_every: int = 25,
    target: float = 0.2,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 500,
    n_val: int = 1000,
) -> RegularizerCurves:
    """Claim (iv) at matched training loss.

    Introduced in chapter 9. Trains :func:`build_cnn` without and with BN on a small
    training set (500 images) for up to ``steps`` steps, evaluating the training
    loss, training accuracy and validation accuracy every ``eval_every`` steps. BN
    trains faster, so comparing the two at the same step compares networks at
    different stages; :meth:`RegularizerCurves.gap_at_matched_loss` compares them
    where each first reaches the training loss ``target`` (0.2 nats).
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    eval_every = as_number(eval_every, "eval_every", integer=True, minimum=1)
    target = as_number(target, "target", positive=True)
    data = _cnn_data(n_train, n_val, seed)
    tl, ta, va = {}, {}, {}
    for name in ("plain", "bn"):
        trainer = _new_trainer(
            data, learning_rate, batch_size, seed, batch_norm=name == "bn"
        )
        c = _curves(trainer, data, steps, eval_every, train_metrics=True)
        tl[name], ta[name], va[name], at = (
            c["train_loss"],
            c["train"],
            c["val"],
            c["steps"],
        )
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return RegularizerCurves(at, tl, ta, va, target, config)
