"""Inside and a TensorFlow-free server: speed figures side by side in one run (prints; not a test).

    python -m scripts.bench_inside [--starts 3]

(a) integrated gradients for 500 test windows at the Sound preset, as the Inside page asks a warm
    worker for them (``WorkerPool.call("inside_attributions")``, 32 steps); the first call pays for
    tracing the gradient function, later calls not (target < 2 s).
(b) first visit to Shapes after the server started, with the pool warm: click Shapes -> the first
    trace chart drawn (target < 1.5 s).
(c) a what-if repaint on /inside: move the shift slider one step -> the new sentence painted
    (target < 300 ms); median of 5.
(d) server RSS after the first page and after visiting every page (target: within 50 MB; no
    TensorFlow library mapped into the server).
(e) server start -> the Data page's chart drawn, beside a bare Streamlit page drawing one plotly
    candlestick of the same size (``scripts/bench_bare_candlestick.py``); medians of ``--starts``
    (target: within 1.3x). Each start also prints where the time went.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

from scripts.bench_runs import children, rss_mb
from scripts.bench_ui import bench_start, retry_once
from tests.e2e import harness as h

IG_TARGET_S = 2.0
SHAPES_TARGET_S = 1.5
WHAT_IF_TARGET_MS = 300.0
RSS_TARGET_MB = 50.0
START_RATIO_TARGET = 1.3
PAGES = ("Train", "Results", "Shapes", "Inside", "Runs", "Tune", "Data")


def _trained_sound_run(url: str, epochs: int = 2, ticker: str = "AAPL") -> int:
    """A stored run of the Sound preset on a bundled sample (a couple of epochs: speed, not skill).
    AAPL's 3,270 rows give 650 test windows, so 500 of them can be attributed."""
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs import open_store
    from model.runs.workers import WorkerPool

    store = open_store(url)
    run_id = store.create_run(LstmConfig(epochs=epochs), load_sample(ticker), "cli")
    store.close()
    with WorkerPool(url, workers=1) as pool:
        pool.submit(run_id)
        record = pool.wait(run_id, timeout=600)
    assert record.status == "finished", record.error
    return run_id


def bench_attributions(url: str, run_id: int, repeats: int = 3) -> dict:
    from model.runs.workers import WorkerPool

    with WorkerPool(url, workers=1) as pool:
        pool.wait_ready(180)
        pool.call("ping")
        times, inner = [], []
        for _ in range(repeats + 1):
            t0 = time.perf_counter()
            result = pool.call("inside_attributions", run_id, steps=32, limit=500, timeout=300)
            times.append(time.perf_counter() - t0)
            inner.append(result["seconds"])
    n = len(result["record"].prediction)
    gap = float(result["record"].completeness_gap.max())
    return {"windows": n, "first_s": times[0], "warm_s": statistics.median(times[1:]),
            "compute_s": statistics.median(inner[1:]), "max_completeness_gap": gap}  # fmt: skip


def _wait_pool_warm(server_pid: int, timeout: float = 180.0) -> float:
    """Until the server's worker processes have imported TensorFlow (their RSS stops growing)."""
    t0 = time.perf_counter()
    last, steady = None, 0
    while time.perf_counter() - t0 < timeout:
        pids = children(server_pid)
        sizes = tuple(round(rss_mb(p)) for p in pids)
        if pids and all(s > 300 for s in sizes) and sizes == last:
            steady += 1
            if steady >= 4:
                return time.perf_counter() - t0
        else:
            steady = 0
        last = sizes
        time.sleep(0.25)
    return float("nan")


def _tensorflow_mapped(pid: int) -> bool:
    try:
        return "libtensorflow" in Path(f"/proc/{pid}/maps").read_text()
    except OSError:
        return False


def bench_pages(browser, env: dict, run_id: int, timeout: float = 120.0) -> dict:
    """(b), (c) and (d) on one fresh server."""
    server = h.start_server(log_path=h.ARTIFACTS / "bench-inside.log", env=env)
    context, page, _ = h.new_page(browser)
    out: dict = {}
    try:
        h.wait_healthy(server, timeout)
        h.open_app(page, server.base_url, f"data?run={run_id}", timeout)
        page.locator(h.PLOTLY_CHART).first.wait_for(state="visible", timeout=timeout * 1000)
        out["rss_start_mb"] = rss_mb(server.proc.pid)
        out["pool_warm_s"] = _wait_pool_warm(server.proc.pid)
        t0 = time.perf_counter()
        h.nav_link(page, "Shapes").click()
        page.locator(f"{h.MAIN} h1").filter(has_text="Shapes").first.wait_for(timeout=timeout * 1000)
        page.locator(f"{h.MAIN} {h.PLOTLY_CHART}").first.wait_for(state="visible", timeout=timeout * 1000)
        out["shapes_first_s"] = time.perf_counter() - t0
        h.wait_idle(page, timeout)
        traced = re.search(r"Forward pass traced in ([\d,]+) ms", h.main_text(page))
        out["shapes_trace_ms"] = float(traced.group(1).replace(",", "")) if traced else float("nan")
        out["shapes_model"] = "trained" if "the trained model of run" in h.main_text(page) else "fresh"
        for title in PAGES:
            h.click_nav(page, title, timeout)
            h.wait_settled(page, timeout)
            if title == "Inside":
                page.get_by_text("The prediction goes from").first.wait_for(timeout=timeout * 1000)
                out["what_if_ms"] = _what_if_repaints(page, timeout)
        out["rss_end_mb"] = rss_mb(server.proc.pid)
        out["tensorflow_in_server"] = _tensorflow_mapped(server.proc.pid)
    finally:
        context.close()
        server.stop()
    return out


