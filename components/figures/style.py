"""The one style every figure of the dashboard shares (template, colours, fonts) and ``show``.

Figure builders live by subject beside this module (prices, training, shapes); pages only
select numbers and call them, then ``show`` puts the figure on the page the same way everywhere.
"""

from __future__ import annotations

from typing import Any

import plotly.graph_objects as go

# ---------------------------------------------------------------------------------------------
# Style
# ---------------------------------------------------------------------------------------------

FONT_FAMILY = "Inter, system-ui, -apple-system, 'Segoe UI', Roboto, Helvetica, Arial, sans-serif"
TEXT = "#1f2937"
MUTED = "#6b7280"
GRID = "#e5e7eb"

COLORS: dict[str, str] = {
    "actual": "#1f2937",  # the real prices: dark slate, drawn first
    "model": "#2563eb",  # the LSTM's predictions (and its forecast, dashed)
    "baseline": "#f59e0b",  # persistence: tomorrow = today
    "train": "#2563eb",
    "val": "#ea580c",
    "up": "#16a34a",
    "down": "#dc2626",
    "volume": "#94a3b8",
    "best": "#7c3aed",
}
# Background bands marking the periods of a chronological split.
PERIOD_FILL: dict[str, str] = {
    "train": "rgba(37, 99, 235, 0.05)",
    "val": "rgba(234, 88, 12, 0.08)",
    "test": "rgba(124, 58, 237, 0.08)",
}
PERIOD_LABEL: dict[str, str] = {"train": "train", "val": "validation", "test": "test"}
# Where each band's label goes: the validation band is often narrow, so its label sits low.
PERIOD_LABEL_POSITION: dict[str, str] = {"train": "top left", "val": "bottom left", "test": "top right"}

CHART_HEIGHT = 420
SMALL_HEIGHT = 320

# Both axes look alike: light grid, ticks outside, room for their titles.
AXIS = dict(
    showgrid=True,
    gridcolor=GRID,
    zeroline=False,
    linecolor=GRID,
    ticks="outside",
    tickcolor=GRID,
    automargin=True,
    title=dict(standoff=8),
)

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT_FAMILY, size=13, color=TEXT),
        title=dict(font=dict(size=16, color=TEXT), x=0.0, xanchor="left", y=0.97, yanchor="top"),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=[COLORS["model"], COLORS["baseline"], COLORS["actual"], COLORS["val"], COLORS["best"]],
        hovermode="x unified",
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=12)),
        legend=dict(
            orientation="h", x=1.0, xanchor="right", y=1.02, yanchor="bottom", bgcolor="rgba(0,0,0,0)"
        ),
        margin=dict(l=64, r=16, t=64, b=40),
        xaxis=AXIS,
        yaxis=AXIS,
    )
)

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def base_layout(fig: go.Figure, title: str, height: int = CHART_HEIGHT) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title_text=title, height=height)
    return fig


def show(fig: go.Figure, key: str | None = None) -> None:
    """Put a figure on the page: full width, our template (not Streamlit's theme), one config."""
    import streamlit as st

    st.plotly_chart(fig, width="stretch", theme=None, key=key, config=PLOTLY_CONFIG)


def empty_figure(title: str, message: str, height: int = SMALL_HEIGHT) -> go.Figure:
    fig = base_layout(go.Figure(), title, height)
    fig.add_annotation(
        text=message,
        x=0.5,
        y=0.5,
        xref="paper",
        yref="paper",
        showarrow=False,
        font=dict(color=MUTED, size=14),
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def period_band(
    x0: Any, x1: Any, fill: str, label: str, position: str = "top left"
) -> tuple[dict, dict | None]:
    """A shaded vertical band and its label as plain dicts (add_vrect costs far more per call)."""
    shape = dict(type="rect", xref="x", yref="paper", x0=x0, x1=x1, y0=0, y1=1, fillcolor=fill,
                 line=dict(width=0), layer="below")  # fmt: skip
    if not label:
        return shape, None
    top = position.startswith("top")
    right = position.endswith("right")
    note = dict(x=x1 if right else x0, y=1 if top else 0, xref="x", yref="paper", text=label, showarrow=False,
                xanchor="right" if right else "left", yanchor="top" if top else "bottom",
                font=dict(size=11, color=MUTED))  # fmt: skip
    return shape, note


def add_layout_items(fig: go.Figure, shapes: list[dict], notes: list[dict]) -> None:
    if shapes or notes:
        fig.update_layout(
            shapes=list(fig.layout.shapes) + shapes, annotations=list(fig.layout.annotations) + notes
        )
