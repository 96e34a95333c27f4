"""Chapter 9's claims over several seeds: the runs, the committed results, the table.

``python -m convbn.experiments claims --seeds 5 --out FILE`` runs :func:`run_seed`
for seeds 0, 1, ..., 4 and writes what they measured to a JSON file. The chapter
reads that file (:func:`load_runs`) and builds the table with :func:`seeded_table`:
each row gives n, the mean and standard deviation of the paired difference the claim
is about, its interval at the family-wise :data:`CONFIDENCE`, and a three-level
verdict by a criterion written in the row (:data:`CRITERIA`), fixed before the
runs. A test re-runs seed 0 and compares it with the file.

A seed changes everything random: the split of the MNIST subset, the initial
weights, the order of the mini-batches and the dropout masks.
"""

from __future__ import annotations

import datetime
import json
import math
import platform
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from .._validation import as_number
from .claims import ClaimsTable
from .debate import noisy_bn_experiment, noisy_bn_high_rate, small_batch_experiment
from .figure1 import mnist_experiment
from .measures import dropout_curves, learning_rate_interval, regularizer_curves
from .stats import (
    confidence_label,
    equivalence_verdict,
    familywise_confidence,
    summarize,
    verdict,
)

#: The command that makes the committed results (the chapter prints it).
COMMAND = "python -m convbn.experiments claims --seeds 5 --out {out}"

#: The measurements of one seed, in the order :func:`run_seed` runs them.
PARTS = ("figure1", "learning_rate", "dropout", "regularizer", "noisy", "small_batch")

#: The file the chapter reads, relative to the repository root.
RESULTS = "chapters/09_bn_in_practice/claims.json"


# --- one seed -----------------------------------------------------------------------


def _finite_or_none(x):
    return None if x is None or not math.isfinite(x) else float(x)


def run_seed(seed: int, *, parts=None) -> dict:
    """Every measurement of chapter 9's seeded table, for one ``seed``.

    Introduced in chapter 9. Returns a JSON-ready dict with one entry per part
    (``"figure1"``, ``"learning_rate"``, ``"dropout"``, ``"regularizer"``,
    ``"noisy"``, ``"small_batch"``), each a dict of plain numbers, and
    ``"seconds"``, the time each part took. ``parts`` limits the run to some parts.
    The settings are each function's defaults (:func:`mnist_experiment` with 3,000
    steps, :func:`learning_rate_interval`, :func:`dropout_curves`,
    :func:`regularizer_curves`, :func:`noisy_bn_experiment` with
    :func:`noisy_bn_high_rate`, and :func:`small_batch_experiment`).
    """
    seed = as_number(seed, "seed", integer=True, minimum=0)
    every = (
        "figure1",
        "learning_rate",
        "dropout",
        "regularizer",
        "noisy",
        "small_batch",
    )
    parts = every if parts is None else tuple(parts)
    unknown = [p for p in parts if p not in every]
    if unknown:
        raise ValueError(f"parts must be among {every}; got {unknown}")
    out, seconds = {"seed": seed}, {}
    for part in parts:
        start = time.perf_counter()
        out[part] = _PARTS[part](seed)
        seconds[part] = round(time.perf_counter() - start, 1)
    out["seconds"] = seconds
    return out


def _figure1(seed):
    r = mnist_experiment(3000, seed=seed)
    cap = int(r.steps[-1]) + int(r.config["eval_every"])
    reach = r.steps_to_reach(0.9)
    drift = r.drift()
    return {
        "steps_to_90": {n: (cap if s is None else s) for n, s in reach.items()},
        "reached_90": {n: s is not None for n, s in reach.items()},
        "final_accuracy": {n: float(r.accuracy[n][-1]) for n in r.accuracy},
        "drift": drift,
    }


def _learning_rate(seed):
    r = learning_rate_interval(seed=seed)
    lo, mid, hi = r.ratio()
    stalled = r.dead("plain", "stalls")
    trained = r.dead("plain", "trains")
    return {
        "low": r.low,
        "high": {n: _finite_or_none(v) for n, v in r.high.items()},
        "ratio": {"low": lo, "mid": mid, "high": hi},
        "dead_stalls": float(np.mean(stalled)) if stalled else None,
        "dead_trains": float(np.mean(trained)) if trained else None,
        "runs": {n: [list(run) for run in runs] for n, runs in r.runs.items()},
        "monotone": r.monotone,
    }


