"""Online calibration of conformal bands, per horizon, with delayed feedback.

Three ways (``METHODS``, the ``interval_method`` knob) to turn a stream of out-of-sample
absolute residuals (the conformal scores) into one band width per forecast origin:

- ``split``: the split-conformal quantile at the nominal level of every score known at the
  origin (``model.forecast.conformal``). Exchangeable residuals are assumed.
- ``aci``: adaptive conformal inference (Gibbs and Candes 2021). The miscoverage level alpha_t
  moves after each known outcome: alpha <- alpha + step * (alpha_nominal - miss), so after misses
  the band widens and after hits it narrows. Over T known outcomes the miss rate is within
  (max(alpha, 1 - alpha) + step) / (step * T) of nominal whatever the residuals do. A step of 0
  is split-conformal exactly.
- ``agaci``: aggregated ACI (Zaffran et al. 2022): ACI experts over a grid of steps
  (``AGACI_STEPS``, 0 included), weighted online by their pinball loss with an adaptive
  learning rate, so there is no step size to pick.

Delayed feedback: the outcome of origin j at horizon h (the price h rows after j) is known at
origin j + h, and never used before: neither its score (in the quantile) nor its hit or miss (in
alpha). ``score_known`` can hold a score back longer (a walk-forward fold's residuals enter only
the next fold's calibration); the alpha updates still arrive at j + h.
"""

from __future__ import annotations

import bisect
import math

import numpy as np

from model.engine.config import INTERVAL_METHODS
from model.forecast.conformal import conformal_rank

METHODS: tuple[str, ...] = INTERVAL_METHODS  # the interval_method knob's options
METHOD_LABELS = {
    "split": "Split conformal",
    "aci": "Adaptive conformal (ACI)",
    "agaci": "Aggregated ACI (no step size)",
}
ACI_STEP = 0.02  # the aci method's step (gamma); chosen by scripts/bench_forecast.py, see docs/intervals.md
AGACI_STEPS: tuple[float, ...] = (0.0, 0.005, 0.01, 0.02, 0.05, 0.1)


def quantile_at(known: list[float], level: float, base_level: float) -> float:
    """The conformal quantile of the sorted ``known`` scores at ``level``.

    NaN when even ``base_level`` (the nominal level) has too few scores, as split-conformal;
    an adapted level past the largest rank takes the largest score, one at or below 0 takes 0."""
    n = len(known)
    if n == 0 or conformal_rank(n, base_level) > n:
        return float("nan")
    if level <= 0:
        return 0.0
    k = min(max(conformal_rank(n, level), 1), n)
    return float(known[k - 1])


def pinball(score: float, threshold: float, level: float) -> float:
    """The pinball loss of ``threshold`` as the ``level`` quantile of a score."""
    return level * (score - threshold) if score >= threshold else (1.0 - level) * (threshold - score)


class ScoreBook:
    """The scores known so far, sorted, fed in the order they become known.

    ``retire_at``: from this row on the ``initial`` scores leave the book (a walk-forward run's
    first fold calibrates on its validation period, every later fold on test residuals only)."""

    def __init__(
        self, initial: np.ndarray, scores: np.ndarray, score_known: np.ndarray, retire_at: int | None = None
    ):
        initial = np.abs(np.asarray(initial, dtype=np.float64))
        self.known = sorted(initial[np.isfinite(initial)].tolist())
        self.later: list[float] = []
        self.scores = scores
        self.score_known = score_known
        self.retire_at = retire_at
        self.next = 0

    def advance(self, origin: int) -> None:
        if self.retire_at is not None and origin >= self.retire_at:
            self.known = sorted(self.later)
            self.retire_at = None
        while self.next < len(self.scores) and self.score_known[self.next] <= origin:
            value = self.scores[self.next]
            if np.isfinite(value):
                bisect.insort(self.known, float(value))
                self.later.append(float(value))
            self.next += 1


def online_quantiles(
    initial: np.ndarray,
    scores: np.ndarray,
    origins: np.ndarray,
    lag: int,
    level: float,
    *,
    method: str = "split",
    step: float = ACI_STEP,
    score_known: np.ndarray | None = None,
    retire_at: int | None = None,
) -> np.ndarray:
    """The band's score threshold (conformal quantile) for each origin, in origin order.

    ``initial``: calibration scores known before the first origin (the validation period's);
    ``scores``: the signed or absolute residual of each origin at horizon ``lag`` (NaN: unknown);
    ``origins``: their rows, increasing; ``score_known``: the row from which each score may enter
    the quantile (default ``origins + lag``, nondecreasing); ``retire_at``: see ``ScoreBook``."""
    if method not in METHODS:
        raise ValueError(f"interval method must be one of {METHODS}, got {method!r}")
    scores = np.abs(np.asarray(scores, dtype=np.float64))
    origins = np.asarray(origins, dtype=np.int64)
    if len(origins) > 1 and np.any(np.diff(origins) <= 0):
        raise ValueError("origins must increase")
    known_at = origins + lag if score_known is None else np.asarray(score_known)
    book = ScoreBook(initial, scores, known_at, retire_at)
    if method == "split":
        return _run(book, origins, lag, level, (0.0,), aggregate=False)
    if method == "aci":
        return _run(book, origins, lag, level, (float(step),), aggregate=False)
    return _run(book, origins, lag, level, AGACI_STEPS, aggregate=True)


def _run(book: ScoreBook, origins, lag: int, level: float, steps, *, aggregate: bool) -> np.ndarray:
    """ACI experts (one per step) over the origins; their weighted threshold when ``aggregate``."""
    alpha0 = 1.0 - level
    k = len(steps)
    alphas = np.full(k, alpha0)
    issued = np.full((len(origins), k), np.nan)  # each expert's threshold per origin
    out = np.full(len(origins), np.nan)
    losses = np.zeros(k)  # cumulative pinball loss per expert
    spread = 0.0  # sum of squared loss ranges (the adaptive learning rate's scale)
    feedback = 0
    for i, origin in enumerate(origins):
        # Outcomes known at this origin: origin j's price at j + lag <= this origin.
        while feedback < i and origins[feedback] + lag <= origin:
            j, score = feedback, book.scores[feedback]
            feedback += 1
            if not np.isfinite(score) or not np.isfinite(issued[j]).all():
                continue
            miss = (score > issued[j]).astype(np.float64)
            alphas = alphas + np.asarray(steps) * (alpha0 - miss)
            if aggregate:
                loss = np.array([pinball(score, q, level) for q in issued[j]])
                losses += loss
                spread += float(loss.max() - loss.min()) ** 2
        book.advance(int(origin))
        issued[i] = [quantile_at(book.known, 1.0 - a, level) for a in alphas]
        if not aggregate:
            out[i] = issued[i, 0]
        elif np.isfinite(issued[i]).all():
            rate = math.sqrt(math.log(k) / spread) if spread > 0 else 0.0
            weights = np.exp(-rate * (losses - losses.min()))
            out[i] = float(weights @ issued[i] / weights.sum())
    return out


def aci_bound(level: float, step: float, outcomes: int) -> float:
    """Gibbs and Candes' bound on |miss rate - (1 - level)| after ``outcomes`` known outcomes."""
    alpha = 1.0 - level
    return (max(alpha, 1.0 - alpha) + step) / (step * outcomes)
