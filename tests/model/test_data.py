"""Tests for model.data: loaders, validation, repairs and the row-count check. No network."""

from __future__ import annotations

import datetime as dt
import io
import random
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import model.data as data
from model.data import (
    SAMPLE_TICKERS,
    PriceTable,
    add_change_column,
    load_csv,
    load_sample,
    load_yfinance,
    validate_prices,
)
from model.errors import DataError, SourceUnavailableError

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


def _table(text: str | bytes, **kwargs: Any) -> PriceTable:
    return load_csv(text.encode() if isinstance(text, str) else text, **kwargs)


def _assert_clean(table: PriceTable) -> None:
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


# ---------------------------------------------------------------------------------------------
# CSV layouts that must load
# ---------------------------------------------------------------------------------------------


def test_yahoo_export_from_path(tmp_path: Path) -> None:
    path = tmp_path / "AAPL.csv"
    path.write_text(YAHOO_CSV)
    table = load_csv(path)
    _assert_clean(table)
    assert table.columns == ["open", "high", "low", "close", "volume", "adj_close", "change"]
    assert table.frame.index[0] == pd.Timestamp("2024-01-02")
    assert table.frame.loc["2024-01-03", "adj_close"] == pytest.approx(183.55)
    assert table.repairs == ()
    assert "AAPL.csv" in table.source and "2024-01-02 to 2024-01-05" in table.source


def test_plain_date_close_file_offers_close_and_change() -> None:
    table = _table(DATE_CLOSE_CSV)
    _assert_clean(table)
    assert table.columns == ["close", "change"]


def test_semicolon_file_with_bom_and_decimal_commas_and_day_first_dates() -> None:
    text = (
        "\ufeffDatum;Eröffnung;Schlusskurs;Volumen\n"
        "02.01.2024;1.234,50;1,5;100\n"
        "03.01.2024;1.240,00;1,75;200\n"
        "04.01.2024;1.250,25;1,60;300\n"
    )
    table = _table(text, columns={"Schlusskurs": "close", "Eröffnung": "open", "Volumen": "volume"})
    _assert_clean(table)
    assert list(table.frame.index.strftime("%Y-%m-%d")) == ["2024-01-02", "2024-01-03", "2024-01-04"]
    assert table.frame["close"].tolist() == [1.5, 1.75, 1.6]
    assert table.frame["open"].tolist() == [1234.5, 1240.0, 1250.25]


def test_semicolon_file_with_decimal_points() -> None:
    table = _table("Date;Close;Volume\n2024-01-02;10.5;100\n2024-01-03;11.25;120\n2024-01-04;11.0;90\n")
    assert table.frame["close"].tolist() == [10.5, 11.25, 11.0]


def test_tab_separated_file() -> None:
    table = _table("Date\tOpen\tClose\n2024-01-02\t1\t2\n2024-01-03\t2\t3\n")
    assert table.columns == ["open", "close", "change"]


def test_excel_sep_hint_line() -> None:
    table = _table("sep=;\nDate;Close\n2024-01-02;1\n2024-01-03;2\n")
    assert table.frame["close"].tolist() == [1.0, 2.0]


def test_tutorial_layout() -> None:
    table = _table(TUTORIAL_CSV)
    _assert_clean(table)
    frame = table.frame
    assert "index_code" not in frame.columns
    assert {"open", "close", "low", "high", "volume", "money", "change", "label"} <= set(frame.columns)
    assert frame.index[0] == pd.Timestamp("1990-12-20")
    # The file's own change column is kept, not recomputed from close.
    assert frame["change"].tolist() == [0.4401, 4.5407, 4.9666]
    assert frame["label"].tolist() == [109.13, 114.55, 120.25]
    # label looks ahead: the last day cannot be filled from the past, so it is dropped, visibly.
    assert len(frame) == 3
    assert any("index_code" in note for note in table.repairs)
    assert any("'label' is missing" in note for note in table.repairs)


def test_numeric_index_code_is_dropped_as_identifier() -> None:
    table = _table(TUTORIAL_CSV.replace("sh000001", "000001"))
    assert "index_code" not in table.columns


def test_caller_named_date_column_and_renames() -> None:
    text = "Kurstag,Schluss,Hoch\n2024-01-02,10,11\n2024-01-03,12,13\n"
    table = _table(text, date_column="Kurstag", columns={"schluss": "close", "Hoch": "High"})
    assert table.columns == ["high", "close", "change"]
    assert table.frame["close"].tolist() == [10.0, 12.0]


