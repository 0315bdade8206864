"""``--dask ADDRESS`` (or ``$LENS_DASK``) on the command lines: a single run trains on that
scheduler's workers, and this process follows its progress through the run store."""

from __future__ import annotations

import time
from typing import Callable

from model.engine.training import Progress
from model.runs.records import RunRecord


def progress_of(record: RunRecord) -> Progress:
    """The training progress a stored run holds (what a listener in the worker last wrote)."""
    stored = record.progress or {}
    epochs = int(stored.get("epochs") or record.config.get("epochs") or 0)
    return Progress(
        epoch=int(stored.get("epoch") or len(record.history) or 1),
        epochs=epochs,
        batch=int(stored.get("batch") or 0),
        batches=int(stored.get("batches") or 1),
        loss=stored.get("loss"),
        elapsed=float(stored.get("elapsed") or 0.0),
        history=tuple(record.history),
        finished=not record.active,
        message="" if record.active else (record.error or record.stop_reason or record.status),
    )


def train_on_scheduler(
    url: str, files_root, run_id: int, address: str, listener: Callable[[Progress], None], poll: float = 0.5
) -> RunRecord:
    """Submit the stored run to the scheduler at ``address`` (starting nothing here), call
    ``listener`` with its progress as the store shows it, and return the run once it ended."""
    from model.runs.workers import WorkerPool

    with WorkerPool(url, files_root=files_root, address=address) as pool:
        pool.submit(run_id)
        seen = None
        while True:
            record = pool.store.get_run(run_id)
            state = (record.status, len(record.history), str(record.progress))
            if state != seen and (record.status == "running" or not record.active):
                seen = state
                listener(progress_of(record))
            if not record.active:
                return record
            time.sleep(poll)
