"""Nothing cut off at 1280 and 1920 px, measured in Chromium: the Runs table shows run, status, skill
and test RMSE without horizontal scrolling; every plot's title, axis titles and annotations sit
inside its box; the Results pictures of a walk-forward run are drawn. Screenshots (looked at):
cutoffs-runs-1280.png, cutoffs-runs-1920.png, cutoffs-results-1280.png, cutoffs-results-1920.png,
cutoffs-train-1280.png.

The store is filled before the server starts: four runs with a long data description (written by
hand) and one tiny walk-forward run trained here, in this process, so its Results are real.
"""

from __future__ import annotations

import pandas as pd
import pytest

from tests.e2e import harness as h

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

WIDTHS = (1280, 1920)
LONG = "GOOG daily prices from an uploaded file with a very long name, 2004-08-19 to 2013-03-01 " * 2

# Every plot's text boxes (title, axis titles, annotations, legend) against its own box: how far each
# runs past an edge (px, 0 when inside), and which of them overlap one another or a tick label.
# Plotly draws them as SVG, so their client rects are real.
OVERFLOW_JS = """() => [...document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot')].map(p => {
  const box = p.getBoundingClientRect();
  const title = (p.querySelector('.gtitle') || {}).textContent || '';
  const texts = [...p.querySelectorAll(
      'text.gtitle, text.xtitle, text.x2title, text.ytitle, text.y2title, g.annotation, g.legend')]
    .filter(e => (e.textContent || '').trim())
    .map(e => ({name: (e.textContent || '').trim().slice(0, 40), r: e.getBoundingClientRect()}))
    .filter(e => e.r.width > 0 && e.r.height > 0);
  const ticks = [...p.querySelectorAll('.xtick text, .ytick text, .x2tick text, .y2tick text')]
    .map(e => ({name: 'tick ' + e.textContent, r: e.getBoundingClientRect()}))
    .filter(e => e.r.width > 0);
  const overflow = Math.max(0, ...texts.map(({r}) =>
    Math.max(box.left - r.left, r.right - box.right, box.top - r.top, r.bottom - box.bottom)));
  const meet = (a, b) => Math.min(a.right, b.right) - Math.max(a.left, b.left) > 2
    && Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top) > 2;
  const clashes = [];
  texts.forEach((a, i) => {
    texts.slice(i + 1).forEach(b => { if (meet(a.r, b.r)) clashes.push([a.name, b.name]); });
    ticks.forEach(t => { if (meet(a.r, t.r)) clashes.push([a.name, t.name]); });
  });
  return {title, overflow: Math.round(overflow), clashes};
})"""

# The Runs grid is a canvas; its accessibility table lists the header cells it renders: only the
# columns inside the grid's visible width (and one or two beyond as overscan).
HEADERS_JS = """() => {
  const g = document.querySelector('[data-testid="stDataFrame"]');
  const r = g.getBoundingClientRect();
  return {right: r.right, headers: [...g.querySelectorAll('[role="columnheader"]')].map(e => e.textContent)};
}"""


def _fill(url: str) -> int:
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.orchestration.walkforward import run_walk_forward
    from model.runs.store import open_store

    store = open_store(url)  # files beside the database, where the server looks for them
    prices = load_sample("GOOG")
    for i in range(4):
        run_id = store.create_run(LstmConfig(rnn_unit=16 + i, dropout=0.1), prices, "ui", description=LONG)
        store.start(run_id)
        store.add_epoch(run_id, 1, 1.0, 1.0)
        metrics = pd.DataFrame(
            {"RMSE": [1.2 + i, 1.3], "MAE": [1.0, 1.1], "MAPE %": [1.0, 1.0], "Direction %": [50.0, 50.0],
             "Skill": [0.05 * i - 2.9 * (i == 0), 0.0]},
            index=["model", "persistence"],
        )  # fmt: skip
        store.finish(run_id, "finished", seconds=3.0, metric_table=metrics)
    config = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=2, patience=0, horizon=3)
    result = run_walk_forward(store, config, prices, folds=3)
    store.close()
    return result.run_id


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    root = tmp_path_factory.mktemp("cutoffs")
    url = f"sqlite:///{root / 'lens.db'}"
    parent = _fill(url)
    server = h.start_server(
        log_path=h.ARTIFACTS / "e2e-cutoffs.log", env={"LENS_DB": url, "LENS_WORKERS": "1"}
    )
    try:
        h.wait_healthy(server, timeout=60)
        yield server.base_url, parent
    finally:
        server.stop()