def test_rename_of_missing_column_names_the_columns() -> None:
    with pytest.raises(DataError, match=r"'Schlusskurs'.*Columns are: Date, Close"):
        _table(DATE_CLOSE_CSV, columns={"Schlusskurs": "close"})


def test_missing_caller_date_column() -> None:
    with pytest.raises(DataError, match=r"Date column 'when' not found"):
        _table(DATE_CLOSE_CSV, date_column="when")


@pytest.mark.parametrize(
    ("header", "expected"),
    [("Adj Close", "adj_close"), ("adj_close", "adj_close"), ("Vol", "volume"), (" VOLUME ", "volume")],
)
def test_column_synonyms(header: str, expected: str) -> None:
    table = _table(f"Date,Close,{header}\n2024-01-02,1,5\n2024-01-03,2,6\n")
    assert expected in table.columns


@pytest.mark.parametrize("name", ["Price", "Last"])
def test_price_or_last_becomes_close_when_there_is_no_close(name: str) -> None:
    assert "close" in _table(f"Date,{name}\n2024-01-02,1\n2024-01-03,2\n").columns


def test_last_is_left_alone_when_close_exists() -> None:
    table = _table("Date,Close,Last\n2024-01-02,1,7\n2024-01-03,2,8\n")
    assert table.frame["close"].tolist() == [1.0, 2.0]
    assert table.frame["last"].tolist() == [7.0, 8.0]


def test_nasdaq_export_with_dollar_signs_and_us_dates() -> None:
    text = (
        "Date,Close/Last,Volume,Open,High,Low\n"
        "01/03/2024,$184.25,58414460,$184.22,$185.88,$183.43\n"
        "01/02/2024,$185.64,82488670,$187.15,$188.44,$183.89\n"
    )
    table = _table(text)
    assert table.frame.index.tolist() == [pd.Timestamp("2024-01-02"), pd.Timestamp("2024-01-03")]
    assert table.frame["close"].tolist() == [185.64, 184.25]


def test_day_first_slash_dates_are_recognised_from_their_spacing() -> None:
    # 02/01 .. 05/01 read month-first would be monthly; daily spacing says day-first.
    table = _table("Date,Close\n02/01/2024,1\n03/01/2024,2\n04/01/2024,3\n05/01/2024,4\n")
    assert table.frame.index[0] == pd.Timestamp("2024-01-02")
    assert table.frame.index[-1] == pd.Timestamp("2024-01-05")


def test_monthly_iso_dates_stay_year_month_day() -> None:
    table = _table("Date,Close\n2024-01-01,1\n2024-02-01,2\n2024-03-01,3\n")
    assert table.frame.index[1] == pd.Timestamp("2024-02-01")


def test_yyyymmdd_numbers_are_dates() -> None:
    table = _table("Date,Close\n20240102,1\n20240103,2\n")
    assert table.frame.index[0] == pd.Timestamp("2024-01-02")


def test_thousands_separators_in_quoted_values() -> None:
    table = _table('Date,Close,Volume\n2024-01-02,"1,234.5","1,000"\n2024-01-03,"1,240.0","2,000"\n')
    assert table.frame["close"].tolist() == [1234.5, 1240.0]
    assert table.frame["volume"].tolist() == [1000.0, 2000.0]


# ---------------------------------------------------------------------------------------------
# Input kinds
# ---------------------------------------------------------------------------------------------


class _Upload(io.BytesIO):
    """Like Streamlit's UploadedFile: a BytesIO with a name."""

    name = "prices.csv"


@pytest.mark.parametrize("kind", ["str_path", "path", "bytes", "bytearray", "bytesio", "upload", "stringio"])
def test_every_input_kind(kind: str, tmp_path: Path) -> None:
    path = tmp_path / "prices.csv"
    path.write_text(YAHOO_CSV)
    source: Any = {
        "str_path": str(path),
        "path": path,
        "bytes": YAHOO_CSV.encode(),
        "bytearray": bytearray(YAHOO_CSV.encode()),
        "bytesio": io.BytesIO(YAHOO_CSV.encode()),
        "upload": _Upload(YAHOO_CSV.encode()),
        "stringio": io.StringIO(YAHOO_CSV),
    }[kind]
    table = load_csv(source)
    assert len(table.frame) == 4
    assert table.frame["close"].iloc[0] == pytest.approx(185.64)


