"""Which database the run store uses and how its SQLAlchemy engine is set up.

One SQLAlchemy URL picks the database: an explicit ``url``, else the ``LENS_DB`` environment
variable, else ``sqlite:///runs/lens.db``. SQLite gets a busy timeout, WAL and ``BEGIN IMMEDIATE``
for writes; PostgreSQL (``postgresql+psycopg://...``) a connect timeout and pre-ping.
"""

from __future__ import annotations

import os
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy import event

from model.errors import StoreError

__all__ = [
    "DEFAULT_URL",
    "ENV_FILES",
    "ENV_URL",
    "create_engine",
    "default_files_root",
    "resolve_url",
    "runs_directory",
]

DEFAULT_URL = "sqlite:///runs/lens.db"
ENV_URL = "LENS_DB"
ENV_FILES = "LENS_RUNS_DIR"


def resolve_url(url: str | None = None) -> str:
    return url or os.environ.get(ENV_URL) or DEFAULT_URL


def _sqlite_engine(url: sa.URL, busy_seconds: float) -> sa.Engine:
    database = url.database
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, connect_args={"timeout": busy_seconds})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        # Let SQLAlchemy, not pysqlite, emit BEGIN (pysqlite's own handling delays it).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout = {int(busy_seconds * 1000)}")
        if database and database != ":memory:":
            cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):
        conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("lens_write") else "BEGIN")

    return engine


def create_engine(text: str, *, busy_seconds: float) -> sa.Engine:
    """The engine for the database URL ``text``; StoreError when it is no URL or cannot be used.
    ``busy_seconds``: how long a SQLite writer waits for another one."""
    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise StoreError(
            f"{text!r} is not a database URL (examples: sqlite:///runs/lens.db, "
            "postgresql+psycopg://user:password@host/dbname)."
        ) from exc
    try:
        if parsed.get_backend_name() == "sqlite":
            return _sqlite_engine(parsed, busy_seconds)
        connect_args = {"connect_timeout": 10} if parsed.get_backend_name() == "postgresql" else {}
        return sa.create_engine(parsed, pool_pre_ping=True, connect_args=connect_args)
    except (sa.exc.ArgumentError, sa.exc.NoSuchModuleError, ImportError) as exc:
        raise StoreError(f"Cannot use the run database {text!r}: {exc}") from exc


def default_files_root(url: sa.URL) -> Path:
    """``$LENS_RUNS_DIR``, else the SQLite database's directory, else ``runs``."""
    if os.environ.get(ENV_FILES) is not None:
        return Path(os.environ[ENV_FILES])
    sqlite_file = url.get_backend_name() == "sqlite" and url.database not in (None, "", ":memory:")
    return Path(url.database).parent if sqlite_file else Path("runs")


def runs_directory(url: str | None = None) -> Path:
    """The runs directory (the store's files, the sweeps' files, ``logs/``) of the database ``url``
    (else ``LENS_DB``, else the default), chosen as the run store chooses it. StoreError when the
    URL is none."""
    text = resolve_url(url)
    try:
        parsed = sa.make_url(text)
    except sa.exc.ArgumentError as exc:
        raise StoreError(f"{text!r} is not a database URL (example: sqlite:///runs/lens.db).") from exc
    return default_files_root(parsed).resolve()