def _dropout(seed):
    r = dropout_curves(seed=seed)
    return {
        "short": r.short,
        "at_short": r.at(r.short),
        "at_end": r.at(int(r.steps[-1])),
        "steps": r.steps.tolist(),
        "val_accuracy": {k: v.tolist() for k, v in r.val_accuracy.items()},
    }


def _regularizer(seed):
    r = regularizer_curves(seed=seed)
    return {
        "gap_at_300": r.gap_at_step(300),
        "steps": r.steps.tolist(),
        "train_loss": {k: v.tolist() for k, v in r.train_loss.items()},
        "train_accuracy": {k: v.tolist() for k, v in r.train_accuracy.items()},
        "val_accuracy": {k: v.tolist() for k, v in r.val_accuracy.items()},
    }


#: The training losses the regularizer claim may compare the networks at, in order:
#: :func:`regularizer_target` takes the first one that both networks reach in every
#: seed (chosen from the training losses alone, before any gap is compared).
TARGETS = (0.05, 0.1, 0.2, 0.3, 0.5)


def _first_at(run, name, target):
    """Index of the first evaluation where ``name``'s training loss <= ``target``."""
    hit = np.flatnonzero(np.asarray(run["regularizer"]["train_loss"][name]) <= target)
    return int(hit[0]) if hit.size else None


def regularizer_target(runs) -> float | None:
    """The matched training loss of the regularizer claim: the first of
    ``TARGETS`` (0.05, 0.1, 0.2, 0.3, 0.5) that both networks reach in every
    seed of ``runs`` (None if none is)."""
    for target in TARGETS:
        if all(
            _first_at(run, name, target) is not None
            for run in runs.runs
            for name in ("plain", "bn")
        ):
            return target
    return None


def matched(run, target) -> dict:
    """For one seed's regularizer curves: per network, the ``step``, the train -
    validation ``gap`` and the validation accuracy ``val`` where the training loss
    first reaches ``target`` (None where it never does)."""
    r = run["regularizer"]
    out = {}
    for name in ("plain", "bn"):
        i = _first_at(run, name, target)
        out[name] = (
            {"step": None, "gap": None, "val": None}
            if i is None
            else {
                "step": r["steps"][i],
                "gap": r["train_accuracy"][name][i] - r["val_accuracy"][name][i],
                "val": r["val_accuracy"][name][i],
            }
        )
    return out


def _noisy(seed):
    r = noisy_bn_experiment(seed=seed)
    high = noisy_bn_high_rate(seed=seed)
    return {
        "high_rate": {
            "learning_rate": high.learning_rate,
            "val_accuracy": high.val_accuracy,
            "outcome": high.outcome,
            "shift": {n: _finite_or_none(v) for n, v in high.shift.items()},
        },
        "noise": r.noise,
        "val_accuracy": r.val_accuracy,
        "shift": {n: r.mean_shift(n) for n in r.shift},
        "prediction_error": {
            n: float(np.mean(v)) for n, v in r.prediction_error.items()
        },
        "gradient_change": {n: float(np.mean(v)) for n, v in r.gradient_change.items()},
        "gradient_predictiveness": {
            n: float(np.mean(v)) for n, v in r.gradient_predictiveness.items()
        },
        "loss": {n: v[::10].tolist() for n, v in r.loss.items()},
    }


def _small_batch(seed):
    r = small_batch_experiment(seed=seed)
    return {
        "batch_sizes": r.batch_sizes.tolist(),
        "val_accuracy": {k: v.tolist() for k, v in r.val_accuracy.items()},
        "val_accuracy_population": {
            k: v.tolist() for k, v in r.val_accuracy_population.items()
        },
        "final_loss": {k: v.tolist() for k, v in r.final_loss.items()},
    }


_PARTS = {
    "figure1": _figure1,
    "learning_rate": _learning_rate,
    "dropout": _dropout,
    "regularizer": _regularizer,
    "noisy": _noisy,
    "small_batch": _small_batch,
}


# --- many seeds, the file ------------------------------------------------------------


def _versions() -> dict:
    import keras
    import tensorflow as tf

    return {
        "python": platform.python_version(),
        "numpy": np.__version__,
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
    }


