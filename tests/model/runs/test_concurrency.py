"""Two processes writing runs at once lose nothing and never see "database is locked"."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY

pytestmark = [pytest.mark.process]  # writer processes, a PostgreSQL cluster

RUNS_PER_WRITER = 50
REPO = Path(__file__).resolve().parents[3]


def write_runs(url: str, files_root: str, writer: int) -> list[int]:
    """A whole run's life 50 times: create, start, progress, two epochs, finish."""
    store = open_store(url, files_root=files_root)
    frame = sine_frame(n=60, seed=writer)
    ids = []
    for _ in range(RUNS_PER_WRITER):
        run_id = store.create_run(TINY, frame, "sweep", study=f"writer-{writer}")
        assert store.start(run_id)
        store.progress(run_id, {"epoch": 1, "batch": 1})
        store.add_epoch(run_id, 1, 0.5, 0.6)
        store.add_epoch(run_id, 2, 0.4, 0.5)
        assert store.finish(run_id, "finished", seconds=0.1, best_epoch=2, stop_reason="completed")
        ids.append(run_id)
    store.close()
    return ids


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_two_writer_processes_lose_nothing(backend, tmp_path, request):
    if backend == "sqlite":
        url = f"sqlite:///{tmp_path / 'lens.db'}"
    else:
        url = request.getfixturevalue("postgres_url")
    open_store(url, files_root=tmp_path).close()  # both writers then find the schema
    # Two independent interpreters (not multiprocessing, whose spawn re-imports the test
    # process's __main__), started together so their writes interleave.
    code = (
        "import json, sys; from tests.model.runs.test_concurrency import write_runs; "
        "print(json.dumps(write_runs(sys.argv[1], sys.argv[2], int(sys.argv[3]))))"
    )
    writers = [
        subprocess.Popen(
            [sys.executable, "-c", code, url, str(tmp_path), str(i)],
            cwd=REPO,
            stdout=subprocess.PIPE,
            text=True,
        )
        for i in (0, 1)
    ]
    outputs = [w.communicate(timeout=300)[0] for w in writers]
    assert [w.returncode for w in writers] == [0, 0]
    results = [json.loads(out.strip().splitlines()[-1]) for out in outputs]
    store = open_store(url, files_root=tmp_path)
    runs = store.list_runs()
    assert len(runs) == 2 * RUNS_PER_WRITER
    assert sorted(results[0] + results[1]) == sorted(r.id for r in runs)
    assert {r.status for r in runs} == {"finished"} and {r.epochs_run for r in runs} == {2}
    assert len(store.list_runs(study="writer-0")) == len(store.list_runs(study="writer-1")) == RUNS_PER_WRITER
    store.close()
