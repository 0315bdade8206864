"""Forecast benchmark (issue 19): measured coverage of the conformal intervals, and forecast time.

For SYNTH and GOOG (bundled samples), at the Sound preset with horizon 30:

- **direct** (the Sound features: open, high, low, close, volume, change) and **recursive** (the
  same preset on close and change, the features it can feed itself): coverage of the 80% and 95%
  intervals on the test period at every horizon 1-30, calibrated on the validation period, for
  the model and persistence; the worst gap to nominal over all horizons (target: within ±5
  percentage points), and the mean coverage.
- the time to forecast 30 business days past the data with its bands, once the model is in memory
  (target < 0.5 s): the median of 20 calls after one warm-up.
- **over the test folds** (walk-forward, 5 refit folds, ``model.forecast.folds``): each fold trained
  and its horizon paths computed as a walk-forward run's fold runs do (the run's strategy; recursive where asked and it applies,
  else direct), pooled as the run's forecast: coverage of fold i's test period by bands calibrated
  on the folds before it only (the first fold: its validation period), beside the single split's.

- **per interval method** (split, aci, agaci; ``model.forecast.online``): the worst gap, the gap in
  the high-volatility tercile, and the 80% interval score relative to split's (where split covers).

Prints numbers; asserts nothing. Run
``python -m scripts.bench_forecast [--only folds|split] [--ticker SYNTH|GOOG]``;
``make bench`` calls ``main()``.
"""

from __future__ import annotations

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

HORIZON = 30
TICKERS = ("SYNTH", "GOOG")
SHOWN_HORIZONS = (1, 2, 5, 10, 20, 30)
REPEATS = 20
FOLDS = 5


def forecast_seconds(forecaster, data, bands_of) -> float:
    """Median seconds for the 30-day path from the last row plus its bands (model already in memory)."""
    last = np.array([data.n_rows - 1])
    forecaster.paths(data, last)  # warm-up: traces the predict function for this batch size
    times = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        points = forecaster.paths(data, last)[0]
        for h in range(1, forecaster.horizon + 1):
            for level in bands_of.levels:
                bands_of.bounds(h, level, points[h - 1])
        times.append(time.perf_counter() - started)
    return float(np.median(times))


def print_coverage(cov, indent: str = "    ") -> None:
    print(f"{indent}coverage %        " + "".join(f"h{h:<6d}" for h in SHOWN_HORIZONS) + " mean   worst gap")
    for who in ("model", "persistence"):
        for level in ("80", "95"):
            part = cov[(cov["forecast"] == who) & (cov["level"] == level)]
            part = part.set_index("horizon")["coverage"] * 100
            gap = float((part - float(level)).abs().max())
            print(
                f"{indent}{who:<11s} {level}%   "
                + "".join(f"{part.get(h, np.nan):<7.1f}" for h in SHOWN_HORIZONS)
                + f" {part.mean():<6.1f} {gap:5.1f} pts"
            )


def print_methods(result, summary: list, ticker: str, where: str, indent: str = "    ") -> None:
    """Per interval method: worst gap (model, horizons 1-30, both levels), the high-volatility
    tercile's worst gap, the mean 80% interval score relative to split's, and the bound."""
    from model.forecast import online, scores

    intervals = result.intervals
    if intervals.empty:
        return
    regimes = scores.regime_coverage(intervals)
    per = scores.interval_scores(intervals)
    model = per[per["forecaster"] == "model"].set_index(["method", "horizon"])
    split_score = model.loc["split", "winkler_80"]
    split_cov = scores.method_coverage(intervals)
    split_cov = split_cov[(split_cov["forecaster"] == "model") & (split_cov["method"] == "split")]
    covers = split_cov[split_cov["level"] == "80"].set_index("horizon")["coverage"] >= 0.77
    print(
        f"{indent}method    worst gap  high-vol gap  interval score 80% vs split (all h / where split covers)"
    )
    for method in online.METHODS:
        gap = scores.worst_method_gap(intervals, method)
        high = regimes[(regimes["method"] == method) & (regimes["regime"] == "high volatility")]
        high_gap = float((high["coverage"] - high["level"].astype(float) / 100).abs().max() * 100)
        ratio = model.loc[method, "winkler_80"] / split_score
        where_covers = ratio[covers.reindex(ratio.index, fill_value=False)]
        print(
            f"{indent}{method:<9s} {gap:6.1f} pts {high_gap:8.1f} pts   {ratio.mean():6.3f} / "
            + (f"{where_covers.mean():6.3f}" if len(where_covers) else "  none")
        )
        summary.append((ticker, result.strategy, f"{where}, {method}", gap))


