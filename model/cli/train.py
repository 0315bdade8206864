"""Command line: train the same engine the dashboard uses, print metrics, write predictions.

python -m model.train --source sample:GOOG --rnn-unit 10 --layer-num 2 --time-step 20 --epochs 20
python -m model.train --csv prices.csv --target close --out runs/mine
python -m model.train --source yfinance:AAPL --start 2018-01-01 --end 2024-12-31
python -m model.train --preset tutorial --epochs 5     # a preset; explicit flags override it
python -m model.train --horizon 10 --forecast --out runs/mine  # 10 business days ahead, with intervals
python -m model.train --folds 5 --fold-mode refit --seeds 3   # walk-forward evidence and a verdict
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

from model.cli.reports import print_horizon_forecast
from model.engine.config import KNOBS, LstmConfig, add_knob_arguments, config_from_arguments
from model.engine.presets import DEFAULT_PRESET, PRESETS, get_preset
from model.engine.progress_text import TextProgress
from model.errors import LensError, reports_errors
from model.runs import run_files

OUTPUT_NAMES = ("predictions.csv", "forecast.csv", "coverage.csv", "run")


def _preset_defaults(argv: list[str] | None) -> LstmConfig:
    """The knob defaults under ``--preset`` (its features/target before fitting them to the data)."""
    pre = argparse.ArgumentParser(add_help=False)
    pre.add_argument("--preset")
    known, _ = pre.parse_known_args(argv)
    if known.preset is None:
        return LstmConfig()
    try:
        return get_preset(known.preset).config()
    except LensError as exc:
        raise SystemExit(f"error: {exc}") from None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m model.train", description=__doc__.split("\n\n")[0])
    p.add_argument(
        "--preset",
        choices=list(PRESETS),
        help=f"set every hyperparameter from a preset (default values are the {DEFAULT_PRESET!r} preset's); "
        "flags given explicitly override it",
    )
    p.add_argument(
        "-v",
        "--verbose",
        action="store_true",
        help="say more: INFO lines on the console, DEBUG in the log file (<runs>/logs/)",
    )
    src = p.add_argument_group("data")
    src.add_argument(
        "--source", default="sample:GOOG", help="sample:TICKER (AAPL, GOOG, IBM, MSFT) or yfinance:TICKER"
    )
    src.add_argument("--csv", type=Path, help="a CSV file instead of --source")
    src.add_argument("--date-column", help="the CSV's date column, when detection is not enough")
    src.add_argument("--start", help="yfinance start date (YYYY-MM-DD)")
    src.add_argument("--end", help="yfinance end date (YYYY-MM-DD)")
    src.add_argument("--interval", default="1d", choices=["1d", "1wk"])
    defaults = _preset_defaults(argv)
    add_knob_arguments(p, defaults)
    p.set_defaults(knob_defaults=defaults)
    p.add_argument("--out", type=Path, help="a new or empty directory for predictions.csv and the saved run")
    p.add_argument(
        "--forecast",
        action="store_true",
        help="print the forecast --horizon business days past the data (date, point, lower and upper bounds "
        "at 80%% and 95%%); with --out, forecast.csv holds it",
    )
    ev = p.add_argument_group("evidence (walk-forward)")
    ev.add_argument(
        "--folds",
        type=int,
        help="walk-forward: train and test on K expanding-window folds over the "
        "last 40%% of the data, score the baseline ladder and the Diebold-Mariano test, print a verdict",
    )
    ev.add_argument(
        "--fold-mode",
        choices=["refit", "warm"],
        default="refit",
        help="refit: each fold trains from scratch; warm: each continues from the previous fold's weights",
    )
    ev.add_argument(
        "--seeds", type=int, default=1, help="repeat the walk-forward over N seeds (with --folds)"
    )
    ev.add_argument(
        "--workers", type=int, help="worker processes training folds in parallel (default: one per core)"
    )
    p.add_argument(
        "--dask",
        metavar="ADDRESS",
        help="train on the Dask scheduler at ADDRESS (default $LENS_DASK) and start no worker here; "
        "its workers need the same --db (docs/cluster.md)",
    )
    p.add_argument(
        "--db", help="run store URL (default $LENS_DB or sqlite:///runs/lens.db); the run is recorded there"
    )
    return p.parse_args(argv)


def check_output_directory(out: Path | None) -> None:
    """Refuse an --out that cannot take the outputs before training starts, not after it."""
    if out is None:
        return
    if out.exists() and not out.is_dir():
        raise LensError(f"--out {out} is an existing file; name a new or empty directory.")
    taken = [name for name in OUTPUT_NAMES if (out / name).exists()]
    if taken:
        raise LensError(f"--out {out} already holds {', '.join(taken)}; name a new or empty directory.")
    parent = out if out.exists() else next((p for p in out.parents if p.exists()), Path("."))
    if not os.access(parent, os.W_OK):
        raise LensError(f"--out {out}: cannot write in {parent}.")


def load_prices(args: argparse.Namespace):
    """The price table of ``--csv FILE`` or ``--source`` (one parser: ``model.data.load_source``)."""
    from model import data

    if args.csv is not None:
        return data.load_csv(args.csv, date_column=args.date_column)
    return data.load_source(args.source, start=args.start, end=args.end, interval=args.interval)


def config_for(args: argparse.Namespace, columns) -> "LstmConfig":
    """The config the flags describe; a preset's features/target, when not given, fitted to the data."""
    config = config_from_arguments(args)
    if args.preset is None:
        return config
    fitted = get_preset(args.preset).apply(config, columns)
    defaults: LstmConfig = args.knob_defaults
    keep = {}
    for name in ("features", "target"):
        given = KNOBS[name].format(getattr(config, name)) != KNOBS[name].format(getattr(defaults, name))
        keep[name] = getattr(config if given else fitted, name)
    return config.replace(**keep)


