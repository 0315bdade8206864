"""An opened run is the subject of Results, Shapes and Inside: one line says which run it is, the
run's own prices are used whatever Data holds, and a different table on Data gets one calm note
with an action (never "train again" after a reload). The first visit and missing runs say what to do."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from components import widgets
from components.literal import unescape_literal
from components.pages import data as data_page
from components.session import knobs, state
from model.data import load_sample
from model.engine.config import LstmConfig
from tests.components.conftest import assert_clean, button, goto, new_app, stored_run, texts


def _text(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + texts(at, "info")
    return unescape_literal("\n".join(parts + texts(at, "warning")))


@pytest.mark.parametrize(
    ("description", "name"),
    [
        ("Bundled sample: SYNTH, synthetic daily series (trend + cycles + AR noise, fixed seed), 2000-01-03 to "
         "2011-07-01 · 3,000 rows", "SYNTH"),
        ("Bundled sample: GOOG daily, 2004-08-19 to 2013-03-01 (bokeh_sampledata, public domain)", "GOOG"),
        ("Yahoo Finance via yfinance: BRK-B 1d, 2021-01-04 to 2026-12-07 · 1,490 rows", "BRK-B"),
        ("Uploaded CSV: my prices.csv, 120 rows, 2020-01-01 to 2020-06-16", "my prices.csv"),
        ("Uploaded CSV: mine.csv (restored from the link) · 260 rows", "mine.csv"),
        ("price table · 40 rows", "price table"),
    ],
)  # fmt: skip
def test_data_name_is_the_short_name_of_a_runs_data(description, name):
    assert widgets.data_name(description) == name


def test_run_line_says_what_the_run_is():
    record = SimpleNamespace(
        id=12, status="finished", active=False, epochs_run=5, data_description="Bundled sample: SYNTH, synthetic · 3,000 rows",
        config={"rnn_unit": 16, "layer_num": 3, "time_step": 30},
    )  # fmt: skip
    assert widgets.run_line(record) == "Run 12 · SYNTH · 16x3, time_step 30 · trained 5 epochs"
    running = SimpleNamespace(**{**vars(record), "status": "running", "active": True, "epochs_run": 1})
    assert widgets.run_line(running).endswith("· training (1 epoch so far)")


@pytest.fixture(scope="module")
def ibm_run():
    run = stored_run(load_sample("IBM"), config=LstmConfig(rnn_unit=6, layer_num=2, time_step=8, epochs=2))
    assert run.status == "finished", run.error
    return run


@pytest.mark.process
@pytest.mark.parametrize("page", ["results", "inside"])
def test_an_opened_run_is_the_subject_with_a_calm_note_about_other_data(ibm_run, page):
    at = goto(new_app(run=str(ibm_run.id)), page)  # Data holds SYNTH
    assert_clean(at)
    body = _text(at)
    assert f"Run {ibm_run.id} · IBM · 6x2, time_step 8 · trained 2 epochs" in body
    assert (
        f"This page shows run {ibm_run.id} on the prices it was trained on; the Data page now holds SYNTH."
        in body
    )
    assert "train again" not in body.lower()
    assert button(at, widgets.RETRAIN_LABEL)


@pytest.mark.process
def test_the_note_goes_when_data_holds_the_runs_prices_and_its_action_opens_train(ibm_run):
    at = goto(new_app(run=str(ibm_run.id), data="IBM"), "results")  # a reload of the same data
    assert_clean(at)
    assert f"Run {ibm_run.id} · IBM" in _text(at)
    assert not [b for b in at.button if b.label == widgets.RETRAIN_LABEL]
    at.switch_page("views/data.py").run()
    at.selectbox(key="sample_ticker").set_value("AAPL").run()
    goto(at, "results")
    button(at, widgets.RETRAIN_LABEL).click().run()
    assert_clean(at)
    assert at.title[0].value == "Train"
    assert at.session_state[knobs.value_key("rnn_unit")] == 6
    assert at.number_input(key="time_step").value == 8
    assert "AAPL" in at.session_state[state.PRICES].source  # the settings go to the prices now loaded


@pytest.mark.process
def test_an_unknown_run_says_it_does_not_exist_and_how_to_open_one(ibm_run):
    at = goto(new_app(run="999999"), "results")
    assert_clean(at)
    body = _text(at)
    assert (
        "Run 999999 does not exist (it was never made, or was deleted). Open a stored run on the Runs page"
        in body
    )
    assert "No model has been trained yet" not in body  # runs exist
    assert [p for p in at.get("page_link") if "Runs" in p.proto.label]
    first = new_app(run="999999").run()  # the page the link opened warns too, in the same words
    assert "Run 999999 from the link is not in the run store: it does not exist" in _text(first)


def test_the_first_visit_says_what_lstm_lens_does_and_links_to_train():
    at = new_app().run()
    assert_clean(at)
    body = _text(at)
    assert data_page.INTRO in body and data_page.NEXT_STEP in body
    links = [p for p in at.get("page_link") if "Train" in p.proto.label]
    assert links and links[0].proto.page.endswith("train")


def test_too_little_data_names_the_largest_time_step():
    config = LstmConfig(time_step=300)
    message, fits = data_page.trainability_message(300, config)
    longest = data_page.longest_time_step(300, config)
    assert not fits and 2 <= longest < 300
    assert f"lower it to {longest} or less on the Train page" in message


def test_the_data_page_says_the_largest_time_step_a_short_file_allows():
    from tests.components.conftest import price_csv

    at = new_app(time_step="100").run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("short.csv", price_csv(120), "text/csv")
    at.run()
    assert_clean(at)
    longest = data_page.longest_time_step(120, LstmConfig(time_step=100))
    assert any(
        f"The current time_step 100 is too long for this data: lower it to {longest} or less" in w
        for w in map(unescape_literal, texts(at, "warning"))
    ), texts(at, "warning")
