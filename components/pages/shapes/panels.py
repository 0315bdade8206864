"""The Shapes page's panels below the seven steps: the gates of one LSTM cell, the hidden state h,
and the LSTM unrolled in time. Each draws records computed by the engine and ``tables``."""

from __future__ import annotations

import streamlit as st

from components.figures import shapes as shape_figures
from components.figures import style
from components.pages.shapes.model_choice import GATE_T_WIDGET, TraceEntry, clamp_step, gate_time
from components.pages.shapes.tables import (
    UNROLL_TABLE_HEADER,
    gate_markdown,
    rows_markdown,
    share_cell_note,
    unroll_markdown,
    unroll_shape_rows,
)
from components.session import memory
from components.session.memory import value_key
from model.explain.shapes import fmt_shape

GATE_LAYER_WIDGET = "shape_gate_layer_select"  # depth (0-based) opened up in the gate panel
UNROLL_T_WIDGET = "shape_unroll_t_slider"  # time step (0-based) of the unrolled view
UNROLL_PLAY_WIDGET = "shape_unroll_play"  # Play moves the time step slider itself
UNROLL_PLAYED = "shape_unroll_was_playing"
UNROLL_TICKED = "shape_unroll_ticked"
UNROLL_PLAY_ENDED = "shape_unroll_play_ended"
UNROLL_PLAY_SECONDS = 0.7
HEATMAP_CELLS = 60_000  # most h values drawn in the heatmap (all layers together)


def gate_panel(entry: TraceEntry) -> None:
    trace, cfg = entry.trace, entry.config
    st.subheader("Inside one LSTM layer: the gates", anchor=False)
    n_layers = len(trace.layer_gates)
    a, b = st.columns(2)
    layer = a.selectbox(
        "Layer", list(range(n_layers)),
        format_func=lambda k: f"Layer {k + 1} ({trace.layer_gates[k].layer_name})",
        disabled=n_layers == 1,
        **memory.remembered(GATE_LAYER_WIDGET, 0, fit=lambda v: clamp_step(v, n_layers, 0)),
    )  # fmt: skip
    b.slider(
        "Time step t", min_value=0, max_value=cfg.time_step - 1,
        help="The step whose gates are shown (0-based). At t = 0, h_(t-1) and c_(t-1) are zeros.",
        **memory.remembered(GATE_T_WIDGET, 1, fit=lambda v: gate_time(cfg)),
    )  # fmt: skip
    g = trace.layer_gates[layer]
    if trace.share_cell:
        st.info(share_cell_note(n_layers, g.param_count), icon=":material/link:")
    style.show(entry.figure(("gates", layer), lambda: shape_figures.gate_figure(g)), key="shape_gate_flow")
    st.markdown(gate_markdown(g, cfg, n_layers, trace.share_cell))
    if g.values:
        title = f"Gate values of window 1 at t = {g.time_index} ({g.layer_name})"
        fig = entry.figure(("gate_values", layer), lambda: shape_figures.gate_values_figure(g.values, title))
        style.show(fig, key="shape_gate_values")


def hidden_state_panel(entry: TraceEntry) -> None:
    trace, windows = entry.trace, entry.windows
    st.subheader("Hidden state h", anchor=False)
    where = (
        f"the newest window ({windows.dates[0]} → {windows.dates[-1]})"
        if windows.real
        else "window 1 (random data)"
    )
    st.caption(
        f"h of every LSTM layer for {where}, with {entry.source.label}: one row per step of the window "
        f"(time_step = {entry.config.time_step}), one column per unit (rnn_unit = {entry.config.rnn_unit}), "
        "one panel per layer. Values lie between −1 and 1; the last layer's h is the output_rnn of step 5."
    )
    hidden = trace.hidden
    names = [f"layer {k + 1} ({g.layer_name})" for k, g in enumerate(trace.layer_gates)]
    title = f"h per layer: [time_step, rnn_unit] = {fmt_shape(hidden[0].shape) if hidden else '[]'} each"
    if hidden:
        steps, units = hidden[0].shape
        shown = max(1, min(units, HEATMAP_CELLS // max(1, steps * len(hidden))))
        if shown < units:
            hidden = [h[:, :shown] for h in hidden]
            title += f" (units 0–{shown - 1} of {units} shown)"
    labels = windows.dates if windows.real else None
    fig = entry.figure("hidden", lambda: shape_figures.hidden_heatmap(hidden, title, labels, names))
    style.show(fig, key="shape_hidden")


def unroll_panel(entry: TraceEntry) -> None:
    """The stacked LSTM unrolled in time: h_t and c_t of every layer at each step of window 1.

    ONE time control: the step slider moves the figure, the sentence and the table together, and
    Play moves that same slider (a fragment rerun every ``UNROLL_PLAY_SECONDS``), so nothing can
    fall out of step with it (the figure used to carry its own plotly slider and Play button too).
    """
    st.subheader("Unroll the LSTM in time", anchor=False)
    st.caption(
        "`dynamic_rnn` runs the cell once per time step: at step t each layer takes its input x_t and its "
        "previous (h, c) and gives a new h_t and c_t. The tutorial's code keeps only two of them: "
        "`output_rnn` is every h of the last layer, `final_states` the (c, h) of the last step of each layer. "
        "Pick a step, or press Play to move the window through time."
    )
    if st.session_state.pop(UNROLL_PLAY_ENDED, False):
        st.session_state[UNROLL_PLAY_WIDGET] = False  # the last step was reached (set before the toggle)
    playing = st.toggle("Play", key=UNROLL_PLAY_WIDGET, help="Step through time on its own (from t = 0).")
    if playing and not st.session_state.get(UNROLL_PLAYED):
        # Play starts from the first step; the fragment then moves the slider one step per tick.
        st.session_state[value_key(UNROLL_T_WIDGET)] = 0
    st.session_state[UNROLL_PLAYED] = playing
    st.fragment(_unroll_steps, run_every=UNROLL_PLAY_SECONDS if playing else None)(entry, playing)


def _unroll_steps(entry: TraceEntry, playing: bool) -> None:
    trace, cfg = entry.trace, entry.config
    un = trace.unrolled
    last = cfg.time_step - 1
    ss = st.session_state
    if playing and ss.get(UNROLL_TICKED):
        now = int(ss.get(value_key(UNROLL_T_WIDGET), 0))
        if now >= last:
            ss[UNROLL_PLAY_ENDED] = True
            ss[UNROLL_PLAYED] = ss[UNROLL_TICKED] = False
            st.rerun()
        ss[value_key(UNROLL_T_WIDGET)] = now + 1
    ss[UNROLL_TICKED] = playing
    t = st.slider(
        "Unrolled time step t", min_value=0, max_value=last,
        help="The step of window 1 shown below (0-based).",
        **memory.remembered(UNROLL_T_WIDGET, last, fit=lambda v: clamp_step(v, cfg.time_step, last)),
    )  # fmt: skip
    fig = entry.figure(("unroll", t), lambda: shape_figures.unroll_figure(un, t))
    style.show(fig, key="shape_unroll")
    st.markdown(unroll_markdown(un, t))
    st.markdown(rows_markdown(unroll_shape_rows(trace, t, cfg), UNROLL_TABLE_HEADER))
