"""The ``model.train`` flags that load the same prices as a study's source text (the forms are
parsed by ``model.data.sources``: ``sample:TICKER``, ``yfinance:TICKER[:START:END]``, ``csv:PATH``,
``parquet:PATH``)."""

from __future__ import annotations

import shlex

from model.data.sources import parse_source


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