def _page(browser, width: int):
    context = browser.new_context(viewport={"width": width, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(60_000)
    return context, page


def _no_plot_cut_off(page) -> list[dict]:
    plots = page.evaluate(OVERFLOW_JS)
    assert plots, "no plot drawn"
    bad = [p for p in plots if p["overflow"] > 2 or p["clashes"]]
    assert not bad, bad
    return plots


@pytest.mark.parametrize("width", WIDTHS)
def test_runs_table_shows_skill_and_rmse_without_scrolling(browser, server, width):
    base_url, parent = server
    context, page = _page(browser, width)
    try:
        h.open_app(page, base_url, "runs")
        page.locator('[data-testid="stDataFrame"]').first.wait_for()
        page.wait_for_timeout(800)
        grid = page.evaluate(HEADERS_JS)
        assert grid["right"] <= width, grid
        shown = grid["headers"]
        for column in ("run", "status", "skill", "test RMSE", "epochs"):
            assert column in shown, shown
        # Well inside the rendered columns, not the overscan at the grid's right edge.
        assert shown.index("test RMSE") < len(shown) - 2, shown
        assert "0 epochs" not in h.main_text(page)
        h.shoot(page, f"cutoffs-runs-{width}")
    finally:
        context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_results_pictures_of_a_walk_forward_run_fit_their_boxes(browser, server, width):
    base_url, parent = server
    context, page = _page(browser, width)
    try:
        h.open_app(page, base_url, f"results?run={parent}")
        page.get_by_text("The ladder: mean test RMSE").first.wait_for(timeout=120_000)
        h.wait_settled(page, timeout=120)
        page.wait_for_timeout(1500)
        titles = [p["title"] for p in _no_plot_cut_off(page)]
        for picture in ("The ladder: mean test RMSE, best at the top", "The expanding folds"):
            assert any(t.startswith(picture) for t in titles), titles
        h.open_tab(page, "Forecast")  # the forecast's pictures are in their own (lazy) tab
        page.get_by_text("Two ways to forecast").first.wait_for(timeout=120_000)
        h.wait_settled(page, timeout=120)
        page.wait_for_timeout(1500)
        titles = [p["title"] for p in _no_plot_cut_off(page)]
        for picture in ("Two ways to forecast several days", "The model's errors, and the band they give"):
            assert any(t.startswith(picture) for t in titles), titles
        assert h.exception_count(page) == 0
        h.shoot(page, f"cutoffs-results-{width}")
    finally:
        context.close()


def test_train_split_chart_and_progress_fit_at_1280(browser, server):
    base_url, parent = server
    context, page = _page(browser, 1280)
    try:
        h.open_app(page, base_url, f"train?run={parent}")
        page.get_by_text("all 3 folds trained").first.wait_for(timeout=60_000)
        h.wait_settled(page, timeout=120)  # a loaded machine: the workers may still be busy
        page.locator(h.PLOTLY_CHART).first.wait_for(timeout=60_000)
        page.wait_for_timeout(1500)
        text = h.main_text(page)
        assert "no epoch had finished" not in text and "0 epoch(s)" not in text
        titles = [p["title"] for p in _no_plot_cut_off(page)]
        assert any(t.startswith("Validation loss per epoch, per fold") for t in titles), titles
        h.shoot(page, "cutoffs-train-1280", timeout=120)
    finally:
        context.close()
