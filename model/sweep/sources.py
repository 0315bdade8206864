"""A study's data source as text, and the ``model.train`` flags that load the same prices.

Forms: ``sample:TICKER``, ``yfinance:TICKER`` or ``yfinance:TICKER:START:END`` (dates
YYYY-MM-DD, either may be empty), ``csv:PATH``, ``parquet:PATH`` (the table the Tune page kept).
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass

from model.sweep.objective import SweepError

KINDS = ("sample", "yfinance", "csv", "parquet")


@dataclass(frozen=True)
class Source:
    kind: str  # one of KINDS
    target: str  # ticker or path
    start: str | None = None  # yfinance only
    end: str | None = None


def parse_source(text: str) -> Source:
    kind, _, rest = str(text).partition(":")
    if kind not in KINDS:
        raise SweepError(
            f"Unknown source {text!r}: use sample:TICKER, yfinance:TICKER[:START:END] or csv:FILE."
        )
    if kind == "yfinance":
        ticker, _, dates = rest.partition(":")
        start, _, end = dates.partition(":")
        return Source(kind, ticker, start or None, end or None)
    return Source(kind, rest)


def yfinance_source(ticker: str, start: str | None = None, end: str | None = None) -> str:
    """The source text of a yfinance ticker over [start, end] (either open)."""
    if not start and not end:
        return f"yfinance:{ticker}"
    return f"yfinance:{ticker}:{start or ''}:{end or ''}"


def train_flags(text: str) -> list[str]:
    """The ``python -m model.train`` arguments that load the prices of source ``text``."""
    source = parse_source(text)
    if source.kind == "csv":
        return ["--csv", source.target]
    if source.kind == "yfinance":
        flags = ["--source", f"yfinance:{source.target}"]
        flags += ["--start", source.start] if source.start else []
        flags += ["--end", source.end] if source.end else []
        return flags
    return ["--source", f"{source.kind}:{source.target}"]


def train_command(text: str, knob_flags: list[str]) -> str:
    """A shell-quoted ``python -m model.train`` line for source ``text`` and the knobs' flags."""
    return shlex.join(["python", "-m", "model.train", *train_flags(text), *knob_flags])
