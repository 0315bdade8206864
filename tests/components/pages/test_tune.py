"""The Tune page in AppTest: start a tiny study (real detached worker processes), see trials appear
in the live panel, stop it; the panel's record is computed without Streamlit."""

import time

import pytest

from components.pages.tune import log_grid
from tests.components.conftest import assert_clean, new_app


def wait_until(at, predicate, timeout=240.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        at.run()
        assert_clean(at)
        if predicate(at):
            return
        time.sleep(1.0)
    raise AssertionError(f"not reached; page text: {[m.value for m in at.markdown][:10]}")


def board(at):
    frames = [d.value for d in at.dataframe]
    return frames[0] if frames else None


def metric_value(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_log_grid_covers_the_knob_range_in_1_2_5_steps():
    assert log_grid(1e-4, 1e-2) == pytest.approx([1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 1e-2])


@pytest.mark.process  # a study and its worker processes
def test_start_a_tiny_study_see_trials_appear_and_stop_it():
    from model.sweep import study as studies

    at = new_app()
    at.run()
    at.switch_page("views/tune.py").run()
    assert_clean(at)
    assert any("validation period" in c.value for c in at.caption)  # the page says how trials are scored
    at.checkbox(key="tune_search_layer_num").uncheck().run()
    at.slider(key="tune_range_rnn_unit").set_value((2, 4)).run()
    at.slider(key="tune_range_time_step").set_value((5, 6)).run()
    at.number_input(key="tune_epochs").set_value(1)
    at.number_input(key="tune_trials").set_value(30)
    at.number_input(key="tune_workers").set_value(1)
    at.text_input(key="tune_name").input("apptest")
    at.button(key="tune_start").click().run()
    assert_clean(at)
    assert at.query_params["study"] == ["apptest"] or at.query_params["study"] == "apptest"
    try:
        wait_until(at, lambda a: board(a) is not None and (board(a)["state"] == "complete").sum() >= 1)
        first = board(at)
        assert {
            "trial",
            "state",
            "rnn_unit",
            "time_step",
            "learning_rate",
            "val_loss",
            "epochs",
            "seconds",
        } <= set(first.columns)
        assert any("Best so far" in s.value for s in at.success)
        at.button(key="tune_stop").click().run()
        assert_clean(at)
    finally:
        studies.request_stop("apptest")  # never leave workers behind, whatever failed above
    wait_until(at, lambda a: any("No worker is running" in c.value for c in a.caption))
    study = studies.open_study("apptest")
    assert studies.stop_requested(study) and studies.workers_alive(study) == 0
    assert len(studies.counted_trials(study)) < 30  # stopped long before the budget
    assert at.button(key="tune_resume")  # a stopped study can be resumed
