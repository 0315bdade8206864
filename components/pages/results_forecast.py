"""Results page panel: the forecast past the data, its error against horizon and measured coverage.

Reads what the worker stored with the run (``model.runs.forecasts``; no TensorFlow); the figures
come from ``components.figures.forecast``. ``render`` is the one call the Results page makes.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import glossary, picture_records, run_client, widgets
from components.figures import forecast as forecast_figures
from components.figures import pictures as picture_figures
from components.figures import style
from components.pages import results_intervals
from model.forecast.conformal import min_residuals
from model.forecast.folds import CALIBRATION as FOLDS
from model.runs import forecasts

log = logging.getLogger(__name__)

SHOW_PERSISTENCE = "results_forecast_persistence"  # widget key: draw persistence's fan too

STRATEGY_LINE = {
    "direct": "a second network gives one output per day ahead (any features).",
    "recursive": "its one-day model is fed its own predictions, day after day (features derived from the target).",
}


@st.cache_resource(max_entries=16, show_spinner=False)
def _stored(key: tuple[int, str]):
    return forecasts.load_forecast(run_client.store(), key[0])


def stored_forecast(record):
    """(HorizonForecast or None, reason or None) of an ended run, cached per run."""
    return _stored(run_client.run_key(record))


def render(record, data) -> None:
    """The forecast section for a run with results; ``data`` holds its dates and target prices."""
    st.subheader("Forecast past the data", anchor=False)
    try:
        forecast, failure = stored_forecast(record)
    except Exception as exc:  # noqa: BLE001 - damaged forecast files: a message, never a traceback
        log.exception("Damaged forecast files")
        widgets.show_error(exc, kept="The run's predictions and metrics above are unaffected.")
        return
    if forecast is None:
        st.info(
            failure
            or "This run has no multi-day forecast (it was trained before forecasts were stored, "
            "or as a sweep trial). Train it again to get one.",
            icon=":material/info:",
        )
        return
    sketch = picture_records.strategy_sketch(forecast.horizon, forecast.strategy)
    style.show(picture_figures.strategy_sketch_figure(sketch), key="forecast_strategy_sketch")
    st.caption(
        f"This run forecasts {forecast.strategy}ly: {STRATEGY_LINE.get(forecast.strategy, forecast.strategy)}",
        help=glossary.terms("direct", "recursive"),
    )
    folds = forecast.calibration == FOLDS
    period = "test folds" if folds else "test period"
    if folds:
        st.caption(f"Intervals calibrated on the {forecast.source}.")
    for message in forecast.messages:
        st.warning(message, icon=":material/rule:")
    summary = forecast_figures.coverage_summary(forecast.coverage)
    first = forecast.errors.iloc[0] if len(forecast.errors) else None
    widgets.metric_row(
        [(f"Coverage {level}%", f"{widgets.format_number(value, 1)} %",
          f"Mean share of test prices inside the {level}% band over horizons 1-{forecast.horizon}; nominal {level}%.")
         for level, value in summary.items()]
        + [("Skill at day 1", widgets.format_number(None if first is None else first["skill"], 3),
            "1 − RMSE model / RMSE persistence one business day ahead, test period."),
           (f"Skill at day {forecast.horizon}",
            widgets.format_number(forecast.errors["skill"].iloc[-1] if len(forecast.errors) else None, 3),
            f"The same {forecast.horizon} business days ahead.")]
    )  # fmt: skip
    show_persistence = st.toggle(
        "Show persistence's fan", value=True, key=SHOW_PERSISTENCE, help=glossary.term("persistence")
    )
    record_fan = forecast_figures.fan_record(forecast, data.dates, data.target)
    style.show(forecast_figures.fan_figure(record_fan, show_persistence), key="forecast_fan_chart")
    left, right = st.columns([1, 1], gap="large")
    with left:
        style.show(
            forecast_figures.horizon_errors_figure(forecast.errors, period), key="forecast_errors_chart"
        )
    with right:
        style.show(
            forecast_figures.coverage_small_figure(forecast.coverage, period), key="forecast_coverage_chart"
        )
    st.markdown(
        f"**Coverage on the {period}** (% of actual prices inside each interval)",
        help="Measured, not assumed: the share of test prices that fell inside each band, beside its nominal level.",
    )
    st.dataframe(forecast_figures.coverage_table(forecast.coverage).round(1), width="stretch")
    _residual_picture(record, forecast, folds)
    if folds:
        _fold_coverage(record)
    results_intervals.render(forecast)
    with st.expander("Forecast table"):
        # The table's own toolbar downloads it as CSV; the run's ZIP holds it as Parquet (horizon/).
        st.dataframe(forecast.table("model"), hide_index=True, width="stretch")


def residual_record(record, folds: bool) -> picture_records.ResidualHistogram:
    """The model's day-one residuals on points it did not train on: the folds' test points for a
    walk-forward run, the validation and test points of a single run."""
    if folds:
        from model.orchestration.walkforward import load_walk_forward

        result = load_walk_forward(run_client.store(), record.id)
        scored = [f for f in result.evidence.folds if f.finished] if result is not None else []
        return picture_records.residual_histogram(picture_records.fold_residuals(scored), source="test folds")
    residuals = picture_records.evaluation_residuals(run_client.evaluation(record))
    return picture_records.residual_histogram(residuals, source="validation and test")


def _residual_picture(record, forecast, folds: bool) -> None:
    """Split-conformal in one picture: the band is as wide as the model's own past errors."""
    try:
        histogram = residual_record(record, folds)
    except Exception as exc:  # noqa: BLE001 - damaged stored predictions: a message, the rest stands
        widgets.show_error(exc)
        return
    style.show(picture_figures.residual_histogram_figure(histogram), key="forecast_residuals_chart")
    scale = "log-price" if forecast.scale == "log" else "price"
    st.caption(
        f"Each band is ± the marked width of the model's own {histogram.source} errors "
        f"(the stored bands use {scale} residuals from the {forecast.source}).",
        help=glossary.term("conformal")
        + f" At least {min_residuals(0.8)} residuals are needed for 80% and {min_residuals(0.95)} for 95%.",
    )


