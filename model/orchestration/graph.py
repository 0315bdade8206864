"""Walk-forward as a Dask graph: one task per fold, and a pooling task that depends on them.

``submit_walk_forward(client, store, parent)`` marks the parent running and hands the scheduler the
whole graph at once: in ``refit`` mode the fold tasks are independent (the cluster trains them in
parallel), in ``warm`` mode each seed's fold task depends on that seed's previous fold (its weights
are the warm start). Every task opens the run store itself from the URL (a worker on another
machine needs no shared state with the server) and executes its fold's child run through
``model.runs.execute``; the pooling task then pools the folds and ends the parent
(``model.orchestration.walkforward.finish_walk_forward``). Nothing coordinates from the server: the
graph is fired and forgotten, so it runs to its end with or without the process that submitted it.

Failure: a fold task never raises (a failed fold is a failed fold, the others still report); the
pooling task fails the parent with any error's message, and if even that cannot reach the store
the error travels back to the client, whose callback fails the parent from there.

Stop: each fold task passes a stop asked of the parent on to its fold run through the store (as
``drive`` does); a fold task that starts after the Stop cancels its queued run.

Restart: the parent is marked running under ``GRAPH_HOST`` (not a process of this machine), so a
server that restarts does not mark it interrupted; ``resume_walk_forwards`` (called once at start-up)
gives every unfinished fold whose run was interrupted a new queued run and submits the graph again.
Task keys are derived from the store and the parent, so a graph still running on a scheduler is
joined, not duplicated.
"""

from __future__ import annotations

import hashlib
import logging
import socket
import threading
import time
from typing import Any, Callable

from model.errors import StoreError
from model.orchestration.walkforward import (
    ENDED_WELL,
    WalkForward,
    fail_walk_forward,
    finish_walk_forward,
    fold_progress,
    forward_stop,
    load_walk_forward,
    settle_fold,
)
from model.runs import evidence_store as es
from model.runs import folds as fold_store
from model.runs.provenance import record_provenance, worker_identity
from model.runs.store import RunStore, open_store, pid_alive

log = logging.getLogger(__name__)

# The parent's worker_host while its graph runs: no process of any machine, so mark_interrupted
# (which ends the active runs of this host whose process is gone) leaves it for resume_walk_forwards.
GRAPH_HOST = "dask graph"
WAIT_POLL = 0.5  # seconds between reads of a fold run another worker is training

_stores: dict[tuple[str, str], RunStore] = {}  # one per worker process and store
_stores_lock = threading.Lock()


def worker_store(url: str, files_root: str) -> RunStore:
    """The run store of a task's worker process (opened once per process)."""
    with _stores_lock:
        key = (url, files_root)
        if key not in _stores:
            _stores[key] = open_store(url, files_root=files_root)
        return _stores[key]


def graph_prefix(store: RunStore, parent: int) -> str:
    """The task keys' prefix: the same store and parent give the same keys (a resubmission joins)."""
    where = f"{store.engine.url.render_as_string(hide_password=True)}|{store.files_root}"
    return f"walk-forward-{hashlib.sha1(where.encode()).hexdigest()[:10]}-{parent}"


def _fold_row(store: RunStore, parent: int, seed_index: int, fold: int) -> es.FoldRow:
    """The fold's row as stored now (its child run may have been replaced by a resume)."""
    for row in es.folds_of(store, parent):
        if row.seed_index == seed_index and row.fold.index == fold:
            return row
    raise StoreError(f"Walk-forward run {parent} has no fold {fold + 1} for seed {seed_index + 1}.")


def live_worker_addresses() -> set[str] | None:
    """The addresses of the workers the scheduler knows now, asked from inside a task (None when
    this is not a Dask task or the scheduler cannot say)."""
    try:
        from distributed import get_client, get_worker

        get_worker()
        return set(get_client().scheduler_info(n_workers=-1)["workers"])
    except Exception:  # noqa: BLE001 - not in a task, or no scheduler: the other checks stand
        return None


def dead_worker_message(worker: dict[str, Any]) -> str:
    return (
        f"The worker process (pid {worker.get('pid', '?')} on {worker.get('host', '?')}) that was training this "
        "run ended during training (killed, or out of memory); the run was not retried."
    )


def holder_gone(record, live: Callable[[], set[str] | None]) -> dict[str, Any] | None:
    """The worker holding the active run ``record`` if it is gone: a process of this machine that
    has ended, or a Dask worker (of any machine) the scheduler no longer knows."""
    worker = (record.provenance or {}).get("worker") or {}
    if record.worker_host == socket.gethostname() and not pid_alive(record.worker_pid):
        return {"pid": record.worker_pid, "host": record.worker_host, **worker}
    if record.status == "running" and worker.get("address"):
        addresses = live()
        if addresses is not None and worker["address"] not in addresses:
            return worker
    return None


