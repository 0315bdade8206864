"""Figures of the Results page's lessons: predicted vs actual moves, and the leak demo's two lines."""

from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go

from components.figures.prices import decimate
from components.figures.style import COLORS, MUTED, SMALL_HEIGHT, base_layout, empty_figure

LEAK_COLOR = "#dc2626"  # the leaked line: red, it is the one not to trust
MAX_SCATTER_POINTS = 3000


def moves_figure(test: pd.DataFrame, *, title: str = "Predicted vs actual moves (test period)") -> go.Figure:
    """Each test prediction's move from the last known price against the actual move.

    Persistence is the horizontal line at 0; a skilful model's points lie along the diagonal.
    """
    if test.empty:
        return empty_figure(title, "No test predictions to show.")
    moves = pd.DataFrame(
        {"actual": test["actual"] - test["last_known"], "predicted": test["predicted"] - test["last_known"]}
    )
    if len(moves) > MAX_SCATTER_POINTS:
        moves = moves.sample(MAX_SCATTER_POINTS, random_state=0)
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    fig.add_trace(
        go.Scatter(x=moves["actual"], y=moves["predicted"], mode="markers", name="test predictions",
                   marker=dict(color=COLORS["model"], size=4, opacity=0.45))
    )  # fmt: skip
    low = float(min(moves["actual"].min(), moves["predicted"].min()))
    high = float(max(moves["actual"].max(), moves["predicted"].max()))
    fig.add_trace(
        go.Scatter(x=[low, high], y=[low, high], mode="lines", name="perfect (predicted = actual)",
                   line=dict(color=MUTED, width=1, dash="dot"))
    )  # fmt: skip
    fig.add_trace(
        go.Scatter(x=[low, high], y=[0, 0], mode="lines", name="persistence (no move)",
                   line=dict(color=COLORS["baseline"], width=1.5))
    )  # fmt: skip
    fig.update_xaxes(title_text="actual move")
    fig.update_yaxes(title_text="predicted move")
    return fig


def leak_figure(predictions: pd.DataFrame, *, y_title: str = "price",
                title: str = "Same model, honest vs leaked normalisation") -> go.Figure:  # fmt: skip
    """Actual prices with the honest and the leaked one-step-ahead predictions over the test period."""
    if predictions.empty:
        return empty_figure(title, "No test predictions to show.")
    # One point per date: each window's first forecast day (next-window windows overlap).
    rows = predictions[predictions["step"] == predictions["step"].min()]
    index = pd.DatetimeIndex(rows["date"])
    fig = base_layout(go.Figure(), title)
    for column, name, color, width in (
        ("actual", "actual", COLORS["actual"], 1.6),
        ("honest", "honest (training statistics)", COLORS["model"], 2.0),
        ("leaked", "leaked (test-period statistics)", LEAK_COLOR, 1.6),
    ):
        series = decimate(pd.Series(rows[column].to_numpy(), index=index))
        fig.add_trace(
            go.Scatter(x=series.index, y=series.to_numpy(), name=name, mode="lines",
                       line=dict(color=color, width=width, dash="dash" if column == "leaked" else None))
        )  # fmt: skip
    fig.update_yaxes(title_text=y_title)
    # Drawn in a half-width column: the legend goes under the plot, clear of the title.
    fig.update_layout(legend=dict(orientation="h", yanchor="top", y=-0.12, xanchor="left", x=0))
    return fig
