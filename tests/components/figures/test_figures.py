"""Figure builders draw what they are given with one style."""

from __future__ import annotations

import numpy as np
import pandas as pd

from components.figures import prices as price_figures
from components.figures import style
from components.figures import training as training_figures


def _frame(columns=("open", "high", "low", "close", "volume"), rows=30) -> pd.DataFrame:
    index = pd.bdate_range("2021-01-01", periods=rows, name="date")
    rng = np.random.default_rng(1)
    return pd.DataFrame({c: rng.uniform(10, 20, rows) for c in columns}, index=index)


def test_candlestick_has_candles_volume_and_one_range_slider():
    fig = price_figures.candlestick_figure(_frame())
    assert [t.type for t in fig.data] == ["candlestick", "bar"]
    assert fig.layout.xaxis.rangeslider.visible is False  # not between the panels
    assert fig.layout.xaxis2.rangeslider.visible is True
    assert fig.layout.template.layout.font.family == style.FONT_FAMILY


def test_candlestick_without_ohlc_draws_the_close_line():
    fig = price_figures.candlestick_figure(_frame(("close",)))
    assert [t.type for t in fig.data] == ["scatter"]


def test_loss_figure():
    assert len(training_figures.loss_figure([]).data) == 0  # a placeholder message instead
    history = [{"loss": 1.0, "val_loss": 1.2}, {"loss": 0.5, "val_loss": 0.7}]
    fig = training_figures.loss_figure(history, log_y=True, best_epoch=2)
    assert [t.name for t in fig.data] == ["train loss", "validation loss", "kept weights"]
    assert fig.layout.yaxis.type == "log"


def test_prediction_figure_dashes_the_forecast():
    index = pd.bdate_range("2021-01-01", periods=10)
    actual = pd.Series(np.arange(10.0), index=index)
    forecast = pd.Series([9.0, 10.5], index=[index[-1], index[-1] + pd.Timedelta(days=3)])
    fig = price_figures.prediction_figure(
        actual, actual + 1, actual.shift(1).dropna(), forecast, markers={"test": index[5]}
    )
    assert fig.layout.title.text == "Predicted vs actual"
    names = [t.name for t in fig.data]
    # Persistence after the model: drawn above it, in its own colour and dash.
    assert names == ["actual", "LSTM prediction", "persistence baseline", "forecast"]
    assert fig.data[-1].line.dash == "dash"
    assert fig.data[2].line.dash == "dash" and fig.data[2].line.color != fig.data[1].line.color
    assert fig.layout.xaxis.range is None  # ten days: nothing to zoom


def test_prediction_figure_opens_on_the_last_six_months_fitted_in_y():
    index = pd.bdate_range("2018-01-01", "2021-06-30")
    actual = pd.Series(np.linspace(10.0, 500.0, len(index)), index=index)
    fig = price_figures.prediction_figure(actual, actual * 1.01, actual.shift(1).dropna())
    start, end = (pd.Timestamp(x) for x in fig.layout.xaxis.range)
    assert pd.Timestamp("2020-12-20") < start < pd.Timestamp("2021-01-01") and end >= index[-1]
    shown = actual[actual.index >= pd.Timestamp("2020-12-31")]
    low, high = fig.layout.yaxis.range
    assert (
        low <= shown.min() and high >= shown.max() * 1.01 and low > actual.min() + 100
    )  # not the full range
    full = price_figures.prediction_figure(actual, last_months=None)
    assert full.layout.xaxis.range is None


def test_residual_and_horizon_figures_handle_empty_input():
    assert len(price_figures.residual_figure(pd.DataFrame()).data) == 0
    assert len(price_figures.horizon_error_figure(pd.DataFrame()).data) == 0
    errors = pd.DataFrame({"LSTM model": [1.0, 2.0], "Persistence": [1.5, 2.5]}, index=[1, 2])
    assert [t.type for t in price_figures.horizon_error_figure(errors).data] == ["bar", "bar"]
