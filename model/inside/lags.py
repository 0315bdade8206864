"""Why it lags: the cross-correlation of a model's predictions with the actual series.

Lag k compares the prediction for day t with the actual value of day t - k. A model that learned
persistence (tomorrow = today) predicts for day t roughly the actual of day t - 1, so the
correlation peaks at k = +1. Levels of a price series are all highly correlated with each other
(a trend dominates), so the peak is read from the day-to-day moves of each series, where it is
sharp; the levels' curve is shown too. A lag-1 peak alone cannot tell a model that repeats the last
price from one that carries the last move forward (momentum): the sentence reads the run's verdict
(``model.evidence.verdict``) for that, so Inside never contradicts Results. Pure numpy: no TensorFlow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

MAX_LAG = 10


@dataclass(frozen=True)
class LagRecord:
    lags: np.ndarray  # -max_lag..+max_lag
    levels: np.ndarray  # correlation of the predicted with the actual levels at each lag (nan: undefined)
    moves: np.ndarray  # correlation of the predicted with the actual day-to-day moves at each lag
    peak: int  # lag where the moves' correlation peaks (the levels' when moves are undefined)
    peak_corr: float
    sentence: str
    repeats: bool = False  # the sentence says the model repeats the last price (the verdict's REPEATS)


def _corr(a: np.ndarray, b: np.ndarray) -> float:
    ok = np.isfinite(a) & np.isfinite(b)
    a, b = a[ok], b[ok]
    if a.size < 3 or a.std() == 0 or b.std() == 0:
        return float("nan")
    return float(np.corrcoef(a, b)[0, 1])


def lagged_correlations(predicted: np.ndarray, actual: np.ndarray, max_lag: int = MAX_LAG) -> np.ndarray:
    """corr(predicted[t], actual[t - k]) for k = -max_lag..+max_lag (same-length, aligned series)."""
    p, a = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    n = len(p)
    out = np.full(2 * max_lag + 1, np.nan)
    for i, k in enumerate(range(-max_lag, max_lag + 1)):
        if k >= 0:
            out[i] = _corr(p[k:], a[: n - k])
        else:
            out[i] = _corr(p[: n + k], a[-k:])
    return out


def lag_record(
    predicted, actual, max_lag: int = MAX_LAG, *, change_target: bool = False, verdict=None
) -> LagRecord:
    """The lag view for aligned daily series of predictions and actual values (one per test day)."""
    p, a = np.asarray(predicted, dtype=np.float64), np.asarray(actual, dtype=np.float64)
    lags = np.arange(-max_lag, max_lag + 1)
    levels = lagged_correlations(p, a, max_lag)
    moves = lagged_correlations(np.diff(p), np.diff(a), max_lag)
    curve = moves if np.isfinite(moves).any() else levels
    if not np.isfinite(curve).any():
        return LagRecord(lags, levels, moves, 0, float("nan"),
                         "The predictions do not vary, so they cannot be compared with the actual series.")  # fmt: skip
    i = int(np.nanargmax(curve))
    peak, corr = int(lags[i]), float(curve[i])
    text = lag_sentence(peak, corr, change_target=change_target, verdict=verdict)
    return LagRecord(lags, levels, moves, peak, corr, text, repeats=peak == 1 and _repeats(verdict))


def _repeats(verdict) -> bool:
    from model.evidence.verdict import REPEATS

    return verdict is None or verdict.kind == REPEATS


def lag_sentence(peak: int, corr: float, *, change_target: bool = False, verdict=None) -> str:
    """The lag view in words. ``verdict``: the run's one verdict; without it a lag-1 peak is read as
    repeating the last price (what the peak alone suggests)."""
    moved = "predicted moves" if change_target else "predictions"
    if peak == 1 and _repeats(verdict):
        return (f"Your {moved} track yesterday's price: they match the actual series best when shifted by one "
                f"day (correlation of the moves {corr:.2f}). The model learned persistence: it mostly repeats "
                "the last price it saw.")  # fmt: skip
    if peak == 1 and verdict.beats_persistence:
        return (f"Your {moved} follow yesterday's move (correlation of the moves {corr:.2f} at one day): "
                f"momentum. The model carries the last move forward, with real skill over persistence "
                f"({verdict.skill:+.3f}); it does not merely repeat the last price.")  # fmt: skip
    if peak == 1:
        return (f"Your {moved} match the actual series best when shifted by one day (correlation of the moves "
                f"{corr:.2f}): they follow yesterday's move, without real skill over persistence "
                f"({verdict.skill:+.3f}), though their moves are too large to call it repeating the last "
                "price.")  # fmt: skip
    if peak == 0:
        return (f"Your {moved} line up with the same day's actual moves (correlation {corr:.2f}): the model "
                "is not just repeating yesterday's price.")  # fmt: skip
    if peak > 1:
        return (f"Your {moved} match the actual series best {peak} days late (correlation {corr:.2f}): they "
                "follow the price with a delay instead of anticipating it.")  # fmt: skip
    return (f"Your {moved} match the actual series best {-peak} day(s) EARLY (correlation {corr:.2f}); with "
            "honest inputs a model cannot see the future, so check the data for a leak.")  # fmt: skip


def daily_series(test: pd.DataFrame) -> pd.DataFrame:
    """One row per test day from an evaluation's test predictions: date, actual, predicted, last_known.

    Next-day runs have one prediction per day already; next-window runs keep each day's one-step-ahead
    prediction (step 1), the forecast made with the freshest information."""
    frame = test[test["step"] == 1] if "step" in test else test
    cols = [c for c in ("date", "actual", "predicted", "last_known", "baseline") if c in frame]
    return frame.loc[:, cols].sort_values("date").drop_duplicates("date").reset_index(drop=True)


def lag_view(
    test: pd.DataFrame, *, change_target: bool = False, max_lag: int = MAX_LAG, verdict=None
) -> tuple[LagRecord, pd.DataFrame]:
    """The lag record of an evaluation's test predictions, and the daily series it was made from."""
    daily = daily_series(test)
    record = lag_record(
        daily["predicted"], daily["actual"], max_lag, change_target=change_target, verdict=verdict
    )
    return record, daily
