"""Walk-forward evidence in the browser: Results shows the verdict, the DM result and the per-fold
bars of a stored walk-forward run; Runs compares its fold skill. Screenshots: evidence-results.png,
evidence-runs.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import TRAIN_TIMEOUT, assert_clean

pytestmark = pytest.mark.e2e


def test_results_and_runs_show_walk_forward_evidence(browser, tmp_path):
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.orchestration.walkforward import run_walk_forward
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    env = {"LENS_DB": f"sqlite:///{tmp_path / 'lens.db'}", "LENS_WORKERS": "1"}
    store = open_store(env["LENS_DB"])
    with WorkerPool(env["LENS_DB"], workers=1) as pool:
        result = run_walk_forward(
            store,
            LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1),
            load_sample("GOOG"),
            pool=pool,
            folds=3,
        )
    assert result.evidence.folds_scored == 3
    parent, verdict = result.run_id, result.evidence.verdict.text
    store.close()

    server = h.start_server(log_path=h.ARTIFACTS / "e2e-evidence.log", env=env)
    try:
        h.wait_healthy(server, timeout=60)
        context, pg, _problems = h.new_page(browser)
        pg.set_default_timeout(30_000)
        try:
            h.open_app(pg, server.base_url, f"results?run={parent}")
            # The verdict card and the evidence tab's verdict: the same sentence.
            expect(pg.get_by_text(verdict).first).to_be_visible(timeout=TRAIN_TIMEOUT * 1000)
            # The DM sentences sit under the ladder's picture, in a collapsed expander.
            h.wait_rerun(pg, lambda: pg.get_by_text("The tests in numbers", exact=True).click())
            expect(
                pg.get_by_text(re.compile("Diebold-Mariano vs persistence, pooled over 3 folds"))
            ).to_be_visible()
            # Visible comes before plotly has drawn the figure's texts: wait for the title itself.
            expect(pg.locator(h.PLOTLY_CHART).filter(has_text="Skill per fold").first).to_be_visible(
                timeout=60_000
            )
            assert_clean(pg)
            h.shoot(pg, "evidence-results")

            h.open_app(pg, server.base_url, "runs")
            # Fold runs are hidden behind their walk-forward run until the toggle shows them.
            expect(pg.get_by_text(re.compile(r"3 fold runs hidden"))).to_be_visible(timeout=60_000)
            h.wait_rerun(pg, lambda: pg.get_by_text("Show fold runs", exact=True).click())
            grid = pg.locator('[data-testid="stDataFrame"]').first
            expect(grid).to_be_visible(timeout=60_000)
            h.wait_settled(pg)
            box = grid.bounding_box()
            # Newest first: the three fold runs, then the walk-forward run (row 4); select row 1 and row 4.
            for row in (0, 3):
                h.wait_rerun(pg, lambda r=row: pg.mouse.click(box["x"] + 16, box["y"] + 35 * (r + 1) + 17))
            expect(pg.get_by_text("Comparing 2 runs")).to_be_visible(timeout=60_000)
            charts = pg.locator(h.PLOTLY_CHART)
            expect(charts.first).to_be_visible(timeout=60_000)
            h.wait_settled(pg)
            titles = " ".join(charts.nth(i).inner_html() for i in range(charts.count()))
            assert "Skill over folds, per walk-forward run" in titles
            assert_clean(pg)
            h.shoot(pg, "evidence-runs")
        finally:
            context.close()
    finally:
        server.stop()
