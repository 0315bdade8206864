"""The one training path: a stored run in, a stored result out.

The Train page (through the worker pool), the command line and sweep trials all call
``execute_run``. It trains with ``model.engine.training.train_network`` and writes everything a page
needs into the store, so a page only reads.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from typing import Any, Callable

from model.errors import LensError, StoreError, describe_os_error
from model.runs import files
from model.runs.provenance import record_provenance, worker_identity
from model.runs.store import RunRecord, RunStore

log = logging.getLogger(__name__)

# Progress is written at most this often while a run trains (and at every epoch's end).
PROGRESS_SECONDS = 0.5
# The worker reads the store's stop flag at most this often, so Stop acts within a second.
STOP_POLL_SECONDS = 0.25

EpochHook = Callable[[int, dict[str, float]], bool]  # (1-based epoch, {"loss", "val_loss"}) -> stop?


class StoreStopFlag:
    """What ``train_network`` polls after every batch: set by a local event, by the epoch hook
    (a pruned sweep trial), or by a stop requested through the store (read at most every
    ``poll`` seconds, so polling costs training nothing measurable)."""

    def __init__(
        self,
        store: RunStore,
        run_id: int,
        local: threading.Event | None = None,
        poll: float = STOP_POLL_SECONDS,
    ):
        self.store, self.run_id, self.local, self.poll = store, run_id, local, poll
        self.pruned = False
        self._remote = False
        self._checked = 0.0

    def is_set(self) -> bool:
        if self.pruned or (self.local is not None and self.local.is_set()):
            return True
        now = time.monotonic()
        if not self._remote and now - self._checked >= self.poll:
            self._checked = now
            try:
                self._remote = self.store.stop_requested(self.run_id)
            except StoreError:
                pass  # a busy database must not end the training; the next poll tries again
        return self._remote


def _progress_payload(progress, message: str = "") -> dict[str, Any]:
    return {
        "epoch": progress.epoch,
        "epochs": progress.epochs,
        "batch": progress.batch,
        "batches": progress.batches,
        "loss": progress.loss,
        "elapsed": round(progress.elapsed, 3),
        "fraction": round(progress.fraction, 4),
        "eta": None if progress.eta is None else round(progress.eta, 3),  # seconds left at "updated"
        "finished": progress.finished,
        "message": message or progress.message,
        "updated": time.time(),
    }


def execute_run(
    store: RunStore,
    run_id: int,
    *,
    stop: threading.Event | None = None,
    on_epoch: EpochHook | None = None,
    listener: Callable | None = None,
    progress_seconds: float = PROGRESS_SECONDS,
    forecast: bool = True,
) -> RunRecord:
    """Train a queued run and store its result; return the run as stored at the end.

    ``stop``: a local flag (besides the store's stop_requested). ``on_epoch(epoch, logs)`` is
    called after every epoch's losses are stored; returning True stops training (status
    ``stopped``, stop reason ``pruned``), keeping the best weights. ``listener`` receives every
    ``model.engine.training.Progress`` too (the command line's progress bar). Errors end the run as
    ``failed`` with their message; they are not raised. A run that is no longer queued (stopped
    before it started, or taken by another worker) is returned untouched. ``forecast``: also make
    and store the multi-day forecast (``model.forecast``; sweep trials skip it).
    """
    from model.engine.config import LstmConfig
    from model.engine.evaluation import evaluate
    from model.engine.saving import save_run
    from model.engine.training import train_network
    from model.runs import fold_forecasts, folds

    if not store.start(run_id, pid=os.getpid(), host=socket.gethostname()):
        return store.get_run(run_id)
    flag = StoreStopFlag(store, run_id, stop)
    written = 0
    last_write = 0.0

    def listen(progress) -> None:
        nonlocal written, last_write
        epoch_ended = False
        while written < len(progress.history):
            entry = progress.history[written]
            written += 1
            epoch_ended = True
            store.add_epoch(run_id, written, entry.get("loss"), entry.get("val_loss"))
            if on_epoch is not None and on_epoch(written, dict(entry)):
                flag.pruned = True
        now = time.monotonic()
        if epoch_ended or progress.finished or now - last_write >= progress_seconds:
            last_write = now
            store.progress(run_id, _progress_payload(progress))
        if listener is not None:
            listener(progress)

    try:
        record = store.get_run(run_id, with_history=False)
        config = LstmConfig.from_dict(record.config).validate()
        # A walk-forward fold's run trains on its fold's rows (model.runs.folds); others as usual.
        data, fold = folds.fold_data(store, run_id, store.load_prices(run_id), config)
        run = train_network(data, listener=listen, stop=flag, model=folds.warm_model(store, fold))
        record_provenance(store, run_id, {**run.provenance, "worker": worker_identity()})
        evaluation = evaluate(run, data)
        folder = record.files_dir
        save_run(run, folder)
        files.write_frame(evaluation.predictions, folder / files.PREDICTIONS_FILE)
        files.write_frame(evaluation.forecast, folder / files.FORECAST_FILE)
        _store_verdict(evaluation, data, folder)
        folds.record_fold(
            store, fold, data, evaluation, run
        )  # before the run ends: the coordinator waits on it
        if forecast and fold is None and not flag.is_set():  # folds are scored, not forecast
            _store_forecast(run, data, folder, flag, _forecast_listener(store, run_id, progress_seconds))
        elif forecast and fold is not None and not flag.is_set():  # a fold's out-of-sample horizon paths
            fold_forecasts.store_fold_paths(
                run, data, fold, folder, flag, _forecast_listener(store, run_id, progress_seconds)
            )
        reason = "pruned" if flag.pruned else run.stopped_reason
        store.upload_files(run_id)  # before the run ends: a reader on another machine finds them then
        store.finish(
            run_id,
            "stopped" if reason in ("pruned", "user_stop") else "finished",
            seconds=run.seconds,
            best_epoch=run.best_epoch,
            stop_reason=reason,
            metric_table=evaluation.metrics,
        )
    except LensError as exc:
        _fail(store, run_id, str(exc))
    except OSError as exc:  # the runs directory not writable, a full disk: which file and what to do
        _fail(store, run_id, describe_os_error(exc))
    except Exception as exc:  # noqa: BLE001 - stored as the run's error instead of lost in a worker
        log.exception("Training run %s failed", run_id)
        _fail(store, run_id, f"Training failed: {type(exc).__name__}: {exc}")
    return store.get_run(run_id)


def _forecast_listener(store: RunStore, run_id: int, progress_seconds: float) -> Callable:
    """Progress of the forecast's direct network, as the run's progress with ``stage`` "forecast"
    (its epochs are not the run's: they are not added to the run's history)."""
    last_write = 0.0

    def listen(progress) -> None:
        nonlocal last_write
        now = time.monotonic()
        if progress.finished or now - last_write >= progress_seconds:
            last_write = now
            payload = _progress_payload(progress, "Forecast: training the direct network")
            payload["stage"] = "forecast"
            try:
                store.progress(run_id, payload)
            except StoreError:
                pass  # progress is a courtesy; the forecast goes on

    return listen


def _store_forecast(run, data, folder, flag, listener=None) -> None:
    """The multi-day forecast with its bands; a forecast that cannot be made leaves its reason, not a failed run."""
    from model.forecast.evaluate import forecast_horizon
    from model.runs import forecasts

    try:
        result = forecast_horizon(run, data, stop=flag, listener=listener)
    except LensError as exc:
        forecasts.write_failure(str(exc), folder)
        return
    except Exception as exc:  # noqa: BLE001 - the trained run is kept; only its forecast is missing
        log.exception("The forecast of a run failed (the trained run is kept)")
        forecasts.write_failure(f"The forecast failed: {type(exc).__name__}: {exc}", folder)
        return
    if flag.is_set():
        forecasts.write_failure("Stopped while the forecast's direct network trained: no forecast.", folder)
        return
    forecasts.write_forecast(result, folder)


def _store_verdict(evaluation, data, folder) -> None:
    """The run's one verdict (model.evidence.verdict), judged once here; a verdict that cannot be made
    leaves the run as it is (pages judge it from the stored predictions then)."""
    from model.evidence.verdict import evaluation_verdict
    from model.runs.verdicts import write_verdict

    try:
        write_verdict(evaluation_verdict(evaluation, data), folder)
    except Exception:  # noqa: BLE001 - the trained run is kept; only its stored verdict is missing
        logging.getLogger(__name__).exception("Could not store the run's verdict")


def _fail(store: RunStore, run_id: int, message: str) -> None:
    try:
        store.fail(run_id, message)
    except StoreError:
        pass  # the store itself is gone; mark_interrupted will find the run later
