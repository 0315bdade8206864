"""A run store that cannot be opened at start-up: pages that do not need it work, the others say
once which database, what is wrong and what to do; never a traceback."""

from __future__ import annotations

import pytest

from components.errors import STORE_PAGES
from components.literal import unescape_literal
from model.runs.store import open_store
from tests.components.conftest import assert_clean, new_app
from tests.pg import PostgresServer, PostgresUnavailable

PAGES = {
    "Data": "views/data.py",
    "Train": "views/train.py",
    "Results": "views/results.py",
    "Shapes": "views/shapes.py",
    "Runs": "views/runs.py",
    "Tune": "views/tune.py",
}


def _walk(must_say: tuple[str, ...]) -> None:
    at = new_app(run="3")
    at.run()
    for title, script in PAGES.items():
        at.switch_page(script).run()
        assert_clean(at)
        errors = [unescape_literal(e.value) for e in at.error]
        if title in STORE_PAGES:
            assert at.title[0].value == title
            assert len(errors) == 1, (title, errors)
            for words in must_say:
                assert words in errors[0], (title, errors[0])
        else:
            assert not any("database" in e for e in errors), (title, errors)
    assert at.session_state["prices"] is not None  # the Data page loaded the sample meanwhile


def test_a_file_that_is_not_a_database(tmp_path, monkeypatch):
    path = tmp_path / "lens.db"
    path.write_text("this is not a SQLite database\n")
    monkeypatch.setenv("LENS_DB", f"sqlite:///{path}")
    _walk(("lens.db", "not a database", "move it aside"))
    assert path.read_text() == "this is not a SQLite database\n"  # nothing overwritten


@pytest.mark.slow
def test_a_postgresql_server_that_stopped(monkeypatch):
    try:
        server = PostgresServer().start()
    except PostgresUnavailable as exc:
        pytest.skip(f"PostgreSQL unavailable: {exc}")
    try:
        url = server.create_database("lens_stopped")
        open_store(url).close()  # a working store...
    finally:
        server.stop()  # ...whose server has gone
    monkeypatch.setenv("LENS_DB", url)
    _walk((f"127.0.0.1:{server.port}", "is running"))


@pytest.mark.slow
def test_a_damaged_sweeps_journal_on_the_tune_page(tmp_path, monkeypatch):
    from tests.model.sweep.test_journal_and_resume import DAMAGE, _damaged

    monkeypatch.setenv("LENS_DB", f"sqlite:///{tmp_path / 'lens.db'}")
    path = _damaged(tmp_path, DAMAGE["not JSON"][0])  # the default journal: next to the run store
    at = new_app()
    at.run()
    at.switch_page("views/tune.py").run()
    assert_clean(at)
    errors = [unescape_literal(e.value) for e in at.error]
    assert (
        len(errors) == 1
        and f"The sweep journal {path} is damaged" in errors[0]
        and "Move it aside" in errors[0]
    )


@pytest.mark.slow
def test_a_full_disk_is_said_on_the_train_page(tmp_path, monkeypatch):
    import subprocess

    from tests.components.conftest import button

    full = tmp_path / "full"
    full.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(full)], capture_output=True, check=False
    )
    if mounted.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {mounted.stderr.decode().strip()}")
    try:
        monkeypatch.setenv("LENS_DB", f"sqlite:///{tmp_path / 'lens.db'}")
        monkeypatch.setenv("LENS_RUNS_DIR", str(full))
        at = new_app()
        at.run()
        at.switch_page("views/train.py").run()
        button(at, "Train").click().run()
        assert_clean(at)
        errors = [unescape_literal(e.value) for e in at.error]
        assert any(f"The disk holding {full}" in e and "is full" in e for e in errors), errors
        assert not any("Something went wrong" in e for e in errors)
    finally:
        subprocess.run(["umount", "-l", str(full)], check=False)
