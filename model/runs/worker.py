"""The worker side of the run cluster: a Dask worker preload and the two tasks the pool submits.

Every Dask worker of the pool (the embedded cluster's, or a ``dask worker`` started by hand on any
machine) loads this module with ``--preload model.runs.worker``. ``dask_setup`` runs before the
worker registers with the scheduler, so a registered worker has TensorFlow imported and its
threads limited (the first Train press does not pay for either); it lowers the worker's CPU
priority first (``LENS_WORKER_NICE``), so that importing TensorFlow on every core does not slow
the server drawing its first page; then, in the background, it traces the default network once.

The pool (``model.runs.workers.WorkerPool``) submits two kinds of task, both plain functions here
that Dask pickles by reference (a worker imports this module to run them):

- ``train_task``: train one stored run with ``execute_run``; it needs the worker resource
  ``train=1``, so a worker trains one run at a time, and its other thread stays free for
  quick jobs. After ``max_runs`` runs the worker closes itself gracefully and its nanny starts
  a fresh process, so memory stays bounded.
- ``job_task``: a quick job of ``model.runs.jobs`` (Shapes trace, leak demo, Inside views), with
  the stored runs' models cached per worker process (``JobContext``).

A run whose worker died mid-run is not retried (``docs/cluster.md`` says why): if the scheduler
hands the task to another worker anyway (a scheduler of its own with ``allowed-failures`` > 0),
``train_task`` finds the run already started and fails it with a message.
"""

from __future__ import annotations

import gc
import hashlib
import logging
import os
import socket
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from model.errors import StoreError
from model.runs.processes import limit_threads

log = logging.getLogger(__name__)

# The resource a training task needs; each worker that trains offers 1 of it.
TRAIN_RESOURCE = "train"
# Niceness the embedded cluster's workers run at (0: as the owner); see dask_setup.
ENV_NICE = "LENS_WORKER_NICE"
# TensorFlow's intra-op threads of this worker (model.runs.processes.thread_env sets it).
ENV_THREADS = "TF_NUM_INTRAOP_THREADS"

# Worker-process state: stores and job contexts per (url, files root), the runs trained so far.
_lock = threading.RLock()
# Jobs running now; the end-of-run Keras clean-up waits until there are none (clear_session must
# not run under a job), while jobs never wait for each other or for the warm-up.
_jobs_idle = threading.Condition()
_jobs_running = 0
CLEAR_WAIT_SECONDS = 30.0
_stores: dict[tuple[str, str | None], Any] = {}
_contexts: dict[tuple[str, str | None], Any] = {}
_runs_done = 0


def dask_setup(worker) -> None:
    """Dask preload hook: nice, thread limits and TensorFlow before the worker registers."""
    nice = int(os.environ.get(ENV_NICE) or 0)
    if nice > 0:
        try:
            os.nice(nice)
        except OSError:
            pass
    # The scheduler's view of this worker carries its pid and host (WorkerPool.worker_pids).
    worker.startup_information["pid"] = lambda _: os.getpid()
    worker.startup_information["hostname"] = lambda _: socket.gethostname()
    _configure_logging()
    limit_threads(int(os.environ.get(ENV_THREADS) or os.cpu_count() or 1))
    from model import logs

    logs.import_tensorflow()  # its C++ start-up lines go to the worker's log file, not the console
    import keras  # noqa: F401 - loaded now, not on the first Train press

    threading.Thread(target=_warm_up, name="lstm-lens-warm-up", daemon=True).start()


def _configure_logging() -> None:
    """The worker logs to <runs>/logs/worker.log of $LENS_DB's store (the console: warnings only);
    a worker on a machine without that directory logs to its console alone."""
    from model import logs
    from model.runs.database import runs_directory

    try:
        root = runs_directory(None)
    except StoreError:
        root = None
    logs.configure("worker", files_root=root)


def _warm_up() -> None:
    from model.runs.jobs import JobContext, warm_up

    warm_up(JobContext(None))


def worker_identity() -> dict[str, Any]:
    """This worker's Dask name and address (empty outside a Dask worker)."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return {}
    return {"name": str(worker.name), "address": str(worker.address)}


def store_for(url: str, files_root: str | None):
    """This process's store of ``url`` (opened once per worker process)."""
    from model.runs.store import open_store

    key = (url, files_root)
    with _lock:
        if key not in _stores:
            _stores[key] = open_store(url, files_root=local_files_root(files_root, url))
        return _stores[key]


