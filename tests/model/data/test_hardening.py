"""Regression tests for issue 12 (hostile files, huge files and edge values): each numbered case."""

from __future__ import annotations

import logging
import pathlib
import pickle
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

import model.data.yfinance as yf_module
from model.data import MAX_ABS_VALUE, load_csv, load_yfinance
from model.engine.evaluation import mape_undefined_reason, score
from model.errors import DataError, SourceUnavailableError
from scripts.bench_data import date_close_csv
from tests.model.data.test_yfinance import FakeDownload, _yf_frame

# 1. A 1,000,000-row file loads and its figures stay bounded -----------------------------------


@pytest.mark.slow  # a million-row CSV
def test_million_row_csv_loads_and_every_price_figure_is_bounded() -> None:
    from components.figures import prices as price_figures

    content = date_close_csv(1_000_000)
    assert len(content) < 50 * 1024 * 1024  # within the upload limit
    table = load_csv(content)
    assert len(table.frame) == 1_000_000
    candles = price_figures.candlestick_figure(table.frame, title="Price and volume")
    assert len(candles.data[0].x) <= price_figures.MAX_BARS
    assert "bars" in candles.layout.title.text and "1,000,000 rows" in candles.layout.title.text
    assert len(candles.to_json()) < 1_000_000
    close = table.frame["close"]
    split = price_figures.split_figure(close, {"train": (close.index[0], close.index[-1])})
    assert len(split.data[0].x) <= price_figures.MAX_LINE_POINTS + 2
    assert "of 1,000,000 points" in split.layout.title.text
    predicted = price_figures.prediction_figure(close, close * 1.01, close.shift(1).dropna())
    assert all(len(trace.x) <= price_figures.MAX_LINE_POINTS + 2 for trace in predicted.data)
    residuals = price_figures.residual_figure(pd.DataFrame({"model": close - close.mean()}))
    assert len(residuals.data[0].x) <= price_figures.MAX_LINE_POINTS + 2


def test_decimation_keeps_the_extremes() -> None:
    from components.figures.prices import decimate

    values = pd.Series(np.zeros(100_000))
    values.iloc[12_345] = 50.0
    values.iloc[67_890] = -70.0
    kept = decimate(values, 1000)
    assert len(kept) <= 1002
    assert kept.max() == 50.0 and kept.min() == -70.0
    assert kept.index[0] == 0 and kept.index[-1] == 99_999


def test_small_tables_keep_one_candle_per_day() -> None:
    from components.figures.prices import price_bars
    from model.data import load_sample

    frame = load_sample("AAPL").frame
    bars = price_bars(frame)
    assert bars.label == "" and len(bars.frame) == len(frame)


# 2. The yfinance day cache cannot execute code -------------------------------------------------


class _WritesMarker:
    """Unpickling this calls Path.touch(marker): the planted-code attack from the issue."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self) -> tuple[Any, ...]:
        return (pathlib.Path.touch, (self.marker,))


def test_planted_pickle_in_the_cache_is_never_executed(tmp_path: Path) -> None:
    marker = tmp_path / "executed"
    payload = pickle.dumps(_WritesMarker(marker))
    pickle.loads(payload)  # the payload really works when unpickled...
    assert marker.exists()
    marker.unlink()
    cache = tmp_path / "cache"
    cache.mkdir()
    # ...planted under the name the loader will read today, and under the old pickle name.
    planted = yf_module.cache_path(cache, "AAPL", None, None, "5y", "1d")
    planted.write_bytes(payload)
    planted.with_suffix(".pkl").write_bytes(payload)
    fake = FakeDownload(_yf_frame())
    table = load_yfinance("AAPL", download=fake, cache_dir=cache)
    assert not marker.exists()
    assert len(fake.calls) == 1  # an unreadable cache file is a miss...
    assert any("unreadable cache file" in note for note in table.repairs)  # ...with a note
    assert not table.source.endswith("(cached)")
    again = load_yfinance("AAPL", download=fake, cache_dir=cache)  # the fresh download replaced it
    assert again.source.endswith("(cached)") and len(fake.calls) == 1
    assert not marker.exists()


# 3. Values that would overflow are refused -----------------------------------------------------


@pytest.mark.parametrize("value", ["1e300", "-1e300", "2e18"])
def test_huge_values_are_refused_naming_column_and_first_row(value: str) -> None:
    text = f"Date,Close,Volume\n2024-01-02,10,100\n2024-01-03,11,{value}\n2024-01-04,12,{value}\n"
    with pytest.raises(
        DataError, match=r"Column 'volume' has 2 values too large.*first at row 2, 2024-01-03"
    ):
        load_csv(text.encode())


def test_values_just_inside_the_limit_load() -> None:
    text = f"Date,Close\n2024-01-02,{MAX_ABS_VALUE}\n2024-01-03,1\n"
    assert load_csv(text.encode()).frame["close"].iloc[0] == MAX_ABS_VALUE


# 4. Negative and zero prices: kept, warned; MAPE says why it is undefined ----------------------


def test_negative_and_zero_prices_are_warned_with_column_and_count() -> None:
    text = "Date,Close,Volume\n2024-01-02,5,0\n2024-01-03,-37.6,0\n2024-01-04,0,10\n2024-01-05,3,10\n"
    table = load_csv(text.encode())
    assert table.frame["close"].tolist() == [5.0, -37.6, 0.0, 3.0]
    (warning,) = table.warnings  # volume 0 is normal and not warned about
    assert "'close'" in warning and "2 values" in warning and "MAPE" in warning


def test_mape_is_nan_with_a_reason_on_non_positive_actuals() -> None:
    actual = np.array([2.0, -1.0, 0.0])
    metrics = score(actual, actual + 1, actual)
    assert np.isnan(metrics["MAPE %"]) and np.isfinite(metrics["RMSE"])
    reason = mape_undefined_reason(actual)
    assert reason is not None and "2 of 3" in reason and "zero or negative" in reason
    assert mape_undefined_reason(np.array([1.0, 2.0])) is None


# 10. yfinance's own cause is kept --------------------------------------------------------------


class _ReportingDownload(FakeDownload):
    """Behaves like yfinance 1.7 offline: logs the cause, returns an empty frame."""

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        self.calls.append(kwargs)
        logger = logging.getLogger("yfinance")
        logger.error("\n1 Failed download:")
        logger.error("['AAPL']: DNSError('Failed to resolve host query1.finance.yahoo.com')")
        print("stray progress output", file=sys.stderr)
        return pd.DataFrame()


def test_yfinance_cause_is_kept_in_the_message(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(
        SourceUnavailableError, match=r"no rows for 'AAPL'.*DNSError.*Failed to resolve host"
    ) as err:
        load_yfinance("AAPL", download=_ReportingDownload(pd.DataFrame()))
    assert "no network" in str(err.value)
    assert "stray progress output" not in capsys.readouterr().err  # captured, not leaked


def test_yfinance_exception_and_reported_cause_both_kept() -> None:
    class Raising(FakeDownload):
        def __call__(self, **kwargs: Any) -> pd.DataFrame:
            logging.getLogger("yfinance").error("['MSFT']: ConnectionError('Network is unreachable')")
            raise RuntimeError("boom")

    with pytest.raises(SourceUnavailableError, match=r"RuntimeError: boom.*Network is unreachable"):
        load_yfinance("MSFT", download=Raising(pd.DataFrame()))
