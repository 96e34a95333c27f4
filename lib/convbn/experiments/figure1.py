"""Section 4.1 and Figure 1 of Ioffe & Szegedy (2015): the paper's MNIST
experiment (chapter 9)."""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np

from .._validation import as_choice, as_number
from ._training import (
    NETWORKS,
    PERCENTILES,
    _keras,
    _load,
    _quiet_tracing,
    _restore,
    _seed,
    _state,
    _Trainer,
    build_mlp,
)

# --- Figure 1: the paper's MNIST experiment ----------------------------------------


@dataclass(frozen=True)
class Figure1Result:
    """What :func:`mnist_experiment` measured, per network (keys ``"plain"``, ``"bn"``).

    ``steps`` ``(K,)``: the training steps at which the networks were evaluated;
    ``accuracy[name]`` ``(K,)``: test accuracy there (inference mode);
    ``percentiles[name]`` ``(K, 3, 100)``: the 15th, 50th and 85th percentiles, over
    the test images, of the input to each of the 100 last-hidden-layer sigmoids;
    ``loss[name]`` ``(steps,)``: the training loss of every step; ``unit``: the
    sigmoid Figure 1(b, c) shows by default; ``seconds[name]``: wall-clock time of
    the training and the evaluations; ``config``: the settings of the run.
    """

    steps: np.ndarray
    accuracy: dict
    percentiles: dict
    loss: dict
    unit: int
    seconds: dict
    config: dict = field(default_factory=dict)

    def steps_to_reach(self, accuracy: float) -> dict:
        """The first evaluated step at which each network's test accuracy reaches
        ``accuracy`` (``None`` if it never does)."""
        out = {}
        for name in NETWORKS:
            hit = np.flatnonzero(self.accuracy[name] >= accuracy)
            out[name] = int(self.steps[hit[0]]) if hit.size else None
        return out

    def drift(self, after_step: int = 0) -> dict:
        """How far the sigmoid inputs' percentiles move after ``after_step``.

        For each network: the range (max - min over the evaluations at steps >=
        ``after_step``) of each percentile of each unit, averaged over the 3
        percentiles and the 100 units. Figure 1(b, c) in one number: small when the
        distribution of a sigmoid's input stays put.
        """
        keep = self.steps >= after_step
        out = {}
        for name in NETWORKS:
            p = self.percentiles[name][keep]
            out[name] = float(np.mean(p.max(axis=0) - p.min(axis=0)))
        return out


def mnist_experiment(
    steps: int = 3000,
    *,
    eval_every: int = 50,
    batch_size: int = 60,
    learning_rate: float = 1.0,
    init_std: float = 0.05,
    unit: int = 0,
    seed: int = 0,
    n_train: int = 4000,
    n_test: int = 1000,
    percentile_mode: str = "training",
) -> Figure1Result:
    """Section 4.1 of Ioffe & Szegedy (2015): MNIST with and without BN (Figure 1).

    Introduced in chapter 9. Trains :func:`build_mlp` twice -- without and with batch
    normalization, same initial weights and same mini-batches -- for ``steps``
    mini-batches of ``batch_size`` = 60 images (the paper's size) with the softmax
    cross-entropy loss. Every ``eval_every`` steps (and at step 0) it records the
    test accuracy (inference mode) and, over the test images, the 15th, 50th and 85th
    percentiles of the input to each sigmoid of the last hidden layer. For BN that
    input is BN's output; with ``percentile_mode="training"`` (the default, as in the
    paper's figure, which shows the network as it trains) BN normalizes it with the
    statistics of the 1,000 test images as one batch, with ``"inference"`` with its
    moving averages. ``seconds`` includes these evaluations.

    The paper trains 50,000 steps on the 60,000 MNIST images and does not give the
    optimizer, learning rate or weight scale. **Ours**: plain SGD with learning rate
    ``learning_rate`` = 1.0, weights drawn from N(0, 0.05**2), biases 0, Keras's
    BatchNormalization defaults (momentum 0.99, epsilon 1e-3), 3,000 steps on the
    4,000-image training subset (45 epochs), test on the 1,000 held-out images.
    """
    keras = _keras()
    import tensorflow as tf

    steps = as_number(steps, "steps", integer=True, minimum=1)
    eval_every = as_number(eval_every, "eval_every", integer=True, minimum=1)
    batch_size = as_number(batch_size, "batch_size", integer=True, minimum=2)
    learning_rate = as_number(learning_rate, "learning_rate", positive=True)
    init_std = as_number(init_std, "init_std", positive=True)
    unit = as_number(unit, "unit", integer=True, minimum=0, maximum=99)
    percentile_mode = as_choice(
        percentile_mode, "percentile_mode", ("training", "inference")
    )
    seed = _seed(seed)
    (x_train, y_train), (x_test, y_test) = _load(n_train, n_test, seed)
    if batch_size > len(x_train):
        raise ValueError(
            f"batch_size must be at most n_train = {len(x_train)}, got {batch_size}"
        )
    x_train = x_train.reshape(len(x_train), -1)
    x_test = x_test.reshape(len(x_test), -1)
    at = np.arange(0, steps + 1, eval_every)
    if at[-1] != steps:
        at = np.append(at, steps)

    accuracy, percentiles, losses, seconds = {}, {}, {}, {}
    for name in NETWORKS:
        keras.utils.set_random_seed(seed)
        model = build_mlp(name == "bn", init_std=init_std, seed=seed)
        sigmoid_input = model.get_layer("sigmoid_3").input
        probe = keras.Model(model.input, [model.output, sigmoid_input])
        evaluate = tf.function(lambda x, probe=probe: probe(x, training=False))
        # Figure 1(b, c) as the paper shows it: the sigmoid inputs in training mode
        # (BN normalizes with the statistics of the batch), on the test images; the
        # moving statistics that call updates are put back.
        sigmoid_in = keras.Model(model.input, sigmoid_input)
        in_training = tf.function(lambda x, m=sigmoid_in: m(x, training=True))
        trainer = _Trainer(model, learning_rate, x_train, y_train, batch_size, seed)
        acc, pct, loss = [], [], []
        start = time.perf_counter()
        for k, step in enumerate(at):
            if k:
                loss.append(trainer.train(int(step - at[k - 1])))
            with _quiet_tracing():
                logits, z = evaluate(x_test)
                if name == "bn" and percentile_mode == "training":
                    state = _state(model)
                    z = in_training(x_test)
                    _restore(model, state)
            acc.append(float(np.mean(np.argmax(logits, axis=1) == y_test)))
            pct.append(np.percentile(np.asarray(z), PERCENTILES, axis=0))
        seconds[name] = time.perf_counter() - start
        losses[name] = np.concatenate(loss) if loss else np.empty(0)
        accuracy[name] = np.array(acc)
        percentiles[name] = np.array(pct)
    config = dict(
        steps=steps,
        eval_every=eval_every,
        batch_size=batch_size,
        learning_rate=learning_rate,
        init_std=init_std,
        optimizer="SGD",
        seed=seed,
        n_train=len(x_train),
        n_test=len(x_test),
        percentile_mode=percentile_mode,
    )
    return Figure1Result(at, accuracy, percentiles, losses, unit, seconds, config)
