"""The forecast on Results in headless Chromium: fan chart past the last date, errors, coverage.

Screenshots: tests/artifacts/results-forecast-fan.png (the fan chart) and results-forecast.png (the page).
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import CHART_TIMEOUT, assert_clean, wait_training_done

pytestmark = pytest.mark.e2e


def test_results_draw_the_fan_chart_with_coverage(page, app_server):
    h.open_app(page, app_server, "train")
    for label, value in {
        "rnn_unit": 4,
        "layer_num": 1,
        "time_step": 10,
        "Epochs": 2,
        "Forecast horizon": 8,
    }.items():
        h.set_number(page, label, value)
    assert_clean(page)
    h.click_button(page, "Train", wait=False)
    expect(page.locator(h.PROGRESS_BAR).or_(h.button(page, "Stop")).first).to_be_visible(timeout=30_000)
    wait_training_done(page)
    h.click_nav(page, "Results")
    h.open_tab(page, "Forecast")
    fan = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Forecast 8 business days past")
    expect(fan.first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    text = h.main_text(page)
    assert "Forecast past the data" in text and "Direct" in text and "Recursive" in text
    assert "Coverage on the test period" in text
    chart_titles = page.locator(h.PLOTLY_CHART)
    expect(chart_titles.filter(has_text="Error against horizon").first).to_be_visible(
        timeout=CHART_TIMEOUT * 1000
    )
    expect(chart_titles.filter(has_text="Coverage against nominal").first).to_be_visible()
    expect(fan.first.get_by_text("LSTM model 95% interval")).to_be_visible()
    assert_clean(page)
    h.shoot(page, "results-forecast")
    fan.first.scroll_into_view_if_needed()
    h.wait_settled(page)
    fan.first.screenshot(path=str(h.ARTIFACTS / "results-forecast-fan.png"))
    assert (h.ARTIFACTS / "results-forecast-fan.png").stat().st_size > 10_000