def fold_forecast(prices, config):
    """(HorizonForecast pooled over FOLDS refit folds, the folds' paths, seconds): what a walk-forward
    run stores."""
    from model.engine.training import train_network
    from model.evidence.folds import fold_boundaries, prepare_fold
    from model.forecast.folds import compute_fold_paths, pool_folds

    started = time.perf_counter()
    paths = []
    for fold in fold_boundaries(len(prices.frame), config, FOLDS):
        data = prepare_fold(prices.frame, config, fold)
        paths.append(compute_fold_paths(train_network(data), data, fold.index))
    last_date = f"{prices.frame.index[-1]:%Y-%m-%d}"
    result = pool_folds(
        paths,
        horizon=config.horizon,
        requested=config.forecast_strategy,
        last_date=last_date,
        prices=prices.frame[config.target].to_numpy(dtype=float),  # regimes known at each origin
    )
    return result, paths, time.perf_counter() - started


def folds_section(summary: list) -> None:
    from model.data import load_sample
    from model.engine.presets import get_preset
    from model.forecast.coverage import worst_gap
    from model.forecast.folds import coverage_by_fold

    print(
        f"\nForecast over the test folds: {FOLDS} refit folds (walk-forward), Sound preset, horizons 1-{HORIZON}; "
        "fold i's test period covered by bands calibrated on folds < i (fold 1: its validation period)"
    )
    for ticker in tickers():
        prices = load_sample(ticker)
        sound = get_preset("sound").config(prices.columns).replace(horizon=HORIZON)
        for label, config in (
            ("Sound features", sound),
            ("close + change", sound.replace(features=("close", "change"))),
        ):
            result, paths, seconds = fold_forecast(prices, config)
            print(
                f"\n{ticker} {label} ({result.strategy}), {seconds:.1f} s for {FOLDS} folds; {result.source}"
            )
            for message in result.messages:
                print(f"    note: {message}")
            print_coverage(result.coverage)
            print_methods(result, summary, ticker, f"{FOLDS} test folds")
            errors = result.errors.set_index("horizon")
            print(
                "    skill             "
                + "".join(f"{errors['skill'].get(h, np.nan):<7.3f}" for h in SHOWN_HORIZONS)
            )
            summary.append((ticker, result.strategy, f"{FOLDS} test folds", worst_gap(result.coverage)))
            by_fold = coverage_by_fold(paths, horizon=HORIZON)
            model = by_fold[by_fold["forecast"] == "model"]
            print(
                "    model coverage % per fold (mean over horizons, and at h30), calibration residuals at h1"
            )
            for fold, part in model.groupby("fold"):
                cells = []
                for level in ("80", "95"):
                    at = part[part["level"] == level].set_index("horizon")["coverage"] * 100
                    cells.append(f"{level}%: {at.mean():5.1f} (h30 {at.get(HORIZON, np.nan):5.1f})")
                first = part[part["horizon"] == 1].iloc[0]
                print(
                    f"      fold {fold} {first['first_date']:%Y-%m-%d}..{first['last_date']:%Y-%m-%d}  "
                    + "   ".join(cells)
                    + f"   calibrated on {int(first['calibration'])}"
                )


ONLY_TICKER: list[str] = []  # --ticker T: one ticker only (the smallest case: --only split --ticker SYNTH)


def tickers() -> tuple[str, ...]:
    return tuple(ONLY_TICKER) or TICKERS


