"""`make bench` figures for issue 8 (runs in worker processes, now the embedded Dask cluster): memory and
time to the first epoch.

- Server RSS after the first and after the 20th training started from the Train page of a real
  ``streamlit run`` server (driven by headless Chromium through tests/e2e/harness.py), and the RSS
  of its worker processes (bounded by recycling after ``max_runs`` runs).
- Pressing Train with the default settings to the first finished epoch on screen, pool warm,
  against the old in-process path (a thread of the server: TensorFlow import on the first press,
  then prepare_data + train_network to the first epoch), measured in a fresh process.

- The cluster's figures (issue 24), through ``WorkerPool`` as the server and the CLI use it, on
  the bundled GOOG sample with a tiny network: submit to first stored epoch (pool warm); a quick
  job's answer while every worker trains; 5 refit folds on 2 local workers against one single run;
  the pool owner's RSS over the runs; the same walk-forward run on a ``dask scheduler`` with 2
  workers started here (as an operator would) against the embedded cluster.

Prints numbers; asserts nothing. Run: ``python -m scripts.bench_runs [--trainings 20]``; the quick
pass ``python -m scripts.bench_runs --small`` runs the cluster figures only (no browser, 5 runs).
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


def _median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[len(ordered) // 2]


def _wait_for(predicate, timeout: float, what: str, poll: float = 0.05):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise RuntimeError(f"timed out waiting for {what}")


def start_scheduler(tmp: Path, workers: int) -> tuple[str, list[subprocess.Popen]]:
    """A ``dask scheduler`` and one ``dask worker --nworkers N`` (train=1, the preload), started as
    an operator would on another machine; returns the address and the processes."""
    import json

    from model.runs.processes import thread_env

    env = {**os.environ, "PYTHONPATH": str(REPO), **thread_env(1)}
    env.pop("LENS_DASK", None)
    scheduler_file = tmp / "scheduler.json"
    log = open(tmp / "dask.log", "wb")  # noqa: SIM115 - the processes write to it until the end
    dask = [sys.executable, "-m"]
    procs = [
        subprocess.Popen(
            [
                *dask,
                "distributed.cli.dask_scheduler",
                "--host",
                "127.0.0.1",
                "--port",
                "0",
                "--no-dashboard",
                "--scheduler-file",
                str(scheduler_file),
            ],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
    ]
    address = _wait_for(
        lambda: scheduler_file.exists() and json.loads(scheduler_file.read_text() or "{}").get("address"),
        60,
        "the scheduler",
    )
    procs.append(
        subprocess.Popen(
            [
                *dask,
                "distributed.cli.dask_worker",
                address,
                "--nworkers",
                str(workers),
                "--nthreads",
                "2",
                "--resources",
                "train=1",
                "--no-dashboard",
                "--local-directory",
                str(tmp / "dask"),
                "--preload",
                "model.runs.worker",
            ],
            env=env,
            cwd=tmp,
            stdout=subprocess.DEVNULL,
            stderr=log,
        )  # fmt: skip
    )
    return address, procs


def _walk_forward_seconds(pool, config, prices, folds: int) -> float:
    from model.orchestration.graph import run_graph
    from model.orchestration.walkforward import start_walk_forward

    parent = start_walk_forward(pool.store, config, prices, folds=folds, mode="refit", origin="cli")
    started = time.perf_counter()
    result = run_graph(pool.client, pool.store, parent, poll=0.05)
    seconds = time.perf_counter() - started
    if not result.evidence.folds_scored:
        raise RuntimeError(f"walk-forward run {parent} scored no fold")
    return seconds


def _single_run_seconds(pool, config, prices) -> float:
    run = pool.store.create_run(config, prices, "cli")
    started = time.perf_counter()
    pool.submit(run)
    record = pool.wait(run, timeout=600)
    if record.status != "finished":
        raise RuntimeError(f"run {run} {record.status}: {record.error}")
    return time.perf_counter() - started


def cluster_figures(tmp: Path, runs: int, folds: int = 5, workers: int = 2) -> dict[str, float]:
    """The cluster's figures through ``WorkerPool`` (see the module docstring)."""
    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.runs.workers import WorkerPool

    prices = load_sample("GOOG")
    tiny = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)
    figures: dict[str, float] = {}
    url = f"sqlite:///{tmp / 'lens.db'}"
    with WorkerPool(url, files_root=tmp / "runs", workers=workers, threads=1) as pool:
        pool.wait_ready(timeout=300)
        _single_run_seconds(pool, tiny, prices)  # every worker path warm before anything is timed
        # Submit to the first epoch in the store (the Train page shows the same record).
        run = pool.store.create_run(LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=3), prices, "cli")
        started = time.perf_counter()
        pool.submit(run)
        _wait_for(lambda: pool.store.get_run(run).history, 300, "the first epoch")
        figures["first_epoch"] = time.perf_counter() - started
        pool.wait(run, timeout=300)
        # A quick job while every worker trains.
        busy = [
            pool.store.create_run(LstmConfig(rnn_unit=8, layer_num=1, time_step=5, epochs=50), prices, "cli")
            for _ in range(workers)
        ]
        for run in busy:
            pool.submit(run)
        _wait_for(
            lambda: (
                all(pool.store.get_run(r, with_history=False).status == "running" for r in busy)
                and all(pool.store.get_run(r).history for r in busy)
            ),
            300,
            "every worker to train",
        )
        answers = []
        for _ in range(5):
            asked = time.perf_counter()
            pool.call("ping", timeout=60)
            answers.append(time.perf_counter() - asked)
        figures["job_while_training"] = _median(answers)
        figures["job_trained_during"] = float(
            sum(pool.store.get_run(r, with_history=False).status == "running" for r in busy)
        )
        for run in busy:
            pool.store.request_stop(run)
        for run in busy:
            pool.wait(run, timeout=300)
        # One single run, then K refit folds of the same network on the same workers.
        figures["single_run"] = _single_run_seconds(pool, tiny, prices)
        figures["folds_embedded"] = _walk_forward_seconds(pool, tiny, prices, folds)
        # The pool owner's memory over the runs (the server holds the same pool).
        figures["rss_first"] = rss_mb(os.getpid())
        for _ in range(runs - 1):
            _single_run_seconds(pool, tiny, prices)
        figures["rss_last"] = rss_mb(os.getpid())
    address, procs = start_scheduler(tmp, workers)
    try:
        with WorkerPool(url, files_root=tmp / "runs", address=address) as pool:
            _wait_for(lambda: len(pool.workers_info()) >= workers, 300, "the scheduler's workers", poll=0.5)
            _single_run_seconds(pool, tiny, prices)  # warm, as the embedded pool was
            figures["folds_scheduler"] = _walk_forward_seconds(pool, tiny, prices, folds)
    finally:
        for proc in reversed(procs):
            proc.terminate()
        for proc in reversed(procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
    return figures


def print_cluster_figures(figures: dict[str, float], runs: int, folds: int, workers: int) -> None:
    load = os.getloadavg()[0]
    print(
        f"The cluster (issue 24): {workers} workers x 1 thread, 4-unit network, GOOG sample, load {load:.1f}"
    )
    print(f"  submit -> first epoch in the store, pool warm      {figures['first_epoch']:6.2f} s")
    print(
        f"  quick job (ping) while every worker trains          {figures['job_while_training'] * 1000:6.0f} ms"
        f"   ({figures['job_trained_during']:.0f} of {workers} still training after)"
    )
    print(f"  one single run (1 epoch)                            {figures['single_run']:6.2f} s")
    print(
        f"  {folds} refit folds, embedded cluster                   {figures['folds_embedded']:6.2f} s"
        f"   ({figures['folds_embedded'] / figures['single_run']:.2f}x the single run)"
    )
    print(
        f"  {folds} refit folds, dask scheduler + {workers} workers          {figures['folds_scheduler']:6.2f} s"
        f"   ({figures['folds_scheduler'] / figures['folds_embedded']:.2f}x embedded)"
    )
    print(
        f"  pool owner RSS after run 1 / after run {runs:<3d}        {figures['rss_first']:.0f} / "
        f"{figures['rss_last']:.0f} MB   (+{figures['rss_last'] - figures['rss_first']:.0f} MB)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trainings", type=int, default=20)
    parser.add_argument("--workers", type=int, default=0, help="worker processes (default: one per core)")
    parser.add_argument("--small", action="store_true", help="the cluster figures only, 5 runs, no browser")
    args = parser.parse_args(argv)
    runs = 5 if args.small else args.trainings
    with tempfile.TemporaryDirectory(prefix="lens-bench-cluster-") as tmp:
        figures = cluster_figures(Path(tmp), runs)
    print_cluster_figures(figures, runs, folds=5, workers=2)
    if args.small:
        return 0
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
