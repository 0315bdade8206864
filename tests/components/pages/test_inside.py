"""The Inside page on a stored run: four views, each with its sentence, computed in the workers."""

from __future__ import annotations

import re

import pytest

from model.engine.config import LstmConfig
from tests.components.conftest import assert_clean, chart_titles, goto, new_app, stored_run

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def record():
    run = stored_run(config=LstmConfig(rnn_unit=6, layer_num=2, time_step=8, epochs=2))
    assert run.status == "finished", run.error
    return run


def _infos(at) -> list[str]:
    return [i.value for i in at.info] + [w.value for w in at.warning]


def test_without_a_run_the_page_says_what_to_do():
    at = goto(new_app(), "inside")
    assert_clean(at)
    # Which of the two depends on whether other tests stored runs already (one store per test session).
    assert any("No model has been trained yet" in i.value or "No run is open" in i.value for i in at.info)


def test_every_view_draws_with_its_sentence(record):
    at = goto(new_app(run=str(record.id)), "inside")
    assert_clean(at)
    titles = chart_titles(at)
    assert any("by lag" in t for t in titles), titles
    assert any("Window ending" in t for t in titles) and any(
        "Average over the test period" in t for t in titles
    )
    assert any("Hidden state h of every unit" in t for t in titles)
    assert any(t.startswith("What if") for t in titles)
    infos = "\n".join(_infos(at))
    # The lag sentence (worded from the run's verdict: repeats, momentum, or neither).
    assert any(words in infos for words in ("track yesterday's price", "line up with", "yesterday's move"))
    assert "of what moves the prediction comes from the last day" in infos
    assert re.search(
        r"Unit L\d u\d+ (strongly|moderately|weakly) (rises|falls)", infos
    )  # the selected unit, in words
    assert "The prediction goes from" in infos


def test_a_what_if_edit_moves_the_prediction(record):
    at = goto(new_app(run=str(record.id)), "inside")
    before = next(i.value for i in at.info if "The prediction goes from" in i.value)
    assert "(+0.00)" in before
    at.slider(key="inside_shift").set_value(5.0).run()
    assert_clean(at)
    after = next(i.value for i in at.info if "The prediction goes from" in i.value)
    assert "(+0.00)" not in after and "followed" in after


def test_selecting_units_over_a_stretch(record):
    at = goto(new_app(run=str(record.id)), "inside")
    at.radio(key="inside_unit_mode").set_value("Units on over a stretch of days").run()
    at.slider(key="inside_threshold").set_value(-1.0).run()  # every unit is on everywhere
    assert_clean(at)
    assert any("12 units" in m.value and "are on over the chosen days" in m.value for m in at.markdown)
