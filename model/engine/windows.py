"""Turn a price table into normalised, chronologically split windows.

Shapes follow the tutorial: X is [windows, time_step, input_size] and Y is
[windows, time_step, 1]. Two target modes:

- ``next_day``: at every step t of a window, the target is the *next* day's value
  (the tutorial's 1-D script: ``y = data[i+1 : i+time_step+1]``).
- ``next_window``: the output sequence is the ``time_step`` days after the window
  (the tutorial's N-D script: ``y = data[i+time_step : i+2*time_step]``).

Unlike the tutorial, which normalises its test set with the test set's own mean and std
(a look-ahead leak), the statistics here come from the training rows only.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.errors import ConfigError, DataError

MIN_TRAIN_WINDOWS = 10
MIN_TEST_WINDOWS = 1


def count_windows(n_rows: int, time_step: int, target_mode: str) -> int:
    """Number of complete (input, target) windows in ``n_rows`` rows."""
    if target_mode == "next_day":
        return max(0, n_rows - time_step)
    return max(0, n_rows - 2 * time_step + 1)


def make_windows(values: np.ndarray, time_step: int) -> np.ndarray:
    """All windows of ``time_step`` consecutive rows: [n_rows - time_step + 1, time_step, ...].

    A strided view (no Python loop, no copy until the caller asks for one); the tutorial
    builds the same thing as a list of lists, copying every value through Python
    (``make bench`` compares the two).
    """
    values = np.asarray(values)
    if values.shape[0] < time_step:
        return np.empty((0, time_step) + values.shape[1:], dtype=values.dtype)
    view = np.lib.stride_tricks.sliding_window_view(values, time_step, axis=0)
    # sliding_window_view puts the window axis last: move it next to the window index.
    return np.moveaxis(view, -1, 1)


def window_targets(target: np.ndarray, time_step: int, target_mode: str) -> np.ndarray:
    """Targets aligned with ``make_windows(features)[:count]``: [count, time_step]."""
    offset = 1 if target_mode == "next_day" else time_step
    return make_windows(target[offset:], time_step)


@dataclass(frozen=True)
class Normaliser:
    """Per-column z-score statistics, fitted on training rows only."""

    feature_mean: np.ndarray
    feature_std: np.ndarray
    target_mean: float
    target_std: float

    @classmethod
    def fit(cls, features: np.ndarray, target: np.ndarray, feature_names=None) -> "Normaliser":
        mean = features.mean(axis=0)
        std = features.std(axis=0)
        flat = np.flatnonzero(std == 0)
        if flat.size:
            names = [feature_names[i] if feature_names is not None else str(i) for i in flat]
            raise DataError(
                "Feature(s) "
                + ", ".join(repr(n) for n in names)
                + " are constant over the training period: the normaliser would divide by zero."
                " Drop them from the features."
            )
        t_std = float(target.std())
        if t_std == 0:
            raise DataError("The target is constant over the training period: nothing to learn.")
        return cls(mean.astype(np.float64), std.astype(np.float64), float(target.mean()), t_std)

    def features(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.feature_mean) / self.feature_std).astype(np.float32)

    def target(self, values: np.ndarray) -> np.ndarray:
        return ((values - self.target_mean) / self.target_std).astype(np.float32)

    def inverse_target(self, values: np.ndarray) -> np.ndarray:
        return np.asarray(values, dtype=np.float64) * self.target_std + self.target_mean

    def to_dict(self) -> dict:
        return {
            "feature_mean": self.feature_mean.tolist(),
            "feature_std": self.feature_std.tolist(),
            "target_mean": self.target_mean,
            "target_std": self.target_std,
        }

    @classmethod
    def from_dict(cls, data: dict) -> "Normaliser":
        return cls(
            np.asarray(data["feature_mean"], dtype=np.float64),
            np.asarray(data["feature_std"], dtype=np.float64),
            float(data["target_mean"]),
            float(data["target_std"]),
        )


@dataclass(frozen=True)
class WindowSet:
    """Normalised windows of one split, plus where each window starts in the price table."""

    x: np.ndarray  # [n, time_step, input_size] float32
    y: np.ndarray  # [n, time_step, 1] float32
    start: np.ndarray  # [n] row index of each window's first input row

    def __len__(self) -> int:
        return int(self.x.shape[0])


@dataclass(frozen=True)
class PreparedData:
    """Everything training and evaluation need, derived from one price table and config."""

    config: LstmConfig
    dates: pd.DatetimeIndex
    features: np.ndarray  # raw feature values [n_rows, input_size]
    target: np.ndarray  # raw target values [n_rows]
    normaliser: Normaliser
    val_start: int  # first row of the validation period
    test_start: int  # first row of the test period
    train: WindowSet
    val: WindowSet
    test: WindowSet

    @property
    def n_rows(self) -> int:
        return int(self.target.shape[0])

    def to_price(self, predicted: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """Normalised network outputs [n, time_step] of the windows at ``starts`` -> price units."""
        anchors = target_anchors(self.target, np.asarray(starts), self.config)
        return self.normaliser.inverse_target(predicted) + anchors

    def latest_window(self) -> np.ndarray:
        """The last ``time_step`` rows, normalised: the input for a forecast past the last date."""
        t = self.config.time_step
        return self.normaliser.features(self.features[-t:])[None, :, :]


def target_anchors(target: np.ndarray, starts: np.ndarray, config: LstmConfig) -> np.ndarray:
    """For target_as="change", the value each output step's target is measured from: [n, time_step].

    Next day: step s of a window predicts the move from day start+s to the next day. Next
    window: every step predicts the move from the window's last known day. Always a value the
    forecaster knows when it predicts, so no look-ahead.
    """
    t = config.time_step
    if config.target_as == "price":
        return np.zeros((len(starts), t))
    if config.target_mode == "next_day":
        return target[starts[:, None] + np.arange(t)[None, :]]
    return np.repeat(target[starts + t - 1][:, None], t, axis=1)


def split_rows(n_rows: int, config: LstmConfig) -> tuple[int, int]:
    """Row indices where validation and test periods start (chronological split)."""
    test_start = int(round(n_rows * (1.0 - config.test_fraction)))
    val_start = int(round(test_start * (1.0 - config.val_fraction)))
    return val_start, test_start


def check_columns(frame: pd.DataFrame, config: LstmConfig) -> None:
    missing = [c for c in (*config.features, config.target) if c not in frame.columns]
    if missing:
        raise ConfigError(
            "Column(s) " + ", ".join(repr(c) for c in missing) + " are not in the data."
            " Available: " + ", ".join(map(str, frame.columns)) + "."
        )


def split_masks(n_rows: int, config: LstmConfig, time_step: int | None = None):
    """Window starts and which split each window belongs to: (starts, in_train, in_val, in_test).

    A window's last target row decides its split, so no training target lies in the
    validation or test period. Inputs of test windows may reach back into earlier periods:
    that is data the forecaster would have had.
    """
    t = config.time_step if time_step is None else time_step
    reach = t - 1 + (1 if config.target_mode == "next_day" else t)
    val_start, test_start = split_rows(n_rows, config)
    starts = np.arange(count_windows(n_rows, t, config.target_mode))
    last_target_row = starts + reach
    in_train = last_target_row < val_start
    in_test = last_target_row >= test_start
    return starts, in_train, ~in_train & ~in_test, in_test


def feature_and_target_arrays(frame: pd.DataFrame, config: LstmConfig) -> tuple[np.ndarray, np.ndarray]:
    """The config's feature columns and target column as float arrays (``DataError`` on gaps)."""
    features = frame.loc[:, list(config.features)].to_numpy(dtype=np.float64)
    target = frame[config.target].to_numpy(dtype=np.float64)
    if not np.isfinite(features).all() or not np.isfinite(target).all():
        raise DataError("The chosen columns contain missing or infinite values.")
    return features, target