def run_seeds(seeds, out=None, *, parts=None, progress=print) -> dict:
    """Run :func:`run_seed` for every seed of ``seeds`` and return (and, with
    ``out``, write) the results file's contents: ``{"command", "created",
    "versions", "seeds", "runs"}``. ``progress`` gets one line per seed.

    With ``parts``, only those parts are run, and they replace the same parts of the
    seeds already in ``out`` (which must exist); the rest of the file is kept, with
    its command, date and versions, and ``"updated"`` records the command, date and
    versions of each part re-run."""
    seeds = [as_number(s, "seeds", integer=True, minimum=0) for s in seeds]
    if len(seeds) < 2:
        raise ValueError(f"seeds must hold at least 2 seeds, got {len(seeds)}")
    old, head = (
        {},
        {
            "command": COMMAND.format(out=out or RESULTS),
            "created": datetime.date.today().isoformat(),
            "versions": _versions(),
        },
    )
    if parts is not None:
        if out is None or not Path(out).is_file():
            raise ValueError("parts needs out, an existing results file to update")
        previous = json.loads(Path(out).read_text())
        old = {run["seed"]: run for run in previous["runs"]}
        # the file's own provenance stays; each re-run part records its own
        redone = {
            "command": head["command"] + " --parts " + " ".join(parts),
            "created": head["created"],
            "versions": head["versions"],
        }
        head = {k: previous.get(k, head[k]) for k in ("command", "created", "versions")}
        updated = previous.get("updated", {})
        head["updated"] = {**updated, **dict.fromkeys(parts, redone)}
    runs = []
    for seed in seeds:
        start = time.perf_counter()
        run = run_seed(seed, parts=parts)
        if parts is not None:
            merged = dict(old.get(seed, {"seed": seed}))
            merged.update({k: v for k, v in run.items() if k != "seconds"})
            merged["seconds"] = {**merged.get("seconds", {}), **run["seconds"]}
            run = merged
        runs.append(run)
        # a partial update keeps the seeds it has not reached yet, as they were
        later = [old[s] for s in seeds[len(runs) :] if s in old]
        data = {
            **head,
            "seeds": seeds[: len(runs)] + [run["seed"] for run in later],
            "runs": runs + later,
        }
        if out is not None:  # after every seed: an interrupted run keeps its seeds
            Path(out).write_text(json.dumps(data, indent=1) + "\n")
        if progress:
            progress(f"seed {seed}: {time.perf_counter() - start:.0f} s")
    return data


@dataclass(frozen=True)
class SeededRuns:
    """The committed results (:func:`load_runs`): ``runs`` (one dict per seed, as
    :func:`run_seed` returns), ``seeds``, ``command`` (what made them), ``created``,
    ``versions``, and ``updated``: the parts re-run since, each with its command,
    date and versions."""

    runs: tuple
    seeds: tuple
    command: str
    created: str
    versions: dict
    updated: dict = field(default_factory=dict)

    def provenance(self) -> str:
        """Who made the file, and which parts were re-run since, one line each."""
        lines = [f"{len(self.seeds)} seeds, made on {self.created} by: {self.command}"]
        for part, how in self.updated.items():
            when, command = how["created"], how["command"]
            lines.append(f"part {part!r} re-run on {when} by: {command}")
        return "\n".join(lines)

    def values(self, *path) -> np.ndarray:
        """One number per seed: ``values("dropout", "at_end", "dropout")``; a
        missing number (``None``) becomes NaN."""
        out = []
        for run in self.runs:
            v = run
            for key in path:
                v = v[key]
            out.append(math.nan if v is None else float(v))
        return np.array(out)

    def seed(self, seed: int) -> dict:
        for run in self.runs:
            if run["seed"] == seed:
                return run
        raise KeyError(f"no seed {seed}; the file has {list(self.seeds)}")


def load_runs(path) -> SeededRuns:
    """Read a results file written by ``python -m convbn.experiments claims``."""
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(
            f"path {str(path)!r} is not a file; make it with {COMMAND.format(out=path)}"
        )
    data = json.loads(path.read_text())
    missing = {"runs", "seeds", "command"} - set(data)
    if missing:
        raise ValueError(
            f"path {str(path)!r} is not a claims file: no {sorted(missing)}"
        )
    return SeededRuns(
        tuple(data["runs"]),
        tuple(data["seeds"]),
        data["command"],
        data.get("created", ""),
        data.get("versions", {}),
        data.get("updated", {}),
    )


# --- the table ----------------------------------------------------------------------

