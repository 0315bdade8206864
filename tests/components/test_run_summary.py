"""A run's one-sentence summary: its status while it is not over, else the engine's stop sentence."""

from datetime import datetime, timezone
from pathlib import Path

import pytest

from components.run_client import summary
from model.engine.stops import describe_stop
from model.runs.records import RunRecord


def record(status, stop_reason=None, error=None, epochs_run=3, best_epoch=2, seconds=4.0):
    return RunRecord(
        id=1,
        created=datetime.now(timezone.utc),
        started=None,
        finished=None,
        status=status,
        origin="ui",
        study=None,
        trial=None,
        config={},
        parameters=None,
        data_description="",
        data_fingerprint="x",
        seconds=seconds,
        epochs_run=epochs_run,
        best_epoch=best_epoch,
        stop_reason=stop_reason,
        error=error,
        progress=None,
        stop_requested=False,
        owner_hash=None,
        worker_pid=None,
        worker_host=None,
        files_dir=Path("1"),
    )


@pytest.mark.parametrize(
    "status, reason",
    [
        ("finished", "completed"),
        ("finished", "early_stopping"),
        ("stopped", "user_stop"),
        ("stopped", "pruned"),
        ("stopped", "cancelled"),
    ],
)
def test_an_ended_run_reads_as_the_engine_says_it(status, reason):
    assert summary(record(status, reason)) == describe_stop(reason, 3, 2, 4.0)


def test_runs_not_over_say_their_status():
    assert summary(record("queued")) == "Waiting for a worker."
    assert summary(record("running", epochs_run=1)) == "Training: 1 epoch(s) done."
    assert summary(record("failed", error="boom")) == "Failed: boom"
    assert summary(record("interrupted")) == "Interrupted after 3 epoch(s): its process ended"
