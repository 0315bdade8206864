"""Walk-forward runs in the run store: the schema step, fold records on SQLite and PostgreSQL,
folds trained as child runs (in process and in the worker pool), a failing fold."""

from __future__ import annotations

import contextlib
import sqlite3

import numpy as np
import pytest

from model.data.sample import load_sample
from model.engine.config import LstmConfig
from model.errors import DataError
from model.evidence.walkforward import FoldResult, ridge_forecaster, walk_forward
from model.orchestration.walkforward import (
    fold_residuals,
    load_walk_forward,
    run_walk_forward,
    start_walk_forward,
)
from model.runs import evidence_store as es
from model.runs import schema
from model.runs.store import open_store
from tests.model.evidence.helpers import synth
from tests.model.runs.helpers import TINY


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'lens.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = open_store(url, files_root=tmp_path / "files")
    yield opened
    opened.close()


def test_a_version_1_database_gets_the_evidence_tables(tmp_path):
    path = tmp_path / "lens.db"
    store = open_store(f"sqlite:///{path}", files_root=tmp_path)
    run_id = store.create_run(TINY, synth(0), "ui")
    store.close()
    # Back to exactly version 1: no evidence tables, no provenance column; every step runs.
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TABLE evidence_folds")
        conn.execute("DROP TABLE evidence_runs")
        conn.execute("ALTER TABLE runs DROP COLUMN provenance")
        conn.execute("UPDATE schema_version SET version = 1")
    upgraded = open_store(f"sqlite:///{path}", files_root=tmp_path)
    assert upgraded.get_run(run_id).status == "queued"
    with upgraded.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == schema.SCHEMA_VERSION
        assert "provenance" in {row[1] for row in conn.exec_driver_sql("PRAGMA table_info(runs)")}
    assert es.evidence_run(upgraded, run_id) is None  # the new tables are there (and empty)
    assert es.folds_of(upgraded, run_id) == []
    upgraded.close()


def test_fold_records_round_trip(store):
    config = LstmConfig(features=("close",), time_step=10, epochs=1)
    evidence = walk_forward(synth(2), config, ridge_forecaster, k=3)
    parent = start_walk_forward(store, config, synth(2), folds=3, seeds=1)
    rows = es.folds_of(store, parent)
    assert [r.fold for r in rows] == [f.fold for f in evidence.folds]
    for row, result in zip(rows, evidence.folds):
        assert row.status == "queued"
        es.end_fold(store, row.child_run_id, "finished", record=result.to_dict())
    back = [FoldResult.from_dict(r.record) for r in es.folds_of(store, parent)]
    for again, result in zip(back, evidence.folds):
        assert again.rmse == pytest.approx(result.rmse) and again.fold == result.fold
        assert again.residuals["date"] == result.residuals["date"]
        np.testing.assert_allclose(again.residuals["model"], result.residuals["model"])
        np.testing.assert_allclose(again.differential, result.differential)
    loaded = load_walk_forward(store, parent)
    assert loaded.evidence.verdict == evidence.verdict
    assert load_walk_forward(store, rows[0].child_run_id) is None  # a fold is not itself a walk-forward run
    assert es.fold_child_ids(store) == {r.child_run_id for r in rows}
    residuals = fold_residuals(loaded)
    assert len(residuals) == sum(f.fold.test_rows for f in evidence.folds)
    assert list(residuals["fold"].unique()) == [1, 2, 3] and residuals["date"].is_monotonic_increasing
    first = evidence.folds[0]
    np.testing.assert_allclose(
        residuals.loc[residuals["fold"] == 1, "persistence"], first.residuals["persistence"]
    )


def test_too_few_rows_store_nothing(store):
    config = LstmConfig(features=("close",), time_step=10)
    with pytest.raises(DataError, match="Use at most"):
        start_walk_forward(store, config, synth(0, rows=400), folds=12)
    assert store.list_runs() == []


@pytest.mark.slow
def test_walk_forward_in_process_with_a_failing_fold(store):
    prices = load_sample("GOOG")
    parent = start_walk_forward(store, TINY, prices, folds=3, mode="warm", seeds=1)
    rows = es.folds_of(store, parent)
    store.fail(rows[1].child_run_id, "Training failed: the fold blew up")  # the worker never gets it
    from model.orchestration.walkforward import drive
    from model.runs.execute import execute_run

    result = drive(store, parent, lambda run_id: None, lambda run_id: execute_run(store, run_id))
    assert result.evidence.folds_scored == 2 and result.evidence.folds_failed == 1
    assert "incomplete: 1 of 3 folds failed" in result.evidence.verdict.text
    failed = result.evidence.folds[1]
    assert failed.status == "failed" and "the fold blew up" in failed.error
    rows = es.folds_of(store, parent)
    assert rows[2].warm_from is None  # the chain restarts after a failed fold
    assert store.get_run(parent).status == "finished"
    again = load_walk_forward(store, parent)
    assert again.stored_summary["verdict"]["text"] == result.evidence.verdict.text
    for fold in (again.evidence.folds[0], again.evidence.folds[2]):
        assert fold.epochs == 2 and set(fold.rmse) == {"model", "persistence", "drift", "mean_last", "ridge"}
        assert len(fold.residuals["model"]) == fold.fold.test_rows


@pytest.mark.slow
def test_refit_folds_train_in_parallel_in_the_worker_pool(tmp_path):
    from model.runs.workers import WorkerPool

    url = f"sqlite:///{tmp_path / 'lens.db'}"
    store = open_store(url, files_root=tmp_path / "files")
    # Every worker trains here (none kept for quick jobs), as on a machine with cores to spare.
    with WorkerPool(url, files_root=tmp_path / "files", workers=2, threads=1, job_workers=0) as pool:
        result = run_walk_forward(store, TINY, load_sample("GOOG"), pool=pool, folds=4, seeds=2)
    assert result.evidence.folds_scored == 4 and len(result.per_seed) == 2
    children = [store.get_run(r.child_run_id) for r in es.folds_of(store, result.run_id)]
    assert all(c.status == "finished" for c in children)
    assert len({c.worker_pid for c in children}) == 2  # both workers trained folds
    spread = result.spread()
    assert spread["seeds"] == 2 and spread["seed_std"] >= 0 and spread["fold_std"] >= 0
    # The combined evidence averages the seeds' model RMSE per fold.
    for position, fold in enumerate(result.evidence.folds):
        seeds = [ev.folds[position].rmse["model"] for ev in result.per_seed]
        assert fold.rmse["model"] == pytest.approx(np.mean(seeds))
    store.close()


@pytest.mark.slow
def test_stopping_the_walk_forward_run_stops_its_folds(tmp_path):
    import threading

    from model.orchestration.walkforward import drive
    from model.runs.execute import execute_run

    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path)
    parent = start_walk_forward(
        store, TINY.replace(epochs=500, patience=0), load_sample("GOOG"), folds=3, owner="me"
    )
    threading.Timer(4.0, lambda: store.request_stop(parent, "me")).start()
    result = drive(store, parent, lambda run_id: None, lambda run_id: execute_run(store, run_id))
    record = store.get_run(parent)
    assert record.status == "stopped" and record.stop_reason == "user_stop"
    children = [store.get_run(r.child_run_id) for r in es.folds_of(store, parent)]
    assert all(c.status == "stopped" for c in children)
    assert all(c.epochs_run < 500 for c in children)
    assert result.evidence.folds_scored + result.evidence.folds_failed == 3