#: Each row's criterion, as the chapter states it before showing any number:
#: ``(kind, margin, the criterion in words)``. ``kind`` is ``"greater"``
#: (:func:`verdict`: the claim predicts the difference above the margin) or
#: ``"equivalent"`` (:func:`equivalence_verdict`). Every row is decided on its
#: :data:`FAMILY` interval.
CRITERIA = {
    "figure1_faster": (
        "greater",
        50.0,
        "steps to 90% test accuracy, plain minus BN (a run that never gets there "
        "counts as 3,050), against a margin of 50 steps (one evaluation interval)",
    ),
    "figure1_higher": (
        "greater",
        0.01,
        "test accuracy after 3,000 steps, BN minus plain, against a margin of 1 point",
    ),
    "figure1_stable": (
        "greater",
        math.log(1.1),
        "log of (percentile drift without BN / with BN), sigmoid inputs in training "
        "mode, against a margin of log 1.1 (10% less drift)",
    ),
    "learning_rate": (
        "greater",
        math.log(2.0),
        "log of (BN's largest trainable learning rate / the plain network's), "
        "bracket midpoints, against a margin of log 2 ('much higher': at least "
        "twice)",
    ),
    "dead_relus": (
        "greater",
        0.25,
        "fraction of dead ReLU channels, the plain network's stalled runs minus its "
        "runs that train (mean per seed), against a margin of 25 points",
    ),
    "cost": (
        "equivalent",
        0.15,
        "time of a BN step / a plain step, minus 1.30, within +-0.15 ('about 30%': "
        "15% to 45% extra)",
    ),
    "dropout_slows": (
        "greater",
        0.01,
        "validation accuracy after 200 steps, no dropout minus Dropout(0.5), "
        "against a margin of 1 point",
    ),
    "dropout_beats": (
        "greater",
        0.01,
        "validation accuracy after 800 steps, no dropout minus Dropout(0.5), "
        "against a margin of 1 point",
    ),
    "regularizer": (
        "greater",
        0.01,
        "train - validation accuracy gap where each network first reaches the same "
        "training loss (the first of 0.05, 0.1, 0.2, 0.3, 0.5 that both reach in "
        "every seed), plain minus BN, against a margin of 1 point",
    ),
    "noisy_trains": (
        "equivalent",
        0.03,
        "validation accuracy at learning rate 0.1, noisy BN minus BN, within +-3 "
        "points ('about as well')",
    ),
    "noisy_shifts": (
        "greater",
        0.0,
        "step-to-step shift of the second layer's input at learning rate 0.1, noisy "
        "BN minus plain, against 0",
    ),
    "noisy_high_rate": (
        "greater",
        0.10,
        "validation accuracy after 200 steps at learning rate 1.0 (which stalls the "
        "plain network in every seed of the learning-rate bracket), noisy BN minus "
        "plain, against a margin of 10 points",
    ),
    "smoother": (
        "greater",
        0.0,
        "error of the gradient's first-order prediction of the loss along it (this "
        "course's proxy), plain minus BN, against 0",
    ),
    "gradient_predictive": (
        "greater",
        0.0,
        "Santurkar et al.'s gradient predictiveness |grad L(w) - grad L(w - eta g)|, "
        "plain minus BN, against 0",
    ),
    "small_batch": (
        "greater",
        0.01,
        "validation accuracy at batch size 2 (inference mode as Keras evaluates: BN "
        "with its moving averages), group norm minus BN, against a margin of 1 point",
    ),
}

#: The verdicts decided together: every row of chapter 9, on both of its pages.
FAMILY = tuple(CRITERIA)
#: The confidence of each row's interval, ``1 - 0.05 / len(FAMILY)`` (Bonferroni):
#: all rows' intervals hold at once with probability at least 95%.
CONFIDENCE = familywise_confidence(len(FAMILY))

_SOURCES = {
    "figure1_faster": "paper section 4.1, Figure 1(a)",
    "figure1_higher": "paper section 4.1, Figure 1(a)",
    "figure1_stable": "paper section 4.1, Figure 1(b, c)",
    "learning_rate": "slides (30x); paper sections 3.3, 4.2.1",
    "dead_relus": "an association in this chapter's runs, not a cause",
    "cost": "slides; the paper does not report BN's runtime (its only 30% belongs "
    "to another change)",
    "dropout_slows": "paper sections 3.4, 4.2.1 (removing dropout speeds training)",
    "dropout_beats": "slides; the paper says only 'without increasing overfitting'",
    "regularizer": "slides; paper section 3.4",
    "noisy_trains": "Santurkar et al. (2018), section 2.1",
    "noisy_shifts": "Santurkar et al. (2018), section 2.1",
    "noisy_high_rate": "Santurkar et al. (2018), section 2.1, at a rate above the "
    "plain network's limit",
    "smoother": "Santurkar et al. (2018), section 3 (a proxy, not their measure)",
    "gradient_predictive": "Santurkar et al. (2018), section 3.1",
    "small_batch": "Wu & He (2018), section 4.1",
}

