"""Thin drawers for the Inside page: each takes a record from ``model.inside`` and returns a figure."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.style import COLORS, MUTED, SMALL_HEIGHT, base_layout

HIGHLIGHT = "rgba(124, 58, 237, 0.18)"


def lag_figure(record) -> go.Figure:
    """Correlation of the predictions with the actual series at each lag (moves bars, levels line)."""
    fig = base_layout(
        go.Figure(), "Correlation with the actual, by lag", SMALL_HEIGHT + 40
    )  # short: a half-width column
    fig.add_bar(x=record.lags, y=record.moves, name="day-to-day moves", marker_color=COLORS["model"])
    fig.add_scatter(x=record.lags, y=record.levels, name="levels", mode="lines+markers",
                    line=dict(color=COLORS["baseline"]))  # fmt: skip
    fig.add_vline(x=record.peak, line=dict(color=COLORS["best"], dash="dot"))
    fig.update_xaxes(title_text="lag k (days)", dtick=2)  # the caption below says what k is
    fig.update_yaxes(title_text="correlation", range=[-1.05, 1.05])
    # The legend goes under the plot: at the top right it ran into the title in a half-width column.
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.32, yanchor="top"),
        margin=dict(t=56, b=96),
    )
    return fig


def shifted_overlay_figure(daily: pd.DataFrame, y_title: str, change_target: bool = False) -> go.Figure:
    """The predictions over the actual series and the actual series shifted by one day."""
    dates = pd.DatetimeIndex(daily["date"])
    actual = daily["actual"].to_numpy(dtype=float)
    predicted = daily["predicted"].to_numpy(dtype=float)
    if change_target and "last_known" in daily:
        last = daily["last_known"].to_numpy(dtype=float)
        actual, predicted = actual - last, predicted - last
        title, y_title = "Predicted vs actual moves", f"move of {y_title}"
        shifted = np.r_[np.nan, actual[:-1]]
    else:
        title = "Predictions over the actual series, and the actual series one day late"
        shifted = np.r_[np.nan, actual[:-1]]
    fig = base_layout(go.Figure(), title)
    fig.add_scatter(x=dates, y=actual, name="actual", line=dict(color=COLORS["actual"], width=1.5))
    fig.add_scatter(
        x=dates, y=shifted, name="actual, one day late", line=dict(color=COLORS["baseline"], dash="dot")
    )
    fig.add_scatter(x=dates, y=predicted, name="predicted", line=dict(color=COLORS["model"]))
    fig.update_yaxes(title_text=y_title)
    return fig


def attribution_figure(
    values: np.ndarray, features: Sequence[str], dates: Sequence[str], title: str, signed: bool = True
) -> go.Figure:
    """A [time_step, feature] heatmap of attributions (price units), the window's last day on the right."""
    z = np.asarray(values, dtype=float).T
    bound = float(np.abs(z).max()) or 1.0
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    fig.add_heatmap(
        z=z, x=list(dates), y=list(features),
        colorscale="RdBu" if signed else "Purples", zmid=0 if signed else None,
        zmin=-bound if signed else 0, zmax=bound,
        colorbar=dict(title="price units"),
        hovertemplate="%{y} on %{x}: %{z:+.3f}<extra></extra>",
    )  # fmt: skip
    fig.update_xaxes(title_text="day of the input window", type="category")
    return fig


def units_figure(
    dates: Sequence[str],
    price: np.ndarray,
    h: np.ndarray,
    labels: Sequence[str],
    active: np.ndarray | None = None,
    unit: int | None = None,
) -> go.Figure:
    """The price over the test period with a unit's active days highlighted, and every unit's h below."""
    x = pd.DatetimeIndex(list(dates))
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.4, 0.6], vertical_spacing=0.04)
    base_layout(fig, "Hidden state h of every unit over the test period", 620)
    fig.add_scatter(x=x, y=price, name="price", line=dict(color=COLORS["actual"]), row=1, col=1)
    if active is not None and active.any():
        fig.add_scatter(x=x[active], y=np.asarray(price)[active], name="unit on", mode="markers",
                        marker=dict(color=COLORS["best"], size=6), row=1, col=1)  # fmt: skip
    fig.add_heatmap(z=np.asarray(h).T, x=x, y=list(labels), colorscale="RdBu", zmid=0, zmin=-1, zmax=1,
                    colorbar=dict(title="h", y=0.3, len=0.6),
                    hovertemplate="%{y} on %{x|%Y-%m-%d}: %{z:+.2f}<extra></extra>", row=2, col=1)  # fmt: skip
    if unit is not None:
        fig.add_scatter(x=[x[0], x[-1]], y=[labels[unit]] * 2, mode="lines", showlegend=False,
                        line=dict(color=COLORS["best"], width=1), row=2, col=1)  # fmt: skip
    fig.update_yaxes(title_text="price", row=1, col=1)
    fig.update_yaxes(autorange="reversed", type="category", row=2, col=1)
    return fig


def what_if_figure(record, dates: Sequence[str] | None = None) -> go.Figure:
    """The window's last prices as stored and edited, and the two predictions beside them."""
    n = len(record.window)
    x = list(range(-n + 1, 1))
    fig = base_layout(go.Figure(), f"What if: the window ending {record.date}", SMALL_HEIGHT)
    fig.add_scatter(x=x, y=record.window, name="as it was", line=dict(color=COLORS["actual"]))
    fig.add_scatter(x=x, y=record.edited_window, name="edited", line=dict(color=COLORS["best"], dash="dash"))
    ahead = list(range(1, len(record.original) + 1))
    fig.add_scatter(x=ahead, y=record.original, name="prediction", mode="lines+markers",
                    marker=dict(size=9), line=dict(color=COLORS["model"]))  # fmt: skip
    fig.add_scatter(x=ahead, y=record.edited, name="prediction after the edit", mode="lines+markers",
                    marker=dict(size=9, symbol="diamond"), line=dict(color=COLORS["down"], dash="dash"))  # fmt: skip
    fig.update_xaxes(title_text="days from the window's last day", color=MUTED)
    return fig
