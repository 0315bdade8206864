"""Load daily price tables from a bundled sample, Yahoo Finance or a CSV file, and validate them.

One home per concern: ``table`` (PriceTable), ``names`` (header vocabulary), ``validate``
(from a loader's frame to a date-indexed table), ``table_steps`` (the named repair steps on that
table), ``csv`` (one ``sniff`` and the CSV loader), ``sample`` (bundled samples, including the
synthetic ``SYNTH``) and ``yfinance`` (download and day cache).
"""

from model.data.csv import CsvLayout, guess_date_column, load_csv, sniff
from model.data.names import guess_column
from model.data.sample import (
    SAMPLE_TICKERS,
    SYNTHETIC_DESCRIPTION,
    SYNTHETIC_TICKER,
    load_sample,
    synthetic_prices,
)
from model.data.table import PRICE_COLUMNS, PriceTable, add_change_column
from model.data.validate import MAX_ABS_VALUE, validate_prices
from model.data.yfinance import YF_INTERVALS, load_yfinance

__all__ = [
    "MAX_ABS_VALUE",
    "PRICE_COLUMNS",
    "SAMPLE_TICKERS",
    "SYNTHETIC_DESCRIPTION",
    "SYNTHETIC_TICKER",
    "YF_INTERVALS",
    "CsvLayout",
    "PriceTable",
    "add_change_column",
    "guess_column",
    "guess_date_column",
    "load_csv",
    "load_sample",
    "load_yfinance",
    "sniff",
    "synthetic_prices",
    "validate_prices",
]
