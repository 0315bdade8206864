"""Explainer: a guided tour of ONE prediction of the opened run, stop by stop, with its own numbers.

Pick a test day on the price chart; Back / Next (or the ← → keys, or Play) walk from the window
on the chart through the normalised inputs, the input projection, the cell at every step of
every layer, the output projection to the prediction beside persistence and the actual value,
and how far back the network remembers. The numbers come from ONE worker job per run and day
(``tour``: ``model.explain.tour``, cached in the worker and here), so a stop change is a pure
redraw inside a fragment. The run, the day and the stop are in the link
(``?run=12&day=2012-05-04&stop=5``), so a link reproduces a stop.
"""

from __future__ import annotations

import logging

import streamlit as st

from components import run_client, verdict_view, widgets, worker_jobs
from components.figures import style
from components.figures import tour as figures
from components.session import state, tour_link
from model.engine.training import SNAPSHOT_MAX_PARAMS
from model.errors import LensError
from model.explain import tour_stops as stops_module

log = logging.getLogger(__name__)

DAY = "tour_day"  # session keys
STOP = "tour_stop"  # 0-based index into the stops
PLAY = "tour_play"
PLAY_ENDED = "tour_play_ended"
PICKED = "tour_picked"  # the chart point last applied (a selection stays on the chart)
WRITTEN = "tour_link_written"  # {param: text} as this page last wrote them
EPOCH = "tour_epoch"
PLAY_SECONDS = 1.2


def _apply_link(warnings: list[str]) -> None:
    """day= and stop= from the URL, when they differ from what this page last wrote there."""
    ss = st.session_state
    written: dict[str, str] = ss.setdefault(WRITTEN, {})
    for param, reader, key, shift in ((tour_link.DAY_PARAM, tour_link.read_day, DAY, 0),
                                      (tour_link.STOP_PARAM, tour_link.read_stop, STOP, -1)):  # fmt: skip
        raw = st.query_params.get(param)
        if raw is None or raw == written.get(param):
            continue
        written[param] = raw
        read = reader(raw)
        if read.warning:
            warnings.append(read.warning)
        else:
            ss[key] = read.value + shift if shift else read.value


def _write_link(day: str, stop: int) -> None:
    written = st.session_state.setdefault(WRITTEN, {})
    for param, text in ((tour_link.DAY_PARAM, day), (tour_link.STOP_PARAM, str(stop + 1))):
        written[param] = text
        if st.query_params.get(param) != text:
            st.query_params[param] = text


def _move(delta: int, count: int) -> None:
    ss = st.session_state
    ss[STOP] = max(0, min(int(ss.get(STOP, 0)) + delta, count - 1))


def stop_figure(tour, stop):
    kind = stop.kind
    if kind == stops_module.WINDOW:
        return None  # the window stop is the price chart above
    if kind == stops_module.INPUTS:
        return figures.inputs_figure(tour)
    if kind == stops_module.PROJECTION:
        return figures.projection_figure(tour)
    if kind == stops_module.CELL:
        return figures.cell_figure(tour, stop.layer, stop.step)
    if kind == stops_module.OUTPUT:
        return figures.output_figure(tour)
    if kind == stops_module.PREDICTION:
        return figures.prediction_figure(tour)
    return figures.memory_figure(tour)


def _panel(tour) -> None:
    """The stop controls, the stop and the unrolled chain (a fragment: a stop change redraws only this)."""
    ss = st.session_state
    stops = stops_module.tour_stops(tour)
    count = len(stops)
    if ss.get(PLAY) and ss.get("tour_tick_seen"):
        if int(ss.get(STOP, 0)) >= count - 1:
            ss[PLAY_ENDED] = True
            ss["tour_tick_seen"] = False
            st.rerun()
        _move(+1, count)
    ss["tour_tick_seen"] = bool(ss.get(PLAY))
    ss[STOP] = stops_module.stop_index(stops, ss.get(STOP))
    back, nxt, slider = st.columns([1.4, 1.4, 7], vertical_alignment="bottom")
    back.button("Back", shortcut="Left", on_click=_move, args=(-1, count),
                disabled=ss[STOP] == 0, key="tour_back", width="stretch")  # fmt: skip
    nxt.button("Next", shortcut="Right", on_click=_move, args=(+1, count),
               disabled=ss[STOP] == count - 1, key="tour_next", type="primary", width="stretch")  # fmt: skip
    slider.select_slider("Stop", options=list(range(count)), key=STOP,
                         format_func=lambda k: f"{k + 1}. {stops[k].title}")  # fmt: skip
    stop = stops[ss[STOP]]
    _write_link(tour.day, ss[STOP])
    st.markdown(f"**Stop {ss[STOP] + 1} of {count} · {stop.title}**")
    st.info(stop.text, icon=":material/route:")
    fig = stop_figure(tour, stop)
    if fig is not None:
        style.show(fig, key="tour_stop_chart")
    style.show(figures.chain_figure(tour, stop.time), key="tour_chain")
    if figures.fits_one_screen(tour):
        style.show(figures.all_numbers_figure(tour, stop.time), key="tour_all_numbers")
    _replay(tour, stop)
    if tour.model_max_abs_diff <= 1e-5:
        st.caption(f"Every number is the trained model's: recomputed from run {tour.run_id}'s stored weights, it "
                   f"matches the model's own {tour.kernel} pass to {tour.model_max_abs_diff:.1e}.")  # fmt: skip
    else:
        st.warning(f"These numbers differ from the model's own {tour.kernel} pass by up to "
                   f"{tour.model_max_abs_diff:.2e}.")  # fmt: skip


