"""The Explainer's figures: pure functions of a ``TourRecord`` (``model.explain.tour``) and a stop.

Every number drawn is the trained model's own (the record's), with its value on hover. Figures
that change from stop to stop keep the same traces and set ``layout.transition``, so plotly
animates the change in place (the flow from one step to the next) instead of redrawing.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from components.figures import style
from model.explain.tour import TourRecord

TRANSITION = dict(duration=350, easing="cubic-in-out")
CELL_ROWS = ("x", "h_prev", "c_prev", "i", "f", "g", "o", "c", "h")
ROW_LABELS = {
    "x": "x_t (input)", "h_prev": "h_(t-1)", "c_prev": "c_(t-1)", "i": "i (input gate)",
    "f": "f (forget gate)", "g": "g (candidate)", "o": "o (output gate)", "c": "c_t = f·c_(t-1) + i·g",
    "h": "h_t = o·tanh(c_t)",
}  # fmt: skip
HIGHLIGHT = "#f59e0b"
BOX = "#dbeafe"
BOX_LINE = "#2563eb"


def _units(n: int) -> list[str]:
    return [f"unit {j + 1}" for j in range(n)]


def window_figure(record: TourRecord) -> go.Figure:
    """The test period (actual and predicted), the window read for the day shaded, the day marked.
    Click a point to pick that day."""
    days = record.test_days
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=days, y=record.test_actual, name="actual", mode="lines+markers",
                             marker=dict(size=4), line=dict(color=style.COLORS["actual"], width=1.5)))  # fmt: skip
    fig.add_trace(go.Scatter(x=days, y=record.test_predicted, name="predicted", mode="lines",
                             line=dict(color=style.COLORS["model"], width=1.5)))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=[record.day] * 3, y=[record.prediction, record.persistence, record.actual], mode="markers",
        name="this day", marker=dict(size=[13, 11, 11], symbol=["star", "diamond", "circle"],
                                     color=[style.COLORS["model"], style.COLORS["baseline"], style.COLORS["actual"]]),
        text=["prediction", "persistence", "actual"], hovertemplate="%{text}: %{y:,.2f}<extra></extra>",
    ))  # fmt: skip
    shape, note = style.period_band(record.window_dates[0], record.window_dates[-1], "rgba(245, 158, 11, 0.18)",
                                    f"the {record.time_step}-day window")  # fmt: skip
    style.base_layout(fig, f"Test period: pick a day (now {record.day})", height=330)
    style.add_layout_items(fig, [shape], [note] if note else [])
    # Zoomed on the window and the day (a few windows of context); the range slider below reaches
    # the whole test period.
    where = {d: k for k, d in enumerate(days)}
    end = where.get(record.day, len(days) - 1)
    start = where.get(record.window_dates[0], max(0, end - record.time_step))
    lo, hi = max(0, start - max(3 * record.time_step, 40)), min(len(days) - 1, end + 10)
    fig.update_layout(hovermode="closest", clickmode="event+select", xaxis_type="category",
                      xaxis=dict(nticks=10, range=[lo - 0.5, hi + 0.5], rangeslider=dict(visible=True, thickness=0.08)),
                      yaxis_title=record.target)  # fmt: skip
    shown = np.r_[record.test_actual[lo : hi + 1], record.test_predicted[lo : hi + 1]]
    if shown.size:
        pad = max(float(np.ptp(shown)) * 0.08, 1e-6)
        fig.update_yaxes(range=[float(shown.min()) - pad, float(shown.max()) + pad])
    return fig


def _heatmap(z: np.ndarray, x: list[str], y: list[str], title: str, hover: str, custom=None,
             height: int = 300, zmid: float | None = 0.0) -> go.Figure:  # fmt: skip
    fig = go.Figure(go.Heatmap(
        z=z, x=x, y=y, text=np.round(z, 3), texttemplate="%{text}" if z.size <= 400 else None,
        customdata=custom, hovertemplate=hover + "<extra></extra>", colorscale="RdBu", zmid=zmid,
        showscale=False,
    ))  # fmt: skip
    style.base_layout(fig, title, height=height)
    fig.update_layout(hovermode="closest", transition=TRANSITION)
    fig.update_xaxes(showgrid=False, type="category")
    fig.update_yaxes(showgrid=False, autorange="reversed", type="category")
    return fig


def inputs_figure(record: TourRecord) -> go.Figure:
    raw = record.window_raw.T
    return _heatmap(record.x.T, record.window_dates, list(record.features), "Normalised inputs x (window × feature)",
                    "%{x} %{y}<br>loaded %{customdata:,.4g}<br>normalised %{z:+.4f}", custom=raw,
                    height=160 + 28 * len(record.features))  # fmt: skip


def projection_figure(record: TourRecord) -> go.Figure:
    return _heatmap(
        record.input_rnn.T, record.window_dates, _units(record.rnn_unit),
        f"Input projection: x @ w_in + b_in, {len(record.features)} → {record.rnn_unit} numbers per day",
        "%{x} %{y}<br>input_rnn = %{z:+.4f}", height=160 + 22 * record.rnn_unit,
    )  # fmt: skip


def cell_figure(record: TourRecord, layer: int, step: int) -> go.Figure:
    """Every number of the cell at one step: its input, the previous state, the four gates, c_t, h_t."""
    values = record.layers[layer].values
    u = record.rnn_unit
    rows = [np.asarray(values[k][step], dtype=float) for k in CELL_ROWS]  # every row is u wide
    z = np.vstack(rows)
    return _heatmap(z, _units(u), [ROW_LABELS[k] for k in CELL_ROWS],
                    f"The cell at layer {layer + 1}, step {step + 1} ({record.window_dates[step]})",
                    "%{y}<br>%{x}: %{z:+.5f}", height=380)  # fmt: skip


def output_figure(record: TourRecord) -> go.Figure:
    h = record.layers[-1].values["h"][record.output_index]
    contrib = h * record.w_out
    labels = [*_units(record.rnn_unit), "b_out", "output"]
    values = [*contrib, record.b_out]
    fig = go.Figure(go.Waterfall(
        x=labels, y=[*values, 0.0], measure=["relative"] * len(values) + ["total"],
        customdata=[*h, 1.0, 1.0], text=[f"{v:+.3f}" for v in values] + [f"{record.output:+.3f}"],
        hovertemplate="%{x}: %{text}<extra></extra>", textposition="outside",
        increasing=dict(marker=dict(color=style.COLORS["up"])), decreasing=dict(marker=dict(color=style.COLORS["down"])),
        totals=dict(marker=dict(color=style.COLORS["model"])),
    ))  # fmt: skip
    style.base_layout(fig, "Output projection: h_t · w_out + b_out, unit by unit (normalised)", height=340)
    fig.update_layout(hovermode="closest", showlegend=False, transition=TRANSITION)
    return fig


def prediction_figure(record: TourRecord) -> go.Figure:
    names = ["model", "persistence", "actual"]
    values = [record.prediction, record.persistence, record.actual]
    colors = [style.COLORS["model"], style.COLORS["baseline"], style.COLORS["actual"]]
    fig = go.Figure(go.Bar(x=names, y=values, marker_color=colors, text=[f"{v:,.2f}" for v in values],
                           textposition="outside", hovertemplate="%{x}: %{y:,.4f}<extra></extra>"))  # fmt: skip
    lo, hi = min(values), max(values)
    pad = max(hi - lo, abs(hi) * 0.002, 1e-6)
    style.base_layout(
        fig, f"{record.day}: the prediction beside persistence and the actual value", height=340
    )
    fig.update_layout(
        hovermode="closest", showlegend=False, yaxis_range=[lo - pad, hi + pad], transition=TRANSITION
    )
    return fig


def memory_figure(record: TourRecord) -> go.Figure:
    from plotly.subplots import make_subplots

    t = record.time_step
    lags = list(range(t))
    fig = make_subplots(rows=1, cols=2, column_widths=[0.62, 0.38], horizontal_spacing=0.12,
                        subplot_titles=("|d prediction / d x_(t−k)| by lag k", "each unit's mean forget gate"))  # fmt: skip
    fig.add_trace(go.Bar(x=lags, y=record.connectivity, name=f"{record.day}", marker_color=style.COLORS["model"],
                         hovertemplate="k = %{x}: %{y:.4g}<extra>this day</extra>"), 1, 1)  # fmt: skip
    fig.add_trace(go.Scatter(x=lags, y=record.connectivity_mean, name="test-period average", mode="lines+markers",
                             line=dict(color=style.COLORS["baseline"]),
                             hovertemplate="k = %{x}: %{y:.4g}<extra>average</extra>"), 1, 1)  # fmt: skip
    for depth, forget in enumerate(record.forget_mean):
        fig.add_trace(go.Bar(x=_units(len(forget)), y=forget, name=f"layer {depth + 1} forget",
                             hovertemplate="%{x}: mean f = %{y:.3f}<extra>layer " + str(depth + 1) + "</extra>"),
                      1, 2)  # fmt: skip
    fig.add_vline(x=record.memory_mean - 0.5, line_dash="dot", line_color=style.MUTED, row=1, col=1)
    style.base_layout(fig, f"It uses the last {record.memory_mean} of its {t} days", height=360)
    fig.update_layout(hovermode="closest", barmode="group")
    fig.update_xaxes(title_text="lag k (days before the window's last day)", row=1, col=1)
    fig.update_yaxes(range=[0, 1], row=1, col=2)
    return fig


def chain_figure(record: TourRecord, current: tuple[int, int] | None) -> go.Figure:
    """The stack unrolled: one box per (layer, step), h and c arrows along time, h up the layers,
    the current cell highlighted. Hover a box for its h and c."""
    t, layers = record.time_step, record.layer_num
    xs, ys, hover, colors, lines = [], [], [], [], []
    for depth in range(layers):
        h, c = record.layers[depth].values["h"], record.layers[depth].values["c"]
        for step in range(t):
            xs.append(step)
            ys.append(depth)
            on = current == (depth, step)
            colors.append(HIGHLIGHT if on else BOX)
            lines.append(3 if on else 1)
            hover.append(f"layer {depth + 1}, step {step + 1} ({record.window_dates[step]})<br>"
                         f"h = [{', '.join(f'{v:+.3f}' for v in h[step][:6])}{', …' if len(h[step]) > 6 else ''}]<br>"
                         f"c = [{', '.join(f'{v:+.3f}' for v in c[step][:6])}{', …' if len(c[step]) > 6 else ''}]")  # fmt: skip
    size = max(8, min(38, int(900 / max(t, 1))))
    fig = go.Figure()
    # Arrows: h and c to the right along time (drawn as lines; the c line above, the h line below
    # the box centre), h up into the next layer.
    seg_x: list[float | None] = []
    seg_y: list[float | None] = []
    up_x: list[float | None] = []
    up_y: list[float | None] = []
    for depth in range(layers):
        for step in range(t - 1):
            seg_x += [step, step + 1, None]
            seg_y += [depth, depth, None]
        for step in range(t):
            if depth < layers - 1:
                up_x += [step, step, None]
                up_y += [depth, depth + 1, None]
    fig.add_trace(go.Scatter(x=seg_x, y=seg_y, mode="lines", line=dict(color=BOX_LINE, width=2), name="h, c → next step",
                             hoverinfo="skip"))  # fmt: skip
    if up_x:
        fig.add_trace(go.Scatter(x=up_x, y=up_y, mode="lines", line=dict(color=style.MUTED, width=1.5, dash="dot"),
                                 name="h ↑ next layer", hoverinfo="skip"))  # fmt: skip
    # Arrow heads: h, c flow to the right along time, h flows up into the next layer.
    heads_x = [step + 0.5 for depth in range(layers) for step in range(t - 1)]
    heads_y = [depth for depth in range(layers) for step in range(t - 1)]
    fig.add_trace(go.Scatter(x=heads_x, y=heads_y, mode="markers", showlegend=False, hoverinfo="skip",
                             marker=dict(symbol="triangle-right", size=9, color=BOX_LINE)))  # fmt: skip
    if layers > 1:
        fig.add_trace(go.Scatter(
            x=[step for depth in range(layers - 1) for step in range(t)],
            y=[depth + 0.5 for depth in range(layers - 1) for step in range(t)],
            mode="markers", showlegend=False, hoverinfo="skip",
            marker=dict(symbol="triangle-up", size=8, color=style.MUTED),
        ))  # fmt: skip
    fig.add_trace(go.Scatter(
        x=xs, y=ys, mode="markers", name="cell", text=hover, hovertemplate="%{text}<extra></extra>",
        marker=dict(symbol="square", size=size, color=colors, line=dict(color=BOX_LINE, width=lines)),
    ))  # fmt: skip
    style.base_layout(fig, "The unrolled chain: one cell per step and layer", height=150 + 60 * layers)
    fig.update_layout(hovermode="closest", showlegend=True, transition=TRANSITION)
    fig.update_xaxes(tickvals=list(range(t)), ticktext=[str(s + 1) for s in range(t)], title_text="step t",
                     showgrid=False, range=[-0.7, t - 0.3])  # fmt: skip
    fig.update_yaxes(tickvals=list(range(layers)), ticktext=[f"layer {d + 1}" for d in range(layers)],
                     showgrid=False, range=[-0.6, layers - 0.4])  # fmt: skip
    return fig


ONE_SCREEN_CELLS = 40  # rnn_unit x time_step x layer_num up to which every number fits one screen


def fits_one_screen(record: TourRecord) -> bool:
    return record.rnn_unit * record.time_step * record.layer_num <= ONE_SCREEN_CELLS


def all_numbers_figure(record: TourRecord, current: tuple[int, int] | None = None) -> go.Figure:
    """Every number of every cell of the window at once (the toy network's view): one column per
    (step, unit), one row per tensor of the cell, a block of rows per layer; the current step outlined."""
    u, t = record.rnn_unit, record.time_step
    columns = [f"t{s + 1} u{j + 1}" for s in range(t) for j in range(u)]
    rows, labels = [], []
    for depth, layer in enumerate(record.layers):
        for name in CELL_ROWS:
            rows.append(np.asarray(layer.values[name], dtype=float).reshape(-1))  # [t * u], step-major
            labels.append(f"L{depth + 1} {ROW_LABELS[name]}")
    z = np.vstack(rows)
    fig = _heatmap(z, columns, labels, f"Every number of the window ({t} steps × {u} units × {record.layer_num} "
                   "layer(s))", "%{y}<br>%{x}: %{z:+.5f}", height=140 + 30 * len(labels))  # fmt: skip
    if current is not None:
        depth, step = current
        top = depth * len(CELL_ROWS)
        fig.add_shape(type="rect", x0=step * u - 0.5, x1=step * u + u - 0.5, y0=top - 0.5,
                      y1=top + len(CELL_ROWS) - 0.5, line=dict(color=HIGHLIGHT, width=3))  # fmt: skip
    return fig
