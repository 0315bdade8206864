"""Train records a run that a worker process trains; Results reads it from the run store. Tiny networks.

AppTest does not drive st.fragment(run_every=...) timers: after starting, the tests wait on the
stored run (the worker pool writes it) and run the app again, as the fragment's next tick would.
"""

from __future__ import annotations

import json
import os
import time

import pytest

from components import run_client
from components.literal import unescape_literal
from components.pages import results as results_page
from components.session import state
from model.runs import run_files
from tests.components.conftest import (
    assert_clean,
    button,
    chart_titles,
    goto,
    metric,
    new_app,
    open_tab,
    price_csv,
    stored_run,
    texts,
    wait_run,
)

pytestmark = pytest.mark.slow

TINY = {"rnn_unit": 4, "layer_num": 1, "time_step": 5, "epochs": 2}


def _train_page(at, knobs: dict, **extra):
    goto(at, "train")
    for key, value in knobs.items():
        at.number_input(key=key).set_value(value)
    for key, value in extra.items():
        getattr(at, value[0])(key=key).set_value(value[1])
    at.run()
    assert_clean(at)
    return at


def _start(at) -> int:
    button(at, "Train").click().run()
    assert_clean(at)
    run_id = at.session_state[state.RUN_ID]
    assert run_id is not None
    assert at.query_params["run"] == str(run_id)  # the run is in the URL
    assert at.query_params["owner"] == at.session_state[state.OWNER]
    return run_id


def test_tiny_training_runs_in_a_worker_and_fills_results(app):
    _train_page(app, TINY)
    run_id = _start(app)
    record = wait_run(run_id)
    assert record.status == "finished", record.error
    assert record.worker_pid != os.getpid() and record.worker_pid in run_client.pool().worker_pids() + [
        record.worker_pid
    ]
    assert record.origin == "ui" and record.config["rnn_unit"] == 4
    app.run()  # what the fragment's next tick does: the finished panel
    assert_clean(app)
    assert "Stop" not in [b.label for b in app.button]
    assert not button(app, "Train").disabled
    assert any("Finished 2 epoch(s)" in s for s in texts(app, "success"))
    assert "Loss per epoch" in chart_titles(app)
    assert any(link.label.startswith(f"Run {run_id}") for link in app.get("page_link"))

    goto(app, "results")
    assert_clean(app)
    titles = chart_titles(app)
    assert "Predicted vs actual" in titles
    assert any(t.startswith("Residuals") for t in titles)
    shown = app.table[0].value
    assert list(shown.columns) == ["RMSE", "MAE", "MAPE %", "Direction %", "Skill"]
    assert shown.loc[results_page.BASELINE_LABEL, "Direction %"] == "—"
    assert metric(app, "Model RMSE") == f"{record.metric('rmse'):,.2f}"  # read from the store
    # The persistence baseline is drawn above the model; the forecast is dashed.
    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in spec["data"]]
    assert names[0] == "actual" and "persistence baseline" in names
    forecast = [t for t in spec["data"] if str(t.get("name", "")).startswith("forecast")]
    assert forecast and forecast[0]["line"]["dash"] == "dash"
    open_tab(app, "Downloads")
    assert_clean(app)
    assert [d.label for d in app.get("download_button")] == [
        "Download predictions (CSV)",
        "Download trained run (ZIP)",
    ]
    assert any(link.label.startswith(f"Run {run_id}") for link in app.get("page_link"))
    # How it was trained, from the stored provenance.
    kernel = record.provenance["kernel"]
    assert any(e.label == f"How this run was trained: {kernel} on CPU" for e in app.expander)
    assert any(f"Kernel: {kernel} on the " in c.value for c in app.caption)

    open_tab(app, "Predictions")
    app.toggle(key=results_page.SHOW_TRAIN).set_value(True).run()
    assert_clean(app)
    spec_all = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert len(spec_all["data"][0]["x"]) > len(spec["data"][0]["x"])


