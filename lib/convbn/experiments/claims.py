"""The lecture slides' claims about batch normalization, measured on a small
convolutional network, and the table of claims (chapter 9)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_number
from ._training import (
    NETWORKS,
    _accuracy,
    _keras,
    _load,
    _seed,
    _Trainer,
    build_cnn,
    set_population_statistics,
)
from .figure1 import Figure1Result

# --- the slides' claims, on a small convolutional network ---------------------------


def _cnn_data(n_train: int, n_val: int, seed: int):
    (x_train, y_train), (x_val, y_val) = _load(n_train, n_val, seed)
    return (x_train[..., None], y_train), (x_val[..., None], y_val)


def _train_cnn(
    batch_norm,
    learning_rate,
    steps,
    batch_size,
    data,
    seed,
    dropout=0.0,
    train_accuracy=True,
) -> dict:
    """Build, train and evaluate one CNN (see :func:`_fit_cnn`)."""
    keras = _keras()
    (x_train, y_train), _ = data
    keras.utils.set_random_seed(seed)
    model = build_cnn(batch_norm, dropout=dropout, seed=seed)
    trainer = _Trainer(model, learning_rate, x_train, y_train, batch_size, seed)
    return _fit_cnn(trainer, steps, data, train_accuracy)


def _fit_cnn(trainer, steps, data, train_accuracy=True, population_sample=500) -> dict:
    """Train ``trainer``'s CNN for ``steps`` steps; return its losses and accuracies.

    ``"loss"`` ``(steps,)``; ``"val"``: validation accuracy, for a BN network with
    Algorithm 2's population statistics computed on ``population_sample`` training
    images (:func:`set_population_statistics`); ``"val_moving"``: the same with
    Keras's moving averages as they were after training; ``"train"``: training
    accuracy (or None when not asked for).
    """
    model = trainer.model
    (x_train, y_train), (x_val, y_val) = data
    out = {"loss": trainer.train(steps)}
    out["val_moving"] = out["val"] = _accuracy(model, x_val, y_val)
    try:  # a run that diverged has no statistics worth computing
        updated = np.all(np.isfinite(out["loss"])) and set_population_statistics(
            model, x_train[:population_sample]
        )
    except ValueError:
        updated = False
    if updated:
        out["val"] = _accuracy(model, x_val, y_val)
    out["train"] = _accuracy(model, x_train, y_train) if train_accuracy else None
    return out


def _check_common(steps, batch_size, seed, n_train, n_val):
    steps = as_number(steps, "steps", integer=True, minimum=1)
    batch_size = as_number(batch_size, "batch_size", integer=True, minimum=2)
    seed = _seed(seed)
    n_train = as_number(n_train, "n_train", integer=True, minimum=10)
    n_val = as_number(n_val, "n_val", integer=True, minimum=10)
    if batch_size > n_train:
        raise ValueError(
            f"batch_size must be at most n_train = {n_train}, got {batch_size}"
        )
    return steps, batch_size, seed, n_train, n_val


def _cnn_config(steps, batch_size, seed, n_train, n_val, **extra) -> dict:
    """The settings a CNN experiment records with its result (plain SGD)."""
    return dict(
        **extra,
        steps=steps,
        batch_size=batch_size,
        optimizer="SGD",
        seed=seed,
        n_train=n_train,
        n_val=n_val,
    )


@dataclass(frozen=True)
class LearningRateSweep:
    """What :func:`learning_rate_sweep` measured.

    ``learning_rates`` ``(L,)``; per network (keys ``"plain"``, ``"bn"``):
    ``val_accuracy[name]`` ``(L,)`` after training (BN: population statistics),
    ``loss[name]`` ``(L, steps)`` the training loss of every step;
    ``val_accuracy_moving["bn"]`` ``(L,)``: the BN network's validation accuracy
    with Keras's moving averages instead; ``threshold``: the validation accuracy
    above which a run counts as training (chance is 0.1); ``config``: the settings.
    """

    learning_rates: np.ndarray
    val_accuracy: dict
    loss: dict
    threshold: float
    val_accuracy_moving: dict = field(default_factory=dict)
    config: dict = field(default_factory=dict)

    def trains(self, name: str) -> np.ndarray:
        """``(L,)`` bool: the run reached ``threshold`` with a finite loss."""
        finite = np.all(np.isfinite(self.loss[name]), axis=1)
        return finite & (self.val_accuracy[name] >= self.threshold)

    def largest_trainable(self, name: str) -> float | None:
        """The largest learning rate of the sweep at which ``name`` trains."""
        ok = self.trains(name)
        return float(self.learning_rates[ok].max()) if ok.any() else None

    def outcome(self, name: str, index: int) -> str:
        """``"trains"``, ``"diverges"`` (loss not finite) or ``"stalls"``."""
        if not np.all(np.isfinite(self.loss[name][index])):
            return "diverges"
        return "trains" if self.trains(name)[index] else "stalls"


def learning_rate_sweep(
    learning_rates=(0.1, 0.3, 1.0, 3.0),
    *,
    steps: int = 200,
    batch_size: int = 64,
    threshold: float = 0.5,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> LearningRateSweep:
    """Claim (i): "batch normalization enables a higher learning rate".

    Introduced in chapter 9. Trains :func:`build_cnn` without and with BN at each
    learning rate (plain SGD, ``steps`` mini-batches of ``batch_size``, same initial
    weights and batches) and records the training loss and the validation accuracy
    (BN with population statistics). A run *trains* if its validation accuracy
    reaches ``threshold`` (0.5; chance is 0.1) with a finite loss; otherwise it
    *stalls* (the loss stays near ln 10, the ReLUs die) or *diverges* (the loss
    overflows). The grid, the number of steps and the threshold are ours.
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    rates = np.asarray(
        [as_number(lr, "learning_rates", positive=True) for lr in learning_rates]
    )
    if rates.size == 0:
        raise ValueError("learning_rates must not be empty")
    threshold = as_number(threshold, "threshold", minimum=0.0, maximum=1.0)
    data = _cnn_data(n_train, n_val, seed)
    keras = _keras()
    (x_train, y_train), _ = data
    val, loss, moving = {}, {}, {}
    for name in NETWORKS:
        # One model and one compiled step per network, restarted from the same
        # initial weights at each rate: the same runs as fresh models, traced once.
        keras.utils.set_random_seed(seed)
        model = build_cnn(name == "bn", seed=seed)
        initial = model.get_weights()
        trainer = _Trainer(model, 0.1, x_train, y_train, batch_size, seed)
        runs = []
        for lr in rates:
            trainer.restart(initial, float(lr), seed)
            runs.append(_fit_cnn(trainer, steps, data, train_accuracy=False))
        loss[name] = np.array([run["loss"] for run in runs])
        val[name] = np.array([run["val"] for run in runs])
        moving[name] = np.array([run["val_moving"] for run in runs])
    config = _cnn_config(steps, batch_size, seed, n_train, n_val)
    return LearningRateSweep(rates, val, loss, threshold, moving, config)


