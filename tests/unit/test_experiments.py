"""convbn.experiments: the training runs of chapter 9, on tiny settings.

Each run here trains for a few steps on a few hundred images: enough to check shapes,
reproducibility (same seed, same numbers), the evaluation with population statistics
and the claims table's consistency with the numbers it reports. Whether the claims
hold over several seeds is decided in the committed results file, which
test_seeded_claims.py checks and re-runs.
"""

import numpy as np
import pytest

import convbn
from convbn import batchnorm, experiments

TINY = {"n_train": 240, "n_val": 100}


@pytest.fixture(scope="module")
def keras():
    return convbn.import_keras()


# --- the networks ---------------------------------------------------------------------


def count(weights):
    return sum(int(np.prod(w.shape)) for w in weights)


def test_build_mlp_is_the_papers_network(keras):
    plain = experiments.build_mlp(False)
    bn = experiments.build_mlp(True)
    assert plain.input_shape == bn.input_shape == (None, 784)
    assert plain.output_shape == bn.output_shape == (None, 10)
    assert count(plain.trainable_weights) == 784 * 100 + 100 + 2 * 10100 + 1010
    assert count(plain.non_trainable_weights) == 0
    # BN: no Dense bias, gamma and beta trainable, moving mean and variance not
    assert count(bn.trainable_weights) == count(plain.trainable_weights) + 300
    assert count(bn.non_trainable_weights) == 600
    kinds = [type(layer).__name__ for layer in bn.layers[1:4]]
    assert kinds == ["Dense", "BatchNormalization", "Activation"]
    assert not bn.get_layer("dense_1").use_bias
    assert bn.get_layer("sigmoid_3").get_config()["activation"] == "sigmoid"


def test_build_mlp_starts_from_small_gaussian_weights(keras):
    model = experiments.build_mlp(True, init_std=0.05, seed=3)
    kernel = model.get_layer("dense_2").kernel.numpy()
    assert abs(kernel.std() - 0.05) < 0.005 and abs(kernel.mean()) < 0.005
    same = experiments.build_mlp(False, init_std=0.05, seed=3)
    assert np.array_equal(kernel, same.get_layer("dense_2").kernel.numpy())


def test_build_cnn_blocks(keras):
    bn = experiments.build_cnn(True, dropout=0.5)
    plain = experiments.build_cnn(False)
    assert bn.output_shape == plain.output_shape == (None, 10)
    names = [layer.name for layer in bn.layers]
    assert names[1:5] == ["conv_1", "bn_1", "relu_1", "pool_1"]
    assert "dropout" in names and "dropout" not in [x.name for x in plain.layers]
    assert not bn.get_layer("conv_1").use_bias and plain.get_layer("conv_1").use_bias
    start = [
        np.array_equal(a.numpy(), b.numpy())
        for a, b in zip(
            bn.get_layer("conv_2").weights[:1],
            plain.get_layer("conv_2").weights[:1],
            strict=True,
        )
    ]
    assert all(start)  # same initial kernels with and without BN


@pytest.mark.parametrize(
    ("build", "kwargs", "error", "match"),
    [
        (experiments.build_mlp, {"init_std": 0.0}, ValueError, "init_std must be > 0"),
        (experiments.build_mlp, {"seed": -1}, ValueError, "seed must be >= 0"),
        (experiments.build_cnn, {"dropout": 1.0}, ValueError, "dropout must be <="),
        (experiments.build_cnn, {"filters": (8, 0)}, ValueError, "filters must be"),
        (experiments.build_cnn, {"seed": 1.5}, TypeError, "seed must be an integer"),
    ],
)
def test_builders_reject_bad_arguments(keras, build, kwargs, error, match):
    with pytest.raises(error, match=match):
        build(True, **kwargs)


