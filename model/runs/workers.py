"""A small pool of worker processes that train stored runs, owned by a long-lived process.

Each worker is a spawned process that imports TensorFlow once when it starts (so the first
Train press does not pay for it), trains one run at a time with ``execute_run``, clears Keras'
state between runs and exits after ``max_runs`` runs so its memory stays bounded; the pool
starts a fresh one. Runs wait in submission order. A worker that dies mid-run (killed, out of
memory) leaves its run ``failed`` with a message, and is replaced: the owner stays up.

Besides runs, workers answer quick jobs (``call``: a shape trace, the leak demo, the Inside
views; registered in ``model.runs.jobs``), so the Streamlit server never imports TensorFlow.
A job goes to a worker that is not training, before any queued run. With two or more workers one
is kept out of training (``job_workers``): on two cores one run with every thread trains about as
fast as two sharing them, so reserving a worker costs little training throughput, while a job
that had to wait for a run would wait minutes. A pool of one worker trains and answers in turn.

Workers are ``python -m model.runs.worker`` subprocesses talking over a socket pair, started,
thread-limited and replaced by the rules of ``model.runs.processes`` (shared with the sweep).
"""

from __future__ import annotations

import atexit
import collections
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, Pipe, wait
from pathlib import Path
from typing import Any

from model.errors import LensError, StoreError
from model.runs.processes import ChildProcess, Replacements, start_module
from model.runs.store import RunRecord, open_store, resolve_url

log = logging.getLogger(__name__)

DEFAULT_MAX_RUNS = 20
MAX_FAILED_STARTS = 3
DEFAULT_JOB_TIMEOUT = 60.0


class JobError(LensError):
    """A quick job (``WorkerPool.call``) failed, timed out, or lost its worker; the message says which."""


@dataclass(eq=False)
class _Job:
    id: int
    name: str
    args: tuple
    kwargs: dict
    done: threading.Event = field(default_factory=threading.Event)
    ok: bool = False
    value: Any = None


@dataclass(eq=False)
class _Worker:
    process: ChildProcess
    conn: Connection
    ready: bool = False
    run_id: int | None = None
    job: _Job | None = None
    retiring: bool = False
    alive: bool = True
    runs: int = 0


