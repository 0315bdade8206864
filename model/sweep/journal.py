"""A damaged sweeps journal is a SweepError naming the file and what to do, not a traceback.

Optuna's ``JournalStorage`` replays the journal file line by line. A line that is not UTF-8
(UnicodeDecodeError), not JSON (JSONDecodeError) or an operation it does not know
("AssertionError: Should not reach.") ends the replay with that exception. Only those raised
from Optuna's journal code are translated: the same types raised elsewhere are real bugs.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path

from model.errors import SweepError
from model.sweep.storage import forget_storage, journal_path

DAMAGE = (UnicodeDecodeError, json.JSONDecodeError, AssertionError)
_OPTUNA_JOURNAL = "optuna/storages/journal"


def _from_optuna_journal(exc: BaseException) -> bool:
    frames = []
    tb = exc.__traceback__
    while tb is not None:
        frames.append(tb.tb_frame.f_code.co_filename.replace("\\", "/"))
        tb = tb.tb_next
    return any(_OPTUNA_JOURNAL in name for name in frames)


def damage_message(path: Path, exc: BaseException) -> str:
    detail = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
    return (
        f"The sweep journal {path} is damaged and Optuna cannot read it ({type(exc).__name__}: {detail}). "
        f"Move it aside (for example: mv {path} {path}.damaged); the next sweep starts a new journal, and the "
        "runs earlier trials trained stay in the run store."
    )


@contextlib.contextmanager
def reading(url: str) -> Iterator[None]:
    """Around anything that reads the storage at ``url``: journal damage becomes a SweepError."""
    path = journal_path(url)
    try:
        yield
    except DAMAGE as exc:
        if path is None or not _from_optuna_journal(exc):
            raise
        forget_storage(url)  # the half-replayed storage is no use to anyone
        raise SweepError(damage_message(path, exc)) from exc
