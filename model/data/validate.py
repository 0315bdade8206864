"""Validation shared by every loader, as small named steps.

Every loader ends in :func:`validate_prices`, so the rest of the app can rely on one shape: a
tz-naive, sorted, unique DatetimeIndex named ``date`` and float64 columns with lower-case names
and no NaN or infinite values. Problems the user must fix raise :class:`DataError` with a message
meant to be shown as is; problems we can fix safely are fixed and listed in ``PriceTable.repairs``;
things we keep but the user should know are listed in ``PriceTable.warnings``.

Two phases: the *raw* steps turn whatever the loader read into a date-indexed float table
(row numbers in messages are the file's data rows); the *table* steps (``TABLE_STEPS``, in
``model.data.table_steps``) repair and check that table in order. Each step is a plain function, testable on its own.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from model.data.names import DATE_NAMES, IDENTIFIER_NAMES, canonical_names, normalise_name
from model.data.table import DATE_DTYPE, PRICE_COLUMNS, PriceTable, plural
from model.data.table_steps import TABLE_STEPS, Notes
from model.errors import DataError

__all__ = ["MAX_ABS_VALUE", "TABLE_STEPS", "Notes", "validate_prices"]

# Larger magnitudes overflow on the way: the normaliser and RMSE square values (1e18² = 1e36 is
# still inside float32's 3.4e38, which the network computes in). No real price or volume is near.
MAX_ABS_VALUE = 1e18

_NA_TOKENS: frozenset[str] = frozenset({"", "-", "--", "null", "none", "nan", "n/a", "na", "#n/a"})
_THOUSANDS_RE = re.compile(r"^[+-]?\d{1,3}(,\d{3})+(\.\d+)?$")


# ---------------------------------------------------------------------------------------------
# Dates
# ---------------------------------------------------------------------------------------------


def _to_datetime(values: pd.Series, **kwargs: Any) -> pd.Series:
    with warnings.catch_warnings():
        # pandas warns when it falls back to per-element parsing or guesses day-first; we
        # check the outcome ourselves and report unparseable values.
        warnings.simplefilter("ignore")
        try:
            parsed = pd.to_datetime(values, errors="coerce", **kwargs)
        except (ValueError, TypeError, OverflowError):
            # Mixed UTC offsets cannot share one tz unless converted to UTC first.
            try:
                parsed = pd.to_datetime(values, errors="coerce", utc=True, **kwargs)
            except (ValueError, TypeError, OverflowError):
                parsed = pd.Series(pd.NaT, index=values.index, dtype=DATE_DTYPE)
    if getattr(parsed.dt, "tz", None) is not None:
        # Keep the exchange's wall-clock date: converting to UTC would shift daily bars.
        parsed = parsed.dt.tz_localize(None)
    return parsed


def parse_dates(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Parse dates; return (parsed, failures) where failures are non-empty values that gave NaT."""
    if pd.api.types.is_datetime64_any_dtype(values):
        parsed = _to_datetime(values)
    else:
        if pd.api.types.is_integer_dtype(values) or pd.api.types.is_float_dtype(values):
            # Only YYYYMMDD numbers are dates; treating other numbers as epoch nanoseconds would
            # turn prices into 1970 timestamps without complaint.
            text = values.map(_yyyymmdd_text)
            parsed = _to_datetime(text, format="%Y%m%d")
        else:
            text = values.astype("string").str.strip()
            parsed = _to_datetime(text)
            # Year-first dates (2024-01-02, the tutorial's 1990/12/20) are never day-first.
            if not text.dropna().str.match(r"^\d{4}\D").all():
                parsed = _pick_date_order(text, parsed, _to_datetime(text, dayfirst=True))
    try:
        parsed = parsed.astype(DATE_DTYPE)
    except (ValueError, TypeError, OverflowError):
        parsed = pd.Series(pd.NaT, index=values.index, dtype=DATE_DTYPE)
    failures = values[parsed.isna() & values.notna()]
    return parsed, failures


