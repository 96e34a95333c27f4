"""The checkers of chapter 9: right solutions pass, each known mistake is named."""

import math

import numpy as np
import pytest

from convbn import checks

# --- check_moving_average -------------------------------------------------------------


def moving_ok(moving, batch_stat, momentum):
    return moving * momentum + batch_stat * (1 - momentum)


def moving_lerp(moving, batch_stat, momentum):  # written differently: a step towards
    moving = np.asarray(moving, dtype=float)
    return moving + (1 - momentum) * (np.asarray(batch_stat) - moving)


def moving_loop(
    moving, batch_stat, momentum
):  # written differently: element by element
    if np.ndim(moving) == 0:
        return momentum * moving + (1 - momentum) * batch_stat
    return np.array(
        [
            momentum * m + (1 - momentum) * b
            for m, b in zip(moving, batch_stat, strict=True)
        ]
    )


def _moving_in_place(moving, batch_stat, momentum):
    moving *= momentum
    moving += (1 - momentum) * batch_stat
    return moving


def _moving_scalars_only(moving, batch_stat, momentum):
    return math.fsum([moving * momentum, batch_stat * (1 - momentum)])


def _moving_float(moving, batch_stat, momentum):
    return float(moving) * momentum + float(batch_stat) * (1 - momentum)


def _moving_returns_sum(moving, batch_stat, momentum):
    return float(np.sum(moving * momentum + batch_stat * (1 - momentum)))


@pytest.mark.parametrize("solution", [moving_ok, moving_lerp, moving_loop])
def test_check_moving_average_accepts_correct_solutions(solution):
    assert checks.check_moving_average(solution) is True
    assert checks.check_moving_average(solution, seed=7) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda m, b, mo: m * (1 - mo) + b * mo, "PyTorch's convention"),
        (lambda m, b, mo: m * mo + b, "added with weight 1"),
        (lambda m, b, mo: m + b * (1 - mo), "kept with weight 1"),
        (lambda m, b, mo: (m + b) * mo, "momentum multiplies both terms"),
        (lambda m, b, mo: m * (1 - mo) + b, "wrong term"),
        (lambda m, b, mo: b, "return batch_stat itself"),
        (lambda m, b, mo: m, "old moving value unchanged"),
        (lambda m, b, mo: (m + b) / 2, "average the two values equally"),
        (lambda m, b, mo: m * mo - b * (1 - mo), "sign of the batch term"),
        (_moving_in_place, "modified its input moving in place"),
        (_moving_scalars_only, "works for single numbers but raised"),
        (_moving_float, "works for single numbers but raised"),
        (_moving_returns_sum, "works only for scalars"),
        (lambda m, b, mo: m * mo + b * (1 - mo) + 1e-3, "wrong value"),
        (lambda m, b, mo: None, "returned None"),
        (lambda m, b, mo: (m, b), "returned a tuple"),
        (lambda m, b, mo: 1 / 0, "ZeroDivisionError"),
    ],
)
def test_check_moving_average_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_moving_average(wrong)


def test_check_moving_average_names_the_edge_momenta():
    def wrong_at_edges(m, b, mo):
        if mo in (0.0, 1.0):
            return (np.asarray(m) + b) / 2
        return m * mo + b * (1 - mo)

    with pytest.raises(AssertionError, match="with momentum=0 the result must be"):
        checks.check_moving_average(wrong_at_edges)


# --- check_moving_after ---------------------------------------------------------------


def after_ok(initial, batch_stat, momentum, n):
    return batch_stat + (np.asarray(initial) - batch_stat) * momentum**n


def after_loop(initial, batch_stat, momentum, n):  # written differently: n updates
    value = np.array(initial, dtype=float)
    for _ in range(n):
        value = value * momentum + np.asarray(batch_stat) * (1 - momentum)
    return value


def after_weights(initial, batch_stat, momentum, n):  # written differently: weights
    kept = momentum**n
    return kept * np.asarray(initial, dtype=float) + (1 - kept) * np.asarray(batch_stat)


@pytest.mark.parametrize("solution", [after_ok, after_loop, after_weights])
def test_check_moving_after_accepts_correct_solutions(solution):
    assert checks.check_moving_after(solution) is True
    assert checks.check_moving_after(solution, seed=3) is True


