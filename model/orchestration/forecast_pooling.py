"""The multi-day forecast of a walk-forward run, pooled from its folds' horizon paths.

Each fold's run stores its horizon paths in the worker (model/runs/fold_forecasts.py). When the
walk-forward run ends, ``store_walk_forward_forecast`` (no TensorFlow) pools the first seed's folds
into one forecast and stores it as the parent run's forecast, in the files ``model.runs.forecasts``
reads, so the Results page shows it like any run's.
"""

from __future__ import annotations

import logging
from pathlib import Path

import pandas as pd

from model.errors import LensError, StoreError
from model.runs import evidence_store as es
from model.runs import files, forecasts
from model.runs.fold_forecasts import FOLD_COVERAGE_FILE, read_fold_paths

log = logging.getLogger(__name__)


def store_walk_forward_forecast(store, parent: int, *, stopped: bool = False) -> None:
    """Pool the first seed's fold paths into the walk-forward run's forecast and store it (or why
    there is none) in the parent run's files dir. Never raises: the evidence is kept either way."""
    from model.forecast.folds import coverage_by_fold, pool_folds

    try:
        folder = store.get_run(parent, with_history=False).files_dir
    except StoreError:
        return  # the store is gone: the run is marked interrupted later, without a forecast
    if stopped:
        _write_failure("The walk-forward run was stopped before its folds ended: no forecast.", folder)
        return
    try:
        record = store.get_run(parent, with_history=False)
        config = record.lstm_config
        rows = [r for r in es.folds_of(store, parent) if r.seed_index == 0]
        prices = store.load_prices(parent)
        last_date = f"{pd.Timestamp(prices.index[-1]):%Y-%m-%d}"
        found, missing = [], []
        for row in rows:
            child = store.get_run(row.child_run_id, with_history=False).files_dir
            paths = read_fold_paths(child) if row.status == "finished" else None
            if paths is None:
                reason = forecasts.read_failure(child) or row.error or f"the fold's run ended {row.status}"
                missing.append(f"fold {row.fold.index + 1}: {reason}")
            else:
                found.append(paths)
        if not found:
            raise LensError("No fold has a multi-day forecast (" + "; ".join(missing) + ").")
        result = pool_folds(
            found,
            horizon=config.horizon,
            requested=config.forecast_strategy,
            last_date=last_date,
            method=config.interval_method,
            prices=prices[config.target].to_numpy(dtype=float),
        )
        if missing:
            note = "Folds left out of the intervals and coverage: " + "; ".join(missing) + "."
            result = _with_message(result, note)
        seeds = es.evidence_run(store, parent).seeds
        if seeds > 1:  # the same days' residuals from several seeds are not independent draws
            result = _with_message(
                result,
                f"The forecast, its intervals and coverage come from the first seed's folds; the other {seeds - 1} "
                "seed(s) give evidence only.",
            )
        # The per-fold table first: a reader that finds the forecast (its JSON is written last) finds it too.
        files.write_frame(
            coverage_by_fold(found, horizon=config.horizon, method=result.method, intervals=result.intervals),
            Path(folder) / forecasts.HORIZON_DIR / FOLD_COVERAGE_FILE,
        )
        forecasts.write_forecast(result, folder)
    except LensError as exc:
        _write_failure(str(exc), folder)
    except Exception as exc:  # noqa: BLE001 - the walk-forward run's evidence stands without a forecast
        log.exception("The walk-forward forecast failed (the evidence stands)")
        _write_failure(f"The walk-forward forecast failed: {type(exc).__name__}: {exc}", folder)


def _with_message(result, message: str):
    import dataclasses

    return dataclasses.replace(result, messages=(*result.messages, message))


def _write_failure(message: str, folder: Path) -> None:
    try:
        forecasts.write_failure(message, folder)
    except OSError:
        pass  # the runs directory is gone: the Results page says there is no forecast