def test_set_population_statistics_is_algorithm_2(keras):
    model = experiments.build_cnn(True, filters=(4, 6))
    x = np.random.default_rng(0).uniform(size=(50, 28, 28, 1)).astype("float32")
    assert experiments.set_population_statistics(model, x) == 2
    probe = keras.Model(model.input, model.get_layer("conv_1").output)
    z = np.asarray(probe(x), dtype=np.float64)
    m = z.size // z.shape[-1]
    layer = model.get_layer("bn_1")
    assert np.allclose(layer.moving_mean.numpy(), z.mean(axis=(0, 1, 2)), atol=1e-5)
    unbiased = z.var(axis=(0, 1, 2)) * m / (m - 1)
    assert np.allclose(layer.moving_variance.numpy(), unbiased, rtol=1e-4)
    # second layer: its input computed with the batch statistics of the first
    probe2 = keras.Model(model.input, model.get_layer("conv_2").output)
    z2 = np.asarray(probe2(x, training=True), dtype=np.float64)
    mean2, var2 = batchnorm.population_statistics(
        z2.mean(axis=(0, 1, 2))[None], z2.var(axis=(0, 1, 2))[None], z2.size // 6
    )
    assert np.allclose(model.get_layer("bn_2").moving_mean.numpy(), mean2, atol=1e-4)
    assert np.allclose(model.get_layer("bn_2").moving_variance.numpy(), var2, rtol=1e-3)
    assert experiments.set_population_statistics(experiments.build_cnn(False), x) == 0


def test_set_population_statistics_switches_random_layers_off(keras):
    """The statistics are those of the inputs BN sees in inference: no dropout, no
    noise (the noisy-BN network of chapter 9 once got one noise draw in them)."""
    x = np.random.default_rng(1).uniform(size=(64, 28, 28, 1)).astype("float32")
    noisy = experiments.build_cnn(True, filters=(4, 6), noise=0.5)
    experiments.set_population_statistics(noisy, x)
    first = noisy.get_layer("bn_2").moving_mean.numpy().copy()
    experiments.set_population_statistics(noisy, x)
    assert np.array_equal(first, noisy.get_layer("bn_2").moving_mean.numpy())
    assert noisy.get_layer("noise_1").noise == 0.5  # put back
    inputs = keras.Input((5,))
    h = keras.layers.Dropout(0.5)(inputs)
    h = keras.layers.GaussianNoise(1.0)(h)
    model = keras.Model(inputs, keras.layers.BatchNormalization(name="bn")(h))
    ones = np.ones((40, 5), dtype="float32")
    experiments.set_population_statistics(model, ones)
    assert np.allclose(model.get_layer("bn").moving_variance.numpy(), 0.0)
    assert np.allclose(model.get_layer("bn").moving_mean.numpy(), 1.0)
    assert model.layers[1].rate == 0.5 and model.layers[2].stddev == 1.0


@pytest.mark.parametrize(
    ("model", "x", "error", "match"),
    [
        ("cnn", np.zeros((1, 28, 28, 1)), ValueError, "at least 2 examples"),
        ("cnn", np.full((3, 28, 28, 1), np.nan), ValueError, "x must not contain NaN"),
        ("cnn", "images", TypeError, "x must be a numeric array"),
        (None, np.zeros((3, 28, 28, 1)), TypeError, "model must be a keras.Model"),
    ],
)
def test_set_population_statistics_rejects_bad_arguments(keras, model, x, error, match):
    model = experiments.build_cnn(True) if model == "cnn" else model
    with pytest.raises(error, match=match):
        experiments.set_population_statistics(model, x)


# --- Figure 1 -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_figure1(keras):
    return experiments.mnist_experiment(
        45, eval_every=20, batch_size=30, n_train=240, n_test=100
    )


def test_mnist_experiment_shapes_and_config(tiny_figure1):
    r = tiny_figure1
    assert list(r.steps) == [0, 20, 40, 45]
    for name in experiments.NETWORKS:
        assert r.accuracy[name].shape == (4,)
        assert np.all((0 <= r.accuracy[name]) & (r.accuracy[name] <= 1))
        assert r.percentiles[name].shape == (4, 3, 100)
        assert np.all(np.diff(r.percentiles[name], axis=1) >= 0)  # 15 <= 50 <= 85
        assert r.loss[name].shape == (45,) and np.all(np.isfinite(r.loss[name]))
        assert r.seconds[name] > 0
    assert r.config["batch_size"] == 30 and r.config["optimizer"] == "SGD"
    assert r.config["n_train"] == 240 and r.config["n_test"] == 100
    # before training both networks compute the same function (same weights, BN at
    # its initial state is the identity up to sqrt(1 + eps))
    assert abs(r.accuracy["plain"][0] - r.accuracy["bn"][0]) <= 0.02


def test_mnist_experiment_is_reproducible(tiny_figure1):
    again = experiments.mnist_experiment(
        45, eval_every=20, batch_size=30, n_train=240, n_test=100
    )
    for name in experiments.NETWORKS:
        assert np.array_equal(again.loss[name], tiny_figure1.loss[name])
        assert np.array_equal(again.percentiles[name], tiny_figure1.percentiles[name])
        assert np.array_equal(again.accuracy[name], tiny_figure1.accuracy[name])