def _fold_coverage(record) -> None:
    """Coverage of each test fold on its own: whether the bands fail in one period or throughout."""
    from model.runs.fold_forecasts import read_fold_coverage

    try:
        by_fold = read_fold_coverage(run_client.store().get_run(record.id, with_history=False).files_dir)
    except Exception as exc:  # noqa: BLE001 - a damaged table: a message, the rest of the section stands
        log.exception("A damaged fold-coverage table")
        widgets.show_error(exc)
        return
    table = forecast_figures.fold_coverage_table(by_fold)
    if table.empty:
        return
    with st.expander("Coverage per test fold", expanded=False):
        st.caption(
            "Mean over horizons of the share of each fold's test prices inside its bands; fold 1's bands come "
            "from its validation period, every later fold's from the test periods of the folds before it."
        )
        st.dataframe(table.round(1), width="stretch")


def render_walk_forward(record) -> None:
    """The forecast section of an ended walk-forward run (its forecast pools the folds')."""
    from types import SimpleNamespace

    import numpy as np
    import pandas as pd

    if record is None or record.active:
        return
    try:
        frame = run_client.prices(record)
        target = record.lstm_config.target
        data = SimpleNamespace(
            dates=pd.DatetimeIndex(frame.index), target=frame[target].to_numpy(dtype=np.float64)
        )
    except Exception as exc:  # noqa: BLE001 - a missing price table: a message, never a traceback
        log.exception("The walk-forward run's price table is missing")
        st.subheader("Forecast past the data", anchor=False)
        widgets.show_error(exc, kept="The walk-forward evidence above is unaffected.")
        return
    render(record, data)
