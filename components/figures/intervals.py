"""Interval-method figures: coverage per method against nominal, over time and by regime, the
proper scores and the PIT histogram, all from a forecast's test intervals
(``model.forecast.intervals.INTERVAL_COLUMNS``).

Each panel is a pure function computing a small record (tested without a browser) and a thin
one drawing it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from components.figures.style import COLORS, MUTED, SMALL_HEIGHT, base_layout, empty_figure
from model.forecast import online, scores

METHOD_COLORS = {"split": COLORS["baseline"], "aci": COLORS["model"], "agaci": COLORS["best"]}
REGIME_SHORT = {"low volatility": "low vol", "mid volatility": "mid vol", "high volatility": "high vol"}
METHOD_DASH = {"split": "dot", "aci": "solid", "agaci": "dash"}


def legend_below(fig: go.Figure) -> go.Figure:
    """The legend at the figure's bottom edge (container), under the axis title: a share of the
    plot's height below it covered the date axis's title (measured in Chromium at 1280 and 1920)."""
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=0, yanchor="bottom"),
        margin=dict(b=130),
    )
    return fig


def method_coverage_record(intervals: pd.DataFrame, level: str, forecaster: str = "model") -> pd.DataFrame:
    """Coverage (%) per horizon (rows) and method (columns) at ``level``."""
    table = scores.method_coverage(intervals)
    part = table[(table["forecaster"] == forecaster) & (table["level"] == level)]
    wide = part.pivot_table(index="horizon", columns="method", values="coverage") * 100
    return wide[[m for m in online.METHODS if m in wide.columns]]


def method_coverage_figure(record: pd.DataFrame, level: str, period: str) -> go.Figure:
    title = f"{level}% coverage by method ({period})"
    if record.empty:
        return empty_figure(title, "No coverage measured.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for method in record.columns:
        fig.add_trace(_method_line(method, record.index, record[method], "lines+markers"))
    return _against_nominal(fig, level, "business days ahead")


def rolling_figure(
    record: pd.DataFrame, level: str, horizon: int, window: int = scores.ROLLING_WINDOW
) -> go.Figure:
    """``record``: ``scores.rolling_coverage`` (date, method, coverage)."""
    title = f"{level}% coverage over time, horizon {horizon} (trailing {window} origins)"
    if record.dropna(subset=["coverage"]).empty:
        return empty_figure(title, f"Fewer than {window} tested origins at this horizon.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for method, part in record.groupby("method", sort=False):
        fig.add_trace(_method_line(method, part["date"], part["coverage"] * 100, "lines"))
    return _against_nominal(fig, level, "date the outcome was known")


def _method_line(method: str, x, y, mode: str) -> go.Scatter:
    """One interval method's coverage, in that method's colour and dash on every figure."""
    return go.Scatter(
        x=x,
        y=y,
        mode=mode,
        name=online.METHOD_LABELS[method],
        line=dict(color=METHOD_COLORS[method], dash=METHOD_DASH[method]),
    )


def _against_nominal(fig: go.Figure, level: str, x_title: str) -> go.Figure:
    """The nominal level as a dashed line, the coverage axis, and the legend under the plot."""
    fig.add_hline(
        y=float(level),
        line=dict(color=MUTED, width=1, dash="dash"),
        annotation_text="nominal",
        annotation_position="top left",
    )
    fig.update_yaxes(title_text="actual inside (%)")
    fig.update_xaxes(title_text=x_title)
    return legend_below(fig)


def regime_record(intervals: pd.DataFrame, level: str) -> pd.DataFrame:
    """Coverage (%) and tested count per regime (rows) and method, at ``level``, model only."""
    table = scores.regime_coverage(intervals)
    part = table[table["level"] == level].assign(coverage=lambda t: t["coverage"] * 100)
    return part[["method", "regime", "coverage", "tested"]].reset_index(drop=True)


def regime_figure(record: pd.DataFrame, level: str) -> go.Figure:
    title = f"{level}% coverage by regime known at the origin"
    if record.dropna(subset=["coverage"]).empty:
        return empty_figure(title, "No regimes measured.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for method, part in record.groupby("method", sort=False):
        fig.add_trace(
            go.Bar(
                x=[REGIME_SHORT.get(r, r) for r in part["regime"]],
                y=part["coverage"],
                name=online.METHOD_LABELS[method],
                marker_color=METHOD_COLORS[method],
                customdata=part["tested"],
                hovertemplate="%{x}: %{y:.1f}% of %{customdata} tested<extra></extra>",
            )
        )
    fig.add_hline(y=float(level), line=dict(color=MUTED, width=1, dash="dash"))
    lowest = float(np.nanmin(record["coverage"])) if record["coverage"].notna().any() else 0.0
    fig.update_yaxes(title_text="actual inside (%)", range=[max(0.0, min(lowest, float(level)) - 10), 100])
    fig.update_layout(barmode="group")
    fig.update_xaxes(tickangle=0)
    return legend_below(fig)


@dataclass(frozen=True)
class PitRecord:
    edges: np.ndarray
    share: np.ndarray
    horizon: int | None
    count: int


def pit_record(intervals: pd.DataFrame, horizon: int | None = None, bins: int = 10) -> PitRecord:
    edges, share = scores.pit_histogram(intervals, horizon=horizon, bins=bins)
    part = intervals[intervals["forecaster"] == "model"]
    if horizon is not None:
        part = part[part["horizon"] == horizon]
    count = int(part.drop_duplicates(["horizon", "origin"])["pit"].notna().sum())
    return PitRecord(edges, share, horizon, count)


def pit_figure(record: PitRecord) -> go.Figure:
    where = "every horizon" if record.horizon is None else f"horizon {record.horizon}"
    title = f"PIT histogram of the model ({where})"
    if record.count == 0:
        return empty_figure(title, "No PIT values.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    centres = (record.edges[:-1] + record.edges[1:]) / 2
    fig.add_trace(
        go.Bar(
            x=centres,
            y=record.share * 100,
            width=np.diff(record.edges),
            name="share of outcomes",
            marker_color=COLORS["model"],
            hovertemplate="PIT %{x:.2f}: %{y:.1f}%<extra></extra>",
        )
    )
    flat = 100 / len(centres)
    fig.add_hline(
        y=flat,
        line=dict(color=MUTED, width=1, dash="dash"),
        annotation_text="calibrated",
        annotation_position="top left",
    )
    fig.update_xaxes(title_text="PIT: where the actual fell in the forecast", range=[0, 1])
    fig.update_yaxes(title_text="% of outcomes")
    return fig


def scores_table(intervals: pd.DataFrame) -> pd.DataFrame:
    """Mean proper scores over horizons, one row per (forecaster, method); lower is better."""
    per = scores.interval_scores(intervals)
    if per.empty:
        return pd.DataFrame()
    mean = per.groupby(["forecaster", "method"], sort=False)[
        ["pinball", "winkler_80", "winkler_95", "crps"]
    ].mean()
    mean.index = [
        f"{'LSTM model' if f == 'model' else 'Persistence'}, {online.METHOD_LABELS[m]}" for f, m in mean.index
    ]
    return mean.rename(
        columns={
            "pinball": "Pinball",
            "winkler_80": "Interval score 80%",
            "winkler_95": "Interval score 95%",
            "crps": "CRPS",
        }
    )


def dm_table(intervals: pd.DataFrame, method: str, level: str) -> pd.DataFrame:
    """Per horizon: mean interval score of the model and persistence, the DM statistic, p-values."""
    test = scores.interval_score_test(intervals, method, level)
    if test.empty:
        return test
    out = test.set_index("horizon").rename(
        columns={
            "model": "Model interval score",
            "persistence": "Persistence interval score",
            "statistic": "DM statistic",
            "p_better": "p (model better)",
            "p_worse": "p (model worse)",
            "n": "Origins",
        }
    )
    out.index.name = "Horizon"
    return out
