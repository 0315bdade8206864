"""``python -m model.train --folds K``: a walk-forward run trained in the worker pool, then its report."""

from __future__ import annotations

import sys
import time

from model.errors import LensError


def run_folds(args, prices, config) -> int:
    from model.evidence.folds import fold_boundaries
    from model.evidence.report import walk_forward_report
    from model.orchestration.walkforward import drive, start_walk_forward
    from model.runs.store import open_store
    from model.runs.workers import WorkerPool

    if args.out is not None:
        raise LensError("--out is for a single run; a walk-forward run is stored in the run store (--db).")
    folds = fold_boundaries(len(prices.frame), config, args.folds)  # a clear error before anything starts
    store = open_store(args.db)
    parent = start_walk_forward(
        store, config, prices, folds=args.folds, mode=args.fold_mode, seeds=args.seeds, origin="cli"
    )
    total = args.folds * args.seeds
    print(
        f"Walk-forward run {parent} in {store.where}: {args.folds} folds ({args.fold_mode}) x {args.seeds} seed(s), "
        f"test periods rows {folds[0].test_start}..{folds[-1].test_end - 1}"
    )
    done = 0

    def on_fold(row, record) -> None:
        nonlocal done
        done += 1
        state = record.status if record.status != "finished" else f"finished in {record.seconds or 0:.1f} s"
        sys.stderr.write(f"  fold {row.fold.index + 1} seed {row.seed_index + 1}: {state} ({done}/{total})\n")

    started = time.perf_counter()
    workers = args.workers or None
    with WorkerPool(
        store.engine.url.render_as_string(hide_password=False),
        files_root=store.files_root,
        workers=workers,
        address=getattr(args, "dask", None),
    ) as pool:
        client = getattr(pool, "client", None)  # a Dask pool: the folds train as a graph
        if client is not None:
            from model.orchestration.graph import run_graph

            result = run_graph(client, store, parent, on_fold=on_fold)
        else:
            result = drive(store, parent, pool.submit, pool.wait, on_fold=on_fold)
    print(f"\n{walk_forward_report(result)}")
    if getattr(args, "forecast", False):  # the forecast calibrated on the folds (model.orchestration)
        from model.cli.reports import print_horizon_forecast

        print_horizon_forecast(store, parent)
    print(
        f"\nStored as run {parent} ({time.perf_counter() - started:.1f} s; python -m model.runs show {parent})."
    )
    return 0 if result.evidence.folds_scored else 1