def main(argv: list[str] | None = None) -> None:
    import sys

    argv = sys.argv[1:] if argv is None else argv
    only = argv[argv.index("--only") + 1] if "--only" in argv else None
    if "--ticker" in argv:
        ONLY_TICKER[:] = [argv[argv.index("--ticker") + 1]]
    summary: list = []
    if only != "folds":
        split_section(summary)
    if only != "split":
        folds_section(summary)
    print("\nWorst |coverage - nominal| of the model, horizons 1-30, 80% and 95% (points; target 3)")
    for ticker, strategy, where, gap in summary:
        print(f"  {ticker:<6s} {strategy:<10s} {where:<28s} {gap:5.1f}")


def split_section(summary: list) -> None:
    from model.data import load_sample
    from model.engine.presets import get_preset
    from model.engine.training import train_network
    from model.engine.windows import prepare_data
    from model.forecast import conformal
    from model.forecast.coverage import worst_gap
    from model.forecast.evaluate import evaluate_forecaster
    from model.forecast.horizon import CALIBRATIONS, make_forecaster

    print(
        f"Forecast: conformal coverage on the test period, horizons 1-{HORIZON}, Sound preset "
        "(target: within ±5 points of nominal at every horizon; 30-day forecast < 0.5 s)"
    )
    for ticker in tickers():
        prices = load_sample(ticker)
        sound = get_preset("sound").config(prices.columns).replace(horizon=HORIZON)
        for strategy, config in (
            ("direct", sound.replace(forecast_strategy="direct")),
            ("recursive", sound.replace(forecast_strategy="recursive", features=("close", "change"))),
        ):
            data = prepare_data(prices.frame, config)
            started = time.perf_counter()
            run = train_network(data)
            forecaster, notes = make_forecaster(run, data, HORIZON, strategy)
            trained = time.perf_counter() - started
            print(
                f"\n{ticker} {forecaster.strategy}: {data.n_rows} rows, validation "
                f"{data.test_start - data.val_start} rows, test {data.n_rows - data.test_start} rows; trained in "
                f"{trained:.1f} s"
            )
            for calibration in CALIBRATIONS:
                result = evaluate_forecaster(
                    forecaster,
                    data,
                    requested=strategy,
                    messages=notes,
                    calibration=calibration,
                    method="split",
                )
                cov = result.coverage
                print(f"  calibration {calibration} ({result.scale} residuals)")
                for message in result.messages:
                    print(f"    note: {message}")
                print(
                    "    coverage %        "
                    + "".join(f"h{h:<6d}" for h in SHOWN_HORIZONS)
                    + " mean   worst gap"
                )
                for who in ("model", "persistence"):
                    for level in ("80", "95"):
                        part = cov[(cov["forecast"] == who) & (cov["level"] == level)]
                        part = part.set_index("horizon")["coverage"] * 100
                        gap = float((part - float(level)).abs().max())
                        print(
                            f"    {who:<11s} {level}%   "
                            + "".join(f"{part.get(h, np.nan):<7.1f}" for h in SHOWN_HORIZONS)
                            + f" {part.mean():<6.1f} {gap:5.1f} pts"
                        )
                print(f"    worst gap, model, all horizons and levels: {worst_gap(cov):.1f} points")
                summary.append((ticker, forecaster.strategy, f"test period, {calibration}", worst_gap(cov)))
                if calibration == "expanding":
                    print_methods(result, summary, ticker, "test period")
            errors = result.errors.set_index("horizon")
            print(
                "  skill            "
                + "".join(f"{errors['skill'].get(h, np.nan):<7.3f}" for h in SHOWN_HORIZONS)
            )
            scale = conformal.choose_scale(data.target)
            from model.forecast.conformal import ConformalBands

            bands = ConformalBands.fit({h: np.zeros(50) for h in range(1, HORIZON + 1)}, scale=scale)
            seconds = forecast_seconds(forecaster, data, bands)
            print(
                f"  30-day forecast with bands, model in memory: {seconds * 1000:.1f} ms (median of {REPEATS})"
            )


if __name__ == "__main__":
    main()
