"""Forecast several business days past the data: two strategies, one out-of-sample evaluation.

- **recursive**: the run's one-day model fed its own predictions, day after day. Each step needs
  every input feature's next value, which is only known when every feature derives from the
  target (the target itself, and ``change`` = close's daily change when the target is close).
  ``recursive_problem`` says why it does not apply otherwise.
- **direct**: a second network, the run's architecture with one output per horizon day, each
  trained for its day (the target h days after each step, as a change from the step's own day
  or as a level, like the run's ``target_as``). Works with any features. At horizon 1 it is the
  run's own network trained on the same windows, so both strategies agree there.

Both produce paths: from every origin (a last known row) the predictions 1..H days ahead, in
price units. Paths from origins whose target lies in the validation period calibrate the
conformal bands (``model.forecast.conformal``); paths from origins in the test period measure
their coverage and the error per horizon (``model.forecast.coverage``); the path from the last
row is the forecast past the data. Persistence (every future day = the last known price) gets
the same bands and the same coverage, so both fans are comparable. By default the calibration
expands: each test origin's band also uses the test-period residuals already known at that
origin, and the fan past the data uses every out-of-sample residual (``CALIBRATIONS``); a calm
validation period otherwise gives bands too narrow for a more volatile test period (GOOG:
``make bench``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.engine.windows import MIN_TRAIN_WINDOWS, PreparedData, WindowSet, make_windows
from model.errors import LensError
from model.forecast import conformal
from model.forecast.conformal import DEFAULT_LEVELS, level_name

# Features a recursive step can compute from the target's predicted path: feature -> target it derives from.
DERIVED_FEATURES = {"change": "close"}
ERROR_COLUMNS = ("horizon", "model_rmse", "persistence_rmse", "skill", "tested")
# How the bands are calibrated. "validation": on the validation period's residuals only, fixed
# through the test period. "expanding": the validation period's residuals plus every test-period
# residual already known at the forecast's origin (a forecaster that keeps calibrating on its own
# past errors; no look-ahead); the fan past the data then uses every out-of-sample residual.
CALIBRATIONS = ("expanding", "validation")
SOURCES = {
    "validation": ("validation period", "validation period"),
    "expanding": ("validation period, then each test day's known residuals", "validation and test periods"),
}
FORECASTERS = ("model", "persistence")


def recursive_problem(config: LstmConfig) -> str | None:
    """Why the recursive strategy cannot run with this config, or None when it can."""
    if config.target_mode != "next_day":
        return (
            "Recursive needs the one-day model (target mode Next day); this run predicts the next window, "
            "so the forecast is direct."
        )
    unknown = [f for f in config.features if f != config.target and DERIVED_FEATURES.get(f) != config.target]
    if unknown:
        return (
            "Recursive feeds the model its own predictions, so it needs every input feature's future; "
            f"{', '.join(unknown)} do(es) not derive from the target {config.target!r}, so their future is "
            "unknown. The forecast is direct (one network output per horizon day). Recursive applies when "
            f"the features are {config.target!r}" + (" and change." if config.target == "close" else ".")
        )
    return None


def forecast_limits(n_rows: int, config: LstmConfig, levels: tuple[float, ...] = DEFAULT_LEVELS) -> list[str]:
    """What the ``horizon`` knob will run into on ``n_rows`` rows, before training (no data needed).

    The same limits the forecast itself reports afterwards: too few training windows for the
    direct network, fewer validation residuals than a level needs, a test period shorter than
    the horizon.
    """
    from model.engine.windows import split_rows

    horizon, t = config.horizon, config.time_step
    val_start, test_start = split_rows(n_rows, config)
    notes = []
    if config.forecast_strategy == "direct" or recursive_problem(config) is not None:
        windows = max(0, min(n_rows, val_start) - t - horizon + 1)
        if windows < MIN_TRAIN_WINDOWS:
            notes.append(
                f"Horizon {horizon} leaves {windows} training windows for the direct network; at least "
                f"{MIN_TRAIN_WINDOWS} are needed, so there will be no forecast. Lower the horizon or time_step, "
                "or load more data."
            )
    residuals = test_start - val_start
    for level in levels:
        need = conformal.min_residuals(level)
        if residuals < need:
            notes.append(
                f"The {level_name(level)}% interval needs at least {need} validation residuals per horizon; "
                f"the validation period has {residuals} rows. Raise the validation share for it."
            )
    if horizon > n_rows - test_start:
        notes.append(
            f"The horizon {horizon} is longer than the test period ({n_rows - test_start} rows): errors and "
            f"coverage will be measured up to horizon {n_rows - test_start} only."
        )
    return notes


def origin_range(data: PreparedData) -> np.ndarray:
    """Every origin (last known row) whose paths the evaluation uses, ending with the last row."""
    first = max(data.config.time_step - 1, 0)
    return np.arange(first, data.n_rows)


class RecursiveForecaster:
    """The run's one-day model, fed its own predictions."""

    strategy = "recursive"

    def __init__(self, run, horizon: int):
        self.run, self.horizon = run, horizon

    def paths(self, data: PreparedData, origins: np.ndarray) -> np.ndarray:
        """Predicted prices [len(origins), horizon] from each origin."""
        config, t = data.config, data.config.time_step
        rows = origins[:, None] + np.arange(-t + 1, 1)[None, :]
        window = data.features[rows].copy()  # raw features [n, t, F]
        last = data.target[origins].copy()
        out = np.empty((len(origins), self.horizon))
        columns = list(config.features)
        for h in range(self.horizon):
            normalised = self.run.predict(data.normaliser.features(window))[:, -1, 0]
            price = data.normaliser.inverse_target(normalised)
            if config.target_as == "change":
                price = price + last
            out[:, h] = price
            new = np.empty((len(origins), len(columns)))
            for j, name in enumerate(columns):
                if name == config.target:
                    new[:, j] = price
                else:  # "change" of close: the fraction close moved from the day before
                    with np.errstate(divide="ignore", invalid="ignore"):
                        new[:, j] = np.where(last != 0, price / last - 1.0, 0.0)
            window = np.concatenate([window[:, 1:], new[:, None, :]], axis=1)
            last = price
        return out


