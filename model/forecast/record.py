"""A run's multi-day forecast as stored: the fan, errors, coverage and every test interval."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from model.forecast.intervals import empty_intervals


@dataclass(frozen=True)
class HorizonForecast:
    """A run's multi-day forecast, its conformal bands, errors and measured coverage."""

    strategy: str  # the strategy used: "direct" or "recursive"
    requested: str  # the strategy asked for
    horizon: int
    scale: str
    levels: tuple[float, ...]
    source: str  # where the calibration residuals came from
    last_date: str
    last_price: float
    fan: pd.DataFrame  # horizon, date, forecast, point, lower_<L>, upper_<L> for each level
    errors: pd.DataFrame  # ERROR_COLUMNS
    coverage: pd.DataFrame  # model.forecast.coverage.COVERAGE_COLUMNS, of the run's own method
    messages: tuple[str, ...] = field(default=())
    calibration: str = "expanding"  # one of CALIBRATIONS
    method: str = "split"  # the interval method (model.forecast.online.METHODS) of fan and coverage
    # Every test origin's interval for every method (model.forecast.intervals.INTERVAL_COLUMNS);
    # empty for forecasts stored before the methods existed.
    intervals: pd.DataFrame = field(default_factory=empty_intervals)

    def meta(self) -> dict[str, Any]:
        return {
            "calibration": self.calibration,
            "method": self.method,
            "strategy": self.strategy,
            "requested": self.requested,
            "horizon": self.horizon,
            "scale": self.scale,
            "levels": list(self.levels),
            "source": self.source,
            "last_date": self.last_date,
            "last_price": self.last_price,
            "messages": list(self.messages),
        }

    @classmethod
    def from_parts(
        cls,
        meta: dict,
        fan: pd.DataFrame,
        errors: pd.DataFrame,
        coverage: pd.DataFrame,
        intervals: pd.DataFrame | None = None,
    ) -> "HorizonForecast":
        return cls(
            strategy=meta["strategy"],
            requested=meta["requested"],
            horizon=int(meta["horizon"]),
            scale=meta["scale"],
            levels=tuple(float(x) for x in meta["levels"]),
            source=meta["source"],
            last_date=meta["last_date"],
            last_price=float(meta["last_price"]),
            fan=fan,
            errors=errors,
            coverage=coverage,
            messages=tuple(meta["messages"]),
            calibration=meta.get("calibration", "validation"),
            method=meta.get("method", "split"),
            intervals=empty_intervals() if intervals is None else intervals,
        )

    def table(self, forecast: str = "model") -> pd.DataFrame:
        """Date, point, lower and upper bounds per level: what the command line prints and writes."""
        part = self.fan[self.fan["forecast"] == forecast].drop(columns=["forecast"]).reset_index(drop=True)
        part["date"] = pd.to_datetime(part["date"]).dt.strftime("%Y-%m-%d")
        return part

    def to_json(self) -> str:
        return json.dumps(self.meta(), indent=2)
