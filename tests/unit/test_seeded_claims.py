"""convbn.experiments: statistics, the seeded measurements, the results file, the table.

The tiny runs check shapes, bookkeeping and bad input; the verdict rules are checked
on made-up numbers whose verdict is known; the committed results file is checked for
completeness; and the slow tests re-run seed 0 of each measurement and compare it
with the file (chapter 9 re-runs seed 0 of Figure 1 itself).
"""

import json
import math
from pathlib import Path

import numpy as np
import pytest
import scipy.stats

import convbn
from convbn import experiments
from convbn.experiments import multiseed

ROOT = Path(__file__).resolve().parents[2]
RESULTS = ROOT / multiseed.RESULTS
TINY = {"n_train": 240, "n_val": 100}


@pytest.fixture(scope="module")
def keras():
    return convbn.import_keras()


# --- statistics -------------------------------------------------------------------


@pytest.mark.parametrize("values", [[1.0, 2.0], [0.3, -0.1, 0.2, 0.5, 0.1], range(10)])
def test_summarize_is_students_t_interval(values):
    values = np.asarray(list(values), dtype=float)
    s = experiments.summarize(values)
    low, high = scipy.stats.t.interval(
        0.95, len(values) - 1, loc=values.mean(), scale=scipy.stats.sem(values)
    )
    assert s.n == len(values) and s.mean == pytest.approx(values.mean())
    assert s.sd == pytest.approx(values.std(ddof=1))
    assert (s.low, s.high) == pytest.approx((low, high))
    assert "n = " in s.format() and "95% CI" in s.format()


@pytest.mark.parametrize(
    "differences, margin, expected",
    [
        ([0.05, 0.06, 0.04, 0.05, 0.07], 0.01, "holds"),
        ([0.002, 0.003, 0.001, 0.002, 0.004], 0.01, "does not hold"),  # negligible
        ([-0.05, -0.06, -0.04, -0.05, -0.07], 0.0, "does not hold"),  # other sign
        ([0.1, -0.1, 0.2, -0.05, 0.0], 0.01, "inconclusive at this scale"),
        ([0.02, 0.021, 0.019], 0.05, "does not hold"),  # real but below the margin
        # the interval is above 0 and the mean above the margin, but the interval
        # contains the margin: the rule is symmetric, so this is not "holds"
        ([0.02, 0.03, 0.025, 0.015, 0.035], 0.02, "inconclusive at this scale"),
    ],
)
def test_verdict_follows_the_stated_rule(differences, margin, expected):
    assert experiments.verdict(differences, margin) == expected


def test_verdict_compares_the_interval_with_the_margin_on_both_sides():
    rng = np.random.default_rng(0)
    for _ in range(200):
        d = rng.normal(rng.normal(0, 0.05), rng.uniform(0.001, 0.05), size=5)
        margin, confidence = rng.uniform(0, 0.05), rng.choice([0.9, 0.95, 0.99])
        s = experiments.summarize(d, confidence)
        expected = (
            "holds"
            if s.low > margin
            else "does not hold"
            if s.high < margin
            else "inconclusive at this scale"
        )
        assert experiments.verdict(d, margin, confidence) == expected


def test_familywise_confidence_is_bonferroni():
    assert experiments.familywise_confidence(1) == pytest.approx(0.95)
    assert experiments.familywise_confidence(10, alpha=0.1) == pytest.approx(0.99)
    assert experiments.CONFIDENCE == pytest.approx(1 - 0.05 / len(experiments.CRITERIA))
    assert experiments.FAMILY == tuple(experiments.CRITERIA)
    # a wider interval can only move a verdict towards "inconclusive"
    d = [0.05, 0.02, 0.04, 0.03, 0.06]
    assert experiments.verdict(d, 0.01) == "holds"
    assert experiments.verdict(d, 0.01, experiments.CONFIDENCE) == (
        "inconclusive at this scale"
    )
    with pytest.raises(ValueError, match="m"):
        experiments.familywise_confidence(0)


