"""Optuna storage for studies: which URL, opened once per process.

By default Optuna's ``JournalStorage`` on ``sweeps.journal`` next to the run store (Optuna
recommends the journal file for several processes on one machine; SQLite is not recommended for
parallel optimisation). ``--storage URL`` (or ``LENS_DB`` when it names a server database) uses
``RDBStorage`` with a heartbeat: a worker that dies stops beating, its trial is failed and
retried (``RetryHeartbeatStaleTrialCallback``) by the next worker that asks for one.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path
from typing import Any

from model.errors import SweepError
from model.runs.database import ENV_URL
from model.sweep.paths import journal_file

log = logging.getLogger(__name__)

HEARTBEAT_SECONDS = 5

# The journal replays incrementally, so each process keeps one storage object per URL.
_storages: dict[str, Any] = {}


def resolve_storage_url(storage: str | None = None, run_db: str | None = None) -> str:
    """``storage`` as given; else ``LENS_DB`` if it names a server database; else the journal file."""
    if storage:
        return storage
    env = run_db or os.environ.get(ENV_URL)
    if env and not env.startswith("sqlite"):
        return env
    return "journal:" + str(journal_file(run_db))


def is_journal(url: str) -> bool:
    return url.startswith("journal:") or url.endswith(".journal")


def journal_path(url: str) -> Path | None:
    """The journal file of a storage URL (None for a database URL)."""
    return Path(url.removeprefix("journal:")).expanduser() if is_journal(url) else None


def open_storage(url: str):
    """The Optuna storage at ``url`` (cached per process: the journal replays incrementally)."""
    if url in _storages:
        return _storages[url]
    import optuna
    import optuna.storages.journal

    storage: optuna.storages.BaseStorage
    path = journal_path(url)
    if path is not None:
        path.parent.mkdir(parents=True, exist_ok=True)
        backend = optuna.storages.journal.JournalFileBackend(str(path))
        storage = optuna.storages.JournalStorage(backend)
    else:
        import warnings

        try:
            # The heartbeat and its retry callback are marked experimental in Optuna 5; we pin
            # optuna==5.0.0, so the notice only adds noise to every worker's log.
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                storage = optuna.storages.RDBStorage(
                    url,
                    engine_kwargs={"pool_pre_ping": True},
                    heartbeat_interval=HEARTBEAT_SECONDS,
                    grace_period=HEARTBEAT_SECONDS * 3,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(
                        max_retry=1
                    ),
                )
        except Exception as exc:  # noqa: BLE001 - SQLAlchemy/driver errors become one clear message
            log.exception("Cannot open the study storage %s", url)
            raise SweepError(f"Cannot open the study storage {url!r}: {type(exc).__name__}: {exc}") from exc
    _storages[url] = storage
    return storage


def forget_storage(url: str) -> None:
    """Drop this process's storage object for ``url`` (the next ``open_storage`` replays the file
    again): after the journal was damaged, or changed behind this process's back."""
    _storages.pop(url, None)
