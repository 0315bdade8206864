"""Multi-day forecasts of walk-forward runs on disk (``model.forecast.folds``).

Each fold's run stores its horizon paths under its own files dir (``horizon/fold_paths.parquet`` and
``horizon/fold.json``, written by ``store_fold_paths`` in the worker, before the fold's run ends).
When the walk-forward run ends, ``store_walk_forward_forecast`` (in the coordinator: no TensorFlow)
pools the first seed's folds into one forecast and stores it as the parent run's forecast, in the
files ``model.runs.forecasts`` reads, so the Results page shows it like any run's.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from model.errors import LensError, StoreError
from model.runs import files, forecasts

PATHS_FILE = "fold_paths.parquet"
FOLD_META_FILE = "fold.json"
FOLD_COVERAGE_FILE = "fold_coverage.parquet"  # the parent's: coverage of each test fold on its own


def write_fold_paths(result, folder: Path) -> None:
    """Store a ``model.forecast.folds.FoldPaths`` under ``folder`` (the fold run's files dir)."""
    where = Path(folder) / forecasts.HORIZON_DIR
    files.write_frame(result.paths, where / PATHS_FILE)
    meta = {
        "fold": result.fold,
        "strategy": result.strategy,
        "last_date": result.last_date,
        "last_price": result.last_price,
        "messages": list(result.messages),
    }
    files.write_atomically(where / FOLD_META_FILE, lambda tmp: Path(tmp).write_text(json.dumps(meta)))


def read_fold_paths(folder: Path):
    """The fold's stored FoldPaths, or None when it has none; StoreError when its files are damaged."""
    from model.forecast.folds import FoldPaths

    where = Path(folder) / forecasts.HORIZON_DIR
    if not (where / FOLD_META_FILE).exists():
        return None
    try:
        meta = json.loads((where / FOLD_META_FILE).read_text())
        paths = files.read_frame(where / PATHS_FILE)
        paths["date"] = pd.to_datetime(paths["date"])
        return FoldPaths(
            fold=int(meta["fold"]),
            paths=paths,
            strategy=str(meta["strategy"]),
            last_date=str(meta["last_date"]),
            last_price=float(meta["last_price"]),
            messages=tuple(meta["messages"]),
        )
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise StoreError(f"The fold's forecast paths are damaged ({where}): {exc}") from exc


def read_fold_coverage(folder: Path) -> pd.DataFrame | None:
    """A walk-forward run's coverage per test fold (model.forecast.folds.FOLD_COVERAGE_COLUMNS), or None."""
    path = Path(folder) / forecasts.HORIZON_DIR / FOLD_COVERAGE_FILE
    if not path.exists():
        return None
    try:
        return files.read_frame(path)
    except (OSError, ValueError) as exc:
        raise StoreError(f"The run's coverage per fold is damaged ({path}): {exc}") from exc


def store_fold_paths(run, data, fold_row, folder: Path, flag, listener=None) -> None:
    """In the worker, after a fold trained: its horizon paths, or the reason there are none (never
    fails the fold's run)."""
    from model.forecast.folds import compute_fold_paths

    try:
        result = compute_fold_paths(run, data, fold_row.fold.index, stop=flag, listener=listener)
    except LensError as exc:
        forecasts.write_failure(str(exc), folder)
        return
    except Exception as exc:  # noqa: BLE001 - the fold's scores are kept; only its paths are missing
        forecasts.write_failure(f"The fold's forecast failed: {type(exc).__name__}: {exc}", folder)
        return
    if flag is not None and flag.is_set():
        forecasts.write_failure("Stopped while the fold's direct network trained: no paths.", folder)
        return
    write_fold_paths(result, folder)


def store_walk_forward_forecast(store, parent: int, *, stopped: bool = False) -> None:
    """Pool the first seed's fold paths into the walk-forward run's forecast and store it (or why
    there is none) in the parent run's files dir. Never raises: the evidence is kept either way."""
    from model.forecast.folds import coverage_by_fold, pool_folds
    from model.runs import evidence_store as es

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
        _write_failure(f"The walk-forward forecast failed: {type(exc).__name__}: {exc}", folder)


def _with_message(result, message: str):
    import dataclasses

    return dataclasses.replace(result, messages=(*result.messages, message))


def _write_failure(message: str, folder: Path) -> None:
    try:
        forecasts.write_failure(message, folder)
    except OSError:
        pass  # the runs directory is gone: the Results page says there is no forecast
