"""Load daily price tables from the bundled sample, Yahoo Finance or a CSV file, and validate them.

Every loader ends in :func:`validate_prices`, so the rest of the app can rely on one shape: a
tz-naive, sorted, unique DatetimeIndex named ``date`` and float64 columns with lower-case names
and no NaN or infinite values. Problems the user must fix raise :class:`DataError` with a message
meant to be shown as is; problems we can fix safely are fixed and listed in ``PriceTable.repairs``
so nothing changes silently.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import hashlib
import io
import os
import re
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
import pandas as pd

from model.errors import DataError, SourceUnavailableError

__all__ = [
    "PRICE_COLUMNS",
    "SAMPLE_TICKERS",
    "PriceTable",
    "add_change_column",
    "load_csv",
    "load_sample",
    "load_yfinance",
    "validate_prices",
]

SAMPLE_TICKERS: tuple[str, ...] = ("AAPL", "GOOG", "IBM", "MSFT")
YF_INTERVALS: tuple[str, ...] = ("1d", "1wk")

# Columns with a fixed meaning: a non-numeric value in one of these is an error, not a column to drop.
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "adj_close")

# Header spellings seen in real exports (Yahoo, Nasdaq.com, spreadsheets), after _normalise_name.
_SYNONYMS: dict[str, str] = {
    "adj_close": "adj_close",
    "adjclose": "adj_close",
    "adjusted_close": "adj_close",
    "adj._close": "adj_close",
    "vol": "volume",
    "vol.": "volume",
    "close/last": "close",
}
# Only taken as the close when the file has no close column of its own.
_CLOSE_FALLBACKS: tuple[str, ...] = ("price", "last", "closing_price")

_DATE_NAMES: tuple[str, ...] = (
    "date", "datetime", "timestamp", "time", "day", "trade_date", "trading_date",
    "datum", "fecha", "日期", "交易日期",
)  # fmt: skip

# Codes and labels that identify the series rather than describe a day: never features.
_IDENTIFIER_NAMES: frozenset[str] = frozenset(
    {"ticker", "symbol", "code", "index_code", "stock_code", "name", "isin", "exchange", "currency"}
)

# Columns that look ahead (the tutorial's ``label`` is the next day's close). Forward-filling
# them would invent a future, so rows where they are missing are dropped instead.
_LOOKAHEAD_COLUMNS: frozenset[str] = frozenset({"label"})

_NA_TOKENS: frozenset[str] = frozenset({"", "-", "--", "null", "none", "nan", "n/a", "na", "#n/a"})
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")
_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
_DECIMAL_POINT_RE = re.compile(r"^[+-]?\d+\.\d+$")
_TICKER_RE = re.compile(r"^[A-Za-z0-9.\-^=]{1,15}$")

# One shared unit (pandas 3's default) so indexes from different loaders compare equal.
_DATE_DTYPE = "datetime64[us]"


@dataclass(frozen=True, eq=False)
class PriceTable:
    """A validated price table plus where it came from and what was repaired on the way.

    ``eq=False`` because DataFrame equality is element-wise; tables compare by identity.
    Treat ``frame`` as read-only: loaders hand out copies, but nothing enforces it.
    """

    frame: pd.DataFrame
    source: str
    repairs: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Numeric columns usable as features or target (validation leaves no other kind)."""
        return [str(c) for c in self.frame.columns]


# ---------------------------------------------------------------------------------------------
# Derived columns and size checks
# ---------------------------------------------------------------------------------------------


