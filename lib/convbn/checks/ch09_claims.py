"""Chapter 9, batch normalization in practice: the checker of a claim re-run with
several seeds (BN trains faster, dropout, BN as a regularizer) and of the verdict
its numbers support.

The student's runs are results of :mod:`convbn.experiments`; the reference verdict
is :func:`convbn.experiments.verdict`, and one run is re-run to confirm it. The
chapter's other checkers are in :mod:`convbn.checks.ch09` and
:mod:`convbn.checks.ch09_keras`."""

from __future__ import annotations

import inspect
import itertools

import numpy as np

from ._core import Mistake, as_array, as_float, close, first_mistake

#: The claim's exercise is not a function to write: nothing here is "numpy only".
NUMPY_ONLY = ()

__all__ = ["check_claim_decision"]


def _terms(attribute: str, first: str, second: str):
    """``result -> (result.attribute[first], result.attribute[second])``."""

    def terms(result):
        values = getattr(result, attribute)
        return values[first], values[second]

    return terms


def _claim_kinds() -> dict:
    """For each experiment result a claim can be tested on: the function that runs
    it, the claimed difference's two terms, look-alike quantities (each with the
    mistake it reveals) and how the difference is described."""
    from .. import experiments

    other = "these are differences of another quantity; the claim is about the "

    def one_other(run, terms, other_terms, about, **text):
        return dict(run=run, terms=terms, others=[(other_terms, other + about)], **text)

    return {
        experiments.Figure1Result: dict(
            run=experiments.mnist_experiment,
            terms=lambda r: (r.accuracy["bn"][-1], r.accuracy["plain"][-1]),
            others=[
                (
                    lambda r: (r.accuracy["bn"][0], r.accuracy["plain"][0]),
                    "you took the test accuracy at the FIRST evaluation (step 0, "
                    "before any training: index 0); the claim is about the accuracy "
                    "after the last step (index -1)",
                ),
                (
                    lambda r: (r.accuracy["bn"].mean(), r.accuracy["plain"].mean()),
                    "you averaged the test accuracy over the evaluations; the claim "
                    "is about the accuracy after the last step (index -1)",
                ),
            ],
            claimed="test accuracy with BN minus without, after the last step",
            reversed="plain minus BN",
            metric="test accuracy",
        ),
        experiments.DropoutResult: one_other(
            experiments.dropout_experiment,
            _terms("val_accuracy", "no dropout", "dropout"),
            _terms("train_accuracy", "no dropout", "dropout"),
            "validation accuracy, not the training accuracy",
            claimed="validation accuracy without dropout minus with dropout",
            reversed="with dropout minus without",
            metric="validation accuracy",
        ),
        experiments.RegularizerResult: one_other(
            experiments.regularizer_experiment,
            _terms("gap", "plain", "bn"),
            _terms("val_accuracy", "bn", "plain"),
            "train - validation gap, not the validation accuracy",
            claimed="train - validation gap without BN minus with BN",
            reversed="with BN minus without (BN - plain)",
            metric="train - validation gap",
        ),
    }


def _as_results(results, kinds) -> tuple:
    names = " or ".join(k.__name__ for k in kinds)
    if isinstance(results, tuple(kinds)):
        raise AssertionError(
            "results must be the list of your runs, one result per seed; got one "
            f"{type(results).__name__}"
        )
    if isinstance(results, str | bytes | dict) or not hasattr(results, "__len__"):
        raise AssertionError(
            f"results must be a list of {names} (one per seed), got "
            f"{type(results).__name__}"
        )
    results = tuple(results)
    wrong = [type(r).__name__ for r in results if not isinstance(r, tuple(kinds))]
    if wrong:
        raise AssertionError(
            f"results must hold what the experiment returned ({names}), got "
            f"{', '.join(wrong)}"
        )
    if len({type(r) for r in results}) > 1:
        raise AssertionError("results mixes two experiments: use one claim's runs")
    if len(results) < 3:
        raise AssertionError(
            f"only {len(results)} run(s): fewer than 3 seeds. One seed cannot tell an "
            "effect from luck; run the experiment with seeds 0, 1 and 2"
        )
    seeds = [r.config.get("seed") for r in results]
    repeated = sorted({s for s in seeds if seeds.count(s) > 1})
    if repeated:
        raise AssertionError(
            f"seed {repeated[0]} was run more than once: runs with the same seed are "
            "identical, not independent evidence; use a different seed for each run"
        )
    settings = [{k: v for k, v in r.config.items() if k != "seed"} for r in results]
    for other, setting in zip(seeds[1:], settings[1:], strict=True):
        changed = sorted(k for k in setting if setting[k] != settings[0].get(k))
        if changed:
            raise AssertionError(
                f"the run with seed {other} differs from the first in {changed[0]} "
                f"({settings[0].get(changed[0])} vs {setting[changed[0]]}): only the "
                "seed may change between runs, or they do not measure the same thing"
            )
    return results


