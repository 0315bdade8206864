"""Every value a link carries is read here: run ids, the owner token, the study name, knobs, the
preset, the data source and the walk-forward options (folds, mode, seeds). Each reader is pure (text in, a value or a refusal out) so that a property test can feed
it anything; ``session.query`` applies what they accept and warns about what they refuse.

A link is typed by hand or shared, so it can hold anything: a run id of 23 digits (SQLite and
PostgreSQL integers stop at 2**63 - 1: an unchecked id raised OverflowError in the driver), a
token with markup, a study name of a megabyte. Refusals quote the value shortened, and the page
shows them literally.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from model.data import SAMPLE_TICKERS, YF_INTERVALS
from model.engine.config import KNOBS
from model.evidence.folds import FOLD_MODES

MAX_RUN_ID = 2**31 - 1  # the run store's id column is a 32-bit INTEGER on PostgreSQL
MAX_STUDY_NAME = 200  # what the Tune page and model.sweep accept as a study name
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")  # model.runs.capability.new_token's alphabet
_DIGITS = re.compile(r"[0-9]{1,12}")
QUOTE_CHARS = 40
MAX_FOLDS = 20  # the Train page's folds field; 0 is one chronological split
MAX_SEEDS = 10
_TICKER = re.compile(r"[A-Za-z0-9.^=_-]{1,20}")  # Yahoo symbols: AAPL, BRK-B, ^GSPC, EURUSD=X
_FINGERPRINT = re.compile(r"[0-9a-f]{32}")  # model.runs.files.fingerprint
_DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def quote(raw: Any) -> str:
    """The link's value as a warning quotes it: repr'd and cut to QUOTE_CHARS characters."""
    text = repr(str(raw))
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1] + "…'"


@dataclass(frozen=True)
class Read:
    """A link value as read: ``value`` when accepted (None when refused) and what to tell the user."""

    value: Any = None
    warning: str | None = None


def read_run_id(raw: str) -> Read:
    text = str(raw).strip()
    if _DIGITS.fullmatch(text) and 1 <= int(text) <= MAX_RUN_ID:
        return Read(int(text))
    return Read(
        None, f"Ignored run={quote(raw)} from the link: a run id is a whole number from 1 to {MAX_RUN_ID}."
    )


def read_owner(raw: str) -> Read:
    if _TOKEN.fullmatch(str(raw)):
        return Read(str(raw))
    return Read(
        None, "Ignored the owner token from the link: it is not one this app makes (Stop stays unavailable)."
    )


def read_study(raw: str) -> Read:
    text = str(raw)
    if 0 < len(text) <= MAX_STUDY_NAME and text.isprintable() and text.strip() == text:
        return Read(text)
    return Read(
        None,
        f"Ignored study={quote(raw)} from the link: a study name is 1 to {MAX_STUDY_NAME} printable "
        "characters without surrounding spaces.",
    )


def what_it_takes(name: str) -> str:
    """What a knob accepts, in words ("a whole number from 2 to 500")."""
    spec = KNOBS[name]
    if spec.kind == "int":
        return f"a whole number from {spec.lo:g} to {spec.hi:g}"
    if spec.kind == "float":
        return f"a number from {spec.lo:g} to {spec.hi:g}"
    if spec.kind == "bool":
        return "true or false"
    if spec.kind == "choice":
        return "one of " + ", ".join(spec.options)
    if spec.kind == "column":
        return "a column name"
    return "column names separated by commas"


def read_knob(name: str, raw: str) -> Read:
    """A knob's value from the link (clamped into its limits, with a warning when it was moved)."""
    spec = KNOBS[name]
    try:
        value = spec.parse(raw, clamp=True)
    except (TypeError, ValueError, OverflowError):
        # Python's own words ("could not convert string to float") say nothing to a user.
        return Read(None, f"{name} takes {what_it_takes(name)}; ignored {quote(raw)} from the link.")
    if spec.numeric and float(raw) != float(value):
        return Read(
            value,
            f"{name}={str(raw).strip()} from the link is outside {spec.lo:g}…{spec.hi:g}; "
            f"using {spec.format(value)}.",
        )
    return Read(value)


