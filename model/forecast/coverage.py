"""Coverage measured, not assumed: the share of actual prices inside each conformal band.

Per horizon day, per level and per forecaster (the model and persistence get the same
treatment), over out-of-sample origins: the test period now, test folds when a run has them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.forecast.conformal import ConformalBands, band, level_name

COVERAGE_COLUMNS = (
    "horizon",
    "forecast",
    "level",
    "nominal",
    "coverage",
    "quantile",
    "calibration",
    "tested",
)


def coverage(actual: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> float:
    """The share of ``actual`` inside [lower, upper] (NaN when nothing can be counted)."""
    actual, lower, upper = (np.asarray(a, dtype=np.float64) for a in (actual, lower, upper))
    valid = np.isfinite(actual) & np.isfinite(lower) & np.isfinite(upper)
    if not valid.any():
        return float("nan")
    inside = (actual[valid] >= lower[valid]) & (actual[valid] <= upper[valid])
    return float(inside.mean())


def coverage_rows(
    forecast: str,
    bands: ConformalBands,
    horizon: int,
    actual: np.ndarray,
    point: np.ndarray,
    per_origin: dict[float, np.ndarray] | None = None,
) -> list[dict]:
    """One row per level for one forecaster at one horizon (columns COVERAGE_COLUMNS).

    ``per_origin``: level -> a quantile for each origin (expanding calibration); otherwise every
    origin gets ``bands``' quantile. The row's ``quantile`` is then the median of those used.
    """
    rows = []
    for level in bands.levels:
        if per_origin is not None:
            q = per_origin[level]
            lower, upper = band(point, q, bands.scale)
            used = float(np.nanmedian(q)) if len(q) and np.isfinite(q).any() else float("nan")
        else:
            lower, upper = bands.bounds(horizon, level, point)
            used = bands.quantile(horizon, level)
        rows.append(
            {
                "horizon": horizon,
                "forecast": forecast,
                "level": level_name(level),
                "nominal": float(level),
                "coverage": coverage(actual, lower, upper) if len(actual) else float("nan"),
                "quantile": used,
                "calibration": int(bands.counts.get(horizon, 0)),
                "tested": int(len(actual)),
            }
        )
    return rows


def coverage_frame(rows: list[dict]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=list(COVERAGE_COLUMNS))


def worst_gap(frame: pd.DataFrame, forecast: str = "model") -> float:
    """The largest |coverage - nominal| over horizons and levels, in percentage points."""
    part = frame[frame["forecast"] == forecast].dropna(subset=["coverage"])
    if part.empty:
        return float("nan")
    return float((part["coverage"] - part["nominal"]).abs().max() * 100)
