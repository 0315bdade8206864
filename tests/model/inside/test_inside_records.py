"""The Inside views' pure records: the lag finder, unit selection, signals, window edits."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.inside.lags import daily_series, lag_record
from model.inside.units import price_signals, unit_selection, unit_signals
from model.inside.what_if import WhatIfEdit, edit_window


def _random_walk(n=300, seed=1):
    rng = np.random.default_rng(seed)
    return 100 + np.cumsum(rng.normal(0, 1, n))


def test_the_lag_finder_says_plus_one_for_yesterdays_price_and_zero_for_the_actual_itself():
    actual = _random_walk()
    shifted = np.r_[actual[0], actual[:-1]]  # prediction for day t = actual of day t - 1
    record = lag_record(shifted, actual)
    assert record.peak == 1 and record.peak_corr > 0.99
    assert "yesterday's price" in record.sentence and "persistence" in record.sentence
    itself = lag_record(actual, actual)
    assert itself.peak == 0 and itself.peak_corr > 0.99
    ahead = lag_record(np.r_[actual[3:], actual[-3:]], actual)  # knows 3 days of the future
    assert ahead.peak == -3 and "EARLY" in ahead.sentence
    assert list(record.lags) == list(range(-10, 11))


def test_a_lag_one_peak_is_named_from_the_verdict_repeats_or_momentum():
    """The peak alone cannot tell repeating the last price from carrying the last move forward: the
    run's verdict decides the words (one verdict, so Inside never contradicts Results)."""
    from model.evidence.verdict import REPEATS, Facts, judge

    rng = np.random.default_rng(3)
    moves = np.zeros(400)
    for t in range(1, 400):  # momentum: each move carries 0.6 of the last one
        moves[t] = 0.6 * moves[t - 1] + rng.normal(0, 1)
    actual = 100 + np.cumsum(moves)
    last = np.r_[actual[0], actual[:-1]]
    momentum = last + 0.6 * np.r_[0.0, np.diff(last)]  # last price plus 0.6 of the last move
    rows = pd.DataFrame({"actual": actual, "predicted": momentum, "last_known": last})
    from model.evidence.verdict import split_verdict

    skilful = split_verdict(rows)
    assert skilful.beats_persistence and skilful.skill > 0.1
    record = lag_record(momentum, actual, verdict=skilful)
    assert record.peak == 1 and not record.repeats
    assert "momentum" in record.sentence and "repeats the last price" not in record.sentence
    repeats = judge(Facts(skill=0.0, move_ratio=0.1))
    assert repeats.kind == REPEATS
    said = lag_record(last, actual, verdict=repeats)
    assert said.repeats and "repeats the last price" in said.sentence
    tie = judge(Facts(skill=0.0, move_ratio=0.9))
    neither = lag_record(momentum, actual, verdict=tie)
    assert not neither.repeats and "without real skill" in neither.sentence


def test_daily_series_keeps_the_one_step_ahead_prediction_of_each_day():
    test = pd.DataFrame(
        {
            "date": pd.to_datetime(["2020-01-02", "2020-01-03", "2020-01-03"]),
            "step": [1, 2, 1],
            "actual": [1.0, 2.0, 2.0],
            "predicted": [0.5, 9.0, 1.5],
        }
    )
    daily = daily_series(test)
    assert list(daily["predicted"]) == [0.5, 1.5]


def test_unit_selection_finds_the_units_on_over_a_stretch_and_where_the_pattern_recurs():
    days, units = 40, 5
    h = np.full((days, units), -0.5)
    h[10:15, 1] = h[10:15, 3] = 0.8  # units 1 and 3 fire together on days 10-14 ...
    h[30:33, 1] = h[30:33, 3] = 0.9  # ... and again on days 30-32
    h[10:13, 4] = 0.9  # unit 4 fires only on part of the stretch
    h[20:25, 1] = 0.9  # unit 1 alone: not a match
    labels = tuple(f"u{i}" for i in range(units))
    sel = unit_selection(h, 10, 14, 0.5, labels)
    assert sel.units == (1, 3)
    assert sel.matches == ((10, 14), (30, 32))
    assert int(sel.active.sum()) == 8 and "2 units (u1, u3)" in sel.sentence
    one = unit_selection(h, 0, 0, 0.5, labels, units=(1,))
    assert one.matches == ((10, 14), (20, 24), (30, 32))
    none = unit_selection(h, 0, 5, 0.5, labels)
    assert none.units == () and not none.active.any()


def test_unit_signals_name_the_strongest_signal_in_words():
    close = _random_walk(200, seed=3)
    rows = np.arange(20, 200)
    signals = price_signals(close, rows)
    rng = np.random.default_rng(0)
    unit = np.tanh(signals["5-day trend"] / 3) + rng.normal(0, 0.05, len(rows))
    result = unit_signals(unit, signals, "Unit L1 u2")
    assert result.strongest == "5-day trend" and result.correlations["5-day trend"] > 0.9
    assert result.sentence.startswith("Unit L1 u2 strongly rises with the 5-day trend")
    flat = unit_signals(np.zeros(len(rows)), signals)
    assert flat.strongest is None and "does not vary" in flat.sentence


def test_window_edits_move_the_last_price_or_bend_a_trend_and_leave_volume_alone():
    raw = np.column_stack([np.full(10, 100.0), np.full(10, 5e5)])
    features = ("close", "volume")
    shifted = edit_window(raw, features, WhatIfEdit(shift_pct=2.0))
    assert shifted[-1, 0] == 102.0 and (shifted[:-1, 0] == 100).all() and (shifted[:, 1] == 5e5).all()
    trend = edit_window(raw, features, WhatIfEdit(trend_pct=-4.0, trend_days=4))
    assert np.allclose(trend[-4:, 0], [99.0, 98.0, 97.0, 96.0]) and (trend[:-4, 0] == 100).all()
    assert np.array_equal(edit_window(raw, features, WhatIfEdit()), raw)
