"""The run store and the worker pool of this server process, and cached reads of stored runs.

One ``RunStore`` and one ``WorkerPool`` per server process and database URL (``st.cache_resource``):
the pool is an embedded Dask cluster (or the scheduler at ``$LENS_DASK``, docs/cluster.md) whose
worker processes import TensorFlow while the first page loads, so pressing Train
does not wait for it, and training never runs in a thread of the server. Opening the store
also marks runs whose process has ended (a killed server) as interrupted, once per process.

Finished runs never change, so what is read from them is cached per (run id, created): a
deleted run whose id SQLite hands out again is a different key.
"""

from __future__ import annotations

import logging
import os
import threading
import time
from typing import Any

import streamlit as st

from model.engine.stops import describe_stop
from model.errors import StoreError
from model.runs import RunRecord, RunStore, open_store, run_files
from model.runs.store import resolve_url

# Worker processes of the pool (default: one per core); tests and small machines may lower it.
ENV_WORKERS = "LENS_WORKERS"
# Set (to anything but "" or "0") to keep a page load from starting the pool in the background
# (app.py's start_pool, the open run's preload): the tests' AppTests, which draw pages only. A page
# that trains or asks a worker still creates the pool itself, so nothing else changes.
ENV_NO_POOL = "LENS_NO_POOL"

# The embedded workers' CPU niceness (default 10: they import TensorFlow while the first page draws).
ENV_NICE = "LENS_WORKER_NICE"


@st.cache_resource(show_spinner=False)
def _store(url: str) -> RunStore:
    store = open_store(url)
    store.mark_interrupted()  # runs left queued/running by a server or worker that has gone
    return store


@st.cache_resource(show_spinner=False)
def _pool(url: str):
    from model.runs.cluster import SERVER_WORKER_NICE
    from model.runs.workers import WorkerPool

    try:
        _store(url)  # interrupted runs are marked before this process queues new ones
    except StoreError:
        # A store that cannot be opened is said on the pages that need it; the quick jobs that do
        # not (the Shapes trace of a fresh network) still run in the pool's workers.
        logging.getLogger(__name__).warning("The worker pool starts without a run store", exc_info=True)
    workers = int(os.environ.get(ENV_WORKERS) or 0) or None
    nice = int(os.environ.get(ENV_NICE) or SERVER_WORKER_NICE)
    # With $LENS_DASK set the pool submits to that scheduler and starts no processes of its own.
    return WorkerPool(url, workers=workers, nice=nice)


def store() -> RunStore:
    """The run store of ``$LENS_DB`` (or runs/lens.db) for this server process."""
    return _store(resolve_url())


def pool():
    """The worker pool for this server process; its workers start (and import TensorFlow) in the background."""
    made = _pool(resolve_url())
    _resumed(resolve_url())
    return made


@st.cache_resource(show_spinner=False)
def _resumed(url: str) -> list[int]:
    """Once per server process: walk-forward runs whose Dask graph was running are submitted again
    (model.orchestration.graph.resume_walk_forwards); nothing to do without a Dask pool."""
    client = getattr(_pool(url), "client", None)
    if client is None:
        return []
    from model.orchestration.graph import resume_walk_forwards

    try:
        return resume_walk_forwards(_store(url), client)
    except StoreError:
        logging.getLogger(__name__).exception("resuming walk-forward runs")
        return []


def background_start_off() -> bool:
    """Whether ``$LENS_NO_POOL`` asks page loads not to start the pool ahead of need."""
    return os.environ.get(ENV_NO_POOL, "") not in ("", "0")


def start_pool() -> None:
    """Create the pool in a thread of its own (once per process), so the script run that asks for
    it ends without waiting for the scheduler to start; a page that needs the pool meanwhile
    waits for the same one (``st.cache_resource`` creates it once). Nothing with ``$LENS_NO_POOL``."""
    global _starting
    if background_start_off():
        return
    with _starting_lock:
        if _starting is None:
            _starting = threading.Thread(target=_start_quietly, name="lstm-lens-pool-start", daemon=True)
            _starting.start()


def _start_quietly() -> None:
    try:
        pool()
    except Exception:  # noqa: BLE001 - the page that needs the pool shows why it cannot start
        logging.getLogger(__name__).exception("the worker pool could not start")


_starting: threading.Thread | None = None
_starting_lock = threading.Lock()


def run_key(record: RunRecord) -> tuple[int, str]:
    return record.id, record.created.isoformat()


@st.cache_resource(max_entries=16, show_spinner=False)
def _evaluation(url: str, key: tuple[int, str]):
    return run_files.load_evaluation(_store(url), key[0])


@st.cache_resource(max_entries=16, show_spinner=False)
def _prices(url: str, key: tuple[int, str]):
    return _store(url).load_prices(key[0])


def evaluation(record: RunRecord):
    """The stored Evaluation of an ended run (no TensorFlow)."""
    return _evaluation(resolve_url(), run_key(record))


def prices(record: RunRecord):
    """The exact price table the run trained on (a shared, read-only DataFrame)."""
    return _prices(resolve_url(), run_key(record))


# What a run's status says while it has not ended as stopped or finished (then its stop
# reason says it, in model.engine.stops' words); formatted with epochs and error.
_STATUS_SUMMARIES = {
    "queued": "Waiting for a worker.",
    "running": "Training: {epochs} epoch(s) done.",
    "failed": "Failed: {error}",
    "interrupted": "Interrupted after {epochs} epoch(s): {error}",
}
_NO_ERROR = {"failed": "no reason was recorded", "interrupted": "its process ended"}


def summary(record: RunRecord) -> str:
    """What became of a run, in one sentence."""
    template = _STATUS_SUMMARIES.get(record.status)
    if template is None:
        return describe_stop(record.stop_reason, record.epochs_run, record.best_epoch, record.seconds)
    return template.format(epochs=record.epochs_run, error=record.error or _NO_ERROR.get(record.status, ""))


def has_result(record: RunRecord | None) -> bool:
    """Whether a run has stored predictions to show (finished or stopped, not cancelled)."""
    return (
        record is not None and record.status in ("finished", "stopped") and record.stop_reason != "cancelled"
    )


def progress_times(
    progress: dict[str, Any] | None, now: float | None = None
) -> tuple[float | None, float | None]:
    """(elapsed, left) seconds of a running run from its stored progress, at ``now`` (epoch seconds).

    The worker stores ``elapsed`` and ``eta`` (``model.engine.training.Progress.eta``: the rate since fit
    started; early stopping may end sooner) at ``updated``; the time since then has passed too.
    """
    if not progress:
        return None, None
    now = time.time() if now is None else now
    since = max(0.0, now - float(progress.get("updated") or now))
    elapsed = float(progress.get("elapsed") or 0.0)
    eta = progress.get("eta")
    left = None if eta is None or progress.get("finished") else max(0.0, float(eta) - since)
    return elapsed + since, left


def run_url(run_id: int, page: str = "results") -> str:
    """A shareable link to a run (it carries no owner token, so it cannot stop the run)."""
    return f"/{page}?run={int(run_id)}"


def network_run(record: RunRecord) -> RunRecord:
    """The run whose network Inside and the Explainer open: the run itself, or, for a walk-forward run (whose own record
    holds no network), its last fold that trained, the one trained on the most data (its first seed)."""
    from model.runs import evidence_store as es

    store_ = store()
    folds = sorted(es.folds_of(store_, record.id), key=lambda row: (-row.fold.index, row.seed_index))
    for row in folds:
        child = store_.get_run(row.child_run_id)
        if has_result(child):
            return child
    return record
