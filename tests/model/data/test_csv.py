"""CSV loading: layouts that must load, input kinds and bad files (a DataError, never a pandas exception)."""

from __future__ import annotations

import io
import random
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from model.data import load_csv
from model.errors import DataError
from tests.model.data.helpers import DATE_CLOSE_CSV, TUTORIAL_CSV, YAHOO_CSV
from tests.model.data.helpers import assert_clean as _assert_clean
from tests.model.data.helpers import table_of as _table

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
        (
            b"Date,Close\n2024-01-02,1\n2024-01-03,abc\n",
            r"^Column 'close' is not numeric \(e\.g\. row 2: 'abc'\)\.$",
        ),
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
