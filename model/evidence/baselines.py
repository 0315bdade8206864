"""The baseline ladder, scored on exactly the test points the model is scored on.

A *test point* is one (window, step) the evaluation scores: in next-day mode the last step of
every test window (a one-day-ahead forecast), in next-window mode all ``time_step`` steps of
every test window. Every baseline predicts a point from data its forecaster would have had
(rows up to the window's last input row) plus parameters fitted on the fold's training rows only.

- persistence: the last known value.
- drift: the last known value plus ``step`` times the mean one-row move of the training rows.
- mean_last: the mean of the last ``time_step`` known values.
- ridge: a linear model on the same normalised windows and features as the network, closed form,
  fitted on the training windows (its penalty chosen on the validation windows).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from model.engine.windows import PreparedData, WindowSet

BASELINES = ("persistence", "drift", "mean_last", "ridge")
BASELINE_LABELS = {
    "persistence": "Persistence (last value)",
    "drift": "Drift (last value + mean training move)",
    "mean_last": "Mean of the last time_step values",
    "ridge": "Ridge on the same windows",
}
RIDGE_PENALTIES = (0.01, 0.1, 1.0, 10.0, 100.0)


@dataclass(frozen=True)
class ScoredPoints:
    """The scored points of a split, in the evaluation's order (window-major, then step)."""

    window: np.ndarray  # window number within the split, 0-based
    step: np.ndarray  # steps ahead, 1-based
    origin: np.ndarray  # row of the last known value
    row: np.ndarray  # row of the predicted value
    actual: np.ndarray

    def __len__(self) -> int:
        return int(self.row.shape[0])


def scored_points(data: PreparedData, windows: WindowSet | None = None) -> ScoredPoints:
    windows = data.test if windows is None else windows
    t = data.config.time_step
    if data.config.target_mode == "next_day":
        origin = windows.start + t - 1
        row, step, window = origin + 1, np.ones(len(windows), dtype=int), np.arange(len(windows))
    else:
        origin = np.repeat(windows.start + t - 1, t)
        row = (windows.start[:, None] + t + np.arange(t)[None, :]).ravel()
        step = np.tile(np.arange(1, t + 1), len(windows))
        window = np.repeat(np.arange(len(windows)), t)
    return ScoredPoints(window, step, origin, row, data.target[row])


def model_points(
    data: PreparedData, predicted_windows: np.ndarray, windows: WindowSet | None = None
) -> np.ndarray:
    """A network's normalised outputs [n, time_step] of the test windows -> price at each test point."""
    windows = data.test if windows is None else windows
    price = data.to_price(np.asarray(predicted_windows), windows.start)
    return price[:, -1] if data.config.target_mode == "next_day" else price.ravel()


@dataclass(frozen=True)
class Ridge:
    """Closed-form ridge on flattened windows (intercept unpenalised), multi-output."""

    coef: np.ndarray  # [features + 1, outputs]
    penalty: float

    @staticmethod
    def design(x: np.ndarray) -> np.ndarray:
        flat = np.asarray(x, dtype=np.float64).reshape(len(x), -1)
        return np.hstack([np.ones((len(flat), 1)), flat])

    @classmethod
    def fit(cls, x: np.ndarray, y: np.ndarray, penalty: float) -> "Ridge":
        a = cls.design(x)
        eye = np.eye(a.shape[1]) * penalty
        eye[0, 0] = 0.0
        coef = np.linalg.solve(a.T @ a + eye, a.T @ np.asarray(y, dtype=np.float64))
        return cls(coef, penalty)

    def predict(self, x: np.ndarray) -> np.ndarray:
        return self.design(x) @ self.coef


def fit_ridge(data: PreparedData) -> Ridge:
    """Ridge on the training windows; the penalty with the lowest validation error (or 1.0 without one)."""
    y_train = data.train.y[..., 0]
    if len(data.val) == 0:
        return Ridge.fit(data.train.x, y_train, 1.0)
    best = None
    for penalty in RIDGE_PENALTIES:
        model = Ridge.fit(data.train.x, y_train, penalty)
        err = float(np.mean((model.predict(data.val.x)[:, -1] - data.val.y[:, -1, 0]) ** 2))
        if best is None or err < best[0]:
            best = (err, model)
    return best[1]


@dataclass(frozen=True)
class Ladder:
    """Each baseline's prediction at every test point (None where it cannot apply, with the reason)."""

    predictions: dict[str, np.ndarray | None]
    notes: dict[str, str] = field(default_factory=dict)
    drift_per_row: float = 0.0
    ridge_penalty: float | None = None


def baseline_ladder(data: PreparedData, windows: WindowSet | None = None) -> Ladder:
    """The ladder's predictions at the test points of ``windows`` (the test split by default)."""
    windows = data.test if windows is None else windows
    points = scored_points(data, windows)
    target, t = data.target, data.config.time_step
    train_rows = target[: data.val_start]
    drift = float(np.mean(np.diff(train_rows))) if len(train_rows) > 1 else 0.0
    last = target[points.origin]
    history = target[points.origin[:, None] - np.arange(t)[None, :]]
    predictions: dict[str, np.ndarray | None] = {
        "persistence": last.copy(),
        "drift": last + drift * points.step,
        "mean_last": history.mean(axis=1),
    }
    notes: dict[str, str] = {}
    penalty = None
    if len(data.train) < 2:
        predictions["ridge"] = None
        notes["ridge"] = f"Ridge needs at least 2 training windows; this fold has {len(data.train)}."
    else:
        ridge = fit_ridge(data)
        penalty = ridge.penalty
        predictions["ridge"] = (
            model_points(data, ridge.predict(windows.x), windows) if len(windows) else np.empty(0)
        )
    if data.config.target_mode == "next_window":
        notes["mean_last"] = (
            "Next-window targets: the mean of the last time_step values is repeated for every step."
        )
        notes["drift"] = "Next-window targets: step h adds h times the mean training move."
    return Ladder(predictions, notes, drift, penalty)