def _after_in_place(initial, batch_stat, momentum, n):
    if isinstance(initial, np.ndarray):
        initial *= 1.0
        initial += 1.0
        initial -= 1.0 + (initial - batch_stat) * (1 - momentum**n)
        return initial
    return after_ok(initial, batch_stat, momentum, n)


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda i, b, m, n: b + (i - b) * m ** (n + 1), r"momentum\*\*\(n \+ 1\)"),
        (lambda i, b, m, n: b + (i - b) * m ** max(n - 1, 0), r"\(n - 1\)"),
        (lambda i, b, m, n: b + (i - b) * (1 - m) ** n, "PyTorch's convention"),
        (lambda i, b, m, n: i + (b - i) * m**n, "swapped"),
        (lambda i, b, m, n: b + (i - b) * m * n, "not momentum \\* n"),
        (lambda i, b, m, n: i * m**n, "batch part is missing"),
        (lambda i, b, m, n: i * m + b * (1 - m), "after a single update"),
        (lambda i, b, m, n: b + 0 * np.asarray(i), "you return batch_stat"),
        (lambda i, b, m, n: after_ok(i, b, m, n) + (n == 0), "after n=0 updates"),
        (lambda i, b, m, n: b + (i - b) * 0.5**n, "wrong value"),
        (_after_in_place, "modified its inputs"),
        (lambda i, b, m, n: None, "returned None"),
    ],
)
def test_check_moving_after_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_moving_after(wrong)


# --- check_bn_parameter_counts --------------------------------------------------------


def counts_ok(kernel_size, in_channels, filters, batch_norm):
    kernel = kernel_size**2 * in_channels * filters
    return (kernel + 2 * filters, 2 * filters) if batch_norm else (kernel + filters, 0)


def counts_by_parts(kernel_size, in_channels, filters, batch_norm):  # differently
    parts = {"kernel": (kernel_size * kernel_size * in_channels * filters, True)}
    if batch_norm:
        parts.update(
            gamma=(filters, True),
            beta=(filters, True),
            moving_mean=(filters, False),
            moving_variance=(filters, False),
        )
    else:
        parts["bias"] = (filters, True)
    trainable = sum(n for n, t in parts.values() if t)
    return np.array([trainable, sum(n for n, t in parts.values() if not t)])


@pytest.mark.parametrize("solution", [counts_ok, counts_by_parts])
def test_check_bn_parameter_counts_accepts_correct_solutions(solution):
    assert checks.check_bn_parameter_counts(solution) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (lambda k, c, f, bn: counts_ok(k, c, f, bn)[::-1], "order is"),
        (
            lambda k, c, f, bn: (
                (k * k * c * f + 3 * f, 2 * f) if bn else counts_ok(k, c, f, bn)
            ),
            "no bias",
        ),
        (
            lambda k, c, f, bn: (
                (k * k * c * f + 4 * f, 0) if bn else counts_ok(k, c, f, bn)
            ),
            "moving mean and moving variance are not trained",
        ),
        (
            lambda k, c, f, bn: (
                (k * k * c * f, 4 * f) if bn else counts_ok(k, c, f, bn)
            ),
            "gamma and beta are trainable",
        ),
        (
            lambda k, c, f, bn: (
                (k * k * c * f + 2 * f, 0) if bn else counts_ok(k, c, f, bn)
            ),
            "also stores 2 non-trainable",
        ),
        (
            lambda k, c, f, bn: (k * k * c * f, 0) if bn else counts_ok(k, c, f, bn),
            "BatchNormalization has parameters",
        ),
        (lambda k, c, f, bn: (k * k * c * f, 0), "has parameters|has a bias"),
        (
            lambda k, c, f, bn: (
                (k * k * c * f, 0) if not bn else counts_ok(k, c, f, bn)
            ),
            "without BN the convolution has a bias",
        ),
        (lambda k, c, f, bn: counts_ok(k, c, f, True), "no BatchNormalization"),
        (lambda k, c, f, bn: counts_ok(1, k * c, f, bn), "k \\* k weights"),
        (lambda k, c, f, bn: counts_ok(k, 1, f, bn), "EVERY input channel"),
        (lambda k, c, f, bn: counts_ok(k, c * f, 1, bn), "wrong counts|multiply by"),
        (lambda k, c, f, bn: "12", "two whole numbers"),
        (lambda k, c, f, bn: (1.5, 2), "two whole numbers"),
        (lambda k, c, f, bn: 7, "two whole numbers"),
    ],
)
def test_check_bn_parameter_counts_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_bn_parameter_counts(wrong)


def test_bn_parameter_counts_reference_matches_keras():
    import convbn

    keras = convbn.import_keras()
    for k, c, f, bn in [(3, 1, 8, True), (5, 3, 4, False), (1, 7, 6, True)]:
        layers = [keras.Input((9, 9, c)), keras.layers.Conv2D(f, k, use_bias=not bn)]
        if bn:
            layers.append(keras.layers.BatchNormalization())
        model = keras.Sequential(layers)
        keras_counts = (
            sum(int(np.prod(w.shape)) for w in model.trainable_weights),
            sum(int(np.prod(w.shape)) for w in model.non_trainable_weights),
        )
        assert keras_counts == counts_ok(k, c, f, bn)


