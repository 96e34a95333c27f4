"""What every experiment shares: the two networks, seeded data, a training loop
that runs one SGD step at a time, accuracy, and population statistics."""

from __future__ import annotations

import contextlib
import functools
import logging

import numpy as np

from .._validation import as_choice, as_number

#: The keys of the two networks every experiment compares (without and with BN).
NETWORKS = ("plain", "bn")
#: The percentiles of Figure 1(b, c).
PERCENTILES = (15, 50, 85)


# --- building blocks ---------------------------------------------------------------


def _keras():
    from .._tf import import_keras

    return import_keras()


def _seed(seed) -> int:
    return as_number(seed, "seed", integer=True, nonnegative=True)


@functools.lru_cache(maxsize=4)
def _load(n_train: int, n_test: int, seed: int):
    """The MNIST split, cached (read-only arrays: the runs only index them)."""
    from ..datasets import load_mnist

    split = load_mnist(n_train=n_train, n_test=n_test, seed=seed)
    for array in (*split[0], *split[1]):
        array.flags.writeable = False
    return split


@contextlib.contextmanager
def _quiet_tracing():
    """Hide TensorFlow's "triggered tf.function retracing" warning.

    Every run compiles a new training step from the same Python function, which
    TensorFlow counts as retracing and warns about on stderr; here that is intended.
    """
    logger = logging.getLogger("tensorflow")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def build_mlp(batch_norm: bool, *, init_std: float = 0.05, seed: int = 0):
    """The paper's MNIST network (section 4.1): 784 -> 3 x 100 sigmoid -> 10 logits.

    Introduced in chapter 9. Input ``(N, 784)`` (flattened 28 x 28 images), output
    ``(N, 10)`` logits (the softmax is in the loss). Each hidden layer is
    ``Dense(100) -> sigmoid``; with ``batch_norm=True`` it is ``Dense(100,
    use_bias=False) -> BatchNormalization -> sigmoid`` (the bias is redundant: BN's
    beta replaces it). All weights start as small Gaussian values, ``N(0,
    init_std**2)``, biases at 0. Layers are named ``dense_i``, ``bn_i`` and
    ``sigmoid_i`` (i = 1, 2, 3) and ``logits``; the input of ``sigmoid_3`` is what
    :func:`mnist_experiment` probes.
    """
    keras = _keras()
    init_std = as_number(init_std, "init_std", positive=True)
    seed = _seed(seed)
    layers = keras.layers
    x = inputs = keras.Input((784,), name="pixels")
    for i in range(1, 4):
        init = keras.initializers.RandomNormal(stddev=init_std, seed=seed + i)
        if batch_norm:
            z = layers.Dense(
                100, use_bias=False, kernel_initializer=init, name=f"dense_{i}"
            )(x)
            z = layers.BatchNormalization(name=f"bn_{i}")(z)
        else:
            z = layers.Dense(100, kernel_initializer=init, name=f"dense_{i}")(x)
        x = layers.Activation("sigmoid", name=f"sigmoid_{i}")(z)
    init = keras.initializers.RandomNormal(stddev=init_std, seed=seed + 4)
    logits = layers.Dense(10, kernel_initializer=init, name="logits")(x)
    name = "mlp_bn" if batch_norm else "mlp_plain"
    return keras.Model(inputs, logits, name=name)


