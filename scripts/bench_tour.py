"""The Explainer's speed (prints; not a test).

    python -m scripts.bench_tour [--small] [--no-browser]

(a) the tour job in a warm worker (``WorkerPool.call("tour", run_id, day)``): the first call for a
    run (loads the model, computes the day's numbers and the test period's memory profile), a new
    day of the same run, and a repeated day (the worker's memo).
(b) a stop change as the server redraws it: the stops, the stop's figure, the unrolled chain (and
    the every-number view when it fits), serialised to JSON as Streamlit sends them; median and
    max over every stop of the tour (target: well under 150 ms).
(c) a stop change in Chromium in a warm session: press Next -> the new stop's heading painted;
    median and max over every stop (target < 150 ms; the figure includes the websocket round trip
    and the fragment rerun).
(d) the alternative, measured the same way from the same run: a client-side step through plotly
    animation frames of the precomputed stops (one figure, a frame per cell stop, the stop's
    heading swapped by the page's own Next button; no server): click Next -> heading and frame drawn.

Default: the Sound preset (rnn_unit 10, 2 layers, time_step 20) on AAPL, 2 epochs. ``--small``:
rnn_unit 4, 2 layers, time_step 5 on GOOG (quick).
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import tempfile
import time
from pathlib import Path

from tests.e2e import harness as h

STOP_TARGET_MS = 150.0


def _trained_run(url: str, small: bool) -> int:
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    config = LstmConfig(rnn_unit=4, layer_num=2, time_step=5, epochs=2) if small else LstmConfig(epochs=2)
    store = open_store(url)
    run_id = store.create_run(config, load_sample("GOOG" if small else "AAPL"), "cli")
    store.close()
    with WorkerPool(url, workers=1) as pool:
        pool.submit(run_id)
        record = pool.wait(run_id, timeout=900)
    assert record.status == "finished", record.error
    return run_id


def bench_job(url: str, run_id: int) -> tuple[dict, object]:
    from model.runs.workers import WorkerPool

    with WorkerPool(url, workers=1) as pool:
        pool.wait_ready(180)
        pool.call("ping")
        t0 = time.perf_counter()
        record = pool.call("tour", run_id, None, timeout=300)
        first = time.perf_counter() - t0
        day = record.test_days[len(record.test_days) // 2]
        t0 = time.perf_counter()
        pool.call("tour", run_id, day, timeout=300)
        new_day = time.perf_counter() - t0
        t0 = time.perf_counter()
        pool.call("tour", run_id, day, timeout=300)
        again = time.perf_counter() - t0
    return {"first_s": first, "new_day_s": new_day, "same_day_ms": again * 1000}, record


def bench_redraw(record) -> dict:
    from components.figures import tour as figures
    from components.pages.tour import stop_figure
    from model.explain.tour_stops import tour_stops

    stops = tour_stops(record)
    times = []
    for index in range(len(stops)):
        t0 = time.perf_counter()
        stop = tour_stops(record)[index]
        figs = [stop_figure(record, stop), figures.chain_figure(record, stop.time)]
        if figures.fits_one_screen(record):
            figs.append(figures.all_numbers_figure(record, stop.time))
        for fig in figs:
            if fig is not None:
                fig.to_json()
        times.append((time.perf_counter() - t0) * 1000)
    return {"stops": len(stops), "median_ms": statistics.median(times), "max_ms": max(times)}


def bench_browser(url: str, run_id: int, count: int, timeout: float = 120.0) -> dict:
    from playwright.sync_api import sync_playwright

    heading = re.compile(r"^Stop (\d+) of \d+ · ")
    server = h.start_server(log_path=h.ARTIFACTS / "bench-tour.log", env={"LENS_DB": url})
    times = []
    with sync_playwright() as pw:
        browser = h.launch_browser(pw)
        context, page, _ = h.new_page(browser)
        try:
            h.wait_healthy(server, timeout)
            h.open_app(page, server.base_url, f"tour?run={run_id}", timeout)
            page.locator(h.MAIN).get_by_text(heading).first.wait_for(timeout=timeout * 1000)
            h.wait_settled(page, timeout)
            for k in range(2, count + 1):
                target = page.locator(h.MAIN).get_by_text(re.compile(f"^Stop {k} of ")).first
                t0 = time.perf_counter()
                page.keyboard.press("ArrowRight")
                target.wait_for(timeout=timeout * 1000)
                times.append((time.perf_counter() - t0) * 1000)
                h.wait_idle(page, timeout)
        finally:
            context.close()
            browser.close()
            server.stop()
    return {"stops": len(times), "median_ms": statistics.median(times), "max_ms": max(times)}


FRAMES_PAGE = """<!doctype html><html><head><meta charset="utf-8"><script>%(plotly)s</script></head>
<body><button id="next">Next</button><div id="heading"></div><div id="plot" style="width:1200px"></div>
<script>
const spec = %(spec)s; let k = 0; window.drawn = 0;
const gd = document.getElementById("plot");
document.getElementById("heading").textContent = spec.headings[0];
Plotly.newPlot(gd, spec.first.data, spec.first.layout).then(() => Plotly.addFrames(gd, spec.frames));
document.getElementById("next").onclick = () => {
  k = Math.min(k + 1, spec.frames.length - 1);
  document.getElementById("heading").textContent = spec.headings[k];
  Plotly.animate(gd, [spec.frames[k].name], {mode: "immediate", frame: {duration: 0, redraw: true},
                                             transition: {duration: 0}})
    .then(() => requestAnimationFrame(() => { window.drawn = k; }));
};
</script></body></html>"""


def bench_frames(record, timeout: float = 120.0) -> dict:
    """(d): one plotly figure with a frame per cell stop, stepped in the browser alone."""
    import plotly.offline
    from playwright.sync_api import sync_playwright
    from plotly.utils import PlotlyJSONEncoder

    from components.figures import tour as figures
    from model.explain.tour_stops import CELL, tour_stops

    cells = [(k, stop) for k, stop in enumerate(tour_stops(record)) if stop.kind == CELL]
    figs = [figures.cell_figure(record, stop.layer, stop.step) for _, stop in cells]
    frames = [dict(name=str(k), data=fig.to_plotly_json()["data"], layout=fig.to_plotly_json()["layout"])
              for k, fig in enumerate(figs)]  # fmt: skip
    spec = dict(first=figs[0].to_plotly_json(), frames=frames,
                headings=[f"Stop {k + 1} of {len(cells)} · {stop.title}" for k, (_, stop) in enumerate(cells)])  # fmt: skip
    html = FRAMES_PAGE % {
        "plotly": plotly.offline.get_plotlyjs(),
        "spec": json.dumps(spec, cls=PlotlyJSONEncoder),
    }
    path = h.ARTIFACTS / "bench-tour-frames.html"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(html)
    times = []
    with sync_playwright() as pw:
        browser = h.launch_browser(pw)
        context, page, _ = h.new_page(browser)
        try:
            page.goto(path.as_uri())
            page.wait_for_function(
                "document.getElementById('plot').data !== undefined", timeout=timeout * 1000
            )
            for k in range(1, len(cells)):
                t0 = time.perf_counter()
                page.click("#next")
                page.wait_for_function(f"window.drawn === {k}", timeout=timeout * 1000)
                times.append((time.perf_counter() - t0) * 1000)
        finally:
            context.close()
            browser.close()
    return {"stops": len(times), "median_ms": statistics.median(times), "max_ms": max(times)}


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="python -m scripts.bench_tour", description=__doc__.splitlines()[0])
    p.add_argument("--small", action="store_true", help="a 4-unit, 5-step network on GOOG (quick)")
    p.add_argument("--no-browser", action="store_true", help="skip (c) and (d)")
    args = p.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'lens.db'}"
        print("training the run to explain…", flush=True)
        run_id = _trained_run(url, args.small)
        job, record = bench_job(url, run_id)
        print(f"(a) tour job: first {job['first_s']:.2f} s, a new day {job['new_day_s']:.2f} s, "
              f"the same day again {job['same_day_ms']:.0f} ms")  # fmt: skip
        redraw = bench_redraw(record)
        print(f"(b) stop redraw (server side, {redraw['stops']} stops): median {redraw['median_ms']:.1f} ms, "
              f"max {redraw['max_ms']:.1f} ms (target < {STOP_TARGET_MS:.0f} ms)")  # fmt: skip
        if not args.no_browser:
            shown = bench_browser(url, run_id, redraw["stops"])
            print(f"(c) stop change in Chromium ({shown['stops']} stops): median {shown['median_ms']:.0f} ms, "
                  f"max {shown['max_ms']:.0f} ms (target < {STOP_TARGET_MS:.0f} ms)")  # fmt: skip
            framed = bench_frames(record)
            print(f"(d) plotly frames, client side ({framed['stops']} steps): median {framed['median_ms']:.0f} ms, "
                  f"max {framed['max_ms']:.0f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
