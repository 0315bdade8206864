"""Walk-forward coordination: a parent run whose folds (per seed) are child runs, trained elsewhere.

``start_walk_forward`` stores the parent run, its settings and one queued child run per (seed,
fold). The folds then train either as a Dask graph (model/orchestration/graph.py: one task per fold
and a pooling task that depends on them) or through ``drive`` with any ``submit``/``wait`` pair
(a worker pool, or in-process training): in ``refit`` mode all folds at once, in ``warm`` mode each
seed's folds one after another, every fold starting from the previous fold's weights. Either way
each fold ends through ``settle_fold`` and the parent through ``finish_walk_forward`` (pool the
folds, store the summary and the forecast, finish). A failed child fails its fold only: the rest
still report, marked incomplete. An error in the coordination itself fails the parent with its
message (``fail_walk_forward``): a walk-forward run never stays "running" for ever.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timezone
from typing import Callable

from model.engine.config import LstmConfig
from model.errors import DataError, LensError, StoreError
from model.evidence.folds import DEFAULT_FOLDS, DEFAULT_SPAN, FOLD_MODES, fold_boundaries
from model.orchestration.forecast_pooling import store_walk_forward_forecast
from model.orchestration.reading import WalkForward, fold_residuals, load_walk_forward
from model.runs import evidence_store as es
from model.runs import folds as fold_store
from model.runs.records import RunRecord
from model.runs.store import RunStore

__all__ = [
    "WalkForward",
    "drive",
    "fail_walk_forward",
    "finish_walk_forward",
    "fold_residuals",
    "load_walk_forward",
    "run_walk_forward",
    "settle_fold",
    "start_walk_forward",
]

ENDED_WELL = ("finished", "stopped")


def start_walk_forward(
    store: RunStore,
    config: LstmConfig,
    prices,
    *,
    folds: int = DEFAULT_FOLDS,
    mode: str = "refit",
    seeds: int = 1,
    origin: str = "cli",
    owner: str | None = None,
    span: float = DEFAULT_SPAN,
    study: str | None = None,
    trial: int | None = None,
) -> int:
    """Store a walk-forward run and its queued fold runs; return the parent run's id.

    Refuses (DataError) before storing anything when the data cannot hold ``folds`` folds."""
    if mode not in FOLD_MODES:
        raise DataError(f"Fold mode must be one of {', '.join(FOLD_MODES)}, not {mode!r}.")
    if not 1 <= seeds <= 20:
        raise DataError(f"Seeds must be between 1 and 20, not {seeds}.")
    frame = prices.frame if hasattr(prices, "frame") else prices
    config.validate()
    boundaries = fold_boundaries(len(frame), config, folds, span)
    described = getattr(prices, "source", None)
    parent = store.create_run(config, prices, origin, owner=owner, study=study, trial=trial)
    es.add_evidence_run(store, parent, folds=folds, mode=mode, seeds=seeds, span=span)
    for s in range(seeds):
        seeded = config.replace(seed=(config.seed + s) % (2**31 - 1))
        for fold in boundaries:
            text = f"walk-forward run {parent}, seed {seeded.seed}, fold {fold.index + 1}/{folds}"
            if described:
                text += f" ({described})"
            child = store.create_run(seeded, frame, origin, owner=owner, description=text)
            es.add_fold(store, parent, s, fold, child)
    return parent


def fold_progress(store: RunStore, parent: int) -> dict:
    """The parent's progress, from its folds as stored: what the Train page's bar and text show.

    ``epoch``/``epochs`` count folds (the bar); ``folds_done``/``folds``/``fold`` say "fold 2 of 3";
    ``fold_epochs`` is the epochs its fold runs trained so far (the parent's ``epochs_run`` too)."""
    rows = es.folds_of(store, parent)
    children = {r.id: r for r in store.list_runs(ids=[row.child_run_id for row in rows])}
    total = len(rows)
    done = sum(1 for row in rows if row.status != "queued")
    epochs = sum(children[row.child_run_id].epochs_run or 0 for row in rows if row.child_run_id in children)
    training = sum(
        1 for row in rows if row.child_run_id in children and children[row.child_run_id].status == "running"
    )
    started = store.get_run(parent, with_history=False).started
    elapsed = (datetime.now(timezone.utc) - started).total_seconds() if started else 0.0
    fold = min(done + 1, total)
    return {
        "epoch": done,
        "epochs": total,
        "batch": 0,
        "batches": 0,
        "loss": None,
        "elapsed": round(elapsed, 3),
        "fraction": round(done / total, 4) if total else 1.0,
        "eta": None,
        "finished": done == total,
        "folds": total,
        "folds_done": done,
        "folds_training": training,
        "fold": fold,
        "fold_epochs": epochs,
        "message": (
            f"{done} of {total} folds done"
            if done == total
            else f"fold {fold} of {total} ({done} done, {epochs} epochs so far)"
        ),
        "updated": time.time(),
    }


def settle_fold(store: RunStore, parent: int, row: es.FoldRow, record: RunRecord) -> None:
    """A fold's run has ended as ``record``: fail its fold when it left no scored record, then store
    the parent's progress and epochs so far."""
    if record.status not in ENDED_WELL:
        es.end_fold(
            store, row.child_run_id, "failed", error=record.error or f"The fold's run ended {record.status}."
        )
    elif es.fold_of_child(store, row.child_run_id).status != "finished":
        es.end_fold(store, row.child_run_id, "failed", error="The fold's run ended without a scored record.")
    progress = fold_progress(store, parent)
    fold_store.set_epochs_run(store, parent, progress["fold_epochs"])
    store.progress(parent, progress)


def finish_walk_forward(store: RunStore, parent: int, seconds: float | None = None) -> WalkForward:
    """Pool the parent's folds, store the summary, its forecast and its epochs (the folds' total),
    and end it: stopped, finished, or failed when no fold was scored."""
    if seconds is None:
        started = store.get_run(parent, with_history=False).started
        seconds = (datetime.now(timezone.utc) - started).total_seconds() if started else 0.0
    result = load_walk_forward(store, parent)
    summary = result.summary()
    summary["seconds"] = seconds
    es.set_summary(store, parent, summary)
    stopped = store.stop_requested(parent)
    store_walk_forward_forecast(store, parent, stopped=stopped)  # from the folds' paths (no TensorFlow)
    progress = fold_progress(store, parent)
    fold_store.set_epochs_run(store, parent, progress["fold_epochs"])
    status = "stopped" if stopped else ("finished" if result.evidence.folds_scored else "failed")
    store.finish(
        parent,
        status,
        seconds=seconds,
        metric_table=result.metric_table(),
        stop_reason="user_stop" if stopped else None,
        error=None if result.evidence.folds_scored else "Every fold failed: " + result.first_error(),
        progress=progress,
    )
    return result


def fail_walk_forward(store: RunStore, parent: int, exc: BaseException) -> bool:
    """End the parent failed with the coordination's error in plain words; its fold runs still
    active are stopped. False when even the store cannot take that (it is marked later)."""
    message = str(exc) if isinstance(exc, LensError) else f"{type(exc).__name__}: {exc}"
    try:
        for row in es.folds_of(store, parent):
            if store.get_run(row.child_run_id, with_history=False).active:
                store.stop_unchecked(row.child_run_id)
        return store.fail(parent, f"The walk-forward coordination failed: {message}")
    except StoreError:
        try:
            return store.fail(parent, f"The walk-forward coordination failed: {message}")
        except StoreError:
            return False


Submit = Callable[[int], None]
Wait = Callable[[int], RunRecord]


def drive(
    store: RunStore,
    parent: int,
    submit: Submit,
    wait: Wait,
    on_fold: Callable[[es.FoldRow, RunRecord], None] | None = None,
) -> WalkForward:
    """Train every fold through ``submit``/``wait``, then pool and store the evidence.

    Any error on the way ends the parent failed with its message, then is raised."""
    done = threading.Event()
    try:
        settings = es.evidence_run(store, parent)
        rows = es.folds_of(store, parent)
        store.start(parent)
        started = time.perf_counter()
        threading.Thread(
            target=forward_stop,
            args=(store, parent, rows, done),
            daemon=True,
            name=f"walk-forward-stop-{parent}",
        ).start()

        def settle(row: es.FoldRow) -> RunRecord:
            record = wait(row.child_run_id)
            settle_fold(store, parent, row, record)
            if on_fold is not None:
                on_fold(row, record)
            return record

        if settings.mode == "refit":
            for row in rows:
                submit(row.child_run_id)
            for row in rows:
                settle(row)
        else:
            chains = [[r for r in rows if r.seed_index == s] for s in range(settings.seeds)]
            previous: dict[int, int | None] = {s: None for s in range(settings.seeds)}
            for position in range(settings.folds):
                batch = [chain[position] for chain in chains]
                for s, row in enumerate(batch):
                    if previous[s] is not None:
                        es.set_warm_from(store, row.child_run_id, previous[s])
                    submit(row.child_run_id)
                for s, row in enumerate(batch):
                    record = settle(row)
                    # A failed fold breaks the chain's warm start only: the next fold trains from scratch.
                    previous[s] = row.child_run_id if record.status in ENDED_WELL else None
        done.set()
        return finish_walk_forward(store, parent, time.perf_counter() - started)
    except Exception as exc:
        fail_walk_forward(store, parent, exc)  # the parent ends failed with it, not "running" for ever
        raise
    finally:
        done.set()


def forward_stop(store: RunStore, parent: int, rows, done: threading.Event, poll: float = 0.5) -> None:
    """A stop asked of the walk-forward run (its Stop button) stops every fold run still active."""
    while not done.wait(poll):
        try:
            if not store.stop_requested(parent):
                continue
            for row in rows:
                if store.get_run(row.child_run_id, with_history=False).active:
                    store.stop_unchecked(row.child_run_id)  # the parent's stop was granted
        except StoreError:
            continue  # a busy database: the next poll tries again


def run_walk_forward(
    store: RunStore, config: LstmConfig, prices, *, pool=None, listener=None, **options
) -> WalkForward:
    """Store and train a walk-forward run: through ``pool`` (a WorkerPool) when given, else here, one
    fold after another."""
    parent = start_walk_forward(store, config, prices, **options)
    if pool is not None:
        return drive(store, parent, pool.submit, pool.wait)
    from model.runs.execute import execute_run

    return drive(
        store, parent, lambda run_id: None, lambda run_id: execute_run(store, run_id, listener=listener)
    )