def _wait_until_ended(store: RunStore, run_id: int, live: Callable[[], set[str] | None] | None = None):
    """The run once it has ended: another worker may hold it (a graph submitted twice, or this task
    retried by the scheduler after the worker that was training the fold died). A holder that is
    gone (its pid on this machine, or its Dask worker on any machine) fails the run, so the fold
    fails instead of waiting for a restart that may never come."""
    record = store.get_run(run_id, with_history=False)
    while record.active:
        gone = holder_gone(record, live or live_worker_addresses)
        if gone is not None:
            log.warning("fold run %s: its worker %s is gone; the run fails", run_id, gone)
            store.fail(run_id, dead_worker_message(gone))
        time.sleep(WAIT_POLL)
        record = store.get_run(run_id, with_history=False)
    return record


def train_fold(
    url: str, files_root: str, parent: int, seed_index: int, fold: int, previous: dict | None = None
) -> dict[str, Any]:
    """Task: train one fold's child run and settle the fold. ``previous`` (warm mode) is the result
    of the seed's previous fold task. Never raises: a fold that cannot train is a failed fold."""
    from model.runs.execute import execute_run

    child = None
    try:
        store = worker_store(url, files_root)
        row = _fold_row(store, parent, seed_index, fold)
        child = row.child_run_id
        if previous and previous.get("status") in ENDED_WELL and row.warm_from is None:
            es.set_warm_from(store, child, previous["child"])
            row = _fold_row(store, parent, seed_index, fold)
        if store.stop_requested(parent):
            store.stop_unchecked(child)  # a Stop before this fold started: its run is cancelled
        done = threading.Event()
        threading.Thread(
            target=forward_stop, args=(store, parent, [row], done), daemon=True, name=f"fold-stop-{child}"
        ).start()
        try:
            # Who trains the fold, stored before training: a task retried on another machine
            # after this worker died tells a dead holder from a live one by this address.
            if store.get_run(child, with_history=False).status == "queued":
                record_provenance(store, child, {"worker": worker_identity()})
            execute_run(store, child)
            record = _wait_until_ended(store, child)
        finally:
            done.set()
        settle_fold(store, parent, row, record)
        return {"child": child, "status": record.status}
    except Exception as exc:  # noqa: BLE001 - the fold fails; the pooling task still ends the parent
        message = f"The fold could not be trained: {type(exc).__name__}: {exc}"
        log.exception("walk-forward run %s, seed %s, fold %s", parent, seed_index + 1, fold + 1)
        if child is not None:
            try:
                store = worker_store(url, files_root)
                scored = es.fold_of_child(store, child)
                if scored is None or scored.status != "finished":  # a scored fold keeps its score
                    es.end_fold(store, child, "failed", error=message)
            except Exception:  # noqa: BLE001 - the store is gone: pooling reports it
                log.exception("recording the failed fold of run %s", parent)
        return {"child": child, "status": "failed", "error": message}


def pool_walk_forward(url: str, files_root: str, parent: int, *folds: dict) -> dict[str, Any]:
    """Task: once every fold task has ended, pool the folds and end the parent. Any error ends the
    parent failed with its message; raised only when the store cannot take even that."""
    store = worker_store(url, files_root)
    try:
        result = finish_walk_forward(store, parent)
        return {"parent": parent, "folds_scored": result.evidence.folds_scored}
    except Exception as exc:
        log.exception("pooling walk-forward run %s", parent)
        if not fail_walk_forward(store, parent, exc):
            raise
        return {"parent": parent, "error": str(exc)}


