"""Results: the trained model against the actual prices and the persistence baseline, in price units.

Shows the session's current run (the one trained here, opened on Runs, or ``?run=ID``).
Everything shown was stored by the worker that trained it (read back by
``model.runs.run_files.load_evaluation``): this page never loads the model or TensorFlow, it only
selects rows and draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from components import errors, provenance_view, run_client, verdict_view, widgets
from components.figures import prices as price_figures
from components.figures import style
from components.figures import training as training_figures
from components.literal import markdown_literal, plotly_literal
from components.metrics_text import metrics_text
from components.pages import results_evidence, results_forecast, results_lessons
from components.session import state
from model.engine.config import LstmConfig
from model.engine.windows import split_rows
from model.evidence.baselines import BASELINE_LABELS
from model.runs import run_files

SHOW_TRAIN = "results_show_train"  # widget key: include the training period in the chart
WINDOW = "results_window"  # widget key: the test window shown in next-window mode

MODEL_LABEL = "LSTM model"
BASELINE_LABEL = "Persistence (tomorrow = today)"
SKILL_TEXT = (
    "**Skill** = 1 − RMSE(model) / RMSE(persistence): above 0 the model beats the naive baseline that "
    "repeats the last known price, below 0 it does worse. **Direction %** is how often the predicted move "
    "(up or down from the last known price) matches the actual move; persistence predicts no move, so it "
    "has no direction accuracy (—). RMSE and MAE are in price units."
)


@dataclass(frozen=True)
class RunPrices:
    """The part of the prepared data this page draws: the target column and where the splits start."""

    config: LstmConfig
    dates: pd.DatetimeIndex
    target: np.ndarray
    val_start: int
    test_start: int


def run_prices(record) -> RunPrices:
    config = record.lstm_config
    frame = run_client.prices(record)
    val_start, test_start = split_rows(len(frame), config)
    return RunPrices(
        config,
        pd.DatetimeIndex(frame.index),
        frame[config.target].to_numpy(dtype=np.float64),
        val_start,
        test_start,
    )


def _price_series(data) -> pd.Series:
    return pd.Series(data.target, index=data.dates, name=plotly_literal(data.config.target))


def _series(frame: pd.DataFrame, column: str) -> pd.Series:
    return pd.Series(frame[column].to_numpy(), index=pd.DatetimeIndex(frame["date"]), name=column)


def _forecast_series(evaluation, prices: pd.Series) -> pd.Series:
    """The forecast past the last date, starting from the last actual price so the dashes connect."""
    anchor = pd.Series([prices.iloc[-1]], index=prices.index[-1:])
    future = pd.Series(
        evaluation.forecast["predicted"].to_numpy(), index=pd.DatetimeIndex(evaluation.forecast["date"])
    )
    return pd.concat([anchor, future])


def metrics_display(metrics: pd.DataFrame) -> pd.DataFrame:
    """The metrics table as formatted text (— for values that do not exist)."""
    return metrics_text({MODEL_LABEL: metrics.loc["model"], BASELINE_LABEL: metrics.loc["persistence"]})


def _chart_next_day(evaluation, data, show_train: bool) -> None:
    splits = ("train", "val", "test") if show_train else ("test",)
    rows = evaluation.predictions[evaluation.predictions["split"].isin(splits)]
    prices = _price_series(data)
    start = rows["origin"].min() if len(rows) else prices.index[0]
    markers = {"test starts": data.dates[data.test_start]}
    if show_train and data.val_start < data.test_start:
        markers = {"validation starts": data.dates[data.val_start], **markers}
    fig = price_figures.prediction_figure(
        prices.loc[start:],
        _series(rows, "predicted"),
        _series(rows, "baseline"),
        _forecast_series(evaluation, prices),
        y_title=plotly_literal(data.config.target),
        predicted_name="LSTM, next day",
        forecast_name="forecast (next day)",
        markers=markers,
    )
    style.show(fig, key="prediction_chart")


def _chart_next_window(evaluation, data, show_train: bool) -> None:
    n = evaluation.test_windows
    number = st.slider(
        "Test window",
        min_value=1,
        max_value=max(n, 1),
        value=n,
        key=WINDOW,
        disabled=n <= 1,
        help="Each test window forecasts the time_step days after it; pick one to draw its forecast.",
    )
    window = evaluation.window(int(number) - 1)
    prices = _price_series(data)
    test = evaluation.split("test")
    start = prices.index[0] if show_train else test["origin"].min()
    origin, last_known = window["origin"].iloc[0], float(window["last_known"].iloc[0])
    start_point = pd.Series([last_known], index=pd.DatetimeIndex([origin]))
    predicted = pd.concat([start_point, _series(window, "predicted")])
    baseline = pd.concat([start_point, _series(window, "baseline")])
    markers = {"test starts": data.dates[data.test_start]} if show_train else {}
    # Zoom on the chosen window with some context before it; double-click shows the whole period.
    t = data.config.time_step
    origin_row = int(data.dates.get_indexer([origin])[0])
    zoom_start = data.dates[max(0, origin_row - 4 * t)]
    zoom_end = evaluation.forecast["date"].max() if int(number) == n else window["date"].max()
    pad = (pd.Timestamp(zoom_end) - pd.Timestamp(zoom_start)) * 0.03
    fig = price_figures.prediction_figure(
        prices.loc[start:],
        predicted,
        baseline,
        _forecast_series(evaluation, prices),
        y_title=plotly_literal(data.config.target),
        predicted_name=f"LSTM, window {number}",
        forecast_name=f"forecast (next {data.config.time_step} days)",
        highlight=(window["date"].min(), window["date"].max()),
        highlight_label=f"window {number}",
        markers=markers,
        x_range=(pd.Timestamp(zoom_start) - pad, pd.Timestamp(zoom_end) + pad),
    )
    style.show(fig, key="prediction_chart")


def _residuals(evaluation, data) -> None:
    test = evaluation.split("test")
    if evaluation.target_mode == "next_day":
        residuals = pd.DataFrame(
            {
                MODEL_LABEL: (test["actual"] - test["predicted"]).to_numpy(),
                "Persistence": (test["actual"] - test["baseline"]).to_numpy(),
            },
            index=pd.DatetimeIndex(test["date"]),
        )
        fig = price_figures.residual_figure(residuals, y_title=plotly_literal(data.config.target))
    else:
        by_step = evaluation.rmse_by_step()
        by_step.columns = [MODEL_LABEL, "Persistence"]
        fig = price_figures.horizon_error_figure(by_step)
    style.show(fig, key="residual_chart")


def _archive_getter(run_id: int):
    """A zero-argument callable for st.download_button: the zip is built on the click, not before."""
    return lambda: run_files.run_archive(run_client.store(), run_id)


def _downloads(evaluation, record) -> None:
    predictions = evaluation.predictions
    left, right = st.columns(2)
    left.download_button(
        "Download predictions (CSV)",
        data=lambda: predictions.to_csv(index=False).encode(),
        file_name="lstm-lens-predictions.csv",
        mime="text/csv",
        on_click="ignore",
        width="stretch",
        help="Every prediction of every split: date, actual, predicted, persistence baseline.",
    )
    right.download_button(
        "Download trained run (ZIP)",
        data=_archive_getter(record.id),
        file_name=f"lstm-lens-run-{record.id}.zip",
        mime="application/zip",
        on_click="ignore",
        width="stretch",
        help="model.keras (the Keras model), run.json (config, normalisation statistics, loss history), the "
        "predictions, the forecast, the price table and the run's record.",
    )


TAB = "results_tab"  # widget key: the open tab (only the open tab's content runs)
TABS = ("Predictions", "Evidence", "Forecast", "Did it learn?", "Leak demo", "Downloads")
WALK_FORWARD_TABS = ("Evidence", "Forecast")


def lazy_tabs(labels, key: str) -> dict:
    """Streamlit's tabs tracking which one is open (on_change="rerun"): label -> (container, open).
    A hidden tab's content does not run; ``open`` is None where tabs do not track state (then all run)."""
    containers = st.tabs(list(labels), key=key, on_change="rerun")
    return {label: (tab, tab.open is not False) for label, tab in zip(labels, containers)}