def test_upload_read_twice_like_a_streamlit_rerun() -> None:
    upload = _Upload(YAHOO_CSV.encode())
    first = load_csv(upload)
    second = load_csv(upload)
    assert len(first.frame) == len(second.frame) == 4
    assert "prices.csv" in second.source


def test_utf16_excel_unicode_text_export() -> None:
    table = load_csv("Date\tClose\n2024-01-02\t1\n2024-01-03\t2\n".encode("utf-16"))
    assert table.frame["close"].tolist() == [1.0, 2.0]


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DataError, match="File not found"):
        load_csv(tmp_path / "nope.csv")


# ---------------------------------------------------------------------------------------------
# Bad input: a DataError with a message the user can act on, never a pandas exception
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"Date,Close\n", r"^The file has no data rows\.$"),
        (b"", r"^The file is empty\.$"),
        (b"   \n\n  ", r"^The file is empty\.$"),
        (b"a,b\n1,2\n3,4\n", r"^No date column found\. Columns are: a, b\. Name the date column\.$"),
        (
            b"Date,Close\n2024-01-02,1\nfoo,2\n2024-01-04,3\n",
            r"^Could not parse dates in column 'date' \(e\.g\. row 2: 'foo'\)",
        ),
        (b"Date,Close\n2024-01-02,1\n2024-01-03,abc\n", r"^Column 'close' is not numeric \(e\.g\. row 2: 'abc'\)\.$"),
        (
            b"Date,Close\n2024-01-02,12\n2024-01-03,12\n2024-01-04,12\n",
            r"^Column 'close' is constant \(every value is 12\.0\): the normaliser would divide by zero\.$",
        ),
        (
            b"Date,Close,High\n2024-01-03,5,inf\n2024-01-02,6,7\n2024-01-04,7,-inf\n",
            r"^Column 'high' has 2 infinite values \(first at 2024-01-03\)\.$",
        ),
        (b"Date,Close\n2024-01-02,1\n2024-01-03,2,3,4\n", r"^Could not read the file as CSV"),
        (b"Date,Close\n2024-01-02,1\n,2\n", r"^Column 'date' has 1 empty date \(first at row 2\)"),
        (b"Date,Close,close\n2024-01-02,1,2\n2024-01-03,2,3\n", r"More than one column is named 'close'"),
        (b"Date,Close\n2024-01-02,1\n", r"^Only 1 usable row"),
        (b"Date,Ticker\n2024-01-02,AAPL\n2024-01-03,AAPL\n", r"^No numeric price columns"),
    ],
    ids=[
        "header_only",
        "zero_bytes",
        "blank",
        "no_date_column",
        "unparseable_date",
        "non_numeric_close",
        "constant_close",
        "infinite",
        "ragged",
        "missing_date",
        "duplicate_columns",
        "one_row",
        "no_numbers",
    ],
)
def test_bad_csv_raises_data_error(content: bytes, message: str) -> None:
    with pytest.raises(DataError, match=message):
        load_csv(content)


def test_binary_garbage_is_refused() -> None:
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256))
    with pytest.raises(DataError, match="binary"):
        load_csv(png)
    rng = random.Random(7)
    noise = bytes(rng.randrange(1, 256) for _ in range(3000))  # no NUL bytes
    with pytest.raises(DataError, match="binary"):
        load_csv(noise)


def test_random_text_is_refused() -> None:
    with pytest.raises(DataError, match="No date column found"):
        load_csv(b"Lorem ipsum dolor sit amet\nconsectetur adipiscing elit\nsed do eiusmod\n")


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
    text = "Date,Close,Volume\n2024-01-02,1,10\n2024-01-03,,20\n2024-01-04,3,\n2024-01-05,4,\n2024-01-08,5,50\n"
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
        "Date,Close,Empty,Flat,Notes\n"
        "2024-01-02,1,,7,up\n"
        ",,,,\n"
        "2024-01-03,2,,7,down\n"
        "2024-01-04,3,,7,flat\n"
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
def test_property_any_row_order_and_duplicates_come_out_sorted_and_unique(rows: list[tuple[int, float]]) -> None:
    """Whatever the order and duplicates, each date appears once, in order, with its last value."""
    base = pd.Timestamp("2024-01-01")
    frame = pd.DataFrame({"date": [base + pd.Timedelta(days=d) for d, _ in rows], "close": [c for _, c in rows]})
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


