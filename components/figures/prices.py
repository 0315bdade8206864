"""Price figures: the loaded prices, the chronological split, predictions against actual prices
and the persistence baseline, and their errors."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.style import (
    CHART_HEIGHT,
    COLORS,
    MUTED,
    PERIOD_FILL,
    PERIOD_LABEL,
    PERIOD_LABEL_POSITION,
    SMALL_HEIGHT,
    add_layout_items,
    base_layout,
    empty_figure,
    period_band,
)  # fmt: skip

# Whatever the data size, a figure carries at most this many candles or line points: a browser
# draws a few thousand SVG elements instantly and freezes on hundreds of thousands.
MAX_BARS = 4000
MAX_LINE_POINTS = 4000

# Calendar periods tried in order when there are too many rows for one candle each.
# (pandas rule, name, typical length in days): the length skips rules that cannot fit without
# aggregating with them first.
_BAR_PERIODS: tuple[tuple[str, str, float], ...] = (
    ("W", "weekly", 7), ("MS", "monthly", 30.44), ("QS", "quarterly", 91.3), ("YS", "yearly", 365.25),
    ("10YS", "10-year", 3652.5), ("100YS", "100-year", 36525),
)  # fmt: skip


@dataclass(frozen=True)
class Bars:
    """Prices ready to draw: one row per bar, and what each bar stands for."""

    frame: pd.DataFrame  # open, high, low, close (and volume) per bar, dated by its first day
    label: str  # "" when every row is its own bar, else e.g. "weekly bars"
    rows: int  # rows in the data before aggregation


def price_bars(frame: pd.DataFrame, max_bars: int = MAX_BARS) -> Bars:
    """Aggregate rows into calendar bars (weekly, monthly, ...) until at most ``max_bars`` remain.

    Small tables pass through unchanged. Bars take the first open, highest high, lowest low and
    last close of their period and the summed volume; without OHLC columns the close alone gives
    each bar's open/high/low/close. Beyond 100-year bars, rows are grouped in equal runs.
    """
    rows = len(frame)
    if rows <= max_bars:
        return Bars(frame=frame, label="", rows=rows)
    close = frame["close"] if "close" in frame.columns else frame[frame.columns[0]]
    ohlc = pd.DataFrame(
        {
            "open": frame["open"] if "open" in frame.columns else close,
            "high": frame["high"] if "high" in frame.columns else close,
            "low": frame["low"] if "low" in frame.columns else close,
            "close": close,
        },
        index=frame.index,
    )
    if "volume" in frame.columns:
        ohlc["volume"] = frame["volume"]
    how = {"open": "first", "high": "max", "low": "min", "close": "last", "volume": "sum"}
    how = {k: v for k, v in how.items() if k in ohlc.columns}
    span_days = (frame.index[-1] - frame.index[0]) / pd.Timedelta(days=1)
    for rule, name, days in _BAR_PERIODS:
        if span_days / days > max_bars + 1:
            continue
        bars = ohlc.resample(rule, label="left", closed="left").agg(how).dropna(subset=["close"])
        if len(bars) <= max_bars:
            return Bars(frame=bars, label=f"{name} bars", rows=rows)
    size = -(-rows // max_bars)
    groups = np.arange(rows) // size
    bars = ohlc.groupby(groups).agg(how)
    bars.index = ohlc.index[::size][: len(bars)]
    return Bars(frame=bars, label=f"bars of {size:,} rows", rows=rows)


def decimate(data: pd.Series | pd.DataFrame, max_points: int = MAX_LINE_POINTS) -> pd.Series | pd.DataFrame:
    """At most about ``max_points`` rows, keeping each bucket's lowest and highest value per column
    (peaks and crashes stay visible), plus the first and last row. Short data passes through."""
    n = len(data)
    if n <= max_points:
        return data
    values = data.to_frame() if isinstance(data, pd.Series) else data
    columns = max(1, values.shape[1])
    buckets = max(1, max_points // (2 * columns))
    bucket = np.arange(n) * buckets // n
    keep = {0, n - 1}
    for column in values.columns:
        column_values = pd.Series(values[column].to_numpy(dtype="float64", na_value=np.nan))
        filled = column_values.fillna(column_values.median() if column_values.notna().any() else 0.0)
        grouped = filled.groupby(bucket)
        keep.update(grouped.idxmin().to_numpy().tolist())
        keep.update(grouped.idxmax().to_numpy().tolist())
    return data.iloc[np.array(sorted(keep))]


def points_note(shown: int, total: int) -> str:
    """The title's note when a long series is drawn decimated (empty when every point is drawn)."""
    return (
        ""
        if shown >= total
        else f" · {shown:,} of {total:,} points drawn (lowest and highest of each stretch)"
    )


