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
from model.forecast import conformal
from model.forecast.conformal import DEFAULT_LEVELS, ConformalBands, conformal_quantile, level_name
from model.forecast.coverage import coverage, coverage_frame
from model.forecast.horizon import (
    ERROR_COLUMNS,
    FORECASTERS,
    HorizonError,
    HorizonForecast,
    RecursiveForecaster,
    future_dates,
    origin_range,
    recursive_problem,
    train_direct,
)

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


def coverage_by_fold(
    folds: list[FoldPaths], *, horizon: int, levels: tuple[float, ...] = DEFAULT_LEVELS
) -> pd.DataFrame:
    """Coverage of each fold's test period on its own (FOLD_COVERAGE_COLUMNS; fold 1-based), by the
    same bands ``pool_folds`` measures with: where coverage fails, and whether in one fold only."""
    folds = sorted(folds, key=lambda f: f.fold)
    scale = folds_scale(folds)
    rows = []
    for name in FORECASTERS:
        calibrations = fold_calibrations(folds, horizon, name, scale)
        for i, fold in enumerate(folds):
            for h in range(1, horizon + 1):
                test = _part(fold.paths, "test", h)
                truth, points = test["actual"].to_numpy(), test[name].to_numpy()
                for level in levels:
                    lower, upper = conformal.band(
                        points, conformal_quantile(calibrations[i][h], level), scale
                    )
                    rows.append(
                        {
                            "fold": fold.fold + 1,
                            "first_date": test["date"].min(),
                            "last_date": test["date"].max(),
                            "horizon": h,
                            "forecast": name,
                            "level": level_name(level),
                            "nominal": float(level),
                            "coverage": coverage(truth, lower, upper) if len(truth) else float("nan"),
                            "tested": int(len(truth)),
                            "calibration": int(np.isfinite(calibrations[i][h]).sum()),
                        }
                    )
    return pd.DataFrame(rows, columns=list(FOLD_COVERAGE_COLUMNS))


def _residual_counts(counts: pd.Series) -> str:
    low, high = int(counts.min()), int(counts.max())
    return f"{high:,}" if low == high else f"{low:,}-{high:,}"


def pool_folds(
    folds: list[FoldPaths],
    *,
    horizon: int,
    requested: str,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    last_date: str | None = None,
) -> HorizonForecast:
    """One forecast from every fold's paths (the last fold's rows end where the data ends).

    ``last_date``: the data's last date, checked against the last fold's (a last fold that stops
    short of the data, e.g. because it failed and an earlier one is last, cannot forecast past it)."""
    if not folds:
        raise HorizonError("No fold has a multi-day forecast: the walk-forward run has none.")
    folds = sorted(folds, key=lambda f: f.fold)
    last = folds[-1]
    future = last.paths[last.paths["part"] == "future"].sort_values("horizon")
    if len(future) != horizon:
        raise HorizonError(f"The last fold has no {horizon}-day path past its last row.")
    if last_date is not None and pd.Timestamp(last.last_date) != pd.Timestamp(last_date):
        raise HorizonError(
            f"The last scored fold ends on {last.last_date}, before the data's last date {last_date}: "
            "it cannot forecast past the data."
        )
    last_price = last.last_price
    scale = folds_scale(folds)

    rows, errors = [], []
    final_residuals: dict[str, dict[int, np.ndarray]] = {name: {} for name in FORECASTERS}
    calibrations = {name: fold_calibrations(folds, horizon, name, scale) for name in FORECASTERS}
    for h in range(1, horizon + 1):
        tests = [_part(f.paths, "test", h) for f in folds]
        truth = np.concatenate([t["actual"].to_numpy() for t in tests])
        for name in FORECASTERS:
            points = np.concatenate([t[name].to_numpy() for t in tests])
            final_residuals[name][h] = conformal.residuals(truth, points, scale)
            used = [calibrations[name][i][h] for i in range(len(folds))]
            counts = [int(np.isfinite(u).sum()) for u in used]
            for level in levels:
                per_fold = [conformal_quantile(u, level) for u in used]
                q = np.concatenate([np.full(len(t), per_fold[i]) for i, t in enumerate(tests)])
                lower, upper = conformal.band(points, q, scale)
                rows.append(
                    {
                        "horizon": h,
                        "forecast": name,
                        "level": level_name(level),
                        "nominal": float(level),
                        "coverage": coverage(truth, lower, upper) if len(truth) else float("nan"),
                        "quantile": float(np.nanmedian(q)) if np.isfinite(q).any() else float("nan"),
                        "calibration": int(min(counts)) if counts else 0,
                        "tested": int(len(truth)),
                    }
                )
        if len(truth):
            model_points = np.concatenate([t["model"].to_numpy() for t in tests])
            base_points = np.concatenate([t["persistence"].to_numpy() for t in tests])
            model_rmse = float(np.sqrt(np.mean((model_points - truth) ** 2)))
            base_rmse = float(np.sqrt(np.mean((base_points - truth) ** 2)))
        else:
            model_rmse = base_rmse = float("nan")
        errors.append(
            {
                "horizon": h,
                "model_rmse": model_rmse,
                "persistence_rmse": base_rmse,
                "skill": 1.0 - model_rmse / base_rmse if base_rmse > 0 else float("nan"),
                "tested": int(len(truth)),
            }
        )

    k = len(folds)
    bands = {
        name: ConformalBands.fit(
            final_residuals[name], scale=scale, levels=levels, source=f"{k} walk-forward folds' test periods"
        )
        for name in FORECASTERS
    }
    source = (
        f"test periods of {k} walk-forward folds, "
        f"{_residual_counts(bands['model'].counts)} residuals per horizon"
    )
    messages = [m for f in folds for m in f.messages]
    messages = list(dict.fromkeys(messages))  # each once, in order
    messages.extend(bands["model"].messages)
    first_short = [
        level_name(level)
        for level in levels
        if min(int(np.isfinite(c).sum()) for c in calibrations["model"][0].values())
        < conformal.min_residuals(level)
    ]
    if first_short:
        messages.append(
            f"The first fold's validation period gives too few residuals for the {', '.join(first_short)}% "
            "interval: its test period's coverage is not measured there."
        )
    fan_rows = []
    for name in FORECASTERS:
        for _, row in future.iterrows():
            h = int(row["horizon"])
            point = float(row[name]) if name == "model" else float(last_price)
            out = {"horizon": h, "date": pd.Timestamp(row["date"]), "forecast": name, "point": point}
            for level in levels:
                lower, upper = bands[name].bounds(h, level, np.asarray(point))
                out[f"lower_{level_name(level)}"] = float(lower)
                out[f"upper_{level_name(level)}"] = float(upper)
            fan_rows.append(out)
    strategies = sorted({f.strategy for f in folds})
    return HorizonForecast(
        strategy=last.strategy if len(strategies) == 1 else "/".join(strategies),
        requested=requested,
        horizon=horizon,
        scale=scale,
        levels=tuple(levels),
        source=source,
        last_date=f"{pd.Timestamp(last.last_date):%Y-%m-%d}",
        last_price=float(last_price),
        fan=pd.DataFrame(fan_rows),
        errors=pd.DataFrame(errors, columns=list(ERROR_COLUMNS)),
        coverage=coverage_frame(rows),
        messages=tuple(messages),
        calibration=CALIBRATION,
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