def add_change_column(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy with ``change`` = close's daily change as a fraction (first row 0.0).

    Leaves the frame alone when there is no ``close`` or when ``change`` already exists (the
    tutorial's files ship their own, which we keep rather than silently redefine).
    """
    if "close" not in frame.columns or "change" in frame.columns:
        return frame
    out = frame.copy()
    change = out["close"].pct_change(fill_method=None)
    # A zero close makes the next change infinite; 0.0 keeps the column finite and the day
    # visible in the close column itself.
    change = change.replace([np.inf, -np.inf], np.nan).fillna(0.0)
    out["change"] = change.astype("float64")
    return out


# ---------------------------------------------------------------------------------------------
# Validation shared by every loader
# ---------------------------------------------------------------------------------------------


def _normalise_name(name: object) -> str:
    text = str(name).replace("\ufeff", "").strip().lower()
    return re.sub(r"[\s\-]+", "_", text)


def _canonical_names(names: list[str]) -> list[str]:
    mapped = [_SYNONYMS.get(n, n) for n in names]
    if "close" not in mapped:
        for fallback in _CLOSE_FALLBACKS:
            if fallback in mapped:
                mapped[mapped.index(fallback)] = "close"
                break
    return mapped


def _find_date_column(frame: pd.DataFrame, date_column: str | None) -> str:
    columns = [str(c) for c in frame.columns]
    if date_column is not None:
        wanted = _normalise_name(date_column)
        if wanted in columns:
            return wanted
        raise DataError(f"Date column '{date_column}' not found. Columns are: {', '.join(columns)}.")
    for name in _DATE_NAMES:
        if name in columns:
            return name
    for name in columns:
        if "date" in name:
            return name
    # Headers in another language ("Kurstag"): accept a leading text column made only of dates.
    if columns:
        first = frame[columns[0]]
        if not pd.api.types.is_numeric_dtype(first) and first.notna().any():
            parsed, _ = _parse_dates(first)
            if parsed.notna().sum() == first.notna().sum():
                return columns[0]
    raise DataError(f"No date column found. Columns are: {', '.join(columns) or '(none)'}. Name the date column.")


def _to_datetime(values: pd.Series, **kwargs: Any) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns when it falls back to per-element parsing or guesses day-first; we
        # check the outcome ourselves and report unparseable values.
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(values, errors="coerce", **kwargs)
        except (ValueError, TypeError, OverflowError):
            # Mixed UTC offsets cannot share one tz unless converted to UTC first.
            parsed = pd.to_datetime(values, errors="coerce", utc=True, **kwargs)
    if getattr(parsed.dt, "tz", None) is not None:
        # Keep the exchange's wall-clock date: converting to UTC would shift daily bars.
        parsed = parsed.dt.tz_localize(None)
    return parsed


def _parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates; return (parsed, failures) where failures are non-empty values that gave NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = _to_datetime(values)
    else:
        if pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values):
            # Only YYYYMMDD numbers are dates; treating other numbers as epoch nanoseconds would
            # turn prices into 1970 timestamps without complaint.
            text = values.map(lambda v: "" if pd.isna(v) else str(int(v)) if float(v).is_integer() else str(v))
            parsed = _to_datetime(text, format="%Y%m%d")
        else:
            text = values.astype("string").str.strip()
            parsed = _to_datetime(text)
            # Year-first dates (2024-01-02, the tutorial's 1990/12/20) are never day-first.
            if not text.dropna().str.match(r"^\d{4}\D").all():
                parsed = _pick_date_order(text, parsed, _to_datetime(text, dayfirst=True))
    failures = values[parsed.isna() & values.notna()]
    return parsed.astype(_DATE_DTYPE), failures


def _pick_date_order(text: pd.Series, month_first: pd.Series, day_first: pd.Series) -> pd.Series:
    """Choose between month-first and day-first readings of ambiguous dates like 01/02/2024.

    The reading that parses more values wins. When both parse everything, the one whose
    consecutive dates are closer together wins: a daily series steps by days, the wrong
    reading jumps by months. Dotted dates (31.12.2024) are day-first when still tied.
    """
    failures = (month_first.isna().sum(), day_first.isna().sum())
    if failures[0] != failures[1]:
        return month_first if failures[0] < failures[1] else day_first

    def spread(parsed: pd.Series) -> float:
        steps = parsed.dropna().diff().abs().dropna()
        return float(steps.median().total_seconds()) if len(steps) else 0.0

    spreads = (spread(month_first), spread(day_first))
    if spreads[0] != spreads[1]:
        return month_first if spreads[0] < spreads[1] else day_first
    dotted = text.dropna().str.match(r"^\d{1,2}\.\d{1,2}\.\d{2,4}").any()
    return day_first if dotted else month_first


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def _coerce_numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Coerce to float64; return (numbers, failures) where failures are values that are not numbers."""
    if pd.api.types.is_bool_dtype(values):
        return values.astype("float64"), values.iloc[0:0]
    if pd.api.types.is_numeric_dtype(values):
        return values.astype("float64"), values.iloc[0:0]
    text = values.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(_NA_TOKENS))
    # "$1,234.50" (Nasdaq.com exports) and "1,234" are common in otherwise clean files.
    text = text.str.replace(r"^[$€£¥]", "", regex=True)
    text = text.where(~text.fillna("").str.match(_THOUSANDS_RE), text.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    failures = values[numbers.isna() & text.notna()]
    return numbers, failures


def _describe_counts(counts: Mapping[str, int]) -> str:
    return ", ".join(f"{name}: {n}" for name, n in counts.items())


def validate_prices(frame: pd.DataFrame, source: str, *, date_column: str | None = None) -> PriceTable:
    """Check and tidy a raw price frame; raise DataError for anything that needs the user.

    The date comes from ``date_column`` when given, else from a DatetimeIndex, else from a
    column with a date-like name. Safe repairs (sorting, duplicate dates, gaps, empty or
    constant extra columns, identifier columns) are applied and described in ``repairs``.
    """
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a table of prices, got {type(frame).__name__}.")
    if len(frame.index) == 0 or len(frame.columns) == 0:
        raise DataError("The file has no data rows.")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError("The table has multi-level column headers; flatten them to one header row first.")
    repairs: list[str] = []

    frame = frame.copy()
    # A DatetimeIndex (yfinance) or a named index (a frame read with index_col) holds the dates.
    date_name_hint: str | None = None
    if date_column is None and isinstance(frame.index, pd.DatetimeIndex):
        date_name_hint = "__index_date__"
        frame = frame.rename_axis(date_name_hint).reset_index()
    elif frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    frame = frame.reset_index(drop=True)  # row N in messages = N-th data row

    names = _canonical_names([_normalise_name(c) for c in frame.columns])
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"More than one column is named {', '.join(repr(d) for d in duplicated)} "
            "(names are compared ignoring case and spaces). Rename or remove one of them."
        )
    frame.columns = names

    # Rows with nothing at all in them (trailing separators, blank spreadsheet lines).
    empty_rows = frame.isna().all(axis=1)
    if empty_rows.any():
        frame = frame.loc[~empty_rows]
        repairs.append(f"Dropped {_plural(int(empty_rows.sum()), 'empty row')}.")
    if frame.empty:
        raise DataError("The file has no data rows.")

    date_name = date_name_hint or _find_date_column(frame, date_column)
    shown_date = "date" if date_name == "__index_date__" else date_name
    parsed, failures = _parse_dates(frame[date_name])
    if len(failures):
        row = int(failures.index[0]) + 1
        raise DataError(
            f"Could not parse dates in column '{shown_date}' (e.g. row {row}: '{failures.iloc[0]}'). "
            f"{len(failures)} of {_plural(len(parsed), 'value')} are not dates."
        )
    missing_dates = parsed.isna()
    if missing_dates.any():
        row = int(parsed.index[missing_dates.to_numpy()][0]) + 1
        raise DataError(
            f"Column '{shown_date}' has {_plural(int(missing_dates.sum()), 'empty date')} (first at row {row}). "
            "Every row with prices needs a date."
        )
    frame = frame.drop(columns=[date_name])

    # Every remaining column must become float64: identifiers and free text are dropped,
    # price columns that are not numbers are the user's to fix.
    numeric: dict[str, pd.Series] = {}
    for name in frame.columns:
        if name in _IDENTIFIER_NAMES or name.startswith("unnamed:"):
            repairs.append(f"Dropped identifier column '{name}'.")
            continue
        numbers, bad = _coerce_numeric(frame[name])
        if len(bad):
            if name in PRICE_COLUMNS:
                row = int(bad.index[0]) + 1
                raise DataError(f"Column '{name}' is not numeric (e.g. row {row}: '{bad.iloc[0]}').")
            repairs.append(f"Dropped non-numeric column '{name}'.")
            continue
        numeric[name] = numbers
    if not numeric:
        raise DataError("No numeric price columns found next to the dates (for example a 'close' column).")
    # Arrays, not Series: the Series carry row numbers and would align to all-NaN on dates.
    table = pd.DataFrame(
        {name: values.to_numpy() for name, values in numeric.items()},
        index=pd.DatetimeIndex(parsed.to_numpy(), name="date"),
    )

    if not table.index.is_monotonic_increasing:
        # Stable sort keeps file order among equal dates, so "keep last" below means last in the file.
        table = table.sort_index(kind="mergesort")
        repairs.append("Sorted rows by date.")
    dupes = table.index.duplicated(keep="last")
    if dupes.any():
        table = table.loc[~dupes]
        repairs.append(f"Dropped {_plural(int(dupes.sum()), 'duplicate date')} (kept the last row of each).")

    infinite = {c: int(np.isinf(table[c].to_numpy()).sum()) for c in table.columns}
    for name, count in infinite.items():
        if count:
            first = table.index[np.isinf(table[name].to_numpy())][0]
            raise DataError(f"Column '{name}' has {_plural(count, 'infinite value')} (first at {first:%Y-%m-%d}).")

    empty_cols = [c for c in table.columns if table[c].isna().all()]
    if "close" in empty_cols:
        raise DataError("Column 'close' has no values.")
    if empty_cols:
        table = table.drop(columns=empty_cols)
        repairs.extend(f"Dropped empty column '{c}'." for c in empty_cols)

    no_values = table.isna().all(axis=1)
    if no_values.any():
        table = table.loc[~no_values]
        repairs.append(f"Dropped {_plural(int(no_values.sum()), 'row')} that have a date but no values.")

    for name in [c for c in table.columns if c in _LOOKAHEAD_COLUMNS]:
        missing = table[name].isna()
        if missing.any() and not missing.all():
            table = table.loc[~missing]
            repairs.append(
                f"Dropped {_plural(int(missing.sum()), 'row')} where '{name}' is missing "
                "(it holds a future value, so it cannot be filled from the past)."
            )

    # Leading gaps cannot be forward-filled, so rows before a column's first value must go. A
    # column that starts late would cost most of the history: drop that column instead (close
    # is the exception, it is the default target).
    late = [
        c for c in table.columns
        if c != "close" and (table.index < table[c].first_valid_index()).sum() > max(5, len(table) // 10)
    ]  # fmt: skip
    if late:
        table = table.drop(columns=late)
        repairs.extend(f"Dropped column '{c}': its values start too late in the history." for c in late)
    start = max(table[c].first_valid_index() for c in table.columns)
    leading = int((table.index < start).sum())
    if leading:
        table = table.loc[table.index >= start]
        repairs.append(f"Dropped {_plural(leading, 'leading row')} where some columns had not started yet.")
    gaps = {c: int(n) for c, n in table.isna().sum().items() if n}
    if gaps:
        table = table.ffill()
        repairs.append(f"Forward-filled {_plural(sum(gaps.values()), 'missing value')} ({_describe_counts(gaps)}).")

    if len(table) < 2:
        raise DataError(f"Only {_plural(len(table), 'usable row')} of data; a price history needs many rows.")

    constant = [c for c in table.columns if table[c].nunique(dropna=True) <= 1]
    if "close" in constant:
        value = float(table["close"].iloc[0])
        raise DataError(
            f"Column 'close' is constant (every value is {value!r}): the normaliser would divide by zero."
        )
    if constant:
        table = table.drop(columns=constant)
        repairs.extend(f"Dropped constant column '{c}' (it carries no information)." for c in constant)
    if table.shape[1] == 0:
        raise DataError("Every numeric column is constant; there is nothing to learn from.")

    # Canonical price columns first so pickers read open, high, low, close...; the rest keep file order.
    ordered = [c for c in PRICE_COLUMNS if c in table.columns] + [c for c in table.columns if c not in PRICE_COLUMNS]
    table = add_change_column(table[ordered]).astype("float64")
    table.index = pd.DatetimeIndex(table.index.astype(_DATE_DTYPE), name="date")
    table.columns = pd.Index([str(c) for c in table.columns])
    return PriceTable(frame=table, source=source, repairs=tuple(repairs))


# ---------------------------------------------------------------------------------------------
# Bundled sample
# ---------------------------------------------------------------------------------------------

# Tickers whose sample OHLC is unadjusted across stock splits inside the 2000-2013 range.
_SPLIT_ADJUSTED_SAMPLES: frozenset[str] = frozenset({"AAPL", "MSFT"})


@functools.lru_cache(maxsize=len(SAMPLE_TICKERS))
def _sample_table(ticker: str) -> PriceTable:
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


def load_sample(ticker: str = "GOOG") -> PriceTable:
    """Daily prices bundled with bokeh_sampledata (Quandl WIKI, public domain, ends 2013-03-01)."""
    key = str(ticker).strip().upper()
    if key not in SAMPLE_TICKERS:
        raise DataError(f"No bundled sample for '{ticker}'. Choose one of: {', '.join(SAMPLE_TICKERS)}.")
    cached = _sample_table(key)
    # The cached table is shared; a copy keeps one caller's edits from reaching the next.
    return replace(cached, frame=cached.frame.copy())



# ---------------------------------------------------------------------------------------------
# Yahoo Finance
# ---------------------------------------------------------------------------------------------

DateLike = str | dt.date | dt.datetime | pd.Timestamp | None


def _default_cache_dir() -> Path:
    root = os.environ.get("LSTM_LENS_CACHE")
    base = Path(root).expanduser() if root else Path.home() / ".cache" / "lstm_lens"
    return base / "yfinance"


def _today() -> dt.date:
    """The cache key's day; a function so tests can move time forward."""
    return dt.date.today()


def _flatten_yf_columns(raw: pd.DataFrame, ticker: str) -> pd.DataFrame:
    """yfinance can return (Price, Ticker) MultiIndex columns even with multi_level_index=False."""
    if not isinstance(raw.columns, pd.MultiIndex):
        return raw
    names = list(raw.columns.names)
    if "Ticker" in names:
        tickers = raw.columns.get_level_values("Ticker")
        if ticker in set(tickers):
            return raw.xs(ticker, axis=1, level="Ticker")
    level = "Price" if "Price" in names else 0
    flat = raw.copy()
    flat.columns = raw.columns.get_level_values(level)
    return flat


def _check_date_arg(value: DateLike, name: str) -> pd.Timestamp | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value)
    except (ValueError, TypeError) as exc:
        raise DataError(f"{name} date {value!r} is not a date ({exc}).") from exc


def load_yfinance(
    ticker: str,
    start: DateLike = None,
    end: DateLike = None,
    period: str | None = None,
    interval: str = "1d",
    *,
    cache_dir: str | Path | None = None,
    download: Callable[..., pd.DataFrame] | None = None,
) -> PriceTable:
    """Download auto-adjusted prices with yfinance, cached on disk for the rest of the day.

    ``download`` replaces ``yfinance.download`` (tests pass a fake). When it is given and
    ``cache_dir`` is not, nothing is cached, so a fake's data never lands in the user's cache.
    """
    symbol = str(ticker or "").strip().upper()
    if not _TICKER_RE.match(symbol):
        raise DataError(
            f"'{ticker}' is not a valid ticker: use 1 to 15 letters, digits or . - ^ = (e.g. AAPL, BRK-B, ^GSPC)."
        )
    if interval not in YF_INTERVALS:
        raise DataError(f"Interval must be one of {', '.join(YF_INTERVALS)} (daily or weekly), got {interval!r}.")
    start_ts, end_ts = _check_date_arg(start, "Start"), _check_date_arg(end, "End")
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        raise DataError(f"Start date {start_ts:%Y-%m-%d} must be before end date {end_ts:%Y-%m-%d}.")
    if start_ts is None and end_ts is None and period is None:
        period = "5y"

    use_cache = cache_dir is not None or download is None
    cache_path: Path | None = None
    if use_cache:
        directory = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
        today = _today().isoformat()
        key = f"{symbol}|{start_ts}|{end_ts}|{period}|{interval}|{today}"
        digest = hashlib.sha256(key.encode()).hexdigest()[:16]
        cache_path = directory / f"{re.sub(r'[^A-Z0-9]', '_', symbol)}_{interval}_{today}_{digest}.pkl"

    raw: pd.DataFrame | None = None
    cached = False
    if cache_path is not None and cache_path.is_file():
        try:
            raw = pd.read_pickle(cache_path)
            cached = True
        except Exception:  # noqa: BLE001 - a corrupt cache file only costs a fresh download
            raw = None

    if raw is None:
        if download is None:
            import yfinance  # lazy: slow import and only needed for this source

            download = yfinance.download
        kwargs: dict[str, Any] = {
            "tickers": symbol,
            "start": start,
            "end": end,
            "interval": interval,
            "auto_adjust": True,
            "progress": False,
            "multi_level_index": False,
        }
        if period is not None:
            kwargs["period"] = period
        try:
            raw = download(**kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure here means "source unavailable"
            raise SourceUnavailableError(
                f"Downloading '{symbol}' from Yahoo Finance failed: {type(exc).__name__}: {exc}. "
                "Yahoo Finance may be unreachable (no network) or the ticker may be wrong. "
                "Use the bundled sample or upload a CSV instead."
            ) from exc
        if not isinstance(raw, pd.DataFrame) or raw.empty:
            # With no network yfinance logs an error and returns an empty frame instead of raising.
            raise SourceUnavailableError(
                f"yfinance returned no rows for '{symbol}'. Either the ticker does not exist / has no "
                "data in that range, or Yahoo Finance cannot be reached (no network). "
                "Check the ticker and dates, or use the bundled sample or upload a CSV instead."
            )
        if cache_path is not None:
            _write_cache(raw, cache_path)

    raw = _flatten_yf_columns(raw, symbol)
    table = validate_prices(raw, f"Yahoo Finance via yfinance: {symbol} {interval}")
    index = table.frame.index
    source = f"Yahoo Finance via yfinance: {symbol} {interval}, {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}"
    if cached:
        source += " (cached)"
    return replace(table, source=source)


def _write_cache(raw: pd.DataFrame, path: Path) -> None:
    """Write atomically so a concurrent session never reads half a file; failures are ignored
    because the cache only saves a download."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        raw.to_pickle(tmp)
        os.replace(tmp, path)
    except OSError:
        pass


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

CsvSource = str | Path | bytes | bytearray | IO[bytes] | IO[str]


def _read_source(source: CsvSource) -> tuple[bytes | str, str]:
    """Return the raw content and a short name for messages."""
    if isinstance(source, (bytes, bytearray)):
        return bytes(source), "uploaded CSV"
    if isinstance(source, (str, Path)):
        path = Path(source).expanduser()
        try:
            return path.read_bytes(), path.name
        except FileNotFoundError as exc:
            raise DataError(f"File not found: {path}.") from exc
        except IsADirectoryError as exc:
            raise DataError(f"{path} is a folder, not a CSV file.") from exc
        except OSError as exc:
            raise DataError(f"Could not read {path}: {exc}.") from exc
    name = str(getattr(source, "name", "") or "uploaded CSV")
    # Streamlit reruns the script with the same UploadedFile, already read to the end:
    # getvalue() or a rewind returns the whole file every time.
    getvalue = getattr(source, "getvalue", None)
    if callable(getvalue):
        return getvalue(), Path(name).name
    if hasattr(source, "seek") and getattr(source, "seekable", lambda: False)():
        source.seek(0)
    return source.read(), Path(name).name


def _decode(content: bytes | str) -> str:
    if isinstance(content, str):
        text = content
    elif content.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = content.decode("utf-16")  # Excel's "Unicode text" export
    else:
        if b"\x00" in content[:4096]:
            raise DataError("This does not look like a CSV text file (it contains binary data).")
        try:
            text = content.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = content.decode("cp1252", errors="replace")  # older Excel exports in Western Europe
    text = text.lstrip("\ufeff")
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    if controls > max(2, len(sample) // 100) or "\ufffd" * 3 in sample:
        raise DataError("This does not look like a CSV text file (it contains binary data).")
    return text


def _sniff_separator(lines: list[str]) -> str:
    """Pick the separator that splits the header into the most fields consistently across rows.

    csv.Sniffer is confused by decimal commas in semicolon files; counting fields per row with
    each candidate is simpler and predictable.
    """
    best, best_score = ",", (-1.0, 0)
    for sep in (",", ";", "\t", "|"):
        widths = [len(row) for row in csv.reader(lines, delimiter=sep)]
        if not widths or widths[0] < 2:
            continue
        agree = sum(w == widths[0] for w in widths) / len(widths)
        score = (agree, widths[0])
        if score > best_score:
            best, best_score = sep, score
    return best


def _uses_decimal_comma(lines: list[str], sep: str) -> bool:
    if sep == ",":
        return False
    cells = [cell.strip() for row in csv.reader(lines[1:], delimiter=sep) for cell in row]
    commas = sum(bool(_DECIMAL_COMMA_RE.match(c)) for c in cells)
    points = sum(bool(_DECIMAL_POINT_RE.match(c)) for c in cells)
    return commas > points


def load_csv(
    source: CsvSource,
    *,
    date_column: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> PriceTable:
    """Read a price CSV (path, bytes or file-like such as Streamlit's UploadedFile).

    The separator (comma, semicolon, tab, pipe) and decimal commas are detected. ``columns``
    renames file columns to ours, e.g. ``{"Schlusskurs": "close"}``; header matching ignores
    case and surrounding spaces.
    """
    content, name = _read_source(source)
    text = _decode(content)
    if not text.strip():
        raise DataError("The file is empty.")

    lines = [line for line in text.splitlines() if line.strip()]
    sep: str | None = None
    excel_hint = re.match(r"^sep=(.)$", lines[0].strip())
    if excel_hint:  # Excel writes "sep=;" as the first line to name the separator
        sep = excel_hint.group(1)
        lines = lines[1:]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if not lines:
            raise DataError("The file has no data rows.")
    sample = lines[:50]
    sep = sep or _sniff_separator(sample)
    decimal = "," if _uses_decimal_comma(sample, sep) else "."

    notes: list[str] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: rows longer than the header must not silently become an index.
            frame = pd.read_csv(
                io.StringIO(text),
                sep=sep,
                decimal=decimal,
                index_col=False,
                skipinitialspace=True,
                skip_blank_lines=True,
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            notes.append("Ignored values beyond the header's columns (some rows have extra separators).")
    except pd.errors.EmptyDataError as exc:
        raise DataError("The file is empty.") from exc
    except (pd.errors.ParserError, ValueError, UnicodeError, csv.Error) as exc:
        raise DataError(f"Could not read the file as CSV: {exc}") from exc
    if frame.empty:
        raise DataError("The file has no data rows.")

    if columns:
        frame = _apply_renames(frame, columns)
    if decimal == ",":
        frame = _fix_dotted_thousands(frame)

    where = f"CSV file: {name}" if name != "uploaded CSV" else "Uploaded CSV"
    table = validate_prices(frame, where, date_column=date_column)
    index = table.frame.index
    return replace(
        table,
        source=f"{where}, {len(index)} rows, {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}",
        repairs=tuple(notes) + table.repairs,
    )


def _apply_renames(frame: pd.DataFrame, columns: Mapping[str, str]) -> pd.DataFrame:
    by_key = {_normalise_name(c): c for c in frame.columns}
    mapping: dict[str, str] = {}
    for old, new in columns.items():
        actual = old if old in frame.columns else by_key.get(_normalise_name(old))
        if actual is None:
            listed = ", ".join(str(c) for c in frame.columns)
            raise DataError(f"Column '{old}' (from the column mapping) is not in the file. Columns are: {listed}.")
        mapping[actual] = _normalise_name(new)
    return frame.rename(columns=mapping)


def _fix_dotted_thousands(frame: pd.DataFrame) -> pd.DataFrame:
    """In decimal-comma files "1.234,56" stays text; convert columns where every value fits."""
    out = frame.copy()
    for col in out.columns:
        values = out[col]
        if pd.api.types.is_numeric_dtype(values):
            continue
        text = values.astype("string").str.strip()
        if not text.dropna().str.match(r"^[+-]?\d{1,3}(\.\d{3})*(,\d+)?$").all() or text.dropna().empty:
            continue
        out[col] = pd.to_numeric(text.str.replace(".", "", regex=False).str.replace(",", ".", regex=False))
    return out
