"""The multi-day forecast: strategies, dates, bands and errors per horizon (small real networks)."""

import numpy as np
import pandas as pd
import pytest

from model.engine.config import LstmConfig
from model.engine.training import train_network
from model.engine.windows import prepare_data
from model.forecast.horizon import (
    RecursiveForecaster,
    evaluate_forecaster,
    forecast_horizon,
    future_dates,
    recursive_problem,
    train_direct,
)
from tests.model.factories import sine_frame

TINY = dict(rnn_unit=4, layer_num=1, time_step=5, epochs=3, batch_size=32, seed=3, patience=0)


def tiny_config(**changes) -> LstmConfig:
    return LstmConfig(**{"features": ("close", "change"), "target": "close", **TINY, **changes})


def test_recursive_applies_only_to_features_derived_from_the_target():
    assert recursive_problem(tiny_config()) is None
    assert recursive_problem(tiny_config(features=("close",))) is None
    problem = recursive_problem(tiny_config(features=("close", "volume", "change")))
    assert "volume" in problem and "direct" in problem
    assert "next window" in recursive_problem(tiny_config(target_mode="next_window"))


def test_forecast_dates_skip_weekends():
    frame = sine_frame(300)
    assert frame.index[-1].weekday() < 5
    data = prepare_data(frame, tiny_config())
    dates = future_dates(data, 12)
    assert len(dates) == 12 and dates[0] > frame.index[-1]
    assert all(d.weekday() < 5 for d in dates)
    assert (dates[-1] - dates[0]).days > 11  # twelve business days span at least two weekends
    assert pd.Timestamp(dates[0]) == pd.bdate_range(frame.index[-1], periods=2)[1]


@pytest.mark.slow
@pytest.mark.parametrize("target_as", ["change", "price"])
def test_recursive_and_direct_agree_at_horizon_one(target_as):
    data = prepare_data(sine_frame(300), tiny_config(target_as=target_as))
    run = train_network(data)
    direct = train_direct(data, 1)
    origins = np.arange(data.config.time_step - 1, data.n_rows)
    recursive = RecursiveForecaster(run, 1).paths(data, origins)
    np.testing.assert_allclose(direct.paths(data, origins), recursive, rtol=1e-4)
    # And both are the run's own one-day prediction (Results' test-period points).
    test = data.test
    own = data.to_price(run.predict(test.x)[..., 0], test.start)[:, -1]
    np.testing.assert_allclose(recursive[test.start + data.config.time_step - 1 - origins[0], 0], own, rtol=1e-6)


@pytest.mark.slow
def test_direct_forecast_has_ordered_bands_errors_and_coverage_per_horizon():
    config = tiny_config(features=("close", "volume", "change"), forecast_strategy="recursive", horizon=6)
    data = prepare_data(sine_frame(400), config)
    run = train_network(data)
    result = forecast_horizon(run, data)
    assert result.strategy == "direct" and result.requested == "recursive"
    assert any("volume" in m for m in result.messages)
    model = result.fan[result.fan["forecast"] == "model"]
    assert list(model["horizon"]) == list(range(1, 7))
    for level in ("80", "95"):
        assert (model[f"lower_{level}"] <= model["point"]).all() and (model["point"] <= model[f"upper_{level}"]).all()
    # The 95% band contains the 80% band; persistence's point is the last price.
    assert (model["lower_95"] <= model["lower_80"]).all() and (model["upper_95"] >= model["upper_80"]).all()
    persistence = result.fan[result.fan["forecast"] == "persistence"]
    assert np.allclose(persistence["point"], data.target[-1])
    assert list(result.errors["horizon"]) == list(range(1, 7))
    assert (result.errors["tested"] == data.n_rows - data.test_start - result.errors["horizon"] + 1).all()
    assert len(result.coverage) == 6 * 2 * 2
    assert result.coverage["coverage"].between(0, 1).all()


@pytest.mark.slow
def test_a_horizon_longer_than_the_test_period_names_the_limit():
    frame = sine_frame(200)
    config = tiny_config(horizon=30, test_fraction=0.1, val_fraction=0.1)
    data = prepare_data(frame, config)
    run = train_network(data)
    result = evaluate_forecaster(RecursiveForecaster(run, 30), data)
    test_rows = data.n_rows - data.test_start
    assert any(f"up to horizon {test_rows}" in m for m in result.messages)
    # 95% needs 19 validation residuals; 18 rows of validation give 18.
    assert any("at least 19" in m for m in result.messages)
    assert result.errors.loc[result.errors["horizon"] > test_rows, "tested"].eq(0).all()
