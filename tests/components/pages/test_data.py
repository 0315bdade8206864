"""Data page: uploads, column mapping and download failures never lose the data already loaded."""

from __future__ import annotations

import pytest

from components.literal import markdown_literal
from components.pages import data as data_page
from components.session.state import PRICES
from model.errors import SourceUnavailableError
from tests.components.conftest import assert_clean, button, metric, plotly_specs, price_csv, texts


def _choose(at, source: str):
    at.run() if PRICES not in at.session_state else None
    at.radio(key="data_source").set_value(source).run()
    assert_clean(at)
    return at


def _upload(at, name: str, content: bytes):
    at.file_uploader(key="csv_file").upload(name, content, "text/csv")
    at.run()
    assert_clean(at)
    return at


def test_csv_upload_replaces_the_data(app):
    _upload(_choose(app, "CSV upload"), "prices.csv", price_csv(150))
    prices = app.session_state[PRICES]
    assert len(prices.frame) == 150 and "prices.csv" in prices.source
    assert metric(app, "Rows") == "150"
    assert not texts(app, "error")
    assert plotly_specs(app)


@pytest.mark.parametrize(
    "content, message",
    [
        (b"\x00\x01\x02\xff\xfe garbage \x00" * 200, "does not look like a CSV"),
        (b"alpha,beta,gamma\nx,y,z\nu,v,w\n", "No date column found"),
        (b"", "empty"),
    ],
    ids=["binary", "unknown-layout", "empty"],
)
def test_bad_upload_shows_message_and_keeps_previous_data(app, content, message):
    _choose(app, "CSV upload")
    before = app.session_state[PRICES]
    _upload(app, "bad.csv", content)
    errors = " ".join(texts(app, "error"))
    assert message in errors, errors
    assert "Still using the data you had" in errors
    assert app.session_state[PRICES] is before
    assert plotly_specs(app), "the previous data is still drawn"


def _german_csv(rows: int = 120) -> bytes:
    """Headers the loader cannot place: no date-like name and a numeric first column."""
    import io

    import pandas as pd

    frame = pd.read_csv(
        io.BytesIO(price_csv(rows, header=("Tag", "Erster", "Hoch", "Tief", "Schluss", "Umsatz")))
    )
    frame.insert(0, "Nr", range(1, rows + 1))
    return frame.to_csv(index=False).encode()


def test_unknown_layout_offers_column_mapping_that_loads(app):
    _upload(_choose(app, "CSV upload"), "german.csv", _german_csv())
    before = app.session_state[PRICES]
    assert "german.csv" not in before.source
    assert any(markdown_literal("german.csv") in e for e in texts(app, "error"))  # shown literally
    assert app.selectbox(key="map_date").options == [
        "Nr",
        "Tag",
        "Erster",
        "Hoch",
        "Tief",
        "Schluss",
        "Umsatz",
    ]
    app.selectbox(key="map_date").set_value("Tag")
    app.selectbox(key="map_close").set_value("Schluss")
    app.selectbox(key="map_open").set_value("Erster")
    app.selectbox(key="map_high").set_value("Hoch")
    app.selectbox(key="map_low").set_value("Tief")
    app.selectbox(key="map_volume").set_value("Umsatz")
    app.run()
    button(app, "Load with this mapping").click().run()
    assert_clean(app)
    prices = app.session_state[PRICES]
    assert prices is not before and "german.csv" in prices.source
    assert {"open", "high", "low", "close", "volume"} <= set(prices.columns)
    assert not texts(app, "error")


def test_handle_upload_function_keeps_data_on_failure(app):
    """handle_upload is also usable without the widget (what the mapping form calls)."""
    app.run()
    # AppTest's session_state is reachable only from the script; run the function there.
    from streamlit.testing.v1 import AppTest

    def script():
        import streamlit as st

        from components.pages import data as data_page
        from components.session import state

        first = state.get_prices()
        ok = data_page.handle_upload(b"date,close\n2020-01-01,abc\n2020-01-02,3\n", "broken.csv")
        st.write(f"ok={ok}")
        st.write(f"kept={state.get_prices() is first}")
        st.write(f"error={st.session_state[state.DATA_ERROR]}")

    at = AppTest.from_function(script, default_timeout=30).run()
    assert_clean(at)
    lines = [m.value for m in at.markdown]
    assert "ok=False" in lines and "kept=True" in lines
    assert any("Column 'close' is not numeric" in line for line in lines)


def test_yfinance_unreachable_shows_clear_message_and_keeps_data(app, monkeypatch):
    calls = []

    def unreachable(ticker, **kwargs):
        calls.append(ticker)
        raise SourceUnavailableError(
            f"yfinance returned no rows for '{ticker}'. Either the ticker does not exist / has no data in "
            "that range, or Yahoo Finance cannot be reached (no network)."
        )

    monkeypatch.setattr(data_page, "load_yfinance", unreachable)
    _choose(app, "Yahoo Finance")
    before = app.session_state[PRICES]
    app.text_input(key="yf_ticker").set_value("NOSUCH").run()
    button(app, "Download").click().run()
    assert_clean(app)
    assert calls == ["NOSUCH"]
    errors = " ".join(texts(app, "error"))
    assert "NOSUCH" in errors and "cannot be reached" in errors and "Still using the data you had" in errors
    assert app.session_state[PRICES] is before


