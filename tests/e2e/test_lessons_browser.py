"""Results' lessons in headless Chromium: the verdict in words and the leak demo, with screenshots.

Screenshots: tests/artifacts/train-preset.png and results-lessons.png.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import CHART_TIMEOUT, assert_clean, wait_training_done

pytestmark = pytest.mark.e2e


def test_results_show_the_verdict_and_the_leak_demo(page, app_server):
    h.open_app(page, app_server, "train")
    expect(page.get_by_text("Active preset:").first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    assert "Sound" in h.main_text(page)
    for label, value in {"rnn_unit": 6, "layer_num": 1, "time_step": 10, "Epochs": 3}.items():
        h.set_number(page, label, value)
    expect(page.get_by_text("Active preset: custom").first).to_be_visible()
    h.wait_rerun(
        page,
        lambda: (
            page.get_by_role("radiogroup", name="Predict").get_by_text("Price (tutorial)", exact=True).click()
        ),
    )
    assert_clean(page)
    h.shoot(page, "train-preset")

    h.click_button(page, "Train", wait=False)
    # The press has been handled once the run is in the link; before that, wait_training_done
    # could see the idle Train button of the page as it was and return at once (seen on a loaded machine).
    page.wait_for_url("**run=*", timeout=CHART_TIMEOUT * 1000)
    wait_training_done(page)
    h.click_nav(page, "Results")
    card = page.locator(".st-key-verdict_card")
    expect(card).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    sentence = card.locator('[data-testid="stAlert"]').first.inner_text().strip()
    h.wait_rerun(page, lambda: page.get_by_role("tab", name="Did it learn?").click())
    expect(page.get_by_text("Did it learn anything?").first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    assert h.main_text(page).count(sentence) == 2  # the card's sentence, again in the tab
    h.wait_rerun(page, lambda: page.get_by_role("tab", name="Leak demo").click())
    expect(page.get_by_text("Demo: the tutorial's look-ahead leak").first).to_be_visible()
    assert "honest vs leaked" not in h.main_text(page)  # off by default

    toggle = page.get_by_text("Show what the tutorial's normalisation would report", exact=True)
    h.wait_rerun(page, lambda: toggle.click())
    chart = page.locator(h.PLOTLY_CHART).filter(has_text="honest vs leaked")
    expect(chart.first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    text = h.main_text(page)
    assert "Model, leaked (test-period statistics)" in text
    assert "Real forecasts only have the past." in text  # why the leaked numbers cannot be had
    assert_clean(page)
    h.shoot(page, "results-lessons")
