"""The Explainer page on a stored run: the tour's stops, Back / Next, the stop and day in the link."""

from __future__ import annotations

import pytest

from model.engine.config import LstmConfig
from tests.components.conftest import assert_clean, button, chart_titles, new_app, stored_run

pytestmark = pytest.mark.slow

TOUR = "views/tour.py"


@pytest.fixture(scope="module")
def record():
    run = stored_run(config=LstmConfig(rnn_unit=3, layer_num=2, time_step=4, epochs=1))
    assert run.status == "finished", run.error
    return run


def _open(**query):
    at = new_app(**query)
    at.run()
    at.switch_page(TOUR).run()
    return at


def _stop_heading(at) -> str:
    return next(m.value for m in at.markdown if m.value.startswith("**Stop "))


def test_without_a_run_the_page_says_what_to_do():
    at = _open()
    assert_clean(at)
    assert any("No trained model to explain yet" in i.value for i in at.info)


def test_next_and_back_walk_every_stop(record):
    at = _open(run=str(record.id))
    assert_clean(at)
    count = 3 + 2 * 4 + 3  # window, inputs, projection, 2 layers x 4 steps, output, prediction, memory
    assert _stop_heading(at) == f"**Stop 1 of {count} · The window**"
    assert any("Test period: pick a day" in t for t in chart_titles(at))
    seen = []
    for k in range(count - 1):
        button(at, "Next").click().run()
        assert_clean(at)
        seen.append(_stop_heading(at))
        assert at.query_params["stop"] == [str(k + 2)] or at.query_params["stop"] == str(k + 2)
    assert seen[2] == f"**Stop 4 of {count} · Layer 1, step 1 of 4**"
    assert seen[-1].endswith("How far back it remembers**")
    infos = "\n".join(i.value for i in at.info)
    assert "It uses the last" in infos and "of its 4 days" in infos
    assert button(at, "Next").disabled
    button(at, "Back").click().run()
    assert _stop_heading(at).endswith("The prediction**")
    infos = "\n".join(i.value for i in at.info)
    assert "the model predicts" in infos and "persistence" in infos
    assert any("the prediction beside persistence" in t for t in chart_titles(at))


def test_a_link_reproduces_a_stop_of_a_day(record):
    from components import run_client
    from model.runs import run_files

    test = run_files.load_evaluation(run_client.store(), record.id).split("test")
    day = f"{test['date'].iloc[len(test) // 2]:%Y-%m-%d}"
    # the cell at layer 2, step 3 is stop 3 + 4 + 3 = 10
    linked = _open(run=str(record.id), day=day, stop="10")
    assert_clean(linked)
    assert _stop_heading(linked).endswith("Layer 2, step 3 of 4**")
    assert any(t.startswith("The cell at layer 2, step 3") for t in chart_titles(linked))
    assert any(f"(now {day})" in t for t in chart_titles(linked))
    assert linked.session_state["tour_day"] == day
    # A bad stop or day in the link: a plain warning, and the tour still shows.
    bad = _open(run=str(record.id), stop="zero", day="2012-13-40")
    assert_clean(bad)
    warnings = "\n".join(w.value for w in bad.warning)
    assert "Ignored stop='zero'" in warnings and "Ignored day='2012-13-40'" in warnings
    assert _stop_heading(bad).startswith("**Stop 1 of")
    # A real date that is not a test day: said, and the last test day shown.
    outside = _open(run=str(record.id), day="1990-01-02")
    assert_clean(outside)
    assert any("is not a test day of this run" in w.value for w in outside.warning)


def test_play_walks_the_stops_and_ends_at_the_last(record):
    at = _open(run=str(record.id), stop="12")
    count = 3 + 2 * 4 + 3
    at.toggle(key="tour_play").set_value(True).run()
    assert_clean(at)
    assert _stop_heading(at).startswith(f"**Stop 12 of {count}")
    for k in (13, 14):  # each rerun while playing is a tick of the fragment's timer
        at.run()
        assert _stop_heading(at).startswith(f"**Stop {k} of {count}")
    at.run()  # past the last stop: Play ends there
    assert_clean(at)
    assert at.toggle(key="tour_play").value is False
    assert _stop_heading(at).startswith(f"**Stop {count} of {count}")


def test_toy_mode_trains_the_toy_and_shows_every_number():
    from tests.components.conftest import wait_run

    at = _open()
    button(at, "Train the toy network on the loaded prices").click().run()
    assert_clean(at)
    run_id = at.session_state["run_id"]
    assert wait_run(run_id, timeout=240).status == "finished"
    at.run()
    assert_clean(at)
    assert _stop_heading(at) == "**Stop 1 of 11 · The window**"  # 3 + 5 steps x 1 layer + 3
    assert any(
        t.startswith("Every number of the window (5 steps × 2 units × 1 layer(s))") for t in chart_titles(at)
    )


def test_training_replay_shows_the_day_after_each_epoch(record):
    at = _open(run=str(record.id), stop="10")
    assert_clean(at)
    assert any(s.value == "Training replay" for s in at.subheader)
    titles = chart_titles(at)
    assert any(t.startswith("Prediction by epoch, ") for t in titles)
    assert "Layer 2, step 3 after epoch 1" in titles  # the replayed cell follows the stop
    assert any("After epoch 1 the model predicted" in c.value for c in at.caption)
