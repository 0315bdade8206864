"""Training from the Train page fills Results; Stop keeps a usable model. Tiny networks only.

AppTest does not drive st.fragment(run_every=...) timers: after starting, the tests wait on
the session's TrainingJob and run the app again, as the fragment's next tick would.
"""

from __future__ import annotations

import time

import pytest

from components.pages import results as results_page
from tests.components.conftest import assert_clean, button, chart_titles, goto, metric, new_app, price_csv, texts

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


def _start(at):
    button(at, "Train").click().run()
    assert_clean(at)
    job = at.session_state["job"]
    assert job is not None
    return job


def test_tiny_training_fills_results(app):
    _train_page(app, TINY)
    job = _start(app)
    assert job.wait(120), "training did not finish"
    assert job.error is None, job.error
    app.run()  # what the fragment's next tick does: store the result and its evaluation
    assert_clean(app)
    assert "Stop" not in [b.label for b in app.button]
    assert not button(app, "Train").disabled
    assert any("Finished 2 epoch(s)" in s for s in texts(app, "success"))
    assert "Loss per epoch" in chart_titles(app)
    evaluation = app.session_state["evaluation"]
    assert list(evaluation.metrics.index) == ["model", "persistence"]

    goto(app, "results")
    assert_clean(app)
    titles = chart_titles(app)
    assert "Predicted vs actual" in titles
    assert any(t.startswith("Residuals") for t in titles)
    shown = app.table[0].value
    assert list(shown.columns) == ["RMSE", "MAE", "MAPE %", "Direction %", "Skill"]
    assert shown.loc[results_page.BASELINE_LABEL, "Direction %"] == "—"
    assert metric(app, "Model RMSE") != "—"
    assert [d.label for d in app.get("download_button")] == [
        "Download predictions (CSV)",
        "Download trained run (ZIP)",
    ]
    # The persistence baseline is the third line; the forecast is dashed.
    import json

    spec = json.loads(app.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in spec["data"]]
    assert names[0] == "actual" and "persistence baseline" in names
    forecast = [t for t in spec["data"] if str(t.get("name", "")).startswith("forecast")]
    assert forecast and forecast[0]["line"]["dash"] == "dash"

    app.toggle(key=results_page.SHOW_TRAIN).set_value(True).run()
    assert_clean(app)
    spec_all = json.loads(app.get("plotly_chart")[0].proto.spec)
    assert len(spec_all["data"][0]["x"]) > len(spec["data"][0]["x"])



def test_stop_keeps_a_usable_model():
    at = _train_page(new_app(), {**TINY, "epochs": 1000, "patience": 0})
    job = _start(at)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # stop once at least one epoch has finished
        progress = job.progress
        if progress is not None and progress.history:
            break
        time.sleep(0.1)
    at.run()  # the live panel shows the Stop button while training runs
    assert_clean(at)
    if job.running:
        button(at, "Stop").click().run()
        assert job.stop_event.is_set()
    assert job.wait(60), "Stop did not end training"
    at.run()
    assert_clean(at)
    result = at.session_state["result"]
    assert result.run.stopped_reason == "user_stop"
    assert 1 <= len(result.run.history) < 1000
    assert any("Stopped by you" in s for s in texts(at, "success"))
    goto(at, "results")
    assert_clean(at)
    assert "Predicted vs actual" in chart_titles(at)
    assert metric(at, "Model RMSE") != "—"


def test_next_window_mode_has_a_window_slider_and_dashed_forecast():
    at = new_app().run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("p.csv", price_csv(160), "text/csv")
    at.run()
    _train_page(at, {**TINY, "time_step": 4}, target_mode=("radio", "next_window"))
    job = _start(at)
    assert job.wait(120) and job.error is None, job.error
    goto(at, "results")
    assert_clean(at)
    slider = at.slider(key=results_page.WINDOW)
    n = at.session_state["evaluation"].test_windows
    assert slider.max == n and slider.value == n
    slider.set_value(1).run()
    assert_clean(at)
    import json

    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in spec["data"]]
    assert "LSTM, window 1" in names
    forecast = [t for t in spec["data"] if str(t.get("name", "")).startswith("forecast")][0]
    assert forecast["line"]["dash"] == "dash"
    assert len(forecast["x"]) == 4 + 1  # time_step days past the last date, plus the anchor
    assert "Error by step ahead (RMSE)" in chart_titles(at)


def test_training_failure_shows_message_and_keeps_previous_results(app, monkeypatch):
    """A job that fails (e.g. a NaN loss) shows its message; nothing else is lost."""
    from model import jobs

    class FailingJob(jobs.TrainingJob):
        def _work(self):
            self.error = "Training stopped: the loss became nan in epoch 1. Lower the learning rate."

    monkeypatch.setattr(jobs, "TrainingJob", FailingJob)
    goto(app, "train")
    job = _start(app)
    job.wait(10)
    app.run()
    assert_clean(app)
    assert any("loss became nan" in e for e in texts(app, "error"))
    assert app.session_state.get("result") is None
    goto(app, "results")
    assert any("No model has been trained yet" in t for t in texts(app, "info"))


def test_an_interrupted_scoring_run_is_retried_not_lost(app, monkeypatch):
    """Switching pages while the finished model is scored interrupts that run (Streamlit raises
    StopException/RerunException, BaseExceptions); the next run must score it again."""
    from types import SimpleNamespace

    from streamlit.runtime.scriptrunner_utils.exceptions import StopException

    from model import evaluation as evaluation_module

    calls = []

    def flaky_evaluate(run, data):
        calls.append(run)
        if len(calls) == 1:
            raise StopException()
        return SimpleNamespace(metrics=None, marker="scored")

    monkeypatch.setattr(evaluation_module, "evaluate", flaky_evaluate)
    result = SimpleNamespace(run="run", data="data", summary="done")
    app.session_state["job"] = SimpleNamespace(running=False, error=None, result=result)
    app.run()  # interrupted while scoring
    assert app.session_state.get("result") is None
    app.run()  # scored again
    assert len(calls) == 2
    assert app.session_state["result"] is result
    assert app.session_state["evaluation"].marker == "scored"