@dataclass(frozen=True)
class StepTime:
    """What :func:`step_time` measured: seconds per training step.

    ``seconds[name]`` ``(repeats,)``: the mean time of one step in each timed
    repeat, per network; ``ratio``: median BN time / median plain time;
    ``config``: the settings.
    """

    seconds: dict
    ratio: float
    config: dict = field(default_factory=dict)

    @property
    def extra_cost(self) -> float:
        """BN's extra time per step as a fraction of the plain step (ratio - 1)."""
        return self.ratio - 1.0


def step_time(
    *, batch_size: int = 64, steps: int = 20, repeats: int = 7, seed: int = 0
) -> StepTime:
    """Claim (ii): batch normalization's extra cost per training step.

    Introduced in chapter 9. Builds :func:`build_cnn` without and with BN (BN after
    each of the 3 convolutions), compiles a training step for each, warms both up,
    then times ``steps`` steps of one, ``steps`` of the other, alternately,
    ``repeats`` times, on the same batch of ``batch_size`` MNIST images, in the same
    process (so both see the same machine load). Reports the ratio of the medians.
    This is the wall-clock cost on this machine's CPU of a small network. The paper
    does not report BN's runtime; its only 30% belongs to another change (the
    Inception variant's two 3 x 3 convolutions).
    """
    keras = _keras()
    batch_size = as_number(batch_size, "batch_size", integer=True, minimum=2)
    steps = as_number(steps, "steps", integer=True, minimum=1)
    repeats = as_number(repeats, "repeats", integer=True, minimum=1)
    seed = _seed(seed)
    (x, y), _ = _cnn_data(4000, 1000, seed)
    if batch_size > len(x):
        raise ValueError(f"batch_size must be at most {len(x)}, got {batch_size}")
    x, y = x[:batch_size], y[:batch_size]
    trainers = {}
    for name in NETWORKS:
        keras.utils.set_random_seed(seed)
        model = build_cnn(name == "bn", seed=seed)
        trainers[name] = _Trainer(model, 0.01, x, y, batch_size, seed)
        for _ in range(3):  # trace, compile and warm up
            float(trainers[name].step(x, y))
    seconds = {name: np.empty(repeats) for name in NETWORKS}
    for r in range(repeats):
        for name in NETWORKS:
            step = trainers[name].step
            start = time.perf_counter()
            for _ in range(steps):
                loss = step(x, y)
            float(loss)
            seconds[name][r] = (time.perf_counter() - start) / steps
    ratio = float(np.median(seconds["bn"]) / np.median(seconds["plain"]))
    config = dict(
        batch_size=batch_size, steps=steps, repeats=repeats, seed=seed, device="CPU"
    )
    return StepTime(seconds, ratio, config)


