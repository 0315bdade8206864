"""Walk-forward (expanding-window) folds over a price table's chronological rows.

The last ``span`` share of the rows is cut into ``k`` consecutive test periods. Fold i trains on
every row before its validation slice, validates on the slice just before its test period (the
same share of the preceding rows as the single split's ``val_fraction``) and is tested on its own
period; its normaliser sees its training rows only. Folds are defined on *target* rows: a test
window's scored target lies in the fold's test period; a training window's every target lies
before the validation slice (inputs of later windows may reach back, as a forecaster would).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.engine.windows import (
    MIN_TRAIN_WINDOWS,
    Normaliser,
    PreparedData,
    WindowSet,
    check_columns,
    count_windows,
    feature_and_target_arrays,
    make_windows,
    target_anchors,
    window_targets,
)
from model.errors import DataError

DEFAULT_FOLDS = 5
DEFAULT_SPAN = 0.4  # share of the rows the test periods cover, together
# Fewer scored test rows than this per fold and a fold's loss is too noisy to count as evidence.
MIN_FOLD_ROWS = 20
FOLD_MODES = ("refit", "warm")


@dataclass(frozen=True)
class Fold:
    """One fold's row boundaries (half-open): train [0, val_start), val [val_start, test_start),
    test [test_start, test_end)."""

    index: int  # 0-based
    val_start: int
    test_start: int
    test_end: int

    @property
    def test_rows(self) -> int:
        return self.test_end - self.test_start

    def to_dict(self) -> dict:
        return asdict(self)


def reach(config: LstmConfig, time_step: int | None = None) -> int:
    """Rows from a window's first input row to its last target row."""
    t = config.time_step if time_step is None else time_step
    return t - 1 + (1 if config.target_mode == "next_day" else t)


def _boundaries(n_rows: int, k: int, span: float, val_fraction: float) -> list[Fold]:
    first_test = int(round(n_rows * (1.0 - span)))
    size = (n_rows - first_test) // k
    first_test = n_rows - size * k  # every fold the same size; the remainder goes to training
    folds = []
    for i in range(k):
        test_start = first_test + i * size
        val_start = int(round(test_start * (1.0 - val_fraction)))
        folds.append(Fold(i, val_start, test_start, test_start + size))
    return folds


def _problem(n_rows: int, config: LstmConfig, k: int, span: float) -> str | None:
    """Why ``k`` folds do not fit ``n_rows`` rows, or None."""
    if k < 1:
        return "The number of folds must be at least 1."
    folds = _boundaries(n_rows, k, span, config.val_fraction)
    if folds[0].test_rows < MIN_FOLD_ROWS:
        return f"each fold needs at least {MIN_FOLD_ROWS} test rows, but {k} folds over the last {span:.0%} leave {folds[0].test_rows}"
    train_windows = max(0, folds[0].val_start - reach(config))
    if train_windows < MIN_TRAIN_WINDOWS:
        return (
            f"the first fold trains on rows before {folds[0].val_start}, which leave {train_windows} training "
            f"windows of time_step {config.time_step}; at least {MIN_TRAIN_WINDOWS} are needed"
        )
    return None


def max_folds(n_rows: int, config: LstmConfig, span: float = DEFAULT_SPAN) -> int:
    """The largest number of folds ``n_rows`` rows allow (0 if not even one fits)."""
    best = 0
    for k in range(1, max(1, n_rows // MIN_FOLD_ROWS) + 1):
        if _problem(n_rows, config, k, span) is None:
            best = k
    return best


def fold_boundaries(
    n_rows: int, config: LstmConfig, k: int = DEFAULT_FOLDS, span: float = DEFAULT_SPAN
) -> list[Fold]:
    """``k`` expanding-window folds over ``n_rows`` rows; a DataError says why they do not fit."""
    if not 0.0 < span < 1.0:
        raise DataError(f"The folds' span must be a share between 0 and 1, not {span}.")
    problem = _problem(n_rows, config, k, span)
    if problem is not None:
        best = max_folds(n_rows, config, span)
        fix = f"Use at most {best} folds" if best else "Load more data or lower time_step"
        raise DataError(
            f"Too few rows for {k} walk-forward folds: {n_rows:,} rows, and {problem}. Each fold needs at "
            f"least {MIN_FOLD_ROWS} test rows (so {k} folds need about {int(np.ceil(k * MIN_FOLD_ROWS / span)):,} rows). "
            f"{fix}."
        )
    return _boundaries(n_rows, k, span, config.val_fraction)


def prepare_fold(frame: pd.DataFrame, config: LstmConfig, fold: Fold) -> PreparedData:
    """Windows of one fold, like ``model.engine.windows.prepare_data`` but on the fold's rows.

    Rows at or after ``fold.test_end`` are cut off first, so nothing later than the fold can reach
    it; the normaliser is fitted on rows before ``fold.val_start`` (training windows' moves for a
    change target), never on validation or test rows.
    """
    config.validate()
    check_columns(frame, config)
    frame = frame.iloc[: fold.test_end]
    features, target = feature_and_target_arrays(frame, config)
    n_rows, t = len(target), config.time_step
    starts = np.arange(count_windows(n_rows, t, config.target_mode))
    last_target_row = starts + reach(config)
    in_train = last_target_row < fold.val_start
    in_test = last_target_row >= fold.test_start
    in_val = ~in_train & ~in_test
    y_raw = window_targets(target, t, config.target_mode)[: len(starts)] - target_anchors(
        target, starts, config
    )
    target_fit = target[: fold.val_start] if config.target_as == "price" else y_raw[in_train].ravel()
    normaliser = Normaliser.fit(features[: fold.val_start], target_fit, config.features)
    x_all = make_windows(normaliser.features(features), t)[: len(starts)]
    y_all = normaliser.target(y_raw)

    def subset(mask: np.ndarray) -> WindowSet:
        return WindowSet(
            np.ascontiguousarray(x_all[mask]), np.ascontiguousarray(y_all[mask])[..., None], starts[mask]
        )

    return PreparedData(
        config=config,
        dates=pd.DatetimeIndex(frame.index),
        features=features,
        target=target,
        normaliser=normaliser,
        val_start=fold.val_start,
        test_start=fold.test_start,
        train=subset(in_train),
        val=subset(in_val),
        test=subset(in_test),
    )
