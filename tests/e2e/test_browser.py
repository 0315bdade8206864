"""The dashboard in headless Chromium: Data -> Train (switching pages mid-training) -> Results -> Shapes.

Screenshots of each page land in tests/artifacts/ (data.png, train.png, results.png, shapes.png).
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h

pytestmark = pytest.mark.e2e

TRAIN_TIMEOUT = 120.0  # seconds for a small network to finish training on a CPU
CHART_TIMEOUT = 60.0  # seconds for a plotly chart to be drawn (first visit loads the sample)
STEP_TIMEOUT = 60.0  # seconds for one Shapes step (it may run the network)

SMALL_NETWORK = {"rnn_unit": 8, "layer_num": 1, "time_step": 10, "Epochs": 3}


def assert_clean(page) -> None:
    """No Streamlit exception box and no traceback on the page right now."""
    assert h.exception_count(page) == 0, page.locator(h.EXCEPTION_SELECTOR).first.inner_text()
    assert "Traceback" not in page.locator("body").inner_text()


def expect_chart(page, timeout: float = CHART_TIMEOUT) -> None:
    expect(page.locator(h.PLOTLY_CHART).first).to_be_visible(timeout=timeout * 1000)


def training_active(page) -> bool:
    """The Train page shows training in progress: a Stop button or a progress bar."""
    return h.button(page, "Stop").count() > 0 or page.locator(h.PROGRESS_BAR).count() > 0


def wait_training_done(page, timeout: float = TRAIN_TIMEOUT) -> None:
    """Training is over when the Stop button is gone and the Train button is back and enabled.

    First the run must exist (its id reaches the link): right after the click the Train button
    is still there and enabled, and a small network can finish before the page shows Stop at all.
    """
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and "run=" not in page.url:
        page.wait_for_timeout(100)
    while time.monotonic() < deadline:
        if h.button(page, "Stop").count() == 0 and h.button(page, "Train").count() > 0:
            if h.button(page, "Train").is_enabled():
                return
        page.wait_for_timeout(250)
    raise AssertionError(f"training did not finish within {timeout:.0f} s:\n{h.main_text(page)[:2000]}")


def test_first_page_renders(page, app_server):
    """Server up -> the first page is rendered: script run finished, content shown, no error."""
    h.open_app(page, app_server)
    main = page.locator('[data-testid="stMain"]')
    expect(main).to_be_visible()
    assert main.inner_text().strip(), "the first page rendered nothing"
    assert_clean(page)


def test_flow_data_train_results(page, app_server):
    # Data (default page): the bundled SYNTH sample loads on the first visit and a candlestick shows.
    h.open_app(page, app_server)
    expect_chart(page)
    expect(page.get_by_text("Bundled sample", exact=True).first).to_be_visible()
    assert_clean(page)
    h.shoot(page, "data")

    # Train: a small network so the flow stays quick on a CPU.
    h.click_nav(page, "Train")
    for label, value in SMALL_NETWORK.items():
        h.set_number(page, label, value)
        expect(h.number_input(page, label)).to_have_value(str(value))
    assert_clean(page)

    h.click_button(page, "Train", wait=False)
    # Progress shows up (a progress bar, or a Stop button while the run is on).
    expect(page.locator(h.PROGRESS_BAR).or_(h.button(page, "Stop")).first).to_be_visible(timeout=30_000)

    # Switch pages during training: the job belongs to the session, not to the page.
    h.click_nav(page, "Data")
    expect_chart(page)
    assert_clean(page)
    h.click_nav(page, "Train")
    # Still running (progress or Stop) or already finished (Train button back): never lost.
    assert training_active(page) or h.button(page, "Train").count() > 0
    assert_clean(page)

    wait_training_done(page)
    expect(page.locator(h.PLOTLY_CHART).first).to_be_visible(timeout=30_000)  # the loss chart
    assert_clean(page)
    h.shoot(page, "train")

    # Results: predicted vs actual, and the metrics table.
    h.click_nav(page, "Results")
    chart = page.locator('[data-testid="stPlotlyChart"]').filter(has_text="Predicted vs actual")
    expect(chart.first).to_be_visible(timeout=CHART_TIMEOUT * 1000)
    expect(page.locator(h.TABLE).first).to_be_visible()
    assert_clean(page)
    h.shoot(page, "results")


def test_shapes_step_through(page, app_server):
    # Through the Data page first, as a user would: the session then has prices loaded.
    h.open_app(page, app_server)
    expect_chart(page)
    h.click_nav(page, "Shapes", timeout=STEP_TIMEOUT)
    h.shoot(page, "shapes")
    if "coming soon" in h.main_text(page).lower():
        pytest.skip("Shapes page not built yet (it says 'coming soon')")
    expect(h.button(page, "Next")).to_be_visible()
    expect(h.button(page, "Previous")).to_be_visible()
    # The LSTM unrolled in time: its panel with ONE time control (the step slider, which Play moves);
    # the figure carries no plotly slider or Play button of its own to fall out of step with it.
    assert "Unroll the LSTM in time" in h.main_text(page)
    expect(page.locator(".st-key-shape_unroll_play").first).to_be_attached()
    assert page.locator(".js-plotly-plot .updatemenu-button").count() == 0
    seen = [h.main_text(page)]
    for _ in range(6):  # 7 steps: 6 times Next
        h.click_button(page, "Next", timeout=STEP_TIMEOUT)
        assert_clean(page)
        seen.append(h.main_text(page))
    assert len(set(seen)) == 7, "each of the 7 steps should show something different"
    h.shoot(page, "shapes-last-step")
    h.click_button(page, "Previous", timeout=STEP_TIMEOUT)
    assert h.main_text(page) == seen[5]
    assert_clean(page)


@pytest.mark.parametrize(
    "path, heading", [("data", "Data"), ("train", "Train"), ("results", "Results"), ("shapes", "Shapes")]
)
def test_every_page_has_its_own_address(page, app_server, path, heading):
    """A shared link to any page opens that page, with the link's knobs applied."""
    h.open_app(page, app_server, f"{path}?rnn_unit=12")
    expect(page.locator("h1").first).to_have_text(heading, timeout=CHART_TIMEOUT * 1000)
    assert "Page not found" not in page.locator("body").inner_text()
    assert_clean(page)


def test_the_root_address_opens_data_at_its_own_path(page, app_server):
    h.open_app(page, app_server, "?layer_num=3")
    expect(page.locator("h1").first).to_have_text("Data", timeout=CHART_TIMEOUT * 1000)
    page.wait_for_url("**/data?*layer_num=3*", timeout=30_000)
