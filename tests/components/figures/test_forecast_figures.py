"""The forecast panels' records: fan, error against horizon, coverage table (no TensorFlow)."""

import numpy as np
import pytest

from components.figures import forecast as figures
from model.engine.config import LstmConfig
from model.engine.windows import prepare_data
from model.forecast.evaluate import evaluate_forecaster
from tests.model.factories import sine_frame


class DriftForecaster:
    """Stands in for a trained network: each day ahead, 0.1% above the last price."""

    strategy = "direct"

    def __init__(self, horizon):
        self.horizon = horizon

    def paths(self, data, origins):
        return data.target[origins][:, None] * (1.001 ** np.arange(1, self.horizon + 1))[None, :]


@pytest.fixture(scope="module")
def forecast():
    config = LstmConfig(features=("close", "change"), target="close", time_step=5, horizon=7)
    data = prepare_data(sine_frame(400), config)
    return evaluate_forecaster(DriftForecaster(7), data), data


def test_fan_opens_from_the_last_price_on_business_days(forecast):
    result, data = forecast
    record = figures.fan_record(result, data.dates, data.target, history_days=30)
    assert len(record.history) == 30 and record.history[-1] == data.target[-1]
    dates, points = record.paths["model"]
    assert dates[0] == data.dates[-1] and points[0] == data.target[-1]
    assert len(points) == 8 and all(d.weekday() < 5 for d in dates[1:])
    assert points[1] == pytest.approx(data.target[-1] * 1.001)
    levels = {(b.forecast, b.level) for b in record.bands}
    assert levels == {("model", "80"), ("model", "95"), ("persistence", "80"), ("persistence", "95")}
    fig = figures.fan_figure(record, show_persistence=False)
    names = [t.name for t in fig.data]
    assert "LSTM model 95% interval" in names and not any(n and n.startswith("Persistence") for n in names)
    assert "Forecast 7 business days past" in fig.layout.title.text


def test_coverage_table_has_one_row_per_horizon_and_names_the_levels(forecast):
    result, _ = forecast
    table = figures.coverage_table(result.coverage)
    assert list(table.index) == list(range(1, 8))
    assert list(table.columns) == [
        "LSTM model, 80% interval",
        "Persistence, 80% interval",
        "LSTM model, 95% interval",
        "Persistence, 95% interval",
        "Test origins",
    ]
    expected = result.coverage.query("forecast == 'model' and level == '80' and horizon == 3")[
        "coverage"
    ].iloc[0]
    assert table.loc[3, "LSTM model, 80% interval"] == pytest.approx(expected * 100)
    assert table["LSTM model, 95% interval"].between(0, 100).all()


def test_error_figure_draws_both_rmse_lines_and_skill(forecast):
    result, _ = forecast
    fig = figures.horizon_errors_figure(result.errors)
    by_name = {t.name: t for t in fig.data}
    assert list(by_name["Model RMSE"].y) == pytest.approx(list(result.errors["model_rmse"]))
    assert list(by_name["Skill"].y) == pytest.approx(list(result.errors["skill"]))
    empty = figures.horizon_errors_figure(result.errors.iloc[0:0])
    assert "No test-period origins" in empty.layout.annotations[0].text


def test_coverage_summary_averages_over_horizons(forecast):
    result, _ = forecast
    summary = figures.coverage_summary(result.coverage)
    model = result.coverage[result.coverage["forecast"] == "model"]
    assert summary["95"] == pytest.approx(model[model["level"] == "95"]["coverage"].mean() * 100)