def test_mnist_experiment_depends_on_the_seed(keras, tiny_figure1):
    other = experiments.mnist_experiment(
        45, eval_every=20, batch_size=30, n_train=240, n_test=100, seed=1
    )
    assert not np.array_equal(other.loss["plain"], tiny_figure1.loss["plain"])


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"eval_every": 0}, ValueError, "eval_every must be >= 1"),
        ({"batch_size": 500, "n_train": 240}, ValueError, "batch_size must be at most"),
        ({"learning_rate": 0}, ValueError, "learning_rate must be > 0"),
        ({"unit": 100}, ValueError, "unit must be <= 99"),
        ({"init_std": "small"}, TypeError, "init_std must be a real number"),
    ],
)
def test_mnist_experiment_rejects_bad_arguments(keras, kwargs, error, match):
    with pytest.raises(error, match=match):
        experiments.mnist_experiment(**kwargs)


def make_figure1(plain_acc, bn_acc, plain_pct, bn_pct):
    steps = np.arange(len(plain_acc)) * 100
    pct = {}
    for name, values in (("plain", plain_pct), ("bn", bn_pct)):
        values = np.asarray(values, dtype=float)  # (K,) median; 15th/85th at -1/+1
        pct[name] = np.stack([values - 1, values, values + 1], axis=1)[..., None]
    accuracy = {"plain": np.asarray(plain_acc), "bn": np.asarray(bn_acc)}
    loss = {name: np.zeros(3) for name in experiments.NETWORKS}
    return experiments.Figure1Result(
        steps, accuracy, pct, loss, 0, {"plain": 1.0, "bn": 1.0}
    )


def test_figure1_result_summaries():
    r = make_figure1(
        [0.1, 0.5, 0.92, 0.95],
        [0.1, 0.91, 0.93, 0.96],
        [0, -2, -3, -1],
        [0, 0.5, 0, 0.2],
    )
    assert r.steps_to_reach(0.9) == {"plain": 200, "bn": 100}
    assert r.steps_to_reach(0.99) == {"plain": None, "bn": None}
    assert r.drift() == pytest.approx({"plain": 3.0, "bn": 0.5})
    assert r.drift(after_step=200) == pytest.approx({"plain": 2.0, "bn": 0.2})


# --- the claims on the CNN ------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_sweep(keras):
    return experiments.learning_rate_sweep((0.05, 5.0), steps=12, batch_size=32, **TINY)


def test_learning_rate_sweep_shapes(tiny_sweep):
    s = tiny_sweep
    assert list(s.learning_rates) == [0.05, 5.0]
    for name in experiments.NETWORKS:
        assert s.val_accuracy[name].shape == s.val_accuracy_moving[name].shape == (2,)
        assert s.loss[name].shape == (2, 12)
        assert set(s.trains(name)) <= {True, False}
        for i in range(2):
            assert s.outcome(name, i) in ("trains", "stalls", "diverges")
    # the plain network has no statistics to replace
    assert np.array_equal(s.val_accuracy["plain"], s.val_accuracy_moving["plain"])
    assert s.config["steps"] == 12 and s.threshold == 0.5


def test_learning_rate_sweep_is_reproducible_and_restarts_cleanly(keras, tiny_sweep):
    # the sweep restarts one model per network; a fresh model per rate gives the same
    again = experiments.learning_rate_sweep((5.0,), steps=12, batch_size=32, **TINY)
    for name in experiments.NETWORKS:
        assert np.array_equal(again.loss[name][0], tiny_sweep.loss[name][1])
        assert again.val_accuracy[name][0] == tiny_sweep.val_accuracy[name][1]


def make_sweep(plain, bn, threshold=0.5, nan_bn=()):
    rates = np.array([0.1, 1.0, 10.0])
    loss = {name: np.ones((3, 4)) for name in experiments.NETWORKS}
    for i in nan_bn:
        loss["bn"][i, -1] = np.nan
    val = {"plain": np.array(plain), "bn": np.array(bn)}
    return experiments.LearningRateSweep(rates, val, loss, threshold, {}, {"steps": 4})