_CLAIMS = {
    "figure1_faster": "With BN the network trains faster (Figure 1a)",
    "figure1_higher": "With BN the network reaches a higher accuracy (Figure 1a)",
    "figure1_stable": "With BN a sigmoid's input distribution moves less in training "
    "(Figure 1b, c)",
    "learning_rate": "BN permits a much higher learning rate",
    "dead_relus": "Runs of the plain network that stall have more dead ReLU "
    "channels than runs that train",
    "cost": "BN adds about 30% to the time of a training step",
    "dropout_slows": "Dropout slows a short run of a BN network",
    "dropout_beats": "A BN network without dropout ends up better than with it",
    "regularizer": "BN acts as a regularizer (it reduces overfitting)",
    "noisy_trains": "BN with random noise after it trains about as well as BN",
    "noisy_shifts": "... although its layer inputs shift more than without BN",
    "noisy_high_rate": "BN with that noise still trains at a learning rate that "
    "stalls the plain network",
    "smoother": "With BN the gradient predicts the loss along it better (proxy)",
    "gradient_predictive": "With BN the gradient changes less along a step",
    "small_batch": "At batch size 2 group normalization beats BN",
}


@dataclass(frozen=True)
class SeededClaim:
    """One row of the seeded table: the claim, its source, the criterion stated
    before the runs, what was measured (mean +- sd and the :data:`CONFIDENCE` interval
    over n seeds)
    and the verdict (one of :data:`convbn.experiments.VERDICTS`)."""

    key: str
    claim: str
    source: str
    criterion: str
    measured: str
    verdict: str
    n: int
    differences: tuple

    @property
    def holds(self) -> bool:
        return self.verdict == "holds"


class SeededTable(ClaimsTable):
    """:class:`ClaimsTable` with the criterion of each row and n."""

    COLUMNS = (
        "claim",
        "source",
        "criterion (quantity and margin fixed before the runs)",
        "measured",
        "verdict",
    )

    def _cells(self, row) -> tuple:
        return (row.claim, row.source, row.criterion, row.measured, row.verdict)


def _row(key, differences, measured_fn) -> SeededClaim:
    kind, margin, criterion = CRITERIA[key]
    d = np.asarray(differences, dtype=float)
    d = d[np.isfinite(d)]
    if d.size < 2:
        measured = f"fewer than 2 seeds gave a number (n = {d.size})"
        result = "inconclusive at this scale"
    else:
        decide = verdict if kind == "greater" else equivalence_verdict
        result = decide(d, margin, CONFIDENCE)
        measured = measured_fn(summarize(d, CONFIDENCE))
    return SeededClaim(
        key,
        _CLAIMS[key],
        _SOURCES[key],
        criterion,
        measured,
        result,
        int(d.size),
        tuple(float(x) for x in d),
    )


def seeded_differences(runs: SeededRuns, timing=None) -> dict:
    """The paired difference of every row, one number per seed (NaN where a seed
    gave none); ``"cost"`` (from ``timing``, a :class:`StepTime`: one ratio per
    timed repeat) only when ``timing`` is given."""
    v = runs.values
    d = {
        "figure1_faster": v("figure1", "steps_to_90", "plain")
        - v("figure1", "steps_to_90", "bn"),
        "figure1_higher": v("figure1", "final_accuracy", "bn")
        - v("figure1", "final_accuracy", "plain"),
        "figure1_stable": np.log(v("figure1", "drift", "plain"))
        - np.log(v("figure1", "drift", "bn")),
        "learning_rate": np.log(v("learning_rate", "ratio", "mid")),
        "dead_relus": v("learning_rate", "dead_stalls")
        - v("learning_rate", "dead_trains"),
        "dropout_slows": v("dropout", "at_short", "no dropout")
        - v("dropout", "at_short", "dropout"),
        "dropout_beats": v("dropout", "at_end", "no dropout")
        - v("dropout", "at_end", "dropout"),
        "noisy_trains": v("noisy", "val_accuracy", "noisy")
        - v("noisy", "val_accuracy", "bn"),
        "noisy_shifts": v("noisy", "shift", "noisy") - v("noisy", "shift", "plain"),
        "noisy_high_rate": v("noisy", "high_rate", "val_accuracy", "noisy")
        - v("noisy", "high_rate", "val_accuracy", "plain"),
        "smoother": v("noisy", "prediction_error", "plain")
        - v("noisy", "prediction_error", "bn"),
        "gradient_predictive": v("noisy", "gradient_predictiveness", "plain")
        - v("noisy", "gradient_predictiveness", "bn"),
    }
    target = regularizer_target(runs)
    gaps = [matched(run, target) if target else None for run in runs.runs]
    d["regularizer"] = np.array(
        [
            math.nan
            if g is None or g["plain"]["gap"] is None or g["bn"]["gap"] is None
            else g["plain"]["gap"] - g["bn"]["gap"]
            for g in gaps
        ]
    )
    i2 = [run["small_batch"]["batch_sizes"].index(2) for run in runs.runs]
    d["small_batch"] = np.array(
        [
            run["small_batch"]["val_accuracy"]["gn"][i]
            - run["small_batch"]["val_accuracy"]["bn"][i]
            for run, i in zip(runs.runs, i2, strict=True)
        ]
    )
    if timing is not None:
        d["cost"] = (
            np.asarray(timing.seconds["bn"]) / np.asarray(timing.seconds["plain"])
            - 1.30
        )
    return d


