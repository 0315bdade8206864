"""Bundled samples (no network)."""

from __future__ import annotations

import subprocess
import sys
import types
from pathlib import Path

import pandas as pd
import pytest

import model.data.sample as sample_module
from model.data import SAMPLE_TICKERS, SYNTHETIC_TICKER, load_sample
from model.errors import DataError
from tests.model.data.helpers import assert_clean as _assert_clean

# ---------------------------------------------------------------------------------------------
# Bundled sample
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ticker", [t for t in SAMPLE_TICKERS if t != SYNTHETIC_TICKER])
def test_sample_tickers_load(ticker: str) -> None:
    table = load_sample(ticker)
    _assert_clean(table)
    assert table.columns == ["open", "high", "low", "close", "volume", "change"]
    assert len(table.frame) > 2000
    assert table.frame.index[-1] == pd.Timestamp("2013-03-01")
    assert ticker in table.source and "bokeh_sampledata" in table.source
    frame = table.frame
    assert (frame["high"] >= frame["low"]).all()
    assert (frame["high"] + 1e-9 >= frame[["open", "close"]].max(axis=1)).all()


def test_sample_default_is_goog() -> None:
    assert "GOOG" in load_sample().source
    assert load_sample().frame.index[0] == pd.Timestamp("2004-08-19")


@pytest.mark.parametrize(
    ("ticker", "split_day"),
    [("AAPL", "2000-06-21"), ("AAPL", "2005-02-28"), ("MSFT", "2003-02-18")],
)
def test_sample_splits_are_not_crashes(ticker: str, split_day: str) -> None:
    from bokeh_sampledata import stocks

    raw = pd.Series(getattr(stocks, ticker)["close"], index=pd.to_datetime(getattr(stocks, ticker)["date"]))
    assert raw.pct_change().loc[split_day] < -0.4  # the source really has the 2:1 jump
    table = load_sample(ticker)
    assert abs(table.frame.loc[split_day, "change"]) < 0.1
    assert "split-adjusted" in table.source


def test_sample_aapl_real_crash_is_kept() -> None:
    # 2000-09-29 was a genuine -52% day (profit warning), not a split: adjustment must keep it.
    assert load_sample("AAPL").frame.loc["2000-09-29", "change"] < -0.5


def test_sample_unknown_ticker_lists_valid_ones() -> None:
    with pytest.raises(DataError, match="AAPL, GOOG, IBM, MSFT"):
        load_sample("FB")


def test_sample_accepts_lower_case_and_hands_out_copies() -> None:
    first = load_sample("ibm")
    first.frame.iloc[0, 0] = -1.0
    assert load_sample("IBM").frame.iloc[0, 0] != -1.0


def test_a_sample_reads_only_its_own_ticker_and_once(monkeypatch) -> None:
    # What keeps the Data page quick (``make bench``: scripts.bench_data): one ticker's table,
    # never bokeh_sampledata's long ``data`` frame of all five, and read once per process.
    import bokeh_sampledata
    from bokeh_sampledata import stocks

    read: list[str] = []

    class RecordingStocks(types.ModuleType):
        def __getattr__(self, name: str):
            read.append(name)
            return getattr(stocks, name)

    recording = RecordingStocks("bokeh_sampledata.stocks")
    monkeypatch.setattr(bokeh_sampledata, "stocks", recording)
    monkeypatch.setitem(sys.modules, "bokeh_sampledata.stocks", recording)
    sample_module._sample_table.cache_clear()
    try:
        first = load_sample("MSFT")
        again = load_sample("MSFT")
    finally:
        sample_module._sample_table.cache_clear()
    assert read == ["MSFT"]
    pd.testing.assert_frame_equal(first.frame, again.frame)


@pytest.mark.process
def test_importing_model_data_pulls_in_no_ui_or_network_stack() -> None:
    code = (
        "import sys, model.data; "
        "print(sorted(m for m in ('streamlit', 'tensorflow', 'yfinance') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[3]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# The learnable synthetic sample (issue 11)
# ---------------------------------------------------------------------------------------------


def test_synthetic_sample_is_deterministic_and_well_formed() -> None:
    from model.data import synthetic_prices

    sample_module._sample_table.cache_clear()
    first = load_sample(SYNTHETIC_TICKER)
    sample_module._sample_table.cache_clear()
    second = load_sample("synth")
    pd.testing.assert_frame_equal(first.frame, second.frame)  # generated afresh, same numbers
    pd.testing.assert_frame_equal(synthetic_prices(200, seed=3), synthetic_prices(200, seed=3))
    assert not synthetic_prices(200, seed=3).equals(synthetic_prices(200, seed=4))
    _assert_clean(first)
    frame = first.frame
    assert first.columns == ["open", "high", "low", "close", "volume", "change"]
    assert len(frame) == 3000 and first.repairs == () and first.warnings == ()
    assert (frame["high"] >= frame[["open", "close"]].max(axis=1)).all()
    assert (frame["low"] <= frame[["open", "close"]].min(axis=1)).all()
    assert (frame["low"] > 0).all() and (frame["volume"] > 0).all()
    assert "synthetic" in first.source.lower()


def test_synthetic_sample_has_structure_to_learn() -> None:
    """Its daily moves repeat with the 21-day cycle; a random walk's would not."""
    moves = load_sample(SYNTHETIC_TICKER).frame["close"].diff().dropna()
    assert moves.autocorr(lag=21) > 0.3
    assert abs(moves.autocorr(lag=10)) < moves.autocorr(lag=21)
