"""Fixtures for the browser tests: one Streamlit server and one Chromium per session, a fresh page per test.

Every test in tests/e2e is marked ``e2e`` (deselect with ``-m "not e2e"``). Helpers live in
``tests/e2e/harness.py`` (shared with ``scripts/bench_ui.py``).
"""

from __future__ import annotations

import pytest

from tests.e2e import harness


def pytest_collection_modifyitems(config, items):
    for item in items:
        if "/tests/e2e/" in str(item.fspath).replace("\\", "/"):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def app_server(tmp_path_factory, e2e_db_url):
    """Start ``streamlit run app.py`` on a free loopback port; yield its base URL."""
    server = harness.start_server(
        log_path=harness.ARTIFACTS / "e2e-server.log",
        cache_dir=tmp_path_factory.mktemp("lstm-lens-cache"),
        env={"LENS_DB": e2e_db_url},
    )
    try:
        harness.wait_healthy(server, timeout=60)
    except RuntimeError as exc:
        server.stop()
        pytest.fail(str(exc), pytrace=False)
    yield server.base_url
    server.stop()


@pytest.fixture(scope="session")
def e2e_db_url(tmp_path_factory) -> str:
    """The shared app server's own run store (and, beside it, its sweeps' journal)."""
    return f"sqlite:///{tmp_path_factory.mktemp('e2e-runs') / 'lens.db'}"


@pytest.fixture(scope="session")
def browser():
    """Headless Debian Chromium (skips, with the reason, where it is not installed)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        try:
            chromium = harness.launch_browser(pw)
        except FileNotFoundError as exc:
            pytest.skip(str(exc))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, app_server):
    """A fresh page (1400x1000). Fails the test on console errors, page errors or a Streamlit
    exception box / "Traceback" left on the page at the end."""
    context, pg, problems = harness.new_page(browser)
    pg.set_default_timeout(30_000)
    yield pg
    failures = []
    try:
        if not pg.is_closed() and pg.url.startswith("http"):
            if harness.exception_count(pg):
                box = pg.locator(harness.EXCEPTION_SELECTOR).first.inner_text()
                failures.append(f"Streamlit exception box on the page:\n{box}")
            elif "Traceback" in pg.locator("body").inner_text():
                failures.append('"Traceback" in the page text')
    finally:
        context.close()
    if problems.console_errors or problems.page_errors:
        failures.append(problems.summary())
    if failures:
        pytest.fail("\n".join(failures), pytrace=False)
