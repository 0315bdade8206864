"""Every plotly figure of the dashboard, drawn with one style (template, colours, fonts).

Only drawing happens here: the pages select and aggregate the numbers, these functions turn
them into figures. ``show`` puts a figure on the page with the same options everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

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

TEMPLATE = go.layout.Template(
    layout=go.Layout(
        font=dict(family=FONT_FAMILY, size=13, color=TEXT),
        title=dict(font=dict(size=16, color=TEXT), x=0.0, xanchor="left", y=0.97, yanchor="top"),
        paper_bgcolor="#ffffff",
        plot_bgcolor="#ffffff",
        colorway=[COLORS["model"], COLORS["baseline"], COLORS["actual"], COLORS["val"], COLORS["best"]],
        hovermode="x unified",
        hoverlabel=dict(font=dict(family=FONT_FAMILY, size=12)),
        legend=dict(orientation="h", x=1.0, xanchor="right", y=1.02, yanchor="bottom", bgcolor="rgba(0,0,0,0)"),
        margin=dict(l=64, r=16, t=64, b=40),
        xaxis=dict(showgrid=True, gridcolor=GRID, zeroline=False, linecolor=GRID, ticks="outside", tickcolor=GRID,
                   automargin=True, title=dict(standoff=8)),
        yaxis=dict(showgrid=True, gridcolor=GRID, zeroline=False, linecolor=GRID, ticks="outside", tickcolor=GRID,
                   automargin=True, title=dict(standoff=8)),
    )
)

PLOTLY_CONFIG: dict[str, Any] = {
    "displaylogo": False,
    "modeBarButtonsToRemove": ["lasso2d", "select2d", "autoScale2d"],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}


def _base(fig: go.Figure, title: str, height: int = CHART_HEIGHT) -> go.Figure:
    fig.update_layout(template=TEMPLATE, title_text=title, height=height)
    return fig


def show(fig: go.Figure, key: str | None = None) -> None:
    """Put a figure on the page: full width, our template (not Streamlit's theme), one config."""
    import streamlit as st

    st.plotly_chart(fig, width="stretch", theme=None, key=key, config=PLOTLY_CONFIG)


def _empty(title: str, message: str, height: int = SMALL_HEIGHT) -> go.Figure:
    fig = _base(go.Figure(), title, height)
    fig.add_annotation(
        text=message, x=0.5, y=0.5, xref="paper", yref="paper", showarrow=False, font=dict(color=MUTED, size=14)
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


# ---------------------------------------------------------------------------------------------
# Data page
# ---------------------------------------------------------------------------------------------


def candlestick_figure(frame: pd.DataFrame, title: str = "Prices") -> go.Figure:
    """Candles (or a close line when the data has no OHLC) with volume bars below and a range slider."""
    has_ohlc = all(c in frame.columns for c in ("open", "high", "low", "close"))
    has_volume = "volume" in frame.columns
    rows = 2 if has_volume else 1
    fig = make_subplots(
        rows=rows,
        cols=1,
        shared_xaxes=True,
        vertical_spacing=0.03,
        row_heights=[0.75, 0.25] if has_volume else [1.0],
    )
    dates = frame.index
    if has_ohlc:
        fig.add_trace(
            go.Candlestick(
                x=dates,
                open=frame["open"],
                high=frame["high"],
                low=frame["low"],
                close=frame["close"],
                name="price",
                increasing=dict(line=dict(color=COLORS["up"], width=1), fillcolor=COLORS["up"]),
                decreasing=dict(line=dict(color=COLORS["down"], width=1), fillcolor=COLORS["down"]),
            ),
            row=1,
            col=1,
        )
    else:
        column = "close" if "close" in frame.columns else str(frame.columns[0])
        fig.add_trace(
            go.Scatter(x=dates, y=frame[column], name=column, mode="lines", line=dict(color=COLORS["actual"], width=1.5)),
            row=1,
            col=1,
        )
    if has_volume:
        if has_ohlc:
            up = (frame["close"] >= frame["open"]).to_numpy()
            colors = [COLORS["up"] if u else COLORS["down"] for u in up]
        else:
            colors = COLORS["volume"]
        fig.add_trace(
            go.Bar(x=dates, y=frame["volume"], name="volume", marker=dict(color=colors, opacity=0.45, line_width=0)),
            row=2,
            col=1,
        )
        fig.update_yaxes(title_text="volume", row=2, col=1)
    _base(fig, title, height=560 if has_volume else CHART_HEIGHT)
    fig.update_layout(showlegend=False, hovermode="x")
    fig.update_yaxes(title_text="price", row=1, col=1)
    # Candlestick traces put a range slider under their own axis (between the panels); show one
    # slider under the bottom panel instead, plus quick range buttons on the top one.
    fig.update_xaxes(rangeslider_visible=False)
    fig.update_xaxes(rangeslider=dict(visible=True, thickness=0.06), row=rows, col=1)
    fig.update_xaxes(
        rangeselector=dict(
            buttons=[
                dict(count=1, label="1m", step="month", stepmode="backward"),
                dict(count=6, label="6m", step="month", stepmode="backward"),
                dict(count=1, label="1y", step="year", stepmode="backward"),
                dict(count=5, label="5y", step="year", stepmode="backward"),
                dict(step="all", label="all"),
            ],
            x=0.0,
            y=1.0,
            yanchor="bottom",
            font=dict(size=11),
            bgcolor="#f4f6fa",
        ),
        row=1,
        col=1,
    )
    return fig


# ---------------------------------------------------------------------------------------------
# Train page
# ---------------------------------------------------------------------------------------------


def _band(x0: Any, x1: Any, fill: str, label: str, position: str = "top left") -> tuple[dict, dict | None]:
    """A shaded vertical band and its label as plain dicts (add_vrect is ~30 ms per call)."""
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


def _add_layout_items(fig: go.Figure, shapes: list[dict], notes: list[dict]) -> None:
    if shapes or notes:
        fig.update_layout(shapes=list(fig.layout.shapes) + shapes, annotations=list(fig.layout.annotations) + notes)


def split_figure(
    series: pd.Series, periods: Mapping[str, tuple[Any, Any]], title: str = "Chronological split"
) -> go.Figure:
    """The target over time with the train / validation / test periods as background bands."""
    fig = _base(go.Figure(), title, SMALL_HEIGHT)
    fig.add_trace(
        go.Scatter(x=series.index, y=series.to_numpy(), name=str(series.name or "target"), mode="lines",
                   line=dict(color=COLORS["actual"], width=1.2))
    )  # fmt: skip
    shapes, notes = [], []
    for name, (start, end) in periods.items():
        if start is None or end is None:
            continue
        shape, note = _band(start, end, PERIOD_FILL.get(name, PERIOD_FILL["train"]), PERIOD_LABEL.get(name, name),
                            PERIOD_LABEL_POSITION.get(name, "top left"))  # fmt: skip
        shapes.append(shape)
        notes.extend([note] if note else [])
    _add_layout_items(fig, shapes, notes)
    fig.update_layout(showlegend=False)
    return fig


def loss_figure(
    history: Sequence[Mapping[str, float]],
    *,
    log_y: bool = False,
    best_epoch: int | None = None,
    title: str = "Loss per epoch",
) -> go.Figure:
    """Training and validation loss (normalised units, MSE) for every finished epoch."""
    if not history:
        return _empty(title, "The loss appears here after the first epoch.")
    epochs = list(range(1, len(history) + 1))
    fig = _base(go.Figure(), title, SMALL_HEIGHT)
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


# ---------------------------------------------------------------------------------------------
# Results page
# ---------------------------------------------------------------------------------------------


def prediction_figure(
    actual: pd.Series,
    predicted: pd.Series | None = None,
    baseline: pd.Series | None = None,
    forecast: pd.Series | None = None,
    *,
    title: str = "Predicted vs actual",
    y_title: str = "price",
    predicted_name: str = "LSTM prediction",
    baseline_name: str = "persistence baseline",
    forecast_name: str = "forecast",
    highlight: tuple[Any, Any] | None = None,
    highlight_label: str = "",
    markers: dict[str, Any] | None = None,
    x_range: tuple[Any, Any] | None = None,
) -> go.Figure:
    """Actual, predicted and persistence lines in price units; the forecast past the last date dashed.

    ``highlight`` shades one span (a chosen forecast window); ``markers`` draws labelled
    vertical lines (e.g. where the test period starts); ``x_range`` is the initial zoom
    (double-click shows everything).
    """
    fig = _base(go.Figure(), title)
    fig.add_trace(
        go.Scatter(x=actual.index, y=actual.to_numpy(), name="actual", mode="lines",
                   line=dict(color=COLORS["actual"], width=1.6))
    )  # fmt: skip
    if baseline is not None and len(baseline):
        fig.add_trace(
            go.Scatter(x=baseline.index, y=baseline.to_numpy(), name=baseline_name, mode="lines",
                       line=dict(color=COLORS["baseline"], width=1.3, dash="dot"))
        )  # fmt: skip
    if predicted is not None and len(predicted):
        many = len(predicted) > 60
        fig.add_trace(
            go.Scatter(x=predicted.index, y=predicted.to_numpy(), name=predicted_name,
                       mode="lines" if many else "lines+markers",
                       line=dict(color=COLORS["model"], width=2), marker=dict(size=5))
        )  # fmt: skip
    if forecast is not None and len(forecast):
        fig.add_trace(
            go.Scatter(x=forecast.index, y=forecast.to_numpy(), name=forecast_name, mode="lines+markers",
                       line=dict(color=COLORS["model"], width=2, dash="dash"),
                       marker=dict(size=6, symbol="circle-open"))
        )  # fmt: skip
    shapes, notes = [], []
    if highlight is not None:
        shape, note = _band(highlight[0], highlight[1], PERIOD_FILL["test"], highlight_label)
        shapes.append(shape)
        notes.extend([note] if note else [])
    for label, when in (markers or {}).items():
        shapes.append(dict(type="line", xref="x", yref="paper", x0=when, x1=when, y0=0, y1=1,
                           line=dict(color=MUTED, width=1, dash="dot")))  # fmt: skip
        notes.append(dict(x=when, y=1, xref="x", yref="paper", text=label, showarrow=False, xanchor="left",
                          yanchor="top", font=dict(size=11, color=MUTED)))  # fmt: skip
    _add_layout_items(fig, shapes, notes)
    fig.update_yaxes(title_text=y_title)
    if x_range is not None:
        fig.update_xaxes(range=list(x_range))
        fig.update_yaxes(autorange=True)
    return fig


def residual_figure(
    residuals: pd.DataFrame, *, title: str = "Residuals (actual − predicted)", y_title: str = "price"
) -> go.Figure:
    """Residuals over time, one column per forecaster (e.g. model and persistence)."""
    if residuals.empty:
        return _empty(title, "No test predictions to show.")
    fig = _base(go.Figure(), title, SMALL_HEIGHT)
    palette = [COLORS["model"], COLORS["baseline"]]
    for i, column in enumerate(residuals.columns):
        fig.add_trace(
            go.Scatter(x=residuals.index, y=residuals[column].to_numpy(), name=str(column), mode="lines",
                       line=dict(color=palette[i % len(palette)], width=1.2 if i == 0 else 1.0),
                       opacity=1.0 if i == 0 else 0.75)
        )  # fmt: skip
    fig.add_hline(y=0, line=dict(color=MUTED, width=1))
    fig.update_yaxes(title_text=y_title)
    return fig


def horizon_error_figure(
    errors: pd.DataFrame, *, title: str = "Error by step ahead (RMSE)", y_title: str = "RMSE (price)"
) -> go.Figure:
    """Grouped bars: one row per step ahead, one column per forecaster."""
    if errors.empty:
        return _empty(title, "No test predictions to show.")
    fig = _base(go.Figure(), title, SMALL_HEIGHT)
    palette = [COLORS["model"], COLORS["baseline"]]
    for i, column in enumerate(errors.columns):
        fig.add_trace(go.Bar(x=errors.index, y=errors[column].to_numpy(), name=str(column),
                             marker=dict(color=palette[i % len(palette)])))  # fmt: skip
    fig.update_layout(barmode="group", hovermode="x")
    fig.update_xaxes(title_text="days ahead", dtick=1 if len(errors) <= 30 else None)
    fig.update_yaxes(title_text=y_title)
    return fig
