"""Results answers on the first screen, in headless Chromium: the verdict card's top and bottom and the
predicted-vs-actual chart's top lie within the first 1,000 px at 1280 and 1920 px wide; the other
sections wait in tabs. Screenshots: tests/artifacts/verdict-results-1280.png, verdict-results-1920.png."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import CHART_TIMEOUT, assert_clean

pytestmark = pytest.mark.e2e

FIRST_SCREEN = 1000  # px


@pytest.fixture(scope="module")
def single_run(e2e_db_url):
    """A tiny single run on SYNTH in the app server's store, and its verdict."""
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.orchestration.verdicts import run_verdict
    from model.runs import open_store
    from model.runs.execute import execute_run

    store = open_store(e2e_db_url)
    try:
        run_id = store.create_run(
            LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1), load_sample("SYNTH"), "cli"
        )
        record = execute_run(store, run_id)
        assert record.status == "finished", record.error
        return run_id, run_verdict(store, run_id)
    finally:
        store.close()


@pytest.mark.parametrize("width", [1280, 1920])
def test_the_verdict_card_and_the_chart_are_on_the_first_screen(page, app_server, single_run, width):
    run_id, verdict = single_run
    page.set_viewport_size({"width": width, "height": FIRST_SCREEN})
    h.open_app(page, app_server, f"results?run={run_id}")
    card = page.locator(".st-key-verdict_card")
    expect(card).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    expect(card).to_contain_text(verdict.text)
    chart = page.locator(h.PLOTLY_CHART).first
    expect(chart).to_contain_text("Predicted vs actual", timeout=CHART_TIMEOUT * 1000)
    h.wait_settled(page)
    box, chart_box = card.bounding_box(), chart.bounding_box()
    assert box["y"] >= 0 and box["y"] + box["height"] <= FIRST_SCREEN, box
    assert chart_box["y"] < FIRST_SCREEN, chart_box
    assert box["width"] <= width
    # The other sections wait in tabs: the leak demo's toggle is not on the page until its tab opens.
    assert "Show what the tutorial's normalisation would report" not in h.main_text(page)
    assert_clean(page)
    h.shoot(page, f"verdict-results-{width}")
    h.wait_rerun(page, lambda: page.get_by_role("tab", name="Did it learn?").click())
    expect(page.get_by_text("Did it learn anything?").first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    assert h.main_text(page).count(verdict.text) >= 2  # the card and the tab: the same sentence
