"""The table phase of validation: repairs and checks on the date-indexed float table, in order.

``validate_prices`` (model.data.validate) builds that table from what a loader read, then runs
``TABLE_STEPS`` on it. Each step is a plain function ``(table, notes) -> table``: it fixes what is
safe to fix (listed in ``Notes.repairs``), keeps but flags what the user should know
(``Notes.warnings``) and raises :class:`DataError` for what the user must fix.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from model.data.names import LOOKAHEAD_COLUMNS
from model.data.table import DATE_DTYPE, PRICE_COLUMNS, add_change_column, plural
from model.errors import DataError

__all__ = ["TABLE_STEPS", "Notes", "TableStep"]

# Prices in these columns are warned about when zero or negative (volume may well be zero).
_POSITIVE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "adj_close")


@dataclass
class Notes:
    """What the steps did (repairs) and what they kept but want the user to know (warnings)."""

    repairs: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


TableStep = Callable[[pd.DataFrame, Notes], pd.DataFrame]


def sort_by_date(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    if not table.index.is_monotonic_increasing:
        # Stable sort keeps file order among equal dates, so "keep last" below means last in the file.
        table = table.sort_index(kind="mergesort")
        notes.repairs.append("Sorted rows by date.")
    return table


def drop_duplicate_dates(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    dupes = table.index.duplicated(keep="last")
    if dupes.any():
        table = table.loc[~dupes]
        notes.repairs.append(
            f"Dropped {plural(int(dupes.sum()), 'duplicate date')} (kept the last row of each)."
        )
    return table


def refuse_infinite(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    for name in table.columns:
        infinite = np.isinf(table[name].to_numpy())
        if infinite.any():
            first = table.index[infinite][0]
            raise DataError(
                f"Column '{name}' has {plural(int(infinite.sum()), 'infinite value')} (first at {first:%Y-%m-%d})."
            )
    return table


def drop_empty_columns(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    empty_cols = [c for c in table.columns if table[c].isna().all()]
    if "close" in empty_cols:
        raise DataError("Column 'close' has no values.")
    if empty_cols:
        table = table.drop(columns=empty_cols)
        notes.repairs.extend(f"Dropped empty column '{c}'." for c in empty_cols)
    if table.shape[1] == 0:
        raise DataError("Every numeric column is empty; there are no prices to learn from.")
    return table


def drop_rows_without_values(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    no_values = table.isna().all(axis=1)
    if no_values.any():
        table = table.loc[~no_values]
        notes.repairs.append(f"Dropped {plural(int(no_values.sum()), 'row')} that have a date but no values.")
    if table.empty:
        raise DataError("No row has both a date and a value.")
    return table


def drop_rows_missing_lookahead(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """A look-ahead column (``label``) cannot be filled from the past: drop its missing rows."""
    for name in [c for c in table.columns if c in LOOKAHEAD_COLUMNS]:
        missing = table[name].isna()
        if missing.any() and not missing.all():
            table = table.loc[~missing]
            notes.repairs.append(
                f"Dropped {plural(int(missing.sum()), 'row')} where '{name}' is missing "
                "(it holds a future value, so it cannot be filled from the past)."
            )
    return table


def drop_late_columns(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """A column that starts late would cost most of the history: drop the column instead
    (close is the exception, it is the default target)."""
    late = [
        c for c in table.columns
        if c != "close" and (table.index < table[c].first_valid_index()).sum() > max(5, len(table) // 10)
    ]  # fmt: skip
    if late:
        table = table.drop(columns=late)
        notes.repairs.extend(f"Dropped column '{c}': its values start too late in the history." for c in late)
    return table


def drop_leading_rows(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """Leading gaps cannot be forward-filled, so rows before a column's first value must go."""
    start = max(table[c].first_valid_index() for c in table.columns)
    leading = int((table.index < start).sum())
    if leading:
        table = table.loc[table.index >= start]
        notes.repairs.append(
            f"Dropped {plural(leading, 'leading row')} where some columns had not started yet."
        )
    return table


def forward_fill_gaps(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    gaps = {c: int(n) for c, n in table.isna().sum().items() if n}
    if gaps:
        table = table.ffill()
        counts = ", ".join(f"{name}: {n}" for name, n in gaps.items())
        notes.repairs.append(f"Forward-filled {plural(sum(gaps.values()), 'missing value')} ({counts}).")
    return table


def refuse_too_few_rows(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    if len(table) < 2:
        raise DataError(f"Only {plural(len(table), 'usable row')} of data; a price history needs many rows.")
    return table


def drop_constant_columns(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    constant = [c for c in table.columns if table[c].nunique(dropna=True) <= 1]
    if "close" in constant:
        value = float(table["close"].iloc[0])
        raise DataError(
            f"Column 'close' is constant (every value is {value!r}): the normaliser would divide by zero."
        )
    if constant:
        table = table.drop(columns=constant)
        notes.repairs.extend(f"Dropped constant column '{c}' (it carries no information)." for c in constant)
    if table.shape[1] == 0:
        raise DataError("Every numeric column is constant; there is nothing to learn from.")
    return table


def warn_non_positive_prices(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """Kept (spreads and futures can go negative) but said: percentage metrics break on them."""
    for name in [c for c in _POSITIVE_COLUMNS if c in table.columns]:
        count = int((table[name].to_numpy() <= 0).sum())
        if count:
            notes.warnings.append(
                f"Column '{name}' has {plural(count, 'value')} ≤ 0 (negative or zero prices). They are kept "
                "(spreads and futures can go negative), but percentage measures such as MAPE and the "
                "daily change are not meaningful on them."
            )
    return table


def finish(table: pd.DataFrame, notes: Notes) -> pd.DataFrame:
    """Canonical price columns first (pickers read open, high, low, close...), the rest in file
    order; the derived change column; float64 and a named date index."""
    ordered = [c for c in PRICE_COLUMNS if c in table.columns] + [
        c for c in table.columns if c not in PRICE_COLUMNS
    ]
    table = add_change_column(table[ordered]).astype("float64")
    table.index = pd.DatetimeIndex(table.index.astype(DATE_DTYPE), name="date")
    table.columns = pd.Index([str(c) for c in table.columns])
    return table


TABLE_STEPS: tuple[TableStep, ...] = (
    sort_by_date,
    drop_duplicate_dates,
    refuse_infinite,
    drop_empty_columns,
    drop_rows_without_values,
    drop_rows_missing_lookahead,
    drop_late_columns,
    drop_leading_rows,
    forward_fill_gaps,
    refuse_too_few_rows,
    drop_constant_columns,
    warn_non_positive_prices,
    finish,
)
