"""Train: the knobs, what they do to the network (parameters, windows, shapes), and live training.

Train records a queued run and hands it to the server's worker pool (``state.start_run``): the
model trains in a worker process, never in the server. The progress panel is an ``st.fragment``
that reads the run's stored progress every half second only while it is queued or running, so
the page stays usable, and a reload or another tab with ``?run=ID`` shows the same progress.
A knob change reruns only cheap arithmetic.
"""

from __future__ import annotations

import streamlit as st

from components import errors, run_client, widgets
from components.figures import prices as price_figures
from components.figures import style
from components.figures import training as training_figures
from components.literal import markdown_literal
from components.pages import train_folds
from components.session import knobs, state, walkforward
from model.data import PriceTable
from model.engine.config import LstmConfig
from model.engine.network import count_parameters
from model.engine.presets import CUSTOM, PRESETS, differences_from_tutorial
from model.engine.windows import check_trainable, split_rows, window_counts
from model.errors import LensError
from model.forecast.horizon import forecast_limits

POLL_SECONDS = 0.5
LARGE_MODEL = 500_000  # parameters above which the page warns that CPU training will be slow
LOG_LOSS = "loss_log_scale"  # session key of the loss chart's log-scale toggle
SPLIT_FIGURE = "_split_figure"  # (prices, key, figure): the split chart of the last rerun
PRESET_PICKER = "preset_picker"  # widget key of the preset picker


# ---------------------------------------------------------------------------------------------
# Checks before training (cheap: they run on every knob change)
# ---------------------------------------------------------------------------------------------


def config_problem(prices: PriceTable, config: LstmConfig) -> str | None:
    """Why this config cannot train on this data, in words for the page; None if it can."""
    try:
        check_trainable(prices.frame, config)
    except LensError as exc:
        return str(exc)
    return None


def shape_line(config: LstmConfig, train_windows: int) -> str:
    batch = max(1, min(config.batch_size, train_windows))
    t, d, u = config.time_step, config.input_size, config.rnn_unit
    layers = f"{config.layer_num} × LSTM" + (" (one shared cell)" if config.share_cell else "")
    return (
        f"X `[{batch}, {t}, {d}]` → input projection `[{batch}, {t}, {u}]` → {layers} `[{batch}, {t}, {u}]` "
        f"→ output projection `[{batch}, {t}, 1]`"
    )


# ---------------------------------------------------------------------------------------------
# Progress panel
# ---------------------------------------------------------------------------------------------


def _loss_chart(history, best_epoch=None, key="loss_chart") -> None:
    log_y = st.toggle("Log-scale loss", key=LOG_LOSS)
    style.show(training_figures.loss_figure(history, log_y=log_y, best_epoch=best_epoch), key=key)


def _draw_queued(record) -> None:
    ahead = run_client.pool().queue_position(record.id)
    where = f", {ahead} ahead" if ahead else (", next" if ahead == 0 else "")
    st.progress(0.0, text=f"Queued{where}: waiting for a free worker…")
    if state.owns(record):
        st.button(
            "Stop", on_click=state.stop_run, args=(record.id,), help="Cancel this run before it starts."
        )


def _draw_running(record) -> None:
    folds = train_folds.progress_of(record)
    if folds is not None:  # a walk-forward run: its folds train, it does not
        train_folds.draw_running(record, folds)
        return
    progress = record.progress
    elapsed, left = run_client.progress_times(progress)
    fraction = float(progress.get("fraction") or 0.0) if progress else 0.0
    stopping = record.stop_requested
    text = "Stopping after this batch…" if stopping else widgets.progress_text(progress)
    st.progress(min(max(fraction, 0.0), 1.0), text=text)
    latest = record.history[-1] if record.history else {}
    widgets.metric_row(
        [
            ("Elapsed", widgets.format_seconds(elapsed)),
            (
                "Time left",
                widgets.format_seconds(left),
                "If every epoch runs; early stopping may end sooner.",
            ),
            ("Train loss", widgets.format_number(latest.get("loss"), 4)),
            ("Validation loss", widgets.format_number(latest.get("val_loss"), 4)),
        ]
    )
    if state.owns(record):
        st.button(
            "Stop",
            on_click=state.stop_run,
            args=(record.id,),
            disabled=stopping,
            help="End training after the current batch and keep the best weights trained so far.",
        )
    else:
        st.caption("Another session started this run; only that session can stop it.")
    _loss_chart(record.history)


