"""The Explainer in Chromium: every stop walked with Next (and the → key), each repaint checked, a
link reproduces a stop of a day. Screenshots: tour-1280-*.png and tour-1920-*.png in tests/artifacts."""

from __future__ import annotations

import re
import time

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import assert_clean

pytestmark = pytest.mark.e2e

UNITS, LAYERS, STEPS = 4, 2, 5
COUNT = 3 + LAYERS * STEPS + 3


@pytest.fixture(scope="module")
def tour_run_id(e2e_db_url):
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    store = open_store(e2e_db_url)
    run_id = store.create_run(
        LstmConfig(rnn_unit=UNITS, layer_num=LAYERS, time_step=STEPS, epochs=2), load_sample("GOOG"), "cli"
    )
    store.close()
    with WorkerPool(e2e_db_url, workers=1) as pool:
        assert pool.wait_ready(180)
        pool.submit(run_id)
        assert pool.wait(run_id, timeout=180).status == "finished"
    return run_id


def _heading(page):
    return page.locator(h.MAIN).get_by_text(re.compile(r"^Stop \d+ of \d+ · ")).first


def _stop_number(page) -> int:
    return int(re.match(r"Stop (\d+) of", _heading(page).inner_text()).group(1))


def test_walk_every_stop_and_a_link_reproduces_one(page, app_server, tour_run_id):
    h.open_app(page, app_server, f"tour?run={tour_run_id}", timeout=120)
    expect(_heading(page)).to_have_text(re.compile(f"^Stop 1 of {COUNT} · The window"), timeout=120_000)
    h.wait_settled(page, 60)
    h.shoot(page, "tour-first")
    repaints = []
    for k in range(2, COUNT + 1):
        t0 = time.perf_counter()
        if k % 2:
            page.keyboard.press("ArrowRight")  # the keyboard shortcut of Next
        else:
            page.locator(h.MAIN).get_by_role("button", name=re.compile(r"\bNext\b")).first.click()
        expect(_heading(page)).to_have_text(re.compile(f"^Stop {k} of {COUNT} · "), timeout=30_000)
        h.wait_idle(page, 30)
        repaints.append(time.perf_counter() - t0)
        assert f"stop={k}" in page.url
        assert (
            page.locator(h.PLOTLY_CHART).count() >= 2
        )  # the chart of the stop (or the window) and the chain
        if k == 4:
            assert "Unit " in h.main_text(page) and "c_t = f·c_(t-1) + i·g" in h.main_text(page)
    assert "It uses the last" in h.main_text(page)
    assert_clean(page)
    print(f"repaints (click to heading): median {sorted(repaints)[len(repaints) // 2] * 1000:.0f} ms")
    # A link reproduces a stop of a chosen day: the cell at layer 2, step 2 (stop 3 + 5 + 2 = 10).
    days = page.url  # the page wrote its day into the link
    day = re.search(r"day=(\d{4}-\d{2}-\d{2})", days).group(1)
    for width in (1280, 1920):
        page.set_viewport_size({"width": width, "height": 1000})
        h.open_app(page, app_server, f"tour?run={tour_run_id}&day={day}&stop=10", timeout=120)
        expect(_heading(page)).to_have_text(
            re.compile(f"^Stop 10 of {COUNT} · Layer 2, step 2"), timeout=60_000
        )
        expect(page.locator('[data-testid="stPlotlyChart"]').filter(has_text="The cell at layer 2, step 2").first
               ).to_be_visible(timeout=60_000)  # fmt: skip
        h.shoot(page, f"tour-{width}-cell")
        h.open_app(page, app_server, f"tour?run={tour_run_id}&day={day}&stop={COUNT}", timeout=120)
        expect(_heading(page)).to_have_text(re.compile("How far back it remembers"), timeout=60_000)
        for title in ("It uses the last", "The unrolled chain", "Prediction by epoch"):
            expect(page.locator('[data-testid="stPlotlyChart"]').filter(has_text=title).first).to_be_visible(
                timeout=60_000
            )
        h.shoot(page, f"tour-{width}-memory")
    assert_clean(page)
