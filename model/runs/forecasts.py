"""A run's multi-day forecast on disk: Parquet tables and a small JSON under the run's files dir.

Written by ``execute_run`` in the worker (``write_forecast``), read by pages and the command line
(``read_forecast``, no TensorFlow). A run trained before forecasts existed, or whose forecast
could not be made, reads as None (or a forecast holding only the reason).
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from model.errors import StoreError
from model.runs import files

HORIZON_DIR = "horizon"  # under the run's files dir
FAN_FILE = "fan.parquet"
ERRORS_FILE = "errors.parquet"
COVERAGE_FILE = "coverage.parquet"
INTERVALS_FILE = "intervals.parquet"  # every test origin's interval per method (absent in older runs)
META_FILE = "forecast.json"
FAILED_FILE = "failed.json"  # the reason when no forecast could be made


def write_forecast(forecast, folder: Path) -> None:
    """Store a ``model.forecast.horizon.HorizonForecast`` under ``folder``."""
    where = Path(folder) / HORIZON_DIR
    files.write_frame(forecast.fan, where / FAN_FILE)
    files.write_frame(forecast.errors, where / ERRORS_FILE)
    files.write_frame(forecast.coverage, where / COVERAGE_FILE)
    files.write_frame(forecast.intervals, where / INTERVALS_FILE)
    # The JSON last: a reader that finds it finds the tables too.
    files.write_atomically(where / META_FILE, lambda tmp: Path(tmp).write_text(forecast.to_json()))


def write_failure(message: str, folder: Path) -> None:
    """Record why the run has no forecast (shown where the forecast would be)."""
    where = Path(folder) / HORIZON_DIR
    files.write_atomically(
        where / FAILED_FILE, lambda tmp: Path(tmp).write_text(json.dumps({"message": message}))
    )


def read_failure(folder: Path) -> str | None:
    path = Path(folder) / HORIZON_DIR / FAILED_FILE
    try:
        return str(json.loads(path.read_text())["message"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def read_forecast(folder: Path):
    """The stored HorizonForecast, or None when the run has none; StoreError when its files are damaged."""
    from model.forecast.record import HorizonForecast

    where = Path(folder) / HORIZON_DIR
    if not (where / META_FILE).exists():
        return None
    try:
        meta = json.loads((where / META_FILE).read_text())
        fan = files.read_frame(where / FAN_FILE)
        errors = files.read_frame(where / ERRORS_FILE)
        coverage = files.read_frame(where / COVERAGE_FILE)
        fan["date"] = pd.to_datetime(fan["date"])
        intervals = None
        if (where / INTERVALS_FILE).exists():
            intervals = files.read_frame(where / INTERVALS_FILE)
            intervals["date"] = pd.to_datetime(intervals["date"])
        return HorizonForecast.from_parts(meta, fan, errors, coverage, intervals)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"The run's forecast files are damaged ({where}): {exc}") from exc


def load_forecast(store, run_id: int):
    """(HorizonForecast or None, reason or None) of a stored run."""
    folder = store.get_run(run_id, with_history=False).files_dir
    return read_forecast(folder), read_failure(folder)
