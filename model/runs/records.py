"""A stored run as the rest of the app sees it: the RunRecord snapshot, built from a database row."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from model.engine.config import LstmConfig
from model.runs.schema import ACTIVE_STATUSES, METRIC_NAMES

__all__ = ["RunRecord", "record_from_row", "record_to_dict"]


def _aware(value: datetime | None) -> datetime | None:
    return None if value is None else value.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RunRecord:
    """One stored run as read from the database (a snapshot: read again for fresh progress)."""

    id: int
    created: datetime
    started: datetime | None
    finished: datetime | None
    status: str  # queued | running | finished | stopped | failed | interrupted
    origin: str  # ui | cli | sweep
    study: str | None
    trial: int | None
    config: dict[str, Any]
    parameters: int | None
    data_description: str
    data_fingerprint: str
    seconds: float | None
    epochs_run: int
    best_epoch: int | None
    stop_reason: str | None  # completed | early_stopping | user_stop | pruned | cancelled
    error: str | None
    progress: dict[str, Any] | None  # epoch, epochs, batch, batches, loss, elapsed, updated
    stop_requested: bool
    owner_hash: str | None  # digest of the Stop token (model.runs.capability); never exported
    worker_pid: int | None
    worker_host: str | None
    files_dir: Path
    history: tuple[dict[str, float], ...] = ()  # per epoch: loss, val_loss (get_run fills it)
    metrics: dict[str, dict[str, float | None]] = field(default_factory=dict)  # who -> rmse, mae, ...
    provenance: dict[str, Any] | None = None  # path, kernel, kernel_reason, tensorflow, threads, device

    @property
    def active(self) -> bool:
        return self.status in ACTIVE_STATUSES

    @property
    def lstm_config(self) -> LstmConfig:
        return LstmConfig.from_dict(self.config)

    def metric(self, name: str, who: str = "model") -> float | None:
        return self.metrics.get(who, {}).get(name)


def record_from_row(row, files_root: Path, history=(), metric_rows=()) -> RunRecord:
    """The record of a ``runs`` row, with its per-epoch history and its ``metrics`` rows."""
    m = row._mapping
    folder = Path(m["files_dir"]) if m["files_dir"] else Path(str(int(m["id"])))
    return RunRecord(
        id=m["id"],
        created=_aware(m["created"]),
        started=_aware(m["started"]),
        finished=_aware(m["finished"]),
        status=m["status"],
        origin=m["origin"],
        study=m["study"],
        trial=m["trial"],
        config=dict(m["config"] or {}),
        parameters=m["parameters"],
        data_description=m["data_description"] or "",
        data_fingerprint=m["data_fingerprint"],
        seconds=m["seconds"],
        epochs_run=m["epochs_run"] or 0,
        best_epoch=m["best_epoch"],
        stop_reason=m["stop_reason"],
        error=m["error"],
        progress=m["progress"],
        stop_requested=bool(m["stop_requested"]),
        owner_hash=m["owner"],
        worker_pid=m["worker_pid"],
        worker_host=m["worker_host"],
        files_dir=folder if folder.is_absolute() else Path(files_root) / folder,
        history=tuple(history),
        metrics={r.who: {n: getattr(r, n) for n in METRIC_NAMES} for r in metric_rows},
        provenance=m.get("provenance"),
    )


PRIVATE_FIELDS = ("owner_hash",)


def record_to_dict(record: RunRecord) -> dict[str, Any]:
    # The owner's digest stays out of every export (ZIP, JSON, CLI): it is no one else's business.
    out = {f: getattr(record, f) for f in record.__dataclass_fields__ if f not in PRIVATE_FIELDS}
    out["files_dir"] = str(record.files_dir)
    out["history"] = list(record.history)
    for key in ("created", "started", "finished"):
        out[key] = out[key].isoformat() if out[key] else None
    return out
