"""The Inside drawers draw the records they are given (shapes, traces, highlights)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from components.figures import inside as inside_figures
from model.inside.lags import lag_record
from model.inside.units import unit_selection
from model.inside.what_if import WhatIfRecord


def test_lag_figure_marks_the_peak():
    rng = np.random.default_rng(0)
    actual = 100 + np.cumsum(rng.normal(0, 1, 100))
    record = lag_record(np.r_[actual[0], actual[:-1]], actual)
    fig = inside_figures.lag_figure(record)
    assert [t.type for t in fig.data] == ["bar", "scatter"]
    assert list(fig.data[0].x) == list(range(-10, 11))
    assert fig.layout.shapes[0].x0 == 1  # the peak line


def test_overlay_draws_the_actual_one_day_late_and_moves_for_the_change_target():
    daily = pd.DataFrame(
        {
            "date": pd.bdate_range("2020-01-01", periods=5),
            "actual": [1.0, 2, 3, 4, 5],
            "predicted": [1.0, 1, 2, 3, 4],
            "last_known": [0.0, 1, 2, 3, 4],
        }
    )
    fig = inside_figures.shifted_overlay_figure(daily, "close")
    late = next(t for t in fig.data if t.name == "actual, one day late")
    assert np.isnan(late.y[0]) and list(late.y[1:]) == [1, 2, 3, 4]
    moves = inside_figures.shifted_overlay_figure(daily, "close", change_target=True)
    assert list(next(t for t in moves.data if t.name == "predicted").y) == [1, 0, 0, 0, 0]


def test_attribution_heatmap_is_features_by_days_and_symmetric_in_colour():
    values = np.array([[1.0, -2.0], [0.5, 0.0], [0.0, 3.0]])  # [time_step, feature]
    fig = inside_figures.attribution_figure(values, ("a", "b"), ["-2", "-1", "last day"], "t")
    heat = fig.data[0]
    assert np.asarray(heat.z).shape == (2, 3) and (heat.zmin, heat.zmax) == (-3.0, 3.0)


def test_units_figure_highlights_the_active_days():
    h = np.full((6, 3), -0.5)
    h[2:4, 1] = 0.9
    selection = unit_selection(h, 0, 0, 0.5, units=(1,))
    dates = [f"2020-01-0{i + 1}" for i in range(6)]
    fig = inside_figures.units_figure(dates, np.arange(6.0), h, ("u1", "u2", "u3"), selection.active, 1)
    on = next(t for t in fig.data if t.name == "unit on")
    assert list(on.y) == [2.0, 3.0]
    assert np.asarray(next(t for t in fig.data if t.type == "heatmap").z).shape == (3, 6)


def test_what_if_figure_shows_both_predictions():
    record = WhatIfRecord(
        "2020-01-10",
        10.0,
        10.5,
        np.array([10.1]),
        np.array([10.4]),
        True,
        np.arange(5.0),
        np.r_[np.arange(4.0), 4.5],
    )
    fig = inside_figures.what_if_figure(record)
    assert [t.name for t in fig.data] == ["as it was", "edited", "prediction", "prediction after the edit"]
    assert record.original_move == pytest.approx(0.1) and "followed 60%" in record.sentence()