@dataclass
class DirectForecaster:
    """A network with one output per horizon day, and the statistics its targets were scaled with."""

    run: Any  # model.engine.training.TrainedRun
    horizon: int
    target_mean: np.ndarray  # [horizon]
    target_std: np.ndarray  # [horizon]
    strategy: str = "direct"

    def paths(self, data: PreparedData, origins: np.ndarray) -> np.ndarray:
        t = data.config.time_step
        x = make_windows(data.normaliser.features(data.features), t)[origins - t + 1]
        out = self.run.predict(x)[:, -1, :].astype(np.float64) * self.target_std + self.target_mean
        if data.config.target_as == "change":
            out = out + data.target[origins][:, None]
        return out


def direct_targets(data: PreparedData, horizon: int) -> np.ndarray:
    """Raw targets [rows, horizon]: row r's value h days later, as a change from row r or as a level."""
    target = data.target
    n_rows = data.n_rows - horizon
    later = np.stack([target[h : h + n_rows] for h in range(1, horizon + 1)], axis=1)
    if data.config.target_as == "change":
        later = later - target[:n_rows, None]
    return later


def direct_data(data: PreparedData, horizon: int) -> tuple[PreparedData, np.ndarray, np.ndarray]:
    """The run's prepared data with direct multi-day targets: Y [windows, time_step, horizon].

    A window's split is decided by its last target row (the last step's day + horizon), as in
    ``split_masks``; targets are scaled per horizon day with training-window statistics (price
    targets: the training rows' level statistics, as the run's own normaliser).
    """
    t = data.config.time_step
    raw = direct_targets(data, horizon)
    y_all = make_windows(raw, t)  # [windows, t, horizon]
    starts = np.arange(len(y_all))
    last_target_row = starts + t - 1 + horizon
    in_train = last_target_row < data.val_start
    in_test = last_target_row >= data.test_start
    in_val = ~in_train & ~in_test
    if int(in_train.sum()) < MIN_TRAIN_WINDOWS:
        raise HorizonError(
            f"Horizon {horizon} leaves {int(in_train.sum())} training windows for the direct network; at least "
            f"{MIN_TRAIN_WINDOWS} are needed. Lower the horizon or time_step, or load more data."
        )
    if data.config.target_as == "change":
        fit = y_all[in_train].reshape(-1, horizon)
        mean, std = fit.mean(axis=0), fit.std(axis=0)
    else:
        level = data.target[: data.val_start]
        mean, std = np.full(horizon, level.mean()), np.full(horizon, level.std())
    std = np.where(std > 0, std, 1.0)
    x_all = make_windows(data.normaliser.features(data.features), t)[: len(y_all)]
    y_norm = ((y_all - mean) / std).astype(np.float32)

    def subset(mask: np.ndarray) -> WindowSet:
        return WindowSet(np.ascontiguousarray(x_all[mask]), np.ascontiguousarray(y_norm[mask]), starts[mask])

    prepared = dataclasses.replace(data, train=subset(in_train), val=subset(in_val), test=subset(in_test))
    return prepared, mean.astype(np.float64), std.astype(np.float64)


def train_direct(data: PreparedData, horizon: int, *, stop=None, listener=None) -> DirectForecaster:
    """Train the direct network (the run's architecture and seed, ``horizon`` outputs)."""
    from model.engine.network import build_network
    from model.engine.training import train_network

    prepared, mean, std = direct_data(data, horizon)
    run = train_network(
        prepared, model=build_network(data.config, outputs=horizon), stop=stop, listener=listener
    )
    return DirectForecaster(run, horizon, mean, std)


class HorizonError(LensError):
    """A forecast that cannot be made; the message names the limit."""


def future_dates(data: PreparedData, horizon: int) -> pd.DatetimeIndex:
    """Business days after the last date (weekends skipped; weekly data keeps its spacing)."""
    from model.engine.evaluation import business_days_after

    return business_days_after(data.dates[-1], horizon, data.dates)


def make_forecaster(run, data: PreparedData, horizon: int, strategy: str, *, stop=None, listener=None):
    """(forecaster, messages): the strategy asked for when it applies, else direct with the reason.

    ``stop`` and ``listener`` go to the direct network's training, as ``train_network``'s do.
    """
    messages: list[str] = []
    if strategy == "recursive":
        problem = recursive_problem(data.config)
        if problem is None:
            return RecursiveForecaster(run, horizon), messages
        messages.append(problem)
    return train_direct(data, horizon, stop=stop, listener=listener), messages
