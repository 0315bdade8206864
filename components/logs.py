"""The Streamlit server's logging (``model.logs``): ``<runs>/logs/server.log`` and warnings on the
console of ``make run``. app.py runs on every rerun, so this configures again only when the runs
directory changed (``LENS_DB`` / ``LENS_RUNS_DIR``), which in practice is once per process."""

from __future__ import annotations

from pathlib import Path

from model import logs
from model.errors import StoreError
from model.runs.database import runs_directory

_configured_for: list[Path | None] = []  # the runs directory the last configure() used


def configure_server_logging() -> Path | None:
    """Configure once per runs directory; returns the log file (None: the console only)."""
    try:
        directory: Path | None = runs_directory()
    except StoreError:
        directory = None  # a bad LENS_DB: the pages say so; the log goes to the console
    if _configured_for and _configured_for[0] == directory:
        return logs.current_log_file()
    _configured_for[:] = [directory]
    return logs.configure("server", files_root=directory)
