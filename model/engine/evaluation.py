"""Honest evaluation in price units: the model against the naive persistence baseline.

Every prediction is made from inputs that end before the day it predicts (the windows are
causal and normalised with training statistics only), and each test day is scored once.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.training import TrainedRun
from model.engine.windows import PreparedData, WindowSet

METRIC_COLUMNS = ("RMSE", "MAE", "MAPE %", "Direction %", "Skill")


@dataclass(frozen=True)
class Evaluation:
    """Predictions and metrics of one trained run on one prepared data set."""

    predictions: (
        pd.DataFrame
    )  # one row per (window, step): split, window, step, date, origin, actual, predicted, baseline
    metrics: pd.DataFrame  # index model / persistence; columns METRIC_COLUMNS (test split)
    forecast: pd.DataFrame  # date, predicted: beyond the last date in the data
    target_mode: str
    notes: tuple[str, ...] = ()  # why a metric is missing (e.g. MAPE on zero or negative prices)

    def split(self, name: str) -> pd.DataFrame:
        return self.predictions[self.predictions["split"] == name]

    def window(self, number: int) -> pd.DataFrame:
        """One test window's forecast (next-window mode), for the Results page's slider."""
        test = self.split("test")
        return test[test["window"] == number]

    def rmse_by_step(self) -> pd.DataFrame:
        """Test RMSE of the model and of persistence for each step ahead (index: step 1..horizon)."""
        test = self.split("test")
        errors = pd.DataFrame(
            {
                "step": test["step"],
                "model": (test["predicted"] - test["actual"]) ** 2,
                "persistence": (test["baseline"] - test["actual"]) ** 2,
            }
        )
        return errors.groupby("step")[["model", "persistence"]].mean() ** 0.5

    @property
    def test_windows(self) -> int:
        return int(self.split("test")["window"].nunique())


def business_days_after(last: pd.Timestamp, count: int, dates: pd.DatetimeIndex) -> pd.DatetimeIndex:
    """Future dates for a forecast: the data's own spacing (weekly data stays weekly)."""
    step = pd.Series(dates).diff().median() if len(dates) > 1 else pd.Timedelta(days=1)
    if pd.isna(step) or step <= pd.Timedelta(days=1):
        return pd.bdate_range(last + pd.Timedelta(days=1), periods=count)
    return pd.DatetimeIndex([last + step * (k + 1) for k in range(count)])


def split_frame(run: TrainedRun, data: PreparedData, windows: WindowSet, split: str) -> pd.DataFrame:
    """One row per predicted step of ``windows`` (split, date, actual, predicted, baseline), in price units."""
    config = data.config
    t = config.time_step
    if len(windows) == 0:
        return pd.DataFrame(
            columns=["split", "window", "step", "date", "origin", "actual", "predicted", "baseline"]
        )
    pred = data.to_price(run.predict(windows.x)[..., 0], windows.start)  # [n, t] in price units
    if config.target_mode == "next_day":
        # Score only the last step: the one-day-ahead forecast made with a full window of context.
        origin = windows.start + t - 1  # last input row; predicts row origin + 1
        target_rows = origin + 1
        predicted = pred[:, -1]
        steps = np.ones(len(windows), dtype=int)
        window_ids = np.arange(len(windows))
    else:
        origin = np.repeat(windows.start + t - 1, t)
        target_rows = (windows.start[:, None] + t + np.arange(t)[None, :]).ravel()
        predicted = pred.ravel()
        steps = np.tile(np.arange(1, t + 1), len(windows))
        window_ids = np.repeat(np.arange(len(windows)), t)
    return pd.DataFrame(
        {
            "split": split,
            "window": window_ids,
            "step": steps,
            "date": data.dates[target_rows],
            "origin": data.dates[origin],
            "last_known": data.target[origin],
            "actual": data.target[target_rows],
            "predicted": predicted,
            # Persistence: tomorrow (or every day of the next window) equals the last known value.
            "baseline": data.target[origin],
        }
    )


def mape_undefined_reason(actual: np.ndarray) -> str | None:
    """Why MAPE cannot be computed on these actual values, or None when it can.

    A percentage error divides by the actual value: zero gives infinity and a negative price
    flips the meaning, so MAPE is left out (NaN) rather than shown as inf or a misleading number.
    """
    actual = np.asarray(actual, dtype="float64")
    if actual.size == 0:
        return "MAPE is undefined: there are no test values."
    non_positive = int((actual <= 0).sum())
    if non_positive:
        return (
            f"MAPE is undefined: {non_positive} of {actual.size} actual test values are zero or negative, "
            "and a percentage of a zero or negative price has no meaning."
        )
    return None


def score(actual: np.ndarray, predicted: np.ndarray, last_known: np.ndarray) -> dict[str, float]:
    """RMSE, MAE, MAPE and directional accuracy of one forecast against the actual values.

    MAPE is NaN when ``mape_undefined_reason`` gives a reason (zero or negative actual values).
    """
    err = predicted - actual
    rmse = float(np.sqrt(np.mean(err**2)))
    mae = float(np.mean(np.abs(err)))
    mape = float("nan")
    if mape_undefined_reason(actual) is None:
        with np.errstate(over="ignore", divide="ignore", invalid="ignore"):
            mape = float(np.mean(np.abs(err / actual)) * 100)
        mape = mape if np.isfinite(mape) else float("nan")
    predicted_move = np.sign(predicted - last_known)
    actual_move = np.sign(actual - last_known)
    # A forecast that predicts no move (persistence) has no direction to be right about.
    if np.all(predicted_move == 0):
        direction = float("nan")
    else:
        direction = float(np.mean(predicted_move == actual_move) * 100)
    return {"RMSE": rmse, "MAE": mae, "MAPE %": mape, "Direction %": direction}


def metrics_table(frame: pd.DataFrame) -> pd.DataFrame:
    actual, last = frame["actual"].to_numpy(), frame["last_known"].to_numpy()
    model = score(actual, frame["predicted"].to_numpy(), last)
    base = score(actual, frame["baseline"].to_numpy(), last)
    model["Skill"] = 1.0 - model["RMSE"] / base["RMSE"] if base["RMSE"] > 0 else float("nan")
    base["Skill"] = 0.0
    return pd.DataFrame([model, base], index=pd.Index(["model", "persistence"], name="forecast"))[
        list(METRIC_COLUMNS)
    ]


def evaluate(run: TrainedRun, data: PreparedData) -> Evaluation:
    """Predict every split in price units, score the test split and forecast past the last date."""
    frames = [
        split_frame(run, data, data.train, "train"),
        split_frame(run, data, data.val, "val"),
        split_frame(run, data, data.test, "test"),
    ]
    predictions = pd.concat([f for f in frames if len(f)], ignore_index=True)
    metrics = metrics_table(predictions[predictions["split"] == "test"])

    latest_start = np.array([data.n_rows - data.config.time_step])
    latest = data.to_price(run.predict(data.latest_window())[..., 0], latest_start)[0]
    horizon = 1 if data.config.target_mode == "next_day" else data.config.time_step
    future = latest[-1:] if data.config.target_mode == "next_day" else latest
    forecast = pd.DataFrame(
        {"date": business_days_after(data.dates[-1], horizon, data.dates), "predicted": future}
    )
    reason = mape_undefined_reason(predictions.loc[predictions["split"] == "test", "actual"].to_numpy())
    return Evaluation(
        predictions=predictions,
        metrics=metrics,
        forecast=forecast,
        target_mode=data.config.target_mode,
        notes=(reason,) if reason else (),
    )
