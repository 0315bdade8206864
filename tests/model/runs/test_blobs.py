"""Run files travel through the store: a run trained with one files root (a worker on another
machine) opens, reloads, archives and is deleted from another, on SQLite and a real PostgreSQL,
through the database's blobs table or an fsspec URL (LENS_ARTIFACTS); old databases get the table."""

from __future__ import annotations

import contextlib
import io
import sqlite3
import zipfile
from pathlib import Path

import numpy as np
import pytest
import sqlalchemy as sa

from model.engine.evaluation import evaluate
from model.runs import blobs, files, run_files, schema
from model.runs.execute import execute_run
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY
from tests.pg import BACKENDS

pytestmark = pytest.mark.slow  # trains a tiny run in this process


def _url(request, tmp_path, backend):
    return (
        f"sqlite:///{tmp_path / 'lens.db'}"
        if backend == "sqlite"
        else request.getfixturevalue("postgres_url")
    )


def _blob_rows(store) -> list[tuple[str, int | None, int]]:
    with store.engine.connect() as conn:
        return [
            tuple(r)
            for r in conn.execute(sa.select(schema.blobs.c.key, schema.blobs.c.run_id, schema.blobs.c.size))
        ]


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_run_trained_under_one_files_root_opens_under_another(backend, request, tmp_path):
    url = _url(request, tmp_path, backend)
    worker = open_store(url, files_root=tmp_path / "worker-files")
    run_id = worker.create_run(TINY, sine_frame(), "ui")
    assert execute_run(worker, run_id).status == "finished"
    rows = _blob_rows(worker)
    keys = {key for key, _, _ in rows}
    fp = worker.get_run(run_id).data_fingerprint
    assert blobs.snapshot_key(fp) in keys  # the price snapshot, shared (no run id)
    assert {f"{run_id}/model.keras", f"{run_id}/run.json", f"{run_id}/{files.PREDICTIONS_FILE}"} <= keys
    sizes = worker.blobs.sizes(run_id)
    assert all(size > 0 for size in sizes.values()) and sum(sizes.values()) < 5_000_000
    print("run file sizes (bytes):", sizes, "snapshot:", [s for k, _, s in rows if k.startswith("data/")])

    server = open_store(url, files_root=tmp_path / "server-files")  # nothing of the worker's disk
    assert not (tmp_path / "server-files" / str(run_id)).exists()
    record = server.get_run(run_id)
    assert (record.files_dir / "model.keras").is_file()
    run, data, stored = run_files.load_trained(server, run_id)
    again = evaluate(run, data)
    np.testing.assert_allclose(again.predictions["predicted"], stored.predictions["predicted"], rtol=1e-6)
    with zipfile.ZipFile(io.BytesIO(run_files.run_archive(server, run_id))) as archive:
        assert {"model.keras", "prices.parquet", "record.json", files.PREDICTIONS_FILE} <= set(
            archive.namelist()
        )

    server.delete_run(run_id)
    assert _blob_rows(server) == []  # its files and its unshared snapshot
    worker.close()
    server.close()


def test_lens_artifacts_puts_run_files_under_an_fsspec_url_not_in_the_database(tmp_path, monkeypatch):
    shared = tmp_path / "shared"
    monkeypatch.setenv(blobs.ENV_ARTIFACTS, f"file://{shared}")
    url = f"sqlite:///{tmp_path / 'lens.db'}"
    worker = open_store(url, files_root=tmp_path / "a")
    run_id = worker.create_run(TINY, sine_frame(), "cli")
    assert execute_run(worker, run_id).status == "finished"
    assert _blob_rows(worker) == []
    assert (shared / str(run_id) / "model.keras").is_file() and any((shared / files.DATA_DIR).iterdir())

    server = open_store(url, files_root=tmp_path / "b")
    assert len(server.load_prices(run_id)) == len(sine_frame())
    assert run_files.load_evaluation(server, run_id).predictions.shape[0] > 0
    server.delete_run(run_id)
    assert not (shared / str(run_id)).exists()
    worker.close()
    server.close()


def test_a_version_4_database_gets_the_blobs_table(tmp_path):
    path = tmp_path / "lens.db"
    store = open_store(f"sqlite:///{path}", files_root=tmp_path / "files")
    run_id = store.create_run(TINY, sine_frame(), "ui")
    store.close()
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("DROP TABLE blobs")
        conn.execute("UPDATE schema_version SET version = 4")
    upgraded = open_store(f"sqlite:///{path}", files_root=tmp_path / "files")
    assert upgraded.get_run(run_id).status == "queued"
    with upgraded.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == schema.SCHEMA_VERSION
        assert "blobs" in sa.inspect(conn).get_table_names()
    upgraded.close()


def test_a_worker_that_cannot_write_the_owners_files_root_keeps_its_own(tmp_path):
    from model.runs.worker import local_files_root

    writable = tmp_path / "files"
    assert local_files_root(str(writable), "sqlite:///x.db") == str(writable)
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    own = local_files_root(str(blocker / "files"), "sqlite:///x.db")  # cannot be created here
    assert own != str(blocker / "files") and Path(own).is_dir()
    assert local_files_root(str(blocker / "files"), "sqlite:///x.db") == own  # the same one each time
