"""Windows, targets, splits and normalisation, checked against slow, obviously correct loops."""

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.engine.config import LstmConfig
from model.engine.windows import (
    Normaliser,
    count_windows,
    make_windows,
    max_time_step,
    prepare_data,
    window_counts,
    window_targets,
)
from model.errors import ConfigError, DataError


def price_frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    close = 100 + np.cumsum(rng.normal(0, 1, n))
    frame = pd.DataFrame(
        {
            "open": close + rng.normal(0, 0.5, n),
            "high": close + 1 + rng.random(n),
            "low": close - 1 - rng.random(n),
            "close": close,
            "volume": rng.uniform(1e5, 2e5, n),
        },
        index=pd.bdate_range("2015-01-01", periods=n, name="date"),
    )
    frame["change"] = frame["close"].pct_change().fillna(0.0)
    return frame


def reference_windows(features, target, time_step, mode):
    """The tutorial's list-of-lists windowing, kept as the slow reference."""
    xs, ys = [], []
    offset = 1 if mode == "next_day" else time_step
    i = 0
    while i + time_step - 1 + offset < len(target):
        xs.append([list(features[j]) for j in range(i, i + time_step)])
        ys.append([target[j + offset] for j in range(i, i + time_step)])
        i += 1
    return np.array(xs), np.array(ys)


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(2, 60),
    d=st.integers(1, 4),
    time_step=st.integers(1, 20),
    mode=st.sampled_from(["next_day", "next_window"]),
)
def test_windows_and_targets_match_the_slow_reference(n, d, time_step, mode):
    rng = np.random.default_rng(n * 100 + d)
    features = rng.normal(size=(n, d))
    target = rng.normal(size=n)
    ref_x, ref_y = reference_windows(features, target, time_step, mode)
    count = count_windows(n, time_step, mode)
    assert count == len(ref_x)
    if count == 0:
        return
    x = make_windows(features, time_step)[:count]
    y = window_targets(target, time_step, mode)[:count]
    np.testing.assert_array_equal(x, ref_x)
    np.testing.assert_array_equal(y, ref_y)


def test_next_day_target_is_the_following_row_at_every_step():
    frame = price_frame(200)
    data = prepare_data(frame, LstmConfig(time_step=5, target_mode="next_day", target_as="price"))
    norm = data.normaliser
    close = frame["close"].to_numpy()
    for windows in (data.train, data.test):
        k = len(windows) // 2
        start = windows.start[k]
        np.testing.assert_allclose(
            norm.inverse_target(windows.y[k, :, 0]), close[start + 1 : start + 6], rtol=1e-5
        )
        expected_x = norm.features(frame[list(data.config.features)].to_numpy()[start : start + 5])
        np.testing.assert_allclose(windows.x[k], expected_x, rtol=1e-6)


def test_next_window_target_is_the_window_after():
    frame = price_frame(200)
    data = prepare_data(frame, LstmConfig(time_step=7, target_mode="next_window", target_as="price"))
    close = frame["close"].to_numpy()
    start = data.test.start[0]
    np.testing.assert_allclose(
        data.normaliser.inverse_target(data.test.y[0, :, 0]), close[start + 7 : start + 14], rtol=1e-5
    )


@pytest.mark.parametrize("mode", ["next_day", "next_window"])
def test_splits_are_chronological_and_targets_never_cross_into_later_periods(mode):
    config = LstmConfig(time_step=10, target_mode=mode, test_fraction=0.2, val_fraction=0.1)
    data = prepare_data(price_frame(300), config)
    reach = 10 - 1 + (1 if mode == "next_day" else 10)  # last target row = start + reach
    assert (data.train.start + reach < data.val_start).all()
    assert ((data.val.start + reach >= data.val_start) & (data.val.start + reach < data.test_start)).all()
    assert (data.test.start + reach >= data.test_start).all()
    assert data.train.start.max() < data.val.start.min() < data.test.start.min()
    # Every window is used exactly once.
    assert len(data.train) + len(data.val) + len(data.test) == count_windows(300, 10, mode)
    assert window_counts(300, config) == {
        "train": len(data.train),
        "val": len(data.val),
        "test": len(data.test),
    }