@reports_errors
def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    from model import logs
    from model.runs.database import runs_directory

    logs.configure("cli", files_root=runs_directory(args.db), verbose=args.verbose)
    logs.import_tensorflow()  # its C++ start-up lines (CUDA probes on a CPU machine) go to the log file
    check_output_directory(args.out)
    prices = load_prices(args)
    config = config_for(args, prices.columns).validate()
    print(f"Data: {prices.source} ({len(prices.frame)} rows)")
    for note in prices.repairs:
        print(f"  repaired: {note}")
    for warning in prices.warnings:  # what the Data page shows as warnings (zero or negative prices…)
        print(f"  warning: {warning}")

    from model.engine.network import count_parameters
    from model.engine.windows import prepare_data
    from model.runs.execute import execute_run
    from model.runs.store import open_store

    if args.folds is not None:
        from model.cli.train_folds import run_folds

        return run_folds(args, prices, config)
    data = prepare_data(prices.frame, config)
    print(
        f"Windows: train {len(data.train)}, validation {len(data.val)}, test {len(data.test)}; "
        f"X {list(data.train.x.shape)} -> Y {list(data.train.y.shape)}; "
        f"parameters {count_parameters(config)['total']}"
    )
    store = open_store(args.db)
    run_id = store.create_run(config, prices, "cli")
    print(f"Run {run_id} in {store.where}")
    started = time.perf_counter()
    from model.runs.workers import dask_address

    address = dask_address(args.dask)
    if address is None:
        record = execute_run(store, run_id, listener=TextProgress())
    else:
        from model.cli.remote import train_on_scheduler

        url = store.engine.url.render_as_string(hide_password=False)
        record = train_on_scheduler(url, store.files_root, run_id, address, TextProgress())
        worker = (record.provenance or {}).get("worker") or {}
        print(f"Trained on worker {worker.get('name') or record.worker_host} through {address}")
    if record.status not in ("finished", "stopped"):
        raise LensError(record.error or f"Run {run_id} ended {record.status}.")
    evaluation = run_files.load_evaluation(store, run_id)
    print(f"\nTest metrics in price units ({time.perf_counter() - started:.1f} s):")
    print(evaluation.metrics.to_string(float_format=lambda v: f"{v:10.4f}"))
    from model.orchestration.verdicts import run_verdict

    verdict = run_verdict(store, run_id)  # the same sentence the Results, Inside and Runs pages show
    if verdict is not None:
        print(
            f"\nVerdict: {verdict.text}\n  {verdict.caveat}"
            if verdict.caveat
            else f"\nVerdict: {verdict.text}"
        )
    print("\nForecast past the last date:")
    print(evaluation.forecast.to_string(index=False))
    horizon_table = print_horizon_forecast(store, run_id) if args.forecast else None
    print(f"\nStored as run {run_id} (python -m model.runs show {run_id}).")
    if args.out is not None:
        import shutil

        from model.engine.saving import MODEL_FILE, RUN_FILE

        args.out.mkdir(parents=True, exist_ok=True)
        evaluation.predictions.to_csv(args.out / "predictions.csv", index=False)
        (evaluation.forecast if horizon_table is None else horizon_table).to_csv(
            args.out / "forecast.csv", index=False
        )
        (args.out / "run").mkdir(exist_ok=True)
        for name in (MODEL_FILE, RUN_FILE):
            shutil.copy2(record.files_dir / name, args.out / "run" / name)
        print(f"Wrote {args.out / 'predictions.csv'}, {args.out / 'forecast.csv'} and {args.out / 'run'}/")
        write_coverage_csv(store, run_id, args.out)
    return 0


def write_coverage_csv(store, run_id: int, folder) -> None:
    """coverage.csv: the test-period coverage per (forecaster, method, level, horizon)."""
    from model.forecast.report import write_coverage
    from model.runs.forecasts import load_forecast

    written = write_coverage(load_forecast(store, run_id)[0], folder)
    if written is not None:
        print(f"Wrote {written}")