def _ci(s):
    return f"{confidence_label(s.confidence)} CI"


def _pts(s):
    return (
        f"{100 * s.mean:+.1f} ± {100 * s.sd:.1f} points ({_ci(s)} {100 * s.low:+.1f} "
        f"to {100 * s.high:+.1f}, n = {s.n})"
    )


def _ratio(s):
    return (
        f"ratio {math.exp(s.mean):.2f} (geometric mean; {_ci(s)} "
        f"{math.exp(s.low):.2f} to {math.exp(s.high):.2f}, n = {s.n})"
    )


def _plain(s):
    return (
        f"{s.mean:+.3f} ± {s.sd:.3f} ({_ci(s)} {s.low:+.3f} to {s.high:+.3f}, "
        f"n = {s.n})"
    )


_MEASURED = {
    "figure1_faster": lambda s: (
        f"{s.mean:.0f} ± {s.sd:.0f} steps fewer with BN "
        f"({_ci(s)} {s.low:.0f} to {s.high:.0f}, n = {s.n})"
    ),
    "figure1_higher": _pts,
    "figure1_stable": lambda s: "drift " + _ratio(s),
    "learning_rate": lambda s: "learning rate " + _ratio(s),
    "dead_relus": _pts,
    "cost": lambda s: (
        f"BN step / plain step {1.30 + s.mean:.2f} ± {s.sd:.2f} ({_ci(s)} "
        f"{1.30 + s.low:.2f} to {1.30 + s.high:.2f}, n = {s.n} timed repeats, this CPU)"
    ),
    "dropout_slows": _pts,
    "dropout_beats": _pts,
    "regularizer": _pts,
    "noisy_trains": _pts,
    "noisy_shifts": _plain,
    "noisy_high_rate": _pts,
    "smoother": _plain,
    "gradient_predictive": _plain,
    "small_batch": _pts,
}

#: The rows of the slides' and the paper's claims (the rest are the debate's).
CLAIM_ROWS = (
    "figure1_faster",
    "figure1_higher",
    "figure1_stable",
    "learning_rate",
    "dead_relus",
    "cost",
    "dropout_slows",
    "dropout_beats",
    "regularizer",
)
#: The rows of the section "after the paper".
DEBATE_ROWS = (
    "noisy_trains",
    "noisy_shifts",
    "noisy_high_rate",
    "smoother",
    "gradient_predictive",
    "small_batch",
)


def seeded_table(runs: SeededRuns, timing=None, keys=CLAIM_ROWS) -> SeededTable:
    """The table of ``keys`` (default: the paper's and the slides' claims) from the
    committed runs, each row decided by :data:`CRITERIA`.

    Introduced in chapter 9. ``timing`` (a :class:`StepTime` measured in the
    notebook, on the reader's machine) gives the cost row; without it that row is
    left out. Generated from the numbers, never typed.
    """
    if not isinstance(runs, SeededRuns):
        raise TypeError(
            f"runs must be a SeededRuns (from load_runs), got {type(runs).__name__}"
        )
    d = seeded_differences(runs, timing)
    unknown = [k for k in keys if k not in CRITERIA]
    if unknown:
        raise ValueError(f"keys must be among {list(CRITERIA)}; got {unknown}")
    rows = [_row(k, d[k], _MEASURED[k]) for k in keys if k in d]
    return SeededTable(tuple(rows))
