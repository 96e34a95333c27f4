"""Plots of Part III (chapters 8 and 9): convbn.plotting.batchnorm."""

import matplotlib.pyplot as plt
import numpy as np
import pytest
from samples import (
    dropout_result,
    figure1_result,
    regularizer_result,
    sweep_result,
    timing_result,
)

from convbn import plotting

# --- plot_batchnorm_distribution ------------------------------------------------------


def test_the_networks_old_name_is_an_alias():
    assert plotting.CH08_NETWORKS is plotting.CH09_NETWORKS
    assert set(plotting.CH09_NETWORKS) == {"plain", "bn"}


def test_plot_batchnorm_distribution_returns_before_and_after():
    fig = plotting.plot_batchnorm_distribution()
    assert isinstance(fig, plt.Figure)
    assert len(fig.axes) == 2
    assert fig.axes[0].get_title().startswith("before: mean ")
    assert fig.axes[1].get_title() == "after (ε = 0.001): mean 0.00, std 1.00"


def test_plot_batchnorm_distribution_title_reports_gamma_beta_and_eps():
    fig = plotting.plot_batchnorm_distribution(256, gamma=2.0, beta=-1.0, eps=1e-5)
    assert fig.axes[1].get_title() == "after (ε = 1e-05): mean -1.00, std 2.00"
    # A large eps shrinks the output: std = gamma sqrt(var / (var + eps)) < gamma.
    fig = plotting.plot_batchnorm_distribution(256, gamma=1.0, eps=10.0)
    std = float(fig.axes[1].get_title().rsplit("std ", 1)[1])
    assert 0.5 < std < 0.8


def test_plot_batchnorm_distribution_with_a_batch_of_two():
    fig = plotting.plot_batchnorm_distribution(batch_size=2, gamma=1.5, beta=0.5)
    assert fig.axes[1].get_title().endswith("mean 0.50, std 1.50")


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"batch_size": 1}, ValueError, "batch_size must be >= 2"),
        ({"batch_size": 2.5}, TypeError, "batch_size must be an integer"),
        ({"batch_size": 10**6}, ValueError, "batch_size must be <= 100000"),
        ({"gamma": "1"}, TypeError, "gamma must be a real number"),
        ({"beta": np.nan}, ValueError, "beta must be finite"),
        ({"eps": 0.0}, ValueError, "eps must be > 0"),
        ({"eps": -1e-3}, ValueError, "eps must be > 0"),
        ({"seed": -1}, ValueError, "seed must be >= 0"),
    ],
)
def test_plot_batchnorm_distribution_rejects_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        plotting.plot_batchnorm_distribution(**kwargs)


# --- plot_figure1 ---------------------------------------------------------------------


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


# --- plot_learning_rate_sweep ---------------------------------------------------------


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
