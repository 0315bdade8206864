"""CSV files: one :func:`sniff` that finds the text, separator, decimal mark and header, and the
loader built on it. The Data page's column mapping form uses the same ``sniff``.
"""

from __future__ import annotations

import csv
import io
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO

import pandas as pd

from model.data.names import guess_column, normalise_name
from model.data.table import PriceTable
from model.data.validate import parse_dates, validate_prices
from model.errors import DataError

__all__ = ["CsvLayout", "CsvSource", "guess_date_column", "load_csv", "read_source", "sniff"]

CsvSource = str | Path | bytes | bytearray | IO[bytes] | IO[str]

_DECIMAL_COMMA_RE = re.compile(r"^[+-]?\d+,\d+$")
_DECIMAL_POINT_RE = re.compile(r"^[+-]?\d+\.\d+$")
_SEPARATORS = (",", ";", "\t", "|")
_SAMPLE_LINES = 50  # lines looked at to pick the separator and decimal mark
_HEAD_CHARS = 256 * 1024  # enough text for those lines in any sane file, without splitting 25 MB


@dataclass(frozen=True)
class CsvLayout:
    """How a CSV file is written: its decoded text (an Excel ``sep=`` line removed), separator,
    decimal mark and the raw header cells."""

    text: str
    separator: str
    decimal: str
    header: tuple[str, ...]

    def preview(self, rows: int = 5) -> pd.DataFrame:
        """The first rows as text, for showing the file to the user (never raises on odd rows)."""
        lines = [line for line in self.text[:_HEAD_CHARS].splitlines()[: rows + 20] if line.strip()][
            : rows + 1
        ]
        cells = list(csv.reader(lines, delimiter=self.separator))
        width = len(self.header)
        body = [(row + [""] * width)[:width] for row in cells[1:]]
        return pd.DataFrame(body, columns=_unique(self.header), dtype="string")


def _unique(names: tuple[str, ...]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for name in names:
        count = seen.get(name, 0)
        seen[name] = count + 1
        out.append(name if count == 0 else f"{name}.{count}")
    return out


def read_source(source: CsvSource) -> tuple[bytes | str, str]:
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
        try:
            text = content.decode("utf-16")  # Excel's "Unicode text" export
        except UnicodeDecodeError as exc:
            raise DataError("This does not look like a CSV text file (it is not valid UTF-16 text).") from exc
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
    if "\x00" in sample or controls > max(2, len(sample) // 100) or "\ufffd" * 3 in sample:
        raise DataError("This does not look like a CSV text file (it contains binary data).")
    return text


def _sniff_separator(lines: list[str]) -> str:
    """Pick the separator that splits the header into the most fields consistently across rows.

    csv.Sniffer is confused by decimal commas in semicolon files; counting fields per row with
    each candidate is simpler and predictable.
    """
    best, best_score = ",", (-1.0, 0)
    for sep in _SEPARATORS:
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


def sniff(content: bytes | str) -> CsvLayout:
    """Decode a CSV file and detect its separator (, ; tab |), decimal mark and header.

    Raises DataError for binary files and files with no text.
    """
    text = _decode(content)
    if not text.strip():
        raise DataError("The file is empty.")
    lines = [line for line in text[:_HEAD_CHARS].splitlines() if line.strip()]
    sep: str | None = None
    excel_hint = re.match(r"^sep=(.)$", lines[0].strip()) if lines else None
    if excel_hint:  # Excel writes "sep=;" as the first line to name the separator
        sep = excel_hint.group(1)
        lines = lines[1:]
        text = text.split("\n", 1)[1] if "\n" in text else ""
        if not lines:
            raise DataError("The file has no data rows.")
    if not lines:
        raise DataError("The file is empty.")
    sample = lines[:_SAMPLE_LINES]
    sep = sep or _sniff_separator(sample)
    decimal = "," if _uses_decimal_comma(sample, sep) else "."
    try:
        header = next(csv.reader(sample[:1], delimiter=sep))
    except (csv.Error, StopIteration):
        header = []
    return CsvLayout(text=text, separator=sep, decimal=decimal, header=tuple(h.strip() for h in header))


def guess_date_column(header: list[str] | tuple[str, ...], preview: pd.DataFrame | None = None) -> int | None:
    """Index of the likely date column: a date-like name, else the first preview column whose
    values are all text dates (not plain numbers); None when nothing fits."""
    by_name = guess_column(header, "date")
    if by_name is not None or preview is None:
        return by_name
    for i, column in enumerate(preview.columns):
        values = preview[column].dropna().astype("string").str.strip()
        if values.empty or values.str.fullmatch(r"[+-]?[\d.,]+").all():
            continue
        parsed, failures = parse_dates(values)
        if not len(failures) and parsed.notna().all():
            return i
    return None


def _read_frame(layout: CsvLayout, notes: list[str]) -> pd.DataFrame:
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", pd.errors.ParserWarning)
            # index_col=False: rows longer than the header must not silently become an index.
            frame = pd.read_csv(
                io.StringIO(layout.text),
                sep=layout.separator,
                decimal=layout.decimal,
                index_col=False,
                skipinitialspace=True,
                skip_blank_lines=True,
                engine="c",
            )
        if any(issubclass(w.category, pd.errors.ParserWarning) for w in caught):
            notes.append("Ignored values beyond the header's columns (some rows have extra separators).")
    except pd.errors.EmptyDataError as exc:
        raise DataError("The file is empty.") from exc
    except (pd.errors.ParserError, ValueError, UnicodeError, csv.Error, OverflowError) as exc:
        raise DataError(f"Could not read the file as CSV: {exc}") from exc
    if frame.empty:
        raise DataError("The file has no data rows.")
    return frame


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
    content, name = read_source(source)
    layout = sniff(content)
    notes: list[str] = []
    frame = _read_frame(layout, notes)
    if columns:
        frame = _apply_renames(frame, columns)
    if layout.decimal == ",":
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
    by_key = {normalise_name(c): c for c in frame.columns}
    mapping: dict[str, str] = {}
    for old, new in columns.items():
        actual = old if old in frame.columns else by_key.get(normalise_name(old))
        if actual is None:
            listed = ", ".join(str(c) for c in frame.columns)
            raise DataError(
                f"Column '{old}' (from the column mapping) is not in the file. Columns are: {listed}."
            )
        mapping[actual] = normalise_name(new)
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