def candlestick_figure(frame: pd.DataFrame, title: str = "Prices") -> go.Figure:
    """Candles (or a close line when the data has no OHLC) with volume bars below and a range slider.

    Long histories are drawn as calendar bars (``price_bars``); the title says which.
    """
    bars = price_bars(frame)
    if bars.label:
        frame = bars.frame
        title = f"{title} · {bars.label} ({bars.rows:,} rows aggregated)"
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
            go.Scatter(
                x=dates,
                y=frame[column],
                name=column,
                mode="lines",
                line=dict(color=COLORS["actual"], width=1.5),
            ),
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
            go.Bar(
                x=dates,
                y=frame["volume"],
                name="volume",
                marker=dict(color=colors, opacity=0.45, line_width=0),
            ),
            row=2,
            col=1,
        )
        fig.update_yaxes(title_text="volume", row=2, col=1)
    base_layout(fig, title, height=560 if has_volume else CHART_HEIGHT)
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


FOLD_FILLS = ("rgba(124, 58, 237, 0.10)", "rgba(124, 58, 237, 0.20)")  # neighbouring test periods alternate


def split_figure(
    series: pd.Series,
    periods: Mapping[str, tuple[Any, Any]],
    title: str = "Chronological split",
    folds: Sequence[tuple[str, Any, Any]] = (),
) -> go.Figure:
    """The target over time with the train / validation / test periods as background bands; with
    ``folds`` (label, first and last test date of each walk-forward fold), each fold's test period instead."""
    total = len(series)
    series = decimate(series)
    fig = base_layout(go.Figure(), title + points_note(len(series), total), SMALL_HEIGHT)
    fig.add_trace(
        go.Scatter(x=series.index, y=series.to_numpy(), name=str(series.name or "target"), mode="lines",
                   line=dict(color=COLORS["actual"], width=1.2))
    )  # fmt: skip
    shapes, notes = [], []
    for i, (label, start, end) in enumerate(folds):
        shape, note = period_band(start, end, FOLD_FILLS[i % 2], label, "top left")
        shapes.append(shape)
        notes.extend([note] if note else [])
    for name, (start, end) in {} if folds else periods.items():
        if start is None or end is None:
            continue
        shape, note = period_band(start, end, PERIOD_FILL.get(name, PERIOD_FILL["train"]), PERIOD_LABEL.get(name, name),
                            PERIOD_LABEL_POSITION.get(name, "top left"))  # fmt: skip
        shapes.append(shape)
        notes.extend([note] if note else [])
    add_layout_items(fig, shapes, notes)
    fig.update_layout(showlegend=False)
    return fig