def training_normaliser(frame: pd.DataFrame, config: LstmConfig) -> Normaliser:
    """Statistics of the training rows (price target), the same rows ``prepare_data`` fits on."""
    features, target = feature_and_target_arrays(frame, config)
    val_start, _ = split_rows(len(target), config)
    return Normaliser.fit(features[:val_start], target[:val_start], config.features)


def check_trainable(frame: pd.DataFrame, config: LstmConfig) -> None:
    """Raise the first reason ``config`` cannot train on ``frame`` (a LensError); cheap, no windowing.

    The Train page calls it on every knob change; ``prepare_data`` calls it first.
    """
    config.validate()
    check_columns(frame, config)
    n_rows = len(frame)
    counts = window_counts(n_rows, config)
    if counts["train"] < MIN_TRAIN_WINDOWS or counts["test"] < MIN_TEST_WINDOWS:
        best = max_time_step(n_rows, config)
        mode = config.target_mode.replace("_", " ")
        fix = f"Lower time_step to at most {best}, load more data" if best >= 2 else "Load more data"
        raise DataError(
            f"Too few rows for time_step {config.time_step}: {n_rows:,} rows ({mode}) leave "
            f"{counts['train']} training and {counts['test']} test windows; at least {MIN_TRAIN_WINDOWS} "
            f"and {MIN_TEST_WINDOWS} are needed. {fix} or lower the test share."
        )
    training_normaliser(frame, config)  # refuses missing values and columns constant in training


