"""Domain errors: each carries a message written for the person using the app.

``kind`` names the family in a word, so a face can pick an icon or a layout from the error's
type rather than from its wording.
"""

from __future__ import annotations

import errno
import functools
import sys
from collections.abc import Callable


class LensError(ValueError):
    """Base class for every error the UI should show as a message instead of a traceback."""

    kind = "error"


class DataError(LensError):
    """Price data could not be loaded or does not pass validation."""

    kind = "data"


class SourceUnavailableError(DataError):
    """A remote source (yfinance) could not be reached or returned nothing."""

    kind = "source_unavailable"


class ConfigError(LensError):
    """A hyperparameter or column choice is out of range or impossible for the data."""

    kind = "config"


class TrainingError(LensError):
    """Training failed in a way the user can act on (for example the loss became NaN)."""

    kind = "training"


class SweepError(LensError):
    """A sweep could not be created, opened or run (the message says why and what to do)."""


class StoreError(LensError):
    """The run store could not be reached, is locked, or holds a schema this version cannot use."""


class RunNotFoundError(StoreError):
    """No stored run has the requested id (deleted, or another database)."""


class StopRefusedError(StoreError):
    """A session or process asked to stop a run it did not start."""


def describe_os_error(exc: OSError) -> str:
    """A file-system error in words: which file, what is wrong, what to do."""
    where = exc.filename or "a file"
    if exc.filename2:
        where = f"{where} -> {exc.filename2}"
    if isinstance(exc, PermissionError) or exc.errno in (errno.EACCES, errno.EPERM):
        return (
            f"Permission denied for {where}: the runs directory must be writable. Give this user write access, "
            "or point LENS_RUNS_DIR (and LENS_DB / --db) at a writable directory."
        )
    if exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return f"The disk holding {where} is full: free some space (or point LENS_RUNS_DIR elsewhere) and try again."
    if exc.errno == errno.EROFS:
        return f"{where} is on a read-only file system: point LENS_RUNS_DIR (and LENS_DB / --db) at a writable directory."
    return f"A file could not be used: {where}: {exc.strerror or exc}."


def reports_errors(main: Callable[..., int]) -> Callable[..., int]:
    """For a command line's ``main``: a LensError or a file-system error (OSError) becomes
    ``error: <message>`` on stderr and exit status 2 (the message, never a traceback); every
    other outcome passes through."""

    @functools.wraps(main)
    def run(*args, **kwargs) -> int:
        try:
            return main(*args, **kwargs)
        except LensError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        except OSError as exc:  # the runs directory not writable, a full disk: a line, not a traceback
            print(f"error: {describe_os_error(exc)}", file=sys.stderr)
            return 2

    return run