@pytest.mark.parametrize(
    "differences, expected",
    [
        ([0.001, -0.002, 0.0, 0.002, -0.001], "holds"),
        ([0.2, 0.21, 0.19, 0.2, 0.22], "does not hold"),
        ([0.0, 0.05, -0.04, 0.03, 0.06], "inconclusive at this scale"),
    ],
)
def test_equivalence_verdict(differences, expected):
    assert experiments.equivalence_verdict(differences, 0.03) == expected


def test_equivalence_at_90_percent_is_tost_at_5_percent():
    d = np.array([0.01, 0.0325, -0.005, 0.02, 0.015])
    n, se = len(d), scipy.stats.sem(d)
    # the two one-sided t tests of H0: mean <= -0.03 and H0: mean >= +0.03
    p_low = scipy.stats.t.sf((d.mean() + 0.03) / se, n - 1)
    p_high = scipy.stats.t.cdf((d.mean() - 0.03) / se, n - 1)
    tost = max(p_low, p_high) < 0.05
    assert tost == (experiments.equivalence_verdict(d, 0.03, 0.90) == "holds")
    assert 0.025 < max(p_low, p_high) < 0.05  # this example: 90% yes, 95% no
    assert experiments.equivalence_verdict(d, 0.03, 0.95) != "holds"


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: experiments.summarize([1.0]), ValueError, "at least 2 runs"),
        (lambda: experiments.summarize([1.0, np.nan]), ValueError, "finite"),
        (lambda: experiments.summarize([[1.0, 2.0]]), ValueError, "values"),
        (lambda: experiments.verdict([1.0, 2.0], margin=-1), ValueError, "margin"),
        (lambda: experiments.equivalence_verdict([1, 2], 0), ValueError, "margin"),
    ],
)
def test_statistics_reject_bad_input(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the measurements, tiny ----------------------------------------------------------


def test_learning_rate_interval_brackets_the_limit(keras):
    r = experiments.learning_rate_interval((0.1, 30.0), refine=1, steps=10, **TINY)
    for name in ("plain", "bn"):
        rates = [lr for lr, *_ in r.runs[name]]
        outcomes = {lr: o for lr, o, _, _ in r.runs[name]}
        assert r.low[name] < r.high[name]
        if r.low[name] > 0:
            assert outcomes[r.low[name]] == "trains"
        if math.isfinite(r.high[name]):
            assert outcomes[r.high[name]] != "trains"
        assert all(0 <= d <= 1 for *_, d in r.runs[name] if not math.isnan(d))
        assert rates[:1] == [0.1]
    lo, mid, hi = r.ratio()
    assert math.isnan(mid) or lo <= mid <= hi


def test_dead_fraction_counts_channels_that_never_fire(keras):
    model = experiments.build_cnn(False, filters=(4, 4))
    x = np.random.default_rng(0).uniform(size=(6, 28, 28, 1)).astype("float32")
    assert experiments.dead_fraction(model, x) < 0.5
    conv = model.get_layer("conv_1")
    kernel, bias = conv.get_weights()
    conv.set_weights([-np.abs(kernel), bias - 10.0])  # every output negative
    assert experiments.dead_fraction(model, x) >= 4 / 8
    assert experiments.dead_fraction(experiments.build_mlp(False), x[:, :, 0, 0]) == 0


def test_dropout_and_regularizer_curves(keras):
    d = experiments.dropout_curves(steps=20, short=10, eval_every=10, **TINY)
    assert list(d.steps) == [0, 10, 20] and d.loss["dropout"].shape == (20,)
    assert d.short_run_cost == pytest.approx(
        d.at(10)["no dropout"] - d.at(10)["dropout"]
    )
    r = experiments.regularizer_curves(steps=20, eval_every=10, target=10.0, **TINY)
    assert r.matched("plain") == 0  # the target is above every loss
    gap = r.gap_at_matched_loss()
    assert gap["bn"] == pytest.approx(
        r.train_accuracy["bn"][0] - r.val_accuracy["bn"][0]
    )
    never = experiments.regularizer_curves(steps=10, eval_every=10, target=1e-9, **TINY)
    assert never.matched("bn") is None and math.isnan(never.gap_at_matched_loss()["bn"])


def test_noisy_bn_and_small_batches(keras):
    r = experiments.noisy_bn_experiment(
        steps=20, probe_every=10, check_every=10, **TINY
    )
    assert set(r.val_accuracy) == {"plain", "bn", "noisy"}
    assert r.shift["noisy"].shape == (2,) and set(r.prediction_error) == {"plain", "bn"}
    assert r.mean_shift("noisy") > r.mean_shift("bn")  # the noise moves the inputs
    assert r.gradient_predictiveness["bn"].shape == (2,)
    high = experiments.noisy_bn_high_rate(steps=10, probe_every=5, **TINY)
    assert set(high.outcome) == {"plain", "bn", "noisy"} and high.learning_rate == 1.0
    assert all(o in ("trains", "stalls", "diverges") for o in high.outcome.values())
    s = experiments.small_batch_experiment((2, 8), steps=5, **TINY)
    assert s.val_accuracy["gn"].shape == (2,) and s.advantage().shape == (2,)
    assert np.array_equal(s.val_accuracy["gn"], s.val_accuracy_population["gn"])


def test_noise_layer_perturbs_every_activation_from_a_new_distribution(keras):
    layer = experiments.random_affine_layer(0.1, seed=3)
    x = np.ones((64, 8, 8, 4), dtype="float32")
    first = keras.ops.convert_to_numpy(layer(x, training=True))
    second = keras.ops.convert_to_numpy(layer(x, training=True))
    # i.i.d. per activation: equal inputs of one channel get different outputs
    assert np.unique(first[..., 0]).size == first[..., 0].size
    # the per-channel distribution changes from step to step: its mean moves by
    # far more than the sampling error of a mean over 4,096 activations
    means = first.mean(axis=(0, 1, 2)), second.mean(axis=(0, 1, 2))
    assert np.abs(means[0] - means[1]).max() > 0.02
    # on ones, the spread is that of S e1 + e2 times 0.1: about 0.1 * sqrt(S**2 + 1)
    spread = first.std(axis=(0, 1, 2))
    assert np.all((0.1 < spread) & (spread < 0.2))
    assert np.array_equal(keras.ops.convert_to_numpy(layer(x)), x)  # inference


@pytest.mark.parametrize(
    "call, error, match",
    [
        (lambda: experiments.learning_rate_interval((0.1,)), ValueError, "at least 2"),
        (
            lambda: experiments.dropout_curves(short=15, eval_every=10),
            ValueError,
            "short",
        ),
        (
            lambda: experiments.noisy_bn_experiment(probe_every=20, check_every=30),
            ValueError,
            "check_every",
        ),
        (lambda: experiments.small_batch_experiment(()), ValueError, "batch_sizes"),
        (
            lambda: experiments.build_cnn(True, normalization="layer"),
            ValueError,
            "normalization",
        ),
        (
            lambda: experiments.build_cnn(True, normalization="group", groups=3),
            ValueError,
            "divisible by groups = 3",
        ),
        (lambda: experiments.run_seed(0, parts=["nope"]), ValueError, "parts"),
        (lambda: experiments.load_runs("no/such.json"), FileNotFoundError, "claims"),
        (lambda: experiments.seeded_table({}), TypeError, "SeededRuns"),
    ],
)
def test_seeded_functions_reject_bad_input(keras, call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- the results file and the table ---------------------------------------------


def test_committed_results_are_complete():
    runs = experiments.load_runs(RESULTS)
    assert len(runs.seeds) >= 5 and list(runs.seeds) == sorted(set(runs.seeds))
    assert "python -m convbn.experiments claims" in runs.command
    for run in runs.runs:
        assert set(multiseed.PARTS) <= set(run)
    table = experiments.seeded_table(runs)
    assert [row.key for row in table] == [
        k for k in multiseed.CLAIM_ROWS if k != "cost"
    ]
    for row in table:
        assert row.verdict in experiments.VERDICTS
        assert row.n == len(runs.seeds) or row.key == "dead_relus"
        assert f"n = {row.n}" in row.measured


def _made_up_runs(tmp_path, shift):
    """A results file whose differences are known: ``shift`` added to every BN-side
    number of every row."""
    real = json.loads(RESULTS.read_text())
    for k, run in enumerate(real["runs"]):
        run["dropout"]["at_end"]["dropout"] = run["dropout"]["at_end"]["no dropout"] - (
            shift + 0.001 * k
        )
    path = tmp_path / "claims.json"
    path.write_text(json.dumps(real))
    return experiments.load_runs(path)


def test_seeded_table_decides_by_the_criteria(tmp_path):
    big = experiments.seeded_table(
        _made_up_runs(tmp_path, 0.05), keys=("dropout_beats",)
    )
    assert big["dropout_beats"].verdict == "holds"
    tiny = experiments.seeded_table(
        _made_up_runs(tmp_path, 0.0), keys=("dropout_beats",)
    )
    assert tiny["dropout_beats"].verdict == "does not hold"
    timing = experiments.StepTime(
        {"plain": np.array([1.0, 1.0, 1.0]), "bn": np.array([1.3, 1.31, 1.29])}, 1.3
    )
    cost = experiments.seeded_table(
        _made_up_runs(tmp_path, 0.0), timing, keys=("cost",)
    )
    assert cost["cost"].verdict == "holds" and cost["cost"].n == 3
    html = big._repr_html_()
    assert "criterion (quantity and margin fixed before the runs)" in html
    assert "holds" in html


def test_run_seeds_updates_parts_of_a_file(tmp_path, monkeypatch):
    calls = []
    monkeypatch.setitem(
        multiseed._PARTS, "dropout", lambda s: calls.append(s) or {"x": s}
    )
    path = tmp_path / "claims.json"
    path.write_text(RESULTS.read_text())
    data = experiments.run_seeds([0, 1], path, parts=["dropout"], progress=None)
    assert calls == [0, 1]
    written = json.loads(path.read_text())
    assert written["runs"][1]["dropout"] == {"x": 1}
    assert (
        written["runs"][1]["noisy"]
        == json.loads(RESULTS.read_text())["runs"][1]["noisy"]
    )
    assert data["seeds"] == [0, 1]
    # the file keeps its own provenance; the re-run part records its own
    before = json.loads(RESULTS.read_text())
    assert (written["command"], written["created"]) == (
        before["command"],
        before["created"],
    )
    assert "--parts dropout" in written["updated"]["dropout"]["command"]
    assert "'dropout' re-run on" in experiments.load_runs(path).provenance()


def test_an_interrupted_partial_update_loses_no_seed(tmp_path, monkeypatch):
    def part(seed):
        if seed == 1:
            raise KeyboardInterrupt
        return {"x": seed}

    monkeypatch.setitem(multiseed._PARTS, "dropout", part)
    path = tmp_path / "claims.json"
    path.write_text(RESULTS.read_text())
    before = json.loads(path.read_text())
    with pytest.raises(KeyboardInterrupt):
        experiments.run_seeds(before["seeds"], path, parts=["dropout"], progress=None)
    after = json.loads(path.read_text())
    assert after["seeds"] == before["seeds"]
    assert after["runs"][0]["dropout"] == {"x": 0}
    assert after["runs"][1:] == before["runs"][1:]


# --- reproducing seed 0 of the committed file -----------------------------------

#: How close a re-run must come to the committed numbers. On the machine and versions
#: that made the file the runs repeat exactly, and there a re-run must come within
#: 2 points of accuracy, the learning-rate bracket within one refinement (a factor
#: 3 ** (1/8) = 1.15), 20% of a shift or a prediction error. On another CPU,
#: TensorFlow's kernels (oneDNN, Eigen) round differently and a 600-step run at a
#: high learning rate diverges from the first differing bit: seed 0 is then a fresh
#: draw (seen: the noisy-BN experiment's plain network at 0.741 on an AMD EPYC
#: against 0.656 committed). Such a value must still be one the committed seeds
#: make plausible: within SPREAD sample standard deviations of their mean (plus the
#: tolerance). With five seeds, a fresh draw lands outside 4 sd with probability
#: under 2% (Student's t, 4 degrees of freedom, scaled by sqrt(1 + 1/5)).
ACCURACY, BRACKET, RELATIVE, SPREAD = 0.02, 3 ** (1 / 8) * 1.001, 0.2, 4.0


def _plausible(now, seeds, tolerance):
    """True if ``now`` is within SPREAD sd (+ tolerance) of the committed seeds."""
    seeds = np.asarray(seeds, dtype=float)
    return abs(now - seeds.mean()) <= SPREAD * seeds.std(ddof=1) + tolerance


def _close(a, b, what, others):
    """``a`` (re-run) against ``b`` (committed seed 0); ``others``: every seed's."""
    if isinstance(a, dict):
        for key in a:
            _close(a[key], b[key], f"{what}.{key}", [o[key] for o in others])
    elif isinstance(a, list):
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _close(x, y, f"{what}[{i}]", [o[i] for o in others])
    elif a is None or b is None:
        assert a is b, what
    else:
        assert abs(a - b) <= ACCURACY or _plausible(a, others, ACCURACY), (
            f"{what}: {a} vs {b} (committed seed 0; seeds {others})"
        )


@pytest.mark.slow
@pytest.mark.parametrize("part", [p for p in multiseed.PARTS if p != "figure1"])
def test_seed_0_reproduces_the_committed_results(keras, part):
    runs = experiments.load_runs(RESULTS)
    committed = runs.seed(0)[part]
    every = [run[part] for run in runs.runs]
    now = experiments.run_seed(0, parts=[part])[part]
    if part == "learning_rate":
        for name in ("plain", "bn"):
            low, seeds = now["low"][name], [o["low"][name] for o in every]
            # The bracket is multiplicative: compared in log space.
            assert low / BRACKET <= committed["low"][
                name
            ] <= low * BRACKET or _plausible(
                np.log(low), np.log(seeds), np.log(BRACKET)
            ), (name, low, seeds)
    elif part == "dropout":
        _close(
            now["at_short"], committed["at_short"], part, [o["at_short"] for o in every]
        )
        _close(now["at_end"], committed["at_end"], part, [o["at_end"] for o in every])
    elif part == "regularizer":
        _close(
            now["val_accuracy"],
            committed["val_accuracy"],
            part,
            [o["val_accuracy"] for o in every],
        )
        _close(
            now["train_accuracy"],
            committed["train_accuracy"],
            part,
            [o["train_accuracy"] for o in every],
        )
    elif part == "noisy":
        _close(
            now["val_accuracy"],
            committed["val_accuracy"],
            part,
            [o["val_accuracy"] for o in every],
        )
        _close(
            now["high_rate"]["val_accuracy"],
            committed["high_rate"]["val_accuracy"],
            part,
            [o["high_rate"]["val_accuracy"] for o in every],
        )
        for key in ("shift", "prediction_error", "gradient_predictiveness"):
            for name, value in committed[key].items():
                seeds = [o[key][name] for o in every]
                assert now[key][name] == pytest.approx(value, rel=RELATIVE) or (
                    _plausible(now[key][name], seeds, RELATIVE * abs(value))
                ), (key, name, now[key][name], seeds)
    elif part == "small_batch":
        _close(
            now["val_accuracy"],
            committed["val_accuracy"],
            part,
            [o["val_accuracy"] for o in every],
        )
