"""Shared fixtures of the model.data tests: CSV texts written as a user's file would be, and the
contract every loader promises."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from model.data import PriceTable, load_csv

# ---------------------------------------------------------------------------------------------
# CSV fixtures, written as a user's file would be
# ---------------------------------------------------------------------------------------------

YAHOO_CSV = """Date,Open,High,Low,Close,Adj Close,Volume
2024-01-02,187.15,188.44,183.89,185.64,184.94,82488700
2024-01-03,184.22,185.88,183.43,184.25,183.55,58414500
2024-01-04,182.15,183.09,180.88,181.91,181.22,71983600
2024-01-05,181.99,182.76,180.17,181.18,180.49,62303300
"""

DATE_CLOSE_CSV = """Date,Close
2024-01-02,10.0
2024-01-03,11.0
2024-01-04,9.9
"""

# The tutorial's dataset layout: label is the next day's close, so the last row has none.
TUTORIAL_CSV = """index_code,date,open,close,low,high,volume,money,change,label
sh000001,1990/12/20,104.3,104.39,99.98,104.39,197000,85000,0.4401,109.13
sh000001,1990/12/21,109.07,109.13,103.73,109.13,28000,16100,4.5407,114.55
sh000001,1990/12/24,113.57,114.55,109.13,114.55,32000,31100,4.9666,120.25
sh000001,1990/12/25,120.09,120.25,114.55,120.25,15000,6500,4.9760,
"""


def table_of(text: str | bytes, **kwargs: Any) -> PriceTable:
    return load_csv(text.encode() if isinstance(text, str) else text, **kwargs)


def assert_clean(table: PriceTable) -> None:
    """The contract every loader promises."""
    frame = table.frame
    assert isinstance(frame.index, pd.DatetimeIndex)
    assert frame.index.name == "date"
    assert frame.index.tz is None
    assert frame.index.is_monotonic_increasing and frame.index.is_unique
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    assert all(c == c.lower() and c == c.strip() for c in frame.columns)
    assert not frame.isna().any().any()
    assert np.isfinite(frame.to_numpy()).all()
    assert table.columns == list(frame.columns)
