"""A price source written as one line of text, parsed once and loaded by one function.

Forms: ``sample:TICKER``, ``yfinance:TICKER`` or ``yfinance:TICKER:START:END`` (dates
YYYY-MM-DD, either may be empty), ``csv:PATH``, ``parquet:PATH`` (a table kept as a file, e.g.
the one a sweep study keeps for an uploaded CSV). A study stores its source in this form and
every worker loads the same prices from it; the command line's ``--source`` takes it too.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from model.data.table import PriceTable
from model.errors import DataError

SOURCE_KINDS = ("sample", "yfinance", "csv", "parquet")
SOURCE_FORMS = "sample:TICKER, yfinance:TICKER[:START:END], csv:FILE or parquet:FILE"


@dataclass(frozen=True)
class Source:
    kind: str  # one of SOURCE_KINDS
    target: str  # ticker or path
    start: str | None = None  # yfinance only
    end: str | None = None


def parse_source(text: str) -> Source:
    """``text`` as a Source (``DataError`` naming the accepted forms when it is none of them)."""
    kind, _, rest = str(text).partition(":")
    if kind not in SOURCE_KINDS:
        raise DataError(f"Unknown source {text!r}: use {SOURCE_FORMS}.")
    if kind == "yfinance":
        ticker, _, dates = rest.partition(":")
        start, _, end = dates.partition(":")
        return Source(kind, ticker, start or None, end or None)
    return Source(kind, rest)


def yfinance_source(ticker: str, start: str | None = None, end: str | None = None) -> str:
    """The source text of a yfinance ticker over [start, end] (either open)."""
    if not start and not end:
        return f"yfinance:{ticker}"
    return f"yfinance:{ticker}:{start or ''}:{end or ''}"


def load_source(
    text: str, *, start: str | None = None, end: str | None = None, interval: str = "1d"
) -> PriceTable:
    """The PriceTable of source ``text``. ``start``/``end``/``interval`` apply to a yfinance source
    and override the dates written in the text (the command line's ``--start``/``--end``)."""
    from model.data.csv import load_csv
    from model.data.sample import load_sample
    from model.data.yfinance import load_yfinance

    source = parse_source(text)
    if source.kind == "sample":
        return load_sample(source.target or "GOOG")
    if source.kind == "yfinance":
        return load_yfinance(
            source.target, start=start or source.start, end=end or source.end, interval=interval
        )
    if source.kind == "csv":
        return load_csv(Path(source.target))
    import pandas as pd

    path = Path(source.target)
    if not path.exists():
        raise DataError(f"The price table {path} is missing (a sweep keeps it next to the run store).")
    return PriceTable(pd.read_parquet(path, engine="pyarrow"), source=path.stem)
