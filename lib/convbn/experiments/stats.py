"""Honest statistics for a handful of seeded runs (chapter 9).

A claim about batch normalization is tested by running the same comparison with
several seeds (new initial weights, new mini-batch order, new data split each time)
and looking at the *paired differences*: with BN minus without, for the same seed.
Five numbers do not make a distribution, so the course reports them the plainest way
that is still honest:

* the mean and the sample standard deviation (``ddof=1``);
* a 95% confidence interval for the mean, ``mean +- t * sd / sqrt(n)``, with ``t``
  the 97.5th percentile of Student's t distribution with ``n - 1`` degrees of freedom
  (2.78 for five seeds);
* a three-level verdict by criteria written down before any number is seen.

The verdict rule (:func:`verdict`). A claim says that a difference ``d`` (oriented so
that the claim predicts ``d > 0``) is positive, by more than nothing. Each claim comes
with a *margin* ``delta >= 0``: the smallest difference that would matter at this
scale (for example one percentage point of accuracy). Then, with ``[lo, hi]`` the 95%
interval of the mean difference:

* **holds** if ``lo > 0`` and ``mean > delta``: the interval excludes zero on the
  claimed side and the estimated effect is bigger than the margin;
* **does not hold** if ``hi < delta``: the interval rules out an effect as large as
  the margin (the effect is negligible, or has the other sign);
* **inconclusive at this scale** otherwise (the seeds disagree too much, or the
  interval straddles the margin).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import as_float_array, as_number

#: The three verdicts, in the order the claims table explains them.
VERDICTS = ("holds", "does not hold", "inconclusive at this scale")


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
        return f"{m}{unit} ± {s}{unit} (95% CI {lo}{unit} to {hi}{unit}, n = {self.n})"


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
    """The three-level verdict on a claim that the paired ``differences`` are positive.

    Introduced in chapter 9. ``differences``: one number per seed, oriented so that
    the claim predicts a positive value (e.g. accuracy with BN minus without).
    ``margin`` (>= 0): the smallest difference that matters. With ``[lo, hi]`` the
    ``confidence`` interval of the mean (:func:`summarize`):

    * ``"holds"`` if ``lo > 0`` and the mean exceeds ``margin``;
    * ``"does not hold"`` if ``hi < margin``;
    * ``"inconclusive at this scale"`` otherwise.

    Equals the rule stated in the chapter before any run: it depends only on the
    numbers given, so a student's own three seeds get the verdict their runs support.
    """
    margin = as_number(margin, "margin", minimum=0.0)
    s = summarize(differences, confidence)
    if s.low > 0 and s.mean > margin:
        return VERDICTS[0]
    if s.high < margin:
        return VERDICTS[1]
    return VERDICTS[2]


def equivalence_verdict(differences, margin: float, confidence: float = 0.95) -> str:
    """The verdict on a claim that two settings do *about as well* (``|d| <= margin``).

    Introduced in chapter 9 (the noisy-BN experiment: "trains about as well"). With
    ``[lo, hi]`` the interval of the mean difference:

    * ``"holds"`` if ``-margin < lo`` and ``hi < margin`` (the interval lies inside
      the band: any difference is smaller than the margin);
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
