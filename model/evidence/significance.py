"""The Diebold-Mariano test of equal predictive accuracy, with the Harvey-Leybourne-Newbold
small-sample correction and a HAC (Newey-West, Bartlett kernel) variance for h-step forecasts.

For squared-error losses the loss differential is d_i = e_model,i^2 - e_bench,i^2: negative
means the model was closer. Forecasts h steps ahead made on consecutive days overlap, so d is
autocorrelated up to lag h-1; the long-run variance sums the autocovariances up to that lag with
Bartlett weights 1 - k/h (which keeps it positive). HLN scale the statistic by
sqrt((n + 1 - 2h + h(h-1)/n) / n) and compare it with Student's t on n-1 degrees of freedom.
statsmodels and arch do not ship this test, so it is written here (tests check it against an
independent HAC computation).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class DMResult:
    statistic: float  # HLN-corrected; negative: the model's loss is lower
    p_better: float  # one-sided: H1 the model's expected loss is lower than the benchmark's
    p_worse: float  # one-sided: H1 the model's expected loss is higher
    p_two_sided: float
    mean_differential: float  # mean of e_model^2 - e_bench^2
    n: int
    horizon: int

    def to_dict(self) -> dict:
        return asdict(self)


def long_run_variance(d: np.ndarray, lags: int) -> float:
    """Newey-West long-run variance of ``d`` with Bartlett weights 1 - k/(lags+1)."""
    d = np.asarray(d, dtype=np.float64)
    n = len(d)
    centred = d - d.mean()
    variance = float(centred @ centred) / n
    for k in range(1, min(lags, n - 1) + 1):
        gamma = float(centred[k:] @ centred[:-k]) / n
        variance += 2.0 * (1.0 - k / (lags + 1)) * gamma
    return variance


def _t_sf(x: float, df: int) -> float:
    from scipy import stats

    return float(stats.t.sf(x, df))


def diebold_mariano(model_errors, bench_errors, horizon: int = 1) -> DMResult:
    """DM test on squared errors of two forecasts of the same points (``horizon``: steps ahead)."""
    e1 = np.asarray(model_errors, dtype=np.float64)
    e2 = np.asarray(bench_errors, dtype=np.float64)
    if e1.shape != e2.shape:
        raise ValueError("Both forecasts must be scored on the same points.")
    return dm_from_differential(e1**2 - e2**2, horizon)


def dm_from_differential(d, horizon: int = 1) -> DMResult:
    """DM test on a loss-differential series (model loss minus benchmark loss)."""
    d = np.asarray(d, dtype=np.float64)
    n, h = len(d), max(1, int(horizon))
    nan = float("nan")
    if n < 2:
        return DMResult(nan, nan, nan, nan, float(d.mean()) if n else nan, n, h)
    mean = float(d.mean())
    variance = long_run_variance(d, h - 1)
    if not variance > 0:
        # Identical losses everywhere (e.g. the model IS the benchmark): no evidence either way.
        if mean == 0:
            return DMResult(0.0, 0.5, 0.5, 1.0, mean, n, h)
        stat = -math.inf if mean < 0 else math.inf
        return DMResult(stat, float(mean < 0), float(mean > 0), 0.0, mean, n, h)
    dm = mean / math.sqrt(variance / n)
    correction = (n + 1 - 2 * h + h * (h - 1) / n) / n
    stat = dm * math.sqrt(correction) if correction > 0 else dm
    p_worse = _t_sf(stat, n - 1)
    p_better = _t_sf(-stat, n - 1)
    return DMResult(stat, p_better, p_worse, min(1.0, 2.0 * min(p_better, p_worse)), mean, n, h)


def window_differential(model_sq: np.ndarray, bench_sq: np.ndarray, window: np.ndarray) -> np.ndarray:
    """Per-window mean loss differential (next-window targets score several steps per window)."""
    window = np.asarray(window)
    diff = np.asarray(model_sq, dtype=np.float64) - np.asarray(bench_sq, dtype=np.float64)
    _, inverse, counts = np.unique(window, return_inverse=True, return_counts=True)
    return np.bincount(inverse, weights=diff) / counts