def build_cnn(
    batch_norm: bool,
    *,
    filters=(8, 16, 32),
    dropout: float = 0.0,
    seed: int = 0,
    normalization: str = "batch",
    groups: int = 4,
    noise: float = 0.0,
):
    """The small convolutional network of chapter 9's claims.

    Introduced in chapter 9. Input ``(N, 28, 28, 1)``, output ``(N, 10)`` logits.
    One block per entry of ``filters``: ``Conv2D(f, 3, padding="same") -> ReLU ->
    MaxPooling2D(2)``, with ``BatchNormalization`` between the convolution and the
    ReLU when ``batch_norm`` (the convolution then has no bias); then global average
    pooling, ``Dropout(dropout)`` if ``dropout > 0``, and ``Dense(10)``. The
    convolutions start from He-normal weights (the careful initialization for ReLU
    networks that the plain network needs), the last layer from Glorot-uniform
    weights, all seeded: the same ``seed`` gives the same initial weights with and
    without BN.

    Options for the rest of chapter 9, used only when ``batch_norm``:
    ``normalization="group"`` puts ``GroupNormalization(groups)`` where BN would be
    (every entry of ``filters`` must be divisible by ``groups``); ``noise > 0`` adds,
    after each BN layer, the "noisy BN" of Santurkar et al. (2018): in training mode
    every activation is scaled and shifted by its own random amounts, from a
    distribution drawn anew at every step (:func:`random_affine_layer`); in
    inference mode the noise is off.
    """
    keras = _keras()
    dropout = as_number(dropout, "dropout", minimum=0.0, maximum=0.95)
    seed = _seed(seed)
    filters = tuple(
        int(as_number(f, "filters", integer=True, minimum=1)) for f in filters
    )
    normalization = as_choice(normalization, "normalization", ("batch", "group"))
    groups = as_number(groups, "groups", integer=True, minimum=1)
    noise = as_number(noise, "noise", minimum=0.0, maximum=2.0)
    if batch_norm and normalization == "group":
        bad = [f for f in filters if f % groups]
        if bad:
            raise ValueError(
                f"filters {bad} are not divisible by groups = {groups} (group "
                "normalization splits each layer's channels into equal groups)"
            )
    layers = keras.layers
    x = inputs = keras.Input((28, 28, 1), name="images")
    for i, f in enumerate(filters, start=1):
        init = keras.initializers.HeNormal(seed=seed + i)
        x = layers.Conv2D(
            f,
            3,
            padding="same",
            use_bias=not batch_norm,
            kernel_initializer=init,
            name=f"conv_{i}",
        )(x)
        if batch_norm and normalization == "group":
            x = layers.GroupNormalization(groups, name=f"gn_{i}")(x)
        elif batch_norm:
            x = layers.BatchNormalization(name=f"bn_{i}")(x)
            if noise > 0:
                x = random_affine_layer(noise, seed=seed + 10 * i, name=f"noise_{i}")(x)
        x = layers.ReLU(name=f"relu_{i}")(x)
        x = layers.MaxPooling2D(2, name=f"pool_{i}")(x)
    x = layers.GlobalAveragePooling2D(name="average")(x)
    if dropout > 0:
        x = layers.Dropout(dropout, seed=seed, name="dropout")(x)
    init = keras.initializers.GlorotUniform(seed=seed)
    logits = layers.Dense(10, kernel_initializer=init, name="logits")(x)
    kind = {"batch": "bn", "group": "gn"}[normalization] if batch_norm else "plain"
    kind += "_noisy" if batch_norm and noise > 0 and normalization == "batch" else ""
    name = f"cnn_{kind}" + ("_dropout" if dropout else "")
    return keras.Model(inputs, logits, name=name)


@functools.lru_cache(maxsize=1)
def _random_affine_class():
    keras = _keras()

    class RandomAffine(keras.layers.Layer):
        """Noise on every activation, from a distribution that changes each step."""

        def __init__(self, noise, seed=0, **kwargs):
            super().__init__(**kwargs)
            self.noise = float(noise)
            self.seed = int(seed)
            self.generator = keras.random.SeedGenerator(self.seed)

        def call(self, x, training=False):
            if not training:
                return x
            normal = keras.random.normal
            channels = (x.shape[-1],)
            # this step's distribution, per channel: scale exp(n a), mean shift n b
            scale = keras.ops.exp(self.noise * normal(channels, seed=self.generator))
            shift = self.noise * normal(channels, seed=self.generator)
            # each activation's own scale and shift, i.i.d. from that distribution
            shape = keras.ops.shape(x)
            s = scale * (1.0 + self.noise * normal(shape, seed=self.generator))
            m = shift + self.noise * normal(shape, seed=self.generator)
            return x * s + m

        def get_config(self):
            return {**super().get_config(), "noise": self.noise, "seed": self.seed}

    return RandomAffine


