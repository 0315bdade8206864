"""The multi-day forecast: strategies, dates, bands and errors per horizon (small real networks)."""

import numpy as np
import pandas as pd
import pytest

from model.engine.config import LstmConfig
from model.engine.training import train_network
from model.engine.windows import prepare_data
from model.forecast.evaluate import evaluate_forecaster, forecast_horizon
from model.forecast.horizon import (
    RecursiveForecaster,
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
    np.testing.assert_allclose(
        recursive[test.start + data.config.time_step - 1 - origins[0], 0], own, rtol=1e-6
    )


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
        assert (model[f"lower_{level}"] <= model["point"]).all() and (
            model["point"] <= model[f"upper_{level}"]
        ).all()
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


class AR1Forecaster:
    """The exact h-day-ahead median of an AR(1) log price: what a perfect model would forecast."""

    strategy = "direct"

    def __init__(self, horizon, phi, scale):
        self.horizon, self.phi, self.scale = horizon, phi, scale

    def paths(self, data, origins):
        x = np.log(data.target[origins] / 100.0) / self.scale
        return 100.0 * np.exp(self.scale * x[:, None] * self.phi ** np.arange(1, self.horizon + 1)[None, :])


@pytest.mark.parametrize("calibration", ["expanding", "validation"])
def test_coverage_on_a_simulated_ar1_price_series_is_near_nominal(calibration):
    rng = np.random.default_rng(19)
    n, phi, scale = 6000, 0.8, 0.01
    x = np.zeros(n)
    shocks = rng.standard_t(df=5, size=n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + shocks[i]
    frame = pd.DataFrame(
        {"close": 100.0 * np.exp(scale * x)}, index=pd.bdate_range("2000-01-03", periods=n, name="date")
    )
    config = LstmConfig(features=("close",), target="close", time_step=5, horizon=4, val_fraction=0.3)
    data = prepare_data(frame, config)
    result = evaluate_forecaster(AR1Forecaster(4, phi, scale), data, calibration=calibration)
    assert result.scale == "log" and result.calibration == calibration
    model = result.coverage[result.coverage["forecast"] == "model"]
    assert len(model) == 8 and (model["tested"] > 1000).all() and (model["calibration"] > 1000).all()
    # About 1,200 test days and 1,400 residuals: coverage varies by ~2 points; 5 is the target.
    gaps = (model["coverage"] - model["nominal"]).abs()
    assert (gaps < 0.05).all(), model[["horizon", "level", "coverage"]]
    # Persistence is a worse forecaster, so its bands are wider, yet its coverage is near nominal too.
    persistence = result.coverage[result.coverage["forecast"] == "persistence"]
    assert (persistence["quantile"].to_numpy() > model["quantile"].to_numpy()).all()
    assert ((persistence["coverage"] - persistence["nominal"]).abs() < 0.05).all()


def test_forecast_limits_name_each_limit_before_training():
    from model.forecast.horizon import forecast_limits

    assert forecast_limits(2000, tiny_config(horizon=10)) == []
    # 60 rows: validation starts at row 43; a 30-day direct target leaves 9 windows of time_step 5.
    notes = forecast_limits(60, tiny_config(horizon=30, forecast_strategy="direct"))
    assert any("leaves 9 training windows" in n for n in notes)
    assert any("95% interval needs at least 19" in n and "has 5 rows" in n for n in notes)
    assert any("longer than the test period (12 rows)" in n for n in notes)
    # Recursive trains no second network: no window limit.
    recursive = forecast_limits(60, tiny_config(horizon=30, forecast_strategy="recursive"))
    assert not any("training windows" in n for n in recursive)