def prepare_data(frame: pd.DataFrame, config: LstmConfig) -> PreparedData:
    """Split, normalise (train statistics only) and window a validated price table."""
    check_trainable(frame, config)
    features, target = feature_and_target_arrays(frame, config)
    n_rows, t = len(target), config.time_step
    val_start, test_start = split_rows(n_rows, config)
    starts, in_train, in_val, in_test = split_masks(n_rows, config)

    y_raw = window_targets(target, t, config.target_mode)[: len(starts)] - target_anchors(
        target, starts, config
    )
    # Target statistics from training data only: training rows for prices, training windows'
    # moves for changes (the moves are what the network outputs).
    target_fit = target[:val_start] if config.target_as == "price" else y_raw[in_train].ravel()
    normaliser = Normaliser.fit(features[:val_start], target_fit, config.features)
    x_all = make_windows(normaliser.features(features), t)[: len(starts)]
    y_all = normaliser.target(y_raw)

    def subset(mask: np.ndarray) -> WindowSet:
        # Copies make each split contiguous: tf.data and XLA want plain arrays, not views.
        return WindowSet(
            np.ascontiguousarray(x_all[mask]),
            np.ascontiguousarray(y_all[mask])[..., None],
            starts[mask],
        )

    return PreparedData(
        config=config,
        dates=pd.DatetimeIndex(frame.index),
        features=features,
        target=target,
        normaliser=normaliser,
        val_start=val_start,
        test_start=test_start,
        train=subset(in_train),
        val=subset(in_val),
        test=subset(in_test),
    )


def max_time_step(n_rows: int, config: LstmConfig) -> int:
    """Largest time_step that still leaves enough train and test windows (0 if none does)."""
    best = 0
    for t in range(2, 366):
        starts, in_train, _, in_test = split_masks(n_rows, config, t)
        if in_train.sum() >= MIN_TRAIN_WINDOWS and in_test.sum() >= MIN_TEST_WINDOWS:
            best = t
        elif len(starts) == 0:
            break
    return best


def window_counts(n_rows: int, config: LstmConfig) -> dict[str, int]:
    """Train/validation/test window counts for a row count, without touching the data (for the UI)."""
    _, in_train, in_val, in_test = split_masks(n_rows, config)
    return {"train": int(in_train.sum()), "val": int(in_val.sum()), "test": int(in_test.sum())}