def test_learning_rate_sweep_result_methods():
    s = make_sweep([0.8, 0.1, 0.1], [0.9, 0.85, 0.95], nan_bn=(2,))
    assert list(s.trains("plain")) == [True, False, False]
    assert list(s.trains("bn")) == [True, True, False]  # diverged: no
    assert s.outcome("plain", 1) == "stalls" and s.outcome("bn", 2) == "diverges"
    assert s.largest_trainable("plain") == 0.1 and s.largest_trainable("bn") == 1.0
    assert make_sweep([0.1] * 3, [0.1] * 3).largest_trainable("bn") is None


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"learning_rates": ()}, ValueError, "learning_rates must not be empty"),
        ({"learning_rates": (0.1, -1)}, ValueError, "learning_rates must be > 0"),
        ({"threshold": 1.5}, ValueError, "threshold must be <= 1"),
        ({"steps": 0}, ValueError, "steps must be >= 1"),
        ({"batch_size": 1}, ValueError, "batch_size must be >= 2"),
        ({"n_train": 100, "batch_size": 200}, ValueError, "batch_size must be at most"),
    ],
)
def test_learning_rate_sweep_rejects_bad_arguments(keras, kwargs, error, match):
    with pytest.raises(error, match=match):
        experiments.learning_rate_sweep(**kwargs)


def test_step_time_measures_both_networks(keras):
    t = experiments.step_time(batch_size=16, steps=2, repeats=3)
    for name in experiments.NETWORKS:
        assert t.seconds[name].shape == (3,) and np.all(t.seconds[name] > 0)
    expected = np.median(t.seconds["bn"]) / np.median(t.seconds["plain"])
    assert t.ratio == pytest.approx(expected)
    assert t.extra_cost == pytest.approx(t.ratio - 1)
    assert t.config["device"] == "CPU"
    with pytest.raises(ValueError, match="repeats must be >= 1"):
        experiments.step_time(repeats=0)


@pytest.fixture(scope="module")
def tiny_dropout(keras):
    return experiments.dropout_experiment(steps=10, batch_size=32, **TINY)


def test_dropout_experiment(keras, tiny_dropout):
    d = tiny_dropout
    assert set(d.val_accuracy) == set(d.train_accuracy) == {"dropout", "no dropout"}
    assert d.rate == 0.5 and d.loss["dropout"].shape == (10,)
    assert d.improvement == d.val_accuracy["no dropout"] - d.val_accuracy["dropout"]
    again = experiments.dropout_experiment(steps=10, batch_size=32, **TINY)
    assert again.val_accuracy == d.val_accuracy  # dropout masks are seeded too
    assert np.array_equal(again.loss["dropout"], d.loss["dropout"])
    with pytest.raises(ValueError, match="rate must be <= 0.95"):
        experiments.dropout_experiment(rate=1.0)


@pytest.fixture(scope="module")
def tiny_regularizer(keras):
    return experiments.regularizer_experiment(
        steps=10, batch_size=32, n_train=100, n_val=100
    )


def test_regularizer_experiment(tiny_regularizer):
    r = tiny_regularizer
    assert set(r.train_accuracy) == set(r.val_accuracy) == set(experiments.NETWORKS)
    for name in experiments.NETWORKS:
        assert r.gap[name] == r.train_accuracy[name] - r.val_accuracy[name]
        assert r.loss[name].shape == (10,)
    assert r.config["n_train"] == 100


# --- the claims table -----------------------------------------------------------------


def test_claims_table_from_tiny_runs_is_consistent(
    keras, tiny_figure1, tiny_sweep, tiny_dropout, tiny_regularizer
):
    timing = experiments.StepTime({"plain": np.ones(3), "bn": 1.3 * np.ones(3)}, 1.3)
    table = experiments.claims_table(
        tiny_figure1, tiny_sweep, timing, tiny_dropout, tiny_regularizer
    )
    assert table.keys() == [
        "figure1a",
        "figure1bc",
        "learning_rate",
        "cost",
        "dropout",
        "regularizer",
    ]
    drift = tiny_figure1.drift()
    assert table["figure1bc"].holds == (drift["bn"] < drift["plain"])
    assert f"{drift['plain']:.2f}" in table["figure1bc"].measured
    assert table["cost"].holds  # 30% <= 45%
    assert "1.30x" in table["cost"].measured
    assert table["dropout"].holds == (tiny_dropout.improvement > 0)
    gap = tiny_regularizer.gap
    assert table["regularizer"].holds == (gap["bn"] < gap["plain"])
    for row in table:
        assert row.verdict == ("holds" if row.holds else "does not hold")
        assert isinstance(row.holds, bool)


