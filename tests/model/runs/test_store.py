"""The run store on SQLite and on a real PostgreSQL server: rows, files, stops, schema, errors."""

import contextlib
import sqlite3
import subprocess
import sys

import pandas as pd
import pytest
import sqlalchemy as sa

from model.errors import RunNotFoundError, StopRefusedError, StoreError
from model.runs import files, run_files, schema
from model.runs import store as store_module
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY
from tests.pg import BACKENDS

METRICS = pd.DataFrame(
    {
        "RMSE": [1.5, 2.0],
        "MAE": [1.0, 1.5],
        "MAPE %": [1.2, 1.6],
        "Direction %": [55.0, float("nan")],
        "Skill": [0.25, 0.0],
    },
    index=pd.Index(["model", "persistence"], name="forecast"),
)


@pytest.fixture(params=BACKENDS)
def store(request, tmp_path):
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'lens.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    opened = open_store(url, files_root=tmp_path / "files")
    yield opened
    opened.close()


def dead_pid() -> int:
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_run_round_trips_with_epochs_metrics_and_its_price_table(store):
    frame = sine_frame()
    run_id = store.create_run(TINY, frame, "cli", study="s1", trial=3, owner="me", description="sine")
    queued = store.get_run(run_id)
    assert (queued.status, queued.origin, queued.study, queued.trial, bool(queued.owner_hash)) == (
        "queued",
        "cli",
        "s1",
        3,
        True,
    )
    assert queued.lstm_config == TINY and queued.parameters > 0 and queued.data_description == "sine"

    assert store.start(run_id, pid=1234, host="here")
    assert not store.start(run_id)  # a second worker cannot take it
    store.progress(run_id, {"epoch": 1, "batch": 2, "loss": 0.5, "elapsed": 0.1})
    store.add_epoch(run_id, 1, 0.9, 0.95)
    store.add_epoch(run_id, 2, 0.7, None)
    running = store.get_run(run_id)
    assert running.status == "running" and running.worker_pid == 1234 and running.progress["batch"] == 2
    assert running.history == ({"loss": 0.9, "val_loss": 0.95}, {"loss": 0.7})

    assert store.finish(
        run_id, "finished", seconds=1.5, best_epoch=2, stop_reason="completed", metric_table=METRICS
    )
    assert not store.finish(run_id, "failed", error="late")  # the first ending wins
    done = store.get_run(run_id)
    assert (done.status, done.epochs_run, done.best_epoch, done.seconds, done.error) == (
        "finished",
        2,
        2,
        1.5,
        None,
    )
    assert done.metric("rmse") == 1.5 and done.metric("skill") == 0.25
    assert done.metric("direction", "persistence") is None  # NaN stored as NULL
    assert done.finished >= done.started >= done.created

    loaded = store.load_prices(run_id)
    pd.testing.assert_frame_equal(loaded, frame, check_freq=False)
    assert files.fingerprint(loaded) == done.data_fingerprint


def test_fingerprint_names_the_exact_table():
    frame = sine_frame()
    changed = frame.copy()
    changed.iloc[10, 0] += 1e-9
    shifted = frame.copy()
    shifted.index = shifted.index + pd.Timedelta(days=1)
    assert files.fingerprint(frame) == files.fingerprint(frame.copy())
    assert len({files.fingerprint(frame), files.fingerprint(changed), files.fingerprint(shifted)}) == 3


def test_list_filters_and_newest_first(store):
    frame, other = sine_frame(), sine_frame(seed=1)
    a = store.create_run(TINY, frame, "ui")
    b = store.create_run(TINY, other, "sweep", study="s")
    c = store.create_run(TINY, frame, "cli")
    store.start(c)
    assert [r.id for r in store.list_runs()] == [c, b, a]
    assert [r.id for r in store.list_runs(origin="sweep")] == [b]
    assert [r.id for r in store.list_runs(status=["queued"])] == [b, a]
    assert [r.id for r in store.list_runs(fingerprint=files.fingerprint(frame))] == [c, a]
    assert [r.id for r in store.list_runs(study="s")] == [b]
    assert [r.id for r in store.list_runs(limit=1)] == [c]


def test_stop_is_refused_to_another_owner_and_cancels_a_queued_run(store):
    frame = sine_frame()
    running = store.create_run(TINY, frame, "ui", owner="session-a")
    store.start(running)
    with pytest.raises(StopRefusedError):
        store.request_stop(running, owner="session-b")
    assert not store.stop_requested(running)
    assert store.request_stop(running, owner="session-a") == "running"
    assert store.stop_requested(running)

    queued = store.create_run(TINY, frame, "ui", owner="session-a")
    assert store.request_stop(queued, owner="session-a") == "stopped"
    assert store.get_run(queued).stop_reason == "cancelled"
    assert not store.start(queued)  # a worker that picks it up later leaves it alone


def test_delete_removes_rows_and_files_and_an_unshared_snapshot(store):
    frame = sine_frame()
    first = store.create_run(TINY, frame, "ui")
    second = store.create_run(TINY, frame, "ui")
    folder = store.run_dir(first)
    folder.mkdir(parents=True)
    (folder / "model.keras").write_bytes(b"x")
    store.add_epoch(first, 1, 0.5, 0.6)
    store.delete_run(first)
    with pytest.raises(RunNotFoundError):
        store.get_run(first)
    assert not folder.exists()
    snapshot = files.snapshot_path(store.files_root, files.fingerprint(frame))
    assert snapshot.exists()  # the second run still uses it
    store.delete_run(second)
    assert not snapshot.exists()
    with store.engine.connect() as conn:
        assert conn.execute(sa.select(sa.func.count()).select_from(schema.epochs)).scalar() == 0


