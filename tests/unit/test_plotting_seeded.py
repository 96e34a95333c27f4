"""convbn.plotting.seeded: chapter 9's seeded results and the batch-statistics plot.

The plots are drawn from the committed results file; what they show is checked
against the numbers they are drawn from, and bad input is named.
"""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest

from convbn import experiments, plotting
from convbn.experiments import multiseed
from convbn.plotting import seeded

RESULTS = Path(__file__).resolve().parents[2] / multiseed.RESULTS


@pytest.fixture(scope="module")
def runs():
    return experiments.load_runs(RESULTS)


def test_seeded_table_plot_has_one_row_per_claim(runs):
    table = experiments.seeded_table(runs)
    fig = plotting.plot_seeded_table(table)
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert labels == [row.key.replace("_", " ") for row in reversed(list(table))]
    plt.close(fig)


def test_seeded_curves_mark_the_matched_loss(runs):
    fig = plotting.plot_seeded_curves(runs, seed=0)
    left, right = fig.axes
    assert len(left.get_lines()) >= 2
    target = experiments.regularizer_target(runs)
    assert any(
        np.allclose(line.get_ydata(), target) for line in right.get_lines()
    )  # the dashed target line
    plt.close(fig)


def test_small_batches_plot_draws_every_seed_and_the_mean(runs):
    fig = plotting.plot_small_batches(runs)
    lines = fig.axes[0].get_lines()
    assert len(lines) == 2 * (len(runs.runs) + 1)
    mean_bn = np.mean(
        [r["small_batch"]["val_accuracy"]["bn"] for r in runs.runs], axis=0
    )
    assert any(np.allclose(line.get_ydata(), mean_bn) for line in lines)
    plt.close(fig)


def test_batch_statistics_spread_falls_with_the_batch_size():
    spread = seeded._bn_spread(0)
    assert all(a > b for a, b in zip(spread, spread[1:], strict=False))
    fig = plotting.plot_batch_statistics(batch_size=4)
    assert "batch size 4" in fig.axes[0].get_title()
    plt.close(fig)


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: plotting.plot_seeded_table([]), TypeError, "SeededTable"),
        (lambda: plotting.plot_seeded_curves({}), TypeError, "SeededRuns"),
        (lambda: plotting.plot_small_batches(None), TypeError, "SeededRuns"),
        (lambda: plotting.plot_batch_statistics(1), ValueError, "batch_size"),
        (lambda: plotting.plot_batch_statistics(65), ValueError, "batch_size"),
    ],
)
def test_bad_input_names_the_argument(call, error, match):
    with pytest.raises(error, match=match):
        call()
