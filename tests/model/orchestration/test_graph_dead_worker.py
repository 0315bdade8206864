"""A walk-forward fold whose worker died on another machine: the scheduler retries the fold task
elsewhere, and the retried task finds the fold's run still "running" under a host that is not
its own. It must notice that the worker holding the run is gone (the scheduler no longer knows
its address) and fail the fold, not wait for a restart that may never come."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

from model.data.sample import load_sample
from model.engine.config import LstmConfig
from model.orchestration import graph
from model.orchestration.walkforward import start_walk_forward
from model.runs import evidence_store as es
from model.runs.provenance import record_provenance
from model.runs.store import open_store
from tests.model.runs.helpers import TINY, wait_for

ROOT = Path(__file__).resolve().parents[3]
FAR = {"name": "far", "address": "tcp://10.9.9.9:40123", "host": "far-box", "pid": 4242}


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


def _held_by_far_worker(store):
    """A 2-fold walk-forward run whose first fold's run is running on FAR's worker."""
    parent = start_walk_forward(store, TINY, load_sample("GOOG"), folds=2)
    child = es.folds_of(store, parent)[0].child_run_id
    assert store.start(child, pid=FAR["pid"], host=FAR["host"])
    record_provenance(store, child, {"worker": FAR})
    return parent, child


def test_a_holder_the_scheduler_still_knows_is_alive_one_it_forgot_is_gone(store):
    _, child = _held_by_far_worker(store)
    record = store.get_run(child, with_history=False)
    assert graph.holder_gone(record, lambda: {FAR["address"]}) is None
    assert graph.holder_gone(record, lambda: None) is None  # no scheduler to ask: keep waiting
    assert graph.holder_gone(record, lambda: {"tcp://10.9.9.8:1"}) == FAR


def test_a_retried_fold_task_fails_the_fold_whose_worker_is_gone(store, monkeypatch):
    parent, child = _held_by_far_worker(store)
    monkeypatch.setattr(graph, "live_worker_addresses", lambda: {"tcp://127.0.0.1:5555"})
    url = store.engine.url.render_as_string(hide_password=False)
    outcome = graph.train_fold(url, str(store.files_root), parent, 0, 0)
    assert outcome == {"child": child, "status": "failed"}
    record = store.get_run(child, with_history=False)
    assert record.status == "failed"
    assert "pid 4242 on far-box" in record.error and "not retried" in record.error
    assert es.folds_of(store, parent)[0].status == "failed"


def _dask(tmp_path, *args, env, hostname=None):
    command = [sys.executable, "-m", *args]
    if hostname:  # a worker "on another machine": its own hostname (a UTS namespace)
        command = ["unshare", "-u", "sh", "-c", f'hostname {hostname} && exec "$@"', "sh", *command]
    return subprocess.Popen(
        command, env=env, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=open(tmp_path / "dask.log", "ab")
    )


@pytest.mark.slow
@pytest.mark.process
def test_a_fold_whose_worker_on_another_machine_was_killed_fails_and_the_run_ends(store, tmp_path):
    import distributed

    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1")
    env.pop("LENS_DASK", None)
    file = tmp_path / "scheduler.json"
    worker = ["distributed.cli.dask_worker", "--scheduler-file", str(file), "--nthreads", "1", "--no-nanny"]
    started = [
        _dask(tmp_path, "distributed.cli.dask_scheduler", "--host", "127.0.0.1", "--port", "0",
              "--no-dashboard", "--scheduler-file", str(file), env=env)
    ]  # fmt: skip
    try:
        wait_for(lambda: file.exists() and json.loads(file.read_text() or "{}").get("address"), timeout=60)
        started.append(_dask(tmp_path, *worker, "--name", "far", env=env, hostname="far-box"))
        with distributed.Client(scheduler_file=str(file), timeout=60) as client:
            client.wait_for_workers(1, timeout=120)
            slow = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=400)
            parent = start_walk_forward(store, slow, load_sample("GOOG"), folds=2, mode="refit")
            final = graph.submit_walk_forward(client, store, parent)
            first = es.folds_of(store, parent)[0].child_run_id
            wait_for(lambda: store.get_run(first).history, timeout=300, poll=0.2)  # far trains fold 1
            training = store.get_run(first, with_history=False)
            assert training.worker_host == "far-box"
            started.append(_dask(tmp_path, *worker, "--name", "near", env=env))
            client.wait_for_workers(2, timeout=120)
            os.kill(training.worker_pid, signal.SIGKILL)  # the far machine's worker dies mid-fold
            for row in es.folds_of(store, parent):  # what trains on "near" need not finish
                if row.child_run_id != first:
                    store.request_stop(row.child_run_id)
            final.result(timeout=300)  # before the fix: the retried task waited here for ever
        failed = store.get_run(first, with_history=False)
        assert failed.status == "failed"
        assert f"pid {training.worker_pid} on far-box" in failed.error
        assert es.folds_of(store, parent)[0].status == "failed"
        assert not store.get_run(parent, with_history=False).active  # the walk-forward run ended
    finally:
        for process in reversed(started):
            if process.poll() is None:
                process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.fixture
def client():
    """An in-process Dask cluster (one worker thread): the graph's tasks run in this process."""
    import distributed

    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as connected,
    ):
        yield connected


def test_a_fold_task_killed_with_its_worker_fails_that_fold_and_the_parent_in_plain_words(
    store, client, monkeypatch
):
    """A scheduler that does not retry (allowed-failures 0, the embedded one) errs the fold task
    with KilledWorker: the fold whose worker is gone fails with its worker's words, and so does the
    walk-forward run, not with a Dask traceback's name."""
    from distributed.scheduler import KilledWorker

    parent, child = _held_by_far_worker(store)

    def killed(url, files_root, parent, seed_index, fold, previous=None):
        if fold == 0:
            raise KilledWorker("fold-0", SimpleNamespace(address=FAR["address"]), 0)
        return {"child": None, "status": "failed"}

    monkeypatch.setattr(graph, "train_fold", killed)
    future = graph.submit_walk_forward(client, store, parent)
    wait_for(lambda: not store.get_run(parent, with_history=False).active, timeout=60, poll=0.1)
    assert future.status == "error"
    failed = store.get_run(child, with_history=False)
    assert failed.status == "failed" and "pid 4242 on far-box" in failed.error
    record = store.get_run(parent, with_history=False)
    assert record.status == "failed"
    assert "The worker training fold 1 ended during training" in record.error
    assert "KilledWorker" not in record.error
