"""Fixtures shared by every test: a private run store, and a real PostgreSQL server when asked."""

from __future__ import annotations

import itertools
import os

import pytest

from tests.pg import PostgresServer, PostgresUnavailable

# Tests that start a PostgreSQL cluster carry the `process` marker without each saying so.
_PROCESS_FIXTURES = {"postgres_server", "postgres_url"}


@pytest.hookimpl(tryfirst=True)  # before -m deselects by marker
def pytest_collection_modifyitems(config, items):
    for item in items:
        if _PROCESS_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.process)


@pytest.fixture(scope="session", autouse=True)
def private_run_store(tmp_path_factory):
    """Everything that records runs (the CLI, the pages) writes to a temporary store, never runs/."""
    previous = os.environ.get("LENS_DB")
    os.environ["LENS_DB"] = f"sqlite:///{tmp_path_factory.mktemp('runstore') / 'lens.db'}"
    # The pages' worker pool (one per test process): one worker keeps the 2 cores for the tests.
    os.environ.setdefault("LENS_WORKERS", "1")
    # Drawing a page starts no worker pool (components/run_client.py): a test whose page trains or
    # asks a worker creates it then, and carries the `process` marker.
    os.environ.setdefault("LENS_NO_POOL", "1")
    # The test-only jobs (a job that sleeps), registered in every worker (model.runs.jobs).
    os.environ.setdefault("LENS_EXTRA_JOBS", "tests.model.runs.jobs_for_tests")
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
