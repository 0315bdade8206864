"""Training figures: the loss curves of one run."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import plotly.graph_objects as go

from components.figures.style import COLORS, SMALL_HEIGHT, base_layout, empty_figure


def loss_figure(
    history: Sequence[Mapping[str, float]],
    *,
    log_y: bool = False,
    best_epoch: int | None = None,
    title: str = "Loss per epoch",
) -> go.Figure:
    """Training and validation loss (normalised units, MSE) for every finished epoch."""
    if not history:
        return empty_figure(title, "The loss appears here after the first epoch.")
    epochs = list(range(1, len(history) + 1))
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    train = [h.get("loss") for h in history]
    fig.add_trace(
        go.Scatter(x=epochs, y=train, name="train loss", mode="lines+markers",
                   line=dict(color=COLORS["train"], width=2), marker=dict(size=5))
    )  # fmt: skip
    val = [h.get("val_loss") for h in history]
    if any(v is not None for v in val):
        fig.add_trace(
            go.Scatter(x=epochs, y=val, name="validation loss", mode="lines+markers",
                       line=dict(color=COLORS["val"], width=2), marker=dict(size=5))
        )  # fmt: skip
    if best_epoch is not None and 1 <= best_epoch <= len(history):
        best = history[best_epoch - 1]
        value = best.get("val_loss", best.get("loss"))
        fig.add_trace(
            go.Scatter(x=[best_epoch], y=[value], name="kept weights", mode="markers",
                       marker=dict(symbol="star", size=14, color=COLORS["best"]))
        )  # fmt: skip
    fig.update_xaxes(title_text="epoch", dtick=max(1, len(epochs) // 10) if len(epochs) > 10 else 1)
    fig.update_yaxes(title_text="MSE (normalised)", type="log" if log_y else "linear")
    return fig
