"""Column names: how headers seen in real exports map to ours, and guesses for a header row.

One vocabulary for the validator (which renames) and the Data page's column mapping form
(which pre-selects), so the two never disagree about what a date or a close column looks like.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

# Header spellings seen in real exports (Yahoo, Nasdaq.com, spreadsheets), after normalise_name.
SYNONYMS: dict[str, str] = {
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
    "adj._close": "adj_close",
    "vol": "volume",
    "vol.": "volume",
    "close/last": "close",
}
# Only taken as the close when the file has no close column of its own.
CLOSE_FALLBACKS: tuple[str, ...] = ("price", "last", "closing_price")

DATE_NAMES: tuple[str, ...] = (
    "date", "datetime", "timestamp", "time", "day", "trade_date", "trading_date",
    "datum", "fecha", "日期", "交易日期",
)  # fmt: skip

# Words that hint at a column in headers we do not know exactly (other languages, prefixes);
# used for guesses the user confirms, never for silent renames.
HINTS: dict[str, tuple[str, ...]] = {
    "date": ("date", "time", "day", "datum", "fecha", "kurstag"),
    "close": ("close", "price", "last", "schluss", "kurs", "cierre"),
    "open": ("open", "eröffnung", "erster", "apertura"),
    "high": ("high", "hoch", "máximo", "maximo"),
    "low": ("low", "tief", "mínimo", "minimo"),
    "volume": ("volume", "vol", "umsatz", "volumen"),
}

# Codes and labels that identify the series rather than describe a day: never features.
IDENTIFIER_NAMES: frozenset[str] = frozenset(
    {"ticker", "symbol", "code", "index_code", "stock_code", "name", "isin", "exchange", "currency"}
)

# Columns that look ahead (the tutorial's ``label`` is the next day's close). Forward-filling
# them would invent a future, so rows where they are missing are dropped instead.
LOOKAHEAD_COLUMNS: frozenset[str] = frozenset({"label"})


def normalise_name(name: object) -> str:
    """Lower case, no BOM, inner spaces and dashes as underscores: ' Adj Close' -> 'adj_close'."""
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def canonical_names(names: list[str]) -> list[str]:
    """Normalised names with synonyms replaced by ours (close from price/last only if no close)."""
    mapped = [SYNONYMS.get(n, n) for n in names]
    if "close" not in mapped:
        for fallback in CLOSE_FALLBACKS:
            if fallback in mapped:
                mapped[mapped.index(fallback)] = "close"
                break
    return mapped


def guess_column(header: Sequence[str], ours: str) -> int | None:
    """Index of the header cell most likely to hold our column ``ours`` (exact names first)."""
    names = canonical_names([normalise_name(h) for h in header])
    exact = DATE_NAMES if ours == "date" else (ours,)
    for name in exact:
        if name in names:
            return names.index(name)
    for hint in HINTS.get(ours, (ours,)):
        for i, name in enumerate(names):
            if hint in name:
                return i
    return None
