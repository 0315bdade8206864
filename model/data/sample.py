"""Bundled samples: real daily prices from bokeh_sampledata, and a learnable synthetic series."""

from __future__ import annotations

import functools
from dataclasses import replace

import numpy as np
import pandas as pd

from model.data.table import PriceTable
from model.data.validate import validate_prices
from model.errors import DataError

__all__ = ["SAMPLE_TICKERS", "SYNTHETIC_TICKER", "load_sample", "synthetic_prices"]

SYNTHETIC_TICKER = "SYNTH"
REAL_SAMPLE_TICKERS: tuple[str, ...] = ("AAPL", "GOOG", "IBM", "MSFT")
SAMPLE_TICKERS: tuple[str, ...] = (*REAL_SAMPLE_TICKERS, SYNTHETIC_TICKER)

# Tickers whose sample OHLC is unadjusted across stock splits inside the 2000-2013 range.
_SPLIT_ADJUSTED_SAMPLES: frozenset[str] = frozenset({"AAPL", "MSFT"})

SYNTHETIC_DESCRIPTION = (
    "Synthetic series, not a real stock: a slow trend, a 21-day and a 63-day cycle and "
    "autocorrelated noise, with OHLCV columns derived from it. It has structure a network can "
    "learn, so training on it should beat the persistence baseline."
)


def synthetic_prices(rows: int = 3000, seed: int = 11) -> pd.DataFrame:
    """A deterministic OHLCV frame with real structure: trend + two seasonal cycles + AR(1) noise.

    Business days from 2000-01-03. The same ``rows`` and ``seed`` always give the same frame.
    """
    rng = np.random.default_rng(seed)
    t = np.arange(rows, dtype=float)
    trend = 100.0 + 0.02 * t + 8.0 * np.sin(2 * np.pi * t / 1500.0)
    seasonal = 6.0 * np.sin(2 * np.pi * t / 21.0) + 4.0 * np.sin(2 * np.pi * t / 63.0 + 1.0)
    noise = np.empty(rows)
    shocks = rng.normal(0.0, 0.6, rows)
    noise[0] = shocks[0]
    for i in range(1, rows):  # AR(1): each day's noise remembers 80% of yesterday's
        noise[i] = 0.8 * noise[i - 1] + shocks[i]
    close = trend + seasonal + noise
    open_ = np.concatenate([[close[0]], close[:-1]]) + rng.normal(0.0, 0.3, rows)
    spread = np.abs(rng.normal(0.0, 0.6, rows)) + 0.2
    high = np.maximum(open_, close) + spread
    low = np.minimum(open_, close) - spread
    # Volume rises with the size of the day's move, as on real markets.
    volume = np.round(1e6 * (1.0 + 0.5 * np.abs(close - open_)) * rng.lognormal(0.0, 0.2, rows))
    return pd.DataFrame(
        {"date": pd.bdate_range("2000-01-03", periods=rows), "open": open_, "high": high, "low": low,
         "close": close, "volume": volume}
    )  # fmt: skip


def _real_sample(ticker: str) -> PriceTable:
    # bokeh_sampledata.stocks parses its gzip CSV at import (~0.15 s); its per-ticker dicts are
    # cheaper than its long ``data`` frame, which would build all five tickers.
    from bokeh_sampledata import stocks

    raw = pd.DataFrame(getattr(stocks, ticker))
    note = ""
    if ticker in _SPLIT_ADJUSTED_SAMPLES:
        # The source's OHLC are as traded, so each split is a fake 50% crash. adj_close/close is
        # the split-and-dividend factor: scaling OHLC by it (and volume by its inverse, as Yahoo
        # does) gives a continuous series in today's share terms.
        factor = raw["adj_close"] / raw["close"]
        for col in ("open", "high", "low", "close"):
            raw[col] = raw[col] * factor
        raw["volume"] = raw["volume"] / factor
        note = ", split-adjusted"
    raw = raw.drop(columns=["adj_close"])  # identical to close after adjustment, noise otherwise
    first, last = raw["date"].iloc[0], raw["date"].iloc[-1]
    source = f"Bundled sample: {ticker} daily{note}, {first} to {last} (bokeh_sampledata, public domain)"
    return validate_prices(raw, source)


def _synthetic_sample() -> PriceTable:
    raw = synthetic_prices()
    first, last = raw["date"].iloc[0], raw["date"].iloc[-1]
    source = (
        f"Bundled sample: {SYNTHETIC_TICKER}, synthetic daily series (trend + cycles + AR noise, fixed seed), "
        f"{first:%Y-%m-%d} to {last:%Y-%m-%d}"
    )
    return validate_prices(raw, source)


@functools.lru_cache(maxsize=len(SAMPLE_TICKERS))
def _sample_table(ticker: str) -> PriceTable:
    return _synthetic_sample() if ticker == SYNTHETIC_TICKER else _real_sample(ticker)


def load_sample(ticker: str = "GOOG") -> PriceTable:
    """A bundled sample: daily prices from bokeh_sampledata (Quandl WIKI, public domain, ends
    2013-03-01) or ``SYNTH``, a learnable synthetic series generated on load."""
    key = str(ticker).strip().upper()
    if key not in SAMPLE_TICKERS:
        raise DataError(f"No bundled sample for '{ticker}'. Choose one of: {', '.join(SAMPLE_TICKERS)}.")
    cached = _sample_table(key)
    # The cached table is shared; a copy keeps one caller's edits from reaching the next.
    return replace(cached, frame=cached.frame.copy())