@st.fragment(run_every=POLL_SECONDS)
def _live_panel() -> None:
    record = state.current_run(with_history=True)
    if record is None or not record.active:
        st.rerun()  # a full rerun draws the finished panel and enables Train
    widgets.run_link(record)
    if record.status == "queued":
        _draw_queued(record)
    else:
        _draw_running(record)


def _finished_panel(record) -> None:
    error = st.session_state.get(state.TRAIN_ERROR)
    if error:
        widgets.show_error(error)
    if record is None:
        return
    widgets.run_link(record)
    folds = train_folds.progress_of(record)
    summary = run_client.summary(record) if folds is None else train_folds.finished_summary(record, folds)
    if record.status == "failed":
        widgets.show_error(summary)
        return
    if record.status == "interrupted" or record.stop_reason == "cancelled":
        st.warning(summary, icon=":material/warning:")
        return
    if state.owns(record):
        st.success(summary, icon=":material/check_circle:")
    else:
        st.caption(f"{widgets.run_label(record)}: {summary}")
    st.page_link("views/results.py", label="See the results", icon=":material/insights:")
    if folds is not None:
        train_folds.draw_finished_curves(folds)
        return
    full = run_client.store().get_run(record.id)
    _loss_chart(full.history, full.best_epoch, key="loss_chart_done")


def progress_panel() -> None:
    record = state.current_run()
    if record is not None and record.active:
        _live_panel()
    else:
        _finished_panel(record)


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------


def _pick_preset() -> None:
    """on_change of the picker: every knob from the chosen preset (None = the user cleared it)."""
    name = st.session_state.get(PRESET_PICKER)
    if name in PRESETS:
        knobs.apply_preset(name)


def preset_panel(prices: PriceTable, config: LstmConfig) -> None:
    """The preset picker, which preset the knobs are, and what differs from the tutorial."""
    active = knobs.active_preset()
    # The picker shows the knobs' preset; after any knob edit that is none ("custom").
    st.session_state[PRESET_PICKER] = active if active in PRESETS else None
    st.selectbox(
        "Preset",
        list(PRESETS),
        format_func=lambda name: PRESETS[name].label,
        key=PRESET_PICKER,
        index=None,
        placeholder="Custom",
        on_change=_pick_preset,
        help="Sets every knob at once. The faithful preset is the tutorial's N-D script as written; Sound "
        "is what we recommend. Changing any knob afterwards makes the settings custom.",
    )
    if active == CUSTOM:
        st.caption("Active preset: **custom** (your own settings).")
    else:
        st.caption(f"Active preset: **{PRESETS[active].label}**. {PRESETS[active].summary}")
    differences = differences_from_tutorial(config, prices.columns)
    label = (
        "Identical to the tutorial, knob by knob"
        if not differences
        else f"{len(differences)} knob(s) differ from the tutorial"
    )
    with st.expander(label, expanded=False):
        if differences:
            st.table(
                {
                    "Knob": [d.label for d in differences],
                    "Tutorial": [d.tutorial for d in differences],
                    "Now": [d.current for d in differences],
                }
            )
        missing = [f for f in PRESETS["tutorial"].features if f not in prices.columns]
        if missing:
            st.caption(f"The tutorial also feeds {', '.join(missing)}, which this data does not have.")


def _knobs(container) -> None:
    with container:
        st.subheader("Network", anchor=False)
        knobs.render_network_knobs(st.container())
        st.subheader("Target", anchor=False)
        knobs.knob_widget("target")
        knobs.knob_widget("target_mode")
        knobs.knob_widget("target_as")
        st.subheader("Training", anchor=False)
        a, b = st.columns(2)
        knobs.knob_widget("epochs", a)
        knobs.knob_widget("learning_rate", b)
        knobs.knob_widget("patience", a)
        knobs.knob_widget("seed", b)
        knobs.knob_widget("dropout")
        knobs.knob_widget("test_fraction")
        knobs.knob_widget("val_fraction")
        knobs.knob_widget("share_cell")
        st.subheader("Forecast", anchor=False)
        knobs.knob_widget("horizon")
        knobs.knob_widget("forecast_strategy")
        knobs.knob_widget("interval_method")
        st.button(
            "Reset to defaults",
            on_click=knobs.reset_knobs,
            help="Every knob back to the defaults (the Sound preset).",
        )


