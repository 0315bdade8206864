"""Figures of the Shapes page: the tutorial's seven steps and one LSTM cell drawn as flows of boxes
(``components.figures.diagram``), heatmaps of the hidden state h, and the LSTM unrolled in time.

Builders take the engine's records (``model.explain``) and return plotly figures; nothing here
imports Streamlit or TensorFlow, so they are testable on plain records.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from components.figures.diagram import Box, FlowItem, Op, flow_figure
from components.figures.style import MUTED, SMALL_HEIGHT, base_layout, empty_figure
from model.explain.shapes import base_name, fmt_shape, tutorial_dims
from model.explain.sources import RESHAPE_STEPS, Step


def tutorial_box(
    name: str,
    shape: Sequence[int],
    kind: str = "tensor",
    dims: Sequence[str] | None = None,
    code: str = "",
    caption: str | None = None,
) -> Box:
    """A diagram box for a tensor of the tutorial: its symbolic axes (``dims``) go in the hover."""
    notes = (f"tutorial: [{', '.join(dims)}]",) if dims else ()
    return Box(name, tuple(int(d) for d in shape), kind, notes, code, caption)


# ---------------------------------------------------------------------------------------------
# The seven steps as flows
# ---------------------------------------------------------------------------------------------


def _code_for(name: str, tutorial_code: str, fallback: str | None = None) -> str:
    """The line(s) of a step's tutorial code that assign ``name`` (else ``fallback``, default all)."""
    base = base_name(name).split("[")[0]
    picked = []
    for line in tutorial_code.splitlines():
        lhs = line.split("=", 1)[0] if "=" in line else ""
        targets = [t.strip() for t in lhs.replace(",", " ").split()]
        if base in targets or (base == "X" and "lstm(X)" in line):
            picked.append(line)
    return "\n".join(picked) or (tutorial_code if fallback is None else fallback)


def _box(t, kind: str, step, caption: str | None = None, given: bool = False) -> Box:
    """A Box from a TensorInfo/ParamInfo of a StepRecord, with its tutorial dims and code line.

    ``given``: the tensor is an input of the step, made by the step before.
    """
    shape = tuple(int(d) for d in t.shape)
    code = f"# made by step {step.number - 1}" if given else _code_for(t.name, step.tutorial_code)
    return tutorial_box(t.name, shape, kind, tutorial_dims(t.name, len(shape)), code, caption)


def _lstm_nodes(step, share_cell: bool) -> list[FlowItem]:
    """Step 5: one node per LSTM layer (weights in the hover), its final (c, h) drawn under it."""
    seq = step.outputs[0]
    states = list(step.outputs[1:])
    n_layers = len(states) // 2
    names = list(dict.fromkeys(p.name.rsplit(".", 1)[0] for p in step.params))
    items: list[FlowItem] = []
    for k in range(n_layers):
        name = names[0] if share_cell and names else (names[k] if k < len(names) else f"lstm_{k + 1}")
        weights = [p for p in step.params if p.name.startswith(name + ".")]
        shared = " (one set for all layers)" if share_cell else ""
        detail = [f"{p.name} {fmt_shape(p.shape)}" for p in weights]
        detail.append(f"{sum(p.count for p in weights):,} parameters{shared}")
        label = f"LSTM {k + 1}" + ("<br>(shared)" if share_cell and n_layers > 1 else "")
        below = (
            _box(states[2 * k], "state", step, caption=f"c{k}"),
            _box(states[2 * k + 1], "state", step, caption=f"h{k}"),
        )
        arrow = fmt_shape(seq.shape) if k > 0 else ""
        items.append(Op(label, step.tutorial_code, below, arrow_in=arrow, detail=tuple(detail)))
    return items


