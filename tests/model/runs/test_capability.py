"""The Stop capability: stored hashed, never exported, compared in constant time, needed to delete."""

import io
import json
import sqlite3
import subprocess
import sys
import zipfile

import pytest
import sqlalchemy as sa

from model.errors import StopRefusedError
from model.runs import capability, run_files, schema
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY

TOKEN = "a-secret-token-of-session-a"


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


def test_the_token_is_stored_hashed_and_checked(store):
    run_id = store.create_run(TINY, sine_frame(), "ui", owner=TOKEN)
    with store.engine.connect() as conn:
        stored = conn.execute(sa.select(schema.runs.c.owner).where(schema.runs.c.id == run_id)).scalar()
    assert TOKEN not in stored and stored == capability.digest(TOKEN)
    record = store.get_run(run_id)
    assert capability.matches(TOKEN, record.owner_hash)
    assert not capability.matches("another", record.owner_hash)
    assert not capability.matches(None, record.owner_hash)
    assert not capability.matches(record.owner_hash, record.owner_hash)  # the hash itself is no key


@pytest.mark.process  # the command line in a subprocess
def test_the_token_is_in_no_export(store, tmp_path):
    run_id = store.create_run(TINY, sine_frame(), "ui", owner=TOKEN)
    record = json.loads(zipfile.ZipFile(io.BytesIO(run_files.run_archive(store, run_id))).read("record.json"))
    assert "owner" not in json.dumps(record) and capability.digest(TOKEN) not in json.dumps(record)
    shown = subprocess.run(
        [sys.executable, "-m", "model.runs", "--db", str(store.engine.url), "show", str(run_id)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert shown.returncode == 0, shown.stderr
    assert (
        TOKEN not in shown.stdout
        and capability.digest(TOKEN) not in shown.stdout
        and '"owner' not in shown.stdout
    )


def test_stop_and_delete_of_an_active_run_need_the_capability(store):
    queued = store.create_run(TINY, sine_frame(), "ui", owner=TOKEN)
    with pytest.raises(StopRefusedError, match="another session"):
        store.delete_run(queued)
    with pytest.raises(StopRefusedError, match="another session"):
        store.delete_run(queued, owner="not-the-token")
    with pytest.raises(StopRefusedError):
        store.request_stop(queued, owner=capability.digest(TOKEN))
    assert store.get_run(queued).status == "queued"
    store.delete_run(queued, owner=TOKEN)
    # An ended run is anyone's to delete (every session sees every run).
    ended = store.create_run(TINY, sine_frame(), "ui", owner=TOKEN)
    store.request_stop(ended, owner=TOKEN)
    store.delete_run(ended)


def test_version_1_owners_are_hashed_by_the_upgrade(tmp_path):
    path = tmp_path / "lens.db"
    store = open_store(f"sqlite:///{path}", files_root=tmp_path)
    run_id = store.create_run(TINY, sine_frame(), "ui", owner=TOKEN)
    unowned = store.create_run(TINY, sine_frame(), "ui")
    store.close()
    with sqlite3.connect(path) as conn:  # back to a version-1 database: the plain token in the row
        conn.execute("UPDATE runs SET owner = ? WHERE id = ?", (TOKEN, run_id))
        conn.execute("UPDATE schema_version SET version = 1")
    conn.close()
    upgraded = open_store(f"sqlite:///{path}", files_root=tmp_path)
    with upgraded.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT version FROM schema_version").scalar() == schema.SCHEMA_VERSION
        owners = dict(conn.exec_driver_sql("SELECT id, owner FROM runs").all())
    assert owners == {run_id: capability.digest(TOKEN), unowned: None}
    assert upgraded.request_stop(run_id, owner=TOKEN) == "stopped"
    upgraded.close()
