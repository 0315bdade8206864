"""One out-of-sample evaluation of a forecaster on a run's single split (``evaluate_forecaster``).

Paths from origins whose h-day target lies in the validation period calibrate the bands; the
test period's origins are covered, one origin after another, by the run's interval method
(``model.forecast.online``), with every method's intervals kept (``model.forecast.intervals``)
so the Results page can set them side by side. The band past the data is the method's band at
the last row, which knows every out-of-sample residual (or, with the ``validation``
calibration, the validation period's only).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.engine.windows import PreparedData
from model.forecast import conformal, online
from model.forecast.conformal import DEFAULT_LEVELS, ConformalBands, level_name
from model.forecast.coverage import coverage_frame, coverage_rows
from model.forecast.horizon import (
    CALIBRATIONS,
    ERROR_COLUMNS,
    SOURCES,
    future_dates,
    make_forecaster,
    origin_range,
)
from model.forecast.intervals import interval_rows, origin_move, trailing_volatility
from model.forecast.record import HorizonForecast

NEVER = np.iinfo(np.int64).max // 2  # a residual that never joins the calibration


def error_row(h: int, model: np.ndarray, base: np.ndarray, truth: np.ndarray) -> dict:
    """RMSE of the model and persistence at horizon ``h`` and the model's skill."""
    if len(truth):
        model_rmse = float(np.sqrt(np.mean((model - truth) ** 2)))
        base_rmse = float(np.sqrt(np.mean((base - truth) ** 2)))
    else:
        model_rmse = base_rmse = float("nan")
    skill = 1.0 - model_rmse / base_rmse if base_rmse > 0 else float("nan")
    return {
        "horizon": h,
        "model_rmse": model_rmse,
        "persistence_rmse": base_rmse,
        "skill": skill,
        "tested": len(truth),
    }


def fan_rows(name: str, dates, points: np.ndarray, thresholds: dict, levels, scale: str) -> list[dict]:
    """The fan past the data of one forecaster: ``thresholds`` (h, level) -> the band's score threshold."""
    rows = []
    for h in range(1, len(points) + 1):
        row = {"horizon": h, "date": dates[h - 1], "forecast": name, "point": float(points[h - 1])}
        widest = float("nan")  # an online method can leave a higher level narrower: the fan keeps them nested
        for level in sorted(levels):
            q = float(thresholds.get((h, level), np.nan))
            widest = float(np.fmax(widest, q))
            lower, upper = conformal.band(points[h - 1], widest if np.isfinite(q) else np.nan, scale)
            row[f"lower_{level_name(level)}"] = float(lower)
            row[f"upper_{level_name(level)}"] = float(upper)
        rows.append(row)
    return rows


def limit_messages(data: PreparedData, horizon: int, bands: ConformalBands) -> list[str]:
    messages = list(bands.messages)
    if bands.messages and data.config.val_fraction == 0:
        messages.append(
            "The validation share is 0: raise it so the intervals have residuals to calibrate on."
        )
    test_rows = data.n_rows - data.test_start
    if horizon > test_rows:
        messages.append(
            f"The horizon {horizon} is longer than the test period allows: its {test_rows} rows measure errors "
            f"and coverage up to horizon {test_rows}; beyond it they are not measured."
        )
    return messages


def outcomes(forecaster, data: PreparedData):
    """(origins, points per forecaster [origins, horizon], actual [origins, horizon]; NaN past the data)."""
    horizon = forecaster.horizon
    origins = origin_range(data)
    paths = forecaster.paths(data, origins)  # [origins, horizon]
    points_of = {"model": paths, "persistence": np.repeat(data.target[origins][:, None], horizon, axis=1)}
    actual = np.full_like(paths, np.nan)
    for h in range(1, horizon + 1):
        ok = origins + h < data.n_rows
        actual[ok, h - 1] = data.target[origins[ok] + h]
    return origins, points_of, actual


def own_method(table: pd.DataFrame, method: str, levels) -> tuple[dict, np.ndarray, np.ndarray]:
    """(level -> threshold per tested origin, actual, point) of ``method`` in one horizon's table."""
    own = table[table["method"] == method]
    per_origin = {level: own[own["level"] == level_name(level)]["threshold"].to_numpy() for level in levels}
    first = own[own["level"] == level_name(levels[0])]
    return per_origin, first["actual"].to_numpy(), first["point"].to_numpy()


