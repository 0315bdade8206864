"""`make bench` figures for issue 8 (runs in worker processes, now the embedded Dask cluster): memory and
time to the first epoch.

- Server RSS after the first and after the 20th training started from the Train page of a real
  ``streamlit run`` server (driven by headless Chromium through tests/e2e/harness.py), and the RSS
  of its worker processes (bounded by recycling after ``max_runs`` runs).
- Pressing Train with the default settings to the first finished epoch on screen, pool warm,
  against the old in-process path (a thread of the server: TensorFlow import on the first press,
  then prepare_data + train_network to the first epoch), measured in a fresh process.

Prints numbers; asserts nothing. Run: ``python -m scripts.bench_runs [--trainings 20]``.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

REPO = Path(__file__).resolve().parents[1]
TINY = "rnn_unit=4&layer_num=1&time_step=5&epochs=1"


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def _parents() -> dict[int, int]:
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
    return parents


def children(pid: int) -> list[int]:
    """The Dask worker processes under ``pid`` (the embedded cluster's: spawned by its nannies,
    grandchildren of the server), not the scheduler or the nannies' own process."""
    parents = _parents()

    def descends(p: int) -> bool:
        while p in parents and p > 1:
            p = parents[p]
            if p == pid:
                return True
        return False

    found = []
    for child in parents:
        if child != pid and descends(child):
            try:
                cmdline = Path(f"/proc/{child}/cmdline").read_bytes()
            except OSError:
                continue
            if b"multiprocessing" in cmdline:  # a nanny's worker process (multiprocessing spawn)
                found.append(child)
    return found


def _train_once(page, h, timeout: float = 180.0) -> None:
    h.click_button(page, "Train", wait=False)
    deadline = time.monotonic() + timeout
    page.wait_for_timeout(500)
    while time.monotonic() < deadline:
        train = h.button(page, "Train")
        if (
            h.button(page, "Stop").count() == 0
            and train.count()
            and train.is_enabled()
            and "Run " in h.main_text(page)
        ):
            return
        page.wait_for_timeout(200)
    raise RuntimeError("a training did not finish")


def _first_epoch_on_screen(page, h, timeout: float = 300.0) -> float:
    """Seconds from pressing Train (default knobs) to a finished epoch's loss on screen."""
    started = time.perf_counter()
    h.click_button(page, "Train", wait=False)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        metrics = page.locator('[data-testid="stMetric"]').filter(has_text="Train loss")
        if metrics.count() and "—" not in metrics.first.inner_text():
            return time.perf_counter() - started
        page.wait_for_timeout(50)
    raise RuntimeError("no epoch finished on screen")


OLD_PATH = textwrap.dedent(
    """
    import time, json
    t0 = time.perf_counter()
    import tensorflow  # the old server imported it on the first Train press
    from model.engine.config import LstmConfig
    from model.data import load_sample
    from model.engine.training import train_network
    from model.engine.windows import prepare_data
    first = []
    def listen(p):
        if p.history and not first:
            first.append(time.perf_counter() - t0)
    cold_import = time.perf_counter() - t0
    t1 = time.perf_counter()
    data = prepare_data(load_sample("GOOG").frame, LstmConfig(epochs=1))
    train_network(data, listener=listen)
    print(json.dumps({"cold": first[0], "import": cold_import}))
    """
)


def old_in_process_path() -> dict:
    import json

    proc = subprocess.run(
        [sys.executable, "-c", OLD_PATH],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    if proc.returncode:
        return {"error": proc.stderr[-500:]}
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=20)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    args = parser.parse_args(argv)
    from playwright.sync_api import sync_playwright

    from tests.e2e import harness as h

    with tempfile.TemporaryDirectory(prefix="lens-bench-runs-") as tmp:
        server = h.start_server(
            log_path=h.ARTIFACTS / "bench-runs-server.log",
            env={"LENS_DB": f"sqlite:///{Path(tmp) / 'lens.db'}", "LENS_WORKERS": str(args.workers or "")},
        )
        try:
            h.wait_healthy(server, timeout=60)
            with sync_playwright() as pw:
                browser = h.launch_browser(pw)
                context, page, _ = h.new_page(browser)
                page.set_default_timeout(60_000)
                # Default knobs; the pool starts with the first page load and warms up meanwhile.
                h.open_app(page, server.base_url, "train")
                time.sleep(20)  # let the workers import TensorFlow (the pool is warm by then)
                first_epoch = _first_epoch_on_screen(page, h)
                h.click_button(page, "Stop", wait=False)  # the rest of the default run is not measured
                deadline = time.monotonic() + 120
                while h.button(page, "Stop").count() and time.monotonic() < deadline:
                    page.wait_for_timeout(250)
                h.open_app(page, server.base_url, f"train?{TINY}")
                _train_once(page, h)
                after_first = rss_mb(server.proc.pid)
                workers_first = [rss_mb(p) for p in children(server.proc.pid)]
                for _ in range(args.trainings - 1):
                    _train_once(page, h)
                after_all = rss_mb(server.proc.pid)
                workers_all = [rss_mb(p) for p in children(server.proc.pid)]
                context.close()
                browser.close()
        finally:
            server.stop()
    old = old_in_process_path()
    n = args.trainings
    print(f"Runs in worker processes (issue 8), {args.workers or os.cpu_count()} worker(s)")
    print(f"  server RSS after training 1      {after_first:8.0f} MB")
    print(
        f"  server RSS after training {n:<3d}    {after_all:8.0f} MB   (+{after_all - after_first:.0f} MB; target within 50 MB)"
    )
    print(f"  worker RSS after training 1      {', '.join(f'{w:.0f}' for w in workers_first)} MB")
    print(
        f"  worker RSS after training {n:<3d}    {', '.join(f'{w:.0f}' for w in workers_all)} MB   (recycled every 20 runs)"
    )
    print(f"  Train (defaults) -> first epoch on screen, pool warm   {first_epoch:6.1f} s")
    if "error" in old:
        print(f"  old in-process path: could not measure ({old['error']})")
    else:
        print(
            f"  old in-process path, first press (TF import {old['import']:.1f} s + first epoch)   {old['cold']:6.1f} s"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
