"""Sweep figures for ``make bench``: trials per minute with 1 and 2 worker processes, and what
median pruning saves (epochs trained, best validation loss) against no pruning.

    python -m scripts.bench_sweep          # about 3 minutes on a 2-core machine

Every study runs through the real path: a journal-file study, ``supervise`` starting worker
processes, each trial a stored run trained by ``execute_run``. Targets (issue 9): 2 workers at
least 1.6x the trials per minute of 1; median pruning at least 35% fewer epochs for a best
validation loss within 2% of no pruning; while a 2-worker study runs, a knob change on the Train
page still redraws in under 300 ms (median), and the server's memory is printed.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import threading
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SOURCE = "sample:GOOG"
# Throughput: only the learning rate varies, so every trial does the same work and the two
# worker counts are compared on equal budgets.
THROUGHPUT = dict(
    fixed={"rnn_unit": 16, "layer_num": 2, "time_step": 20, "epochs": 3, "patience": 0},
    searched={"learning_rate": "1e-3:1e-2:log"},
    trials=10,
)
# Pruning: a space with hopeless corners (tiny learning rates) that pruning can cut short;
# early stopping off so that unpruned trials train every epoch.
PRUNING = dict(
    fixed={"epochs": 10, "patience": 0, "layer_num": 1},
    searched={"rnn_unit": "4:32", "time_step": "10:30:5", "learning_rate": "1e-5:3e-2:log"},
    trials=20,
)
SAMPLER_SEED = 7


def make_space(fixed: dict, searched: dict):
    from model.engine.config import LstmConfig
    from model.sweep.space import SearchSpace, parse_spec

    params = [parse_spec(k, str(v)) for k, v in fixed.items()] + [
        parse_spec(k, v) for k, v in searched.items()
    ]
    return SearchSpace(LstmConfig(), tuple(params)).check()


def run_study(folder: Path, name: str, setup: dict, *, workers: int, pruner: str) -> dict:
    """Create a study in ``folder``, run it with ``workers`` processes; return its figures."""
    from model.sweep import board
    from model.sweep import study as studies
    from model.sweep.workers import supervise

    storage, db = f"journal:{folder / 'sweeps.journal'}", f"sqlite:///{folder / 'lens.db'}"
    studies.create_study(
        name,
        make_space(setup["fixed"], setup["searched"]),
        SOURCE,
        trials=setup["trials"],
        pruner=pruner,
        storage=storage,
        run_db=db,
        sampler_seed=SAMPLER_SEED,
    )
    started = time.perf_counter()
    supervise(name, storage, workers=workers, db=db)
    wall = time.perf_counter() - started
    trials = studies.open_study(name, storage).get_trials(deepcopy=False)
    finished = [t for t in trials if t.state.name in ("COMPLETE", "PRUNED")]
    # Steady-state rate: from the first trial's start to the last trial's end (worker start-up,
    # mostly importing TensorFlow, is the same one-off cost whatever the budget).
    first = min(t.datetime_start for t in finished)
    last = max(t.datetime_complete for t in finished)
    span = (last - first).total_seconds()
    complete = [t.value for t in trials if t.state.name == "COMPLETE"]
    return {
        "trials": len(finished),
        "failed": sum(t.state.name == "FAIL" for t in trials),
        "pruned": sum(t.state.name == "PRUNED" for t in trials),
        "wall": wall,
        "per_minute": len(finished) / span * 60 if span > 0 else float("nan"),
        "epochs": sum(board.trial_epochs(t) for t in finished),
        "best": min(complete) if complete else float("nan"),
    }


def main(argv: list[str] | None = None) -> None:
    import argparse

    import optuna

    parser = argparse.ArgumentParser(prog="python -m scripts.bench_sweep")
    parser.add_argument("--part", choices=["all", "throughput", "pruning", "responsiveness"], default="all")
    part = parser.parse_args(argv).part

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    root = Path(tempfile.mkdtemp(prefix="lens-bench-sweep-"))
    try:
        measure(root, part)
    finally:
        shutil.rmtree(root, ignore_errors=True)


def measure(root: Path, part: str = "all") -> None:
    print(f"Sweeps ({os.cpu_count()} cores, {SOURCE}; worker processes, journal storage)")
    if part in ("all", "throughput"):
        throughput(root)
    if part in ("all", "pruning"):
        pruning(root)
    if part in ("all", "responsiveness"):
        responsiveness(root)


def throughput(root: Path) -> None:
    one = run_study(root / "w1", "w1", THROUGHPUT, workers=1, pruner="none")
    two = run_study(root / "w2", "w2", THROUGHPUT, workers=2, pruner="none")
    ratio = two["per_minute"] / one["per_minute"]
    print(f"  throughput, {THROUGHPUT['trials']} equal trials of {THROUGHPUT['fixed']['epochs']} epochs:")
    print(f"    1 worker : {one['per_minute']:5.1f} trials/min  (wall {one['wall']:.0f} s with start-up)")
    print(f"    2 workers: {two['per_minute']:5.1f} trials/min  (wall {two['wall']:.0f} s with start-up)")
    print(f"    2 vs 1   : {ratio:.2f}x   (target >= 1.6x) {'OK' if ratio >= 1.6 else 'MISSED'}")


def pruning(root: Path) -> None:
    # The two pruning studies run side by side, one worker each (each deterministic: one worker,
    # a seeded sampler), so the comparison costs the time of one.
    results: dict[str, dict] = {}
    threads = [
        threading.Thread(
            target=lambda p=p: results.__setitem__(p, run_study(root / p, p, PRUNING, workers=1, pruner=p))
        )
        for p in ("median", "none")
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    median, none = results["median"], results["none"]
    saved = 1 - median["epochs"] / none["epochs"]
    gap = (median["best"] - none["best"]) / none["best"]
    print(
        f"  pruning, {PRUNING['trials']} trials of up to {PRUNING['fixed']['epochs']} epochs, sampler seed {SAMPLER_SEED}:"
    )
    print(f"    no pruner    : {none['epochs']:4d} epochs, best validation loss {none['best']:.5f}")
    print(
        f"    MedianPruner : {median['epochs']:4d} epochs, best validation loss {median['best']:.5f}"
        f"  ({median['pruned']} pruned)"
    )
    print(
        f"    epochs saved : {saved:.0%} (target >= 35%) {'OK' if saved >= 0.35 else 'MISSED'}; "
        f"best loss {gap:+.1%} (target within 2%) {'OK' if gap <= 0.02 else 'MISSED'}"
    )


# A study long enough to keep both workers busy while the page is measured; stopped afterwards.
LOAD = dict(
    fixed={"rnn_unit": 16, "layer_num": 2, "time_step": 20, "epochs": 5, "patience": 0},
    searched={"learning_rate": "1e-3:1e-2:log"},
    trials=200,
)


def responsiveness(root: Path, knob_runs: int = 10) -> None:
    """Knob-change repaint on the Train page, with and without a 2-worker study training alongside."""
    import statistics

    from playwright.sync_api import sync_playwright

    from model.sweep import study as studies
    from scripts import bench_ui
    from tests.e2e import harness as h

    storage = f"journal:{root / 'load' / 'sweeps.journal'}"
    with sync_playwright() as playwright:
        browser = h.launch_browser(playwright)
        try:
            idle = bench_ui.retry_once(lambda: bench_ui.bench_knob(browser, runs=knob_runs))
            study = threading.Thread(
                target=run_study,
                args=(root / "load", "load", LOAD),
                kwargs={"workers": 2, "pruner": "none"},
                daemon=True,
            )
            study.start()
            try:
                deadline = time.monotonic() + 120
                while time.monotonic() < deadline and not (root / "load" / "sweeps.journal").exists():
                    time.sleep(0.5)
                time.sleep(15)  # both workers past importing TensorFlow and training
                busy = bench_ui.retry_once(lambda: bench_ui.bench_knob(browser, runs=knob_runs))
            finally:
                # Whatever happened above, the study's workers must not outlive the bench.
                studies.request_stop("load", storage)
                study.join(timeout=180)
        finally:
            browser.close()
    if idle is None or busy is None:
        print("  responsiveness: not measured (the page probe timed out twice; see above)")
        return
    med_idle, med_busy = statistics.median(idle["idle_ms"]), statistics.median(busy["idle_ms"])
    print(f"  responsiveness, Train page rnn_unit change to repaint done ({knob_runs} changes, median):")
    print(f"    machine idle            : {med_idle:6.0f} ms   server RSS {idle['server_rss_mb']:.0f} MB")
    print(
        f"    2-worker study training : {med_busy:6.0f} ms   server RSS {busy['server_rss_mb']:.0f} MB"
        f"   (target < 300 ms) {'OK' if med_busy < 300 else 'MISSED'}"
    )


if __name__ == "__main__":
    main()