# --- check_set_population_statistics --------------------------------------------------


def _keras():
    import convbn

    return convbn.import_keras()


def _bn_layers(model):
    keras = _keras()
    return [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]


def _bn_inputs(model, x, training=True, output=False):
    keras = _keras()
    layers = _bn_layers(model)
    probe = keras.Model(
        model.input, [layer.output if output else layer.input for layer in layers]
    )
    values = probe(x, training=training)
    return layers, [np.asarray(v, dtype=np.float64) for v in values]


def population_ok(model, x):
    layers, values = _bn_inputs(model, x)
    for layer, value in zip(layers, values, strict=True):
        axes = tuple(range(value.ndim - 1))
        m = value.size // value.shape[-1]
        layer.moving_mean.assign(value.mean(axis=axes))
        layer.moving_variance.assign(value.var(axis=axes) * m / (m - 1))
    return len(layers)


def population_keras_ops(model, x):  # written differently: keras.ops, ddof=1
    keras = _keras()
    count = 0
    layers, values = _bn_inputs(model, keras.ops.convert_to_tensor(x))
    for layer, value in zip(layers, values, strict=True):
        rows = value.reshape(-1, value.shape[-1])
        layer.moving_mean.assign(keras.ops.mean(rows, axis=0))
        layer.moving_variance.assign(np.var(rows, axis=0, ddof=1))
        count += 1
    return np.int64(count)


def _population_with(
    *,
    training=True,
    output=False,
    ddof=1,
    axes=None,
    only=None,
    count=None,
    m_images=False,
    sqrt=False,
):
    def fn(model, x):
        layers, values = _bn_inputs(model, x, training=training, output=output)
        for layer, value in list(zip(layers, values, strict=True))[:only]:
            ax = axes if axes is not None else tuple(range(value.ndim - 1))
            m = len(value) if m_images else value.size // value.shape[-1]
            var = value.var(axis=ax) * (m / (m - 1) if ddof else 1)
            layer.moving_mean.assign(value.mean(axis=ax))
            layer.moving_variance.assign(np.sqrt(var) if sqrt else var)
        return len(layers) if count is None else count(model)

    return fn


def _population_only_last(model, x):
    layers, values = _bn_inputs(model, x)
    rows = values[-1].reshape(-1, values[-1].shape[-1])
    layers[-1].moving_mean.assign(rows.mean(axis=0))
    layers[-1].moving_variance.assign(rows.var(axis=0, ddof=1))
    return len(layers)


def _population_by_momentum(model, x):
    model(x, training=True)
    return len(_bn_layers(model))


def _population_in_turn(model, x):
    for layer in _bn_layers(model):
        _, values = _bn_inputs(model, x, training=False)
        i = _bn_layers(model).index(layer)
        value = values[i].reshape(-1, values[i].shape[-1])
        layer.moving_mean.assign(value.mean(axis=0))
        layer.moving_variance.assign(value.var(axis=0, ddof=1))
    return len(_bn_layers(model))


def _population_fits(model, x):
    model.compile(optimizer="sgd", loss="mse")
    model.fit(x, np.zeros((len(x), 3)), epochs=1, verbose=0)
    return population_ok(model, x)


def _population_in_place(model, x):
    result = population_ok(model, x)
    x *= 2
    return result


@pytest.mark.parametrize("solution", [population_ok, population_keras_ops])
def test_check_set_population_statistics_accepts_correct_solutions(solution):
    assert checks.check_set_population_statistics(solution) is True


def test_check_set_population_statistics_matches_the_reference_with_another_seed():
    assert checks.check_set_population_statistics(population_ok, seed=5) is True


@pytest.mark.parametrize(
    ("wrong", "match"),
    [
        (_population_with(ddof=0), "biased"),
        (_population_with(output=True), "OUTPUT"),
        (_population_with(training=False), "OLD moving statistics"),
        (_population_in_turn, "after the layers before it were updated"),
        (_population_with(axes=0), "per CHANNEL"),
        (_population_with(m_images=True), "not the number of images"),
        (_population_with(only=1), "not only the first"),
        (_population_only_last, "never set"),
        (_population_with(sqrt=True), "not a standard deviation"),
        (_population_by_momentum, "moving-average update"),
        (_population_with(count=lambda model: None), "returned None"),
        (_population_with(count=lambda model: len(model.layers)), "number of all"),
        (_population_with(count=lambda model: 1), "must return the number"),
        (_population_fits, "changed the trainable weight"),
        (_population_in_place, "modified its input x"),
        (lambda model, x: 1 / 0, "ZeroDivisionError"),
        ("set_population_statistics", "expected a function"),
    ],
)
def test_check_set_population_statistics_names_the_mistake(wrong, match):
    with pytest.raises(AssertionError, match=match):
        checks.check_set_population_statistics(wrong)