def _differences_mistakes(results, kind, n) -> list[Mistake]:
    a, b = (np.array(v) for v in zip(*map(kind["terms"], results), strict=True))
    mistakes = [
        Mistake(
            np.sort(b - a),
            f"your differences have the wrong orientation ({kind['reversed']}); the "
            f"claim predicts a positive {kind['claimed']}, so the verdict's rule "
            "needs them that way round",
        ),
        Mistake(
            np.sort(100 * (a - b)),
            "your differences are in percentage points (times 100) while the margin "
            "is a fraction of 1: keep the accuracies as fractions",
        ),
        Mistake(
            np.sort(np.subtract.outer(a, b).ravel()) if n > 1 else None,
            "you took a difference for every pair of runs (i, j); pair each seed's two "
            "runs only: one difference per seed",
        ),
    ]
    for terms, message in kind["others"]:
        first, second = (np.array(v) for v in zip(*map(terms, results), strict=True))
        mistakes.append(Mistake(np.sort(first - second), message))
    for order in itertools.permutations(range(n)):
        if list(order) != list(range(n)):
            mistakes.append(
                Mistake(
                    np.sort(a - b[list(order)]),
                    "your differences pair runs of different seeds; each difference "
                    "must compare the two runs of the SAME seed (same initial weights "
                    "and batches): that pairing is what removes the seed-to-seed "
                    "spread",
                )
            )
    return mistakes


def _check_differences(differences, results, kind) -> np.ndarray:
    """The paired differences of ``results``; AssertionError if the student's
    ``differences`` are not those (in any order)."""
    n = len(results)
    a, b = (np.array(v) for v in zip(*map(kind["terms"], results), strict=True))
    expected = a - b
    if differences is None:
        raise AssertionError("differences is None: compute one difference per seed")
    got = as_array(differences, what="differences")
    if got.ndim == 0 or got.size == 1:
        if close(got.ravel()[:1], [expected.mean()], rtol=1e-6, atol=1e-9):
            raise AssertionError(
                "differences holds one number, the mean of each setting over the "
                "seeds, differenced: keep one paired difference per seed (the spread "
                "of the differences is what the interval needs)"
            )
        raise AssertionError(
            f"differences must hold one number per seed ({n}), got {got.size}"
        )
    if got.ndim != 1:
        raise AssertionError(
            f"differences must be a 1-D list of {n} numbers, got shape {got.shape}"
        )
    if got.size == n and close(np.sort(got), np.sort(expected), 1e-6, 1e-9):
        return expected
    message = first_mistake(
        np.sort(got), np.sort(expected), _differences_mistakes(results, kind, n)
    )
    if message:
        raise AssertionError(message)
    if got.size < 3:
        raise AssertionError(
            f"differences holds {got.size} number(s): fewer than 3 seeds; one "
            "difference per run"
        )
    if got.size != n:
        raise AssertionError(
            f"differences holds {got.size} numbers for {n} runs: one paired "
            "difference per seed"
        )
    shown = ", ".join(f"{v:.4f}" for v in expected)
    raise AssertionError(
        f"your differences are not those of your runs: the {kind['claimed']} of "
        f"each seed is {shown}; got {', '.join(f'{v:.4f}' for v in got)}"
    )


