"""Validation: safe repairs applied and reported, validate_prices and the change column."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.data import add_change_column, validate_prices
from model.errors import DataError
from tests.model.data.helpers import YAHOO_CSV
from tests.model.data.helpers import assert_clean as _assert_clean
from tests.model.data.helpers import table_of as _table

# ---------------------------------------------------------------------------------------------
# Safe repairs: applied and reported
# ---------------------------------------------------------------------------------------------


def test_duplicate_dates_keep_the_last_row_and_are_reported() -> None:
    table = _table("Date,Close\n2024-01-02,1\n2024-01-03,2\n2024-01-03,2.5\n2024-01-04,3\n2024-01-04,3.5\n")
    assert table.frame["close"].tolist() == [1.0, 2.5, 3.5]
    assert "Dropped 2 duplicate dates (kept the last row of each)." in table.repairs


def test_unsorted_rows_are_sorted_and_reported() -> None:
    table = _table("Date,Close\n2024-01-04,3\n2024-01-02,1\n2024-01-03,2\n")
    assert table.frame["close"].tolist() == [1.0, 2.0, 3.0]
    assert "Sorted rows by date." in table.repairs
    # change follows the sorted order, not the file's.
    assert table.frame["change"].tolist() == pytest.approx([0.0, 1.0, 0.5])


def test_gaps_are_forward_filled_with_counts_per_column() -> None:
    text = (
        "Date,Close,Volume\n2024-01-02,1,10\n2024-01-03,,20\n2024-01-04,3,\n2024-01-05,4,\n2024-01-08,5,50\n"
    )
    table = _table(text)
    assert table.frame["close"].tolist() == [1.0, 1.0, 3.0, 4.0, 5.0]
    assert table.frame["volume"].tolist() == [10.0, 20.0, 20.0, 20.0, 50.0]
    assert "Forward-filled 3 missing values (close: 1, volume: 2)." in table.repairs


def test_leading_gaps_drop_rows_and_are_reported() -> None:
    text = "Date,Close,Open\n2024-01-02,1,\n2024-01-03,2,\n2024-01-04,3,3\n" + "".join(
        f"2024-02-{d:02d},{d},{d}\n" for d in range(1, 21)
    )
    table = _table(text)
    assert table.frame.index[0] == pd.Timestamp("2024-01-04")
    assert "Dropped 2 leading rows where some columns had not started yet." in table.repairs


def test_a_column_that_starts_late_is_dropped_rather_than_the_history() -> None:
    rows = "".join(f"2024-01-{d:02d},{d},{'' if d < 20 else d}\n" for d in range(1, 31))
    table = _table("Date,Close,Open\n" + rows)
    assert len(table.frame) == 30
    assert "open" not in table.columns
    assert any("'open'" in note and "too late" in note for note in table.repairs)


def test_empty_rows_columns_constant_and_text_columns_are_dropped_and_reported() -> None:
    text = (
        "Date,Close,Empty,Flat,Notes\n2024-01-02,1,,7,up\n,,,,\n2024-01-03,2,,7,down\n2024-01-04,3,,7,flat\n"
    )
    table = _table(text)
    assert table.columns == ["close", "change"]
    assert "Dropped 1 empty row." in table.repairs
    assert "Dropped empty column 'empty'." in table.repairs
    assert any("constant column 'flat'" in note for note in table.repairs)
    assert "Dropped non-numeric column 'notes'." in table.repairs


def test_clean_file_reports_no_repairs() -> None:
    assert _table(YAHOO_CSV).repairs == ()


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(min_value=0, max_value=40), st.floats(min_value=1, max_value=1e4)),
        min_size=2,
        max_size=60,
    )
)
def test_property_any_row_order_and_duplicates_come_out_sorted_and_unique(
    rows: list[tuple[int, float]],
) -> None:
    """Whatever the order and duplicates, each date appears once, in order, with its last value."""
    base = pd.Timestamp("2024-01-01")
    frame = pd.DataFrame(
        {"date": [base + pd.Timedelta(days=d) for d, _ in rows], "close": [c for _, c in rows]}
    )
    expected = {base + pd.Timedelta(days=d): c for d, c in rows}  # later rows overwrite earlier ones
    if len(expected) < 2 or len(set(expected.values())) < 2:
        with pytest.raises(DataError):
            validate_prices(frame, "test")
        return
    table = validate_prices(frame, "test")
    _assert_clean(table)
    assert list(table.frame.index) == sorted(expected)
    assert table.frame["close"].tolist() == [expected[d] for d in sorted(expected)]


# ---------------------------------------------------------------------------------------------
# validate_prices and the change column
# ---------------------------------------------------------------------------------------------


def test_change_column_is_daily_fraction_with_first_row_zero() -> None:
    table = _table("Date,Close\n2024-01-02,100\n2024-01-03,110\n2024-01-04,99\n")
    assert table.frame["change"].tolist() == pytest.approx([0.0, 0.1, -0.1])


def test_add_change_column_leaves_existing_change_and_missing_close_alone() -> None:
    with_change = pd.DataFrame({"close": [1.0, 2.0], "change": [5.0, 6.0]})
    assert add_change_column(with_change)["change"].tolist() == [5.0, 6.0]
    no_close = pd.DataFrame({"open": [1.0, 2.0]})
    assert list(add_change_column(no_close).columns) == ["open"]


def test_add_change_column_does_not_mutate_and_stays_finite_after_a_zero_close() -> None:
    frame = pd.DataFrame({"close": [1.0, 0.0, 2.0]})
    out = add_change_column(frame)
    assert "change" not in frame.columns
    assert out["change"].tolist() == [0.0, -1.0, 0.0]


def test_validate_tz_aware_index_keeps_the_wall_clock_date_and_does_not_mutate_input() -> None:
    index = pd.DatetimeIndex(
        pd.date_range("2024-01-02", periods=3, freq="D", tz="America/New_York"), name="Date"
    )
    frame = pd.DataFrame({"Close": [1.0, 2.0, 3.0], "Volume": [1, 2, 3]}, index=index)
    before = frame.copy()
    table = validate_prices(frame, "test")
    _assert_clean(table)
    assert table.frame.index[0] == pd.Timestamp("2024-01-02")
    pd.testing.assert_frame_equal(frame, before)


def test_validate_with_a_date_column_and_a_named_date_column() -> None:
    frame = pd.DataFrame({"When": ["2024-01-02", "2024-01-03"], "close": [1, 2]})
    assert len(validate_prices(frame, "t", date_column="when").frame) == 2


def test_validate_rejects_an_empty_frame() -> None:
    with pytest.raises(DataError, match="no data rows"):
        validate_prices(pd.DataFrame(), "t")
