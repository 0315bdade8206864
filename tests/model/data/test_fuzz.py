"""Property-based fuzz of the CSV loader: any bytes, any CSV-like table either load into a clean
table or raise the project's DataError with a message; nothing else escapes."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from model.data import load_csv
from model.errors import DataError
from tests.model.data.helpers import assert_clean


def _loads_or_refuses(content: bytes) -> None:
    try:
        table = load_csv(content)
    except DataError as exc:
        assert str(exc).strip(), "a DataError must carry a message"
        return
    assert_clean(table)
    assert len(table.frame) >= 2


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_arbitrary_bytes(content: bytes) -> None:
    _loads_or_refuses(content)


_NAMES = ["Date", "date", "Close", "close", "Open", "High", "Low", "Volume", "Adj Close", "Price", "ticker",
          "label", "change", "x", "Kurs", "日期", "", " ", "Date ", "unnamed: 0"]  # fmt: skip
_DATES = st.one_of(
    st.dates(min_value=pd.Timestamp("1700-01-01").date(), max_value=pd.Timestamp("2200-12-31").date()).map(
        lambda d: d.isoformat()
    ),
    st.dates().map(lambda d: d.strftime("%d/%m/%Y")),
    st.dates().map(lambda d: d.strftime("%m/%d/%y")),
    st.dates().map(lambda d: d.strftime("%d.%m.%Y")),
    st.integers(min_value=-(10**12), max_value=10**12).map(str),
    st.text(max_size=12),
)
_NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.floats(min_value=-1e6, max_value=1e6).map(lambda v: f"{v:.3f}"),
    st.sampled_from(
        [
            "1e300",
            "-1e300",
            "inf",
            "-inf",
            "nan",
            "NaN",
            "",
            "-",
            "n/a",
            "$1,234.50",
            "1.234,5",
            "0",
            "-0",
            "1e-320",
            "9" * 400,
        ]
    ),  # fmt: skip
    st.integers(min_value=-(10**20), max_value=10**20).map(str),
    st.text(max_size=8),
)


@st.composite
def csv_tables(draw: st.DrawFn) -> bytes:
    """Random header (known and unknown names), random cells, separators, quoting and encodings."""
    width = draw(st.integers(min_value=1, max_value=6))
    header = draw(st.lists(st.sampled_from(_NAMES), min_size=width, max_size=width))
    rows = draw(st.integers(min_value=0, max_value=25))
    body = [
        [
            draw(_DATES) if i == 0 else draw(_NUMBERS)
            for i in range(width + draw(st.sampled_from([0, 0, 0, 1, -1])))
        ]
        for _ in range(rows)
    ]
    sep = draw(st.sampled_from([",", ";", "\t", "|", " "]))
    buffer = io.StringIO()
    writer = csv.writer(
        buffer, delimiter=sep, quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL]))
    )
    if draw(st.booleans()):
        buffer.write(f"sep={sep}\n")
    writer.writerow(header)
    writer.writerows(body)
    text = buffer.getvalue()
    encoding = draw(st.sampled_from(["utf-8", "utf-8-sig", "utf-16", "cp1252", "latin-1"]))
    return text.encode(encoding, errors="replace")


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(csv_tables())
def test_arbitrary_csv_like_tables(content: bytes) -> None:
    _loads_or_refuses(content)


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.integers(min_value=0, max_value=3000),
            st.floats(allow_nan=True, allow_infinity=True, width=64),
        ),
        min_size=0,
        max_size=40,
    )
)
@example([(0, 1.0), (1, float("inf")), (1, 0.0)])  # an inf on a date whose later duplicate is kept
def test_dates_in_any_order_with_edge_values(rows: list[tuple[int, float]]) -> None:
    base = pd.Timestamp("2000-01-01")
    lines = ["Date,Close"] + [f"{(base + pd.Timedelta(days=d)):%Y-%m-%d},{v!r}" for d, v in rows]
    try:
        table = load_csv("\n".join(lines).encode())
    except DataError as exc:
        assert str(exc)
        return
    assert_clean(table)
    finite = [v for _, v in rows if math.isfinite(v)]  # an inf may be dropped with a duplicate date
    assert all(abs(v) <= 1e18 for v in finite)  # anything bigger must have been refused
    assert np.abs(table.frame["close"].to_numpy()).max() <= 1e18
