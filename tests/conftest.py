"""Fixtures shared by every test: a private run store, and a real PostgreSQL server when asked."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.pg import PostgresServer, PostgresUnavailable


@pytest.fixture(scope="session", autouse=True)
def private_run_store(tmp_path_factory):
    """Everything that records runs (the CLI, the pages) writes to a temporary store, never runs/."""
    previous = os.environ.get("LENS_DB")
    os.environ["LENS_DB"] = f"sqlite:///{tmp_path_factory.mktemp('runstore') / 'lens.db'}"
    yield os.environ["LENS_DB"]
    if previous is None:
        os.environ.pop("LENS_DB", None)
    else:
        os.environ["LENS_DB"] = previous


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server started for this test session (skips with the reason where impossible)."""
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    yield server
    server.stop()


_databases = itertools.count()


@pytest.fixture
def postgres_url(postgres_server):
    """A fresh, empty database on the session's server, as a SQLAlchemy URL."""
    return postgres_server.create_database(f"lens_{os.getpid()}_{next(_databases)}")
