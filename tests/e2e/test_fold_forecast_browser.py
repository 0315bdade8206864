"""A walk-forward run's forecast in the browser: the fan past the last date, calibrated on its folds,
below the evidence. Screenshots: walkforward-forecast.png (the page), walkforward-forecast-fan.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import TRAIN_TIMEOUT, assert_clean

pytestmark = pytest.mark.e2e


def test_results_draw_the_fan_of_a_walk_forward_run(browser, tmp_path):
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.orchestration.walkforward import run_walk_forward
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    env = {"LENS_DB": f"sqlite:///{tmp_path / 'lens.db'}", "LENS_WORKERS": "1"}
    store = open_store(env["LENS_DB"])
    config = LstmConfig(
        rnn_unit=4, layer_num=1, time_step=5, epochs=1, horizon=6, features=("close", "change")
    )
    with WorkerPool(env["LENS_DB"], workers=1) as pool:
        result = run_walk_forward(store, config, load_sample("GOOG"), pool=pool, folds=3)
    assert result.evidence.folds_scored == 3
    parent = result.run_id
    store.close()

    server = h.start_server(log_path=h.ARTIFACTS / "e2e-fold-forecast.log", env=env)
    try:
        h.wait_healthy(server, timeout=60)
        context, pg, _problems = h.new_page(browser)
        pg.set_default_timeout(30_000)
        try:
            h.open_app(pg, server.base_url, f"results?run={parent}")
            h.open_tab(pg, "Forecast")
            fan = pg.locator(h.PLOTLY_CHART).filter(has_text="Forecast 6 business days past")
            expect(fan.first).to_be_visible(timeout=TRAIN_TIMEOUT * 1000)
            expect(
                pg.get_by_text(
                    re.compile(r"Intervals calibrated on the test periods of 3 walk-forward folds")
                )
            ).to_be_visible()
            charts = pg.locator(h.PLOTLY_CHART)
            expect(charts.filter(has_text="Error against horizon (test folds)").first).to_be_visible()
            expect(charts.filter(has_text="Coverage against nominal (test folds)").first).to_be_visible()
            expect(fan.first.get_by_text("LSTM model 95% interval")).to_be_visible()
            text = h.main_text(pg)
            assert "Coverage on the test folds" in text and "Coverage per test fold" in text
            assert_clean(pg)
            h.shoot(pg, "walkforward-forecast")
            fan.first.scroll_into_view_if_needed()
            h.wait_settled(pg)
            fan.first.screenshot(path=str(h.ARTIFACTS / "walkforward-forecast-fan.png"))
            assert (h.ARTIFACTS / "walkforward-forecast-fan.png").stat().st_size > 10_000
        finally:
            context.close()
    finally:
        server.stop()
