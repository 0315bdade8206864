"""Multi-day forecasts of a walk-forward run: per-fold out-of-sample paths, pooled into one forecast.

Each fold's run (in its worker) computes its horizon paths (``fold_paths``): from every origin
whose h-day target lies in the fold's validation or test period, and from the fold's last row.
When the walk-forward run ends, ``pool_folds`` (pure numpy/pandas, no TensorFlow: it runs in the
coordinator) turns them into one ``HorizonForecast``:

- the **fan** is the LAST fold's path from its last row (that fold trains on the most data and its
  rows end where the data ends), so it starts past the last date;
- its **bands** are split-conformal, calibrated per horizon on every fold's test-period residuals
  (model and persistence alike);
- **coverage** is measured on the test folds with no look-ahead: fold i's test origins are covered
  by bands calibrated only on the test residuals of folds before it (the first fold: its own
  validation period), every one of which lies before fold i's test period starts;
- **errors** per horizon pool every fold's test origins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.windows import PreparedData
from model.forecast import conformal, online
from model.forecast.conformal import DEFAULT_LEVELS, level_name
from model.forecast.coverage import coverage, coverage_frame
from model.forecast.evaluate import error_row, fan_rows
from model.forecast.horizon import (
    ERROR_COLUMNS,
    FORECASTERS,
    HorizonError,
    RecursiveForecaster,
    future_dates,
    origin_range,
    recursive_problem,
    train_direct,
)
from model.forecast.intervals import interval_rows, origin_move, trailing_volatility
from model.forecast.record import HorizonForecast

PARTS = ("validation", "test", "future")
PATH_COLUMNS = ("origin", "horizon", "date", "part", "actual", "model", "persistence")
CALIBRATION = "folds"  # HorizonForecast.calibration of a walk-forward run's forecast


def fold_strategy(config) -> tuple[str, str | None]:
    """(strategy, why) for a fold's paths: the run's ``forecast_strategy``, as a single-split run
    uses it, so the fold-calibrated bands describe the forecaster the fan comes from. Recursive
    where it was asked for and applies; otherwise direct (a second network per fold), with the
    reason when recursive was asked for but cannot apply."""
    if config.forecast_strategy != "recursive":
        return "direct", None
    problem = recursive_problem(config)
    return ("recursive", None) if problem is None else ("direct", problem)


def make_fold_forecaster(run, data: PreparedData, *, stop=None, listener=None):
    """(forecaster, messages) for a fold run: ``fold_strategy``'s choice at the run's horizon."""
    strategy, why = fold_strategy(data.config)
    if strategy == "recursive":
        return RecursiveForecaster(run, data.config.horizon), []
    return train_direct(data, data.config.horizon, stop=stop, listener=listener), [why] if why else []


def fold_paths(forecaster, data: PreparedData) -> pd.DataFrame:
    """A fold's horizon paths (PATH_COLUMNS), one row per (origin, horizon) that counts.

    ``part``: "validation" (the h-day target lies in the fold's validation period), "test" (the
    origin is the day before the test period or later, the target still in the fold's rows), or
    "future" (the fold's last row: its path past the fold's end; ``actual`` NaN). ``origin`` is the
    origin's row in the price table (a fold's rows are the table's first ``test_end`` rows).
    """
    horizon = forecaster.horizon
    origins = origin_range(data)
    paths = forecaster.paths(data, origins)
    last = data.target[origins]
    ahead = future_dates(data, horizon)
    frames = []
    for h in range(1, horizon + 1):
        target_rows = origins + h
        in_data = target_rows < data.n_rows
        parts = {
            "validation": in_data & (target_rows >= data.val_start) & (target_rows < data.test_start),
            "test": in_data & (origins >= data.test_start - 1),
            "future": origins == data.n_rows - 1,
        }
        for part, mask in parts.items():
            if not mask.any():
                continue
            rows = target_rows[mask]
            if part == "future":
                dates = pd.DatetimeIndex([ahead[h - 1]] * int(mask.sum()))
                actual = np.full(int(mask.sum()), np.nan)
            else:
                dates = pd.DatetimeIndex(data.dates[rows])
                actual = data.target[rows]
            frames.append(
                pd.DataFrame(
                    {
                        "origin": origins[mask].astype(np.int64),
                        "horizon": h,
                        "date": dates,
                        "part": part,
                        "actual": actual.astype(np.float64),
                        "model": paths[mask, h - 1].astype(np.float64),
                        "persistence": last[mask].astype(np.float64),
                    }
                )
            )
    out = pd.concat(frames, ignore_index=True)[list(PATH_COLUMNS)]
    return out.sort_values(["horizon", "origin", "part"], kind="stable").reset_index(drop=True)


@dataclass(frozen=True)
class FoldPaths:
    """One fold's stored paths and how they were made."""

    fold: int  # 0-based
    paths: pd.DataFrame  # PATH_COLUMNS
    strategy: str
    last_date: str  # the fold's last row (its "future" paths start the business day after)
    last_price: float
    messages: tuple[str, ...] = ()


def _part(paths: pd.DataFrame, part: str, h: int) -> pd.DataFrame:
    return paths[(paths["part"] == part) & (paths["horizon"] == h)].sort_values("origin")


def fold_calibrations(folds: list[FoldPaths], horizon: int, forecaster: str, scale: str) -> list[dict]:
    """For each fold (in order), horizon -> the residuals its test origins are calibrated on: the
    first fold's validation residuals, then the test residuals of every earlier fold only."""
    out = []
    for i, fold in enumerate(folds):
        by_h = {}
        for h in range(1, horizon + 1):
            if i == 0:
                part = _part(fold.paths, "validation", h)
                by_h[h] = conformal.residuals(part["actual"], part[forecaster], scale)
            else:
                earlier = [_part(f.paths, "test", h) for f in folds[:i]]
                by_h[h] = np.concatenate(
                    [conformal.residuals(p["actual"], p[forecaster], scale) for p in earlier]
                )
        out.append(by_h)
    return out


def folds_scale(folds: list[FoldPaths]) -> str:
    """The residuals' scale over every fold: log when every price and point forecast is positive."""
    everything = pd.concat([f.paths for f in folds], ignore_index=True)
    known = everything[everything["part"] != "future"]
    return conformal.choose_scale(known["actual"], everything["model"], everything["persistence"])


FOLD_COVERAGE_COLUMNS = (
    "fold",
    "first_date",
    "last_date",
    "horizon",
    "forecast",
    "level",
    "nominal",
    "coverage",
    "tested",
    "calibration",
)


def fold_intervals(
    folds: list[FoldPaths],
    *,
    horizon: int,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    prices: np.ndarray | None = None,
    methods: tuple[str, ...] = online.METHODS,
) -> pd.DataFrame:
    """Every fold's test intervals, one online pass over the folds' test origins in order, plus the
    last fold's last row (``actual`` NaN: its thresholds are the fan's) and a ``fold`` column.

    Calibration (``ScoreBook``): the first fold's validation residuals, retired when the second
    fold's test period starts; fold i's test residuals join when fold i + 1's test period starts
    (the last fold's: at the last row). ACI's hits and misses arrive h rows after their origin.
    ``prices``: the target price per row of the table (volatility and moves at the origins)."""
    folds = sorted(folds, key=lambda f: f.fold)
    scale = folds_scale(folds)
    first_origin = [int(f.paths.loc[f.paths["part"] == "test", "origin"].min()) for f in folds]
    frames = []
    for h in range(1, horizon + 1):
        tests = [_part(f.paths, "test", h).assign(fold=f.fold + 1) for f in folds]
        future = _part(folds[-1].paths, "future", h).assign(fold=folds[-1].fold + 1)
        rows = pd.concat([*tests, future], ignore_index=True).drop_duplicates("origin", keep="last")
        origins = rows["origin"].to_numpy(dtype=np.int64)
        boundary = {f.fold + 1: first_origin[i + 1] for i, f in enumerate(folds[:-1])}
        boundary[folds[-1].fold + 1] = int(origins[-1])
        known = rows["fold"].map(boundary).to_numpy(dtype=np.int64)
        volatility = (
            trailing_volatility(prices, origins) if prices is not None else np.full(len(rows), np.nan)
        )
        move = origin_move(prices, origins) if prices is not None else np.full(len(rows), "", dtype=object)
        dates = rows["date"].to_numpy()
        for name in FORECASTERS:
            val = _part(folds[0].paths, "validation", h)
            table = interval_rows(
                forecaster=name,
                horizon=h,
                origins=origins,
                dates=dates,
                actual=rows["actual"].to_numpy(dtype=np.float64),
                point=rows[name].to_numpy(dtype=np.float64),
                initial=conformal.residuals(val["actual"], val[name], scale),
                scale=scale,
                levels=levels,
                volatility=volatility,
                move=move,
                score_known=known,
                retire_at=first_origin[1] if len(folds) > 1 else None,
                methods=methods,
            )
            frames.append(table.assign(fold=np.tile(rows["fold"].to_numpy(), len(methods) * len(levels))))
    return pd.concat(frames, ignore_index=True)


def coverage_by_fold(
    folds: list[FoldPaths],
    *,
    horizon: int,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    method: str = "split",
    intervals: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """Coverage of each fold's test period on its own (FOLD_COVERAGE_COLUMNS; fold 1-based), by the
    same bands ``pool_folds`` measures with (``intervals``: its ``fold_intervals``): where coverage
    fails, and whether in one fold only."""
    if intervals is None:
        intervals = fold_intervals(folds, horizon=horizon, levels=levels, methods=(method,))
    part = intervals[(intervals["method"] == method) & intervals["actual"].notna()]
    rows = []
    for (name, fold, h, level), group in part.groupby(["forecaster", "fold", "horizon", "level"], sort=True):
        rows.append(
            {
                "fold": int(fold),
                "first_date": group["date"].min(),
                "last_date": group["date"].max(),
                "horizon": int(h),
                "forecast": name,
                "level": level,
                "nominal": float(level) / 100,
                "coverage": coverage(group["actual"], group["lower"], group["upper"]),
                "tested": int(len(group)),
                "calibration": int(group["known"].iloc[0]),
            }
        )
    out = pd.DataFrame(rows, columns=list(FOLD_COVERAGE_COLUMNS))
    order = {name: i for i, name in enumerate(FORECASTERS)}
    return out.sort_values(
        ["forecast", "fold", "horizon"],
        key=lambda c: c.map(order) if c.name == "forecast" else c,
        ignore_index=True,
    )


def _residual_counts(counts: pd.Series) -> str:
    low, high = int(counts.min()), int(counts.max())
    return f"{high:,}" if low == high else f"{low:,}-{high:,}"


def last_fold_future(folds: list[FoldPaths], horizon: int, last_date: str | None) -> pd.DataFrame:
    """The last fold's path past its last row; HorizonError when there is none past the data's end."""
    if not folds:
        raise HorizonError("No fold has a multi-day forecast: the walk-forward run has none.")
    last = folds[-1]
    future = last.paths[last.paths["part"] == "future"].sort_values("horizon")
    if len(future) != horizon:
        raise HorizonError(f"The last fold has no {horizon}-day path past its last row.")
    if last_date is not None and pd.Timestamp(last.last_date) != pd.Timestamp(last_date):
        raise HorizonError(
            f"The last scored fold ends on {last.last_date}, before the data's last date {last_date}: "
            "it cannot forecast past the data."
        )
    return future


def pooled_coverage_rows(intervals: pd.DataFrame, method: str, horizon: int, levels) -> list[dict]:
    """COVERAGE_COLUMNS rows of ``method`` over every test fold (``calibration``: the fewest
    residuals any fold calibrated on)."""
    part = intervals[(intervals["method"] == method) & intervals["actual"].notna()]
    rows = []
    for name in FORECASTERS:
        for h in range(1, horizon + 1):
            for level in levels:
                group = part[
                    (part["forecaster"] == name)
                    & (part["horizon"] == h)
                    & (part["level"] == level_name(level))
                ]
                q = group["threshold"].to_numpy(dtype=np.float64)
                firsts = group.groupby("fold")["known"].first()
                rows.append(
                    {
                        "horizon": h,
                        "forecast": name,
                        "level": level_name(level),
                        "nominal": float(level),
                        "coverage": coverage(group["actual"], group["lower"], group["upper"])
                        if len(group)
                        else np.nan,
                        "quantile": float(np.nanmedian(q)) if np.isfinite(q).any() else float("nan"),
                        "calibration": int(firsts.min()) if len(firsts) else 0,
                        "tested": int(len(group)),
                    }
                )
    return rows


def pool_messages(folds: list[FoldPaths], horizon: int, levels, test_counts: pd.Series) -> list[str]:
    """The folds' own messages once each, then what the residual counts leave out."""
    k = len(folds)
    messages = list(dict.fromkeys(m for f in folds for m in f.messages))  # each once, in order
    for level in levels:
        short = [h for h in range(1, horizon + 1) if test_counts[h] < conformal.min_residuals(level)]
        if short:
            messages.append(
                f"The {level_name(level)}% interval needs at least {conformal.min_residuals(level)} out-of-sample "
                f"residuals per horizon; the {k} walk-forward folds' test periods give {min(test_counts[short])} at "
                f"horizon {conformal.describe_horizons(short)}, so it is left out there."
            )
    first_val = min(len(_part(folds[0].paths, "validation", h)) for h in range(1, horizon + 1))
    first_short = [level_name(level) for level in levels if first_val < conformal.min_residuals(level)]
    if first_short:
        messages.append(
            f"The first fold's validation period gives too few residuals for the {', '.join(first_short)}% "
            "interval: its test period's coverage is not measured there."
        )
    return messages


def pool_folds(
    folds: list[FoldPaths],
    *,
    horizon: int,
    requested: str,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    last_date: str | None = None,
    method: str = "split",
    prices: np.ndarray | None = None,
) -> HorizonForecast:
    """One forecast from every fold's paths (the last fold's rows end where the data ends).

    ``last_date``: the data's last date, checked against the last fold's (a last fold that stops
    short of the data, e.g. because it failed and an earlier one is last, cannot forecast past it).
    ``method``: the run's interval method; ``prices``: the table's target prices (regimes)."""
    folds = sorted(folds, key=lambda f: f.fold)
    future = last_fold_future(folds, horizon, last_date)
    last = folds[-1]
    scale = folds_scale(folds)
    intervals = fold_intervals(folds, horizon=horizon, levels=levels, prices=prices)
    tested = intervals[intervals["actual"].notna()]
    rows = pooled_coverage_rows(intervals, method, horizon, levels)
    errors = []
    for h in range(1, horizon + 1):
        tests = pd.concat([_part(f.paths, "test", h) for f in folds], ignore_index=True)
        truth = tests["actual"].to_numpy()
        errors.append(error_row(h, tests["model"].to_numpy(), tests["persistence"].to_numpy(), truth))

    k = len(folds)
    test_counts = pd.Series(
        {h: int(sum(len(_part(f.paths, "test", h)) for f in folds)) for h in range(1, horizon + 1)}
    )
    source = f"test periods of {k} walk-forward folds, {_residual_counts(test_counts)} residuals per horizon"
    messages = pool_messages(folds, horizon, levels, test_counts)
    own = intervals[(intervals["method"] == method) & intervals["actual"].isna()]
    fan = []
    for name in FORECASTERS:
        part = own[own["forecaster"] == name]
        thresholds = {
            (int(r.horizon), float(r.level) / 100): float(r.threshold) for r in part.itertuples(index=False)
        }
        thresholds = {
            (h, level): thresholds.get((h, round(level, 6)), np.nan)
            for h in range(1, horizon + 1)
            for level in levels
        }
        points = (
            future[name].to_numpy(dtype=np.float64) if name == "model" else np.full(horizon, last.last_price)
        )
        fan.extend(fan_rows(name, pd.DatetimeIndex(future["date"]), points, thresholds, levels, scale))
    strategies = sorted({f.strategy for f in folds})
    return HorizonForecast(
        strategy=last.strategy if len(strategies) == 1 else "/".join(strategies),
        requested=requested,
        horizon=horizon,
        scale=scale,
        levels=tuple(levels),
        source=source,
        last_date=f"{pd.Timestamp(last.last_date):%Y-%m-%d}",
        last_price=float(last.last_price),
        fan=pd.DataFrame(fan),
        errors=pd.DataFrame(errors, columns=list(ERROR_COLUMNS)),
        coverage=coverage_frame(rows),
        messages=tuple(messages),
        calibration=CALIBRATION,
        method=method,
        intervals=tested.reset_index(drop=True),
    )


def compute_fold_paths(run, data: PreparedData, fold: int, *, stop=None, listener=None) -> FoldPaths:
    """A trained fold's ``FoldPaths`` (in the worker that trained it)."""
    forecaster, messages = make_fold_forecaster(run, data, stop=stop, listener=listener)
    return FoldPaths(
        fold=fold,
        paths=fold_paths(forecaster, data),
        strategy=forecaster.strategy,
        last_date=f"{data.dates[-1]:%Y-%m-%d}",
        last_price=float(data.target[-1]),
        messages=tuple(messages),
    )
