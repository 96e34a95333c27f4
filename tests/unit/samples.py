"""Hand-made results and histories that the plotting and widget tests share
(the experiments themselves train networks; these only have their shapes)."""

import numpy as np

from convbn import experiments, widgets


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


HISTORIES = {
    "SGD": [2.3, 2.0, 1.8],
    "Adam": [1.8, 0.9, 0.6],
    "Adadelta": [2.4, 2.39, 2.38],
}


def maps(n=5, seed=0):
    rng = np.random.default_rng(seed)
    images = rng.random((n, 28, 28, 1))
    blocks = [rng.random((n, 14, 14, 8)), rng.random((n, 7, 7, 16))]
    probabilities = rng.dirichlet(np.ones(10), size=n)
    labels = rng.integers(0, 10, size=n)
    return images, blocks, probabilities, labels


def widget_factories(histories=None) -> dict:
    """Every widget factory of :mod:`convbn.widgets` by name, as a function of no
    arguments; the data-bound ones bound to the samples above (``histories`` for the
    optimizer widget, :data:`HISTORIES` by default)."""
    histories = HISTORIES if histories is None else histories
    return {
        "smoothing_widget": widgets.smoothing_widget,
        "convolution_explorer": widgets.convolution_explorer,
        "correlation_stepper": widgets.correlation_stepper,
        "receptive_field_widget": widgets.receptive_field_widget,
        "equivariance_widget": widgets.equivariance_widget,
        "pooling_widget": widgets.pooling_widget,
        "layer_geometry_widget": widgets.layer_geometry_widget,
        "batchnorm_widget": widgets.batchnorm_widget,
        "batch_statistics_widget": widgets.batch_statistics_widget,
        "figure1_widget": lambda: widgets.figure1_widget(figure1_result()),
        "learning_rate_widget": lambda: widgets.learning_rate_widget(sweep_result()),
        "dropout_widget": widgets.dropout_widget,
        "loss_widget": widgets.loss_widget,
        "optimizer_widget": lambda: widgets.optimizer_widget(histories),
        "cnn_feature_maps_widget": lambda: widgets.cnn_feature_maps_widget(*maps()),
    }