# ---------------------------------------------------------------------------------------------
# Bundled sample
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("ticker", SAMPLE_TICKERS)
def test_sample_tickers_load(ticker: str) -> None:
    table = load_sample(ticker)
    _assert_clean(table)
    assert table.columns == ["open", "high", "low", "close", "volume", "change"]
    assert len(table.frame) > 2000
    assert table.frame.index[-1] == pd.Timestamp("2013-03-01")
    assert ticker in table.source and "bokeh_sampledata" in table.source
    frame = table.frame
    assert (frame["high"] >= frame["low"]).all()
    assert (frame["high"] + 1e-9 >= frame[["open", "close"]].max(axis=1)).all()


def test_sample_default_is_goog() -> None:
    assert "GOOG" in load_sample().source
    assert load_sample().frame.index[0] == pd.Timestamp("2004-08-19")


@pytest.mark.parametrize(
    ("ticker", "split_day"),
    [("AAPL", "2000-06-21"), ("AAPL", "2005-02-28"), ("MSFT", "2003-02-18")],
)
def test_sample_splits_are_not_crashes(ticker: str, split_day: str) -> None:
    from bokeh_sampledata import stocks

    raw = pd.Series(getattr(stocks, ticker)["close"], index=pd.to_datetime(getattr(stocks, ticker)["date"]))
    assert raw.pct_change().loc[split_day] < -0.4  # the source really has the 2:1 jump
    table = load_sample(ticker)
    assert abs(table.frame.loc[split_day, "change"]) < 0.1
    assert "split-adjusted" in table.source


def test_sample_aapl_real_crash_is_kept() -> None:
    # 2000-09-29 was a genuine -52% day (profit warning), not a split: adjustment must keep it.
    assert load_sample("AAPL").frame.loc["2000-09-29", "change"] < -0.5


def test_sample_unknown_ticker_lists_valid_ones() -> None:
    with pytest.raises(DataError, match="AAPL, GOOG, IBM, MSFT"):
        load_sample("FB")


def test_sample_accepts_lower_case_and_hands_out_copies() -> None:
    first = load_sample("ibm")
    first.frame.iloc[0, 0] = -1.0
    assert load_sample("IBM").frame.iloc[0, 0] != -1.0


def test_sample_loads_fast() -> None:
    load_sample("IBM")  # import bokeh_sampledata once, as the app does at start-up
    data._sample_table.cache_clear()
    started = time.perf_counter()
    load_sample("MSFT")
    assert time.perf_counter() - started < 0.3


