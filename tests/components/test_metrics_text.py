"""Metrics as table text, one helper for the Results page and its lessons."""

import math

import pandas as pd

from components.metrics_text import format_metric, metrics_text
from components.provenance_view import caption_text


def test_each_metric_has_its_format_and_missing_values_a_dash():
    assert format_metric("RMSE", 1234.567) == "1,234.57"
    assert format_metric("Skill", 0.0421) == "+0.042"
    assert format_metric("Direction %", 61.04) == "61.0"
    assert format_metric("MAPE %", math.nan) == "—" and format_metric("MAE", None) == "—"


def test_a_table_keeps_the_rows_order_and_the_columns_asked_for():
    rows = {
        "LSTM": pd.Series({"RMSE": 2.0, "Skill": -0.5}),
        "persistence": pd.Series({"RMSE": 1.0, "Skill": 0.0}),
    }
    shown = metrics_text(rows, columns=("RMSE", "Skill"))
    assert list(shown.index) == ["LSTM", "persistence"] and shown.index.name == "forecast"
    assert shown.to_dict("list") == {"RMSE": ["2.00", "1.00"], "Skill": ["-0.500", "+0.000"]}


def test_the_provenance_expander_is_titled_by_kernel_and_device():
    assert caption_text({"kernel": "native", "device": "CPU"}) == "How this run was trained: native on CPU"
    assert caption_text(None) == "How this run was trained: not recorded"