def random_affine_layer(noise: float, *, seed: int = 0, name: str | None = None):
    """The "noisy BN" layer of Santurkar et al. (2018), for chapter 9.

    Introduced in chapter 9. A Keras layer with no weights. In training mode, at
    every call (every step) it first draws this step's noise distribution for each
    channel c (the last axis): a scale ``S_c = exp(noise * a_c)`` and a mean shift
    ``M_c = noise * b_c``, ``a_c, b_c ~ N(0, 1)``. Then every activation ``x`` of
    channel c, in every example and position, gets its own scale and shift, drawn
    i.i.d.: ``x * S_c * (1 + noise * e1) + M_c + noise * e2`` with ``e1, e2 ~ N(0,
    1)``. So the noise has a non-zero mean and a non-unit variance that change at
    every step, as in Santurkar et al.'s section 2.1 (their appendix's exact
    distributions are not reproduced). In inference mode it returns ``x``.
    """
    noise = as_number(noise, "noise", minimum=0.0)
    return _random_affine_class()(noise, seed=_seed(seed), name=name)


def _state(model) -> list:
    """The model's non-trainable variables (BN's moving statistics), as arrays."""
    return [v.numpy().copy() for v in model.non_trainable_variables]


def _restore(model, state) -> None:
    for v, value in zip(model.non_trainable_variables, state, strict=True):
        v.assign(value)


def dead_fraction(model, x) -> float:
    """The fraction of ReLU channels that output 0 for every image of ``x``.

    Introduced in chapter 9. For each ``ReLU`` layer of ``model`` (inference mode) a
    channel is *dead* when its output is 0 at every position of every image of ``x``:
    its gradient is then 0 too, and SGD cannot revive it. Returns dead channels /
    all ReLU channels (0 when the model has no ReLU layer).
    """
    keras = _keras()
    relus = [layer for layer in model.layers if isinstance(layer, keras.layers.ReLU)]
    if not relus:
        return 0.0
    probe = keras.Model(model.input, [layer.output for layer in relus])
    outputs = probe(x, training=False)
    dead = total = 0
    for out in outputs:
        out = np.asarray(out)
        alive = np.any(out.reshape(-1, out.shape[-1]) > 0, axis=0)
        dead += int(np.sum(~alive))
        total += alive.size
    return dead / total


def _batches(n: int, batch_size: int, rng: np.random.Generator):
    """Index arrays of mini-batches, reshuffled every epoch (drops the remainder)."""
    while True:
        order = rng.permutation(n)
        for start in range(0, n - batch_size + 1, batch_size):
            yield order[start : start + batch_size]


class _Trainer:
    """One model, its SGD optimizer, a compiled training step and its data.

    ``train(n)`` runs the next ``n`` steps on mini-batches of ``batch_size`` drawn
    without replacement from ``(x, y)``, reshuffled every epoch by a generator
    seeded with ``seed``.
    """

    def __init__(self, model, learning_rate: float, x, y, batch_size: int, seed: int):
        keras = _keras()
        import tensorflow as tf

        self.model, self.x, self.y, self.batch_size = model, x, y, batch_size
        self.optimizer = keras.optimizers.SGD(learning_rate)
        self.batches = _batches(len(x), batch_size, np.random.default_rng(seed))
        loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)

        @tf.function(reduce_retracing=True)
        def step(x, y):
            with tf.GradientTape() as tape:
                loss = loss_fn(y, model(x, training=True))
            weights = model.trainable_variables
            grads = tape.gradient(loss, weights)
            self.optimizer.apply_gradients(zip(grads, weights, strict=True))
            return loss

        def quiet_step(x, y):
            with _quiet_tracing():
                return step(x, y)

        self.step = quiet_step

    def restart(self, weights, learning_rate: float, seed: int) -> None:
        """Back to ``weights`` (``model.get_weights()``, moving statistics included)
        with a new learning rate and a fresh batch order; the compiled step is kept."""
        self.model.set_weights(weights)
        self.optimizer.learning_rate = learning_rate
        self.batches = _batches(
            len(self.x), self.batch_size, np.random.default_rng(seed)
        )

    def train(self, steps: int) -> np.ndarray:
        """Run ``steps`` SGD steps; return the training loss of each (float64)."""
        losses = np.empty(steps)
        for i in range(steps):
            idx = next(self.batches)
            losses[i] = float(self.step(self.x[idx], self.y[idx]))
        return losses


