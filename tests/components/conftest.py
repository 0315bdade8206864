"""AppTest plumbing for the page tests: the real app.py, pages opened by their views/ script."""

from __future__ import annotations

import functools
import json
import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from streamlit.components.v2 import manifest_scanner  # noqa: E402
from streamlit.testing.v1 import AppTest  # noqa: E402

# Every AppTest scans every installed package for Streamlit components before its first run
# (streamlit/streamlit#15488; about 0.25-0.5 s each, some 250 test apps). Streamlit 1.67 offers no
# switch for it, so the scan is memoised for the test process: the installed packages do not
# change during a test run. test_component_scan.py fails when Streamlit stops calling it this way.
SCAN_COMPONENT_MANIFESTS = manifest_scanner.scan_component_manifests
manifest_scanner.scan_component_manifests = functools.cache(SCAN_COMPONENT_MANIFESTS)

REPO = Path(__file__).resolve().parents[2]
APP = str(REPO / "app.py")
TIMEOUT = 60  # seconds: the first run that touches TensorFlow imports it (~4 s, more on a busy CPU)

PAGES = {
    "data": "views/data.py",
    "train": "views/train.py",
    "results": "views/results.py",
    "shapes": "views/shapes.py",
    "runs": "views/runs.py",
    "inside": "views/inside.py",
    "tune": "views/tune.py",
}


def new_app(**query: str) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in query.items():
        at.query_params[key] = value
    return at


def goto(at: AppTest, page: str) -> AppTest:
    """Open a page by its name (data/train/results/shapes) and run it: one run, also for a fresh
    AppTest. Before its first run AppTest finds a page by its file name, and every page's
    ``url_path`` in app.py is its file's name (test_every_page_opens_on_the_first_run)."""
    at.switch_page(PAGES[page]).run()
    return at


def plotly_specs(at: AppTest) -> list[dict]:
    return [json.loads(chart.proto.spec) for chart in at.get("plotly_chart")]


def chart_titles(at: AppTest) -> list[str]:
    return [(spec.get("layout", {}).get("title") or {}).get("text", "") for spec in plotly_specs(at)]


def metric(at: AppTest, label: str) -> str:
    for m in at.metric:
        if m.label == label:
            return m.value
    raise AssertionError(f"no metric {label!r}; metrics: {[m.label for m in at.metric]}")


def button(at: AppTest, label: str):
    for b in at.button:
        if b.label == label:
            return b
    raise AssertionError(f"no button {label!r}; buttons: {[b.label for b in at.button]}")


def texts(at: AppTest, kind: str) -> list[str]:
    return [str(e.value) for e in getattr(at, kind)]


def assert_clean(at: AppTest) -> None:
    assert not at.exception, [e.value for e in at.exception]


def price_csv(
    rows: int = 120,
    *,
    seed: int = 0,
    header: tuple[str, ...] = ("Date", "Open", "High", "Low", "Close", "Volume"),
) -> bytes:
    """A small synthetic daily OHLCV CSV (business days from 2020-01-01)."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, rows)))
    open_ = close * (1 + rng.normal(0, 0.003, rows))
    frame = pd.DataFrame(
        {
            header[0]: pd.bdate_range("2020-01-01", periods=rows).strftime("%Y-%m-%d"),
            header[1]: open_.round(2),
            header[2]: (np.maximum(open_, close) * 1.01).round(2),
            header[3]: (np.minimum(open_, close) * 0.99).round(2),
            header[4]: close.round(2),
            header[5]: rng.integers(1_000, 10_000, rows),
        }
    )
    return frame.to_csv(index=False).encode()


@pytest.fixture
def app() -> AppTest:
    return new_app()


def wait_run(run_id: int, timeout: float = 120.0):
    """Block until the worker pool has ended the run; return it as stored."""
    from components import run_client

    record = run_client.pool().wait(run_id, timeout=timeout)
    assert not record.active, f"run {run_id} still {record.status} after {timeout:.0f} s"
    return record


def stored_run(
    frame: pd.DataFrame | None = None, config=None, *, owner: str | None = None, timeout: float = 120.0
):
    """A tiny run trained by the pages' worker pool (as the Train page would), returned when it ended."""
    from components import run_client
    from model.data import load_sample
    from model.engine.config import LstmConfig

    prices = load_sample("GOOG") if frame is None else frame
    config = config or LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)
    run_id = run_client.store().create_run(config, prices, "ui", owner=owner)
    run_client.pool().submit(run_id)
    return wait_run(run_id, timeout)


def open_tab(at: AppTest, label: str, key: str = "results_tab") -> AppTest:
    """Open the tab ``label`` of the lazy tabs with widget key ``key`` (only the open tab runs) and rerun."""
    at.session_state[key] = label
    return at.run()
