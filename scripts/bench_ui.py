"""UI speed figures in headless Chromium (prints numbers; not a test).

    python -m scripts.bench_ui [--starts 3] [--knob-runs 10]
    python -m scripts.bench_ui --first-paint 1

(a) cold start: ``Popen(streamlit run app.py)`` -> the Data page's plotly chart is visible
    (target < 4 s), each of ``--starts`` fresh servers, then the median.
(b) knob change: on /train, type a new ``rnn_unit`` and press Enter -> the rerun has finished and
    the next state is painted (target < 300 ms). Timed inside the page: from the Enter keydown
    (``performance.now()``) to the first animation frame after ``data-test-script-state`` is back
    to ``notRunning``; the time to the first change of the page text (the parameter count) is
    printed alongside. Median and p90 over ``--knob-runs`` changes (after one warm-up change).

(e) ``--first-paint N``: server start to the Data page's chart against a bare Streamlit page drawing
    the same candlestick (target <= 1.3x), with the embedded Dask workers at niceness 10 and 0.

``main()`` returns the figures as a dict too, for ``scripts/bench.py``.
"""

from __future__ import annotations

import argparse
import math
import statistics
import sys
import time
from pathlib import Path

from tests.e2e import harness as h

START_TARGET_S = 4.0
KNOB_TARGET_MS = 300.0
KNOB_LABEL = "rnn_unit"

# Arms a one-shot probe on the number input labelled `label`: t0 at the Enter keydown, tText at
# the first change of the main area's text, tIdle at the frame after the rerun has finished.
_PROBE_JS = """(label) => {
  const app = document.querySelector('[data-testid="stApp"]');
  const main = document.querySelector('[data-testid="stMain"]');
  const input = [...document.querySelectorAll('input')].find(e => e.getAttribute('aria-label') === label);
  if (!input) throw new Error('no input labelled ' + label);
  if (window.__benchCleanup) window.__benchCleanup();
  // The page's own text, minus the "Press Enter to apply" hint that vanishes on Enter.
  const textOf = () => {
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT);
    let out = '';
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      if (!n.parentElement.closest('[data-testid="InputInstructions"]')) out += n.data;
    }
    return out;
  };
  const before = textOf();
  const p = window.__bench = {t0: null, tText: null, tIdle: null, runs: 0};
  const onKey = (e) => { if (e.key === 'Enter' && p.t0 === null) p.t0 = performance.now(); };
  const busy = (s) => s === 'running' || s === 'rerunRequested';
  const obs = new MutationObserver((records) => {
    if (p.t0 === null || p.tIdle !== null) return;
    const s = app.getAttribute('data-test-script-state');
    // A quick rerun can go running -> notRunning between two callbacks: the current value then
    // never shows it, the records' old values do (without them the probe waited forever).
    if (busy(s) || records.some(r => r.attributeName === 'data-test-script-state' && busy(r.oldValue))) p.runs++;
    if (p.tText === null && textOf() !== before) p.tText = performance.now();
    if (p.runs > 0 && s === 'notRunning' && !p.pending) {
      p.pending = true;
      requestAnimationFrame(() => { p.tIdle = performance.now(); window.__benchCleanup(); });
    }
  });
  input.addEventListener('keydown', onKey, true);
  obs.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true,
                              attributeOldValue: true, attributeFilter: ['data-test-script-state']});
  window.__benchCleanup = () => { obs.disconnect(); input.removeEventListener('keydown', onKey, true);
                                   window.__benchCleanup = null; };
}"""


_PROBE_DONE_JS = "() => window.__bench && window.__bench.tIdle !== null"