def test_importing_model_data_pulls_in_no_ui_or_network_stack() -> None:
    code = (
        "import sys, model.data; "
        "print(sorted(m for m in ('streamlit', 'tensorflow', 'yfinance') if m in sys.modules))"
    )
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run([sys.executable, "-c", code], cwd=root, capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


# ---------------------------------------------------------------------------------------------
# yfinance (with a fake download; never the network)
# ---------------------------------------------------------------------------------------------


def _yf_frame(ticker: str = "AAPL", days: int = 30) -> pd.DataFrame:
    """The layout yfinance 1.7 returns: (Price, Ticker) MultiIndex columns, index named Date."""
    index = pd.DatetimeIndex(pd.bdate_range("2024-01-02", periods=days), name="Date")
    close = 100 + np.arange(days, dtype=float)
    columns = pd.MultiIndex.from_tuples(
        [(p, ticker) for p in ("Close", "High", "Low", "Open", "Volume")], names=["Price", "Ticker"]
    )
    values = np.column_stack([close, close + 1, close - 1, close - 0.5, 1000 + np.arange(days)])
    return pd.DataFrame(values, index=index, columns=columns)


class FakeDownload:
    def __init__(self, result: pd.DataFrame | Exception) -> None:
        self.result = result
        self.calls: list[dict[str, Any]] = []

    def __call__(self, **kwargs: Any) -> pd.DataFrame:
        self.calls.append(kwargs)
        if isinstance(self.result, Exception):
            raise self.result
        return self.result.copy()


def test_yfinance_multiindex_layout(tmp_path: Path) -> None:
    fake = FakeDownload(_yf_frame())
    table = load_yfinance("aapl", download=fake, cache_dir=tmp_path)
    _assert_clean(table)
    assert table.columns == ["open", "high", "low", "close", "volume", "change"]
    assert table.frame["close"].iloc[0] == 100.0
    assert table.source == "Yahoo Finance via yfinance: AAPL 1d, 2024-01-02 to 2024-02-12"
    (call,) = fake.calls
    assert call["tickers"] == "AAPL"
    assert call["period"] == "5y"  # nothing given: a sensible default span
    assert call["auto_adjust"] is True and call["progress"] is False and call["multi_level_index"] is False


def test_yfinance_flat_columns_with_adj_close_and_tz_aware_datetime_index() -> None:
    raw = _yf_frame().droplevel("Ticker", axis=1)
    raw["Adj Close"] = raw["Close"] * 0.9
    raw.index = pd.DatetimeIndex(raw.index.tz_localize("America/New_York"), name="Datetime")
    table = load_yfinance("AAPL", start="2024-01-01", end="2024-03-01", download=FakeDownload(raw))
    assert "adj_close" in table.columns
    assert table.frame.index.tz is None and table.frame.index[0] == pd.Timestamp("2024-01-02")


def test_yfinance_passes_dates_and_period_only_when_given() -> None:
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", start="2024-01-01", end="2024-03-01", interval="1wk", download=fake)
    (call,) = fake.calls
    assert "period" not in call
    assert (call["start"], call["end"], call["interval"]) == ("2024-01-01", "2024-03-01", "1wk")


def test_yfinance_empty_result_names_ticker_and_causes() -> None:
    with pytest.raises(SourceUnavailableError, match=r"no rows for 'ZZZZ'.*no network"):
        load_yfinance("ZZZZ", download=FakeDownload(pd.DataFrame()))


def test_yfinance_exception_becomes_source_unavailable() -> None:
    fake = FakeDownload(ConnectionError("Name or service not known"))
    with pytest.raises(SourceUnavailableError, match=r"'AAPL'.*ConnectionError: Name or service not known") as err:
        load_yfinance("AAPL", download=fake)
    assert isinstance(err.value, DataError)


@pytest.mark.parametrize("ticker", ["", "   ", "AA PL", "A" * 16, "DROP;TABLE", "../etc"])
def test_yfinance_invalid_ticker(ticker: str) -> None:
    fake = FakeDownload(_yf_frame())
    with pytest.raises(DataError, match="not a valid ticker"):
        load_yfinance(ticker, download=fake)
    assert fake.calls == []


@pytest.mark.parametrize("ticker", ["BRK-B", "^GSPC", "EURUSD=X", "SAP.DE"])
def test_yfinance_valid_ticker_shapes(ticker: str) -> None:
    load_yfinance(ticker, download=FakeDownload(_yf_frame(ticker.upper())))


def test_yfinance_invalid_interval_and_date_range() -> None:
    fake = FakeDownload(_yf_frame())
    with pytest.raises(DataError, match="Interval must be one of 1d, 1wk"):
        load_yfinance("AAPL", interval="1h", download=fake)
    with pytest.raises(DataError, match="must be before"):
        load_yfinance("AAPL", start="2024-02-01", end="2024-01-01", download=fake)
    with pytest.raises(DataError, match="is not a date"):
        load_yfinance("AAPL", start="yesterday-ish", download=fake)
    assert fake.calls == []


def test_yfinance_day_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake = FakeDownload(_yf_frame())
    first = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    second = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1
    assert second.source.endswith("(cached)") and not first.source.endswith("(cached)")
    pd.testing.assert_frame_equal(first.frame, second.frame)

    load_yfinance("AAPL", interval="1wk", download=fake, cache_dir=tmp_path)  # other key
    assert len(fake.calls) == 2

    monkeypatch.setattr(data, "_today", lambda: dt.date.today() + dt.timedelta(days=1))
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)  # a new day: fetch again
    assert len(fake.calls) == 3


def test_yfinance_failures_are_not_cached(tmp_path: Path) -> None:
    with pytest.raises(SourceUnavailableError):
        load_yfinance("AAPL", download=FakeDownload(pd.DataFrame()), cache_dir=tmp_path)
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 1


def test_yfinance_corrupt_cache_file_is_refetched(tmp_path: Path) -> None:
    fake = FakeDownload(_yf_frame())
    load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    (cached,) = tmp_path.glob("*.pkl")
    cached.write_bytes(b"not a pickle")
    table = load_yfinance("AAPL", download=fake, cache_dir=tmp_path)
    assert len(fake.calls) == 2 and not table.source.endswith("(cached)")


def test_yfinance_fake_download_never_writes_the_user_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LSTM_LENS_CACHE", str(tmp_path))
    assert data._default_cache_dir() == tmp_path / "yfinance"
    load_yfinance("AAPL", download=FakeDownload(_yf_frame()))
    assert list(tmp_path.rglob("*")) == []
