"""The pages' one error boundary: an error becomes one clear message whose wording and icon come
from its type (in the style of optuna-dashboard's ``json_api_view``), never a traceback.

``app.py`` runs every page inside ``page_boundary()``, so an error no page expected still ends
as a message under the page's title. Inside a page, ``boundary(...)`` guards one step whose
failure should leave the rest of the page standing (``if outcome.failed: return``).

Messages quote names users chose (files, tickers, columns), so they are always shown literally.
Streamlit's own control flow (``st.rerun``, ``st.stop``, ``st.switch_page``) raises
BaseExceptions, which pass through untouched.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterator
from dataclasses import dataclass

import streamlit as st

from components.literal import markdown_literal
from model.errors import (
    ConfigError,
    DataError,
    LensError,
    SourceUnavailableError,
    StopRefusedError,
    StoreError,
    TrainingError,
    describe_os_error,
)  # fmt: skip

log = logging.getLogger(__name__)

# The most specific type first: the first match picks the icon.
ICONS: tuple[tuple[type[BaseException], str], ...] = (
    (SourceUnavailableError, ":material/wifi_off:"),
    (StopRefusedError, ":material/lock:"),
    (StoreError, ":material/database:"),
    (DataError, ":material/table_view:"),
    (ConfigError, ":material/tune:"),
    (TrainingError, ":material/model_training:"),
    (LensError, ":material/error:"),
    (OSError, ":material/folder_off:"),
)
UNEXPECTED_ICON = ":material/bug_report:"
# Pages that cannot do anything without the run store (titles, as in app.py's navigation).
STORE_PAGES = frozenset({"Train", "Results", "Runs", "Tune"})


@dataclass(frozen=True)
class Problem:
    """What a page says about an error: plain text (not yet escaped) and an icon."""

    text: str
    icon: str


def problem(exc: BaseException | str, doing: str | None = None) -> Problem:
    """The message and icon for ``exc``, chosen by its type; ``doing`` says what failed ("reading …")."""
    if isinstance(exc, str):
        return Problem(exc, ":material/error:")
    icon = next((icon for kind, icon in ICONS if isinstance(exc, kind)), UNEXPECTED_ICON)
    if isinstance(exc, LensError):
        text = str(exc)
    elif isinstance(exc, OSError):
        text = describe_os_error(exc)
    else:
        where = f" while {doing}" if doing else ""
        text = f"Something went wrong{where}: {type(exc).__name__}: {exc}"
    return Problem(text, icon)


def show(found: Problem, *, kept: str | None = None) -> None:
    """Draw a Problem, literally; ``kept`` says what the user still has."""
    text = markdown_literal(found.text)
    if kept:
        text = f"{text}\n\n{markdown_literal(kept)}"
    st.error(text, icon=found.icon)


def show_error(exc: BaseException | str, *, kept: str | None = None, doing: str | None = None) -> None:
    """A clear message instead of a traceback (see ``problem``)."""
    show(problem(exc, doing), kept=kept)


@dataclass
class Outcome:
    error: BaseException | None = None

    @property
    def failed(self) -> bool:
        return self.error is not None


@contextlib.contextmanager
def boundary(
    doing: str | None = None, *, kept: str | None = None, container=None, show_it: bool = True
) -> Iterator[Outcome]:
    """Run a step; any error becomes its message (in ``container`` if given) and ``outcome.failed``.
    With ``show_it=False`` the error is only recorded (``outcome.error``) for the caller to keep."""
    outcome = Outcome()
    try:
        yield outcome
    except Exception as exc:  # noqa: BLE001 - the boundary: every error is shown, none escapes
        # A LensError is the user's to act on (its message is on the page): the file keeps its
        # traceback, the server's console stays quiet. Anything else is a bug: an error line.
        level = logging.INFO if isinstance(exc, LensError) else logging.ERROR
        log.log(level, "Caught at the page's boundary (%s)", doing or "the page", exc_info=True)
        outcome.error = exc
        if not show_it:
            return
        if container is not None:
            with container:
                show_error(exc, kept=kept, doing=doing)
        else:
            show_error(exc, kept=kept, doing=doing)


@contextlib.contextmanager
def page_boundary(title: str) -> Iterator[None]:
    """Around a whole page (app.py): what the page did not handle ends as one message."""
    with boundary(f"drawing the {title} page"):
        yield


def store_problem() -> StoreError | None:
    """Why the run store cannot be used now (None when it can); every page asks before it needs it."""
    from components import run_client

    try:
        run_client.store()
    except StoreError as exc:
        return exc
    return None
