"""Runs in the browser, each test with its own server and run store: reload reattaches to a running
training, a restart keeps finished runs, a killed server leaves its run interrupted, and the Runs
page compares 3 runs. Screenshots: runs-reattached.png, runs-after-restart.png, runs-compare.png.
"""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import TRAIN_TIMEOUT, assert_clean, wait_training_done

pytestmark = pytest.mark.e2e


@pytest.fixture
def run_store(tmp_path):
    return {"LENS_DB": f"sqlite:///{tmp_path / 'lens.db'}", "LENS_WORKERS": "1"}


def _server(env, name):
    server = h.start_server(log_path=h.ARTIFACTS / f"e2e-{name}.log", env=env)
    try:
        h.wait_healthy(server, timeout=60)
    except RuntimeError:
        server.stop()
        raise
    return server


def _fresh_page(browser):
    context, pg, _problems = h.new_page(browser)
    pg.set_default_timeout(30_000)
    return context, pg


def _start_training(pg, base_url, epochs):
    h.open_app(pg, base_url, f"train?rnn_unit=4&layer_num=1&time_step=5&epochs={epochs}&patience=0")
    expect(h.button(pg, "Train")).to_be_enabled(timeout=60_000)
    h.click_button(pg, "Train", wait=False)
    expect(pg.locator(h.PROGRESS_BAR).first).to_be_visible(timeout=30_000)
    pg.wait_for_url("**run=*", timeout=30_000)
    return int(pg.url.split("run=")[1].split("&")[0])


def _wait_epoch(pg, timeout=TRAIN_TIMEOUT):
    """Until the progress bar names an epoch past the first (the worker is training)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if "Epoch " in h.main_text(pg) and "Train loss" in h.main_text(pg):
            return
        pg.wait_for_timeout(250)
    raise AssertionError(h.main_text(pg)[:1500])


def test_reload_reattaches_restart_keeps_runs_and_a_killed_server_leaves_interrupted(browser, run_store):
    server = _server(run_store, "runs-a")
    context, pg = _fresh_page(browser)
    try:
        # Many epochs: a tiny network trains an epoch in well under a second, and the run must
        # still be going after the reload.
        run_id = _start_training(pg, server.base_url, epochs=3000)
        _wait_epoch(pg)
        pg.reload()  # a new Streamlit session: the URL's run and owner bring the run back
        expect(pg.locator(h.PROGRESS_BAR).first).to_be_visible(timeout=30_000)
        expect(h.button(pg, "Stop")).to_be_visible(timeout=30_000)  # still this tab's run
        assert f"Run {run_id}" in h.main_text(pg)
        h.shoot(pg, "runs-reattached")
        h.click_button(pg, "Stop", wait=False)
        wait_training_done(pg, TRAIN_TIMEOUT * 2)
        expect(pg.get_by_text("Stopped by you").first).to_be_visible()
        assert_clean(pg)
        # A second, long run, then the server dies with it (SIGKILL: no clean-up at all).
        doomed = _start_training(pg, server.base_url, epochs=3000)
        _wait_epoch(pg)
    finally:
        context.close()
        h.kill_process_group(server.proc)

    server = _server(run_store, "runs-b")
    context, pg = _fresh_page(browser)
    try:
        h.open_app(pg, server.base_url, "runs")
        expect(pg.locator(h.TABLE).first).to_be_visible(timeout=60_000)
        h.shoot(pg, "runs-after-restart")
        h.open_app(pg, server.base_url, f"results?run={run_id}")
        chart = pg.locator('[data-testid="stPlotlyChart"]').filter(has_text="Predicted vs actual")
        expect(chart.first).to_be_visible(timeout=60_000)
        h.open_app(pg, server.base_url, f"train?run={doomed}")
        expect(pg.get_by_text("Interrupted after").first).to_be_visible(timeout=30_000)
        assert_clean(pg)
    finally:
        context.close()
        server.stop()


def test_runs_page_compares_three_runs(browser, run_store, tmp_path):

    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    store = open_store(run_store["LENS_DB"])
    prices = load_sample("GOOG")
    ids = [
        store.create_run(LstmConfig(rnn_unit=u, layer_num=1, time_step=5, epochs=e), prices, "cli")
        for u, e in ((4, 1), (8, 2), (12, 2))
    ]
    with WorkerPool(run_store["LENS_DB"], workers=1) as pool:
        for run_id in ids:
            pool.submit(run_id)
        for run_id in ids:
            assert pool.wait(run_id, timeout=TRAIN_TIMEOUT).status == "finished"
    store.close()

    server = _server(run_store, "runs-compare")
    context, pg = _fresh_page(browser)
    try:
        h.open_app(pg, server.base_url, "runs")
        grid = pg.locator('[data-testid="stDataFrame"]').first
        expect(grid).to_be_visible(timeout=60_000)
        h.wait_settled(pg)
        box = grid.bounding_box()
        for row in range(3):  # the selection checkboxes, left of each row
            h.wait_rerun(pg, lambda r=row: pg.mouse.click(box["x"] + 16, box["y"] + 35 * (r + 1) + 17))
        expect(pg.get_by_text("Comparing 3 runs")).to_be_visible(timeout=60_000)
        charts = pg.locator(h.PLOTLY_CHART)
        expect(charts.nth(3)).to_be_visible(timeout=60_000)
        text = h.main_text(pg)
        assert "Predicted vs actual, test period" in pg.locator("body").inner_text() or charts.count() >= 4, (
            text
        )
        assert_clean(pg)
        h.shoot(pg, "runs-compare")
    finally:
        context.close()
        server.stop()