def step_flow(step, share_cell: bool = False) -> list[FlowItem]:
    """The flow drawn for one StepRecord of ``model.explain``: inputs -> operation -> outputs."""
    n = step.number
    ins = tuple(_box(t, "tensor", step, given=True) for t in step.inputs)
    outs = tuple(_box(t, "tensor", step) for t in step.outputs)
    params = tuple(_box(p, "param", step) for p in step.params)
    code = step.tutorial_code + ("\n# Keras:\n" + step.keras_code if step.keras_code else "")
    if n == Step.INPUT:
        return [outs]
    if n in RESHAPE_STEPS:
        return [ins, Op("reshape", code), outs]
    if n == Step.INPUT_PROJECTION:
        return [ins, Op("matmul w_in<br>+ b_in", code, params), outs]
    if n == Step.OUTPUT_PROJECTION:
        first_line = step.tutorial_code.splitlines()[0] if step.tutorial_code else code
        matmul = Op("matmul w_out<br>+ b_out", code, params)
        return [ins, Op("reshape", first_line), outs[:1], matmul, outs[1:]]
    if n == Step.LSTM:
        return [ins, *_lstm_nodes(step, share_cell), outs[:1]]
    return [ins, Op(step.title, code, params), outs]


def step_figure(step, share_cell: bool = False, title: str | None = None) -> go.Figure:
    """The diagram of one step (``title`` defaults to "Step n · title")."""
    if title is None:
        title = f"Step {step.number} · {step.title}"
    return flow_figure(step_flow(step, share_cell), title)


def gate_flow(g) -> list[FlowItem]:
    """One LSTM cell step of a ``model.explain.GateTrace``.

    [x_t, h_(t-1)] -> matmul with the kernel -> i, f, g, o -> c_t, h_t.
    """
    u, n_in, t = int(g.h_t[-1]), int(g.x_t[-1]), g.time_index
    cell = ("batch_size", "rnn_unit")
    before = f"after step t={t - 1}" if t else "zeros at t=0"
    xt = tutorial_box(
        "x_t", tuple(g.x_t), "tensor", ("batch_size", "in"), f"x[:, {t}, :]  # the layer's input at t"
    )
    hp = tutorial_box("h_(t-1)", tuple(g.h_prev), "state", cell, f"h {before}")
    cp = tutorial_box("c_(t-1)", tuple(g.c_prev), "state", cell, f"c {before}")
    concat = tutorial_box("[x_t, h_(t-1)]", tuple(g.concat), "tensor", ("batch_size", "in + rnn_unit"),
                 "concat([x_t, h_(t-1)], axis=1)")  # fmt: skip
    keras = (
        f"Keras: kernel {fmt_shape(g.keras_kernel)} on top of "
        f"recurrent_kernel {fmt_shape(g.keras_recurrent_kernel)}"
    )
    kernel = tutorial_box("kernel", tuple(g.kernel), "param", ("in + rnn_unit", "4*rnn_unit"), keras)
    bias = tutorial_box("bias", tuple(g.bias), "param", ("4*rnn_unit",), "")
    z = tutorial_box(
        "z", tuple(g.z), "tensor", ("batch_size", "4*rnn_unit"), "z = [x_t, h_(t-1)] @ kernel + bias"
    )
    gate_code = {
        "i": "i = σ(z[:, 0:u])  # input gate",
        "f": "f = σ(z[:, u:2u])  # forget gate",
        "g": "g = tanh(z[:, 2u:3u])  # candidate",
        "o": "o = σ(z[:, 3u:4u])  # output gate",
    }
    gates = tuple(
        tutorial_box(k, tuple(g.gates[k]), "gate", cell, gate_code[k]) for k in ("i", "f", "g", "o")
    )
    c_t = tutorial_box("c_t", tuple(g.c_t), "state", cell, "c_t = f * c_(t-1) + i * g")
    h_t = tutorial_box("h_t", tuple(g.h_t), "state", cell, "h_t = o * tanh(c_t)")
    update = "c_t = f * c_(t-1) + i * g\nh_t = o * tanh(c_t)"
    return [
        (xt, hp),
        Op("concat", "concat([x_t, h_(t-1)], axis=1)"),
        (concat,),
        Op(
            "matmul kernel<br>+ bias",
            f"z = [x_t, h_(t-1)] @ kernel + bias  # {n_in}+{u} rows, 4*{u} columns",
            (kernel, bias),
        ),  # fmt: skip
        (z,),
        Op("split in 4<br>σ, σ, tanh, σ", "i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)"),
        gates,
        Op("c_t = f·c_(t-1) + i·g<br>h_t = o·tanh(c_t)", update, (cp,)),
        (c_t, h_t),
    ]


