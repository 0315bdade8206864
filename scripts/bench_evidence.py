"""`make bench` figures for issue 17 (evidence), printed side by side in one run:

1. Walk-forward wall time, Sound preset on GOOG, 5 folds: refit and warm, with 1 and 2 workers,
   beside one single-split run (the pool is started and warm before any timing).
2. The verdict's calibration with the real LSTM: the share of seeded random walks called "beats
   persistence" (target at most 10% at the 5% level), and the share of SYNTH seeds called "beats"
   (target at least 4 of 5). Ridge stands in for the model on the same series as a cross-check.
3. Per sample (AAPL, GOOG, IBM, MSFT, SYNTH), Sound preset, 5 refit folds: pooled DM p-value and
   folds better.

Prints numbers; asserts nothing. Run: ``python -m scripts.bench_evidence [--walks 40] [--quick]``
(``--quick``: 8 walks, 2 SYNTH seeds, a few epochs: a smoke run of the script itself).
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def _frame(close, start="2001-01-01"):
    import numpy as np
    import pandas as pd

    close = np.asarray(close, dtype=float)
    return pd.DataFrame({"close": close}, index=pd.bdate_range(start, periods=len(close)))


def random_walk(rows: int, seed: int):
    import numpy as np

    rng = np.random.default_rng(seed)
    return _frame(100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, rows))))


def synth(seed: int, rows: int = 3000):
    from model.data.sample import synthetic_prices

    return synthetic_prices(rows, seed=seed).set_index("date")[["close"]]


def timing(store, url, files, config, prices) -> None:
    from model.orchestration.walkforward import run_walk_forward
    from model.runs.workers import WorkerPool

    print("\n1. Walk-forward wall time, Sound preset on GOOG, 5 folds (pool warm before timing)")
    print(f"{'what':<34} {'workers':>7} {'seconds':>9} {'x single':>9}")
    for workers in (1, 2):
        with WorkerPool(url, files_root=files, workers=workers) as pool:
            pool.wait_ready(120)
            started = time.perf_counter()
            single = store.create_run(config, prices, "cli")
            pool.submit(single)
            pool.wait(single)
            base = time.perf_counter() - started
            print(f"{'one single-split run':<34} {workers:>7} {base:>9.1f} {1.0:>9.2f}")
            for mode in ("refit", "warm"):
                started = time.perf_counter()
                result = run_walk_forward(store, config, prices, pool=pool, folds=5, mode=mode)
                took = time.perf_counter() - started
                print(
                    f"{'5 folds, ' + mode:<34} {workers:>7} {took:>9.1f} {took / base:>9.2f}   "
                    f"{result.evidence.verdict.text}"
                )


def calibration(store, url, files, config, walks: int, synth_seeds: int, rows: int) -> None:
    from model.evidence.walkforward import ridge_forecaster, walk_forward
    from model.orchestration.walkforward import drive, start_walk_forward
    from model.runs.workers import WorkerPool

    close = config.replace(features=("close",), target="close")
    print(
        f"\n2. Calibration at the 5% level: LSTM (Sound preset, features close, {close.epochs} epochs), 5 folds"
    )
    with WorkerPool(url, files_root=files, workers=2) as pool:
        pool.wait_ready(120)
        for label, frames in (
            (f"random walks ({rows} rows)", [random_walk(rows, s) for s in range(walks)]),
            ("SYNTH", [synth(s) for s in range(synth_seeds)]),
        ):
            started = time.perf_counter()
            parents = [start_walk_forward(store, close, f, folds=5) for f in frames]
            # All series' folds queued at once: the two workers stay busy.
            results = []
            for parent in parents:
                from model.runs import evidence_store as es

                for row in es.folds_of(store, parent):
                    pool.submit(row.child_run_id)
            for parent in parents:
                results.append(drive(store, parent, lambda run_id: None, pool.wait))
            lstm = sum(r.evidence.verdict.beats_persistence for r in results)
            ridge = sum(walk_forward(f, close, ridge_forecaster).verdict.beats_persistence for f in frames)
            kinds = {}
            for r in results:
                kinds[r.evidence.verdict.kind] = kinds.get(r.evidence.verdict.kind, 0) + 1
            print(
                f"{label:<28} LSTM called beats: {lstm} of {len(frames)} ({lstm / len(frames):.0%}); all verdicts "
                f"{kinds}; ridge stand-in beats: {ridge} of {len(frames)}  ({time.perf_counter() - started:.0f} s)"
            )


def samples(store, url, files, config) -> None:
    from model.data.sample import SAMPLE_TICKERS, load_sample
    from model.engine.presets import get_preset
    from model.orchestration.walkforward import run_walk_forward
    from model.runs.workers import WorkerPool

    print("\n3. Per sample, Sound preset, 5 refit folds")
    print(f"{'sample':<7} {'pooled DM p (better)':>21} {'folds better':>13} {'mean skill':>11}  verdict")
    with WorkerPool(url, files_root=files, workers=2) as pool:
        pool.wait_ready(120)
        for ticker in sorted(SAMPLE_TICKERS):
            prices = load_sample(ticker)
            cfg = get_preset("sound").apply(config, prices.columns)
            ev = run_walk_forward(store, cfg, prices, pool=pool, folds=5).evidence
            skill = ev.ladder().loc["model", "skill"]
            p = ev.pooled.p_better if ev.pooled else float("nan")
            print(
                f"{ticker:<7} {p:>21.3f} {f'{ev.folds_better} of {ev.folds_scored}':>13} {skill:>+11.4f}  {ev.verdict.text}"
            )


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--walks", type=int, default=40)
    parser.add_argument("--synth-seeds", type=int, default=5)
    parser.add_argument("--rows", type=int, default=1500, help="rows per random walk")
    parser.add_argument("--quick", action="store_true")
    parser.add_argument("--skip", default="", help="comma list of parts to skip: timing,calibration,samples")
    args = parser.parse_args(argv)

    from model.data.sample import load_sample
    from model.engine.presets import get_preset
    from model.runs.store import open_store

    prices = load_sample("GOOG")
    config = get_preset("sound").config(prices.columns)
    if args.quick:
        config = config.replace(epochs=3)
        args.walks, args.synth_seeds = min(args.walks, 8), min(args.synth_seeds, 2)
    skip = set(filter(None, args.skip.split(",")))
    with tempfile.TemporaryDirectory() as tmp:
        url, files = f"sqlite:///{Path(tmp) / 'bench.db'}", Path(tmp) / "files"
        store = open_store(url, files_root=files)
        print(
            f"bench_evidence: {os.cpu_count()} cores; Sound preset: rnn_unit {config.rnn_unit}, layer_num "
            f"{config.layer_num}, time_step {config.time_step}, epochs {config.epochs} (patience {config.patience})"
        )
        if "timing" not in skip:
            timing(store, url, files, config, prices)
        if "calibration" not in skip:
            calibration(store, url, files, config, args.walks, args.synth_seeds, args.rows)
        if "samples" not in skip:
            samples(store, url, files, config)
        store.close()


if __name__ == "__main__":
    main()