def _p90(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[max(math.ceil(0.9 * len(ordered)) - 1, 0)]


def bench_start(
    browser, repeats: int = 3, timeout: float = 60.0, app: str = "app.py", env: dict | None = None
) -> list[float]:
    """Seconds from Popen of streamlit to the Data page's plotly chart visible, per fresh server.

    Also prints where the time went: health endpoint up, first script run finished, chart drawn.
    """
    times = []
    for i in range(repeats):
        server = h.start_server(log_path=h.ARTIFACTS / f"bench-start-{i}.log", app=app, env=env)
        context, page, _ = h.new_page(browser)
        try:
            healthy = h.wait_healthy(server, timeout)
            page.goto(server.base_url + "/", wait_until="commit")
            page.wait_for_function(h.IDLE_JS, timeout=timeout * 1000)
            ran = time.perf_counter() - server.started_at
            page.locator(h.PLOTLY_CHART).first.wait_for(state="visible", timeout=timeout * 1000)
            elapsed = time.perf_counter() - server.started_at
            times.append(elapsed)
            print(
                f"  start {i + 1}: {elapsed:.2f} s  (health ok {healthy:.2f} s, first run done "
                f"{ran:.2f} s, chart drawn {elapsed:.2f} s)"
            )
        finally:
            context.close()
            server.stop()
    return times


def bench_knob(
    browser,
    runs: int = 10,
    timeout: float = 60.0,
    app: str = "app.py",
    page_title: str = "Train",
    warmup: int = 1,
) -> dict[str, list[float]]:
    """Milliseconds from Enter in rnn_unit to the rerun finished (idle) and to the text change.

    The first ``warmup`` changes are timed separately (``warmup_ms``): on the Shapes page each new
    rnn_unit value builds and compiles a network once, later visits reuse it.
    """
    server = h.start_server(log_path=h.ARTIFACTS / "bench-knob.log", app=app)
    context, page, _ = h.new_page(browser)
    idle_ms: list[float] = []
    text_ms: list[float] = []
    warmup_ms: list[float] = []
    try:
        h.wait_healthy(server, timeout)
        h.open_app(page, server.base_url)  # Data first: loads the sample into the session
        page.locator(h.PLOTLY_CHART).first.wait_for(state="visible", timeout=timeout * 1000)
        h.click_nav(page, page_title, timeout)
        field = h.number_input(page, KNOB_LABEL)
        start = int(field.input_value() or 8)
        for k in range(runs + warmup):
            value = start + 1 + (k % 8)  # always differs from the previous value
            field.fill(str(value))
            page.evaluate(_PROBE_JS, KNOB_LABEL)
            field.press("Enter")
            page.wait_for_function(_PROBE_DONE_JS, timeout=timeout * 1000)
            probe = page.evaluate("() => window.__bench")
            if k < warmup:
                warmup_ms.append(probe["tIdle"] - probe["t0"])
                h.wait_idle(page, timeout)
                continue
            idle_ms.append(probe["tIdle"] - probe["t0"])
            if probe["tText"] is not None:
                text_ms.append(probe["tText"] - probe["t0"])
            h.wait_idle(page, timeout)
        server_rss_mb = _rss_mb(server.proc.pid)
    finally:
        context.close()
        server.stop()
    return {"idle_ms": idle_ms, "text_ms": text_ms, "warmup_ms": warmup_ms, "server_rss_mb": server_rss_mb}


def _rss_mb(pid: int) -> float:
    """Resident memory of a process (the Streamlit server), in MB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


# True once the live panel shows epoch 2 or later, or the run has finished (a one-epoch run).
_FIRST_EPOCH_JS = """() => {
  const text = document.querySelector('[data-testid="stMain"]')?.innerText || '';
  return /Epoch ([2-9]|\\d\\d+) \\/ /.test(text) || /Finished \\d+ epoch|Early stopping after|Stopped by you/.test(text);
}"""


def bench_train_press(browser, timeout: float = 120.0, app: str = "app.py") -> float:
    """Seconds from clicking Train (default settings, bundled sample) to the page showing that
    the first epoch has finished. Includes the page's 0.5 s progress polling; the server has
    not trained before, so TensorFlow's first-use costs are in it."""
    server = h.start_server(log_path=h.ARTIFACTS / "bench-train.log", app=app)
    context, page, _ = h.new_page(browser)
    try:
        h.wait_healthy(server, timeout)
        h.open_app(page, server.base_url)  # Data first: loads the sample into the session
        page.locator(h.PLOTLY_CHART).first.wait_for(state="visible", timeout=timeout * 1000)
        h.click_nav(page, "Train", timeout)
        started = time.perf_counter()
        h.click_button(page, "Train", wait=False)
        page.wait_for_function(_FIRST_EPOCH_JS, timeout=timeout * 1000, polling=50)
        return time.perf_counter() - started
    finally:
        context.close()
        server.stop()


def run(starts: int = 3, knob_runs: int = 10, app: str = "app.py") -> dict:
    """Run both measurements, print them, return the figures (``{"skipped": why}`` without Chromium)."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as pw:
        try:
            browser = h.launch_browser(pw)
        except FileNotFoundError as exc:
            print(f"UI bench skipped: {exc}")
            return {"skipped": str(exc)}
        try:
            if starts > 0:
                print("(a) server start -> first page rendered (Data page chart visible), headless Chromium")
                times = bench_start(browser, starts, app=app)
                med = statistics.median(times)
                verdict = "ok" if med < START_TARGET_S else "OVER TARGET"
                print(f"  median: {med:.2f} s  (target < {START_TARGET_S:.0f} s: {verdict})")
                results.update(start_s=times, start_median_s=med)
            if knob_runs > 0:
                print(f"(b) knob change on /train ({KNOB_LABEL} + Enter) -> next rendered state")
                knob = retry_once(lambda: bench_knob(browser, knob_runs, app=app))
            if knob_runs > 0 and knob is not None:
                idle = knob["idle_ms"]
                med, p90 = statistics.median(idle), _p90(idle)
                verdict = "ok" if med < KNOB_TARGET_MS else "OVER TARGET"
                print(
                    f"  rerun finished + painted: median {med:.0f} ms, p90 {p90:.0f} ms over {len(idle)} "
                    f"changes  (target < {KNOB_TARGET_MS:.0f} ms: {verdict})"
                )
                text = knob["text_ms"]
                if text:
                    print(
                        f"  page text changed:        median {statistics.median(text):.0f} ms, p90 {_p90(text):.0f} ms"
                    )
                else:
                    print("  page text never changed after a knob change (no parameter count shown?)")
                results.update(knob_idle_ms=idle, knob_median_ms=med, knob_p90_ms=p90, knob_text_ms=text)
            if knob_runs > 0:
                print(f"(c) knob change on /shapes ({KNOB_LABEL} + Enter) -> trace redrawn")
                shapes = retry_once(
                    lambda: bench_knob(browser, knob_runs, app=app, page_title="Shapes", warmup=8)
                )
            if knob_runs > 0 and shapes is not None:
                first = shapes["warmup_ms"]
                idle = shapes["idle_ms"]
                med, p90 = statistics.median(idle), _p90(idle)
                verdict = "ok" if med < KNOB_TARGET_MS else "OVER TARGET"
                print(
                    f"  first time for each network shape (TensorFlow builds it): median {statistics.median(first):.0f} ms"
                )
                print(
                    f"  shapes seen before: median {med:.0f} ms, p90 {p90:.0f} ms over {len(idle)} changes"
                    f"  (target < {KNOB_TARGET_MS:.0f} ms: {verdict})"
                )
                results.update(shapes_first_ms=first, shapes_median_ms=med, shapes_p90_ms=p90)
            print("(d) Train pressed with the default settings on the sample -> first epoch shown")
            seconds = retry_once(lambda: bench_train_press(browser, app=app))
            if seconds is not None:
                print(f"  {seconds:.2f} s (fresh server; includes the page's 0.5 s progress polling)")
                results.update(train_first_epoch_s=seconds)
        finally:
            browser.close()
    return results


BARE_APP = "scripts/bench_bare_candlestick.py"
FIRST_PAINT_TARGET = 1.3


def first_paint(starts: int = 1) -> dict:
    """(e) server start -> the Data page's chart against a bare Streamlit page drawing the same
    candlestick, with the embedded workers at niceness 10 (the server's default) and at 0."""
    from playwright.sync_api import sync_playwright

    results: dict = {}
    with sync_playwright() as pw:
        browser = h.launch_browser(pw)
        try:
            print("(e) first paint: server start -> chart visible, against the bare candlestick page")
            bare = statistics.median(bench_start(browser, starts, app=BARE_APP))
            for nice in (10, 0):
                print(f"  LSTM Lens, workers at niceness {nice}:")
                lens = statistics.median(bench_start(browser, starts, env={"LENS_WORKER_NICE": str(nice)}))
                ratio = lens / bare
                verdict = "ok" if ratio <= FIRST_PAINT_TARGET else "OVER TARGET"
                print(
                    f"  {lens:.2f} s vs bare {bare:.2f} s: {ratio:.2f}x (target <= {FIRST_PAINT_TARGET}x: {verdict})"
                )
                results[f"nice_{nice}"] = {"lens_s": lens, "bare_s": bare, "ratio": ratio}
        finally:
            browser.close()
    return results


def retry_once(measure):
    """Run one browser measurement; a timeout is reported and retried once, then given up on, so
    one flaky page wait does not cost the figures of every other part."""
    for attempt in (1, 2):
        try:
            return measure()
        except Exception as error:  # noqa: BLE001 - Playwright's timeouts and errors alike
            print(
                f"  attempt {attempt} could not measure: {type(error).__name__}: {str(error).splitlines()[0]}"
            )
    return None


def main(argv: list[str] | None = None) -> dict:
    """Command-line entry. ``argv=None`` means defaults (not ``sys.argv``), so ``scripts/bench.py``
    can call ``main()`` without its own arguments leaking in."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--starts", type=int, default=3, help="cold starts to time (a)")
    parser.add_argument("--knob-runs", type=int, default=10, help="rnn_unit changes to time (b)")
    parser.add_argument("--app", default="app.py", help="Streamlit script to serve (default app.py)")
    parser.add_argument(
        "--first-paint", type=int, default=0, metavar="N",
        help="only (e): N starts each of the bare page and LSTM Lens (workers at niceness 10 and 0)",
    )  # fmt: skip
    args = parser.parse_args([] if argv is None else argv)
    if args.first_paint:
        return first_paint(args.first_paint)
    return run(args.starts, args.knob_runs, args.app)


if __name__ == "__main__":
    main(sys.argv[1:])
