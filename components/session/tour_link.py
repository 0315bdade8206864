"""The Explainer's link values: the test day and the stop (``?run=12&day=2012-05-04&stop=5``).

Readers in the style of ``session.links``: pure, text in, a value or a plain-words refusal out.
The run itself travels as ``run=`` (``session.query``). Stops are numbered from 1 in the link, as
the page shows them.
"""

from __future__ import annotations

import re

from components.session.links import Read, quote

DAY_PARAM = "day"
STOP_PARAM = "stop"
MAX_STOP = 100_000
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
_DIGITS = re.compile(r"[0-9]{1,6}")


def read_day(raw: str) -> Read:
    text = str(raw).strip()
    if _DAY.fullmatch(text):
        import datetime

        try:
            datetime.date.fromisoformat(text)
            return Read(text)
        except ValueError:
            pass
    return Read(None, f"Ignored day={quote(raw)} from the link: a day is a date written YYYY-MM-DD.")


def read_stop(raw: str) -> Read:
    text = str(raw).strip()
    if _DIGITS.fullmatch(text) and 1 <= int(text) <= MAX_STOP:
        return Read(int(text))
    return Read(None, f"Ignored stop={quote(raw)} from the link: a stop is a whole number from 1.")