def _yyyymmdd_text(value: Any) -> str:
    if pd.isna(value):
        return ""
    number = float(value)
    if not np.isfinite(number):
        return str(value)
    return str(int(number)) if number.is_integer() else str(value)


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


def find_date_column(frame: pd.DataFrame, date_column: str | None) -> str:
    """The column holding the dates: the caller's choice, a date-like name, or a leading date column."""
    columns = [str(c) for c in frame.columns]
    if date_column is not None:
        wanted = normalise_name(date_column)
        if wanted in columns:
            return wanted
        raise DataError(f"Date column '{date_column}' not found. Columns are: {', '.join(columns)}.")
    for name in DATE_NAMES:
        if name in columns:
            return name
    for name in columns:
        if "date" in name:
            return name
    # Headers in another language ("Kurstag"): accept a leading text column made only of dates.
    if columns:
        first = frame[columns[0]]
        if not pd.api.types.is_numeric_dtype(first) and first.notna().any():
            parsed, _ = parse_dates(first)
            if parsed.notna().sum() == first.notna().sum():
                return columns[0]
    raise DataError(
        f"No date column found. Columns are: {', '.join(columns) or '(none)'}. Name the date column."
    )


# ---------------------------------------------------------------------------------------------
# Raw phase: from what a loader read to a date-indexed float table
# ---------------------------------------------------------------------------------------------

_INDEX_DATE = "__index_date__"


def check_is_table(frame: Any) -> None:
    if not isinstance(frame, pd.DataFrame):
        raise DataError(f"Expected a table of prices, got {type(frame).__name__}.")
    if len(frame.index) == 0 or len(frame.columns) == 0:
        raise DataError("The file has no data rows.")
    if isinstance(frame.columns, pd.MultiIndex):
        raise DataError("The table has multi-level column headers; flatten them to one header row first.")


def index_to_columns(frame: pd.DataFrame, date_column: str | None) -> tuple[pd.DataFrame, str | None]:
    """A DatetimeIndex (yfinance) or a named index (read with index_col) becomes a column.

    Returns the frame (a copy, numbered 0..n-1 so "row N" in messages is the N-th data row) and
    the date column's name when it came from the index.
    """
    frame = frame.copy()
    hint: str | None = None
    if date_column is None and isinstance(frame.index, pd.DatetimeIndex):
        hint = _INDEX_DATE
        frame = frame.rename_axis(hint).reset_index()
    elif frame.index.name is not None or isinstance(frame.index, pd.MultiIndex):
        frame = frame.reset_index()
    return frame.reset_index(drop=True), hint


def canonical_headers(frame: pd.DataFrame) -> pd.DataFrame:
    names = canonical_names([normalise_name(c) for c in frame.columns])
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise DataError(
            f"More than one column is named {', '.join(repr(d) for d in duplicated)} "
            "(names are compared ignoring case and spaces). Rename or remove one of them."
        )
    frame.columns = names
    return frame


