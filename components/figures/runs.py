"""Figures comparing stored runs (drawn from the records of ``components.pages.runs_records``).

Every line is decimated (``prices.decimate``), so a run with 100,000 test points still makes a
small figure.
"""

from __future__ import annotations

import plotly.graph_objects as go

from components.figures.prices import decimate, points_note
from components.figures.style import COLORS, SMALL_HEIGHT, base_layout, empty_figure
from components.literal import plotly_literal

RUN_COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#ea580c"]


def overlay_figure(overlay, title: str = "Predicted vs actual, test period") -> go.Figure:
    """Actual, persistence (always) and one line per run, one day ahead."""
    if not len(overlay.actual):
        return empty_figure(title, "Select runs with stored predictions on the same data.")
    total = len(overlay.actual)
    actual = decimate(overlay.actual)
    fig = base_layout(go.Figure(), title + points_note(len(actual), total))
    fig.add_trace(
        go.Scatter(
            x=actual.index,
            y=actual.to_numpy(),
            name="actual",
            mode="lines",
            line=dict(color=COLORS["actual"], width=2),
        )
    )
    baseline = decimate(overlay.persistence)
    fig.add_trace(
        go.Scatter(
            x=baseline.index,
            y=baseline.to_numpy(),
            name="persistence baseline",
            mode="lines",
            line=dict(color=COLORS["baseline"], width=1.5, dash="dot"),
        )
    )
    for i, (label, series) in enumerate(overlay.predicted.items()):
        shown = decimate(series)
        fig.add_trace(
            go.Scatter(
                x=shown.index,
                y=shown.to_numpy(),
                name=label,
                mode="lines",
                line=dict(color=RUN_COLORS[i % len(RUN_COLORS)], width=1.5),
            )
        )
    fig.update_yaxes(title_text=plotly_literal(overlay.target) if overlay.target else "price")
    return fig


def loss_curves_figure(curves: dict[str, list], title: str = "Validation loss per epoch") -> go.Figure:
    if not curves:
        return empty_figure(title, "The selected runs have no finished epochs.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for i, (label, values) in enumerate(curves.items()):
        fig.add_trace(
            go.Scatter(
                x=list(range(1, len(values) + 1)),
                y=values,
                name=label,
                mode="lines+markers",
                line=dict(color=RUN_COLORS[i % len(RUN_COLORS)], width=2),
                marker=dict(size=4),
            )
        )
    fig.update_xaxes(title_text="epoch")
    fig.update_yaxes(title_text="MSE (normalised)", type="log")
    return fig


def parallel_figure(
    frame, knobs: list[str], color_by: str = "skill", title: str = "Knobs of the selected runs"
) -> go.Figure:
    """Parallel coordinates: one axis per knob (and the colour metric), one line per run."""
    if frame.empty or not knobs:
        return empty_figure(
            title, "The selected runs have the same knobs (or no metrics): nothing to spread out."
        )
    dims = [dict(label=k, values=frame[k].astype(float).to_numpy()) for k in knobs]
    colour = frame[color_by].astype(float).fillna(0.0).to_numpy()
    dims.append(dict(label=color_by, values=colour))
    fig = base_layout(
        go.Figure(
            go.Parcoords(
                # Green is good: high skill and direction, low errors.
                line=dict(
                    color=colour,
                    colorscale="RdYlGn",
                    reversescale=color_by not in ("skill", "direction %"),
                    showscale=True,
                    colorbar=dict(title=color_by),
                ),
                dimensions=dims,
            )
        ),
        title,
        SMALL_HEIGHT,
    )
    fig.update_layout(margin=dict(l=48, r=48, t=72, b=24))
    return fig


def scatter_figure(frame, knob: str, metric: str) -> go.Figure:
    title = f"{metric} against {knob}"
    if frame.empty:
        return empty_figure(title, "The selected runs have no metrics yet.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    fig.add_trace(go.Scatter(
        x=frame[knob].astype(float).to_numpy(), y=frame[metric].astype(float).to_numpy(), mode="markers+text",
        text=[f"run {i}" for i in frame.index], textposition="top center", name=metric,
        marker=dict(size=11, color=COLORS["model"]),
    ))  # fmt: skip
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title_text=knob)
    fig.update_yaxes(title_text=metric)
    return fig