def _verdict_message(decision, expected, summary, margin) -> str:
    numbers = (
        f"mean {summary.mean:.4f}, 95% interval [{summary.low:.4f}, "
        f"{summary.high:.4f}], margin {margin:g}"
    )
    if decision == "holds":
        why = (
            "the interval reaches down to the margin or below it: the seeds do not "
            "rule out an effect smaller than the margin ('holds' needs the lower end "
            "above the margin; a mean above it is not enough)"
        )
        return f"'holds' does not follow from your numbers ({numbers}): {why}"
    if decision == "does not hold":
        return (
            f"'does not hold' does not follow from your numbers ({numbers}): the "
            "interval reaches the margin, so an effect that large is not ruled out "
            "('does not hold' needs the upper end below the margin; a negative or "
            "small mean is not enough)"
        )
    rule = (
        "the whole interval is above the margin"
        if expected == "holds"
        else "the whole interval is below the margin"
    )
    return (
        f"your numbers are not inconclusive ({numbers}): {rule}, so the rule says "
        f"{expected!r}"
    )


def _rerun(result, kind) -> None:
    """Re-run ``result``'s experiment with its own settings; AssertionError if the
    numbers differ (one flipped validation image allowed)."""
    run = kind["run"]
    accepted = inspect.signature(run).parameters
    settings = {k: v for k, v in result.config.items() if k in accepted}
    if "rate" in accepted and hasattr(result, "rate"):
        settings["rate"] = result.rate
    again = run(**settings)
    n = result.config.get("n_val", result.config.get("n_test", 1000))
    tolerance = 1.5 / max(int(n), 1)
    for given, fresh in zip(kind["terms"](result), kind["terms"](again), strict=True):
        if abs(given - fresh) > tolerance:
            shown = ", ".join(f"{k}={v!r}" for k, v in settings.items())
            raise AssertionError(
                f"re-running {run.__name__}({shown}) gives {kind['metric']} "
                f"{fresh:.4f}, your result says {given:.4f}: hand in the results of "
                "your own runs, unchanged"
            )


def check_claim_decision(
    results, differences, decision, margin: float, seed: int = 0, rerun: bool = True
) -> bool:
    """Chapter 9: a claim re-run with several seeds, and the verdict its numbers give.

    ``results``: the list of what one experiment of :mod:`convbn.experiments`
    returned, one run per seed, at least 3 seeds, all other settings equal:
    :func:`~convbn.experiments.mnist_experiment`,
    :func:`~convbn.experiments.dropout_experiment` or
    :func:`~convbn.experiments.regularizer_experiment`. ``differences``: the paired
    differences, one per seed, in any order, oriented so that the claim predicts a
    positive value: the final test accuracy with BN minus without (Figure 1(a), "BN
    trains faster"); validation accuracy without dropout minus with dropout; the
    train - validation gap without BN minus with BN.
    ``decision``: "holds", "does not hold" or "inconclusive at this scale".

    Everything is judged on the student's own runs: the differences are recomputed
    from ``results``, the verdict from those differences by
    :func:`convbn.experiments.verdict` with ``margin`` (95% Student-t interval
    ``[lo, hi]``, one claim alone: holds if ``lo > margin``; does not hold if ``hi <
    margin``; inconclusive otherwise); with ``rerun`` one run, picked with
    ``seed``, is run again to confirm that its numbers are real.
    """
    from .. import experiments

    margin = as_float(margin, "margin")
    kinds = _claim_kinds()
    results = _as_results(results, kinds)
    kind = kinds[type(results[0])]
    paired = _check_differences(differences, results, kind)
    if not isinstance(decision, str):
        raise AssertionError(
            f"decision must be one of {', '.join(map(repr, experiments.VERDICTS))}, "
            f"got {type(decision).__name__} {decision!r}"
        )
    said = " ".join(decision.strip().lower().rstrip(".").split())
    said = {"inconclusive": experiments.VERDICTS[2]}.get(said, said)
    if said not in experiments.VERDICTS:
        raise AssertionError(
            f"decision must be one of {', '.join(map(repr, experiments.VERDICTS))}, "
            f"got {decision!r}"
        )
    expected = experiments.verdict(paired, margin)
    if said != expected:
        summary = experiments.summarize(paired)
        raise AssertionError(_verdict_message(said, expected, summary, margin))
    if rerun:
        rng = np.random.default_rng(seed)
        _rerun(results[int(rng.integers(len(results)))], kind)
    return True
