"""Split-conformal prediction intervals from out-of-sample residuals, one set per horizon day.

No distributional assumption: the band at level 1 - alpha is the point forecast plus or minus
the ceil((n + 1)(1 - alpha))-th smallest absolute residual of n out-of-sample residuals (the
finite-sample conformal quantile, level ceil((n + 1)(1 - alpha)) / n of their empirical
distribution). If the residuals and the future error are exchangeable, the band covers the
actual value with probability at least 1 - alpha.

Residuals are measured on a log scale (``log(actual / predicted)``) when every price is positive,
so a band learnt on 2010's prices scales to 2020's; otherwise in price units.

The residuals can come from anywhere out of sample: ``model.forecast.horizon`` passes the
validation period's; walk-forward test folds can pass theirs (concatenated per horizon) to
``ConformalBands.fit`` unchanged.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Mapping

import numpy as np
import pandas as pd

DEFAULT_LEVELS: tuple[float, ...] = (0.8, 0.95)
SCALES = ("log", "absolute")


def conformal_rank(n: int, level: float) -> int:
    """Which order statistic (1-based) of n absolute residuals bounds the band at ``level``."""
    # The small tolerance keeps 0.8 * 5 = 4.000000000000001 from rounding up to 5.
    return math.ceil((n + 1) * level - 1e-9)


def min_residuals(level: float) -> int:
    """The fewest residuals for which ``level`` has a finite conformal quantile."""
    n = 1
    while conformal_rank(n, level) > n:
        n += 1
    return n


def conformal_quantile(residuals: np.ndarray, level: float) -> float:
    """The finite-sample conformal quantile of the absolute residuals; NaN when there are too few."""
    scores = np.sort(np.abs(np.asarray(residuals, dtype=np.float64)))
    scores = scores[np.isfinite(scores)]
    k = conformal_rank(len(scores), level)
    if k > len(scores) or k < 1:
        return float("nan")
    return float(scores[k - 1])


def expanding_quantiles(calibration: np.ndarray, later: np.ndarray, level: float, lag: int) -> np.ndarray:
    """The conformal quantile for each of ``later``'s residuals, from every residual known by then.

    ``later`` are out-of-sample residuals of consecutive origins (one row apart) at horizon
    ``lag``: the residual of origin j is known ``lag`` rows after it, so the band for origin i
    uses ``calibration`` plus ``later[: i - lag + 1]``. A forecaster that keeps calibrating on
    its own past errors does exactly this, with no look-ahead.
    """
    import bisect

    known = sorted(np.abs(np.asarray(calibration, dtype=np.float64)[np.isfinite(calibration)]).tolist())
    later = np.abs(np.asarray(later, dtype=np.float64))
    out = np.full(len(later), np.nan)
    for i in range(len(later)):
        j = i - lag
        if j >= 0 and np.isfinite(later[j]):
            bisect.insort(known, float(later[j]))
        k = conformal_rank(len(known), level)
        if 1 <= k <= len(known):
            out[i] = known[k - 1]
    return out


def choose_scale(*values: np.ndarray) -> str:
    """ "log" when every value (actual prices and point forecasts) is positive, else "absolute"."""
    return "log" if all(np.all(np.asarray(v, dtype=np.float64) > 0) for v in values) else "absolute"


def residuals(actual: np.ndarray, predicted: np.ndarray, scale: str) -> np.ndarray:
    """Signed out-of-sample residuals on ``scale`` (the score the quantile is taken of)."""
    actual = np.asarray(actual, dtype=np.float64)
    predicted = np.asarray(predicted, dtype=np.float64)
    if scale == "log":
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.log(actual / predicted)
    return actual - predicted


def band(point: np.ndarray, quantile: float | np.ndarray, scale: str) -> tuple[np.ndarray, np.ndarray]:
    """(lower, upper) around ``point`` for a conformal ``quantile`` on ``scale``."""
    point = np.asarray(point, dtype=np.float64)
    if scale == "log":
        return point * np.exp(-quantile), point * np.exp(quantile)
    return point - quantile, point + quantile


def level_name(level: float) -> str:
    """80 for 0.8: the suffix of the band's columns (lower_80, upper_80)."""
    return f"{level * 100:g}"


@dataclass(frozen=True)
class ConformalBands:
    """The conformal quantile for every (horizon, level), and why any is missing."""

    scale: str
    levels: tuple[float, ...]
    quantiles: pd.DataFrame  # index horizon; columns level_name(level); NaN where too few residuals
    counts: pd.Series  # residuals per horizon
    source: str = "validation period"
    messages: tuple[str, ...] = field(default=())

    @classmethod
    def fit(
        cls,
        residuals_by_horizon: Mapping[int, np.ndarray],
        *,
        scale: str,
        levels: tuple[float, ...] = DEFAULT_LEVELS,
        source: str = "validation period",
    ) -> "ConformalBands":
        """Quantiles from out-of-sample residuals per horizon (1-based horizon -> signed residuals)."""
        if scale not in SCALES:
            raise ValueError(f"scale must be one of {SCALES}, got {scale!r}")
        horizons = sorted(residuals_by_horizon)
        rows: dict = {}
        counts: dict = {}
        short: dict = {}
        for h in horizons:
            values = np.asarray(residuals_by_horizon[h], dtype=np.float64)
            values = values[np.isfinite(values)]
            counts[h] = len(values)
            rows[h] = {level_name(level): conformal_quantile(values, level) for level in levels}
            for level in levels:
                if len(values) < min_residuals(level):
                    short.setdefault(level, []).append(h)
        messages = []
        for level, where in short.items():
            need = min_residuals(level)
            have = min(counts[h] for h in where)
            messages.append(
                f"The {level_name(level)}% interval needs at least {need} out-of-sample residuals per horizon; "
                f"the {source} gives {have} at horizon {describe_horizons(where)}, so it is left out there."
            )
        quantiles = pd.DataFrame.from_dict(rows, orient="index", columns=[level_name(x) for x in levels])
        quantiles.index.name = "horizon"
        return cls(
            scale,
            tuple(levels),
            quantiles,
            pd.Series(counts, name="residuals", dtype=int),
            source,
            tuple(messages),
        )

    def quantile(self, horizon: int, level: float) -> float:
        if horizon not in self.quantiles.index:
            return float("nan")
        return float(self.quantiles.at[horizon, level_name(level)])

    def bounds(self, horizon: int, level: float, point: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(lower, upper) at ``horizon`` and ``level`` around ``point``; NaN where the quantile is missing."""
        return band(point, self.quantile(horizon, level), self.scale)


def describe_horizons(horizons: list[int]) -> str:
    """1, 2, 3, 7 -> "1-3, 7": horizons in a message."""
    parts: list[str] = []
    run: list[int] = []
    for h in sorted(horizons):
        if run and h == run[-1] + 1:
            run.append(h)
            continue
        if run:
            parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}")
        run = [h]
    if run:
        parts.append(f"{run[0]}-{run[-1]}" if len(run) > 1 else f"{run[0]}")
    return ", ".join(parts)