# --- check_claim_decision -------------------------------------------------------------

SETTINGS = dict(steps=40, batch_size=32, n_train=640, n_val=300, learning_rate=0.3)


def fake_dropout(seed, no_dropout, dropout, **changes):
    """A DropoutResult with the given validation accuracies (no training run)."""
    from convbn.experiments import DropoutResult

    config = {**SETTINGS, "optimizer": "SGD", "seed": seed, **changes}
    train = {"dropout": dropout + 0.01, "no dropout": no_dropout + 0.03}
    val = {"dropout": dropout, "no dropout": no_dropout}
    loss = {k: np.ones(3) for k in val}
    return DropoutResult(train, val, loss, 0.5, config)


def fake_runs(pairs):
    return [fake_dropout(seed, a, b) for seed, (a, b) in enumerate(pairs)]


CLEAR = [(0.80, 0.70), (0.82, 0.71), (0.79, 0.70)]  # +0.10, +0.11, +0.09: holds
NOISY = [(0.66, 0.53), (0.42, 0.41), (0.65, 0.59)]  # +0.13, +0.01, +0.06: inconclusive
NOTHING = [(0.700, 0.700), (0.701, 0.700), (0.700, 0.701)]  # ~0: does not hold


def paired(runs):
    return [r.val_accuracy["no dropout"] - r.val_accuracy["dropout"] for r in runs]


def decide(differences, margin):
    from scipy import stats

    d = np.asarray(differences)
    half = stats.t.ppf(0.975, d.size - 1) * d.std(ddof=1) / np.sqrt(d.size)
    low, high = d.mean() - half, d.mean() + half
    if low > margin:
        return "holds"
    if high < margin:
        return "does not hold"
    return "inconclusive at this scale"


@pytest.mark.parametrize(
    ("pairs", "expected"),
    [
        (CLEAR, "holds"),
        (NOISY, "inconclusive at this scale"),
        (NOTHING, "does not hold"),
    ],
)
def test_check_claim_decision_accepts_the_verdict_the_numbers_give(pairs, expected):
    from convbn import experiments

    runs = fake_runs(pairs)
    d = paired(runs)
    assert decide(d, 0.01) == experiments.verdict(d, 0.01) == expected
    assert checks.check_claim_decision(runs, d, expected, 0.01, rerun=False) is True
    reordered = np.array(d[::-1])  # any order, any sequence type
    assert checks.check_claim_decision(runs, reordered, expected, 0.01, rerun=False)
    more = fake_runs(pairs + [(0.75, 0.70)])  # more seeds are fine
    assert checks.check_claim_decision(
        more, paired(more), decide(paired(more), 0.01), 0.01, rerun=False
    )


def test_check_claim_decision_is_lenient_about_how_the_verdict_is_written():
    runs = fake_runs(NOISY)
    for said in (
        "Inconclusive at this scale.",
        "inconclusive",
        " inconclusive  at this scale",
    ):
        assert checks.check_claim_decision(runs, paired(runs), said, 0.01, rerun=False)


