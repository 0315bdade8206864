"""The validated price table every loader returns, and the derived ``change`` column."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Columns with a fixed meaning: a non-numeric value in one of these is an error, not a column to drop.
PRICE_COLUMNS: tuple[str, ...] = ("open", "high", "low", "close", "volume", "adj_close")

# One shared unit (pandas 3's default) so indexes from different loaders compare equal.
DATE_DTYPE = "datetime64[us]"


@dataclass(frozen=True, eq=False)
class PriceTable:
    """A validated price table plus where it came from and what was repaired on the way.

    ``repairs`` lists what the loader changed; ``warnings`` lists what it kept but the user
    should know (for example negative prices). ``eq=False`` because DataFrame equality is
    element-wise; tables compare by identity. Treat ``frame`` as read-only: loaders hand out
    copies, but nothing enforces it.
    """

    frame: pd.DataFrame
    source: str
    repairs: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def columns(self) -> list[str]:
        """Numeric columns usable as features or target (validation leaves no other kind)."""
        return [str(c) for c in self.frame.columns]


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


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
