"""The embedded Dask cluster: a ``dask scheduler`` and a ``dask worker`` command as subprocesses.

Started by ``model.runs.workers.WorkerPool`` when no scheduler address is given (``LENS_DASK``
unset). Both are ``python -m distributed.cli...`` subprocesses started by ``model.runs.processes``
(never multiprocessing's spawn, which would re-run a Streamlit page): the scheduler listens on
loopback on a free port and writes its address to a scheduler file; the worker command starts
``workers`` nannies, each of which runs one worker process (restarted by its nanny if it dies)
with ``--preload model.runs.worker`` (thread limits, TensorFlow, a lower CPU priority). Both
watch the owner's pid (``model.runs.owner_watch``), so a killed server leaves nothing behind.

The scheduler is told ``allowed-failures: 0``: a task whose worker died fails at once with
``KilledWorker`` instead of being run again elsewhere (the pool fails the run with a message).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from model.errors import StoreError
from model.runs.owner_watch import ENV_OWNER
from model.runs.processes import start_module
from model.runs.worker import ENV_NICE, TRAIN_RESOURCE

# Niceness of the server's embedded workers (components.run_client): the server draws its first
# page while they import TensorFlow. Scripts and tests keep 0 (on a busy machine, nice 10 starves them).
SERVER_WORKER_NICE = 10
START_TIMEOUT = 60.0


class EmbeddedCluster:
    """A scheduler and ``workers`` nanny-managed worker processes on this machine."""

    def __init__(
        self,
        workers: int,
        *,
        threads: int,
        train_workers: int | None = None,
        nthreads: int = 2,
        nice: int = 0,
    ):
        self.folder = tempfile.TemporaryDirectory(prefix="lstm-lens-dask-")
        root = Path(self.folder.name)
        scheduler_file = root / "scheduler.json"
        env = {
            ENV_OWNER: str(os.getpid()),
            "DASK_DISTRIBUTED__SCHEDULER__ALLOWED_FAILURES": "0",
            "DASK_LOGGING__DISTRIBUTED": os.environ.get("DASK_LOGGING__DISTRIBUTED", "warning"),
        }
        self.scheduler = start_module(
            "distributed.cli.dask_scheduler",
            ["--host", "127.0.0.1", "--port", "0", "--no-dashboard", "--scheduler-file", str(scheduler_file),
             "--preload", "model.runs.owner_watch"],
            env=env,
        )  # fmt: skip
        self.address = self._read_address(scheduler_file)
        train_workers = workers if train_workers is None else train_workers
        self.workers: list[subprocess.Popen] = []
        # Two commands at most: the workers that train (resource train=1) and those kept for jobs.
        for count, resources, name in ((train_workers, f"{TRAIN_RESOURCE}=1", "lens"),
                                       (workers - train_workers, "", "lens-jobs")):  # fmt: skip
            if count <= 0:
                continue
            args = [self.address, "--nworkers", str(count), "--nthreads", str(nthreads), "--name", name,
                    "--no-dashboard", "--local-directory", str(root / name),
                    "--preload", "model.runs.worker", "--preload-nanny", "model.runs.owner_watch"]  # fmt: skip
            if resources:
                args += ["--resources", resources]
            self.workers.append(
                start_module(
                    "distributed.cli.dask_worker", args, threads=threads, env={**env, ENV_NICE: str(nice)}
                )
            )

    def _read_address(self, scheduler_file: Path) -> str:
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.scheduler.poll() is not None:
                raise StoreError(f"The Dask scheduler did not start (exit code {self.scheduler.returncode}).")
            try:
                return json.loads(scheduler_file.read_text())["address"]
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        self.close()
        raise StoreError(f"The Dask scheduler did not start within {START_TIMEOUT:.0f} s.")

    def close(self, timeout: float = 10.0) -> None:
        """SIGTERM the worker commands (their nannies end the workers), then the scheduler: in
        that order, so no worker is left calling a scheduler that has gone."""
        deadline = time.monotonic() + timeout
        for group in (self.workers, [self.scheduler]):
            for popen in group:
                if popen.poll() is None:
                    popen.send_signal(signal.SIGTERM)
            for popen in group:
                try:
                    popen.wait(max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    popen.kill()
                    popen.wait(5)
        self.folder.cleanup()
