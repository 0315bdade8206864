"""Where a sweep's files live: next to the run store, chosen exactly as the run store chooses its
files folder (``model.runs.database.default_files_root``), so a study's journal, its kept price
table, its workers' logs and its re-check result move with the store."""

from __future__ import annotations

from pathlib import Path

JOURNAL_FILE = "sweeps.journal"
STUDY_FILES_DIR = "sweeps"  # per study: NAME.parquet, NAME.LABEL.log, NAME.recheck.json


def run_store_url(run_db: str | None = None) -> str:
    """The run store's URL (``run_db``, else ``LENS_DB``, else the default SQLite file)."""
    from model.runs.database import resolve_url

    return resolve_url(run_db)


def files_root(run_db: str | None = None) -> Path:
    """The run store's files folder (the journal and the studies' files go there too)."""
    from model.runs.database import runs_directory

    return runs_directory(run_db)


def journal_file(run_db: str | None = None) -> Path:
    return files_root(run_db) / JOURNAL_FILE


def study_file(name: str, suffix: str, run_db: str | None = None) -> Path:
    """``NAME.SUFFIX`` in the studies' folder (``parquet``, ``worker-0.log``, ``recheck.json``)."""
    return files_root(run_db) / STUDY_FILES_DIR / f"{name}.{suffix}"


def prices_path(name: str, run_db: str | None = None) -> Path:
    return study_file(name, "parquet", run_db)


def log_path(name: str, label: str, run_db: str | None = None) -> Path:
    """The log of one of a study's processes (``supervisor``, ``worker-N``, ``recheck``)."""
    return study_file(name, f"{label}.log", run_db)


def recheck_path(name: str, run_db: str | None = None) -> Path:
    return study_file(name, "recheck.json", run_db)
