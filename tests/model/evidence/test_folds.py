"""Fold boundaries never leak; too few rows say what is needed; baselines see training rows only."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.engine.config import LstmConfig
from model.errors import DataError
from model.evidence.baselines import baseline_ladder, fit_ridge, scored_points
from model.evidence.folds import MIN_FOLD_ROWS, fold_boundaries, max_folds, prepare_fold
from tests.model.evidence.helpers import random_walk, row_frame


def _config(time_step: int, mode: str, target_as: str = "change") -> LstmConfig:
    return LstmConfig(
        features=("close", "other"),
        target="close",
        time_step=time_step,
        target_mode=mode,
        target_as=target_as,
    )


@settings(max_examples=60, deadline=None)
@given(
    rows=st.integers(120, 1500),
    k=st.integers(1, 8),
    time_step=st.integers(2, 30),
    mode=st.sampled_from(["next_day", "next_window"]),
    target_as=st.sampled_from(["change", "price"]),
)
def test_folds_never_leak(rows, k, time_step, mode, target_as):
    config = _config(time_step, mode, target_as)
    frame = row_frame(rows)
    try:
        folds = fold_boundaries(rows, config, k)
    except DataError as exc:
        best = max_folds(rows, config)
        assert best < k
        assert f"at least {MIN_FOLD_ROWS} test rows" in str(exc)
        assert (f"at most {best} folds" in str(exc)) if best else ("Load more data" in str(exc))
        return
    assert max_folds(rows, config) >= k
    assert folds[-1].test_end == rows
    for before, after in zip(folds, folds[1:]):
        assert before.test_end == after.test_start  # consecutive, disjoint test periods
    reach = time_step - 1 + (1 if mode == "next_day" else time_step)
    for fold in folds:
        data = prepare_fold(frame, config, fold)
        # Every training window's rows (inputs and targets) lie before the validation slice,
        # every validation window's before the test period.
        assert (data.train.start + reach < fold.val_start).all()
        assert (data.val.start + reach < fold.test_start).all()
        points = scored_points(data)
        assert (points.row < fold.test_end).all()
        assert ((points.row >= fold.test_start) | (mode == "next_window")).all()
        assert len(data.test) == fold.test_rows
        # Changing every row from the test period on changes nothing the fold learns from.
        changed = frame.copy()
        changed.iloc[fold.test_start :] = changed.iloc[fold.test_start :].to_numpy() * 3.0 + 7.0
        other = prepare_fold(changed, config, fold)
        np.testing.assert_array_equal(data.train.x, other.train.x)
        np.testing.assert_array_equal(data.train.y, other.train.y)
        np.testing.assert_array_equal(data.val.x, other.val.x)
        np.testing.assert_array_equal(data.val.y, other.val.y)
        assert data.normaliser.to_dict() == other.normaliser.to_dict()


def test_too_few_rows_names_rows_per_fold_and_largest_k():
    config = LstmConfig(features=("close",), time_step=20)
    with pytest.raises(DataError) as info:
        fold_boundaries(300, config, 10)
    message = str(info.value)
    assert "each fold needs at least 20 test rows" in message.lower()
    assert "Use at most 6 folds" in message
    assert max_folds(300, config) == 6


def test_default_folds_cover_the_last_forty_percent():
    config = LstmConfig(features=("close",))
    folds = fold_boundaries(2000, config)
    assert len(folds) == 5 and folds[0].test_start == 1200 and folds[-1].test_end == 2000
    assert all(f.test_rows == 160 for f in folds)
    assert folds[2].val_start == round(folds[2].test_start * 0.9)


@pytest.mark.parametrize("mode", ["next_day", "next_window"])
def test_baselines_unchanged_by_test_rows(mode):
    config = LstmConfig(features=("close",), time_step=10, target_mode=mode)
    frame = random_walk(800, 3)
    fold = fold_boundaries(800, config, 4)[1]
    data = prepare_fold(frame, config, fold)
    changed = frame.copy()
    rng = np.random.default_rng(0)
    changed.iloc[fold.test_start :, 0] *= rng.uniform(0.5, 1.5, len(changed) - fold.test_start)
    other = prepare_fold(changed, config, fold)
    ridge, ridge_changed = fit_ridge(data), fit_ridge(other)
    np.testing.assert_array_equal(ridge.coef, ridge_changed.coef)
    ladder, ladder_changed = baseline_ladder(data), baseline_ladder(other)
    assert ladder.drift_per_row == ladder_changed.drift_per_row
    # A test point's baselines use values up to its origin only: points whose origin is before the
    # test period predict the same; the actual values differ.
    early = scored_points(data).origin < fold.test_start
    assert early.any()
    for name, values in ladder.predictions.items():
        np.testing.assert_allclose(values[early], ladder_changed.predictions[name][early], rtol=1e-12)
    assert not np.allclose(scored_points(data).actual, scored_points(other).actual)


def test_ladder_values_by_hand():
    config = LstmConfig(features=("close", "other"), time_step=4, target_as="price")
    frame = row_frame(400, wiggle=0.0)  # close = row + 1: every move is +1
    fold = fold_boundaries(400, config, 2)[0]
    data = prepare_fold(frame, config, fold)
    ladder = baseline_ladder(data)
    points = scored_points(data)
    last = points.origin + 1.0
    np.testing.assert_allclose(ladder.predictions["persistence"], last)
    np.testing.assert_allclose(ladder.predictions["drift"], last + 1.0)
    np.testing.assert_allclose(ladder.predictions["mean_last"], last - 1.5)
    np.testing.assert_allclose(
        ladder.predictions["ridge"], points.actual, atol=0.1
    )  # a line is linear (up to its penalty)


def test_next_window_says_how_baselines_apply():
    config = LstmConfig(features=("close",), time_step=5, target_mode="next_window")
    frame = random_walk(600, 1)
    data = prepare_fold(frame, config, fold_boundaries(600, config, 3)[0])
    ladder = baseline_ladder(data)
    assert "Next-window" in ladder.notes["mean_last"]
    assert len(ladder.predictions["ridge"]) == len(scored_points(data)) == len(data.test) * 5
