"""Every test origin's interval, for every forecaster, method, level and horizon: one long table.

``INTERVAL_COLUMNS``: the origin's row, the date its outcome is known (origin + horizon), the horizon, the forecaster (model or
persistence), the calibration method (``model.forecast.online.METHODS``), the level, the point
forecast, the band (``lower``, ``upper``) and the score threshold it came from, the actual
price, and what was known at the origin: the trailing 20-day realised volatility and whether
the origin's day was up or down, plus the PIT of the actual price under the forecaster's
predictive distribution at the origin. Coverage overall, over time and by regime, the proper
scores and the PIT histogram (``model.forecast.scores``) all derive from this table, so they
agree with each other and reopen identically from the stored run.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right

import numpy as np
import pandas as pd

from model.forecast import conformal, online
from model.forecast.conformal import level_name

INTERVAL_COLUMNS = (
    "forecaster",
    "method",
    "level",
    "horizon",
    "origin",
    "date",
    "actual",
    "point",
    "lower",
    "upper",
    "threshold",
    "known",
    "volatility",
    "move",
    "pit",
)
VOLATILITY_WINDOW = 20  # business days of returns in the trailing realised volatility


def trailing_volatility(prices: np.ndarray, rows: np.ndarray, window: int = VOLATILITY_WINDOW) -> np.ndarray:
    """The standard deviation of the ``window`` daily log returns ending at each row (prices up to
    and including the row only); NaN where there are fewer returns or a price is not positive."""
    prices = np.asarray(prices, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        returns = np.where((prices[1:] > 0) & (prices[:-1] > 0), np.log(prices[1:] / prices[:-1]), np.nan)
    out = np.full(len(rows), np.nan)
    for i, row in enumerate(np.asarray(rows, dtype=np.int64)):
        if row - window < 0 or row >= len(prices):
            continue
        out[i] = float(np.std(returns[row - window : row], ddof=1))  # returns into rows row-window+1..row
    return out


def origin_move(prices: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """ "up" when the origin's price rose from the row before, "down" otherwise ("" for the first row)."""
    prices = np.asarray(prices, dtype=np.float64)
    rows = np.asarray(rows, dtype=np.int64)
    out = np.full(len(rows), "", dtype=object)
    ok = (rows >= 1) & (rows < len(prices))
    out[ok] = np.where(prices[rows[ok]] > prices[rows[ok] - 1], "up", "down")
    return out


def pit_values(
    initial: np.ndarray,
    signed: np.ndarray,
    origins: np.ndarray,
    score_known: np.ndarray,
    retire_at: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """(PIT, scores known) per origin. The PIT of each actual under the symmetric predictive distribution the split bands use:
    the point forecast plus a residual whose size is drawn from the scores known at the origin
    (mid-ranks for ties), so F = 1/2 + sign(r) * share(|known| < |r|) / 2."""
    signed = np.asarray(signed, dtype=np.float64)
    book = online.ScoreBook(initial, np.abs(signed), np.asarray(score_known), retire_at)
    out = np.full(len(signed), np.nan)
    counts = np.zeros(len(signed), dtype=np.int64)
    for i, origin in enumerate(np.asarray(origins, dtype=np.int64)):
        book.advance(int(origin))
        n, r = len(book.known), signed[i]
        counts[i] = n
        if n == 0 or not np.isfinite(r):
            continue
        below = bisect_left(book.known, abs(r))
        ties = bisect_right(book.known, abs(r)) - below
        share = (below + 0.5 * ties) / n
        out[i] = 0.5 + 0.5 * share * (1.0 if r >= 0 else -1.0)
    return out, counts


def interval_rows(
    *,
    forecaster: str,
    horizon: int,
    origins: np.ndarray,
    dates,
    actual: np.ndarray,
    point: np.ndarray,
    initial: np.ndarray,
    scale: str,
    levels: tuple[float, ...],
    volatility: np.ndarray,
    move: np.ndarray,
    score_known: np.ndarray | None = None,
    retire_at: int | None = None,
    methods: tuple[str, ...] = online.METHODS,
    step: float = online.ACI_STEP,
) -> pd.DataFrame:
    """One forecaster's test intervals at one horizon (INTERVAL_COLUMNS), every method and level.

    ``initial``: the calibration residuals known before the first origin; ``score_known``: the row
    from which each origin's residual may calibrate (default origin + horizon)."""
    origins = np.asarray(origins, dtype=np.int64)
    actual = np.asarray(actual, dtype=np.float64)
    point = np.asarray(point, dtype=np.float64)
    signed = conformal.residuals(actual, point, scale)
    known_at = origins + horizon if score_known is None else np.asarray(score_known, dtype=np.int64)
    pit, counts = pit_values(initial, signed, origins, known_at, retire_at)
    frames = []
    for method in methods:
        for level in levels:
            q = online.online_quantiles(
                initial,
                signed,
                origins,
                horizon,
                level,
                method=method,
                step=step,
                score_known=known_at,
                retire_at=retire_at,
            )
            lower, upper = conformal.band(point, q, scale)
            frames.append(
                pd.DataFrame(
                    {
                        "forecaster": forecaster,
                        "method": method,
                        "level": level_name(level),
                        "horizon": horizon,
                        "origin": origins,
                        "date": pd.DatetimeIndex(dates),
                        "actual": actual,
                        "point": point,
                        "lower": lower,
                        "upper": upper,
                        "threshold": q,
                        "known": counts.astype(np.int64),
                        "volatility": volatility,
                        "move": move,
                        "pit": pit,
                    }
                )
            )
    return pd.concat(frames, ignore_index=True)[list(INTERVAL_COLUMNS)]


def empty_intervals() -> pd.DataFrame:
    return pd.DataFrame({name: [] for name in INTERVAL_COLUMNS})
