"""The Inside page in Chromium, and quick navigation: clicks made while a page is still running
land on the clicked page. Screenshots: inside.png (the whole page) and inside-lags.png,
inside-attributions.png, inside-units.png, inside-what-if.png (one per view).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import assert_clean

pytestmark = pytest.mark.e2e

VIEW_SHOTS = {
    "inside-lags": "Correlation with the actual, by lag",
    "inside-attributions": "Average over the test period",
    "inside-units": "Hidden state h of every unit",
    "inside-what-if": "What if: the window ending",
}
# Pairs clicked back to back without waiting for the first page to finish: the second must win.
QUICK_CLICKS = [
    ("Tune", "Shapes"),
    ("Shapes", "Runs"),
    ("Results", "Inside"),
    ("Inside", "Train"),
    ("Train", "Shapes"),
    ("Runs", "Data"),
]


@pytest.fixture(scope="module")
def stored_run_id(e2e_db_url):
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    store = open_store(e2e_db_url)
    run_id = store.create_run(
        LstmConfig(rnn_unit=8, layer_num=2, time_step=10, epochs=3), load_sample("GOOG"), "cli"
    )
    store.close()
    with WorkerPool(e2e_db_url, workers=1) as pool:
        assert pool.wait_ready(180)
        pool.submit(run_id)
        assert pool.wait(run_id, timeout=180).status == "finished"
    return run_id


def test_every_inside_view_draws(page, app_server, stored_run_id):
    h.open_app(page, app_server, f"inside?run={stored_run_id}", timeout=120)
    for title in VIEW_SHOTS.values():
        expect(page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first).to_be_visible(
            timeout=120_000
        )
    text = h.main_text(page)
    assert "of what moves the prediction comes from the last day" in text
    assert "The prediction goes from" in text
    assert_clean(page)
    h.shoot(page, "inside")
    for name, title in VIEW_SHOTS.items():
        chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first
        chart.scroll_into_view_if_needed()
        chart.screenshot(path=str(h.ARTIFACTS / f"{name}.png"))


def _heading(page) -> str:
    return page.locator(f"{h.MAIN} h1").first.inner_text().strip()


def test_quick_navigation_clicks_land_on_the_clicked_page(page, app_server, stored_run_id):
    h.open_app(page, app_server, f"runs?run={stored_run_id}", timeout=120)
    for first, second in QUICK_CLICKS:
        h.nav_link(page, first).click()
        page.wait_for_timeout(150)  # the first page's script is running now
        h.nav_link(page, second).click()
        expect(page.locator(f"{h.MAIN} h1").first).to_have_text(second, timeout=60_000)
        h.wait_idle(page, 120)
        page.wait_for_timeout(500)  # a late rerun of the first page would replace it now
        h.wait_idle(page, 120)
        assert page.url.rstrip("/").split("/")[-1].split("?")[0] == second.lower(), (first, second, page.url)
        assert _heading(page) == second, (first, second, _heading(page))
    assert_clean(page)
