"""One story across the pages, in headless Chromium: a single run and a 3-fold walk-forward run, each
followed over Results, Shapes, Inside, Runs and the Explainer. Every page that states a verdict states
the run's one verdict sentence (read from the page, compared with the engine's), Results says it once;
the run's line is the same on Results, Shapes, Inside and the Explainer; the verdict card's top lies
within the first 1,000 px at 1280 px wide. Screenshots at 1280 and 1920 px wide:
tests/artifacts/story-<single|folds>-<page>-<width>.png."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.e2e import harness as h
from tests.e2e.test_browser import TRAIN_TIMEOUT, assert_clean

pytestmark = pytest.mark.process

FIRST_SCREEN = 1000  # px
WIDTHS = (1280, 1920)
WAIT = TRAIN_TIMEOUT * 1000


@pytest.fixture(scope="module")
def story_runs(e2e_db_url):
    """A single run and a 3-fold walk-forward run on SYNTH in the app server's store:
    {kind: (run id, its verdict sentence, its run line)}."""
    from components.widgets import run_line
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.orchestration.verdicts import run_verdict
    from model.orchestration.walkforward import run_walk_forward
    from model.runs import open_store
    from model.runs.execute import execute_run
    from model.runs.workers import WorkerPool

    config = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)
    store = open_store(e2e_db_url)
    try:
        single = store.create_run(config, load_sample("SYNTH"), "cli")
        assert execute_run(store, single).status == "finished"
        with WorkerPool(e2e_db_url, workers=1) as pool:
            folds = run_walk_forward(store, config, load_sample("SYNTH"), pool=pool, folds=3).run_id
        return {
            kind: (run_id, run_verdict(store, run_id).text, run_line(store.get_run(run_id)))
            for kind, run_id in (("single", single), ("folds", folds))
        }
    finally:
        store.close()


def _shoot_both(page, name: str) -> None:
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": FIRST_SCREEN})
        h.wait_settled(page)
        h.shoot(page, f"{name}-{width}")
    page.set_viewport_size({"width": WIDTHS[0], "height": FIRST_SCREEN})


# What a user must never read: a missing value printed raw, a file-system error, a run without its network.
LEAKS = re.compile(
    r"\bNone\b|\bnan\b|Errno|No such file|no stored predictions|could not be loaded|\b0 epochs"
)


# The main area's text without code panes (the tutorial's code says ``None`` on purpose).
PROSE_JS = """() => {
  const main = document.querySelector('[data-testid="stMain"]').cloneNode(true);
  main.querySelectorAll('pre, code, .lens-code-line, [data-testid="stCode"]').forEach((el) => el.remove());
  return main.innerText;
}"""


def _assert_no_leaks(page, where: str) -> None:
    text = page.evaluate(PROSE_JS)
    found = [text[max(0, m.start() - 60) : m.end() + 60] for m in LEAKS.finditer(text)]
    assert not found, f"{where}: {found}"


def _run_line(page, run_id: int) -> str:
    line = (
        page.locator(h.MAIN).get_by_text(re.compile(rf"^Run {run_id}\b.* · (trained|training|queued)")).first
    )
    expect(line).to_be_visible(timeout=WAIT)
    return line.inner_text().strip()


@pytest.mark.parametrize("kind", ["single", "folds"])
def test_one_run_tells_one_story_on_every_page(page, app_server, story_runs, kind):
    run_id, verdict, line = story_runs[kind]
    page.set_viewport_size({"width": WIDTHS[0], "height": FIRST_SCREEN})

    h.open_app(page, app_server, f"results?run={run_id}")
    card = page.locator(".st-key-verdict_card")
    expect(card).to_contain_text(verdict, timeout=WAIT)
    h.wait_settled(page)
    assert card.bounding_box()["y"] < FIRST_SCREEN, card.bounding_box()
    assert h.main_text(page).count(verdict) == 1  # said once: the card, not again in the evidence
    lines = {"results": _run_line(page, run_id)}
    expect(page.locator(h.SIDEBAR)).to_contain_text(
        "Data · SYNTH ·"
    )  # the sidebar names the data as the line does
    _assert_no_leaks(page, "results")
    assert_clean(page)
    _shoot_both(page, f"story-{kind}-results")

    for path in ("shapes", "inside", "tour"):
        h.open_app(page, app_server, f"{path}?run={run_id}")
        lines[path] = _run_line(page, run_id)
        if path != "shapes":  # Shapes traces the network; Inside and the Explainer state the verdict
            expect(page.locator(h.MAIN).get_by_text(verdict, exact=True).first).to_be_visible(timeout=WAIT)
        h.wait_settled(page)
        _assert_no_leaks(page, path)
        assert_clean(page)
        _shoot_both(page, f"story-{kind}-{path}")
    assert set(lines.values()) == {line}, lines

    h.open_app(page, app_server, "runs")
    grid = page.locator('[data-testid="stDataFrame"]').first
    expect(grid).to_be_visible(timeout=WAIT)
    h.wait_settled(page)
    # The grid is a canvas; its accessible table holds the visible cells' text.
    expect(grid).to_contain_text(verdict, timeout=WAIT)
    assert_clean(page)
    _shoot_both(page, f"story-{kind}-runs")
