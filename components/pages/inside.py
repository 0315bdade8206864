"""Inside: what a trained model does on real data, in four views of the session's current run.

Why it lags (its predictions against the actual series at lags of -10..+10 days), which days and
features it looks at (integrated gradients), what each unit does (hidden states over the test
period, LSTMVis-style selection) and what if the price had moved differently (edit a window,
predict again). The lag view needs only the stored predictions; the others run in the warm
worker processes (``components.worker_jobs``), cached per run and view: the server never imports
TensorFlow. The engine is ``model.inside``; the drawers are ``components.figures.inside``.
"""

from __future__ import annotations

import streamlit as st

from components import run_client, verdict_view, widgets, worker_jobs
from components.figures import inside as inside_figures
from components.figures import style
from components.session import state
from model.errors import LensError
from model.inside.attribution import DEFAULT_STEPS, attribution_view
from model.inside.lags import lag_view
from model.inside.units import unit_selection, unit_signals

DAY = "inside_day"  # widget keys
UNIT = "inside_unit"
UNIT_MODE = "inside_unit_mode"
THRESHOLD = "inside_threshold"
STRETCH = "inside_stretch"
SHIFT = "inside_shift"
TREND = "inside_trend"
TREND_DAYS = "inside_trend_days"
WHAT_IF_DAY = "inside_what_if_day"
ONE_UNIT, STRETCH_MODE = "One unit", "Units on over a stretch of days"


def _lags(record, evaluation, verdict) -> None:
    st.subheader("Why it lags", anchor=False)
    config = record.lstm_config
    change = config.target_as == "change"
    if verdict is not None:
        verdict_view.sentence(verdict)
    record_, daily = lag_view(evaluation.split("test"), change_target=change, verdict=verdict)
    (st.warning if record_.repeats else st.info)(record_.sentence, icon=":material/schedule:")
    left, right = st.columns([1, 1.4], gap="large")
    with left:
        style.show(inside_figures.lag_figure(record_), key="inside_lag_chart")
        st.caption("Lag k compares the prediction for day t with the actual value of day t − k. A model that "
                   "repeats the last price peaks at k = +1; one that foresees the move would peak at 0.")  # fmt: skip
    with right:
        style.show(
            inside_figures.shifted_overlay_figure(daily, config.target, change), key="inside_overlay_chart"
        )


def _day_picker(key: str, dates: list[str], label: str) -> int:
    n = len(dates)
    if st.session_state.get(key) not in range(n):  # first visit, or another run with fewer days
        st.session_state[key] = n - 1
    return st.select_slider(label, options=list(range(n)), format_func=lambda i: dates[i], key=key)


def _attributions(record) -> None:
    st.subheader("Which days and features it looks at", anchor=False)
    st.caption(
        "Integrated gradients: how much each input value moved the prediction away from what the model "
        "predicts for an average window (every feature at its training mean), in price units; the numbers of "
        f"each day add up to that difference ({DEFAULT_STEPS} interpolation steps)."
    )
    with st.spinner("Computing attributions in a worker process…"):
        result = worker_jobs.run_job("inside_attributions", record, steps=DEFAULT_STEPS)
    dates, features = result["dates"], result["features"]
    day = _day_picker(DAY, dates, "Test day (the window's last day)")
    view = attribution_view(result["record"], day, features)
    st.info(view.sentence, icon=":material/visibility:")
    t = view.day.shape[0]
    window_days = [("last day" if k == 0 else f"−{k}") for k in range(t - 1, -1, -1)]
    left, right = st.columns(2, gap="large")
    with left:
        style.show(inside_figures.attribution_figure(view.day, features, window_days, f"Window ending {dates[day]}"),
                   key="inside_day_attr")  # fmt: skip
        st.caption(f"This day: {view.day_last_share:.0%} of the attribution on the last day; prediction "
                   f"{view.day_prediction:+,.2f} vs {view.baseline_prediction:+,.2f} for the average window "
                   "(in the target's units; with the change target, the predicted move).")  # fmt: skip
    with right:
        style.show(inside_figures.attribution_figure(view.average, features, window_days,
                                                     "Average over the test period (size only)", signed=False),
                   key="inside_avg_attr")  # fmt: skip


