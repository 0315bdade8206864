"""Every value a link carries is read here: run ids, the owner token, the study name, knobs, the
preset. Each reader is pure (text in, a value or a refusal out) so that a property test can feed
it anything; ``session.query`` applies what they accept and warns about what they refuse.

A link is typed by hand or shared, so it can hold anything: a run id of 23 digits (SQLite and
PostgreSQL integers stop at 2**63 - 1: an unchecked id raised OverflowError in the driver), a
token with markup, a study name of a megabyte. Refusals quote the value shortened, and the page
shows them literally.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from model.engine.config import KNOBS

MAX_RUN_ID = 2**31 - 1  # the run store's id column is a 32-bit INTEGER on PostgreSQL
MAX_STUDY_NAME = 200  # what the Tune page and model.sweep accept as a study name
_TOKEN = re.compile(r"[A-Za-z0-9_-]{16,128}")  # model.runs.capability.new_token's alphabet
_DIGITS = re.compile(r"[0-9]{1,12}")
QUOTE_CHARS = 40


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


def read_knob(name: str, raw: str) -> Read:
    """A knob's value from the link (clamped into its limits, with a warning when it was moved)."""
    spec = KNOBS[name]
    try:
        value = spec.parse(raw, clamp=True)
    except (TypeError, ValueError, OverflowError) as exc:
        return Read(None, f"Ignored {name}={quote(raw)} from the link: {exc}.")
    if spec.numeric and float(raw) != float(value):
        return Read(
            value,
            f"{name}={str(raw).strip()} from the link is outside {spec.lo:g}…{spec.hi:g}; "
            f"using {spec.format(value)}.",
        )
    return Read(value)