def _evidence_single(verdict) -> None:
    """A single run's evidence: the ladder on its test period and why one period is one draw."""
    if verdict is None:
        st.info("No verdict for this run yet.")
        return
    st.subheader("The ladder on this test period", anchor=False)
    rows = {"LSTM model": verdict.skill, "persistence (last value)": 0.0}
    rows.update({BASELINE_LABELS.get(n, n): v for n, v in verdict.rungs.items()})
    table = pd.DataFrame({"skill over persistence": rows}).sort_values(
        "skill over persistence", ascending=False
    )
    st.dataframe(table.style.format("{:+.3f}", na_rep="—"), width="stretch")
    st.caption(
        "Every forecaster scored on the same test points; skill = 1 − RMSE / RMSE of persistence. "
        + verdict.caveat
    )


def _walk_forward(record, verdict) -> None:
    verdict_view.card(verdict)
    tabs = lazy_tabs(WALK_FORWARD_TABS, TAB + "_folds")
    tab, is_open = tabs["Evidence"]
    with tab:
        if is_open:
            results_evidence.render(record)  # its folds, ladder and DM test (the verdict is the card)
    tab, is_open = tabs["Forecast"]
    with tab:
        if is_open:
            results_forecast.render_walk_forward(record)  # its forecast, calibrated on the folds