# ---------------------------------------------------------------------------------------------
# Walk-forward options: ?folds=3&fold_mode=warm&seeds=2
# ---------------------------------------------------------------------------------------------


def _whole(raw: str, name: str, lo: int, hi: int) -> Read:
    text = str(raw).strip()
    if _DIGITS.fullmatch(text) and lo <= int(text) <= hi:
        return Read(int(text))
    return Read(None, f"{name} takes a whole number from {lo} to {hi}; ignored {quote(raw)} from the link.")


def read_folds(raw: str) -> Read:
    return _whole(raw, "folds", 0, MAX_FOLDS)


def read_seeds(raw: str) -> Read:
    return _whole(raw, "seeds", 1, MAX_SEEDS)


def read_fold_mode(raw: str) -> Read:
    text = str(raw).strip().lower()
    if text in FOLD_MODES:
        return Read(text)
    return Read(None, f"fold_mode takes {' or '.join(FOLD_MODES)}; ignored {quote(raw)} from the link.")


# ---------------------------------------------------------------------------------------------
# The data source: ?data=SYNTH, ?data=yahoo:AAPL:2021-01-04:2026-12-08:1d, ?data=csv:<fingerprint>
# ---------------------------------------------------------------------------------------------

SAMPLE, YAHOO, CSV = "sample", "yahoo", "csv"


@dataclass(frozen=True)
class DataSource:
    """Where the session's price table came from, as the link says it (``link_text`` and
    ``read_data_source`` are each other's inverse)."""

    kind: str  # SAMPLE, YAHOO or CSV
    name: str  # the sample's ticker, the Yahoo symbol, or the stored table's fingerprint (csv)
    start: str = ""  # yahoo: first and last day (YYYY-MM-DD, both included) and the interval
    end: str = ""
    interval: str = ""
    label: str = ""  # csv: the uploaded file's name (not in the link)

    def link_text(self) -> str:
        if self.kind == SAMPLE:
            return self.name
        if self.kind == YAHOO:
            return f"{YAHOO}:{self.name}:{self.start}:{self.end}:{self.interval}"
        return f"{CSV}:{self.name}"


DATA_FORMS = (
    f"a sample ({', '.join(SAMPLE_TICKERS)}), yahoo:TICKER:START:END:INTERVAL (dates as YYYY-MM-DD, "
    f"interval {' or '.join(YF_INTERVALS)}) or csv: and an uploaded table's fingerprint"
)


def _date(text: str) -> dt.date | None:
    if not _DATE.fullmatch(text):
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        return None


def read_data_source(raw: str) -> Read:
    """The data source from the link, or a refusal that says what the link may hold."""
    text = str(raw).strip()
    refused = Read(None, f"Ignored data={quote(raw)} from the link: the data source is {DATA_FORMS}.")
    if text.upper() in SAMPLE_TICKERS:
        return Read(DataSource(SAMPLE, text.upper()))
    kind, _, rest = text.partition(":")
    kind = kind.lower()
    if kind == CSV:
        fp = rest.strip().lower()
        return Read(DataSource(CSV, fp)) if _FINGERPRINT.fullmatch(fp) else refused
    if kind != YAHOO:
        return refused
    parts = rest.split(":")
    if len(parts) != 4 or not _TICKER.fullmatch(parts[0]) or parts[3] not in YF_INTERVALS:
        return refused
    start, end = _date(parts[1]), _date(parts[2])
    if start is None or end is None or start >= end:
        return Read(
            None,
            f"Ignored data={quote(raw)} from the link: the dates are two real days as YYYY-MM-DD, "
            "the start before the end.",
        )
    return Read(DataSource(YAHOO, parts[0].upper(), start.isoformat(), end.isoformat(), parts[3]))