def test_yfinance_success_replaces_data(app, monkeypatch):
    from model.data import load_csv

    def fake(ticker, **kwargs):
        table = load_csv(price_csv(200))
        return table

    monkeypatch.setattr(data_page, "load_yfinance", fake)
    _choose(app, "Yahoo Finance")
    button(app, "Download").click().run()
    assert_clean(app)
    assert len(app.session_state[PRICES].frame) == 200


def test_picking_a_sample_loads_it_at_once(app):
    app.run()
    assert "SYNTH" in app.session_state[PRICES].source  # the default sample
    assert not [b for b in app.button if b.label == "Load sample"]  # no button to press
    app.selectbox(key="sample_ticker").set_value("IBM").run()
    assert_clean(app)
    assert "IBM" in app.session_state[PRICES].source
    assert app.query_params["data"] == "IBM"
    assert "IBM" in " ".join(texts(app, "text"))  # the source line names the table in use


def test_back_to_the_sample_source_loads_the_sample_shown(app, monkeypatch):
    _upload(_choose(app, "CSV upload"), "mine.csv", price_csv(300))
    assert "mine.csv" in app.session_state[PRICES].source
    _choose(app, "Bundled sample")
    assert_clean(app)
    shown = app.selectbox(key="sample_ticker").value
    assert shown in app.session_state[PRICES].source  # never the CSV under the sample's name


def test_source_choice_survives_page_switch(app):
    from tests.components.conftest import goto

    _choose(app, "Yahoo Finance")
    goto(app, "train")
    goto(app, "data")
    assert app.radio(key="data_source").value == "Yahoo Finance"


# ---------------------------------------------------------------------------------------------
# Issue 12 through the page: hostile files, literal names, rows and the longest time_step
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content",
    [
        b"Date,Close\n2024-01-02,1e300\n2024-01-03,2\n",
        b"\xff\xfe\x00\x00garbage",
        "Datum;Schluss\n02.01.2024;1,5\n03.01.2024;nan\n".encode("utf-16"),
        b"sep=|\n",
        b"Date,Close,Close\n2024-01-02,1,2\n",
        b"date\n2024-01-02\n2024-01-03\n",
        b'"unterminated,quote\n2024-01-02,1\n',
    ],
    ids=["huge", "bad-utf16", "utf16-semicolon", "sep-only", "dup-columns", "dates-only", "open-quote"],
)
def test_hostile_uploads_give_a_message_and_keep_the_data(app, content):
    _choose(app, "CSV upload")
    before = app.session_state[PRICES]
    _upload(app, "hostile.csv", content)
    prices = app.session_state[PRICES]
    if prices is before:
        assert texts(app, "error"), "a refused file must say why"
    else:
        assert not texts(app, "error")
    assert plotly_specs(app)


def test_markdown_in_a_file_name_is_shown_literally(app):
    name = "[click](http://evil.example) **bold** :red[x].csv"
    _upload(_choose(app, "CSV upload"), name, price_csv(150))
    assert name in app.session_state[PRICES].source
    assert any(name in t for t in texts(app, "text")), texts(app, "text")  # st.text: no Markdown
    assert not any(name in c for c in texts(app, "caption"))


def test_load_says_rows_and_longest_time_step(app):
    _upload(_choose(app, "CSV upload"), "short.csv", price_csv(40))
    infos = " ".join(texts(app, "info") + texts(app, "warning"))
    assert "40 rows" in infos and "time_step" in infos, infos
    longest = data_page.longest_time_step(40, app_config())
    assert 2 <= longest < 20 and f"up to {longest}" in infos
    assert "too long for this data" in infos  # the default time_step 20 does not fit 40 rows


def app_config():
    from model.engine.config import LstmConfig

    return LstmConfig(features=("close",))


def test_negative_prices_are_warned_on_the_page(app):
    rows = "".join(f"2024-01-{d:02d},{d - 10}\n" for d in range(1, 31))
    _upload(_choose(app, "CSV upload"), "spread.csv", ("Date,Close\n" + rows).encode())
    warnings = " ".join(texts(app, "warning"))
    assert "close" in warnings and "10 values" in warnings


def test_synthetic_sample_is_described_and_loads(app):
    app.run()
    app.selectbox(key="sample_ticker").set_value("AAPL").run()
    assert "AAPL" in app.session_state[PRICES].source
    app.selectbox(key="sample_ticker").set_value("SYNTH").run()
    assert any("Synthetic series" in c for c in texts(app, "caption"))
    assert_clean(app)
    assert "SYNTH" in app.session_state[PRICES].source
