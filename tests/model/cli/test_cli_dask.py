"""``python -m model.train --dask ADDRESS``: a real ``dask scheduler`` and one ``dask worker``
started here as an operator would; the CLI submits to them, starts no worker of its own, prints
the epochs it reads from the store, and the run's provenance names that worker."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys

import pytest

from model.runs.processes import PROJECT_ROOT, thread_env
from model.runs.store import open_store
from model.train import main
from tests.model.factories import TINY_IBM_ARGS
from tests.model.runs.helpers import wait_for

pytestmark = [pytest.mark.process, pytest.mark.slow]


@pytest.fixture
def scheduler(tmp_path):
    """The address of a scheduler with one worker named ``far-worker`` (train=1), both started here."""
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), **thread_env(1)}
    env.pop("LENS_DASK", None)
    scheduler_file = tmp_path / "scheduler.json"
    procs = [
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
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=open(tmp_path / "scheduler.log", "wb"),
        )  # fmt: skip
    ]
    try:
        address = wait_for(
            lambda: scheduler_file.exists() and json.loads(scheduler_file.read_text() or "{}").get("address"),
            timeout=60,
        )
        procs.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "distributed.cli.dask_worker",
                    address,
                    "--name",
                    "far-worker",
                    "--nthreads",
                    "2",
                    "--resources",
                    "train=1",
                    "--no-dashboard",
                    "--local-directory",
                    str(tmp_path / "dask"),
                    "--preload",
                    "model.runs.worker",
                ],
                env=env,
                cwd=tmp_path,
                stdout=subprocess.DEVNULL,
                stderr=open(tmp_path / "worker.log", "wb"),
            )  # fmt: skip
        )
        from distributed import Client

        with Client(address, timeout=30, set_as_default=False) as client:
            client.wait_for_workers(1, timeout=300)
        yield address
    finally:
        for proc in reversed(procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(5)


def test_cli_run_with_dask_trains_on_the_schedulers_worker(tmp_path, capsys, scheduler, monkeypatch):
    monkeypatch.delenv("LENS_DASK", raising=False)
    db = f"sqlite:///{tmp_path / 'lens.db'}"
    code = main([*TINY_IBM_ARGS, "--epochs", "2", "--dask", scheduler, "--db", db])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "Trained on worker far-worker" in captured.out
    assert re.search(r"^epoch 2/2 ", captured.err, re.M), captured.err  # progress read from the store
    run_id = int(re.search(r"Stored as run (\d+)", captured.out).group(1))
    record = open_store(db, files_root=tmp_path).get_run(run_id)
    assert record.status == "finished"
    assert record.provenance["worker"]["name"] == "far-worker"


def test_cli_folds_with_lens_dask_train_on_the_schedulers_worker(tmp_path, capsys, scheduler, monkeypatch):
    monkeypatch.setenv("LENS_DASK", scheduler)  # the variable, not the flag: the same path
    db = f"sqlite:///{tmp_path / 'lens.db'}"
    code = main([*TINY_IBM_ARGS, "--epochs", "1", "--folds", "2", "--db", db])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    from model.runs import evidence_store as es

    store = open_store(db, files_root=tmp_path)
    parent = int(re.search(r"Stored as run (\d+)", captured.out).group(1))
    rows = es.folds_of(store, parent)
    assert len(rows) == 2 and all(r.status == "finished" for r in rows)
    names = {store.get_run(r.child_run_id).provenance["worker"]["name"] for r in rows}
    assert names == {"far-worker"}
