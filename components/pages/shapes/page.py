"""Shapes: the tutorial's seven-step explanation of ``lstm(X)`` as a live trace of the real network.

Every shape shown comes from a real forward pass (``model.explain.trace_shapes``). With a run open,
the page traces that run by default: its knobs, its trained weights, windows of ITS prices
normalised with ITS training statistics (whatever the Data page holds). The explicit other choice
is a fresh untrained network of the knobs on the loaded prices. Next to each observed shape stands the tutorial's
symbolic shape with the user's numbers filled in, so the two can be compared line by line.

The trace runs in a warm worker process, so the server never imports TensorFlow. It is cached by
content (``model_choice``), so moving between steps does not recompute it and a knob change
retraces at once.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import errors, run_client, widgets
from components.figures import shapes as shape_figures
from components.figures import style
from components.pages.shapes.code import code_side_by_side
from components.pages.shapes.equivalence import equivalence_panel
from components.pages.shapes.model_choice import FRESH, RUN, TraceEntry, get_trace, run_table
from components.pages.shapes.panels import gate_panel, hidden_state_panel, unroll_panel
from components.pages.shapes.steps import step_nav
from components.pages.shapes.tables import rows_markdown, share_cell_note, step_rows
from components.session import knobs, memory, state
from model.explain.sources import N_STEPS, Step

SUBJECT_WIDGET = "shape_subject"  # remembered: the open run's model, or a fresh network


def _subject(record) -> str:
    """What to trace: the open run (the default when one is open) or a fresh network of the knobs."""
    if record is None:
        return FRESH
    labels = {RUN: f"Run {record.id}'s trained model", FRESH: "A fresh untrained network (the knobs)"}
    return st.radio(
        "Trace",
        (RUN, FRESH),
        format_func=labels.get,
        horizontal=True,
        help="The open run: its own knobs, trained weights and prices, normalised with its training "
        "statistics. A fresh network: the knobs below, random weights, the prices on the Data page.",
        **memory.remembered(SUBJECT_WIDGET, RUN),
    )


def _knobs(record, subject: str) -> None:
    st.subheader("Network", anchor=False)
    if subject == RUN:
        cfg = record.lstm_config
        st.markdown(
            f"Run {record.id}'s own settings: rnn_unit **{cfg.rnn_unit}**, layer_num **{cfg.layer_num}**, "
            f"time_step **{cfg.time_step}**, batch_size **{cfg.batch_size}**, "
            f"{len(cfg.features)} feature(s)" + (", a shared cell." if cfg.share_cell else ".")
        )
        st.caption("Choose a fresh untrained network above to trace other settings.")
        return
    knobs.render_network_knobs(st.container())
    knobs.knob_widget("share_cell")
    st.caption("The same knobs as on the Train page; they are in the link too.")


def _about(entry: TraceEntry) -> None:
    source, windows, trace = entry.source, entry.windows, entry.trace
    icon = ":material/model_training:" if source.trained else ":material/casino:"
    st.markdown(f"{icon} **Model:** {source.label}.")
    if source.why_fresh:
        st.caption(source.why_fresh)
    elif not source.trained:
        st.caption(
            "Train a model with these settings on the Train page (or open a run) to trace learned weights."
        )
    st.markdown(f":material/table_rows: **Windows:** {windows.description}.")
    if windows.note:
        st.info(windows.note, icon=":material/info:")
    st.caption(f"Forward pass traced in {entry.traced.ms:.0f} ms.")
    with st.expander("Checks"):
        for note in trace.notes:
            st.caption(note)


def _step(entry: TraceEntry, step: int) -> None:
    """The step's title, explanation and diagram (beside the knobs)."""
    trace, cfg = entry.trace, entry.config
    record = trace.step(step)
    st.subheader(f"Step {step} of {N_STEPS} · {record.title}", anchor=False)
    st.markdown(record.explanation)
    if step == Step.LSTM and trace.share_cell:
        st.info(share_cell_note(cfg.layer_num, trace.gates.param_count), icon=":material/link:")
    fig = entry.figure(("step", step), lambda: shape_figures.step_figure(record, trace.share_cell, title=""))
    style.show(fig, key="shape_step_diagram")
    st.caption("Box sides grow with log₂ of each dimension; a 3-D tensor's depth is its batch axis. "
               "Hover a box for its shape and the code that makes it.")  # fmt: skip


def _step_table(entry: TraceEntry, step: int) -> None:
    """Every tensor of the step: the tutorial's shape, with the numbers, and as observed (full width)."""
    record = entry.trace.step(step)
    st.markdown(rows_markdown(step_rows(entry.trace, step, entry.config)))
    if record.params:
        st.caption(f"Weights used in this step: {record.param_count:,} values.")


def render() -> None:
    st.title("Shapes")
    st.caption(
        f"Shape walkthrough: the tutorial's {N_STEPS}-step explanation of `lstm(X)`, traced through a real "
        "forward pass of the network with your `rnn_unit`, `layer_num`, `time_step`, batch size and features."
    )
    widgets.url_warnings()
    record = state.current_run()
    if record is not None:
        widgets.run_header(record, "shapes")
    opened = run_client.network_run(record) if run_client.has_result(record) else None
    if opened is not None and opened is not record:
        st.caption(
            f"A walk-forward run trains one network per fold: Shapes traces the last fold's, "
            f"{widgets.run_label(opened)}, trained on everything before its test period."
        )
    subject = _subject(opened)
    prices = None
    if subject == RUN:
        with errors.boundary(
            "reading the run's prices", kept="Choose a fresh network to trace the loaded prices."
        ) as read:
            prices = run_table(opened)
        if read.failed:
            return
    else:
        prices = state.get_prices()
        if prices is None:
            message = st.session_state.get(state.DATA_ERROR) or "No prices are loaded"
            st.info(f"{message}: the trace runs on random windows.")
        else:
            for note in knobs.fit_columns(prices.columns):
                st.info(note)

    knobs_col, main_col = st.columns([1.2, 3], gap="large")
    with knobs_col:
        _knobs(opened, subject)
    config = opened.lstm_config if subject == RUN else knobs.knob_config()
    with errors.boundary("tracing the network", container=main_col) as outcome:
        config.validate()
        entry = get_trace(prices, config, opened if subject == RUN else None)
    if outcome.failed:
        return

    with knobs_col:
        _about(entry)
    with main_col:
        step = step_nav()
        _step(entry, step)
    _step_table(entry, step)
    code_side_by_side(entry.config, step)
    if step == Step.LSTM:
        gate_panel(entry)
    with st.expander(f"All {N_STEPS} steps at a glance"):
        st.dataframe(pd.DataFrame(entry.trace.as_table()), hide_index=True, width="stretch")
    st.divider()
    hidden_state_panel(entry)
    st.divider()
    unroll_panel(entry)
    st.divider()
    equivalence_panel(entry)
