"""A run's files: price-table fingerprints and snapshots, predictions and forecasts as Parquet."""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path

import pandas as pd

PREDICTIONS_FILE = "predictions.parquet"
FORECAST_FILE = "forecast.parquet"
DATA_DIR = "data"  # under the files root: one snapshot per distinct price table


def fingerprint(frame: pd.DataFrame) -> str:
    """A hash of the exact price table: index, column names and every value.

    Two tables with the same fingerprint give the same windows, so runs on them are comparable.
    """
    digest = hashlib.sha256()
    digest.update(json.dumps([str(c) for c in frame.columns]).encode())
    digest.update(pd.util.hash_pandas_object(frame, index=True).to_numpy().tobytes())
    return digest.hexdigest()[:32]


def describe(frame: pd.DataFrame, source: str | None) -> str:
    """One line naming the data: source, rows and dates."""
    parts = [source or "price table", f"{len(frame):,} rows"]
    if (
        len(frame)
        and isinstance(frame.index, pd.DatetimeIndex)
        and f"{frame.index[0]:%Y-%m-%d}" not in parts[0]
    ):
        parts.append(f"{frame.index[0]:%Y-%m-%d} to {frame.index[-1]:%Y-%m-%d}")
    return " · ".join(parts)


def write_atomically(path: Path, write) -> None:
    """Write through a temporary file in the same directory, then rename: readers never see half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        write(tmp)
        os.replace(tmp, path)
    except OSError as exc:
        if exc.filename is None:  # pyarrow's errors name no file: say which one could not be written
            raise OSError(exc.errno, exc.strerror or str(exc), str(path)) from exc
        raise
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def snapshot_path(root: Path, fp: str) -> Path:
    return root / DATA_DIR / f"{fp}.parquet"


def save_snapshot(root: Path, frame: pd.DataFrame, fp: str) -> Path:
    """Store the price table once per fingerprint (runs on the same data share it)."""
    path = snapshot_path(root, fp)
    if not path.exists():
        write_atomically(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow"))
    return path


def read_frame(path: Path) -> pd.DataFrame:
    return pd.read_parquet(path, engine="pyarrow")


def write_frame(frame: pd.DataFrame, path: Path) -> None:
    write_atomically(path, lambda tmp: frame.to_parquet(tmp, engine="pyarrow", index=False))
