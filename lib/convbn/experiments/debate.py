"""After the paper: does BN work by reducing internal covariate shift, and what
replaces it when batches are small (chapter 9).

* :func:`noisy_bn_experiment` -- Santurkar, Tsipras, Ilyas & Madry (2018), at small
  scale: BN followed by random shifts and scales that change at every step (so the
  distribution of the next layer's input moves *more* than without BN) still trains
  about as well as BN. It also measures their smoothness signal: how much the
  gradient changes, and how much the loss varies, along the gradient direction.
* :func:`noisy_bn_high_rate` -- the same three networks at a learning rate that
  stalls the plain network.
* :func:`small_batch_experiment` -- Wu & He (2018): BN against group normalization
  at batch sizes 2, 4, 8 and 32.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import as_number
from ._training import _accuracy, _keras, _quiet_tracing, _restore, _state
from .claims import _check_common, _cnn_config, _cnn_data
from .measures import TRAINS, _evaluate, _new_trainer

#: The three networks of the noisy-BN experiment.
NOISY_NETWORKS = ("plain", "bn", "noisy")


@dataclass(frozen=True)
class NoisyBNResult:
    """What :func:`noisy_bn_experiment` measured, per network (``"plain"``,
    ``"bn"``, ``"noisy"``).

    ``val_accuracy[name]``: after training (population statistics);
    ``loss[name]`` ``(steps,)``; ``shift[name]`` ``(P,)``: how far the distribution of
    the second convolution's input moved between consecutive probes (see
    :func:`noisy_bn_experiment`); ``prediction_error[name]``,
    ``gradient_change[name]`` and ``gradient_predictiveness[name]`` ``(C,)``: the
    smoothness measures at the steps ``checkpoints`` (plain and BN only); ``noise``;
    ``config``.
    """

    val_accuracy: dict
    loss: dict
    shift: dict
    checkpoints: np.ndarray
    prediction_error: dict
    gradient_change: dict
    gradient_predictiveness: dict
    noise: float
    config: dict = field(default_factory=dict)

    def mean_shift(self, name: str) -> float:
        """The mean step-to-step shift of ``name`` over the run."""
        return float(np.mean(self.shift[name]))


def _layer_input_stats(probe, x):
    """Per-channel mean and standard deviation of ``probe(x)`` in training mode."""
    out = np.asarray(probe(x, training=True), dtype=np.float64)
    out = out.reshape(-1, out.shape[-1])
    return out.mean(axis=0), out.std(axis=0)


class _ShiftProbe:
    """How far the distribution of the second convolution's input (``pool_1``'s
    output on ``x``, in training mode) moves between probes: the mean over channels
    of ``|change of mean| + |change of standard deviation|``, relative to the root
    mean square of the standard deviation at the first probe (made here, before any
    step). A probe leaves the model as it was (BN's moving statistics included)."""

    def __init__(self, keras, model, x):
        self.model, self.x = model, x
        self.layer = keras.Model(model.input, model.get_layer("pool_1").output)
        self.previous = self._stats()
        self.scale = np.sqrt(np.mean(self.previous[1] ** 2))  # the first probe's

    def _stats(self):
        state = _state(self.model)
        stats = _layer_input_stats(self.layer, self.x)
        _restore(self.model, state)
        return stats

    def moved(self) -> float:
        """The shift since the previous probe."""
        mu, sigma = self._stats()
        mu0, sigma0 = self.previous
        moved = np.mean(np.abs(mu - mu0) + np.abs(sigma - sigma0))
        self.previous = (mu, sigma)
        return moved / self.scale


def _smoothness(model, x, y, learning_rate, factors=(0.5, 1.0, 2.0)):
    """How well the gradient ``g`` at the current weights ``w`` predicts the loss
    along it, on the batch ``x, y``. For ``eta = learning_rate * f``:

    * prediction error ``|L(w - eta g) - (L(w) - eta |g|^2)| / (eta |g|^2)``: how far
      the loss change differs from the first-order prediction, relative to it;
    * gradient change ``|grad L(w - eta g) - g| / |g|``, relative;
    * gradient predictiveness ``|grad L(w) - grad L(w - eta g)|``, Santurkar et al.'s
      measure (their section 3.1), absolute.

    Returns the three means over ``factors``. The weights and moving statistics are put
    back afterwards."""
    keras = _keras()
    import tensorflow as tf

    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    weights = model.trainable_variables

    def loss_and_grads():
        with tf.GradientTape() as tape:
            loss = loss_fn(y, model(x, training=True))
        return float(loss), [np.asarray(g) for g in tape.gradient(loss, weights)]

    w0, state = [w.numpy().copy() for w in weights], _state(model)
    try:
        with _quiet_tracing():
            loss0, g0 = loss_and_grads()
            _restore(model, state)
            sq = sum(float(np.sum(g**2)) for g in g0)
            errors, changes, absolute = [], [], []
            for f in factors:
                eta = learning_rate * f
                for w, start, g in zip(weights, w0, g0, strict=True):
                    w.assign(start - eta * g)
                loss, grads = loss_and_grads()
                _restore(model, state)
                errors.append(abs(loss - (loss0 - eta * sq)) / (eta * sq))
                diff = sum(
                    float(np.sum((a - b) ** 2)) for a, b in zip(grads, g0, strict=True)
                )
                changes.append(np.sqrt(diff / sq))
                absolute.append(np.sqrt(diff))
    finally:
        for w, start in zip(weights, w0, strict=True):
            w.assign(start)
        _restore(model, state)
    return float(np.mean(errors)), float(np.mean(changes)), float(np.mean(absolute))


def noisy_bn_experiment(
    *,
    noise: float = 0.1,
    learning_rate: float = 0.1,
    steps: int = 300,
    probe_every: int = 1,
    check_every: int = 60,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> NoisyBNResult:
    """Santurkar et al. (2018)'s "noisy BN" and smoothness measures, at small scale.

    Introduced in chapter 9. Trains three versions of :func:`build_cnn` with the same
    initial weights and batches: without BN, with BN, and with BN followed by
    :func:`random_affine_layer`.

    *Internal covariate shift*, as a number: every ``probe_every`` steps (by default
    every step: the noise is drawn anew at every step, while a network's own drift
    adds up between probes, so only probes one step apart compare them fairly), the
    per-channel mean ``mu`` and standard deviation ``sigma`` of the second
    convolution's input on 256 fixed training images (training mode, as the next
    layer sees it during training); the shift between two probes is the mean over
    channels of ``|mu' - mu| + |sigma' - sigma|``, divided by the layer's scale (the
    root mean square of ``sigma`` at the first probe, before any step), so that it
    has no unit.

    *Smoothness*, every ``check_every`` steps, for the plain and BN networks: on the
    same 256 images, with ``g`` the gradient at the current weights ``w`` and ``eta``
    0.5, 1 and 2 times the learning rate, the *prediction error* ``|L(w - eta g) -
    (L(w) - eta |g|^2)| / (eta |g|^2)`` (how far the loss change along the gradient is
    from what the gradient predicts) and the relative *gradient change* ``|grad L(w -
    eta g) - g| / |g|``, and Santurkar et al.'s *gradient predictiveness* ``|grad
    L(w) - grad L(w - eta g)|``, each averaged over the three ``eta``. The prediction
    error is this course's proxy for smoothness; Santurkar et al. found the
    gradient more predictive with BN.

    The noise is :func:`random_affine_layer` (every activation scaled and shifted by
    its own random amounts, from a per-channel distribution drawn anew at every
    step; ``noise`` sets all four sizes).
    """
    keras = _keras()
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    noise = as_number(noise, "noise", positive=True, maximum=2.0)
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    probe_every = as_number(probe_every, "probe_every", integer=True, minimum=1)
    check_every = as_number(check_every, "check_every", integer=True, minimum=1)
    if check_every % probe_every:
        raise ValueError(
            f"check_every must be a multiple of probe_every = {probe_every}, "
            f"got {check_every}"
        )
    data = _cnn_data(n_train, n_val, seed)
    (x_train, y_train), _ = data
    x_probe, y_probe = x_train[:256], y_train[:256]
    networks = {
        "plain": dict(batch_norm=False),
        "bn": dict(batch_norm=True),
        "noisy": dict(batch_norm=True, noise=noise),
    }
    val, loss, shift, error, change, absolute = {}, {}, {}, {}, {}, {}
    checkpoints = np.arange(check_every, steps + 1, check_every)
    for name, options in networks.items():
        trainer = _new_trainer(data, learning_rate, batch_size, seed, **options)
        model = trainer.model
        probe = _ShiftProbe(keras, model, x_probe)
        shifts, losses, er, ch, ab = [], [], [], [], []
        for done in range(probe_every, steps + 1, probe_every):
            losses.append(trainer.train(probe_every))
            shifts.append(probe.moved())
            if name != "noisy" and done % check_every == 0:
                e, c, a = _smoothness(model, x_probe, y_probe, learning_rate)
                er.append(e)
                ch.append(c)
                ab.append(a)
        rest = steps % probe_every
        if rest:
            losses.append(trainer.train(rest))
        loss[name] = np.concatenate(losses)
        shift[name] = np.array(shifts)
        val[name] = _evaluate(model, data)["val"]
        if name != "noisy":
            error[name], change[name] = np.array(er), np.array(ch)
            absolute[name] = np.array(ab)
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return NoisyBNResult(
        val, loss, shift, checkpoints, error, change, absolute, float(noise), config
    )


@dataclass(frozen=True)
class NoisyHighRateResult:
    """What :func:`noisy_bn_high_rate` measured, per network (``"plain"``, ``"bn"``,
    ``"noisy"``): ``val_accuracy[name]`` (population statistics), ``outcome[name]``
    (``"trains"``, ``"stalls"`` or ``"diverges"``, as :func:`learning_rate_interval`
    decides), ``shift[name]``: the mean step-to-step shift of the second
    convolution's input (as :func:`noisy_bn_experiment` measures it; NaN after a
    divergence); ``learning_rate``; ``noise``; ``config``."""

    val_accuracy: dict
    outcome: dict
    shift: dict
    learning_rate: float
    noise: float
    config: dict = field(default_factory=dict)


def noisy_bn_high_rate(
    *,
    learning_rate: float = 1.0,
    noise: float = 0.1,
    steps: int = 200,
    probe_every: int = 1,
    batch_size: int = 64,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> NoisyHighRateResult:
    """Noisy BN where BN's advantage is large: at a learning rate the plain network
    cannot use.

    Introduced in chapter 9. The three networks of :func:`noisy_bn_experiment`
    (without BN, with BN, with BN and :func:`random_affine_layer` noise), the same
    initial weights and batches, trained for ``steps`` SGD steps at
    ``learning_rate``, with the settings of :func:`learning_rate_interval`'s runs
    (200 steps, batches of 64) but run anew. At a rate of 1.0 those runs stalled
    the plain network and trained the BN one in every seed of chapter 9. A run
    *trains* if its validation accuracy (population statistics) reaches 0.5,
    *diverges* if its loss stops being finite, and *stalls* otherwise. The shift is
    measured as in :func:`noisy_bn_experiment`, but by default at every step: the
    noise is drawn anew at every step, while a network's own drift adds up over the
    steps between two probes, so only probes one step apart compare the two fairly.
    If BN helped only by keeping layer inputs steady, the noisy network, whose
    inputs move more, should stall with the plain one.
    """
    keras = _keras()
    steps, batch_size, seed, n_train, n_val = _check_common(
        steps, batch_size, seed, n_train, n_val
    )
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    noise = as_number(noise, "noise", positive=True, maximum=2.0)
    probe_every = as_number(probe_every, "probe_every", integer=True, minimum=1)
    data = _cnn_data(n_train, n_val, seed)
    x_probe = data[0][0][:256]
    networks = {
        "plain": dict(batch_norm=False),
        "bn": dict(batch_norm=True),
        "noisy": dict(batch_norm=True, noise=noise),
    }
    val, outcome, shift = {}, {}, {}
    for name, options in networks.items():
        trainer = _new_trainer(data, learning_rate, batch_size, seed, **options)
        model = trainer.model
        probe = _ShiftProbe(keras, model, x_probe)
        shifts, finite, done = [], True, 0
        while finite and done < steps:
            k = min(probe_every, steps - done)
            finite = bool(np.all(np.isfinite(trainer.train(k))))
            done += k
            if finite:
                shifts.append(probe.moved())
        val[name] = _evaluate(model, data)["val"] if finite else 0.1
        trains = val[name] >= TRAINS
        outcome[name] = "diverges" if not finite else ("trains" if trains else "stalls")
        shift[name] = float(np.mean(shifts)) if finite and shifts else float("nan")
    config = _cnn_config(
        steps, batch_size, seed, n_train, n_val, learning_rate=learning_rate
    )
    return NoisyHighRateResult(
        val, outcome, shift, float(learning_rate), float(noise), config
    )


@dataclass(frozen=True)
class SmallBatchResult:
    """What :func:`small_batch_experiment` measured.

    ``batch_sizes`` ``(B,)``; for ``"bn"`` and ``"gn"`` (batch and group
    normalization): ``val_accuracy[norm]`` ``(B,)`` in inference mode as Keras
    evaluates by default (BN with its moving averages) and
    ``val_accuracy_population[norm]`` with Algorithm 2's population statistics (the
    same for GN, which has none); ``final_loss[norm]`` ``(B,)``: the mean training
    loss over the last 10% of the steps; ``config``.
    """

    batch_sizes: np.ndarray
    val_accuracy: dict
    val_accuracy_population: dict
    final_loss: dict
    config: dict = field(default_factory=dict)

    def advantage(self) -> np.ndarray:
        """``(B,)``: GN's validation accuracy minus BN's, per batch size."""
        return self.val_accuracy["gn"] - self.val_accuracy["bn"]


def small_batch_experiment(
    batch_sizes=(2, 4, 8, 32),
    *,
    steps: int = 600,
    learning_rate: float = 0.05,
    groups: int = 4,
    seed: int = 0,
    n_train: int = 4000,
    n_val: int = 1000,
) -> SmallBatchResult:
    """Batch against group normalization at small batch sizes (Wu & He 2018).

    Introduced in chapter 9. For each batch size ``B``, trains :func:`build_cnn` with
    BN and with ``GroupNormalization(groups)`` in its place (same initial weights and
    batches), ``steps`` SGD steps at ``learning_rate`` (the same at every batch size,
    so that BN's moving averages, momentum 0.99, are equally fresh after the run;
    the larger batches see more images), and measures the validation accuracy as
    Keras evaluates by default (BN with its moving averages) and with population
    statistics. The comparison that matters is BN against GN at the same batch size.
    """
    batch_sizes = [
        int(as_number(b, "batch_sizes", integer=True, minimum=2)) for b in batch_sizes
    ]
    if not batch_sizes:
        raise ValueError("batch_sizes must not be empty")
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    groups = as_number(groups, "groups", integer=True, minimum=1)
    steps, _, seed, n_train, n_val = _check_common(
        steps, max(batch_sizes), seed, n_train, n_val
    )
    data = _cnn_data(n_train, n_val, seed)
    (_, _), (x_val, y_val) = data
    val = {"bn": [], "gn": []}
    population = {"bn": [], "gn": []}
    final = {"bn": [], "gn": []}
    for b in batch_sizes:
        for norm, kind in (("bn", "batch"), ("gn", "group")):
            trainer = _new_trainer(
                data,
                learning_rate,
                b,
                seed,
                batch_norm=True,
                normalization=kind,
                groups=groups,
            )
            losses = trainer.train(steps)
            final[norm].append(float(np.mean(losses[-max(steps // 10, 1) :])))
            val[norm].append(_accuracy(trainer.model, x_val, y_val))
            population[norm].append(_evaluate(trainer.model, data)["val"])
    config = dict(
        steps=steps,
        learning_rate=learning_rate,
        groups=groups,
        optimizer="SGD",
        seed=seed,
        n_train=n_train,
        n_val=n_val,
    )
    return SmallBatchResult(
        np.array(batch_sizes),
        {k: np.array(v) for k, v in val.items()},
        {k: np.array(v) for k, v in population.items()},
        {k: np.array(v) for k, v in final.items()},
        config,
    )
