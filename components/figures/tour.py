"""The Explainer's figures: pure functions of a ``TourRecord`` (``model.explain.tour``) and a stop.

Every number drawn is the trained model's own (the record's), with its value on hover. Figures
that change from stop to stop keep the same traces and set ``layout.transition``, so plotly
animates the change in place (the flow from one step to the next) instead of redrawing.

The figures are written as plain dicts and wrapped without plotly's per-property validation
(``figure``): a stop change redraws two or three of them, and validation was most of the cost
(``scripts/bench_tour.py``); tests re-validate every figure.
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
# Negative red, zero white, positive blue (the Shapes page's scale), written out: plotly.js and
# plotly.py disagree on which end of a named "RdBu" is red.
DIVERGING = [[0.0, "#b91c1c"], [0.25, "#f87171"], [0.5, "#f8fafc"], [0.75, "#60a5fa"], [1.0, "#1d4ed8"]]
BOX = "#dbeafe"
BOX_LINE = "#2563eb"


ONE_SCREEN_CELLS = 40  # rnn_unit x time_step x layer_num up to which every number fits one screen


def figure(data: list[dict], layout: dict) -> go.Figure:
    """A figure from plain dicts, our template and title style, without per-property validation."""
    title = layout.pop("title", "")
    # uirevision: plotly.js keeps what the user did (zoom, hover, legend) and patches the traces
    # in place when the next stop's figure arrives, instead of resetting the plot.
    base = {
        "template": style.TEMPLATE,
        "title": {"text": title},
        "hovermode": "closest",
        "uirevision": "tour",
    }
    return go.Figure(data=data, layout={**base, **layout}, _validate=False)


def _axis(**extra) -> dict:
    return {**style.AXIS, **extra}


def _units(n: int) -> list[str]:
    return [f"unit {j + 1}" for j in range(n)]


def _values(v) -> list:
    return np.asarray(v, dtype=float).tolist()


def window_figure(record: TourRecord) -> go.Figure:
    """The test period (actual and predicted), the window read for the day shaded, the day marked,
    zoomed on the window (the range slider below reaches the whole test period). Click a point to
    pick that day."""
    days = record.test_days
    data = [
        dict(type="scatter", x=days, y=_values(record.test_actual), name="actual", mode="lines+markers",
             marker=dict(size=4), line=dict(color=style.COLORS["actual"], width=1.5)),
        dict(type="scatter", x=days, y=_values(record.test_predicted), name="predicted", mode="lines",
             line=dict(color=style.COLORS["model"], width=1.5)),
        dict(type="scatter", x=[record.day] * 3, y=[record.prediction, record.persistence, record.actual],
             mode="markers", name="this day", text=["prediction", "persistence", "actual"],
             marker=dict(size=[13, 11, 11], symbol=["star", "diamond", "circle"],
                         color=[style.COLORS["model"], style.COLORS["baseline"], style.COLORS["actual"]]),
             hovertemplate="%{text}: %{y:,.2f}<extra></extra>"),
    ]  # fmt: skip
    shape, note = style.period_band(record.window_dates[0], record.window_dates[-1], "rgba(245, 158, 11, 0.18)",
                                    f"the {record.time_step}-day window")  # fmt: skip
    where = {d: k for k, d in enumerate(days)}
    end = where.get(record.day, len(days) - 1)
    start = where.get(record.window_dates[0], max(0, end - record.time_step))
    lo, hi = max(0, start - max(3 * record.time_step, 40)), min(len(days) - 1, end + 10)
    shown = np.r_[record.test_actual[lo : hi + 1], record.test_predicted[lo : hi + 1]]
    yaxis = _axis(title=dict(text=record.target, standoff=8))
    if shown.size:
        pad = max(float(np.ptp(shown)) * 0.08, 1e-6)
        yaxis["range"] = [float(shown.min()) - pad, float(shown.max()) + pad]
    return figure(data, dict(
        title=f"Test period: pick a day (now {record.day})", height=330, clickmode="event+select",
        uirevision=record.day,  # a new day re-zooms on its window
        shapes=[shape], annotations=[note] if note else [], yaxis=yaxis,
        xaxis=_axis(type="category", nticks=10, range=[lo - 0.5, hi + 0.5],
                    rangeslider=dict(visible=True, thickness=0.08)),
    ))  # fmt: skip


def _heatmap(z: np.ndarray, x: list[str], y: list[str], title: str, hover: str, custom=None,
             height: int = 300) -> go.Figure:  # fmt: skip
    z = np.asarray(z, dtype=float)
    trace = dict(type="heatmap", z=z.tolist(), x=x, y=y, colorscale=DIVERGING, zmid=0.0, showscale=False,
                 hovertemplate=hover + "<extra></extra>")  # fmt: skip
    if z.size <= 400:
        trace.update(text=np.round(z, 3).tolist(), texttemplate="%{text}")
    if custom is not None:
        trace["customdata"] = np.asarray(custom, dtype=float).tolist()
    return figure([trace], dict(
        title=title, height=height, transition=TRANSITION,
        xaxis=_axis(showgrid=False, type="category"),
        yaxis=_axis(showgrid=False, autorange="reversed", type="category"),
    ))  # fmt: skip


def inputs_figure(record: TourRecord) -> go.Figure:
    return _heatmap(record.x.T, record.window_dates, list(record.features), "Normalised inputs x (window × feature)",
                    "%{x} %{y}<br>loaded %{customdata:,.4g}<br>normalised %{z:+.4f}", custom=record.window_raw.T,
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
    z = np.vstack([np.asarray(values[k][step], dtype=float) for k in CELL_ROWS])  # every row is u wide
    return _heatmap(z, _units(record.rnn_unit), [ROW_LABELS[k] for k in CELL_ROWS],
                    f"The cell at layer {layer + 1}, step {step + 1} ({record.window_dates[step]})",
                    "%{y}<br>%{x}: %{z:+.5f}", height=380)  # fmt: skip


def output_figure(record: TourRecord) -> go.Figure:
    h = record.layers[-1].values["h"][record.output_index]
    contrib = (h * record.w_out).tolist()
    values = [*contrib, record.b_out]
    trace = dict(
        type="waterfall", x=[*_units(record.rnn_unit), "b_out", "output"], y=[*values, 0.0],
        measure=["relative"] * len(values) + ["total"], textposition="outside",
        text=[f"{v:+.3f}" for v in values] + [f"{record.output:+.3f}"], hovertemplate="%{x}: %{text}<extra></extra>",
        increasing=dict(marker=dict(color=style.COLORS["up"])), decreasing=dict(marker=dict(color=style.COLORS["down"])),
        totals=dict(marker=dict(color=style.COLORS["model"])),
    )  # fmt: skip
    return figure([trace], dict(title="Output projection: h_t · w_out + b_out, unit by unit (normalised)",
                                height=340, showlegend=False, transition=TRANSITION))  # fmt: skip


def prediction_figure(record: TourRecord) -> go.Figure:
    values = [record.prediction, record.persistence, record.actual]
    colors = [style.COLORS["model"], style.COLORS["baseline"], style.COLORS["actual"]]
    trace = dict(type="bar", x=["model", "persistence", "actual"], y=values, marker=dict(color=colors),
                 text=[f"{v:,.2f}" for v in values], textposition="outside",
                 hovertemplate="%{x}: %{y:,.4f}<extra></extra>")  # fmt: skip
    lo, hi = min(values), max(values)
    pad = max(hi - lo, abs(hi) * 0.002, 1e-6)
    return figure([trace], dict(
        title=f"{record.day}: the prediction beside persistence and the actual value", height=340,
        showlegend=False, transition=TRANSITION, yaxis=_axis(range=[lo - pad, hi + pad]),
    ))  # fmt: skip


def memory_figure(record: TourRecord) -> go.Figure:
    t = record.time_step
    lags = list(range(t))
    data = [
        dict(type="bar", x=lags, y=_values(record.connectivity), name=record.day, marker=dict(color=style.COLORS["model"]),
             hovertemplate="k = %{x}: %{y:.4g}<extra>this day</extra>"),
        dict(type="scatter", x=lags, y=_values(record.connectivity_mean), name="test-period average",
             mode="lines+markers", line=dict(color=style.COLORS["baseline"]),
             hovertemplate="k = %{x}: %{y:.4g}<extra>average</extra>"),
    ]  # fmt: skip
    for depth, forget in enumerate(record.forget_mean):
        data.append(dict(type="bar", x=_units(len(forget)), y=_values(forget), name=f"layer {depth + 1} forget",
                         xaxis="x2", yaxis="y2",
                         hovertemplate="%{x}: mean f = %{y:.3f}<extra>layer " + str(depth + 1) + "</extra>"))  # fmt: skip
    cut = record.memory_mean - 0.5
    return figure(data, dict(
        title=f"It uses the last {record.memory_mean} of its {t} days", height=360, barmode="group",
        xaxis=_axis(domain=[0, 0.58], title=dict(text="lag k (days before the window's last day)", standoff=8)),
        yaxis=_axis(title=dict(text="|d prediction / d x_(t−k)|", standoff=8)),
        xaxis2=_axis(domain=[0.7, 1.0], anchor="y2", title=dict(text="each unit's mean forget gate", standoff=8)),
        yaxis2=_axis(anchor="x2", range=[0, 1]),
        shapes=[dict(type="line", xref="x", yref="paper", x0=cut, x1=cut, y0=0, y1=1,
                     line=dict(dash="dot", color=style.MUTED))],
    ))  # fmt: skip


def _short(v: np.ndarray, n: int = 6) -> str:
    text = ", ".join(f"{x:+.3f}" for x in v[:n])
    return f"[{text}{', …' if len(v) > n else ''}]"


def chain_figure(record: TourRecord, current: tuple[int, int] | None) -> go.Figure:
    """The stack unrolled: one box per (layer, step), h and c arrows along time, h up the layers,
    the current cell highlighted. Hover a box for its h and c."""
    t, layers = record.time_step, record.layer_num
    xs, ys, hover, colors, widths = [], [], [], [], []
    for depth in range(layers):
        h, c = record.layers[depth].values["h"], record.layers[depth].values["c"]
        for step in range(t):
            on = current == (depth, step)
            xs.append(step)
            ys.append(depth)
            colors.append(HIGHLIGHT if on else BOX)
            widths.append(3 if on else 1)
            hover.append(f"layer {depth + 1}, step {step + 1} ({record.window_dates[step]})<br>"
                         f"h = {_short(h[step])}<br>c = {_short(c[step])}")  # fmt: skip
    seg_x: list = []
    seg_y: list = []
    for depth in range(layers):
        for step in range(t - 1):
            seg_x += [step, step + 1, None]
            seg_y += [depth, depth, None]
    up_x = [v for depth in range(layers - 1) for step in range(t) for v in (step, step, None)]
    up_y = [v for depth in range(layers - 1) for step in range(t) for v in (depth, depth + 1, None)]
    size = max(8, min(38, int(900 / max(t, 1))))
    data = [
        dict(type="scatter", x=seg_x, y=seg_y, mode="lines", line=dict(color=BOX_LINE, width=2),
             name="h, c → next step", hoverinfo="skip"),
        dict(type="scatter", x=[s + 0.5 for d in range(layers) for s in range(t - 1)],
             y=[d for d in range(layers) for s in range(t - 1)], mode="markers", showlegend=False, hoverinfo="skip",
             marker=dict(symbol="triangle-right", size=9, color=BOX_LINE)),
    ]  # fmt: skip
    if layers > 1:
        data += [
            dict(type="scatter", x=up_x, y=up_y, mode="lines", line=dict(color=style.MUTED, width=1.5, dash="dot"),
                 name="h ↑ next layer", hoverinfo="skip"),
            dict(type="scatter", x=[s for d in range(layers - 1) for s in range(t)],
                 y=[d + 0.5 for d in range(layers - 1) for s in range(t)], mode="markers", showlegend=False,
                 hoverinfo="skip", marker=dict(symbol="triangle-up", size=8, color=style.MUTED)),
        ]  # fmt: skip
    data.append(dict(type="scatter", x=xs, y=ys, mode="markers", name="cell", text=hover,
                     hovertemplate="%{text}<extra></extra>",
                     marker=dict(symbol="square", size=size, color=colors, line=dict(color=BOX_LINE, width=widths))))  # fmt: skip
    return figure(data, dict(
        title="The unrolled chain: one cell per step and layer", height=150 + 60 * layers, transition=TRANSITION,
        xaxis=_axis(tickvals=list(range(t)), ticktext=[str(s + 1) for s in range(t)], showgrid=False,
                    range=[-0.7, t - 0.3], title=dict(text="step t", standoff=8)),
        yaxis=_axis(tickvals=list(range(layers)), ticktext=[f"layer {d + 1}" for d in range(layers)],
                    showgrid=False, range=[-0.6, layers - 0.4]),
    ))  # fmt: skip


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
    fig = _heatmap(np.vstack(rows), columns, labels,
                   f"Every number of the window ({t} steps × {u} units × {record.layer_num} layer(s))",
                   "%{y}<br>%{x}: %{z:+.5f}", height=140 + 30 * len(labels))  # fmt: skip
    if current is not None:
        depth, step = current
        top = depth * len(CELL_ROWS)
        fig.layout.shapes = [dict(type="rect", x0=step * u - 0.5, x1=step * u + u - 0.5, y0=top - 0.5,
                                  y1=top + len(CELL_ROWS) - 0.5, line=dict(color=HIGHLIGHT, width=3))]  # fmt: skip
    return fig


def replay_figure(replay, epoch: int) -> go.Figure:
    """The day's prediction after each epoch, beside the actual value and persistence."""
    epochs = list(range(1, replay.epochs + 1))
    data = [
        dict(type="scatter", x=epochs, y=_values(replay.predictions), mode="lines+markers", name="model",
             line=dict(color=style.COLORS["model"]), hovertemplate="epoch %{x}: %{y:,.4f}<extra>model</extra>"),
        dict(type="scatter", x=[epochs[0], epochs[-1]], y=[replay.actual] * 2, mode="lines", name="actual",
             line=dict(color=style.COLORS["actual"], dash="dash"), hoverinfo="skip"),
        dict(type="scatter", x=[epochs[0], epochs[-1]], y=[replay.persistence] * 2, mode="lines",
             name="persistence", line=dict(color=style.COLORS["baseline"], dash="dot"), hoverinfo="skip"),
        dict(type="scatter", x=[epoch], y=[float(replay.predictions[epoch - 1])], mode="markers", showlegend=False,
             marker=dict(size=14, color=HIGHLIGHT, symbol="circle-open", line=dict(width=3)), hoverinfo="skip"),
    ]  # fmt: skip
    # The legend sits under the axis: in a half-width column it would cover the title at 1280 px.
    return figure(data, dict(title=f"Prediction by epoch, {replay.day}", height=360,
                             transition=TRANSITION, xaxis=_axis(title=dict(text="epoch", standoff=8), dtick=1),
                             legend=dict(orientation="h", x=0, xanchor="left", y=-0.3, yanchor="top"),
                             margin=dict(l=64, r=16, t=64, b=96)))  # fmt: skip


def replay_cell_figure(record: TourRecord, replay, epoch: int, layer: int, step: int) -> go.Figure:
    """The cell at (layer, step) after epoch ``epoch``: the gates, c and h as they were then."""
    values = replay.layers[layer]
    z = np.vstack([np.asarray(values[k][epoch - 1][step], dtype=float) for k in CELL_ROWS])
    return _heatmap(z, _units(record.rnn_unit), [ROW_LABELS[k] for k in CELL_ROWS],
                    f"Layer {layer + 1}, step {step + 1} after epoch {epoch}", "%{y}<br>%{x}: %{z:+.5f}",
                    height=340)  # fmt: skip
