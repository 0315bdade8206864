"""Yahoo Finance through yfinance, with a day cache on disk (Parquet: data only, never code)."""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import io
import logging
import os
import re
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any, TypeAlias

import pandas as pd

from model.data.table import PriceTable
from model.data.validate import validate_prices
from model.errors import DataError, SourceUnavailableError

log = logging.getLogger(__name__)

__all__ = ["YF_INTERVALS", "load_yfinance"]

YF_INTERVALS: tuple[str, ...] = ("1d", "1wk")
_TICKER_RE = re.compile(r"^[A-Za-z0-9.\-^=]{1,15}$")
_CACHE_SUFFIX = ".parquet"

DateLike: TypeAlias = str | dt.date | dt.datetime | pd.Timestamp | None


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


# ---------------------------------------------------------------------------------------------
# Day cache
# ---------------------------------------------------------------------------------------------


def cache_path(directory: Path, symbol: str, start: Any, end: Any, period: str | None, interval: str) -> Path:
    today = _today().isoformat()
    key = f"{symbol}|{start}|{end}|{period}|{interval}|{today}"
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return directory / f"{re.sub(r'[^A-Z0-9]', '_', symbol)}_{interval}_{today}_{digest}{_CACHE_SUFFIX}"


def read_cache(path: Path) -> tuple[pd.DataFrame | None, str | None]:
    """(frame, None) on a hit, (None, None) on a miss, (None, note) when the file is unreadable.

    Parquet holds data only: a planted file can at worst fail to parse, and that is a miss.
    """
    if not path.is_file():
        return None, None
    try:
        frame = pd.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable cache file only costs a fresh download
        log.exception("Ignored an unreadable yfinance cache file %s", path)
        return (
            None,
            f"Ignored an unreadable cache file ({path.name}: {type(exc).__name__}); downloaded afresh.",
        )
    if not isinstance(frame, pd.DataFrame) or frame.empty:
        return None, f"Ignored an empty cache file ({path.name}); downloaded afresh."
    return frame, None


def write_cache(raw: pd.DataFrame, path: Path) -> None:
    """Write atomically so a concurrent session never reads half a file; failures are ignored
    because the cache only saves a download."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        frame = raw.copy()
        frame.columns = [str(c) for c in frame.columns]  # Parquet wants string column names
        frame.to_parquet(tmp)
        os.replace(tmp, path)
    except (OSError, ValueError, TypeError, ImportError):
        with contextlib.suppress(OSError):
            tmp.unlink(missing_ok=True)


# ---------------------------------------------------------------------------------------------
# Download, keeping what yfinance itself reported
# ---------------------------------------------------------------------------------------------


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        with contextlib.suppress(Exception):
            self.lines.append(record.getMessage())


@contextlib.contextmanager
def _capture_yfinance_reports() -> Iterator[list[str]]:
    """Collect what yfinance logs or prints while downloading (with no network it logs the
    cause and returns an empty frame), instead of letting it reach the terminal only."""
    logger = logging.getLogger("yfinance")
    handler = _Collect()
    printed_out, printed_err = io.StringIO(), io.StringIO()
    lines: list[str] = []
    logger.addHandler(handler)
    try:
        with contextlib.redirect_stdout(printed_out), contextlib.redirect_stderr(printed_err):
            yield lines
    finally:
        logger.removeHandler(handler)
        lines.extend(handler.lines)
        lines.extend(printed_out.getvalue().splitlines())
        lines.extend(printed_err.getvalue().splitlines())


def _reported_cause(lines: list[str], symbol: str) -> str:
    """yfinance's own words about the failure, shortened; '' if it said nothing."""
    text = [line.strip() for line in "\n".join(lines).splitlines() if line.strip()]
    about = [line for line in text if symbol in line and "Failed download" not in line] or text
    cause = " ".join(about)
    return cause if len(cause) <= 400 else cause[:397] + "…"


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
        raise DataError(
            f"Interval must be one of {', '.join(YF_INTERVALS)} (daily or weekly), got {interval!r}."
        )
    start_ts, end_ts = _check_date_arg(start, "Start"), _check_date_arg(end, "End")
    if start_ts is not None and end_ts is not None and start_ts >= end_ts:
        raise DataError(f"Start date {start_ts:%Y-%m-%d} must be before end date {end_ts:%Y-%m-%d}.")
    if start_ts is None and end_ts is None and period is None:
        period = "5y"

    path: Path | None = None
    if cache_dir is not None or download is None:
        directory = Path(cache_dir).expanduser() if cache_dir is not None else _default_cache_dir()
        path = cache_path(directory, symbol, start_ts, end_ts, period, interval)

    notes: list[str] = []
    raw, note = read_cache(path) if path is not None else (None, None)
    cached = raw is not None
    if note:
        notes.append(note)
    if raw is None:
        raw = _flatten_yf_columns(_download(symbol, start, end, period, interval, download), symbol)
        if path is not None:
            write_cache(raw, path)

    table = validate_prices(raw, f"Yahoo Finance via yfinance: {symbol} {interval}")
    index = table.frame.index
    source = f"Yahoo Finance via yfinance: {symbol} {interval}, {index[0]:%Y-%m-%d} to {index[-1]:%Y-%m-%d}"
    if cached:
        source += " (cached)"
    return replace(table, source=source, repairs=tuple(notes) + table.repairs)


def _download(
    symbol: str, start: DateLike, end: DateLike, period: str | None, interval: str,
    download: Callable[..., pd.DataFrame] | None,
) -> pd.DataFrame:  # fmt: skip
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
    with _capture_yfinance_reports() as reports:
        try:
            raw = download(**kwargs)
        except Exception as exc:  # noqa: BLE001 - any failure here means "source unavailable"
            log.exception("yfinance download of %s failed", symbol)
            raw = exc
    cause = _reported_cause(reports, symbol)
    if isinstance(raw, Exception):
        reported = f" yfinance reported: {cause}" if cause else ""
        raise SourceUnavailableError(
            f"Downloading '{symbol}' from Yahoo Finance failed: {type(raw).__name__}: {raw}.{reported} "
            "Yahoo Finance may be unreachable (no network) or the ticker may be wrong. "
            "Use the bundled sample or upload a CSV instead."
        ) from raw
    if not isinstance(raw, pd.DataFrame) or raw.empty:
        # With no network yfinance logs an error and returns an empty frame instead of raising.
        reported = f" yfinance reported: {cause}" if cause else ""
        raise SourceUnavailableError(
            f"yfinance returned no rows for '{symbol}'.{reported} Either the ticker does not exist / has no "
            "data in that range, or Yahoo Finance cannot be reached (no network). "
            "Check the ticker and dates, or use the bundled sample or upload a CSV instead."
        )
    return raw
