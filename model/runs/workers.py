"""The worker pool: stored runs and quick jobs on a Dask cluster, embedded or at an address.

``WorkerPool`` is what the server, the CLI, the sweep and the benchmarks use: ``submit(run_id)``
trains a stored run on a worker, ``call(name, ...)`` answers a quick job (``model.runs.jobs``: a
shape trace, the leak demo, the Inside views) so the Streamlit server never imports TensorFlow,
``wait`` blocks until a run has ended. Its ``client`` is the ``distributed.Client`` underneath,
for work that is a graph of tasks (a walk-forward run's folds).

- **Embedded** (no address, ``LENS_DASK`` unset): a scheduler and ``workers`` worker processes on
  this machine (``model.runs.cluster``), each with TensorFlow imported before it registers, its
  threads limited, a lower CPU priority, and a nanny that restarts it when it dies.
- **At an address** (``LENS_DASK=tcp://host:8786``, ``--dask`` on the command lines): submit to
  that scheduler and start nothing; its workers are ``dask worker ADDRESS --resources train=1
  --nthreads 2 --preload model.runs.worker`` on any machine (docs/cluster.md).

A training task needs the worker resource ``train=1``: a worker trains one run at a time, and its
second thread answers quick jobs, so a job never waits behind a training run even while every
worker trains. Runs start in submission order. A worker recycles itself after ``max_runs`` runs
(its nanny starts a fresh process: memory stays flat). A run whose worker died (killed, out of
memory) is failed with a message, not retried: the next try would most likely die the same way,
and the user sees why at once rather than after a second wait (docs/cluster.md).
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import threading
import time
import uuid
from pathlib import Path
from typing import Any

from model.errors import LensError, StoreError
from model.runs.store import RunRecord, RunStore, UnavailableStore, open_store, resolve_url
from model.runs.worker import TRAIN_RESOURCE, died_message, job_task, train_task

log = logging.getLogger(__name__)

DEFAULT_MAX_RUNS = 20
DEFAULT_JOB_TIMEOUT = 60.0
# The scheduler address to submit to (else an embedded cluster is started).
ENV_DASK = "LENS_DASK"
CONNECT_TIMEOUT = 30.0


class JobError(LensError):
    """A quick job (``WorkerPool.call``) failed, timed out, or lost its worker; the message says which."""


def dask_address(address: str | None = None) -> str | None:
    """The scheduler to use: ``address``, else ``$LENS_DASK``, else None (an embedded cluster)."""
    return (address or os.environ.get(ENV_DASK) or "").strip() or None


class WorkerPool:
    """Stored runs and quick jobs on a Dask cluster, trained from one run store.

    ``workers`` (embedded only) defaults to one per core, ``threads`` (TensorFlow's intra-op
    threads per worker) to all cores: the usual case is ONE run training while the other workers
    wait, and the native LSTM kernel splits each batch over the intra-op threads, so one run is
    faster with every core. ``job_workers`` of them (default none) get no ``train`` resource and
    answer jobs only. ``nice``: the embedded workers' CPU niceness. ``address``: a scheduler to
    submit to instead (default ``$LENS_DASK``). Use as a
    context manager or call ``close()``; an owner that exits without closing still shuts the
    pool down (atexit).
    """

    def __init__(
        self,
        url: str | None = None,
        *,
        files_root: str | Path | None = None,
        workers: int | None = None,
        max_runs: int = DEFAULT_MAX_RUNS,
        threads: int | None = None,
        job_workers: int | None = None,
        address: str | None = None,
        nice: int = 0,
    ):
        from distributed import Client

        cores = os.cpu_count() or 1
        self.size = max(1, workers or cores)
        self.job_workers = min(self.size - 1, max(0, job_workers or 0))
        self.threads = max(1, threads or cores)
        self.max_runs = max(1, max_runs)
        self.store: RunStore | UnavailableStore
        try:
            self.store = open_store(url, files_root=files_root)
        except StoreError as exc:
            # A run store that cannot be opened is said on the pages that need it; the quick jobs
            # that need none (the Shapes trace of a fresh network) still run on the workers.
            log.warning("The worker pool starts without its run store: %s", exc)
            self.store = UnavailableStore(exc)
            self.url, self.files_root = resolve_url(url), None
        else:
            # Absolute, so workers find the same database and files whatever their working directory.
            self.url = self.store.engine.url.render_as_string(hide_password=False)
            if self.store.engine.dialect.name == "sqlite" and self.store.engine.url.database:
                self.url = f"sqlite:///{Path(self.store.engine.url.database).resolve()}"
            self.files_root = str(self.store.files_root.resolve())
        self.address = dask_address(address)
        self.cluster = None
        if self.address is None:
            from model.runs.cluster import EmbeddedCluster

            self.cluster = EmbeddedCluster(
                self.size, threads=self.threads, train_workers=self.size - self.job_workers, nice=nice
            )
            self.address = self.cluster.address
        try:
            self.client = Client(self.address, timeout=CONNECT_TIMEOUT, set_as_default=False)
        except (OSError, TimeoutError) as exc:
            if self.cluster is not None:
                self.cluster.close()
            raise StoreError(f"Cannot reach the Dask scheduler at {self.address} ({exc}).") from exc
        self._lock = threading.Condition()
        # Runs wait here, in submission order, until a training slot is free: a task handed to
        # Dask is assigned to a worker at once, and all tasks assigned to a worker that dies fail
        # with it, so a run that had not started yet would be lost with the one that was training.
        self._queue: collections.deque[int] = collections.deque()
        self._runs: dict[int, Any] = {}  # run id -> its training future, while it trains
        self._jobs: set[Any] = set()  # posted jobs' futures, held until they end
        self._slots_seen = (0.0, 0)
        self._closing = False
        self._thread = threading.Thread(target=self._dispatch_loop, name="lstm-lens-run-queue", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- public -----------------------------------------------------------------------------------

    def submit(self, run_id: int) -> None:
        """Queue a stored run (status queued) for training; runs start in submission order."""
        run_id = int(run_id)
        record = self.store.get_run(run_id, with_history=False)
        if record.status != "queued":
            raise StoreError(
                f"Run {run_id} is {record.status}, not queued; only a queued run can be trained."
            )
        with self._lock:
            if self._closing:
                raise StoreError("The worker pool has shut down.")
            self._queue.append(run_id)
            self._lock.notify_all()

    def call(self, name: str, *args: Any, timeout: float | None = DEFAULT_JOB_TIMEOUT, **kwargs: Any) -> Any:
        """Run the registered job ``name`` (``model.runs.jobs.JOBS``) on a warm worker; return its result.

        A job needs no resource, so it runs on a worker's free thread even while every worker
        trains. Raises ``JobError`` (with the job's own message for a LensError it raised) on
        failure, timeout or a worker that died meanwhile."""
        future = self._submit_job(name, args, kwargs)
        try:
            ok, value = future.result(timeout=timeout)
        except TimeoutError:
            future.cancel()
            raise JobError(f"The worker processes did not answer '{name}' within {timeout:.0f} s.") from None
        except Exception as exc:  # noqa: BLE001 - KilledWorker, a cancelled future, a lost scheduler
            log.warning("The job %s failed on the cluster: %s", name, exc)
            raise JobError(self._describe_failure(f"'{name}'", exc)) from None
        if not ok:
            raise JobError(str(value))
        return value

    def post(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Queue job ``name`` without waiting for it (e.g. ``load_run``: load a run's model into
        a worker before a page asks about it); its result and any failure are dropped."""
        future = self._submit_job(name, args, kwargs)
        with self._lock:
            self._jobs.add(future)
        future.add_done_callback(self._jobs.discard)

    def queue_position(self, run_id: int) -> int | None:
        """How many runs wait ahead of this one (0: it starts next), or None if it is not waiting."""
        with self._lock:
            try:
                return self._queue.index(int(run_id))
            except ValueError:
                return None

    def wait(self, run_id: int, timeout: float | None = None, poll: float = 0.2) -> RunRecord:
        """Block until the run has ended (or ``timeout`` seconds passed); return it as stored."""
        deadline = None if timeout is None else time.monotonic() + timeout
        while True:
            record = self.store.get_run(run_id)
            if not record.active or (deadline is not None and time.monotonic() >= deadline):
                return record
            time.sleep(poll)

    def workers_info(self) -> dict[str, dict[str, Any]]:
        """The scheduler's view of each worker (address -> name, pid, host, resources, ...)."""
        try:
            return dict(self.client.scheduler_info(n_workers=-1).get("workers", {}))
        except Exception:  # noqa: BLE001 - a scheduler that went away has no workers
            log.warning("The Dask scheduler did not answer for its workers", exc_info=True)
            return {}

    def worker_pids(self) -> list[int]:
        """The worker processes' pids (those on this machine are the ones a test can signal)."""
        return [int(w["pid"]) for w in self.workers_info().values() if w.get("pid")]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until every worker (embedded) or one training worker (an address) has registered,
        which a worker does once it has imported TensorFlow (for benchmarks and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.workers_info()
            if self.cluster is not None and len(info) >= self.size:
                return True
            if self.cluster is None and info:
                return True
            time.sleep(0.1)
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Stop (a run still training on the embedded cluster after ``timeout`` seconds is ended
        and marked interrupted, as are runs still waiting) and release everything. On a
        scheduler at an address a run already training goes on there. Safe to call twice."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            runs = dict(self._runs)
            waiting, self._queue = list(self._queue), collections.deque()
            self._lock.notify_all()
        atexit.unregister(self.close)
        self._thread.join(timeout=5)
        deadline = time.monotonic() + timeout
        for run_id in waiting:
            self._end(run_id, "interrupted", "The worker pool shut down before this run started.")
        if self.cluster is not None:  # a run training gets ``timeout`` seconds to end on its own
            while any(not f.done() for f in runs.values()) and time.monotonic() < deadline:
                time.sleep(0.1)
        try:
            self.client.close(timeout=5)
        except Exception:  # noqa: BLE001 - a scheduler that is already gone
            pass
        if self.cluster is not None:
            self.cluster.close()
            for run_id in runs:
                self._end(run_id, "interrupted", "The worker pool shut down while this run was training.")
        self.store.close()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------

    def _train_slots(self) -> int:
        """How many runs may train at once: the workers offering ``train`` (0: any worker trains,
        one run per worker; a scheduler's workers started without ``--resources train=1``)."""
        if self.cluster is not None:
            return self.size - self.job_workers
        seen, slots = self._slots_seen
        if time.monotonic() - seen > 2.0:
            info = self.workers_info().values()
            slots = sum(int((w.get("resources") or {}).get(TRAIN_RESOURCE, 0)) for w in info)
            slots = slots if slots > 0 else -len(info)
            self._slots_seen = (time.monotonic(), slots)
        return slots

    def _dispatch_loop(self) -> None:
        while True:
            with self._lock:
                while not self._closing and not self._queue:
                    self._lock.wait(1.0)
                if self._closing:
                    return
            slots = self._train_slots()  # outside the lock: may ask the scheduler
            with self._lock:
                if self._closing:
                    return
                if not self._queue or len(self._runs) >= max(1, abs(slots)):
                    self._lock.wait(0.5)
                    continue
                run_id = self._queue.popleft()
                try:
                    future = self.client.submit(
                        train_task, run_id, self.url, self.files_root, self.max_runs,
                        key=f"train-run-{run_id}-{uuid.uuid4().hex[:8]}", pure=False,
                        resources={TRAIN_RESOURCE: 1} if slots > 0 else None,
                    )  # fmt: skip
                except Exception as exc:  # noqa: BLE001 - the scheduler has gone
                    log.exception("Run %s could not be sent to the Dask scheduler", run_id)
                    self._end(run_id, "failed", f"The run could not be sent to the Dask scheduler: {exc}")
                    continue
                self._runs[run_id] = future
            future.add_done_callback(lambda f, run_id=run_id: self._run_ended(run_id, f))

    def _submit_job(self, name: str, args: tuple, kwargs: dict):
        with self._lock:
            if self._closing:
                raise JobError("The worker pool has shut down.")
        try:
            return self.client.submit(
                job_task, self.url, self.files_root, name, tuple(args), dict(kwargs),
                key=f"job-{name}-{uuid.uuid4().hex}", pure=False,
            )  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - arguments that cannot be pickled, a closed client
            log.exception("The job %s cannot be sent to a worker", name)
            raise JobError(f"The job '{name}' cannot be sent to a worker: {exc}") from None

    @staticmethod
    def _describe_failure(what: str, exc: BaseException) -> str:
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker):
            return f"The worker process running {what} died (killed, or out of memory)."
        return f"{what} did not complete: {type(exc).__name__}: {exc}"

    def _run_ended(self, run_id: int, future) -> None:
        """A training task ended: if it did not end the run itself (its worker died, the task was
        cancelled or raised), fail the run here with a message."""
        try:
            if future.status == "finished":
                return
            exc = future.exception(timeout=5) if future.status == "error" else None
        except Exception as error:  # noqa: BLE001
            exc = error
        finally:
            with self._lock:
                if self._runs.get(run_id) is future:
                    del self._runs[run_id]
                self._lock.notify_all()
        try:
            record = self.store.get_run(run_id, with_history=False)
        except StoreError:
            return
        if not record.active:
            return
        if self._closing and exc is None:
            return  # close() marks it interrupted
        from distributed.scheduler import KilledWorker

        if isinstance(exc, KilledWorker) or exc is None:
            message = died_message(record) if record.status == "running" else (
                "The worker pool lost this run before it started.")  # fmt: skip
        else:
            message = f"Training failed on the worker: {type(exc).__name__}: {exc}"
        self._end(run_id, "failed", message)

    def _end(self, run_id: int, status: str, message: str) -> None:
        try:
            self.store.finish(run_id, status, error=message)
        except StoreError:
            pass  # deleted meanwhile, or the database is gone: mark_interrupted catches it later


def train_in_worker(
    run_id: int, url: str | None = None, *, files_root: str | Path | None = None, timeout: float | None = None
) -> RunRecord:
    """Train one stored run in a fresh worker process and block until it ends (scripts, tests)."""
    with WorkerPool(resolve_url(url), files_root=files_root, workers=1, max_runs=1) as pool:
        pool.submit(run_id)
        return pool.wait(run_id, timeout=timeout)
