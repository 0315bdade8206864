"""State that survives, in Chromium: the data source, the open run and the walk-forward options are
in the link, so a reload and a shared link (a new browser context on the same URL) restore them;
an opened run is the subject of Results under one line, with one calm note when Data holds other
prices. Screenshots at 1280 and 1920 px: state-data-*.png, state-results-*.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import assert_clean

pytestmark = pytest.mark.e2e

WIDTHS = (1280, 1920)


@pytest.fixture(scope="module")
def ibm_run_id(e2e_db_url):
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    store = open_store(e2e_db_url)
    run_id = store.create_run(
        LstmConfig(rnn_unit=6, layer_num=2, time_step=10, epochs=2), load_sample("IBM"), "cli"
    )
    store.close()
    with WorkerPool(e2e_db_url, workers=1) as pool:
        assert pool.wait_ready(180)
        pool.submit(run_id)
        assert pool.wait(run_id, timeout=180).status == "finished"
    return run_id


def _pick_sample(page, ticker: str) -> None:
    h.wait_settled(page, 120)
    # Generous: on the shared 2-core machine the page can be busy for a while after its first load.
    page.get_by_role("combobox", name="Sample ticker").click(timeout=120_000)
    page.keyboard.type(ticker)  # the combobox filters its options; Enter picks the match
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => location.search.includes('data={ticker}')", timeout=60_000)
    h.wait_settled(page, 60)


def _query(page) -> str:
    return page.url.split("?", 1)[1] if "?" in page.url else ""


def _shared(browser, url: str):
    """The same URL in a new browser context: another person opening a shared link."""
    context, other, problems = h.new_page(browser)
    other.set_default_timeout(30_000)
    other.goto(url, wait_until="domcontentloaded")
    h.wait_settled(other, 120)
    return context, other, problems


def test_a_reload_and_a_shared_link_restore_data_options_and_run(page, browser, app_server, ibm_run_id):
    h.open_app(page, app_server, "data")
    expect(page.get_by_text("LSTM Lens trains a stacked LSTM").first).to_be_visible()
    expect(page.get_by_role("link", name=re.compile("Next: Train"))).to_be_visible()
    assert "data=SYNTH" in _query(page)  # the default sample, named in the link
    _pick_sample(page, "IBM")  # loads at once: no button
    expect(page.locator(h.MAIN).get_by_text(re.compile(r"Bundled sample: IBM daily"))).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        h.shoot(page, f"state-data-{width}")

    h.click_nav(page, "Train")
    page.get_by_text("Evidence: walk-forward folds").click()
    h.set_number(page, "Folds", 3)
    page.wait_for_function("() => location.search.includes('folds=3')")

    page.reload(wait_until="domcontentloaded")
    expect(h.number_input(page, "Folds")).to_have_value("3", timeout=60_000)
    h.wait_settled(page, 120)
    assert "data=IBM" in _query(page) and "folds=3" in _query(page)
    expect(page.locator(h.SIDEBAR).get_by_text(re.compile(r"2000-03-01"))).to_be_visible()  # IBM's first day
    assert_clean(page)

    context, other, problems = _shared(browser, page.url)
    try:
        expect(h.number_input(other, "Folds")).to_have_value("3", timeout=60_000)
        expect(other.locator(h.SIDEBAR).get_by_text(re.compile(r"2000-03-01"))).to_be_visible()
        assert not problems.console_errors and not problems.page_errors, problems.summary()
    finally:
        context.close()

    # The run, opened by a link while Data holds SYNTH: the run line, its own data, one calm note.
    link = f"{app_server}/results?run={ibm_run_id}&data=SYNTH"
    page.goto(link, wait_until="domcontentloaded")
    h.wait_settled(page, 120)
    main = page.locator(h.MAIN)
    expect(main.get_by_text(f"Run {ibm_run_id} · IBM · 6x2, time_step 10 · trained 2 epochs")).to_be_visible(
        timeout=60_000
    )
    expect(main.get_by_text(re.compile(r"the Data page now holds SYNTH"))).to_be_visible()
    expect(h.button(page, "Train these settings on the prices now loaded")).to_be_visible()
    assert "train again" not in h.main_text(page).lower()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        h.shoot(page, f"state-results-{width}")
        box = main.get_by_text(f"Run {ibm_run_id} · IBM").bounding_box()
        assert box is not None and box["y"] < 400 and box["x"] + box["width"] <= width  # at the top, not cut
    page.reload(wait_until="domcontentloaded")  # a reload: the same run, the same data, the same words
    h.wait_settled(page, 120)
    expect(main.get_by_text(f"Run {ibm_run_id} · IBM · 6x2")).to_be_visible(timeout=60_000)
    assert f"run={ibm_run_id}" in _query(page) and "data=SYNTH" in _query(page)
    assert "train again" not in h.main_text(page).lower()
    assert_clean(page)

    # Shapes traces the open run by default: its own knobs, weights and prices.
    h.click_nav(page, "Shapes", timeout=120)
    expect(
        main.get_by_text(re.compile(rf"the trained model of run {ibm_run_id} \(2 epochs\)")).first
    ).to_be_visible(timeout=120_000)
    expect(main.get_by_text(re.compile(rf"of run {ibm_run_id}'s own prices")).first).to_be_visible()
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 1000})
        h.shoot(page, f"state-shapes-{width}", timeout=120)
    assert_clean(page)
