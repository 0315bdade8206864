"""Issue 20 in the browser: a CSV named with Markdown, HTML and a bare URL stays text on the Data
and Train pages (no link, no bold element), as Chromium really renders it."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from components.literal import WORD_JOINER
from tests.components.conftest import price_csv
from tests.e2e import harness as h

pytestmark = pytest.mark.e2e

FILE_NAME = "[x](http://e.com)<b>y</b> www.example.org a@b.example.org.csv"


def _no_markup(page) -> None:
    app = '[data-testid="stApp"]'
    links = page.locator(f"{app} a[href*='e.com'], {app} a[href*='example.org'], {app} a[href^='mailto']")
    assert links.count() == 0, [
        links.nth(i).evaluate("e => e.parentElement.outerHTML") for i in range(links.count())
    ]
    assert page.locator(f"{app} b, {app} strong").filter(has_text="y").count() == 0


def test_a_hostile_file_name_stays_text_in_chromium(page, app_server):
    h.open_app(page, app_server)
    h.wait_rerun(page, lambda: page.get_by_text("CSV upload", exact=True).click())
    uploader = page.locator('[data-testid="stFileUploader"] input[type="file"]')
    h.wait_rerun(
        page,
        lambda: uploader.set_input_files(
            {"name": FILE_NAME, "mimeType": "text/csv", "buffer": price_csv(160)}
        ),
        timeout=60,
    )
    h.wait_idle(page, 60)
    expect(page.locator(h.MAIN).get_by_text("160 rows").first).to_be_visible(timeout=60_000)
    assert FILE_NAME in h.main_text(page)
    _no_markup(page)
    h.click_nav(page, "Train")
    h.wait_idle(page, 60)
    main = h.main_text(page).replace(WORD_JOINER, "")  # the invisible joiner that breaks autolinks
    assert f"Training data: Uploaded CSV: {FILE_NAME}" in main, main[:1500]
    _no_markup(page)
