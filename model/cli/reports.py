"""What the command lines print about a stored run (shared by ``model.train`` and its ``--folds``)."""

from __future__ import annotations


def print_horizon_forecast(store, run_id: int):
    """Print the stored multi-day forecast with its bands and coverage; return its table (or None)."""
    from model.runs.forecasts import load_forecast

    forecast, failure = load_forecast(store, run_id)
    if forecast is None:
        print(f"\nNo multi-day forecast: {failure or 'the run has none.'}")
        return None
    table = forecast.table()
    print(
        f"\nForecast {forecast.horizon} business days past {forecast.last_date} ({forecast.strategy}; "
        f"conformal intervals from the {forecast.source}, {forecast.scale} residuals):"
    )
    print(table.drop(columns=["horizon"]).to_string(index=False, float_format=lambda v: f"{v:10.4f}"))
    for message in forecast.messages:
        print(f"  note: {message}")
    cover = forecast.coverage[forecast.coverage["forecast"] == "model"]
    wide = cover.pivot(index="horizon", columns="level", values="coverage") * 100
    errors = forecast.errors.set_index("horizon")
    where = "Test folds" if forecast.calibration == "folds" else "Test period"
    print(f"\n{where}, per horizon: RMSE (model, persistence), skill and coverage % of each interval:")
    summary = errors[["model_rmse", "persistence_rmse", "skill"]].join(wide.add_prefix("coverage_"))
    print(summary.to_string(float_format=lambda v: f"{v:9.3f}"))
    from model.forecast.report import methods_report

    print("\n" + methods_report(forecast))
    return table