def drop_empty_rows(frame: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """Rows with nothing at all in them (trailing separators, blank spreadsheet lines)."""
    empty_rows = frame.isna().all(axis=1)
    if empty_rows.any():
        frame = frame.loc[~empty_rows]
        notes.repairs.append(f"Dropped {plural(int(empty_rows.sum()), 'empty row')}.")
    if frame.empty:
        raise DataError("The file has no data rows.")
    return frame


def take_dates(frame: pd.DataFrame, date_name: str) -> pd.Series:
    """Parse the date column; every row needs a date that parses."""
    shown = "date" if date_name == _INDEX_DATE else date_name
    parsed, failures = parse_dates(frame[date_name])
    if len(failures):
        row = int(failures.index[0]) + 1
        raise DataError(
            f"Could not parse dates in column '{shown}' (e.g. row {row}: '{failures.iloc[0]}'). "
            f"{len(failures)} of {plural(len(parsed), 'value')} are not dates."
        )
    missing = parsed.isna()
    if missing.any():
        row = int(parsed.index[missing.to_numpy()][0]) + 1
        raise DataError(
            f"Column '{shown}' has {plural(int(missing.sum()), 'empty date')} (first at row {row}). "
            "Every row with prices needs a date."
        )
    return parsed


def coerce_numeric(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Coerce to float64; return (numbers, failures) where failures are values that are not numbers."""
    if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
        try:
            return values.astype("float64"), values.iloc[0:0]
        except (TypeError, ValueError, OverflowError):
            pass  # e.g. nullable or object numbers pandas cannot cast: go through the text route
    text = values.astype("string").str.strip()
    text = text.mask(text.str.lower().isin(_NA_TOKENS))
    # "$1,234.50" (Nasdaq.com exports) and "1,234" are common in otherwise clean files.
    text = text.str.replace(r"^[$€£¥]", "", regex=True)
    text = text.where(~text.fillna("").str.match(_THOUSANDS_RE), text.str.replace(",", "", regex=False))
    numbers = pd.to_numeric(text, errors="coerce").astype("float64")
    failures = values[numbers.isna() & text.notna()]
    return numbers, failures


def numeric_columns(frame: pd.DataFrame, notes: Notes) -> dict[str, pd.Series]:
    """Every column as float64: identifiers and free text are dropped, bad prices are the user's to fix."""
    numeric: dict[str, pd.Series] = {}
    for name in frame.columns:
        if name in IDENTIFIER_NAMES or name.startswith("unnamed:"):
            notes.repairs.append(f"Dropped identifier column '{name}'.")
            continue
        numbers, bad = coerce_numeric(frame[name])
        if len(bad):
            if name in PRICE_COLUMNS:
                row = int(bad.index[0]) + 1
                raise DataError(f"Column '{name}' is not numeric (e.g. row {row}: '{bad.iloc[0]}').")
            notes.repairs.append(f"Dropped non-numeric column '{name}'.")
            continue
        numeric[name] = numbers
    if not numeric:
        raise DataError("No numeric price columns found next to the dates (for example a 'close' column).")
    return numeric


def refuse_huge_values(numeric: Mapping[str, pd.Series], dates: pd.Series) -> None:
    """Values whose scale would overflow the normaliser or the metrics (e.g. 1e300)."""
    for name, values in numeric.items():
        array = values.to_numpy()
        huge = np.isfinite(array) & (np.abs(array) > MAX_ABS_VALUE)
        if huge.any():
            first = int(np.flatnonzero(huge)[0])
            row = int(values.index[first]) + 1
            when = pd.Timestamp(dates.loc[values.index[first]])
            raise DataError(
                f"Column '{name}' has {plural(int(huge.sum()), 'value')} too large to learn from "
                f"(first at row {row}, {when:%Y-%m-%d}: {array[first]:.6g}). Values must stay within "
                f"±{MAX_ABS_VALUE:.0e}; rescale the column (e.g. to thousands) or remove it."
            )


def validate_prices(frame: pd.DataFrame, source: str, *, date_column: str | None = None) -> PriceTable:
    """Check and tidy a raw price frame; raise DataError for anything that needs the user.

    The date comes from ``date_column`` when given, else from a DatetimeIndex, else from a
    column with a date-like name. Safe repairs (sorting, duplicate dates, gaps, empty or
    constant extra columns, identifier columns) are applied and described in ``repairs``.
    """
    check_is_table(frame)
    notes = Notes()
    frame, index_date = index_to_columns(frame, date_column)
    frame = canonical_headers(frame)
    frame = drop_empty_rows(frame, notes)
    date_name = index_date or find_date_column(frame, date_column)
    dates = take_dates(frame, date_name)
    numeric = numeric_columns(frame.drop(columns=[date_name]), notes)
    refuse_huge_values(numeric, dates)
    # Arrays, not Series: the Series carry row numbers and would align to all-NaN on dates.
    table = pd.DataFrame(
        {name: values.to_numpy() for name, values in numeric.items()},
        index=pd.DatetimeIndex(dates.to_numpy(), name="date"),
    )
    for step in TABLE_STEPS:
        table = step(table, notes)
    return PriceTable(
        frame=table, source=source, repairs=tuple(notes.repairs), warnings=tuple(notes.warnings)
    )
