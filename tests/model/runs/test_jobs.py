"""Quick jobs (WorkerPool.call) answered by the warm workers: results, messages, a job while a run
trains, a worker killed mid-job, a timeout; and the Inside jobs on a real stored run."""

from __future__ import annotations

import os
import signal
import time

import numpy as np
import pytest

from model.runs.workers import JobError, WorkerPool
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY, wait_for

pytestmark = pytest.mark.slow

LONG = TINY.replace(epochs=500, batch_size=8)


@pytest.fixture(scope="module")
def pool(tmp_path_factory):
    root = tmp_path_factory.mktemp("jobs")
    with WorkerPool(f"sqlite:///{root / 'lens.db'}", workers=2, threads=1) as started:
        assert started.wait_ready(600)  # a loaded 2-core machine: TensorFlow imports slowly
        yield started


@pytest.fixture(scope="module")
def trained_run(pool):
    run_id = pool.store.create_run(TINY.replace(epochs=3), sine_frame(), "ui", owner="me")
    pool.submit(run_id)
    record = pool.wait(run_id, timeout=180)
    assert record.status == "finished", record.error
    return run_id


def test_a_job_answers_in_a_worker_and_failures_come_back_as_messages(pool):
    assert pool.call("ping") in pool.worker_pids()
    with pytest.raises(JobError, match="No such job: 'nope'"):
        pool.call("nope")
    with pytest.raises(JobError, match="There is no run 99999"):
        pool.call("leak_demo", 99999)
    assert pool.call("ping") in pool.worker_pids()  # the worker kept serving


def test_quick_jobs_are_answered_while_every_worker_trains(pool):
    store = pool.store
    runs = [store.create_run(LONG, sine_frame(), "ui", owner="me") for _ in range(2)]
    other = store.create_run(TINY, sine_frame(), "ui", owner="me")
    try:
        for run_id in runs:
            pool.submit(run_id)
        training = [
            wait_for(
                lambda r=run_id: (x := store.get_run(r, with_history=False)).status == "running" and x, 300
            )
            for run_id in runs
        ]
        assert {r.worker_pid for r in training} == set(pool.worker_pids())  # both workers train
        # a third run waits for a worker; quick jobs do not (a LONG run trains for minutes)
        pool.submit(other)
        assert pool.queue_position(other) == 0
        answered = {pool.call("ping", timeout=60) for _ in range(4)}
        assert answered <= set(pool.worker_pids())
        x = np.zeros((1, TINY.time_step, TINY.input_size), np.float32)
        assert pool.call("shape_trace", TINY.to_dict(), None, x, 1, timeout=120)["trace"]
        assert all(store.get_run(r, with_history=False).status == "running" for r in runs)
    finally:  # a failure above must not leave both workers training for the next tests
        for run_id in runs:
            store.request_stop(run_id, owner="me")
    assert [pool.wait(r, timeout=240).status for r in runs] == ["stopped", "stopped"]
    assert pool.wait(other, timeout=240).status == "finished"


def test_a_worker_killed_mid_job_fails_the_job_and_is_replaced(pool):
    pids = set(pool.worker_pids())
    done = {}

    def call():
        try:
            done["value"] = pool.call("sleep", 30, timeout=60)
        except JobError as exc:
            done["error"] = str(exc)

    import threading

    thread = threading.Thread(target=call)
    thread.start()
    time.sleep(1.0)
    info = pool.workers_info()
    busy = [info[a]["pid"] for a, keys in pool.client.processing().items() if any("sleep" in k for k in keys)]
    assert len(busy) == 1
    os.kill(busy[0], signal.SIGKILL)
    thread.join(30)
    assert "died" in done["error"] and "'sleep'" in done["error"]
    wait_for(lambda: pool.wait_ready(1) and busy[0] not in pool.worker_pids(), timeout=600)
    assert pool.call("ping") in set(pool.worker_pids()) - {busy[0]}
    assert set(pool.worker_pids()) != pids


def test_a_job_that_takes_too_long_times_out_with_a_message(pool):
    with pytest.raises(JobError, match="did not answer 'sleep' within 1 s"):
        pool.call("sleep", 3, timeout=1)
    time.sleep(2.5)
    assert pool.call("ping") in pool.worker_pids()


def test_a_posted_job_loads_a_run_without_waiting_and_a_later_call_finds_it(pool, trained_run):
    t0 = time.monotonic()
    pool.post("load_run", trained_run)
    pool.post("load_run", 99999)  # a failure nobody waits for is dropped
    assert time.monotonic() - t0 < 0.5
    assert pool.call("inside_what_if", trained_run, 0, timeout=60).date


def test_the_inside_jobs_on_a_stored_run(pool, trained_run):
    from model.inside.attribution import attribution_view

    result = pool.call("inside_attributions", trained_run, steps=32, timeout=120)
    record = result["record"]
    assert record.attributions.shape[1:] == (TINY.time_step, TINY.input_size)
    assert len(result["dates"]) == len(record.prediction)
    view = attribution_view(record, 0, result["features"])
    assert "of what moves the prediction" in view.sentence

    units = pool.call("inside_units", trained_run, timeout=120)
    assert units["states"].h.shape == (len(result["dates"]), TINY.layer_num * TINY.rnn_unit)

    same = pool.call("inside_what_if", trained_run, 0, timeout=60)
    assert np.allclose(same.original, same.edited)
    moved = pool.call("inside_what_if", trained_run, 0, shift_pct=5.0, timeout=60)
    assert moved.edited_last_price == pytest.approx(same.last_price * 1.05)
    assert not np.allclose(moved.original, moved.edited)
    assert np.allclose(moved.original, same.original)

    demo = pool.call("leak_demo", trained_run, timeout=120)
    assert set(demo.leaked.index) >= {"model"}
