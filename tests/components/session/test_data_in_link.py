"""The data source and the walk-forward options live in the link: a reload (a new session with the
same URL) or a shared link loads the same prices and shows the same options; bad values are
warnings in plain words."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from components.literal import unescape_literal
from components.session import links, state
from model.data import SAMPLE_TICKERS, YF_INTERVALS, load_csv
from model.runs import files
from tests.components.conftest import assert_clean, goto, new_app, price_csv


def _warnings(at) -> str:
    return " ".join(unescape_literal(w.value) for w in at.warning)


def _reload(at, page: str = "data"):
    """A new session opened on the same URL (what a reload or a shared link does)."""
    again = new_app(**dict(at.query_params))
    if page == "data":
        return again.run()
    return goto(again, page)


SOURCES = st.one_of(
    st.sampled_from(SAMPLE_TICKERS).map(lambda t: links.DataSource(links.SAMPLE, t)),
    st.builds(
        lambda t, d, n, i: links.DataSource(links.YAHOO, t, d.isoformat(), (d + n).isoformat(), i),
        st.from_regex(r"[A-Z0-9^.=-]{1,8}", fullmatch=True),
        st.dates(min_value=dt.date(1970, 1, 1), max_value=dt.date(2100, 1, 1)),
        st.timedeltas(min_value=dt.timedelta(days=1), max_value=dt.timedelta(days=9000)),
        st.sampled_from(YF_INTERVALS),
    ),
    st.from_regex(r"[0-9a-f]{32}", fullmatch=True).map(lambda fp: links.DataSource(links.CSV, fp)),
)


@settings(max_examples=200, deadline=None)
@given(SOURCES)
def test_a_data_source_reads_back_from_its_link_text(source):
    assert links.read_data_source(source.link_text()).value == source


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=60))
def test_a_data_source_is_read_or_refused_in_words(raw):
    read = links.read_data_source(raw)
    assert (read.value is None) != (read.warning is None)
    if read.warning:
        assert read.warning.startswith("Ignored data=") and len(read.warning) < 400


def test_the_default_data_is_synth_and_in_the_link():
    at = new_app().run()
    assert_clean(at)
    assert "SYNTH" in at.session_state[state.PRICES].source
    assert at.query_params["data"] == "SYNTH"


def test_a_shared_link_loads_its_sample_and_shows_it():
    at = goto(new_app(data="ibm"), "train")  # opened on another page: the data is loaded there too
    assert_clean(at)
    assert "IBM" in at.session_state[state.PRICES].source
    goto(at, "data")
    assert at.radio(key="data_source").value == "Bundled sample"
    assert at.selectbox(key="sample_ticker").value == "IBM"
    assert at.query_params["data"] == "IBM"


def test_a_reload_keeps_the_sample_picked():
    at = new_app().run()
    at.selectbox(key="sample_ticker").set_value("MSFT").run()
    again = _reload(at, "results")
    assert_clean(again)
    assert "MSFT" in again.session_state[state.PRICES].source


def test_an_uploaded_csv_is_restored_by_its_fingerprint():
    content = price_csv(260, seed=7)
    at = new_app().run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("mine.csv", content, "text/csv")
    at.run()
    assert_clean(at)
    fp = files.fingerprint(load_csv(content).frame)
    assert at.query_params["data"] == f"csv:{fp}"
    again = _reload(at)
    assert_clean(again)
    restored = again.session_state[state.PRICES]
    assert files.fingerprint(restored.frame) == fp
    assert "mine.csv" in restored.source
    assert again.radio(key="data_source").value == "CSV upload"


def test_a_yahoo_link_downloads_its_ticker_and_days(monkeypatch):
    asked = {}

    def fake(ticker, start, end, interval):
        asked.update(ticker=ticker, start=start, end=end, interval=interval)
        return load_csv(price_csv(200))

    monkeypatch.setattr(state, "load_yfinance", fake)
    at = new_app(data="yahoo:aapl:2021-01-04:2022-06-30:1wk").run()
    assert_clean(at)
    assert asked == {"ticker": "AAPL", "start": "2021-01-04", "end": "2022-07-01", "interval": "1wk"}
    assert at.radio(key="data_source").value == "Yahoo Finance"
    assert at.text_input(key="yf_ticker").value == "AAPL"
    assert str(at.date_input(key="yf_end").value) == "2022-06-30"
    assert at.query_params["data"] == "yahoo:AAPL:2021-01-04:2022-06-30:1wk"


def test_bad_data_in_the_link_is_a_plain_warning_and_synth_stays():
    at = new_app(data="NOPE").run()
    assert_clean(at)
    assert "Ignored data='NOPE' from the link: the data source is a sample (AAPL" in _warnings(at)
    assert "SYNTH" in at.session_state[state.PRICES].source
    missing = new_app(data="csv:" + "0" * 32).run()
    assert_clean(missing)
    text = _warnings(missing)
    assert (
        "is not stored on this server; upload the file again" in text
        and "Using Bundled sample: SYNTH" in text
    )


def test_walk_forward_options_come_from_the_link_and_go_back_to_it():
    at = goto(new_app(folds="3", fold_mode="warm", seeds="2"), "train")
    assert_clean(at)
    assert at.number_input(key="train_folds").value == 3
    assert at.selectbox(key="train_fold_mode").value == "warm"
    assert at.number_input(key="train_seeds").value == 2
    at.number_input(key="train_folds").set_value(5).run()
    assert at.query_params["folds"] == "5"
    goto(at, "runs")  # off the Train page the options stay in the link
    assert at.query_params["fold_mode"] == "warm" and at.query_params["folds"] == "5"
    again = _reload(at, "train")
    assert again.number_input(key="train_folds").value == 5
    again.number_input(key="train_folds").set_value(0).run()
    assert "folds" not in again.query_params  # the default stays out of the link


def test_bad_walk_forward_options_are_plain_warnings():
    at = new_app(folds="many", fold_mode="sideways", seeds="99").run()
    assert_clean(at)
    text = _warnings(at)
    assert "folds takes a whole number from 0 to 20; ignored 'many' from the link." in text
    assert "fold_mode takes refit or warm; ignored 'sideways' from the link." in text
    assert "seeds takes a whole number from 1 to 10; ignored '99' from the link." in text


def test_knob_warnings_use_plain_words_not_pythons():
    at = new_app(time_step="abc", learning_rate="fast", share_cell="maybe").run()
    assert_clean(at)
    text = _warnings(at)
    assert "time_step takes a whole number from 2 to 365; ignored 'abc' from the link." in text
    assert "learning_rate takes a number from" in text and "share_cell takes true or false" in text
    assert "could not convert" not in text
