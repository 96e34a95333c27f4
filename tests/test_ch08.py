"""Chapter 8 (batch normalization in practice): plot functions, widgets, checkers.

The plot functions and widgets take the results of :mod:`convbn.experiments`; here
they get small hand-made results, so nothing is trained.
"""

import math

import ipywidgets as ipw
import matplotlib.pyplot as plt
import numpy as np
import pytest

from convbn import checks, experiments, plotting, widgets


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


# --- hand-made results ----------------------------------------------------------------


def figure1_result(units=100):
    steps = np.arange(0, 301, 50)
    rng = np.random.default_rng(0)
    pct = {
        name: np.sort(rng.normal(shift, 1.0, size=(len(steps), 3, units)), axis=1)
        for name, shift in (("plain", -2.0), ("bn", 0.0))
    }
    accuracy = {
        "plain": np.linspace(0.1, 0.8, len(steps)),
        "bn": np.linspace(0.1, 0.95, len(steps)),
    }
    loss = {name: np.linspace(2.3, 0.3, 300) for name in experiments.NETWORKS}
    return experiments.Figure1Result(
        steps, accuracy, pct, loss, unit=3, seconds={"plain": 1.0, "bn": 1.5}
    )


def sweep_result():
    rates = np.array([0.1, 0.3, 1.0, 3.0])
    loss = {
        "plain": np.vstack([np.linspace(2.3, 0.5, 20)] * 2 + [np.full(20, 2.3026)] * 2),
        "bn": np.vstack([np.linspace(2.3, 0.3, 20)] * 3 + [np.full(20, np.nan)]),
    }
    val = {
        "plain": np.array([0.7, 0.8, 0.1, 0.1]),
        "bn": np.array([0.8, 0.9, 0.9, 0.1]),
    }
    return experiments.LearningRateSweep(
        rates,
        val,
        loss,
        0.5,
        {"bn": val["bn"] - 0.2, "plain": val["plain"]},
        {"steps": 20},
    )


def timing_result():
    return experiments.StepTime(
        {"plain": np.array([0.004, 0.005]), "bn": np.array([0.008, 0.009])}, 1.89
    )


def dropout_result():
    return experiments.DropoutResult(
        {"dropout": 0.8, "no dropout": 0.9},
        {"dropout": 0.78, "no dropout": 0.88},
        {"dropout": np.ones(5), "no dropout": np.ones(5)},
        0.5,
    )


def regularizer_result():
    return experiments.RegularizerResult(
        {"plain": 0.9, "bn": 0.99},
        {"plain": 0.86, "bn": 0.88},
        {"plain": np.ones(5), "bn": np.ones(5)},
        {"n_train": 500},
    )


# --- plot_figure1 and its widget ------------------------------------------------------


def test_plot_figure1_draws_three_panels_for_the_default_unit():
    fig = plotting.plot_figure1(figure1_result())
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 3
    assert fig.axes[1].get_ylabel() == "input to sigmoid 3"  # result.unit
    assert fig.axes[1].get_ylim() == fig.axes[2].get_ylim()  # shared scale
    assert [line.get_label() for line in fig.axes[0].get_lines()] == [
        "without BN",
        "with BN",
    ]


def test_plot_figure1_shows_the_chosen_unit():
    result = figure1_result()
    fig = plotting.plot_figure1(result, unit=42)
    median = fig.axes[2].get_lines()[0].get_ydata()
    assert np.allclose(median, result.percentiles["bn"][:, 1, 42])
    assert fig.axes[1].get_ylabel() == "input to sigmoid 42"


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((None,), {}, TypeError, "result must be a convbn.experiments.Figure1Result"),
        (("figure",), {}, TypeError, "result"),
        ((figure1_result(),), {"unit": 100}, ValueError, "unit must be <= 99"),
        ((figure1_result(),), {"unit": -1}, ValueError, "unit must be >= 0"),
        ((figure1_result(),), {"unit": 1.5}, TypeError, "unit must be an integer"),
    ],
)
def test_plot_figure1_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_figure1(*args, **kwargs)


def test_figure1_widget_has_a_unit_slider_and_redraws():
    widget = widgets.figure1_widget(figure1_result())
    assert isinstance(widget, ipw.interactive)
    controls = {c.description: c for c in widget.children[:-1]}
    assert set(controls) == {"sigmoid unit"}
    slider = controls["sigmoid unit"]
    assert isinstance(slider, ipw.IntSlider)
    assert (slider.value, slider.min, slider.max) == (3, 0, 99)
    for unit in (0, 57, 99):
        slider.value = unit
    widget.update()


def test_figure1_widget_rejects_other_results():
    with pytest.raises(TypeError, match="result must be"):
        widgets.figure1_widget(sweep_result())


# --- plot_learning_rate_sweep and its widget ------------------------------------------


def test_plot_learning_rate_sweep_defaults_to_the_first_rate_only_bn_trains():
    fig = plotting.plot_learning_rate_sweep(sweep_result())
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 2
    assert fig.axes[1].get_title() == "learning rate 1"
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert "without BN: stalls" in labels and "with BN: trains" in labels


def test_plot_learning_rate_sweep_shows_a_diverging_run():
    fig = plotting.plot_learning_rate_sweep(sweep_result(), learning_rate=3.0)
    labels = [line.get_label() for line in fig.axes[1].get_lines()]
    assert "with BN: diverges" in labels


@pytest.mark.parametrize(
    ("args", "kwargs", "error", "match"),
    [
        ((figure1_result(),), {}, TypeError, "sweep must be a convbn.experiments"),
        ((sweep_result(),), {"learning_rate": 0.5}, ValueError, "one of the sweep"),
        ((sweep_result(),), {"learning_rate": -1.0}, ValueError, "learning_rate"),
        ((sweep_result(),), {"learning_rate": "1"}, TypeError, "learning_rate"),
    ],
)
def test_plot_learning_rate_sweep_rejects_bad_arguments(args, kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_learning_rate_sweep(*args, **kwargs)


def test_learning_rate_widget_offers_the_sweeps_rates_and_redraws():
    widget = widgets.learning_rate_widget(sweep_result())
    controls = {c.description: c for c in widget.children[:-1]}
    assert set(controls) == {"learning rate"}
    slider = controls["learning rate"]
    assert isinstance(slider, ipw.SelectionSlider)
    assert [value for _, value in slider.options] == [0.1, 0.3, 1.0, 3.0]
    assert slider.value == 1.0
    for rate in (0.1, 3.0):
        slider.value = rate
    widget.update()


def test_learning_rate_widget_rejects_other_results():
    with pytest.raises(TypeError, match="sweep must be"):
        widgets.learning_rate_widget(figure1_result())


# --- plot_claims ----------------------------------------------------------------------


def test_plot_claims_draws_three_bar_charts():
    fig = plotting.plot_claims(timing_result(), dropout_result(), regularizer_result())
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 3
    assert "x1.89" in fig.axes[0].get_title()
    heights = [bar.get_height() for bar in fig.axes[0].patches]
    assert np.allclose(heights, [4.5, 8.5])  # median milliseconds


@pytest.mark.parametrize("position", range(3))
def test_plot_claims_rejects_swapped_results(position):
    args = [timing_result(), dropout_result(), regularizer_result()]
    args[position] = figure1_result()
    name = ("timing", "dropout", "regularizer")[position]
    with pytest.raises(TypeError, match=f"{name} must be a convbn.experiments"):
        plotting.plot_claims(*args)


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
