"""Results page panel: the forecast past the data, its error against horizon and measured coverage.

Reads what the worker stored with the run (``model.runs.forecasts``; no TensorFlow); the figures
come from ``components.figures.forecast``. ``render`` is the one call the Results page makes.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import run_client, widgets
from components.figures import forecast as forecast_figures
from components.figures import style
from components.pages import results_intervals
from model.forecast.conformal import min_residuals
from model.forecast.folds import CALIBRATION as FOLDS
from model.runs import forecasts

log = logging.getLogger(__name__)

SHOW_PERSISTENCE = "results_forecast_persistence"  # widget key: draw persistence's fan too

STRATEGY_TEXT = {
    "direct": "**Direct**: a second network with the run's architecture and one output per horizon day, each "
    "trained for its day; it works with any features.",
    "recursive": "**Recursive**: the run's one-day model fed its own predictions, day after day; it applies only "
    "when every input feature derives from the target (e.g. close and change), since it needs their future.",
}
INTERVAL_TEXT = (
    "**Intervals** are split-conformal: at each horizon, the band is the point forecast ± the "
    "⌈(n+1)·level⌉-th smallest of n out-of-sample residuals ({scale} scale) from the {source} (no distributional "
    "assumption; at least {need80} residuals for 80% and {need95} for 95%). Persistence (every future day = the "
    "last price) gets the same treatment, so both fans are comparable. **Coverage** is measured, not assumed: the "
    "share of test-period prices that fell inside each band, per horizon, beside its nominal level."
)
FOLDS_TEXT = (
    " With walk-forward folds, each fold's test period is covered by bands calibrated only on the folds before it "
    "(the first fold: its own validation period), so no band has seen the prices it is judged on; errors and "
    "coverage pool every fold's test period. The fan past the data is the last fold's model (trained on the most "
    "data) with bands from every fold's test residuals."
)
EXPANDING_TEXT = (
    " Each test day's band also uses the test residuals already known that day (no look-ahead), and the fan past "
    "the data uses every out-of-sample residual, validation and test: a calm validation period alone gives bands "
    "too narrow for a more volatile test period."
)


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
    strategy = STRATEGY_TEXT.get(forecast.strategy, forecast.strategy)
    other = "recursive" if forecast.strategy == "direct" else "direct"
    st.markdown(f"Strategy used: {strategy} The other strategy: {STRATEGY_TEXT[other]}")
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
    show_persistence = st.toggle("Show persistence's fan", value=True, key=SHOW_PERSISTENCE)
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
    st.markdown(f"**Coverage on the {period}** (% of actual prices inside each interval)")
    st.dataframe(forecast_figures.coverage_table(forecast.coverage).round(1), width="stretch")
    scale = "log-price" if forecast.scale == "log" else "price"
    st.markdown(
        INTERVAL_TEXT.format(
            source=forecast.source, scale=scale, need80=min_residuals(0.8), need95=min_residuals(0.95)
        )
        + (EXPANDING_TEXT if forecast.calibration == "expanding" else "")
        + (FOLDS_TEXT if folds else "")
    )
    if folds:
        _fold_coverage(record)
    results_intervals.render(forecast)
    with st.expander("Forecast table"):
        # The table's own toolbar downloads it as CSV; the run's ZIP holds it as Parquet (horizon/).
        st.dataframe(forecast.table("model"), hide_index=True, width="stretch")


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