class WorkerPool:
    """Worker processes training queued runs from one run store.

    ``workers`` defaults to one per core, ``threads`` (TensorFlow's intra-op threads per worker)
    to all cores: the usual case is ONE run training while the other workers wait, and the
    native LSTM kernel splits each batch over the intra-op threads, so one run is faster with
    every core; two runs at once then share the cores, a small loss in the rarer case (the
    README's Speed section has the figures). Use as a context manager or call ``close()``; an
    owner that exits without closing still shuts the pool down (atexit).
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
    ):
        cores = os.cpu_count() or 1
        self.size = max(1, workers or cores)
        # Workers kept free of training for quick jobs (``call``): one when there are two or more.
        self.job_workers = min(self.size - 1, 1 if job_workers is None else max(0, job_workers))
        self.threads = max(1, threads or cores)
        self.max_runs = max(1, max_runs)
        self.store = open_store(url, files_root=files_root)
        # Absolute, so workers find the same database and files whatever their working directory.
        self.url = self.store.engine.url.render_as_string(hide_password=False)
        if self.store.engine.dialect.name == "sqlite" and self.store.engine.url.database:
            self.url = f"sqlite:///{Path(self.store.engine.url.database).resolve()}"
        self.files_root = str(self.store.files_root.resolve())
        self._lock = threading.Lock()
        self._queue: collections.deque[int] = collections.deque()
        self._jobs: collections.deque[_Job] = collections.deque()
        self._job_ids = 0
        self._workers: list[_Worker] = []
        self._closing = False
        # Workers that died and were replaced (recycling is not counted), and those that died
        # before they were ready, in a row: a broken environment, not bad luck.
        self._replacements = Replacements(max_failed_starts=MAX_FAILED_STARTS)
        self.broken: str | None = None
        self._wake_r, self._wake_w = Pipe(duplex=False)
        with self._lock:
            for _ in range(self.size):
                self._spawn()
        self._thread = threading.Thread(target=self._loop, name="lstm-lens-worker-pool", daemon=True)
        self._thread.start()
        atexit.register(self.close)

    # -- public -----------------------------------------------------------------------------------

    def submit(self, run_id: int) -> None:
        """Queue a stored run (status queued) for training; runs start in submission order."""
        record = self.store.get_run(run_id, with_history=False)
        if record.status != "queued":
            raise StoreError(
                f"Run {run_id} is {record.status}, not queued; only a queued run can be trained."
            )
        with self._lock:
            if self._closing:
                raise StoreError("The worker pool has shut down.")
            if self.broken:
                raise StoreError(self.broken)
            self._queue.append(int(run_id))
            self._wake()

    def call(self, name: str, *args: Any, timeout: float | None = DEFAULT_JOB_TIMEOUT, **kwargs: Any) -> Any:
        """Run the registered job ``name`` (``model.runs.jobs.JOBS``) in a warm worker; return its result.

        Jobs go before queued runs, to any worker not training; with two or more workers one is
        kept out of training (``job_workers``), so a job never waits for a run to finish. Raises
        ``JobError`` (with the job's own message for a LensError it raised) on failure, timeout
        or a worker that died meanwhile."""
        job = self._queue_job(name, args, kwargs)
        if not job.done.wait(timeout):
            with self._lock:
                if job in self._jobs:
                    self._jobs.remove(job)
            if not job.done.is_set():
                raise JobError(f"The worker processes did not answer '{name}' within {timeout:.0f} s.")
        if not job.ok:
            raise JobError(str(job.value))
        return job.value

    def post(self, name: str, *args: Any, **kwargs: Any) -> None:
        """Queue job ``name`` without waiting for it (e.g. ``load_run``: load a run's model into
        a worker before a page asks about it); its result and any failure are dropped."""
        self._queue_job(name, args, kwargs)

    def _queue_job(self, name: str, args: tuple, kwargs: dict) -> _Job:
        with self._lock:
            if self._closing:
                raise JobError("The worker pool has shut down.")
            if self.broken:
                raise JobError(self.broken)
            self._job_ids += 1
            job = _Job(self._job_ids, name, tuple(args), dict(kwargs))
            self._jobs.append(job)
            self._wake()
        return job

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

    @property
    def replaced(self) -> int:
        """Workers that died and were replaced (recycling is not counted)."""
        return self._replacements.total

    def worker_pids(self) -> list[int]:
        with self._lock:
            return [w.process.pid for w in self._workers if w.alive and w.process.pid]

    def wait_ready(self, timeout: float = 60.0) -> bool:
        """Block until every worker has imported TensorFlow (for benchmarks and tests)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and not self.broken:
            with self._lock:
                if len(self._workers) == self.size and all(w.ready for w in self._workers):
                    return True
            time.sleep(0.05)
        return False

    def close(self, timeout: float = 5.0) -> None:
        """Stop the workers (a run still training after ``timeout`` seconds is ended and marked
        interrupted, as are runs still waiting) and release everything. Safe to call twice."""
        with self._lock:
            if self._closing:
                return
            self._closing = True
            self._wake()
            waiting, self._queue = list(self._queue), collections.deque()
            jobs, self._jobs = list(self._jobs), collections.deque()
        for job in jobs:
            self._finish_job(job, False, "The worker pool shut down before this job started.")
        atexit.unregister(self.close)
        self._thread.join(timeout=5)
        deadline = time.monotonic() + timeout
        for w in self._workers:
            try:
                w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in self._workers:
            w.process.join(timeout=max(0.0, deadline - time.monotonic()))
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            self._drain(w)
            if w.run_id is not None:
                self._end(w.run_id, "interrupted", "The worker pool shut down while this run was training.")
            if w.job is not None:
                self._finish_job(w.job, False, "The worker pool shut down during this job.")
        for run_id in waiting:
            self._end(run_id, "interrupted", "The worker pool shut down before this run started.")
        for w in self._workers:
            w.conn.close()
            w.process.release()
        self._workers = []
        self._wake_r.close()
        self._wake_w.close()
        self.store.close()

    def __enter__(self) -> "WorkerPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- internals --------------------------------------------------------------------------------

    def _wake(self) -> None:
        try:
            self._wake_w.send(None)
        except (OSError, ValueError):
            pass

    def _spawn(self) -> None:
        parent, child = socket.socketpair()
        args = [str(a) for a in (child.fileno(), self.url, self.files_root, self.threads, self.max_runs)]
        with child:
            popen = start_module("model.runs.worker", args, threads=self.threads, pass_fds=(child.fileno(),))
        self._workers.append(_Worker(process=ChildProcess(popen), conn=Connection(parent.detach())))

    def _end(self, run_id: int, status: str, message: str) -> None:
        try:
            self.store.finish(run_id, status, error=message)
        except StoreError:
            pass  # deleted meanwhile, or the database is gone: mark_interrupted catches it later

    @staticmethod
    def _idle(w: _Worker) -> bool:
        return w.alive and w.ready and w.run_id is None and w.job is None and not w.retiring

    def _dispatch(self) -> None:
        for w in self._workers:
            if not self._jobs:
                break
            if self._idle(w):
                job = self._jobs.popleft()
                try:
                    w.conn.send(("job", job.id, job.name, job.args, job.kwargs))
                except (OSError, ValueError):
                    self._jobs.appendleft(job)  # the worker died; the next loop reaps it
                    continue
                except Exception as exc:  # noqa: BLE001 - arguments that cannot be pickled
                    log.exception("A job's arguments cannot be sent to a worker")
                    self._finish_job(job, False, f"The job's arguments cannot be sent: {exc}")
                    continue
                w.job = job
        training = sum(1 for w in self._workers if w.alive and w.run_id is not None)
        for w in self._workers:
            if not self._queue or training >= self.size - self.job_workers:
                return
            if self._idle(w):
                run_id = self._queue.popleft()
                try:
                    w.conn.send(run_id)
                except (OSError, ValueError):
                    self._queue.appendleft(run_id)  # the worker died; the next loop reaps it
                    continue
                w.run_id = run_id
                training += 1

    @staticmethod
    def _finish_job(job: _Job, ok: bool, value: Any) -> None:
        job.ok, job.value = ok, value
        job.done.set()

    def _drain(self, w: _Worker) -> None:
        """Read every message a worker sent (also after it died: its pipe keeps them)."""
        try:
            while w.conn.poll():
                message = w.conn.recv()
                if message[0] == "ready":
                    w.ready = True
                    self._replacements.started_ok()
                elif message[0] == "done":
                    w.run_id, w.retiring = None, bool(message[2])
                    w.runs += 1
                elif message[0] == "result":
                    job, w.job = w.job, None
                    if job is not None and job.id == message[1]:
                        self._finish_job(job, bool(message[2]), message[3])
        except (EOFError, OSError):
            pass

    def _reap(self, w: _Worker) -> None:
        """A worker process ended: fail the run it held, start a replacement."""
        if not w.alive:
            return
        w.alive = False
        self._drain(w)
        w.process.join(timeout=1)
        self._workers.remove(w)
        w.conn.close()
        w.process.release()
        if w.run_id is not None:
            how = w.process.describe_exit()
            self._end(w.run_id, "failed", f"The worker process (pid {w.process.pid}) {how} during training.")
        if w.job is not None:
            how = w.process.describe_exit()
            self._finish_job(
                w.job, False, f"The worker process (pid {w.process.pid}) {how} during '{w.job.name}'."
            )
        if not w.retiring:
            self._replacements.allow()
        if not w.ready and self._replacements.failed_start():
            self.broken = (
                f"Worker processes could not start ({MAX_FAILED_STARTS} in a row ended before TensorFlow was "
                f"ready; the last exit code was {w.process.exitcode}). Training is unavailable until restart."
            )
            waiting, self._queue = list(self._queue), collections.deque()
            for run_id in waiting:
                self._end(run_id, "failed", self.broken)
            jobs, self._jobs = list(self._jobs), collections.deque()
            for job in jobs:
                self._finish_job(job, False, self.broken)
            return
        if not self._closing:
            self._spawn()

    def _loop(self) -> None:
        while True:
            with self._lock:
                if self._closing:
                    return
                self._dispatch()
                watched: dict[Any, _Worker] = {}  # connections and process sentinels (file descriptors)
                for w in self._workers:
                    watched[w.conn] = w
                    if w.process.sentinel is not None:
                        watched[w.process.sentinel] = w
            try:
                ready = wait([*watched, self._wake_r], timeout=1.0)
            except OSError:
                continue
            with self._lock:
                if self._closing:
                    return
                if self._wake_r in ready:
                    try:
                        while self._wake_r.poll():
                            self._wake_r.recv()
                    except (EOFError, OSError):
                        pass
                for obj in ready:
                    w = watched.get(obj)
                    if w is None or not w.alive:
                        continue
                    if obj is w.conn:
                        self._drain(w)
                    if not w.process.is_alive():
                        self._reap(w)


def train_in_worker(
    run_id: int, url: str | None = None, *, files_root: str | Path | None = None, timeout: float | None = None
) -> RunRecord:
    """Train one stored run in a fresh worker process and block until it ends (scripts, tests)."""
    with WorkerPool(resolve_url(url), files_root=files_root, workers=1, max_runs=1) as pool:
        pool.submit(run_id)
        return pool.wait(run_id, timeout=timeout)