def test_claims_table_criteria_on_made_up_results():
    fig = make_figure1([0.1, 0.5, 0.95], [0.1, 0.95, 0.96], [0, -2, 1], [0, 0.1, 0])
    sweep = make_sweep([0.8, 0.1, 0.1], [0.9, 0.85, 0.2])
    slow = experiments.StepTime({"plain": np.ones(1), "bn": 2 * np.ones(1)}, 2.0)
    dropout = experiments.DropoutResult(
        {"dropout": 0.8, "no dropout": 0.85},
        {"dropout": 0.81, "no dropout": 0.8},
        {},
        0.5,
    )
    reg = experiments.RegularizerResult(
        {"plain": 0.95, "bn": 0.9}, {"plain": 0.85, "bn": 0.86}, {}, {"n_train": 500}
    )
    table = experiments.claims_table(fig, sweep, slow, dropout, reg)
    assert table["figure1a"].holds and "100 with BN" in table["figure1a"].measured
    assert table["figure1bc"].holds
    lr = table["learning_rate"]
    assert lr.holds
    assert (
        "0.1 without BN, 1 with BN" in lr.measured and "stalls (10.0%)" in lr.measured
    )
    assert not table["cost"].holds and "2.00x" in table["cost"].measured
    assert not table["dropout"].holds  # 80% without < 81% with
    assert "80.0% without dropout, 81.0% with Dropout(0.5)" in table["dropout"].measured
    assert table["regularizer"].holds  # gap 4% with BN < 10% without
    assert "10.0% without BN, 4.0% with BN" in table["regularizer"].measured


def test_claims_table_learning_rate_needs_a_rate_only_bn_trains():
    both = make_sweep([0.8, 0.8, 0.1], [0.9, 0.9, 0.1])
    assert not experiments.claims_table(sweep=both)["learning_rate"].holds
    never = make_sweep([0.1, 0.1, 0.1], [0.9, 0.1, 0.1])
    row = experiments.claims_table(sweep=never)["learning_rate"]
    assert row.holds and "none without BN" in row.measured


def test_claims_table_figure1a_when_the_plain_network_never_gets_there():
    fig = make_figure1([0.1, 0.5, 0.6], [0.1, 0.95, 0.96], [0, 0, 0], [0, 0, 0])
    row = experiments.claims_table(fig)["figure1a"]
    assert row.holds and "never (in 200)" in row.measured
    assert not experiments.claims_table(fig)["figure1bc"].holds  # equal drift


def test_claims_table_display_and_lookup():
    table = experiments.claims_table(sweep=make_sweep([0.8, 0.1, 0.1], [0.9, 0.9, 0.1]))
    html = table._repr_html_()
    assert html.startswith("<table>") and html.count("<tr>") == 2
    assert "what we measured" in html and "&gt;=" in html  # escaped
    assert "BN permits a much higher learning rate" in str(table)
    assert table[0] is table["learning_rate"] and len(table) == 1
    assert table.as_dicts()[0]["verdict"] == "holds"
    with pytest.raises(KeyError, match="no claim 'cost'"):
        table["cost"]


def test_claims_table_rejects_bad_input():
    with pytest.raises(ValueError, match="at least one result"):
        experiments.claims_table()
    with pytest.raises(TypeError, match="sweep must be a LearningRateSweep"):
        experiments.claims_table(sweep={"plain": 1})
    with pytest.raises(TypeError, match="timing must be a StepTime"):
        experiments.claims_table(timing=1.3)


def test_set_population_statistics_on_sequential_and_single_bn_models(keras):
    """A Sequential model never called, and a model with one BN layer."""
    x = np.random.default_rng(0).normal(2.0, 3.0, size=(64, 5)).astype("float32")
    model = keras.Sequential(
        [
            keras.layers.Dense(4),
            keras.layers.BatchNormalization(),
            keras.layers.Dense(3),
        ]
    )
    assert experiments.set_population_statistics(model, x) == 1
    h = model.layers[0](x).numpy()
    bn = model.layers[1]
    assert np.allclose(bn.moving_mean.numpy(), h.mean(axis=0), atol=1e-5)
    assert np.allclose(bn.moving_variance.numpy(), h.var(axis=0, ddof=1), rtol=1e-4)