@pytest.mark.parametrize(
    ("pairs", "differences", "decision", "match"),
    [
        (CLEAR[:2], None, "holds", "fewer than 3 seeds"),
        (CLEAR, lambda d: -np.array(d), "holds", "wrong orientation"),
        (CLEAR, lambda d: [np.mean(d)], "holds", "mean of each setting"),
        (CLEAR, lambda d: d[:2], "holds", "fewer than 3 seeds"),
        (CLEAR, lambda d: 100 * np.array(d), "holds", "percentage points"),
        (NOISY, lambda d: [0.13 - 0.06, 0.01, 0.06 + 0.06], "holds", "different seeds"),
        (CLEAR, "outer", "holds", "every pair of runs"),
        (CLEAR, "train", "holds", "another quantity"),
        (CLEAR, lambda d: np.array(d) + 0.05, "holds", "not those of your runs"),
        (CLEAR, lambda d: np.array([d]), "holds", "1-D list"),
        (CLEAR, lambda d: d, "does not hold", "interval reaches the margin"),
        (CLEAR, lambda d: d, "inconclusive", "the rule says 'holds'"),
        (NOISY, lambda d: d, "holds", "interval reaches down to the margin"),
        (NOISY, lambda d: d, "does not hold", "not ruled out"),
        (NOTHING, lambda d: d, "holds", "interval reaches down to the margin"),
        (NOTHING, lambda d: d, "inconclusive", "below the margin"),
        (CLEAR, lambda d: d, "yes", "must be one of"),
        (CLEAR, lambda d: d, True, "must be one of"),
        (CLEAR, lambda d: None, "holds", "differences is None"),
    ],
)
def test_check_claim_decision_names_the_mistake(pairs, differences, decision, match):
    runs = fake_runs(pairs)
    d = paired(runs)
    if differences == "outer":
        a = [r.val_accuracy["no dropout"] for r in runs]
        b = [r.val_accuracy["dropout"] for r in runs]
        given = np.subtract.outer(a, b).ravel()
    elif differences == "train":
        given = [
            r.train_accuracy["no dropout"] - r.train_accuracy["dropout"] for r in runs
        ]
    else:
        given = d if differences is None else differences(d)
    with pytest.raises(AssertionError, match=match):
        checks.check_claim_decision(runs, given, decision, 0.01, rerun=False)


def test_check_claim_decision_names_the_mistakes_in_the_runs():
    runs = fake_runs(CLEAR)
    d = paired(runs)
    same_seed = [fake_dropout(0, *pair) for pair in CLEAR]
    other_steps = runs[:2] + [fake_dropout(2, *CLEAR[2], steps=80)]
    cases = [
        (same_seed, "run more than once"),
        (other_steps, "differs from the first in steps"),
        (runs[0], "one result per seed"),
        ({"runs": runs}, "must be a list"),
        ([*runs[:2], 0.7], "got float"),
    ]
    for results, match in cases:
        with pytest.raises(AssertionError, match=match):
            checks.check_claim_decision(results, d, "holds", 0.01, rerun=False)


def fake_figure1(seed, bn, plain):
    """A Figure1Result whose final test accuracies are ``bn`` and ``plain``."""
    from convbn.experiments import Figure1Result

    accuracy = {"plain": np.array([0.1, 0.1, plain]), "bn": np.array([0.12, 0.5, bn])}
    percentiles = {k: np.zeros((3, 3, 100)) for k in accuracy}
    loss = {k: np.ones(100) for k in accuracy}
    config = dict(steps=100, eval_every=50, n_train=1000, n_test=500, seed=seed)
    return Figure1Result(
        np.array([0, 50, 100]), accuracy, percentiles, loss, 0, {}, config
    )


def test_check_claim_decision_judges_the_figure1_claim():
    runs = [fake_figure1(s, bn, 0.1) for s, bn in enumerate((0.45, 0.28, 0.54))]
    d = [r.accuracy["bn"][-1] - r.accuracy["plain"][-1] for r in runs]
    said = decide(d, 0.01)
    assert said == "inconclusive at this scale"
    assert checks.check_claim_decision(runs, d, said, 0.01, rerun=False) is True
    first = [r.accuracy["bn"][0] - r.accuracy["plain"][0] for r in runs]
    mean = [r.accuracy["bn"].mean() - r.accuracy["plain"].mean() for r in runs]
    for given, match in (
        (-np.array(d), "wrong orientation \\(plain minus BN\\)"),
        (first, "FIRST evaluation"),
        (mean, "averaged the test accuracy over the evaluations"),
    ):
        with pytest.raises(AssertionError, match=match):
            checks.check_claim_decision(runs, given, said, 0.01, rerun=False)
    with pytest.raises(AssertionError, match="interval reaches down to the margin"):
        checks.check_claim_decision(runs, d, "holds", 0.01, rerun=False)


@pytest.mark.slow
def test_check_claim_decision_reruns_a_seed_and_catches_made_up_numbers():
    from dataclasses import replace

    from convbn import experiments

    tiny = dict(steps=5, eval_every=5, n_train=120, n_test=60)
    runs = [experiments.mnist_experiment(seed=s, **tiny) for s in range(3)]
    d = [r.accuracy["bn"][-1] - r.accuracy["plain"][-1] for r in runs]
    decision = experiments.verdict(d, 0.01)
    assert checks.check_claim_decision(runs, d, decision, 0.01, seed=1)
    made_up = [
        replace(r, accuracy={"plain": np.array([0.1, 0.1]), "bn": np.array([0.1, 0.9])})
        for r in runs
    ]
    with pytest.raises(AssertionError, match="hand in the results of your own runs"):
        checks.check_claim_decision(made_up, [0.8] * 3, "holds", 0.0)