def gate_figure(g) -> go.Figure:
    return flow_figure(gate_flow(g), f"Inside {g.layer_name} at t = {g.time_index}")


# ---------------------------------------------------------------------------------------------
# Heatmaps
# ---------------------------------------------------------------------------------------------

HIDDEN_HOVER = "<br>t = %{y}<br>unit %{x}<br>h = %{z:.4f}<extra></extra>"
DIVERGING = [[0.0, "#b91c1c"], [0.25, "#f87171"], [0.5, "#f8fafc"], [0.75, "#60a5fa"], [1.0, "#1d4ed8"]]


def hidden_heatmap(
    hidden: Sequence[np.ndarray],
    title: str,
    time_labels: Sequence[str] | None = None,
    layer_names: Sequence[str] | None = None,
) -> go.Figure:
    """h of every LSTM layer for one window, side by side: rows are the time_step steps, columns
    the rnn_unit units of each layer (one panel per layer, one shared colour scale)."""
    panels = [np.asarray(h, dtype=np.float32) for h in hidden]  # float32: half the bytes to the browser
    if not panels or any(h.ndim != 2 or h.size == 0 for h in panels):
        return empty_figure(title, "No hidden state to show.")
    steps, units = panels[0].shape
    n = len(panels)
    names = [f"layer {k + 1}" for k in range(n)]
    if layer_names is not None and len(layer_names) == n:
        names = list(layer_names)
    dated = time_labels is not None and len(time_labels) == steps and any(time_labels)
    height = int(min(max(150 + 14 * steps, SMALL_HEIGHT), 640))
    fig = base_layout(go.Figure(), title, height)
    gap = 0.03 if n > 1 else 0.0
    width = (1.0 - gap * (n - 1)) / n
    traces = []
    layout: dict[str, Any] = {}
    for k, h in enumerate(panels):
        suffix = "" if k == 0 else str(k + 1)
        traces.append(go.Heatmap(
            z=h, x=list(range(h.shape[1])), y=list(range(h.shape[0])),
            xaxis=f"x{suffix}", yaxis="y", coloraxis="coloraxis",
            hovertemplate=html.escape(names[k]) + HIDDEN_HOVER,
        ))  # fmt: skip
        x0 = k * (width + gap)
        layout[f"xaxis{suffix}"] = dict(
            domain=[x0, x0 + width], anchor="y", showgrid=False, zeroline=False, automargin=False,
            title=dict(text=names[k], font=dict(size=12)), tickfont=dict(size=10),
        )  # fmt: skip
    yaxis: dict[str, Any] = dict(
        title=dict(text=f"time step t (time_step = {steps})", standoff=8), autorange="reversed",
        showgrid=False, zeroline=False, automargin=False,
    )  # fmt: skip
    if dated:  # label some steps with their dates (hover texts stay small: no per-cell dates)
        every = max(1, math.ceil(steps / 12))
        ticks = list(range(0, steps, every))
        yaxis.update(
            tickvals=ticks, ticktext=[f"{t} · {time_labels[t]}" for t in ticks], tickfont=dict(size=10)
        )
    fig.add_traces(traces)
    fig.update_layout(
        **layout,
        yaxis=yaxis,
        coloraxis=dict(colorscale=DIVERGING, cmin=-1.0, cmax=1.0, cmid=0.0,
                       colorbar=dict(title=dict(text="h", side="right"), thickness=12, len=0.9)),
        hovermode="closest",
        # Fixed margins (no automargin): plotly would lay the figure out again for every axis.
        margin=dict(l=112 if dated else 64, r=16, t=56, b=72),
        annotations=[dict(
            text=f"unit (rnn_unit = {units}) of each layer", x=0.5, y=0, xref="paper", yref="paper",
            yanchor="top", yshift=-44, showarrow=False, font=dict(color=MUTED, size=12),
        )],
    )  # fmt: skip
    return fig


GATE_ROWS: tuple[tuple[str, str], ...] = (
    ("i", "i input gate"),
    ("f", "f forget gate"),
    ("g", "g candidate"),
    ("o", "o output gate"),
    ("c_t", "c_t cell state"),
    ("h_t", "h_t hidden state"),
)


