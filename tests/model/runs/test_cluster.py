"""Two "machines" on loopback: a real ``dask scheduler`` and two ``dask worker`` processes, each in
its own mount namespace with an empty tmpfs over the client's files root (so nothing the workers
write reaches the client's disk) and its own working directory. Runs trained there open, reload,
download and explain on the client through the store alone; a worker SIGKILLed mid-run leaves its
run failed with a message; the store is SQLite (a database file outside the hidden folder) or a
real PostgreSQL."""

from __future__ import annotations

import io
import json
import os
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from model.engine.evaluation import evaluate
from model.runs import blobs, run_files
from model.runs.processes import PROJECT_ROOT, thread_env
from model.runs.workers import WorkerPool
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY, wait_for
from tests.pg import BACKENDS

pytestmark = [pytest.mark.process, pytest.mark.slow]

LONG = TINY.replace(epochs=500, batch_size=8)


def _can_hide_folders() -> bool:
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        return False
    probe = subprocess.run(["unshare", "-m", "true"], capture_output=True)
    return probe.returncode == 0


requires_namespaces = pytest.mark.skipif(
    not _can_hide_folders(), reason="needs root and unshare -m to hide the client's files"
)


class Machines:
    """A scheduler and two workers started by hand, as an operator would on two machines."""

    def __init__(self, root: Path, hidden: Path):
        self.root = root
        env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **thread_env(1)}
        env.pop("LENS_DASK", None)
        scheduler_file = root / "scheduler.json"
        self.procs = [
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_scheduler",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    "0",
                    "--no-dashboard",
                    "--scheduler-file",
                    str(scheduler_file),
                ],
                env=env,
                cwd=root,
                stdout=subprocess.DEVNULL,
                stderr=open(root / "scheduler.log", "wb"),
            )  # fmt: skip
        ]
        self.address = wait_for(
            lambda: scheduler_file.exists() and json.loads(scheduler_file.read_text() or "{}").get("address"),
            timeout=60,
        )
        for name in ("machine-a", "machine-b"):
            home = root / name
            home.mkdir()
            worker = (
                f"mount -t tmpfs lens-{name} {hidden} && exec {sys.executable} -m distributed.cli.dask_worker "
                f"{self.address} --name {name} --nthreads 2 --resources train=1 --no-dashboard "
                f"--local-directory {home / 'dask'} --preload model.runs.worker"
            )
            self.procs.append(
                subprocess.Popen(
                    ["unshare", "-m", "--propagation", "private", "sh", "-c", worker],
                    env=env,
                    cwd=home,
                    stdout=subprocess.DEVNULL,
                    stderr=open(home / "worker.log", "wb"),
                )  # fmt: skip
            )

    def close(self) -> None:
        for proc in reversed(self.procs):  # workers first, then the scheduler
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


@pytest.fixture(params=BACKENDS)
def two_machines(request, tmp_path):
    client_files = tmp_path / "client-files"  # hidden from the workers by their tmpfs
    client_files.mkdir()
    if request.param == "sqlite":
        (tmp_path / "db").mkdir()
        url = f"sqlite:///{tmp_path / 'db' / 'lens.db'}"  # a "database server" both sides reach
    else:
        url = request.getfixturevalue("postgres_url")
    machines = Machines(tmp_path, client_files)
    pool = WorkerPool(url, files_root=client_files, address=machines.address)
    try:
        wait_for(lambda: len(pool.workers_info()) == 2, timeout=300, poll=0.5)
        yield pool, machines, client_files
    finally:
        pool.close()
        machines.close()


@requires_namespaces
def test_runs_trained_on_two_other_machines_open_download_and_explain_here(two_machines):
    pool, machines, client_files = two_machines
    assert pool.cluster is None and pool.address == machines.address  # nothing started here
    store = pool.store
    runs = [store.create_run(TINY.replace(seed=s), sine_frame(), "ui", owner="me") for s in (1, 2)]
    for run_id in runs:
        pool.submit(run_id)
    records = [pool.wait(run_id, timeout=300) for run_id in runs]
    assert [r.status for r in records] == ["finished", "finished"], [r.error for r in records]
    workers = {r.provenance["worker"]["name"] for r in records}
    print("trained on", workers)
    assert workers <= {"machine-a", "machine-b"}
    assert all(r.provenance["worker"]["address"].startswith("tcp://127.0.0.1:") for r in records)
    # The workers wrote into their own tmpfs; what this side holds it downloaded from the store
    # (only model.runs.blobs.download_run writes the mark) when the ended run was first read.
    assert all((client_files / str(run_id) / blobs.COMPLETE_MARK).is_file() for run_id in runs)

    for run_id in runs:
        run, data, stored = run_files.load_trained(store, run_id)  # downloads the files from the store
        assert (client_files / str(run_id) / "model.keras").is_file()
        again = evaluate(run, data)  # the downloaded model predicts as it did on its machine
        np.testing.assert_allclose(again.predictions["predicted"], stored.predictions["predicted"], rtol=1e-6)
        with zipfile.ZipFile(io.BytesIO(run_files.run_archive(store, run_id))) as archive:
            assert {"model.keras", "prices.parquet", "record.json"} <= set(archive.namelist())
        units = pool.call("inside_units", run_id, timeout=180)  # explained on a worker
        assert units["states"].h.shape[1] == TINY.layer_num * TINY.rnn_unit


@requires_namespaces
def test_a_worker_killed_mid_run_fails_the_run_with_a_message(two_machines):
    pool, _, _ = two_machines
    store = pool.store
    run_id = store.create_run(LONG, sine_frame(), "ui", owner="me")
    pool.submit(run_id)
    running = wait_for(
        lambda: (r := store.get_run(run_id, with_history=False)).status == "running" and r, 300
    )
    os.kill(running.worker_pid, signal.SIGKILL)
    record = pool.wait(run_id, timeout=240)
    assert record.status == "failed" and "ended during training" in record.error, record.error
    assert f"pid {running.worker_pid}" in record.error
    # the pool goes on: the next run trains (on the other worker, or the restarted one)
    after = store.create_run(TINY, sine_frame(), "ui", owner="me")
    pool.submit(after)
    assert pool.wait(after, timeout=300).status == "finished"
