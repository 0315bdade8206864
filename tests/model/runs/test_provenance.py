"""A run's provenance in the store: round trip, its words, and the upgrade of a database from before it."""

import pytest
import sqlalchemy as sa

from model.runs import schema
from model.runs.provenance import describe_provenance, record_provenance
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY
from tests.pg import BACKENDS

PROVENANCE = {
    "path": "fused",
    "kernel": "BlockLSTM",
    "kernel_reason": "fell back to BlockLSTM: native kernel unavailable: not built",
    "tensorflow": "2.21.0",
    "threads": {"intra_op": 1, "inter_op": 2, "cpus": 2},
    "device": "CPU",
}


@pytest.fixture(params=BACKENDS)
def url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'lens.db'}"
    return request.getfixturevalue("postgres_url")


def test_provenance_round_trips(url, tmp_path):
    store = open_store(url, files_root=tmp_path / "files")
    run_id = store.create_run(TINY, sine_frame(), "cli")
    assert store.get_run(run_id).provenance is None
    record_provenance(store, run_id, PROVENANCE)
    assert store.get_run(run_id).provenance == PROVENANCE
    assert store.list_runs()[0].provenance == PROVENANCE
    store.close()


def test_a_database_from_before_provenance_gains_the_column_and_keeps_its_runs(url, tmp_path):
    store = open_store(url, files_root=tmp_path / "files")
    run_id = store.create_run(TINY, sine_frame(), "ui", description="old run")
    # Make it a database from before provenance (schema 2): the tables as they were.
    with store.engine.begin() as conn:
        conn.execute(sa.text("ALTER TABLE runs DROP COLUMN provenance"))
        conn.execute(schema.schema_version.update().values(version=2))  # the version before provenance
    store.close()

    upgraded = open_store(url, files_root=tmp_path / "files")
    old = upgraded.get_run(run_id)
    assert (old.data_description, old.provenance) == ("old run", None)
    with upgraded.engine.connect() as conn:
        assert conn.execute(sa.select(schema.schema_version.c.version)).scalar() == schema.SCHEMA_VERSION
        assert "provenance" in {c["name"] for c in sa.inspect(conn).get_columns("runs")}
    record_provenance(upgraded, run_id, PROVENANCE)
    assert upgraded.get_run(run_id).provenance["kernel"] == "BlockLSTM"
    upgraded.close()


def test_provenance_in_words():
    lines = describe_provenance(PROVENANCE)
    assert lines[0] == "Kernel: BlockLSTM on the fused path"
    assert lines[1] == "Why: fell back to BlockLSTM: native kernel unavailable: not built"
    assert lines[2] == "Threads: intra-op 1, inter-op 2 on 2 CPU(s)"
    assert lines[3] == "Device: CPU; TensorFlow 2.21.0"
    assert describe_provenance({**PROVENANCE, "threads": {"intra_op": 0, "inter_op": 0, "cpus": 4}})[2] == (
        "Threads: intra-op default, inter-op default on 4 CPU(s)"
    )
    assert describe_provenance(None) == [
        "Not recorded (trained before LSTM Lens stored how runs were trained)."
    ]


def test_the_worker_that_trained_a_run_is_named():
    dask_worker = {"name": "lens-0", "address": "tcp://10.0.0.5:40123", "host": "box-b", "pid": 4242}
    lines = describe_provenance({**PROVENANCE, "worker": dask_worker})
    assert lines[-1] == "Worker: Dask worker lens-0 (tcp://10.0.0.5:40123) on box-b, pid 4242"
    local = describe_provenance({**PROVENANCE, "worker": {"host": "box-a", "pid": 7}})
    assert local[-1] == "Worker: process on box-a, pid 7 (not a Dask worker)"
    assert not any(line.startswith("Worker") for line in describe_provenance(PROVENANCE))  # older runs


def test_worker_identity_outside_dask_is_this_process():
    import os
    import socket

    from model.runs.provenance import worker_identity

    assert worker_identity() == {"host": socket.gethostname(), "pid": os.getpid()}