def gate_values_figure(values: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """The gates, c_t and h_t of one window at one step: one row each, one column per unit."""
    rows = [(key, label) for key, label in GATE_ROWS if key in values]
    if not rows:
        return empty_figure(title, "No gate values to show.")
    z = np.stack([np.asarray(values[k], dtype=float) for k, _ in rows])
    units = z.shape[1]
    bound = float(max(1.0, np.nanmax(np.abs(z)))) if z.size else 1.0
    fig = base_layout(go.Figure(), title, 300)
    fig.add_trace(
        go.Heatmap(
            z=z, x=list(range(units)), y=[label for _, label in rows], colorscale=DIVERGING,
            zmin=-bound, zmax=bound, zmid=0.0, colorbar=dict(thickness=12, len=0.9),
            hovertemplate="%{y}<br>unit %{x}<br>%{z:.4f}<extra></extra>",
            xgap=1 if units <= 64 else 0, ygap=2,
        )
    )  # fmt: skip
    fig.update_layout(hovermode="closest", margin=dict(l=120, r=16, t=56, b=44))
    fig.update_xaxes(title_text="unit", showgrid=False, zeroline=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    return fig


# ---------------------------------------------------------------------------------------------
# The LSTM unrolled in time
# ---------------------------------------------------------------------------------------------


def unroll_rows(unrolled) -> list[tuple[int, str]]:
    """(depth, "h" | "c") for every row of the unrolled figure: h_t and c_t of each layer, top down."""
    return [(k, part) for k in range(len(unrolled.layers)) for part in ("h", "c")]


def _unroll_frame(unrolled, t: int) -> tuple[np.ndarray, list[str]]:
    rows = unroll_rows(unrolled)
    z = np.stack([getattr(unrolled.layers[k], part)[t] for k, part in rows]).astype(np.float32)
    labels = []
    for k, part in rows:
        held = unrolled.holders(k, t)[part]
        labels.append(", ".join(held) if held else "inside dynamic_rnn only")
    return z, labels


def unroll_figure(unrolled, t: int, title: str = "") -> go.Figure:
    """h_t and c_t of every layer at step ``t`` of window 1 (one row each, one column per unit),
    with the tutorial tensor that holds each row written beside it. The page's step slider is the
    one time control: it redraws this figure (animated by the layout's transition)."""
    if unrolled is None or not unrolled.layers or unrolled.time_step == 0:
        return empty_figure(title or "Unrolled LSTM", "Nothing to unroll.")
    steps = unrolled.time_step
    t = min(max(int(t), 0), steps - 1)
    rows = unroll_rows(unrolled)
    names = [f"layer {k + 1} {part}_t" for k, part in rows]
    units = unrolled.layers[0].h.shape[1]
    height = int(min(max(140 + 46 * len(rows), SMALL_HEIGHT), 560))
    fig = base_layout(go.Figure(), title or f"Window 1 at t = {t} of 0…{steps - 1}", height)

    def heat(z):
        return go.Heatmap(
            z=z, x=list(range(units)), y=names, zmin=-1.0, zmax=1.0, zmid=0.0, colorscale=DIVERGING,
            colorbar=dict(thickness=12, len=0.9), xgap=1 if units <= 64 else 0, ygap=2,
            hovertemplate="%{y}<br>unit %{x}<br>%{z:.4f}<extra></extra>",
        )  # fmt: skip

    def notes(labels):
        return [dict(text=html.escape(label), x=1.0, y=name, xref="paper", yref="y", xanchor="left", xshift=84,
                     showarrow=False, font=dict(size=11, color=MUTED)) for name, label in zip(names, labels)]  # fmt: skip

    z, labels = _unroll_frame(unrolled, t)
    fig.add_trace(heat(z))
    # No plotly frames, slider or Play here: the page's one time control (its step slider, which
    # Play moves) redraws this figure, and the transition animates the change between steps.
    fig.update_layout(annotations=notes(labels), margin=dict(l=96, r=280, t=56, b=48), hovermode="closest",
                      transition=dict(duration=300, easing="cubic-in-out"))  # fmt: skip
    fig.update_xaxes(title_text=f"unit (rnn_unit = {units})", showgrid=False, zeroline=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    return fig