def submit_walk_forward(client, store: RunStore, parent: int, *, resources: dict | None = None):
    """Submit the walk-forward run ``parent`` (stored by ``start_walk_forward``) as a graph on the
    Dask ``client``; returns the pooling task's future (fired and forgotten: it runs to its end)."""
    import distributed

    settings = es.evidence_run(store, parent)
    if settings is None:
        raise StoreError(f"Run {parent} is not a walk-forward run.")
    store.start(parent, host=GRAPH_HOST)  # queued -> running; a resumed parent is running already
    store.progress(parent, fold_progress(store, parent))  # "fold 1 of K" before the first fold starts
    url = store.engine.url.render_as_string(hide_password=False)
    files_root = str(store.files_root)
    prefix = graph_prefix(store, parent)
    rows = es.folds_of(store, parent)
    tasks = []
    for seed in range(settings.seeds):
        previous: Any = None
        for row in (r for r in rows if r.seed_index == seed):
            if row.status != "queued":  # scored or failed before a restart: settled already
                previous = {
                    "child": row.child_run_id,
                    "status": "finished" if row.status == "finished" else "failed",
                }
                continue
            task = client.submit(
                train_fold,
                url,
                files_root,
                parent,
                seed,
                row.fold.index,
                previous if settings.mode == "warm" else None,
                key=f"{prefix}-seed{seed}-fold{row.fold.index}",
                resources=resources,
                pure=False,
            )
            tasks.append(task)
            previous = task
    final = client.submit(
        pool_walk_forward, url, files_root, parent, *tasks, key=f"{prefix}-pool", pure=False
    )
    distributed.fire_and_forget(final)
    final.add_done_callback(lambda future: _report_failure(store, parent, future))
    return final


def run_graph(client, store: RunStore, parent: int, *, on_fold=None, poll: float = 0.5) -> WalkForward:
    """Submit the walk-forward run as a graph and wait for its end (the command line's way):
    ``on_fold(row, record)`` is called as each fold ends. Raises StoreError with the parent's error
    when the coordination failed."""
    future = submit_walk_forward(client, store, parent)
    reported: set[int] = set()

    def report() -> None:
        for row in es.folds_of(store, parent):
            if row.status == "queued" or row.child_run_id in reported:
                continue
            record = store.get_run(row.child_run_id, with_history=False)
            if not record.active:  # scored a moment before its run ends: report the ended run
                reported.add(row.child_run_id)
                if on_fold is not None:
                    on_fold(row, record)

    while not future.done():
        report()
        time.sleep(poll)
    report()
    outcome = future.result()
    if "error" in outcome:
        raise StoreError(store.get_run(parent, with_history=False).error or outcome["error"])
    return load_walk_forward(store, parent)


def _report_failure(store: RunStore, parent: int, future) -> None:
    """The client's last line of defence: a graph that erred fails its parent (a cancelled one, a
    server shutting down, is left to resume_walk_forwards)."""
    if future.status != "error":
        return
    try:
        exc = future.exception()
    except Exception as error:  # noqa: BLE001 - the scheduler is gone; say that instead
        exc = error
    if type(exc).__name__ == "KilledWorker":  # a fold's worker died and the scheduler does not retry
        exc = StoreError(_fail_dead_folds(store, parent, future.client))
    fail_walk_forward(store, parent, exc)


def _fail_dead_folds(store: RunStore, parent: int, client) -> str:
    """Fail the fold runs whose worker is gone, each with its worker's words; the parent's message."""

    def live() -> set[str] | None:
        try:
            return set(client.scheduler_info(n_workers=-1)["workers"])
        except Exception:  # noqa: BLE001 - no scheduler to ask: only this machine's pids are checked
            return None

    died = []
    for row in es.folds_of(store, parent):
        record = store.get_run(row.child_run_id, with_history=False)
        gone = holder_gone(record, live) if record.active else None
        if gone is not None:
            store.fail(record.id, dead_worker_message(gone))
            died.append(f"fold {row.fold.index + 1}")
    which = ", ".join(died) or "a fold"
    return (
        f"The worker training {which} ended during training (killed, or out of memory); "
        "the fold was not retried."
    )


def resume_walk_forwards(store: RunStore, client, *, resources: dict | None = None) -> list[int]:
    """At start-up: walk-forward runs whose graph was running submit again. A fold whose run was
    interrupted (its worker went with the server) trains again as a new queued run; scored folds
    are kept. Returns the resumed parents' ids."""
    resumed = []
    for parent in sorted(es.evidence_run_ids(store)):
        record = store.get_run(parent, with_history=False)
        if record.status != "running" or record.worker_host != GRAPH_HOST:
            continue
        try:
            for row in es.folds_of(store, parent):
                child = store.get_run(row.child_run_id, with_history=False)
                if row.status == "queued" and child.status in ("interrupted", "failed"):
                    again = store.create_run(
                        child.lstm_config,
                        store.load_prices(child.id),
                        child.origin,
                        description=child.data_description,
                    )
                    fold_store.replace_child(store, child.id, again)
                    store.delete_run(child.id)
            submit_walk_forward(client, store, parent, resources=resources)
            resumed.append(parent)
            log.info("walk-forward run %s resumed", parent)
        except Exception as exc:  # noqa: BLE001 - one run that cannot resume must not stop the others
            log.exception("resuming walk-forward run %s", parent)
            fail_walk_forward(store, parent, exc)
    return resumed
