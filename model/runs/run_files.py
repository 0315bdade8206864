"""What a stored run's files hold, read back: its evaluation, its trained model, its ZIP archive.

The run store (``model.runs.store``) keeps the rows; these read the files under a run's folder.
"""

from __future__ import annotations

import io
import json
import zipfile

import pandas as pd

from model.errors import StoreError
from model.runs import files
from model.runs.records import record_to_dict
from model.runs.schema import METRIC_NAMES
from model.runs.store import METRIC_FIELDS, RunStore


def load_evaluation(store: RunStore, run_id: int):
    """The stored test predictions, metrics and forecast (no TensorFlow, no scoring)."""
    from model.engine.evaluation import METRIC_COLUMNS as EVAL_COLUMNS
    from model.engine.evaluation import Evaluation

    record = store.get_run(run_id, with_history=False)
    try:
        predictions = files.read_frame(record.files_dir / files.PREDICTIONS_FILE)
        forecast = files.read_frame(record.files_dir / files.FORECAST_FILE)
    except OSError as exc:
        raise StoreError(f"Run {run_id} has no stored predictions ({record.status}): {exc}") from exc
    table = pd.DataFrame(
        [
            {METRIC_FIELDS[n]: record.metrics[who][n] for n in METRIC_NAMES}
            for who in ("model", "persistence")
            if who in record.metrics
        ],
        index=pd.Index([w for w in ("model", "persistence") if w in record.metrics], name="forecast"),
        columns=list(EVAL_COLUMNS),
    ).astype(float)
    return Evaluation(
        predictions=predictions,
        metrics=table,
        forecast=forecast,
        target_mode=record.config["target_mode"],
    )


def load_trained(store: RunStore, run_id: int):
    """(TrainedRun, PreparedData, Evaluation) of a stored run; the model is loaded in Keras
    safe mode and predicts exactly as it did when it was stored."""
    from model.engine.saving import load_run
    from model.engine.windows import prepare_data

    record = store.get_run(run_id, with_history=False)
    if not (record.files_dir / "model.keras").exists():
        raise StoreError(f"Run {run_id} has no saved model ({record.status}).")
    run = load_run(record.files_dir)
    data = prepare_data(store.load_prices(run_id), run.config)
    return run, data, load_evaluation(store, run_id)


def run_archive(store: RunStore, run_id: int) -> bytes:
    """The run as one zip: its files, its price table and its database record as JSON."""
    record = store.get_run(run_id)
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if record.files_dir.is_dir():
            for path in sorted(record.files_dir.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    archive.write(path, arcname=str(path.relative_to(record.files_dir)))
        snapshot = files.snapshot_path(store.files_root, record.data_fingerprint)
        if snapshot.exists():
            archive.write(snapshot, arcname="prices.parquet")
        archive.writestr("record.json", json.dumps(record_to_dict(record), indent=2, default=str))
    return buffer.getvalue()