@dataclass(frozen=True)
class DropoutResult:
    """What :func:`dropout_experiment` measured, for a BN network.

    Keys ``"dropout"`` (with ``Dropout(rate)``) and ``"no dropout"``:
    ``train_accuracy``, ``val_accuracy`` (floats) and ``loss`` ``(steps,)``;
    ``rate``: the dropout rate; ``config``: the settings.
    """

    train_accuracy: dict
    val_accuracy: dict
    loss: dict
    rate: float
    config: dict = field(default_factory=dict)

    @property
    def improvement(self) -> float:
        """Validation accuracy without dropout minus with dropout."""
        return self.val_accuracy["no dropout"] - self.val_accuracy["dropout"]


def dropout_experiment(
    *,
    rate: float = 0.5,
    learning_rate: float = 0.3,
    steps: int = 200,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> DropoutResult:
    """Claim (iii): "removing dropout from a BN network improves validation accuracy".

    Introduced in chapter 9. Trains the BN version of :func:`build_cnn` twice, with
    ``Dropout(rate)`` before the last layer and without, same initial weights and
    batches, and compares training and validation accuracy (population statistics).
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    rate = as_number(rate, "rate", minimum=0.0, maximum=0.95)
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    data = _cnn_data(n_train, n_val, seed)
    train, val, loss = {}, {}, {}
    for name, r in (("dropout", rate), ("no dropout", 0.0)):
        run = _train_cnn(True, learning_rate, steps, batch_size, data, seed, r)
        loss[name], train[name], val[name] = run["loss"], run["train"], run["val"]
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return DropoutResult(train, val, loss, rate, config)


@dataclass(frozen=True)
class RegularizerResult:
    """What :func:`regularizer_experiment` measured, per network (``"plain"``,
    ``"bn"``): ``train_accuracy``, ``val_accuracy`` (floats), ``loss``
    ``(steps,)``; ``config``: the settings."""

    train_accuracy: dict
    val_accuracy: dict
    loss: dict
    config: dict = field(default_factory=dict)

    @property
    def gap(self) -> dict:
        """Training minus validation accuracy, per network (the overfitting)."""
        return {n: self.train_accuracy[n] - self.val_accuracy[n] for n in NETWORKS}


def regularizer_experiment(
    *,
    learning_rate: float = 0.1,
    steps: int = 300,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 500,
    n_val: int = 1000,
) -> RegularizerResult:
    """Claim (iv): "batch normalization acts as a regularizer".

    Introduced in chapter 9. Trains :func:`build_cnn` without and with BN (no
    dropout) on a small training set (``n_train`` = 500 images, ``steps`` = 300
    mini-batches of 64: about 38 epochs, long enough to overfit) at one learning
    rate at which both train (0.1), and compares the gap between training and
    validation accuracy. A regularizer shrinks that gap.
    """
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    data = _cnn_data(n_train, n_val, seed)
    train, val, loss = {}, {}, {}
    for name in NETWORKS:
        run = _train_cnn(name == "bn", learning_rate, steps, batch_size, data, seed)
        loss[name], train[name], val[name] = run["loss"], run["train"], run["val"]
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return RegularizerResult(train, val, loss, config)


# --- the claims table --------------------------------------------------------------


@dataclass(frozen=True)
class Claim:
    """One row of the claims table: what is claimed, where, what we measured, and
    whether the measurement supports it. ``key`` names the experiment."""

    key: str
    claim: str
    source: str
    measured: str
    holds: bool

    @property
    def verdict(self) -> str:
        return "holds" if self.holds else "does not hold"


@dataclass(frozen=True)
class ClaimsTable:
    """The claims and what the runs gave, in order; ``table["dropout"]`` is a row.

    Shown as an HTML table in a notebook, as plain text by ``print``.
    """

    rows: tuple

    COLUMNS = ("claim", "source", "what we measured", "verdict")

    def __len__(self) -> int:
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, key):
        if isinstance(key, int):
            return self.rows[key]
        for row in self.rows:
            if row.key == key:
                return row
        raise KeyError(f"no claim {key!r}; the table has {[r.key for r in self.rows]}")

    def _cells(self, row) -> tuple:
        return (row.claim, row.source, row.measured, row.verdict)

    def keys(self) -> list:
        return [row.key for row in self.rows]

    def as_dicts(self) -> list:
        """One dict per row, with the table's columns."""
        return [dict(zip(self.COLUMNS, self._cells(r), strict=True)) for r in self.rows]

    def __str__(self) -> str:
        lines = []
        for r in self.rows:
            lines.append(
                f"- {r.claim} [{r.source}]\n  measured: {r.measured}\n  -> {r.verdict}"
            )
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        from html import escape

        head = "".join(f"<th style='text-align:left'>{c}</th>" for c in self.COLUMNS)
        body = []
        for r in self.rows:
            cells = self._cells(r)
            body.append(
                "<tr>"
                + "".join(
                    f"<td style='text-align:left'>{escape(c)}</td>" for c in cells
                )
                + "</tr>"
            )
        body = "".join(body)
        return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _pct(value: float) -> str:
    return f"{100 * value:.1f}%"


def _lr(value) -> str:
    return "none" if value is None else f"{value:g}"


def _expect(value, cls, name):
    if not isinstance(value, cls):
        raise TypeError(
            f"{name} must be a {cls.__name__} (the result of the experiment), got "
            f"{type(value).__name__}"
        )


def claims_table(
    figure1: Figure1Result | None = None,
    sweep: LearningRateSweep | None = None,
    timing: StepTime | None = None,
    dropout: DropoutResult | None = None,
    regularizer: RegularizerResult | None = None,
    *,
    accuracy_level: float = 0.9,
    max_extra_cost: float = 0.45,
) -> ClaimsTable:
    """The claims table, generated from the results of the runs (chapter 9).

    One row per result given (at least one): the claim, its source, what we
    measured (numbers formatted from the result) and whether it holds by these
    criteria, fixed in advance:

    * Figure 1(a): BN reaches ``accuracy_level`` test accuracy, in fewer steps than
      the plain network (or the plain network never does);
      Figure 1(b, c): the sigmoid inputs' percentiles move less with BN
      (:meth:`Figure1Result.drift` over the whole run).
    * (i) learning rate: BN trains at a learning rate at which the plain network
      stalls or diverges, and its largest trainable rate is higher.
    * (ii) cost: BN's extra time per step is at most ``max_extra_cost`` (45%: "about
      30%" or cheaper).
    * (iii) dropout: validation accuracy is higher without dropout.
    * (iv) regularizer: the train - validation accuracy gap is smaller with BN.
    """
    rows = []
    if figure1 is not None:
        _expect(figure1, Figure1Result, "figure1")
        reach = figure1.steps_to_reach(accuracy_level)
        final = {n: float(figure1.accuracy[n][-1]) for n in NETWORKS}
        faster = reach["bn"] is not None and (
            reach["plain"] is None or reach["bn"] < reach["plain"]
        )

        def steps_text(name):
            s = reach[name]
            return f"never (in {figure1.steps[-1]})" if s is None else f"{s}"

        rows.append(
            Claim(
                "figure1a",
                "With BN the network trains faster: it reaches a high test accuracy in "
                "fewer steps",
                "paper section 4.1, Figure 1(a)",
                f"steps to {_pct(accuracy_level)} test accuracy: {steps_text('plain')} "
                f"without BN, {steps_text('bn')} with BN; after {figure1.steps[-1]} "
                f"steps: {_pct(final['plain'])} vs {_pct(final['bn'])}",
                bool(faster),
            )
        )
        drift = figure1.drift()
        rows.append(
            Claim(
                "figure1bc",
                "With BN the distribution of a sigmoid's input changes less during "
                "training",
                "paper section 4.1, Figure 1(b, c)",
                f"the 15th/50th/85th percentiles move over a range of "
                f"{drift['plain']:.2f} without BN, {drift['bn']:.2f} with BN "
                f"(mean over the 100 last-layer sigmoids)",
                bool(drift["bn"] < drift["plain"]),
            )
        )
    if sweep is not None:
        _expect(sweep, LearningRateSweep, "sweep")
        best = {n: sweep.largest_trainable(n) for n in NETWORKS}
        only_bn = np.flatnonzero(sweep.trains("bn") & ~sweep.trains("plain"))
        holds = only_bn.size > 0 and (best["plain"] or 0.0) < (best["bn"] or 0.0)
        where = ""
        if only_bn.size:
            i = int(only_bn[0])
            where = (
                f"; at {sweep.learning_rates[i]:g} the plain network "
                f"{sweep.outcome('plain', i)} "
                f"({_pct(sweep.val_accuracy['plain'][i])}), the BN network reaches "
                f"{_pct(sweep.val_accuracy['bn'][i])}"
            )
        rows.append(
            Claim(
                "learning_rate",
                "BN permits a much higher learning rate (30x in the slides)",
                "slides; paper sections 3.3, 4.2.1-4.2.2",
                f"largest learning rate that trains (validation accuracy >= "
                f"{_pct(sweep.threshold)} after {sweep.config.get('steps')} steps): "
                f"{_lr(best['plain'])} without BN, {_lr(best['bn'])} with BN{where}",
                bool(holds),
            )
        )
    if timing is not None:
        _expect(timing, StepTime, "timing")
        rows.append(
            Claim(
                "cost",
                "BN adds about 30% to the time of a training step",
                "slides; the paper does not report BN's runtime (its only 30% "
                "belongs to another change of its Inception variant)",
                f"a step with BN takes {timing.ratio:.2f}x the plain step "
                f"({timing.extra_cost:+.0%}) for our CNN on this CPU",
                bool(timing.extra_cost <= max_extra_cost),
            )
        )
    if dropout is not None:
        _expect(dropout, DropoutResult, "dropout")
        v = dropout.val_accuracy
        rows.append(
            Claim(
                "dropout",
                "Removing dropout from a BN network improves validation accuracy",
                "slides; the paper (sections 3.4, 4.2.1) says only that removing "
                "dropout speeds training without increasing overfitting",
                f"validation accuracy {_pct(v['no dropout'])} without dropout, "
                f"{_pct(v['dropout'])} with Dropout({dropout.rate:g})",
                bool(dropout.improvement > 0),
            )
        )
    if regularizer is not None:
        _expect(regularizer, RegularizerResult, "regularizer")
        gap, v = regularizer.gap, regularizer.val_accuracy
        rows.append(
            Claim(
                "regularizer",
                "BN acts as a regularizer (it reduces overfitting)",
                "slides ('BN as a regularizer?'); paper section 3.4",
                f"train - validation accuracy gap {_pct(gap['plain'])} without BN, "
                f"{_pct(gap['bn'])} with BN ({regularizer.config.get('n_train')} "
                f"training images); validation accuracy {_pct(v['plain'])} vs "
                f"{_pct(v['bn'])}",
                bool(gap["bn"] < gap["plain"]),
            )
        )
    if not rows:
        raise ValueError("claims_table needs at least one result")
    return ClaimsTable(tuple(rows))
