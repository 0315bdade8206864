"""The interval methods on Results in headless Chromium, at 1280 and 1920 px wide.

Screenshots: tests/artifacts/results-intervals-1280.png and results-intervals-1920.png (the section).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import CHART_TIMEOUT, assert_clean, wait_training_done

pytestmark = pytest.mark.e2e


def test_results_show_the_interval_methods_at_two_widths(page, app_server):
    h.open_app(page, app_server)  # the Data page loads the bundled sample on the first visit
    expect(page.get_by_text("Bundled sample", exact=True).first).to_be_visible(timeout=60_000)
    h.wait_settled(page, 120)
    h.click_nav(page, "Train", timeout=120)
    h.wait_settled(page, 120)
    for label, value in {
        "rnn_unit": 4,
        "layer_num": 1,
        "time_step": 10,
        "Epochs": 2,
        "Forecast horizon": 5,
    }.items():
        h.set_number(page, label, value)
    h.click_button(page, "Train", wait=False)
    expect(page.locator(h.PROGRESS_BAR).or_(h.button(page, "Stop")).first).to_be_visible(timeout=30_000)
    wait_training_done(page)
    h.click_nav(page, "Results")
    h.open_tab(page, "Forecast")
    charts = page.locator(h.PLOTLY_CHART)
    by_method = charts.filter(has_text="coverage by method")
    expect(by_method.first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    for title in ("by regime known at the origin", "coverage over time", "PIT histogram"):
        expect(charts.filter(has_text=title).first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    text = h.main_text(page)
    assert "Interval methods" in text and "Adaptive conformal (ACI)" in text and "Proper scores" in text
    assert_clean(page)
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 1400})
        h.wait_settled(page)
        by_method.first.scroll_into_view_if_needed()
        h.wait_settled(page)
        path = h.ARTIFACTS / f"results-intervals-{width}.png"
        page.screenshot(path=str(path))
        assert path.stat().st_size > 10_000
    assert_clean(page)