def _last_months_range(series: list[pd.Series], months: int) -> tuple[list, list | None] | None:
    """(x range, y range) of the last ``months`` months of the dated ``series``: plotly's autorange
    reads every point, hidden or not, so the y range is fitted to what the window shows."""
    dated = [s for s in series if s is not None and len(s) and isinstance(s.index, pd.DatetimeIndex)]
    if not dated:
        return None
    end = max(s.index.max() for s in dated)
    start = end - pd.DateOffset(months=months)
    if min(s.index.min() for s in dated) >= start:
        return None  # everything fits: no zoom
    shown = [s[(s.index >= start) & (s.index <= end)] for s in dated]
    values = np.concatenate([np.asarray(v, dtype=float) for v in shown if len(v)] or [np.empty(0)])
    values = values[np.isfinite(values)]
    pad = (end - start) * 0.02
    x = [start - pad, end + pad]
    if not len(values):
        return x, None
    low, high = float(values.min()), float(values.max())
    margin = (high - low) * 0.06 or abs(high) * 0.01 or 1.0
    return x, [low - margin, high + margin]


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
    last_months: int | None = 6,
) -> go.Figure:
    """Actual, predicted and persistence lines in price units; the forecast past the last date dashed.

    Persistence is drawn above the model, dashed in its own colour: a model that hugs the price
    usually hugs persistence, and hidden under the model that would look like skill. The chart opens
    on the last ``last_months`` months (double-click shows everything) unless ``x_range`` is given;
    ``highlight`` shades one span (a chosen forecast window); ``markers`` draws labelled vertical
    lines (e.g. where the test period starts).
    """
    total = len(actual)
    zoom = None
    if x_range is None and last_months:
        zoom = _last_months_range([actual, predicted, baseline, forecast], last_months)
    actual = decimate(actual)
    baseline = decimate(baseline) if baseline is not None else None
    predicted = decimate(predicted) if predicted is not None else None
    fig = base_layout(go.Figure(), title + points_note(len(actual), total))
    fig.add_trace(
        go.Scatter(x=actual.index, y=actual.to_numpy(), name="actual", mode="lines",
                   line=dict(color=COLORS["actual"], width=1.6))
    )  # fmt: skip
    if predicted is not None and len(predicted):
        many = len(predicted) > 60
        fig.add_trace(
            go.Scatter(x=predicted.index, y=predicted.to_numpy(), name=predicted_name,
                       mode="lines" if many else "lines+markers",
                       line=dict(color=COLORS["model"], width=2), marker=dict(size=5))
        )  # fmt: skip
    if baseline is not None and len(baseline):  # after the model: drawn above it, never hidden under it
        fig.add_trace(
            go.Scatter(x=baseline.index, y=baseline.to_numpy(), name=baseline_name, mode="lines",
                       line=dict(color=COLORS["baseline"], width=1.6, dash="dash"))
        )  # fmt: skip
    if forecast is not None and len(forecast):
        fig.add_trace(
            go.Scatter(x=forecast.index, y=forecast.to_numpy(), name=forecast_name, mode="lines+markers",
                       line=dict(color=COLORS["model"], width=2, dash="dash"),
                       marker=dict(size=6, symbol="circle-open"))
        )  # fmt: skip
    shapes, notes = [], []
    if highlight is not None:
        shape, note = period_band(highlight[0], highlight[1], PERIOD_FILL["test"], highlight_label)
        shapes.append(shape)
        notes.extend([note] if note else [])
    for label, when in (markers or {}).items():
        shapes.append(dict(type="line", xref="x", yref="paper", x0=when, x1=when, y0=0, y1=1,
                           line=dict(color=MUTED, width=1, dash="dot")))  # fmt: skip
        notes.append(dict(x=when, y=1, xref="x", yref="paper", text=label, showarrow=False, xanchor="left",
                          yanchor="top", font=dict(size=11, color=MUTED)))  # fmt: skip
    add_layout_items(fig, shapes, notes)
    fig.update_yaxes(title_text=y_title)
    if x_range is not None:
        fig.update_xaxes(range=list(x_range))
        fig.update_yaxes(autorange=True)
    elif zoom is not None:
        fig.update_xaxes(range=zoom[0])
        if zoom[1] is not None:
            fig.update_yaxes(range=zoom[1])
    return fig


def _forecaster_colors(columns) -> list[tuple]:
    """(column, colour) per forecaster column: the model's colour first, then the baseline's, in turn."""
    palette = (COLORS["model"], COLORS["baseline"])
    return [(column, palette[i % len(palette)]) for i, column in enumerate(columns)]


def residual_figure(
    residuals: pd.DataFrame, *, title: str = "Residuals (actual − predicted)", y_title: str = "price"
) -> go.Figure:
    """Residuals over time, one column per forecaster (e.g. model and persistence)."""
    if residuals.empty:
        return empty_figure(title, "No test predictions to show.")
    total = len(residuals)
    residuals = decimate(residuals)
    fig = base_layout(go.Figure(), title + points_note(len(residuals), total), SMALL_HEIGHT)
    for i, (column, color) in enumerate(_forecaster_colors(residuals.columns)):
        fig.add_trace(
            go.Scatter(x=residuals.index, y=residuals[column].to_numpy(), name=str(column), mode="lines",
                       line=dict(color=color, width=1.2 if i == 0 else 1.0), opacity=1.0 if i == 0 else 0.75)
        )  # fmt: skip
    fig.add_hline(y=0, line=dict(color=MUTED, width=1))
    fig.update_yaxes(title_text=y_title)
    return fig


def horizon_error_figure(
    errors: pd.DataFrame, *, title: str = "Error by step ahead (RMSE)", y_title: str = "RMSE (price)"
) -> go.Figure:
    """Grouped bars: one row per step ahead, one column per forecaster."""
    if errors.empty:
        return empty_figure(title, "No test predictions to show.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for column, color in _forecaster_colors(errors.columns):
        fig.add_trace(
            go.Bar(x=errors.index, y=errors[column].to_numpy(), name=str(column), marker=dict(color=color))
        )
    fig.update_layout(barmode="group", hovermode="x")
    fig.update_xaxes(title_text="days ahead", dtick=1 if len(errors) <= 30 else None)
    fig.update_yaxes(title_text=y_title)
    return fig
