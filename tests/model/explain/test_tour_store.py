"""The tour of a run whose files live only in the store's database: a worker on another machine
(another files root) trained it; the weight snapshots (``snapshots.npz``) travel with the rest, so
the tour and its training replay work there, and the run's archive carries them too."""

from __future__ import annotations

import io
import zipfile

import pytest

from model.engine.saving import SNAPSHOT_FILE
from model.runs import run_files
from model.runs.execute import execute_run
from model.runs.jobs import JOBS, JobContext
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY

pytestmark = pytest.mark.slow  # trains a tiny run in this process


def test_a_run_trained_elsewhere_tours_and_replays_from_the_database(tmp_path):
    url = f"sqlite:///{tmp_path / 'lens.db'}"
    worker = open_store(url, files_root=tmp_path / "worker-files")
    run_id = worker.create_run(TINY, sine_frame(), "ui")
    assert execute_run(worker, run_id, forecast=False).status == "finished"
    assert f"{run_id}/{SNAPSHOT_FILE}" in worker.blobs.sizes(run_id)
    worker.close()

    server = open_store(url, files_root=tmp_path / "server-files")  # nothing of the worker's disk
    try:
        assert not (tmp_path / "server-files" / str(run_id)).exists()
        context = JobContext(server)
        tour = JOBS["tour"](context, run_id, None)
        replay = JOBS["tour_replay"](context, run_id, None)
        assert (tmp_path / "server-files" / str(run_id) / SNAPSHOT_FILE).is_file()
        assert replay is not None and replay.epochs == TINY.epochs
        assert replay.predictions[replay.best_epoch - 1] == pytest.approx(tour.prediction, rel=1e-6)
        with zipfile.ZipFile(io.BytesIO(run_files.run_archive(server, run_id))) as archive:
            assert SNAPSHOT_FILE in archive.namelist()
    finally:
        server.close()