def _units(record) -> None:
    st.subheader("What each unit does", anchor=False)
    with st.spinner("Reading every unit's state in a worker process…"):
        result = worker_jobs.run_job("inside_units", record)
    states, dates = result["states"], result["dates"]
    h, labels = states.h, states.labels
    mode = st.radio("Select", (ONE_UNIT, STRETCH_MODE), horizontal=True, key=UNIT_MODE)
    threshold = st.slider("On when h is at least", -1.0, 1.0, 0.5, 0.05, key=THRESHOLD)
    if mode == ONE_UNIT:
        # The first time: the unit that varies most over the test period (the most to see).
        busiest = int(h.std(axis=0).argmax()) if h.size else 0
        unit = st.selectbox(
            "Unit", list(range(len(labels))), index=busiest, format_func=lambda i: labels[i], key=UNIT
        )
        selection = unit_selection(h, 0, 0, threshold, labels, units=(unit,))
        st.info(
            unit_signals(h[:, unit], result["signals"], f"Unit {labels[unit]}").sentence,
            icon=":material/memory:",
        )
    else:
        first, last = st.select_slider("Stretch of days", options=list(range(len(dates))),
                                       value=(max(0, len(dates) - 20), len(dates) - 1),
                                       format_func=lambda i: dates[i], key=STRETCH)  # fmt: skip
        selection = unit_selection(h, first, last, threshold, labels)
        unit = selection.units[0] if selection.units else None
    st.markdown(selection.sentence)
    style.show(inside_figures.units_figure(dates, result["price"], h, labels, selection.active, unit),
               key="inside_units_chart")  # fmt: skip
    st.caption("Each row is one unit's hidden state h after reading the window that ends on that day (blue: "
               "positive, red: negative). Highlighted prices: the days the selected unit(s) are on.")  # fmt: skip


@st.fragment
def _what_if(record, dates: list[str]) -> None:
    st.subheader("What if", anchor=False)
    config = record.lstm_config
    left, right = st.columns([1, 2], gap="large")
    with left:
        day = _day_picker(WHAT_IF_DAY, dates, "Test day")
        shift = st.slider("Move the last day's prices by (%)", -10.0, 10.0, 0.0, 0.5, key=SHIFT)
        trend = st.slider("Bend the last days by a trend ending at (%)", -10.0, 10.0, 0.0, 0.5, key=TREND)
        k = st.number_input("over the last k days", 2, int(config.time_step), min(5, int(config.time_step)),
                            key=TREND_DAYS)  # fmt: skip
    try:
        result = worker_jobs.run_job("inside_what_if", record, int(day), shift_pct=float(shift),
                                     trend_pct=float(trend), trend_days=int(k))  # fmt: skip
    except LensError as exc:
        widgets.show_error(exc)
        return
    with right:
        style.show(inside_figures.what_if_figure(result), key="inside_what_if_chart")
        st.info(result.sentence(), icon=":material/tune:")


def render() -> None:
    st.title("Inside")
    st.caption("What the trained model does on real data: why it lags, which days and features it looks at, "
               "what each unit does, and what it would predict had the price moved differently.")  # fmt: skip
    record = state.current_run()
    if record is not None:
        widgets.run_header(record, "inside")  # the subject: the open run, on its own prices
    if not run_client.has_result(record):
        if record is None:
            widgets.no_run_notice("then look inside it here")
        else:
            st.info(
                "This run has no trained model to look inside yet (see Runs). Train one or open another run."
            )
            st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
        return
    try:
        verdict = verdict_view.verdict_of(record)  # the run's one verdict: the lag sentence reads it
    except Exception as exc:  # noqa: BLE001 - a damaged record: a message, never a traceback
        widgets.show_error(exc, kept="The run's record is still on the Runs page.")
        return
    subject = run_client.network_run(record)
    if subject is not record:
        st.caption(
            f"A walk-forward run trains one network per fold: Inside opens the last fold's, {widgets.run_label(subject)}, "
            "trained on everything before its test period. The verdict is the whole run's."
        )
    record = subject
    widgets.run_link(record)
    try:
        evaluation = run_client.evaluation(record)
    except LensError as exc:
        widgets.show_error(exc, kept="The run's record is still on the Runs page.")
        return
    if len(evaluation.split("test")) < 3:
        st.info(
            "This run has too few test days to look inside; train on more data or with a smaller time_step."
        )
        return
    sections = (("lags", lambda: _lags(record, evaluation, verdict)), ("attributions", lambda: _attributions(record)),
                ("units", lambda: _units(record)))  # fmt: skip
    for _name, section in sections:
        try:
            section()
        except LensError as exc:
            widgets.show_error(exc)
        st.divider()
    try:
        dates = worker_jobs.run_job("inside_units", record)["dates"]
        _what_if(record, dates)
    except LensError as exc:
        widgets.show_error(exc)