def _wait_first_epoch(run_id: int, timeout: float = 120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = run_client.store().get_run(run_id)
        if record.history or not record.active:
            return record
        time.sleep(0.1)
    raise AssertionError("no epoch finished")


def test_reload_reattaches_and_only_the_owner_can_stop():
    at = _train_page(new_app(), {**TINY, "epochs": 1000, "patience": 0})
    run_id = _start(at)
    owner = at.session_state[state.OWNER]
    assert _wait_first_epoch(run_id).status == "running"

    # The same link in another tab (no owner token): live progress, no Stop.
    other = goto(new_app(run=str(run_id)), "train")
    assert_clean(other)
    assert other.session_state[state.RUN_ID] == run_id
    assert "Stop" not in [b.label for b in other.button]
    assert any("only that session can stop it" in c.value for c in other.caption)
    assert state.OWNER not in other.session_state  # it started nothing, so it has no token
    from model.errors import StopRefusedError

    with pytest.raises(StopRefusedError, match="another session"):
        run_client.store().request_stop(run_id, "a-token-of-another-session")

    # A reload of the tab that started it: a new session with the same URL, Stop is there.
    reloaded = goto(new_app(run=str(run_id), owner=owner), "train")
    assert_clean(reloaded)
    assert reloaded.get("progress"), "no live progress after the reload"
    button(reloaded, "Stop").click().run()
    record = wait_run(run_id, 60)
    assert record.status == "stopped" and record.stop_reason == "user_stop"
    assert 1 <= record.epochs_run < 1000
    reloaded.run()
    assert_clean(reloaded)
    assert any("Stopped by you" in s for s in texts(reloaded, "success"))
    goto(reloaded, "results")
    assert_clean(reloaded)
    assert "Predicted vs actual" in chart_titles(reloaded)
    assert metric(reloaded, "Model RMSE") != "—"


def test_a_run_waiting_for_a_worker_says_queued_and_how_many_ahead():
    pool = run_client.pool()
    if pool.size != 1:
        pytest.skip("needs the one-worker pool the test session configures (LENS_WORKERS=1)")
    at = _train_page(new_app(), {**TINY, "epochs": 1000, "patience": 0})
    first = _start(at)
    assert _wait_first_epoch(first).status == "running"  # the only worker is busy
    from model.data import load_sample
    from model.engine.config import LstmConfig

    runs = run_client.store()
    waiting = [
        runs.create_run(LstmConfig(rnn_unit=4, time_step=5, epochs=1), load_sample("GOOG"), owner="x")
        for _ in range(2)
    ]
    for run_id in waiting:
        pool.submit(run_id)
    try:
        viewer = goto(new_app(run=str(waiting[1])), "train")
        assert_clean(viewer)
        bar = viewer.get("progress")[0]
        assert "Queued, 1 ahead" in bar.proto.text, bar.proto.text
        assert "Stop" not in [b.label for b in viewer.button]
    finally:
        for run_id in waiting:
            runs.request_stop(run_id, "x")  # queued -> cancelled at once
        runs.request_stop(first, at.session_state[state.OWNER])
    assert wait_run(first, 60).status == "stopped"


def test_next_window_mode_has_a_window_slider_and_dashed_forecast():
    at = new_app().run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("p.csv", price_csv(160), "text/csv")
    at.run()
    _train_page(at, {**TINY, "time_step": 4}, target_mode=("radio", "next_window"))
    record = wait_run(_start(at))
    assert record.status == "finished", record.error
    goto(at, "results")
    assert_clean(at)
    slider = at.slider(key=results_page.WINDOW)
    n = run_client.evaluation(record).test_windows
    assert slider.max == n and slider.value == n
    slider.set_value(1).run()
    assert_clean(at)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in spec["data"]]
    assert "LSTM, window 1" in names
    forecast = [t for t in spec["data"] if str(t.get("name", "")).startswith("forecast")][0]
    assert forecast["line"]["dash"] == "dash"
    assert len(forecast["x"]) == 4 + 1  # time_step days past the last date, plus the anchor
    assert "Error by step ahead (RMSE)" in chart_titles(at)


def test_a_failed_run_shows_its_message_and_other_runs_are_kept(app):
    """A run that fails in its worker (e.g. a NaN loss) shows the stored message; nothing else is lost."""
    good = stored_run()
    from model.data import load_sample
    from model.engine.config import LstmConfig

    runs = run_client.store()
    failed = runs.create_run(LstmConfig(rnn_unit=4, time_step=5, epochs=1), load_sample("GOOG"))
    runs.fail(failed, "Training stopped: the loss became nan in epoch 1. Lower the learning rate.")
    at = goto(new_app(run=str(failed)), "train")
    assert_clean(at)
    assert any("loss became nan" in e for e in texts(at, "error"))
    assert not button(at, "Train").disabled
    goto(at, "results")
    assert any("loss became nan" in e for e in texts(at, "error"))
    assert runs.get_run(good.id).status == "finished"  # the other run is untouched
    at = goto(new_app(run=str(good.id)), "results")
    assert_clean(at)
    assert "Predicted vs actual" in chart_titles(at)


def test_results_reads_a_stored_run_without_the_model(monkeypatch):
    """Results draws from load_evaluation: loading the model (TensorFlow) is never needed."""
    record = stored_run()

    def no_model(*args, **kwargs):
        raise AssertionError("Results must not load the model")

    monkeypatch.setattr(run_files, "load_trained", no_model)
    at = goto(new_app(run=str(record.id)), "results")
    assert_clean(at)
    assert metric(at, "Model RMSE") == f"{record.metric('rmse'):,.2f}"
    assert metric(at, "Skill") == f"{record.metric('skill'):,.3f}"
    archive = run_files.run_archive(run_client.store(), record.id)
    assert archive[:2] == b"PK"


def test_a_run_id_that_is_not_stored_is_a_warning_not_a_crash():
    at = goto(new_app(run="999999"), "train")
    assert_clean(at)
    assert any("Run 999999 from the link is not in the run store" in w for w in texts(at, "warning"))
    at = goto(new_app(run="abc"), "train")
    assert_clean(at)
    assert any("Ignored run='abc'" in unescape_literal(w) for w in texts(at, "warning"))  # shown literally