def local_files_root(files_root: str | None, url: str) -> str | None:
    """The owner's files root if this machine can write there, else a folder of this worker's own:
    on another machine the owner's path may not exist, and run files travel through the store
    (model.runs.blobs) anyway."""
    if files_root is None:
        return None
    try:
        Path(files_root).mkdir(parents=True, exist_ok=True)
        if os.access(files_root, os.W_OK):
            return files_root
    except OSError:
        pass
    digest = hashlib.sha256(url.encode()).hexdigest()[:12]
    own = Path(tempfile.gettempdir()) / f"lstm-lens-files-{os.getuid()}" / digest
    own.mkdir(parents=True, exist_ok=True)
    log.warning("files root %s is not writable here; this worker keeps run files in %s", files_root, own)
    return str(own)


def _context(url: str, files_root: str | None):
    from model.runs.jobs import JobContext

    key = (url, files_root)
    with _lock:
        if key not in _contexts:
            try:
                store = store_for(url, files_root)
            except StoreError as exc:  # jobs that read no stored run still answer
                log.warning("Quick jobs run without the run store: %s", exc)
                from model.runs.store import UnavailableStore

                store = UnavailableStore(exc)
            _contexts[key] = JobContext(store)
        return _contexts[key]


def died_message(record) -> str:
    where = f"pid {record.worker_pid}" if record.worker_pid else "its process"
    host = f" on {record.worker_host}" if getattr(record, "worker_host", None) else ""
    return (
        f"The worker process ({where}{host}) that was training this run ended during training "
        "(killed, or out of memory); the run was not retried."
    )


def train_task(run_id: int, url: str, files_root: str | None, max_runs: int | None = None) -> str:
    """Train stored run ``run_id`` here; return what became of it (its status)."""
    global _runs_done
    import keras

    from model.runs.execute import execute_run

    store = store_for(url, files_root)
    try:
        record = store.get_run(int(run_id), with_history=False)
        if record.status == "running":  # a worker that died took it: see the module's docstring
            store.finish(int(run_id), "failed", error=died_message(record))
            return "failed"
        if record.status != "queued":  # stopped while it waited, or already trained
            return record.status
        return execute_run(store, int(run_id)).status
    except StoreError as exc:
        log.warning("run %s: %s", run_id, exc)  # its row is gone or the database unreachable
        return "gone"
    finally:
        with _jobs_idle:
            if _jobs_idle.wait_for(lambda: _jobs_running == 0, timeout=CLEAR_WAIT_SECONDS):
                keras.backend.clear_session()  # else skipped this once: the next run clears it
        gc.collect()
        with _lock:
            _runs_done += 1
            retire = max_runs is not None and _runs_done >= int(max_runs)
        if retire:
            _retire()


def _retire() -> None:
    """Close this worker once the task has returned; its nanny starts a fresh process."""
    try:
        from distributed import get_worker

        worker = get_worker()
    except (ImportError, ValueError):
        return
    log.info("worker %s recycled after %d runs", worker.name, _runs_done)
    worker.loop.add_callback(worker.close_gracefully, restart=True, reason="lstm-lens-recycle")


def job_task(url: str, files_root: str | None, name: str, args: tuple, kwargs: dict) -> tuple[bool, Any]:
    """Quick job ``name`` of ``model.runs.jobs``: (True, result) or (False, message); never raises."""
    from model.runs.jobs import run_job

    global _jobs_running
    context = _context(url, files_root)
    with _jobs_idle:
        _jobs_running += 1
    try:
        return run_job(context, name, tuple(args), dict(kwargs))
    finally:
        with _jobs_idle:
            _jobs_running -= 1
            _jobs_idle.notify_all()


def dask_teardown(worker) -> None:
    """Dask preload hook at worker close: end the process soon after. A worker with TensorFlow
    loaded lingers for seconds after Dask has closed it (its nanny then kills it after 8 s), which
    made every pool shutdown wait; nothing of ours is left to save once Dask has closed."""

    def end() -> None:
        time.sleep(1.0)
        os._exit(0)

    threading.Thread(target=end, name="lstm-lens-exit", daemon=True).start()
