"""Honest statistics for a handful of seeded runs (chapter 9).

A claim about batch normalization is tested by running the same comparison with
several seeds (new initial weights, new mini-batch order, new data split each time)
and looking at the *paired differences*: with BN minus without, for the same seed.
Five numbers do not make a distribution, so the course reports them the plainest way
that is still honest:

* the mean and the sample standard deviation (``ddof=1``);
* a confidence interval for the mean, ``mean +- t * sd / sqrt(n)``, with ``t`` the
  matching percentile of Student's t distribution with ``n - 1`` degrees of freedom;
* a three-level verdict by criteria written down before any number is seen.

The verdict rule (:func:`verdict`). A claim says that a difference ``d`` (oriented so
that the claim predicts ``d > 0``) is larger than a *margin* ``delta >= 0``: the
smallest difference that would matter at this scale (for example one percentage
point of accuracy). With ``[lo, hi]`` the interval of the mean difference, the rule
compares the interval with the margin, the same way on both sides:

* **holds** if ``lo > delta``: the whole interval lies above the margin;
* **does not hold** if ``hi < delta``: the whole interval lies below it, so an
  effect as large as the margin is ruled out;
* **inconclusive at this scale** otherwise: the interval contains the margin.

A claim that two settings do *about as well* (:func:`equivalence_verdict`) holds if
the interval lies inside ``(-delta, delta)``: two one-sided tests (TOST) at the
level of each side of the interval.

Many verdicts (:func:`familywise_confidence`). An interval at confidence ``c``
misses the true mean with probability ``1 - c``; a table of ``m`` rows, each with
its own 95% interval, can easily hold a wrong verdict somewhere. Bonferroni's
inequality bounds that: if each row uses confidence ``1 - alpha / m``, all ``m``
intervals contain their true means at once with probability at least ``1 - alpha``,
and then every verdict read from them is right. This holds as far as each interval
has its stated coverage: Student's t assumes roughly normal differences, which with
five seeds and a tail of ``alpha / (2m)`` is an assumption, not a check. Each side
of such an interval is a one-sided test at level ``alpha / (2m)``, for both kinds of
claim.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, as_number

#: The three verdicts, in the order the claims table explains them.
VERDICTS = ("holds", "does not hold", "inconclusive at this scale")


#: The chance that at least one verdict of a table is wrong, at most (Bonferroni).
FAMILYWISE_ALPHA = 0.05


def familywise_confidence(m: int, alpha: float = FAMILYWISE_ALPHA) -> float:
    """The confidence of each of ``m`` intervals so that all hold at once with
    probability at least ``1 - alpha`` (Bonferroni): ``1 - alpha / m``.

    Introduced in chapter 9. ``m`` is the number of verdicts decided together (the
    rows of a claims table), fixed in advance of the numbers it will judge (chapter
    9 set it after an earlier review had seen the first runs, and says so).
    """
    m = as_number(m, "m", integer=True, minimum=1)
    alpha = as_number(alpha, "alpha", positive=True, maximum=0.5)
    return 1.0 - alpha / m


def _t_quantile(q: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.ppf(q, df))


@dataclass(frozen=True)
class Summary:
    """What :func:`summarize` returns: ``n`` runs, their ``mean``, sample standard
    deviation ``sd``, and the ``confidence`` interval ``(low, high)`` of the mean."""

    n: int
    mean: float
    sd: float
    low: float
    high: float
    confidence: float = 0.95

    def format(self, scale: float = 1.0, digits: int = 1, unit: str = "") -> str:
        """``"mean ± sd [low, high]"`` with every number times ``scale``."""
        f = f"{{:.{digits}f}}"
        m, s, lo, hi = (
            f.format(scale * v) for v in (self.mean, self.sd, self.low, self.high)
        )
        ci = f"{confidence_label(self.confidence)} CI {lo}{unit} to {hi}{unit}"
        return f"{m}{unit} ± {s}{unit} ({ci}, n = {self.n})"


def confidence_label(confidence: float) -> str:
    """``0.95`` -> ``"95%"``, ``0.99667`` -> ``"99.67%"``: as few digits as show it."""
    for digits in range(4):
        text = f"{100 * confidence:.{digits}f}"
        if abs(float(text) - 100 * confidence) < 5e-3:
            return f"{text}%"
    return f"{100 * confidence:.2f}%"


def summarize(values, confidence: float = 0.95) -> Summary:
    """Mean, sample standard deviation and Student-t interval of ``values``.

    Introduced in chapter 9. ``values`` is a 1-D sequence of ``n >= 2`` finite
    numbers (one per seed). The interval is ``mean +- t_{(1+c)/2, n-1} * sd /
    sqrt(n)`` for confidence ``c``. Equals ``scipy.stats.t.interval(c, n - 1,
    loc=mean, scale=scipy.stats.sem(values))``.
    """
    values = as_float_array(values, "values", ndim=1)
    confidence = as_number(confidence, "confidence", positive=True, maximum=0.9999)
    if values.size < 2:
        raise ValueError(f"values must hold at least 2 runs, got {values.size}")
    if not np.all(np.isfinite(values)):
        raise ValueError("values must be finite (a run that failed has no number)")
    n = int(values.size)
    mean = float(values.mean())
    sd = float(values.std(ddof=1))
    half = _t_quantile((1 + confidence) / 2, n - 1) * sd / np.sqrt(n)
    return Summary(n, mean, sd, float(mean - half), float(mean + half), confidence)


def verdict(differences, margin: float = 0.0, confidence: float = 0.95) -> str:
    """The three-level verdict on a claim that the paired ``differences`` exceed
    ``margin``.

    Introduced in chapter 9. ``differences``: one number per seed, oriented so that
    the claim predicts a positive value (e.g. accuracy with BN minus without).
    ``margin`` (>= 0): the smallest difference that matters. With ``[lo, hi]`` the
    ``confidence`` interval of the mean (:func:`summarize`):

    * ``"holds"`` if ``lo > margin``;
    * ``"does not hold"`` if ``hi < margin``;
    * ``"inconclusive at this scale"`` otherwise.

    Equals the rule stated in the chapter before any run: it depends only on the
    numbers given, so a student's own three seeds get the verdict their runs support.
    For several claims decided together, pass :func:`familywise_confidence`.
    """
    margin = as_number(margin, "margin", minimum=0.0)
    s = summarize(differences, confidence)
    if s.low > margin:
        return VERDICTS[0]
    if s.high < margin:
        return VERDICTS[1]
    return VERDICTS[2]


def equivalence_verdict(differences, margin: float, confidence: float = 0.95) -> str:
    """The verdict on a claim that two settings do *about as well* (``|d| < margin``).

    Introduced in chapter 9 (the noisy-BN experiment: "trains about as well"). With
    ``[lo, hi]`` the ``confidence`` interval of the mean difference:

    * ``"holds"`` if ``-margin < lo`` and ``hi < margin`` (the interval lies inside
      the band): two one-sided tests, each at level ``(1 - confidence) / 2`` (pass
      ``confidence=0.90`` for the usual TOST at 5%);
    * ``"does not hold"`` if the interval lies wholly outside the band (``hi <
      -margin`` or ``lo > margin``);
    * ``"inconclusive at this scale"`` otherwise.
    """
    margin = as_number(margin, "margin", positive=True)
    s = summarize(differences, confidence)
    if -margin < s.low and s.high < margin:
        return VERDICTS[0]
    if s.high < -margin or s.low > margin:
        return VERDICTS[1]
    return VERDICTS[2]
