"""Save and load a trained run: the ``.keras`` model plus its config and normalisation as JSON."""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

from model.engine.config import LstmConfig
from model.engine.training import TrainedRun
from model.engine.windows import Normaliser
from model.errors import DataError

MODEL_FILE = "model.keras"
RUN_FILE = "run.json"
SNAPSHOT_FILE = "snapshots.npz"  # the weights after each epoch (small networks: training.SNAPSHOT_MAX_PARAMS)
FORMAT_VERSION = 1


def save_run(run: TrainedRun, directory: str | Path) -> Path:
    """Write ``model.keras`` and ``run.json`` into ``directory`` (created if needed)."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    run.model.save(directory / MODEL_FILE)
    meta = {
        "format_version": FORMAT_VERSION,
        "config": run.config.to_dict(),
        "normaliser": run.normaliser.to_dict(),
        "history": run.history,
        "stopped_reason": run.stopped_reason,
        "best_epoch": run.best_epoch,
        "seconds": run.seconds,
    }
    (directory / RUN_FILE).write_text(json.dumps(meta, indent=2))
    if run.snapshots:
        import numpy as np

        arrays = {f"e{e}_w{k}": w for e, weights in enumerate(run.snapshots) for k, w in enumerate(weights)}
        np.savez_compressed(directory / SNAPSHOT_FILE, **arrays)  # type: ignore[arg-type]
    return directory


def load_snapshots(directory: str | Path) -> list[list]:
    """The per-epoch weight snapshots saved with a run ([] when it has none)."""
    import numpy as np

    path = Path(directory) / SNAPSHOT_FILE
    if not path.exists():
        return []
    with np.load(path) as archive:
        keys = [tuple(int(part[1:]) for part in name.split("_")) for name in archive.files]
        epochs = 1 + max(e for e, _ in keys) if keys else 0
        per = 1 + max(k for _, k in keys) if keys else 0
        return [[archive[f"e{e}_w{k}"] for k in range(per)] for e in range(epochs)]


def load_run(directory: str | Path) -> TrainedRun:
    """Load a run saved by ``save_run``. Keras safe mode refuses models that carry code."""
    import keras

    from model.engine import fused_lstm  # noqa: F401  registers FusedLSTM, which safe-mode loading must find

    directory = Path(directory)
    try:
        meta = json.loads((directory / RUN_FILE).read_text())
    except (OSError, ValueError) as exc:
        raise DataError(f"Not a saved LSTM Lens run ({directory / RUN_FILE}: {exc}).") from exc
    model = keras.saving.load_model(directory / MODEL_FILE, safe_mode=True)
    return TrainedRun(
        model=model,
        config=LstmConfig.from_dict(meta["config"]),
        normaliser=Normaliser.from_dict(meta["normaliser"]),
        history=list(meta.get("history", [])),
        stopped_reason=meta.get("stopped_reason", "completed"),
        best_epoch=meta.get("best_epoch"),
        seconds=float(meta.get("seconds", 0.0)),
        snapshots=load_snapshots(directory),
    )


def run_archive(run: TrainedRun) -> bytes:
    """The saved run as one zip (for a download button)."""
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        save_run(run, tmp)
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in (MODEL_FILE, RUN_FILE):
                archive.write(Path(tmp) / name, arcname=name)
        return buffer.getvalue()
