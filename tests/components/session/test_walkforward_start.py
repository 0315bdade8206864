"""The Train page's walk-forward start: a Dask pool gets the graph (no coordinator thread in the
server), the older pool a coordinator thread; either way the parent ends (here: failed folds)."""

from __future__ import annotations

import threading
import types

import pytest

from components import run_client
from components.session import state
from components.session import walkforward as session_walkforward
from model.data import load_sample
from model.orchestration import graph
from model.runs import evidence_store as es
from model.runs.store import open_store
from tests.model.runs.helpers import TINY, wait_for

CHOICE = {"folds": 3, "mode": "refit", "seeds": 1}


class _NoPool:
    """A pool that must not be asked to train anything (the folds are failed before they start)."""

    def submit(self, run_id):
        return None

    def wait(self, run_id, timeout=None):
        return run_client.store().get_run(run_id, with_history=False)


@pytest.fixture
def session(monkeypatch, tmp_path):
    """start() outside a Streamlit run: its store, its session state and no run in progress; the
    fold runs it stores fail at once (no training), so only the coordination is exercised."""
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    monkeypatch.setattr(run_client, "store", lambda: store)
    monkeypatch.setattr(session_walkforward, "st", types.SimpleNamespace(session_state={}))
    monkeypatch.setattr(state, "run_in_progress", lambda: False)
    monkeypatch.setattr(state, "owner_token", lambda create=False: "me")
    current = {}
    monkeypatch.setattr(state, "set_current_run", lambda run_id: current.update(run=run_id))
    real_add_fold = es.add_fold

    def add_failed_fold(store_, parent, seed_index, fold, child, warm_from=None):
        real_add_fold(store_, parent, seed_index, fold, child, warm_from)
        store_.fail(child, "Training failed: no memory")

    monkeypatch.setattr(es, "add_fold", add_failed_fold)
    yield store, current
    store.close()


def _walk_forward_threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name.startswith("walk-forward-")]


def test_without_a_dask_client_a_coordinator_thread_ends_the_parent(session, monkeypatch):
    store, current = session
    monkeypatch.setattr(run_client, "pool", lambda: _NoPool())
    parent = session_walkforward.start(load_sample("GOOG"), TINY, CHOICE)
    assert current["run"] == parent
    record = wait_for(lambda: (r := store.get_run(parent)).status == "failed" and r, timeout=60)
    assert record.error.startswith("Every fold failed: Training failed: no memory")
    assert record.worker_host != graph.GRAPH_HOST


@pytest.mark.process
def test_with_a_dask_client_the_graph_runs_and_no_thread_coordinates(session, monkeypatch):
    import distributed

    store, current = session
    with (
        distributed.LocalCluster(
            processes=False, n_workers=1, threads_per_worker=1, dashboard_address=":0"
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        pool = _NoPool()
        pool.client = client
        monkeypatch.setattr(run_client, "pool", lambda: pool)
        before = set(_walk_forward_threads())
        parent = session_walkforward.start(load_sample("GOOG"), TINY, CHOICE)
        assert set(_walk_forward_threads()) == before  # no coordinator thread in the server
        record = wait_for(lambda: (r := store.get_run(parent)).status == "failed" and r, timeout=60)
    assert current["run"] == parent
    assert record.worker_host == graph.GRAPH_HOST  # the graph ran it
    assert record.error.startswith("Every fold failed: Training failed: no memory")