def _accuracy(model, x, y, batch_size: int = 500) -> float:
    """Inference-mode accuracy (moving statistics in the BN layers)."""
    correct = 0
    for start in range(0, len(x), batch_size):
        logits = np.asarray(model(x[start : start + batch_size], training=False))
        correct += int(
            np.sum(np.argmax(logits, axis=1) == y[start : start + batch_size])
        )
    return correct / len(x)


#: The attribute that makes each random layer the identity when set to 0.
_RANDOM_ATTRIBUTES = {
    "Dropout": "rate",
    "SpatialDropout1D": "rate",
    "SpatialDropout2D": "rate",
    "SpatialDropout3D": "rate",
    "GaussianDropout": "rate",
    "GaussianNoise": "stddev",
    "RandomAffine": "noise",
}


def _all_layers(model):
    for layer in model.layers:
        yield layer
        if hasattr(layer, "layers"):  # a nested model
            yield from _all_layers(layer)


@contextlib.contextmanager
def _randomness_off(model):
    """Dropout, noise and :func:`random_affine_layer` as the identity (eager calls)."""
    saved = []
    for layer in _all_layers(model):
        attribute = _RANDOM_ATTRIBUTES.get(type(layer).__name__)
        if attribute is not None:
            saved.append((layer, attribute, getattr(layer, attribute)))
            setattr(layer, attribute, 0.0)
    try:
        yield
    finally:
        for layer, attribute, value in saved:
            setattr(layer, attribute, value)


def set_population_statistics(model, x) -> int:
    """Algorithm 2 for a Keras model: set every BN layer's moving statistics.

    Introduced in chapter 9. Runs ``x`` (a large sample of training inputs, one
    batch) through ``model`` in training mode, so that every BN layer normalises
    with the statistics of ``x`` itself, and sets each ``BatchNormalization``
    layer's ``moving_mean`` to the mean of its input and ``moving_variance`` to the
    unbiased variance (``m / (m - 1)`` times the biased one,
    :func:`convbn.batchnorm.population_statistics`), over every axis but the last.
    After a short run, Keras's moving averages (momentum 0.99) still remember the
    untrained network; these population statistics do not. Layers that are random
    in training mode and off in inference (Dropout, GaussianDropout, GaussianNoise,
    the noise of :func:`random_affine_layer`) are switched off for this pass, so that
    each BN layer gets the statistics of the inputs it sees in inference. Returns the
    number of BN layers updated.
    """
    keras = _keras()
    from .._validation import as_float_array
    from ..batchnorm import batch_statistics, population_statistics

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    x = as_float_array(x, "x", ndim=(2, 3, 4))
    if len(x) < 2:
        raise ValueError(f"x must hold at least 2 examples, got {len(x)}")

    bn_layers = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not bn_layers:
        return 0
    if not model.built or not model.inputs:
        model(x[:1])  # a Sequential model gets its inputs when first called
    inputs = model.inputs[0] if len(model.inputs) == 1 else model.inputs
    probe = keras.Model(inputs, [layer.input for layer in bn_layers])
    with _randomness_off(model):
        values = probe(x, training=True)  # each BN layer normalises with this batch
    if len(bn_layers) == 1:  # a one-output model returns the tensor itself
        values = [values]
    for layer, value in zip(bn_layers, values, strict=True):
        value = np.asarray(value, dtype=np.float64)
        mean, var = batch_statistics(value)
        mean, var = population_statistics(
            mean[None], var[None], value.size // len(mean)
        )
        layer.moving_mean.assign(mean.astype(np.float32))
        layer.moving_variance.assign(var.astype(np.float32))
    return len(bn_layers)