def render() -> None:
    ss = st.session_state
    st.title("Results")
    record = state.current_run(with_history=True)
    verdict = None
    if record is not None:
        widgets.run_header(record, "results")  # which run this is, and a note if Data holds other prices
        try:
            verdict = verdict_view.verdict_of(record)
        except Exception as exc:  # noqa: BLE001 - a damaged record: a message, never a traceback
            widgets.show_error(exc, kept="The run's record is still on the Runs page.")
            return
    if verdict is not None and verdict.walk_forward:
        _walk_forward(record, verdict)
        return
    if not run_client.has_result(record):
        if record is not None and record.active:
            widgets.run_link(record, "views/train.py")
            st.info(
                "Training is in progress: the results appear here as soon as it finishes.",
                icon=":material/hourglass_top:",
            )
        elif record is not None:
            widgets.run_link(record)
            widgets.show_error(run_client.summary(record))
        else:
            widgets.no_run_notice("its predictions and metrics appear here")
        error = ss.get(state.TRAIN_ERROR)
        if error:
            widgets.show_error(error)
        if record is not None:
            st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
        return
    if verdict is not None:
        verdict_view.card(verdict)
    with errors.boundary(
        "reading the run's files", kept="The run's record is still on the Runs page."
    ) as outcome:
        evaluation = run_client.evaluation(record)
        data = run_prices(record)
    if outcome.failed:
        return

    config = data.config
    widgets.run_link(record)
    mode = "next day" if config.target_mode == "next_day" else f"next window ({config.time_step} days)"
    if config.target_as == "change":
        mode += ", predicting the change from the last known value"
    # What the run's line above (widgets.run_header) lacks: how it ended, the target, the full data.
    st.caption(
        f"{run_client.summary(record)} · target {markdown_literal(config.target)}, {mode} · "
        f"{markdown_literal(record.data_description)}"
    )

    tabs = lazy_tabs(TABS, TAB)
    tab, is_open = tabs["Predictions"]
    with tab:
        if is_open:
            _predictions(evaluation, data)
    tab, is_open = tabs["Evidence"]
    with tab:
        if is_open:
            _evidence_single(verdict)
    tab, is_open = tabs["Forecast"]
    with tab:
        if is_open:
            results_forecast.render(record, data)
    tab, is_open = tabs["Did it learn?"]
    with tab:
        if is_open:
            results_lessons.verdict_panel(verdict, evaluation)
    tab, is_open = tabs["Leak demo"]
    with tab:
        if is_open:
            results_lessons.leak_panel(record, evaluation)
    tab, is_open = tabs["Downloads"]
    with tab:
        if is_open:
            _downloads(evaluation, record)
            with st.expander("Training history and settings"):
                style.show(
                    training_figures.loss_figure(record.history, best_epoch=record.best_epoch),
                    key="results_loss_chart",
                )
                st.json(config.to_dict(), expanded=False)
            provenance_view.render(record)


def _predictions(evaluation, data) -> None:
    """The predicted-vs-actual chart (the last six months, persistence beside the model), the metrics
    and the residuals."""
    show_train = st.toggle("Show the training period", key=SHOW_TRAIN)
    if evaluation.target_mode == "next_day":
        _chart_next_day(evaluation, data, show_train)
    else:
        _chart_next_window(evaluation, data, show_train)
    metrics = evaluation.metrics
    model_row, base_row = metrics.loc["model"], metrics.loc["persistence"]
    widgets.metric_row(
        [
            ("Model RMSE", widgets.format_number(model_row["RMSE"]), "Test period, price units."),
            ("Persistence RMSE", widgets.format_number(base_row["RMSE"]), "Tomorrow = today, same test days."),
            ("Skill", widgets.format_number(model_row["Skill"], 3), "1 − RMSE model / RMSE persistence; > 0 beats it."),
            ("Direction", f"{widgets.format_number(model_row['Direction %'], 1)} %", "Up/down moves called right."),
        ]
    )  # fmt: skip
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.subheader("Metrics on the test period", anchor=False)
        st.table(metrics_display(metrics))
        st.markdown(SKILL_TEXT)
    with right:
        _residuals(evaluation, data)