def validation_calibration(data: PreparedData, origins, points_of: dict, actual, scale: str, levels):
    """(forecaster, h) -> the validation period's residuals, and each forecaster's bands from them:
    origins whose h-day target lies in the validation period (out of sample for both strategies)."""
    horizon = actual.shape[1]
    calibrate = {
        h: (origins + h >= data.val_start) & (origins + h < data.test_start) for h in range(1, horizon + 1)
    }
    initial = {
        (name, h): conformal.residuals(actual[calibrate[h], h - 1], points[calibrate[h], h - 1], scale)
        for name, points in points_of.items()
        for h in calibrate
    }
    bands = {
        name: ConformalBands.fit(
            {h: initial[(name, h)] for h in calibrate}, scale=scale, levels=levels, source="validation period"
        )
        for name in points_of
    }
    return initial, bands


def evaluate_forecaster(
    forecaster,
    data: PreparedData,
    *,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    requested: str | None = None,
    messages: list[str] | None = None,
    calibration: str = "expanding",
    method: str = "split",
) -> HorizonForecast:
    """Calibrate on out-of-sample residuals (``calibration``: CALIBRATIONS; ``method``:
    ``online.METHODS``), measure coverage and errors on the test period and forecast past the data."""
    if calibration not in CALIBRATIONS:
        raise ValueError(f"calibration must be one of {CALIBRATIONS}, got {calibration!r}")
    if method not in online.METHODS:
        raise ValueError(f"interval method must be one of {online.METHODS}, got {method!r}")
    horizon = forecaster.horizon
    origins, points_of, actual = outcomes(forecaster, data)
    scale = conformal.choose_scale(data.target, points_of["model"])
    # Online: every origin from the day before the test period to the last row;
    # those whose target is in the data are tested, the last row's band is the fan's.
    online_mask = origins >= data.test_start - 1
    rows_on = origins[online_mask]
    volatility, move = trailing_volatility(data.target, rows_on), origin_move(data.target, rows_on)
    initial, bands = validation_calibration(data, origins, points_of, actual, scale, levels)
    messages = list(messages or []) + limit_messages(data, horizon, bands["model"])
    known = None if calibration == "expanding" else np.full(len(rows_on), NEVER)

    rows: list[dict] = []
    errors: list[dict] = []
    frames: list[pd.DataFrame] = []
    thresholds: dict[str, dict] = {name: {} for name in points_of}
    for h in range(1, horizon + 1):
        for name, points in points_of.items():
            table = interval_rows(
                forecaster=name,
                horizon=h,
                origins=rows_on,
                dates=data.dates[np.minimum(rows_on + h, data.n_rows - 1)],  # the day the outcome is known
                actual=actual[online_mask, h - 1],
                point=points[online_mask, h - 1],
                initial=initial[(name, h)],
                scale=scale,
                levels=levels,
                score_known=known,
                volatility=volatility,
                move=move,
            )
            last_band, _, _ = own_method(table, method, levels)  # its last origin: the data's last row
            thresholds[name].update({(h, level): q[-1] for level, q in last_band.items()})
            table = table[np.isfinite(table["actual"].to_numpy(dtype=np.float64))]
            frames.append(table)
            per_origin, truth, point = own_method(table, method, levels)
            rows.extend(coverage_rows(name, bands[name], h, truth, point, per_origin))
        mask = online_mask & (origins + h < data.n_rows)
        errors.append(
            error_row(
                h, points_of["model"][mask, h - 1], points_of["persistence"][mask, h - 1], actual[mask, h - 1]
            )
        )

    dates = future_dates(data, horizon)
    fan = [
        row
        for name, p in points_of.items()
        for row in fan_rows(name, dates, p[-1], thresholds[name], levels, scale)
    ]
    return HorizonForecast(
        strategy=forecaster.strategy,
        requested=requested or forecaster.strategy,
        horizon=horizon,
        scale=scale,
        levels=tuple(levels),
        source=SOURCES[calibration][0],
        last_date=f"{data.dates[-1]:%Y-%m-%d}",
        last_price=float(data.target[-1]),
        fan=pd.DataFrame(fan),
        errors=pd.DataFrame(errors, columns=list(ERROR_COLUMNS)),
        coverage=coverage_frame(rows),
        messages=tuple(messages),
        calibration=calibration,
        method=method,
        intervals=pd.concat(frames, ignore_index=True),
    )


def forecast_horizon(
    run,
    data: PreparedData,
    *,
    stop=None,
    listener=None,
    levels: tuple[float, ...] = DEFAULT_LEVELS,
    calibration: str = "expanding",
) -> HorizonForecast:
    """The run's forecast at its ``horizon`` knob with its ``forecast_strategy`` (direct when recursive cannot)."""
    config = data.config
    forecaster, messages = make_forecaster(
        run, data, config.horizon, config.forecast_strategy, stop=stop, listener=listener
    )
    return evaluate_forecaster(
        forecaster,
        data,
        levels=levels,
        requested=config.forecast_strategy,
        messages=messages,
        calibration=calibration,
        method=config.interval_method,
    )