def _summary(prices: PriceTable, config: LstmConfig) -> str | None:
    """Parameter and window counts for the current knobs; returns the problem, if any."""
    params = count_parameters(config)
    counts = window_counts(len(prices.frame), config)
    widgets.metric_row(
        [
            ("Parameters", f"{params['total']:,}", "Weights and biases the optimiser trains."),
            ("Training windows", f"{counts['train']:,}", "Windows whose targets end before the validation period."),
            ("Validation windows", f"{counts['val']:,}", "Used for the validation loss and early stopping."),
            ("Test windows", f"{counts['test']:,}", "Never trained on; Results scores the model on them."),
        ]
    )  # fmt: skip
    st.caption(
        f"Parameters: input projection {params['input_projection']:,} · LSTM {params['lstm']:,} · "
        f"output projection {params['output_projection']:,}"
    )
    st.markdown(shape_line(config, counts["train"]))
    if params["total"] > LARGE_MODEL:
        st.warning(
            f"{params['total']:,} parameters: training this on a CPU can take a long time. "
            "Lower rnn_unit or layer_num for quick experiments.",
            icon=":material/hourglass_top:",
        )
    return config_problem(prices, config)


def fold_tests(rows: int, index, config: LstmConfig, folds: int) -> list[tuple[str, object, object]]:
    """(label, first, last test date) of each walk-forward fold; [] for one split or folds that do not fit."""
    if folds < 2:
        return []
    from model.evidence.folds import fold_boundaries

    try:
        bounds = fold_boundaries(rows, config, folds)
    except LensError:
        return []  # the Train button's check says why
    return [(f"fold {f.index + 1} test", index[f.test_start], index[f.test_end - 1]) for f in bounds]


def _split_chart(prices: PriceTable, config: LstmConfig, folds: int = 0) -> None:
    """The split over the target (each fold's test period with several folds); rebuilt only when the
    data, target, shares or folds change (not rnn_unit)."""
    frame = prices.frame
    if config.target not in frame.columns:
        return
    val_start, test_start = split_rows(len(frame), config)
    key = (config.target, val_start, test_start, folds, config.time_step)
    cached = st.session_state.get(SPLIT_FIGURE)
    if cached is not None and cached[0] is prices and cached[1] == key:
        fig = cached[2]
    else:
        index = frame.index
        periods = {
            "train": (index[0], index[max(val_start - 1, 0)]),
            "val": (index[val_start], index[test_start - 1]) if test_start > val_start else (None, None),
            "test": (index[min(test_start, len(index) - 1)], index[-1]),
        }
        tests = fold_tests(len(frame), index, config, folds)
        title = (
            f"Walk-forward: the {len(tests)} folds' test periods over {config.target}"
            if tests
            else f"Chronological split of {config.target}"
        )
        fig = price_figures.split_figure(frame[config.target], periods, title=title, folds=tests)
        st.session_state[SPLIT_FIGURE] = (prices, key, fig)
    style.show(fig, key="split_chart")


def render() -> None:
    st.title("Train")
    widgets.url_warnings()
    prices = widgets.loaded_prices()
    if prices is None:
        return
    st.caption(f"Training data: {markdown_literal(prices.source)} · {len(prices.frame):,} rows")

    notes = knobs.fit_columns(prices.columns)  # before the widgets: a new table may lack some columns
    knobs_col, main_col = st.columns([1, 2], gap="large")
    # The knobs' on_change callbacks have already stored the new values, so the counts they
    # drive are drawn first (the first deltas the browser gets) and the knobs after them.
    config = knobs.knob_config()
    with main_col:
        for note in notes:
            st.info(note)
        problem = _summary(prices, config)
        if problem:
            st.error(markdown_literal(problem), icon=":material/block:")  # it may quote column names
        for note in [] if problem else forecast_limits(len(prices.frame), config):
            st.warning(note, icon=":material/rule:")
        evidence = walkforward.options(knobs_col)  # folds / mode / seeds (0 folds: one split)
        running = state.run_in_progress()
        clicked = st.button(
            "Train",
            type="primary",
            disabled=running or problem is not None,
            help="Record a run and train it in a worker process; you can switch pages or reload meanwhile.",
        )
        if clicked:
            with errors.boundary("starting the run") as outcome:
                walkforward.start(prices, config, evidence)
            if not outcome.failed:
                st.rerun()  # redraw with the Train button disabled and the live panel
        progress_panel()
    with knobs_col:
        preset_panel(prices, config)
    _knobs(knobs_col)
    with main_col:
        _split_chart(prices, config, evidence["folds"])
