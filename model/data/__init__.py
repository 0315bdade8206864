"""Load daily price tables from a bundled sample, Yahoo Finance or a CSV file, and validate them.

One home per concern: ``table`` (PriceTable), ``names`` (header vocabulary), ``validate``
(from a loader's frame to a date-indexed table), ``table_steps`` (the named repair steps on that
table), ``csv`` (one ``sniff`` and the CSV loader), ``sample`` (bundled samples, including the
synthetic ``SYNTH``), ``yfinance`` (download and day cache) and ``sources`` (a source as one line of
text, ``sample:GOOG``, parsed and loaded once for the sweep and the command line).
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
from model.data.sources import SOURCE_KINDS, Source, load_source, parse_source, yfinance_source
from model.data.table import PRICE_COLUMNS, PriceTable, add_change_column
from model.data.validate import MAX_ABS_VALUE, validate_prices
from model.data.yfinance import YF_INTERVALS, load_yfinance

__all__ = [
    "MAX_ABS_VALUE",
    "PRICE_COLUMNS",
    "SAMPLE_TICKERS",
    "SOURCE_KINDS",
    "SYNTHETIC_DESCRIPTION",
    "SYNTHETIC_TICKER",
    "YF_INTERVALS",
    "CsvLayout",
    "PriceTable",
    "Source",
    "add_change_column",
    "guess_column",
    "guess_date_column",
    "load_csv",
    "load_sample",
    "load_source",
    "load_yfinance",
    "parse_source",
    "sniff",
    "synthetic_prices",
    "validate_prices",
    "yfinance_source",
]
