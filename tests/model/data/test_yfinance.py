"""yfinance with a fake download; never the network."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import model.data.yfinance as yf_module
from model.data import load_yfinance
from model.errors import DataError, SourceUnavailableError
from tests.model.data.helpers import assert_clean as _assert_clean

# ---------------------------------------------------------------------------------------------
# yfinance (with a fake download; never the network)
# ---------------------------------------------------------------------------------------------


def _yf_frame(ticker: str = "AAPL", days: int = 30) -> pd.DataFrame:
    """The layout yfinance 1.7 returns: (Price, Ticker) MultiIndex columns, index named Date."""
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=days), name="Date")
    close = 100 + np.arange(days, dtype=float)
    columns = pd.MultiIndex.from_tuples(
        [(p, ticker) for p in ("Close", "High", "Low", "Open", "Volume")], names=["Price", "Ticker"]
    )
    values = np.column_stack([close, close + 1, close - 1, close - 0.5, 1000 + np.arange(days)])
    return pd.DataFrame(values, index=index, columns=columns)


class FakeDownload:
    def __init__(self, result: pd.DataFrame | Exception) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        self.calls.append(kwargs)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result.copy()


def test_yfinance_multiindex_layout(tmp_path: Path) -> None:
    fake = FakeDownload(_yf_frame())
    table = load_yfinance("aapl", download=fake, cache_dir=tmp_path)
    _assert_clean(table)
    assert table.columns == ["open", "high", "low", "close", "volume", "change"]
    assert table.frame["close"].iloc[0] == 100.0
    assert table.source == "Yahoo Finance via yfinance: AAPL 1d, 2024-01-02 to 2024-02-12"
    (call,) = fake.calls
    assert call["tickers"] == "AAPL"
    assert call["period"] == "5y"  # nothing given: a sensible default span
    assert call["auto_adjust"] is True and call["progress"] is False and call["multi_level_index"] is False


def test_yfinance_flat_columns_with_adj_close_and_tz_aware_datetime_index() -> None:
    raw = _yf_frame().droplevel("Ticker", axis=1)
    raw["Adj Close"] = raw["Close"] * 0.9
    raw.index = pd.DatetimeIndex(raw.index.tz_localize("America/New_York"), name="Datetime")
    table = load_yfinance("AAPL", start="2024-01-01", end="2024-03-01", download=FakeDownload(raw))
    assert "adj_close" in table.columns
    assert table.frame.index.tz is None and table.frame.index[0] == pd.Timestamp("2024-01-02")


def test_yfinance_passes_dates_and_period_only_when_given() -> None:
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", start="2024-01-01", end="2024-03-01", interval="1wk", download=fake)
    (call,) = fake.calls
    assert "period" not in call
    assert (call["start"], call["end"], call["interval"]) == ("2024-01-01", "2024-03-01", "1wk")


def test_yfinance_empty_result_names_ticker_and_causes() -> None:
    with pytest.raises(SourceUnavailableError, match=r"no rows for 'ZZZZ'.*no network"):
        load_yfinance("ZZZZ", download=FakeDownload(pd.DataFrame()))


def test_yfinance_exception_becomes_source_unavailable() -> None:
    fake = FakeDownload(ConnectionError("Name or service not known"))
    with pytest.raises(
        SourceUnavailableError, match=r"'AAPL'.*ConnectionError: Name or service not known"
    ) as err:
        load_yfinance("AAPL", download=fake)
    assert isinstance(err.value, DataError)


@pytest.mark.parametrize("ticker", ["", "   ", "AA PL", "A" * 16, "DROP;TABLE", "../etc"])
def test_yfinance_invalid_ticker(ticker: str) -> None:
    fake = FakeDownload(_yf_frame())
    with pytest.raises(DataError, match="not a valid ticker"):
        load_yfinance(ticker, download=fake)
    assert fake.calls == []


@pytest.mark.parametrize("ticker", ["BRK-B", "^GSPC", "EURUSD=X", "SAP.DE"])
def test_yfinance_valid_ticker_shapes(ticker: str) -> None:
    load_yfinance(ticker, download=FakeDownload(_yf_frame(ticker.upper())))


def test_yfinance_invalid_interval_and_date_range() -> None:
    fake = FakeDownload(_yf_frame())
    with pytest.raises(DataError, match="Interval must be one of 1d, 1wk"):
        load_yfinance("AAPL", interval="1h", download=fake)
    with pytest.raises(DataError, match="must be before"):
        load_yfinance("AAPL", start="2024-02-01", end="2024-01-01", download=fake)
    with pytest.raises(DataError, match="is not a date"):
        load_yfinance("AAPL", start="yesterday-ish", download=fake)
    assert fake.calls == []


def test_yfinance_day_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDownload(_yf_frame())
    first = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    second = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1
    assert second.source.endswith("(cached)") and not first.source.endswith("(cached)")
    pd.testing.assert_frame_equal(first.frame, second.frame)

    load_yfinance("AAPL", interval="1wk", download=fake, cache_dir=tmp_path)  # other key
    assert len(fake.calls) == 2

    monkeypatch.setattr(yf_module, "_today", lambda: dt.date.today() + dt.timedelta(days=1))
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)  # a new day: fetch again
    assert len(fake.calls) == 3


def test_yfinance_failures_are_not_cached(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError):
        load_yfinance("AAPL", download=FakeDownload(pd.DataFrame()), cache_dir=tmp_path)
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1


def test_yfinance_corrupt_cache_file_is_refetched(tmp_path: Path) -> None:
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.parquet")
    cached.write_bytes(b"not a pickle")
    table = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 2 and not table.source.endswith("(cached)")


def test_yfinance_fake_download_never_writes_the_user_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LSTM_LENS_CACHE", str(tmp_path))
    assert yf_module._default_cache_dir() == tmp_path / "yfinance"
    load_yfinance("AAPL", download=FakeDownload(_yf_frame()))
    assert list(tmp_path.rglob("*")) == []