def _what_if_repaints(page, timeout: float, repeats: int = 5) -> list[float]:
    sentence = page.locator('[data-testid="stAlert"]').filter(has_text="The prediction goes from").first
    thumb = page.get_by_role("slider", name="Move the last day's prices by (%)")
    times = []
    for _ in range(repeats):
        before = sentence.inner_text()
        thumb.focus()
        t0 = time.perf_counter()
        thumb.press("ArrowRight")
        page.wait_for_function(
            """(before) => { const e = [...document.querySelectorAll('[data-testid="stAlert"]')]
                 .find(a => a.innerText.includes('The prediction goes from'));
               return e && e.innerText !== before; }""",
            arg=before, timeout=timeout * 1000, polling="raf",
        )  # fmt: skip
        times.append((time.perf_counter() - t0) * 1000)
        h.wait_idle(page, timeout)
    return times


def main(argv: list[str] | None = None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3)
    args = parser.parse_args([] if argv is None else argv)
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="bench-inside-") as tmp:
        url = f"sqlite:///{Path(tmp) / 'lens.db'}"
        print("Training a Sound-preset run on the AAPL sample (2 epochs) for the measurements…")
        run_id = _trained_sound_run(url)

        print("(a) integrated gradients, 500 test windows, Sound preset, 32 steps, in a warm worker")
        ig = bench_attributions(url, run_id)
        verdict = "ok" if ig["warm_s"] < IG_TARGET_S else "OVER TARGET"
        print(f"  {ig['windows']} windows: first call {ig['first_s']:.2f} s, then {ig['warm_s']:.2f} s round trip "
              f"({ig['compute_s']:.2f} s computing)  (target < {IG_TARGET_S:.0f} s: {verdict}); "
              f"completeness gap at most {ig['max_completeness_gap']:.2%}")  # fmt: skip
        results["attributions"] = ig

        with sync_playwright() as pw:
            try:
                browser = h.launch_browser(pw)
            except FileNotFoundError as exc:
                print(f"browser figures skipped: {exc}")
                return results
            try:
                env = {"LENS_DB": url}
                pages = retry_once(lambda: bench_pages(browser, env, run_id))
                if pages:
                    results["pages"] = pages
                    v = "ok" if pages["shapes_first_s"] < SHAPES_TARGET_S else "OVER TARGET"
                    print(f"(b) first visit to Shapes, pool warm ({pages['pool_warm_s']:.1f} s after the first page): "
                          f"{pages['shapes_first_s']:.2f} s to the first chart, of which {pages['shapes_trace_ms']:.0f} ms "
                          f"getting the trace of the {pages['shapes_model']} model  (target < {SHAPES_TARGET_S} s: {v})")  # fmt: skip
                    w = pages.get("what_if_ms") or [float("nan")]
                    med = statistics.median(w)
                    v = "ok" if med < WHAT_IF_TARGET_MS else "OVER TARGET"
                    print(f"(c) what-if repaint: median {med:.0f} ms over {len(w)} slider steps "
                          f"({', '.join(f'{x:.0f}' for x in w)})  (target < {WHAT_IF_TARGET_MS:.0f} ms: {v})")  # fmt: skip
                    grew = pages["rss_end_mb"] - pages["rss_start_mb"]
                    v = "ok" if grew < RSS_TARGET_MB and not pages["tensorflow_in_server"] else "OVER TARGET"
                    print(f"(d) server RSS: {pages['rss_start_mb']:.0f} MB after the first page, "
                          f"{pages['rss_end_mb']:.0f} MB after visiting every page ({grew:+.0f} MB); TensorFlow in "
                          f"the server: {'YES' if pages['tensorflow_in_server'] else 'no'}  (target < "
                          f"{RSS_TARGET_MB:.0f} MB, no TensorFlow: {v})")  # fmt: skip
                if args.starts > 0:
                    print(f"(e) server start -> chart drawn, medians of {args.starts}, the two alternating")
                    # Alternating, so a load change on a shared machine hits both sides alike.
                    app, bare = [], []
                    for _ in range(args.starts):
                        print("  the app's Data page:")
                        app += bench_start(browser, 1)
                        print("  a bare Streamlit page with one plotly candlestick of the same size:")
                        bare += bench_start(browser, 1, app="scripts/bench_bare_candlestick.py")
                    ratio = statistics.median(app) / statistics.median(bare)
                    v = "ok" if ratio <= START_RATIO_TARGET else "OVER TARGET"
                    print(f"  app {statistics.median(app):.2f} s vs bare {statistics.median(bare):.2f} s: "
                          f"{ratio:.2f}x  (target within {START_RATIO_TARGET}x: {v})")  # fmt: skip
                    results.update(start_app_s=app, start_bare_s=bare, start_ratio=ratio)
            finally:
                browser.close()
    return results


if __name__ == "__main__":
    main(sys.argv[1:])