def test_a_running_run_cannot_be_deleted(store):
    run_id = store.create_run(TINY, sine_frame(), "ui")
    store.start(run_id)
    with pytest.raises(StoreError, match="still running"):
        store.delete_run(run_id)


@pytest.mark.process
def test_mark_interrupted_ends_runs_whose_process_is_gone(store):
    frame = sine_frame()
    orphan = store.create_run(TINY, frame, "ui")
    store.start(orphan, pid=dead_pid())
    alive = store.create_run(TINY, frame, "ui")
    store.start(alive)  # this test process
    elsewhere = store.create_run(TINY, frame, "ui")
    store.start(elsewhere, pid=dead_pid(), host="another-host")
    assert store.mark_interrupted() == [orphan]
    assert store.get_run(orphan).status == "interrupted"
    assert store.get_run(alive).status == "running"
    assert store.get_run(elsewhere).status == "running"  # cannot judge another host's processes


def test_archive_holds_files_prices_and_record(store):
    import io
    import json
    import zipfile

    run_id = store.create_run(TINY, sine_frame(), "ui")
    store.run_dir(run_id).mkdir(parents=True)
    (store.run_dir(run_id) / "forecast.parquet").write_bytes(b"data")
    with zipfile.ZipFile(io.BytesIO(run_files.run_archive(store, run_id))) as archive:
        assert set(archive.namelist()) == {"forecast.parquet", "prices.parquet", "record.json"}
        assert json.loads(archive.read("record.json"))["id"] == run_id


# -- SQLite specifics: location, WAL, schema versions, locks -----------------------------------------


def test_default_store_is_runs_lens_db_in_wal_mode(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("LENS_DB", raising=False)
    store = open_store()
    run_id = store.create_run(TINY, sine_frame(), "cli")
    assert (tmp_path / "runs" / "lens.db").exists()
    assert files.snapshot_path(tmp_path / "runs", store.get_run(run_id).data_fingerprint).exists()
    with store.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    store.close()
    monkeypatch.setenv("LENS_DB", f"sqlite:///{tmp_path / 'elsewhere.db'}")
    open_store().close()
    assert (tmp_path / "elsewhere.db").exists()


def _set_version(path, version):
    # Closed explicitly (sqlite3's "with" only commits): the last connection's close checkpoints the
    # WAL into the database file, so the file's bytes are final before a test compares them.
    with contextlib.closing(sqlite3.connect(path)) as conn, conn:
        conn.execute("UPDATE schema_version SET version = ?", (version,))


def test_a_newer_or_unknown_schema_is_refused_and_left_unchanged(tmp_path):
    path = tmp_path / "lens.db"
    open_store(f"sqlite:///{path}").close()
    _set_version(path, schema.SCHEMA_VERSION + 1)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="newer LSTM Lens"):
        open_store(f"sqlite:///{path}")
    assert path.read_bytes() == before

    _set_version(path, 0)
    with pytest.raises(StoreError, match="cannot upgrade"):
        open_store(f"sqlite:///{path}")

    foreign = tmp_path / "foreign.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE runs (x INTEGER)")
    with pytest.raises(StoreError, match="not an LSTM Lens run database"):
        open_store(f"sqlite:///{foreign}")


def test_an_older_schema_is_upgraded_in_place(tmp_path, monkeypatch):
    path = tmp_path / "lens.db"
    store = open_store(f"sqlite:///{path}", files_root=tmp_path)
    run_id = store.create_run(TINY, sine_frame(), "ui")
    store.close()

    def add_note_column(conn):
        conn.exec_driver_sql("ALTER TABLE runs ADD COLUMN note TEXT DEFAULT 'upgraded'")

    monkeypatch.setattr(schema, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    monkeypatch.setitem(schema.MIGRATIONS, schema.SCHEMA_VERSION - 1, add_note_column)
    upgraded = open_store(f"sqlite:///{path}", files_root=tmp_path)
    assert upgraded.get_run(run_id).status == "queued"  # the old rows survive
    with upgraded.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == schema.SCHEMA_VERSION
        assert conn.exec_driver_sql("SELECT note FROM runs").scalar() == "upgraded"
    upgraded.close()


def test_a_locked_database_gives_a_clear_message(tmp_path, monkeypatch):
    path = tmp_path / "lens.db"
    open_store(f"sqlite:///{path}").close()
    monkeypatch.setattr(store_module, "BUSY_SECONDS", 0.2)
    store = open_store(f"sqlite:///{path}", files_root=tmp_path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        with pytest.raises(StoreError, match="locked"):
            store.create_run(TINY, sine_frame(), "ui")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert store.create_run(TINY, sine_frame(), "ui") > 0  # and works again once released
    store.close()


def test_bad_or_unreachable_databases_give_clear_messages(tmp_path):
    with pytest.raises(StoreError, match="not a database URL"):
        open_store("not a url")
    closed_port = f"postgresql+psycopg://postgres@127.0.0.1:{_closed_port()}/lens"
    with pytest.raises(StoreError, match="could not be used"):
        open_store(closed_port, files_root=tmp_path)


def _closed_port() -> int:
    from tests.pg import free_port

    return free_port()  # bound then released: nothing listens there