def _replay(tour, stop) -> None:
    """Training replay: the same day after each epoch (runs that kept weight snapshots)."""
    record = state.current_run()
    if record is None:
        return
    record = run_client.network_run(record)  # a walk-forward run's: the fold the tour follows
    try:
        replay = worker_jobs.run_job("tour_replay", record, tour.day)
    except LensError as exc:
        widgets.show_error(exc)
        return
    if replay is None or replay.epochs == 0:
        st.caption("Training replay: this run kept no per-epoch weights (networks of up to "
                   f"{SNAPSHOT_MAX_PARAMS:,} weights keep them).")  # fmt: skip
        return
    st.subheader("Training replay", anchor=False)
    if st.session_state.get(EPOCH) not in range(1, replay.epochs + 1):  # first visit, or another run
        st.session_state[EPOCH] = replay.epochs
    epoch = st.select_slider("Epoch", options=list(range(1, replay.epochs + 1)), key=EPOCH)
    layer, step = stop.time if stop.time is not None else (tour.layer_num - 1, tour.output_index)
    left, right = st.columns([1, 1.3], gap="large")
    with left:
        style.show(figures.replay_figure(replay, epoch), key="tour_replay_chart")
    with right:
        style.show(figures.replay_cell_figure(tour, replay, epoch, layer, step), key="tour_replay_cell")
    st.caption(f"After epoch {epoch} the model predicted {replay.predictions[epoch - 1]:,.2f} for {tour.day} "
               f"(the run kept epoch {replay.best_epoch}'s weights: {tour.prediction:,.2f}).")  # fmt: skip


def _pick_day(tour) -> None:
    """The price chart: a click on a test day makes it the day of the tour."""
    event = st.plotly_chart(figures.window_figure(tour), width="stretch", theme=None, key="tour_window",
                            config=style.PLOTLY_CONFIG, on_select="rerun", selection_mode="points")  # fmt: skip
    points = (event.get("selection") or {}).get("points") or [] if event else []
    if points:
        day = str(points[0].get("x"))
        if day != st.session_state.get(PICKED) and day in tour.test_days:
            st.session_state[PICKED] = day
            if day != tour.day:
                st.session_state[DAY] = day
                st.rerun()


def _toy_mode(record) -> None:
    """Train the toy network (the "toy" preset) on the loaded prices; it becomes the opened run."""
    from components.session import knobs
    from model.engine.presets import TOY, TOY_PRESET

    with st.expander("Toy mode: every number on one screen", expanded=record is None):
        st.caption(
            f"{TOY_PRESET.summary} It trains in a worker like any run (about a minute) and opens here."
        )
        prices = state.get_prices()
        busy = state.run_in_progress()
        if st.button(
            "Train the toy network on the loaded prices", disabled=prices is None or busy, key="tour_toy"
        ):
            try:
                knobs.apply_preset(TOY)
                state.start_run(prices, knobs.knob_config())
            except LensError as exc:
                widgets.show_error(exc)
                return
            st.rerun()


@st.fragment(run_every=1.0)
def _wait_for_training(run_id: int) -> None:
    record = state.current_run()
    if record is None or record.id != run_id or not record.active:
        st.rerun()
    st.info(
        f"Run {run_id} is {record.status}: the tour opens when it has finished.",
        icon=":material/hourglass_top:",
    )


def render() -> None:
    st.title("Explainer")
    st.caption("A guided tour of one prediction of the opened run: every number is the trained model's own, "
               "on its own prices. Use Back / Next, the ← → keys, or Play.")  # fmt: skip
    warnings: list[str] = []
    _apply_link(warnings)
    for text in warnings:
        st.warning(text, icon=":material/link_off:")
    record = state.current_run()
    _toy_mode(record if run_client.has_result(record) else None)
    if record is not None and record.active:
        _wait_for_training(record.id)
        return
    if not run_client.has_result(record):
        st.info(
            "No trained model to explain yet. Train one (Train page, or the toy above) or open a run "
            "(Runs page)."
        )
        st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
        return
    widgets.run_header(record, "tour")  # the same line as Results, Shapes and Inside
    try:
        verdict = verdict_view.verdict_of(record)
    except Exception:  # noqa: BLE001 - a damaged evidence record: the tour still explains the prediction
        log.exception("The verdict of run %s could not be read", record.id)
        verdict = None
    if verdict is not None:
        verdict_view.sentence(verdict)  # the tour explains a prediction of a model judged so on Results
    subject = run_client.network_run(record)
    if subject is not record:
        st.caption(
            f"A walk-forward run trains one network per fold: the tour follows the last fold's, "
            f"{widgets.run_label(subject)}, trained on everything before its test period."
        )
    record = subject
    ss = st.session_state
    try:
        with st.spinner("Computing the tour in a worker process…"):
            tour = worker_jobs.run_job("tour", record, ss.get(DAY))
    except LensError as exc:
        if ss.get(DAY) is None:
            widgets.show_error(exc)
            return
        st.warning(f"{exc} Showing the last test day instead.", icon=":material/event_busy:")
        ss[DAY] = None
        tour = worker_jobs.run_job("tour", record, None)
    _pick_day(tour)
    if ss.pop(PLAY_ENDED, False):
        ss[PLAY] = False  # the last stop was reached (set before the toggle is drawn)
    st.toggle("Play", key=PLAY, help="Walk through the stops on its own, one every "
              f"{PLAY_SECONDS:g} s (stops at the last).")  # fmt: skip
    st.fragment(_panel, run_every=PLAY_SECONDS if ss.get(PLAY) else None)(tour)
