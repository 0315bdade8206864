"""Data-size benchmark: time from upload to first chart and the chart's size, for 10k/100k/1M rows.

Two figures per size, both on the real code: *load+figure* is ``load_csv`` on the file's bytes,
the Data page's candlestick figure and its JSON (what Streamlit sends to the browser); *page run*
is the Data page in AppTest handling the upload (load, checks, chart, table) in one script run.
Run ``python -m scripts.bench_data``; ``make bench`` calls ``main()``.
"""

from __future__ import annotations

import io
import os
import time

import numpy as np
import pandas as pd

SIZES = (10_000, 100_000, 1_000_000)


def date_close_csv(rows: int, seed: int = 0) -> bytes:
    """A date+close CSV of ``rows`` daily rows (1,000,000 rows is about 20 MB); the hardening tests use it too."""
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, rows)))
    dates = pd.date_range("1900-01-01", periods=rows, freq="D")
    buffer = io.StringIO()
    pd.DataFrame({"date": dates.strftime("%Y-%m-%d"), "close": close.round(4)}).to_csv(buffer, index=False)
    return buffer.getvalue().encode()


def load_and_draw(content: bytes) -> tuple[float, int, str]:
    """Seconds from bytes to the figure's JSON, its size in bytes, and the chart's title."""
    from components.figures.prices import candlestick_figure
    from model.data import load_csv

    started = time.perf_counter()
    table = load_csv(content)
    figure = candlestick_figure(table.frame, title="Price and volume")
    spec = figure.to_json()
    return time.perf_counter() - started, len(spec), str(figure.layout.title.text)


def page_run(content: bytes) -> float:
    """Seconds for the Data page's script run that handles a new upload (AppTest, no browser)."""
    from streamlit.testing.v1 import AppTest

    app = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "app.py")
    at = AppTest.from_file(app, default_timeout=300)
    at.run()
    at.radio(key="data_source").set_value("CSV upload").run()
    at.file_uploader(key="csv_file").upload("bench.csv", content, "text/csv")
    started = time.perf_counter()
    at.run()
    elapsed = time.perf_counter() - started
    if at.exception or not at.get("plotly_chart"):
        raise RuntimeError(f"the Data page did not draw a chart: {[e.value for e in at.exception]}")
    return elapsed


def main() -> None:
    print("Data size: upload to first chart (bounded figures, issue 12)")
    print(f"{'rows':>10} {'file MB':>8} {'load+figure s':>14} {'page run s':>11} {'figure KB':>10}  chart")
    for rows in SIZES:
        content = date_close_csv(rows)
        seconds, size, title = load_and_draw(content)
        run = page_run(content)
        print(
            f"{rows:>10,} {len(content) / 1e6:>8.1f} {seconds:>14.2f} {run:>11.2f} {size / 1e3:>10.1f}  {title}"
        )


if __name__ == "__main__":
    main()