def test_normalisation_uses_training_rows_only():
    frame = price_frame(300)
    # A huge jump in the test period must not move the statistics.
    shocked = frame.copy()
    shocked.iloc[-40:, :5] *= 10
    config = LstmConfig(time_step=10, target_as="price")  # the price target's statistics are rows'
    a, b = prepare_data(frame, config), prepare_data(shocked, config)
    np.testing.assert_allclose(a.normaliser.feature_mean, b.normaliser.feature_mean)
    np.testing.assert_allclose(a.normaliser.target_std, b.normaliser.target_std)
    train_rows = frame.iloc[: a.val_start]
    np.testing.assert_allclose(a.normaliser.target_mean, train_rows["close"].mean())
    np.testing.assert_allclose(
        a.normaliser.feature_std, train_rows[list(config.features)].std(ddof=0).to_numpy()
    )


def test_normaliser_round_trip_and_dict():
    rng = np.random.default_rng(1)
    feats, target = rng.normal(5, 2, size=(50, 3)), rng.normal(10, 3, size=50)
    norm = Normaliser.fit(feats, target)
    np.testing.assert_allclose(norm.inverse_target(norm.target(target)), target, rtol=1e-5)
    again = Normaliser.from_dict(norm.to_dict())
    np.testing.assert_array_equal(again.feature_std, norm.feature_std)


def test_constant_feature_in_training_period_is_refused():
    frame = price_frame(200)
    frame["flat"] = 3.0
    with pytest.raises(DataError, match="flat"):
        prepare_data(frame, LstmConfig(features=("close", "flat")))


def test_too_few_rows_names_the_largest_time_step_that_works():
    frame = price_frame(60)
    config = LstmConfig(time_step=50)
    with pytest.raises(DataError, match="time_step") as err:
        prepare_data(frame, config)
    best = max_time_step(60, config)
    assert 2 <= best < 50
    assert f"at most {best}" in str(err.value)
    prepare_data(frame, config.replace(time_step=best))  # the suggestion really works


def test_missing_column_is_a_config_error():
    with pytest.raises(ConfigError, match="'nope'"):
        prepare_data(price_frame(100), LstmConfig(features=("close", "nope")))


def test_nan_in_chosen_columns_is_refused():
    frame = price_frame(100)
    frame.iloc[5, 0] = np.nan
    with pytest.raises(DataError, match="missing"):
        prepare_data(frame, LstmConfig(time_step=5))


def test_windowing_is_a_view_not_a_copy():
    values = np.arange(100.0).reshape(50, 2)
    assert np.shares_memory(make_windows(values, 5), values)


@pytest.mark.parametrize("mode", ["next_day", "next_window"])
def test_change_targets_are_moves_from_a_known_value_and_map_back_to_prices(mode):
    frame = price_frame(250)
    close = frame["close"].to_numpy()
    t = 6
    data = prepare_data(frame, LstmConfig(time_step=t, target_mode=mode, target_as="change"))
    k = len(data.test) // 2
    start = data.test.start[k]
    moves = data.normaliser.inverse_target(data.test.y[k, :, 0])
    if mode == "next_day":
        expected = close[start + 1 : start + t + 1] - close[start : start + t]
    else:
        expected = close[start + t : start + 2 * t] - close[start + t - 1]
    np.testing.assert_allclose(moves, expected, rtol=1e-4, atol=1e-4)
    # Turning the true normalised targets back into prices gives the actual prices.
    offset = 1 if mode == "next_day" else t
    prices = data.to_price(data.test.y[:, :, 0], data.test.start)
    rows = data.test.start[:, None] + offset + np.arange(t)[None, :]
    np.testing.assert_allclose(prices, close[rows], rtol=1e-5)


def test_change_target_statistics_come_from_training_windows_only():
    frame = price_frame(300)
    shocked = frame.copy()
    shocked.iloc[-30:, :5] *= 3
    config = LstmConfig(time_step=8, target_as="change")
    a, b = prepare_data(frame, config), prepare_data(shocked, config)
    assert a.normaliser.target_std == pytest.approx(b.normaliser.target_std)
    assert a.normaliser.target_mean == pytest.approx(b.normaliser.target_mean)
