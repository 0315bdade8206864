"""The Tune page in headless Chromium: start a tiny study, watch trials appear live, stop it, open
the best run. Screenshots: tests/artifacts/tune-live.png, tune-stopped.png."""

from __future__ import annotations

import contextlib
import time

import pytest

from model.errors import LensError
from tests.e2e import harness as h

pytestmark = pytest.mark.e2e

STUDY_TIMEOUT = 240.0  # seconds for worker start-up (TensorFlow import) and the first trials


def wait_text(page, text: str, timeout: float = STUDY_TIMEOUT) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if text in h.main_text(page):
            return
        page.wait_for_timeout(500)
    raise AssertionError(f"{text!r} did not appear within {timeout:.0f} s:\n{h.main_text(page)[:2000]}")


def test_start_watch_stop_and_open_a_study(page, app_server, e2e_db_url, monkeypatch):
    from model.sweep import study as studies

    monkeypatch.setenv("LENS_DB", e2e_db_url)  # look the study up where the server keeps it

    h.open_app(page, app_server)  # Data: loads the bundled sample
    h.click_nav(page, "Tune")
    assert "validation period" in h.main_text(page)
    h.set_number(page, "Epochs per trial", 1)
    h.set_number(page, "Trials", 40)
    h.set_number(page, "Worker processes", 1)
    page.get_by_label("Study name (optional)").fill("browser")
    page.get_by_label("Study name (optional)").press("Enter")
    h.wait_idle(page)
    try:
        h.click_button(page, "Start", timeout=60)
        # A reload or another browser finds the study again (the URL is updated after the rerun).
        page.wait_for_url("**study=browser*", timeout=60_000)
        wait_text(page, "Best so far")  # at least one trial complete, drawn by the live fragment
        assert h.exception_count(page) == 0
        h.shoot(page, "tune-live")
        h.button(page, "Stop").click()
    finally:
        with contextlib.suppress(LensError):  # no study: Start failed, and the error above says why
            studies.request_stop("browser")  # never leave workers running, whatever failed above
    wait_text(page, "No worker is running")
    h.shoot(page, "tune-stopped")
    study = studies.open_study("browser")
    assert studies.stop_requested(study) and len(studies.counted_trials(study)) < 40

    page.get_by_role("link", name="Open best run").first.click()
    page.wait_for_url("**/results?*run=*", timeout=30_000)
