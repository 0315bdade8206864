"""Two processes writing runs at once lose nothing and never see "database is locked"."""

import multiprocessing as mp

import pytest

from model.runs.store import open_store
from tests.model.runs.helpers import TINY, sine_frame

RUNS_PER_WRITER = 50


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
    with mp.get_context("spawn").Pool(2) as pool:
        results = pool.starmap(write_runs, [(url, str(tmp_path), 0), (url, str(tmp_path), 1)])
    store = open_store(url, files_root=tmp_path)
    runs = store.list_runs()
    assert len(runs) == 2 * RUNS_PER_WRITER
    assert sorted(results[0] + results[1]) == sorted(r.id for r in runs)
    assert {r.status for r in runs} == {"finished"} and {r.epochs_run for r in runs} == {2}
    assert len(store.list_runs(study="writer-0")) == len(store.list_runs(study="writer-1")) == RUNS_PER_WRITER
    store.close()
