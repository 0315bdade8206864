"""Real worker processes (the embedded Dask cluster, no set-up) train stored runs; stops, crashes
and the queue behave as promised."""

import os
import signal
import time

import numpy as np
import pytest

from model.engine.evaluation import evaluate
from model.runs import run_files
from model.runs.execute import execute_run
from model.runs.store import open_store
from model.runs.workers import WorkerPool
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY, wait_for

pytestmark = [pytest.mark.process]  # worker processes

# Long enough that a test can act while it trains (it is stopped or killed long before the end).
LONG = TINY.replace(epochs=500, batch_size=8)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    root = tmp_path_factory.mktemp("pool")
    with WorkerPool(f"sqlite:///{root / 'lens.db'}", workers=1, max_runs=50) as started:
        assert started.wait_ready(600)  # a loaded 2-core machine: TensorFlow imports slowly
        yield started


def test_a_worker_trains_a_run_that_reloads_with_identical_predictions(pool):
    store = pool.store
    run_id = store.create_run(TINY, sine_frame(), "ui", owner="me")
    pool.submit(run_id)
    record = pool.wait(run_id, timeout=120)
    assert record.status == "finished", record.error
    assert record.worker_pid in pool.worker_pids() and record.worker_pid != os.getpid()
    assert record.epochs_run == 2 and len(record.history) == 2 and record.progress["finished"]
    assert record.metric("rmse") > 0 and record.metric("rmse", "persistence") > 0

    run, data, stored = run_files.load_trained(store, run_id)
    again = evaluate(run, data)
    np.testing.assert_allclose(again.predictions["predicted"], stored.predictions["predicted"], rtol=1e-6)
    np.testing.assert_allclose(again.metrics.to_numpy(float), stored.metrics.to_numpy(float), rtol=1e-6)


def test_stop_reaches_the_worker_within_a_second_and_keeps_the_best_weights(pool):
    store = pool.store
    run_id = store.create_run(LONG, sine_frame(), "ui", owner="me")
    pool.submit(run_id)
    wait_for(lambda: store.get_run(run_id, with_history=False).epochs_run >= 3)
    asked = time.monotonic()
    store.request_stop(run_id, owner="me")
    record = wait_for(
        lambda: (r := store.get_run(run_id)).progress and r.progress.get("finished") and r, timeout=30
    )
    reaction = time.monotonic() - asked
    print(f"stop reached the worker in {reaction:.2f} s")
    assert reaction < 2.0  # generous for a loaded 2-core machine; typically a few tenths
    record = pool.wait(run_id, timeout=60)
    assert (record.status, record.stop_reason) == ("stopped", "user_stop")
    assert 3 <= record.epochs_run < LONG.epochs

    # The stored model carries the best epoch's weights: its validation loss is that epoch's.
    run, data, _ = run_files.load_trained(store, run_id)
    val_loss = float(np.mean((run.predict(data.val.x) - data.val.y) ** 2))
    best = min(h["val_loss"] for h in record.history)
    assert record.history[record.best_epoch - 1]["val_loss"] == best
    assert val_loss == pytest.approx(best, rel=1e-4)


def test_a_killed_worker_fails_its_run_and_the_pool_keeps_serving(pool):
    store = pool.store
    doomed = store.create_run(LONG, sine_frame(), "ui")
    waiting = store.create_run(TINY, sine_frame(), "ui")
    cancelled = store.create_run(TINY, sine_frame(), "ui")
    pool.submit(doomed)
    running = wait_for(lambda: (r := store.get_run(doomed, with_history=False)).status == "running" and r)
    pool.submit(waiting)
    pool.submit(cancelled)
    assert (pool.queue_position(waiting), pool.queue_position(cancelled)) == (0, 1)
    assert store.request_stop(cancelled) == "stopped"

    os.kill(running.worker_pid, signal.SIGKILL)
    failed = pool.wait(doomed, timeout=30)
    assert failed.status == "failed" and "ended during training" in failed.error
    assert f"pid {running.worker_pid}" in failed.error and "not retried" in failed.error
    # the nanny starts a fresh worker process, which trains the run that was waiting
    served = pool.wait(waiting, timeout=600)
    assert served.status == "finished", served.error
    assert served.worker_pid != running.worker_pid and served.worker_pid in pool.worker_pids()
    assert store.get_run(cancelled).status == "stopped" and store.get_run(cancelled).started is None


def test_execute_run_calls_the_epoch_hook_which_can_prune(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}")
    seen = []

    def prune_after_first(epoch, logs):
        seen.append((epoch, sorted(logs)))
        return True

    run_id = store.create_run(TINY.replace(epochs=5), sine_frame(), "sweep", study="s", trial=0)
    record = execute_run(store, run_id, on_epoch=prune_after_first)
    assert seen[0] == (1, ["loss", "val_loss"])
    assert (record.status, record.stop_reason) == ("stopped", "pruned") and record.epochs_run < 5

    too_short = store.create_run(TINY.replace(time_step=200), sine_frame(n=100), "cli")
    failed = execute_run(store, too_short)
    assert failed.status == "failed" and failed.error and "Traceback" not in failed.error
    store.close()
