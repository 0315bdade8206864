"""Test metrics as text for tables: one format per metric, "—" where a value does not exist."""

from __future__ import annotations

import math
from collections.abc import Mapping

import pandas as pd

METRIC_FORMATS = {
    "RMSE": "{:,.2f}",
    "MAE": "{:,.2f}",
    "MAPE %": "{:.2f}",
    "Direction %": "{:.1f}",
    "Skill": "{:+.3f}",
}


def format_metric(column: str, value) -> str:
    """``value`` of metric ``column`` as shown in the tables."""
    if value is None or not math.isfinite(float(value)):
        return "—"
    return METRIC_FORMATS[column].format(value)


def metrics_text(rows: Mapping[str, Mapping], columns=tuple(METRIC_FORMATS)) -> pd.DataFrame:
    """A table of ``columns`` (rows in the given order, indexed "forecast") as formatted text."""
    shown = pd.DataFrame(
        {column: [format_metric(column, row[column]) for row in rows.values()] for column in columns},
        index=list(rows),
    )
    shown.index.name = "forecast"
    return shown
