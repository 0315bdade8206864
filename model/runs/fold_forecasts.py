"""Multi-day forecasts of walk-forward runs on disk (``model.forecast.folds``).

Each fold's run stores its horizon paths under its own files dir (``horizon/fold_paths.parquet`` and
``horizon/fold.json``, written by ``store_fold_paths`` in the worker, before the fold's run ends).
When the walk-forward run ends, model/orchestration/forecast_pooling.py (no TensorFlow) pools the
first seed's folds into one forecast and stores it as the parent run's forecast.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pandas as pd

from model.errors import LensError, StoreError
from model.runs import files, forecasts

log = logging.getLogger(__name__)

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
        log.exception("A fold's forecast failed (its scores are kept)")
        forecasts.write_failure(f"The fold's forecast failed: {type(exc).__name__}: {exc}", folder)
        return
    if flag is not None and flag.is_set():
        forecasts.write_failure("Stopped while the fold's direct network trained: no paths.", folder)
        return
    write_fold_paths(result, folder)
