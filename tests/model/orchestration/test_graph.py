"""Walk-forward as a Dask graph (model/orchestration/graph.py), and the coordination's failures:
a StoreError in the coordination ends the parent failed with its message (thread and graph), a
server restart mid walk-forward resumes it to its end, and a 3-fold run on a real scheduler with
two worker processes trains folds on both."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.data.sample import load_sample
from model.errors import StoreError
from model.orchestration import graph
from model.orchestration.walkforward import drive, start_walk_forward
from model.runs import evidence_store as es
from model.runs.store import open_store
from tests.model.runs.helpers import TINY, wait_for

ROOT = Path(__file__).resolve().parents[3]
LOCKED = "The run database sqlite:///lens.db stayed locked by another process for over 30 s"


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


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


def _failed_folds(store, folds=3):
    """A walk-forward run whose fold runs have all failed already (nothing left to train)."""
    parent = start_walk_forward(store, TINY, load_sample("GOOG"), folds=folds)
    for row in es.folds_of(store, parent):
        store.fail(row.child_run_id, "Training failed: no memory")
    return parent


def _locked(*args, **kwargs):
    raise StoreError(LOCKED)


def test_a_store_error_in_the_coordinator_thread_fails_the_parent(store, monkeypatch):
    parent = _failed_folds(store)
    monkeypatch.setattr(es, "set_summary", _locked)
    with pytest.raises(StoreError, match="stayed locked"):  # the caller learns it too
        drive(store, parent, lambda run_id: None, lambda run_id: store.get_run(run_id))
    record = store.get_run(parent)
    assert record.status == "failed"
    assert record.error == f"The walk-forward coordination failed: {LOCKED}"


def test_drive_settles_failed_folds_and_reports_their_progress(store):
    parent = _failed_folds(store)
    result = drive(store, parent, lambda run_id: None, lambda run_id: store.get_run(run_id))
    record = store.get_run(parent)
    assert record.status == "failed" and "Every fold failed: Training failed: no memory" in record.error
    assert result.evidence.folds_failed == 3
    assert record.progress["folds_done"] == 3 and record.progress["message"] == "3 of 3 folds done"
    assert record.progress["fold_epochs"] == 0 == record.epochs_run  # failed before any epoch


@pytest.mark.process
def test_a_store_error_in_the_pooling_task_fails_the_parent(store, client, monkeypatch):
    parent = _failed_folds(store)
    monkeypatch.setattr(es, "set_summary", _locked)  # the tasks run in this process
    outcome = graph.submit_walk_forward(client, store, parent).result(timeout=60)
    assert outcome["error"] == LOCKED
    record = store.get_run(parent)
    assert record.status == "failed" and record.error == f"The walk-forward coordination failed: {LOCKED}"
    assert record.worker_host == graph.GRAPH_HOST
    assert [r.status for r in es.folds_of(store, parent)] == ["failed"] * 3


@pytest.mark.process
def test_a_store_error_in_a_fold_task_fails_that_fold_and_the_parent_still_ends(store, client, monkeypatch):
    parent = _failed_folds(store)
    monkeypatch.setattr(graph, "settle_fold", _locked)
    graph.submit_walk_forward(client, store, parent).result(timeout=60)
    rows = es.folds_of(store, parent)
    assert [r.status for r in rows] == ["failed"] * 3
    assert all(r.error == f"The fold could not be trained: StoreError: {LOCKED}" for r in rows)
    record = store.get_run(parent)
    assert record.status == "failed" and record.error.startswith(
        "Every fold failed: The fold could not be trained"
    )


@pytest.mark.process
def test_an_erred_graph_fails_the_parent_from_the_client(store, client, monkeypatch):
    parent = _failed_folds(store)

    def lost(*args, **kwargs):
        raise RuntimeError("the scheduler lost the task")

    # A pooling task that raises before it could end the parent: the client's callback ends it.
    monkeypatch.setattr(graph, "pool_walk_forward", lost)
    future = graph.submit_walk_forward(client, store, parent)
    with pytest.raises(RuntimeError, match="lost the task"):
        future.result(timeout=60)
    record = wait_for(lambda: (r := store.get_run(parent)).status == "failed" and r, timeout=30)
    assert record.error == "The walk-forward coordination failed: RuntimeError: the scheduler lost the task"


@pytest.mark.process
def test_run_graph_reports_each_fold_and_raises_the_coordinations_error(store, client, monkeypatch):
    parent = _failed_folds(store)
    seen = []
    result = graph.run_graph(
        client, store, parent, on_fold=lambda row, record: seen.append(record.status), poll=0.05
    )
    assert seen == ["failed"] * 3 and result.evidence.folds_failed == 3
    assert store.get_run(parent).status == "failed"

    again = _failed_folds(store)
    monkeypatch.setattr(es, "set_summary", _locked)
    with pytest.raises(StoreError, match=f"^The walk-forward coordination failed: {LOCKED}$"):
        graph.run_graph(client, store, again)


def _dead_pid() -> int:
    done = subprocess.Popen(["true"])
    done.wait()
    return done.pid


@pytest.mark.slow
@pytest.mark.process
def test_a_server_restart_mid_walk_forward_resumes_and_the_parent_finishes(store, client):
    parent = start_walk_forward(store, TINY, load_sample("GOOG"), folds=3)
    url, root = store.engine.url.render_as_string(hide_password=False), str(store.files_root)
    rows = es.folds_of(store, parent)
    # The graph ran: fold 1 trained, fold 2 was training in a worker that went with the server,
    # fold 3 was still queued. Then the server restarted (mark_interrupted at its start-up).
    store.start(parent, host=graph.GRAPH_HOST)
    assert graph.train_fold(url, root, parent, 0, 0)["status"] == "finished"
    store.start(rows[1].child_run_id, pid=_dead_pid())
    assert store.mark_interrupted() == [rows[1].child_run_id]  # the parent is no process's: kept
    assert store.get_run(parent).status == "running"

    assert graph.resume_walk_forwards(store, client) == [parent]
    wait_for(lambda: not store.get_run(parent).active, timeout=300, poll=0.5)
    record = store.get_run(parent)
    assert record.status == "finished", record.error
    after = es.folds_of(store, parent)
    assert [r.status for r in after] == ["finished"] * 3
    assert after[0].child_run_id == rows[0].child_run_id  # the scored fold was kept, not retrained
    assert after[1].child_run_id != rows[1].child_run_id  # the interrupted fold trained as a new run
    with pytest.raises(StoreError):
        store.get_run(rows[1].child_run_id)  # and its interrupted run is gone
    children = [store.get_run(r.child_run_id) for r in after]
    assert record.epochs_run == sum(c.epochs_run for c in children) == 3 * TINY.epochs
    assert record.progress["message"] == "3 of 3 folds done"
    assert record.progress["fold_epochs"] == record.epochs_run and record.progress["folds"] == 3
    assert es.evidence_run(store, parent).summary["folds_scored"] == 3
    assert graph.resume_walk_forwards(store, client) == []  # an ended run is not resumed again


@pytest.fixture
def scheduler(tmp_path):
    """A real `dask scheduler` and two `dask worker` processes on loopback, each worker in its own
    working directory; yields the scheduler's address."""
    env = dict(os.environ, PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="2", OMP_NUM_THREADS="1")
    dask = str(Path(sys.executable).parent / "dask")
    file = tmp_path / "scheduler.json"
    started = [
        subprocess.Popen(
            [dask, "scheduler", "--host", "127.0.0.1", "--port", "0", "--scheduler-file", str(file)],
            env=env,
            cwd=tmp_path,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    ]
    try:
        wait_for(file.exists, timeout=60, poll=0.2)
        for name in ("one", "two"):
            where = tmp_path / f"worker-{name}"
            where.mkdir()
            started.append(
                subprocess.Popen(
                    [dask, "worker", "--scheduler-file", str(file), "--nthreads", "1", "--name", name],
                    env=env,
                    cwd=where,
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
            )
        yield file
    finally:
        for process in reversed(started):
            process.terminate()
        for process in started:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


@pytest.mark.slow
@pytest.mark.process
def test_a_three_fold_run_on_a_real_scheduler_trains_folds_on_both_workers(store, scheduler):
    import distributed

    with distributed.Client(scheduler_file=str(scheduler), timeout=60) as client:
        client.wait_for_workers(2, timeout=120)
        parent = start_walk_forward(store, TINY, load_sample("GOOG"), folds=3, mode="refit")
        outcome = graph.submit_walk_forward(client, store, parent).result(timeout=600)
    assert outcome == {"parent": parent, "folds_scored": 3}
    record = store.get_run(parent)
    assert record.status == "finished"
    children = [store.get_run(r.child_run_id) for r in es.folds_of(store, parent)]
    assert all(c.status == "finished" for c in children)
    assert len({c.worker_pid for c in children}) == 2  # both worker processes trained folds
    assert os.getpid() not in {c.worker_pid for c in children}  # none trained here
    assert record.epochs_run == sum(c.epochs_run for c in children) > 0


@pytest.mark.slow
@pytest.mark.process
def test_stopping_the_walk_forward_run_stops_its_fold_tasks(store, client):
    long = TINY.replace(epochs=500, patience=0)
    parent = start_walk_forward(store, long, load_sample("GOOG"), folds=3, owner="me")
    rows = es.folds_of(store, parent)
    future = graph.submit_walk_forward(client, store, parent)
    wait_for(lambda: store.get_run(rows[0].child_run_id).epochs_run >= 1, timeout=300, poll=0.2)
    store.request_stop(parent, "me")  # the parent's Stop, as the Train page asks it
    future.result(timeout=300)
    record = store.get_run(parent)
    assert record.status == "stopped" and record.stop_reason == "user_stop"
    children = [store.get_run(r.child_run_id) for r in rows]
    assert all(c.status == "stopped" for c in children)
    assert children[0].epochs_run < 500  # stopped mid-training
    assert [c.stop_reason for c in children[1:]] == ["cancelled", "cancelled"]  # never started
