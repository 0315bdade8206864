"""Thin builders of the Results page's pictures; each draws one record of ``components.picture_records``."""

from __future__ import annotations

import math

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.style import COLORS, GRID, MUTED, SMALL_HEIGHT, base_layout, empty_figure

PERIOD_COLORS = {"train": COLORS["train"], "validation": COLORS["val"], "test": COLORS["best"]}
LEVEL_DASH = {80: "dash", 95: "dot"}
BADGE_COLORS = {"better": COLORS["up"], "worse": COLORS["down"], "no clear": MUTED}


def _segment(fig: go.Figure, start, end, y: str, period: str, shown: set[str], **row) -> None:
    fig.add_trace(
        go.Scatter(
            x=[start, end],
            y=[y, y],
            mode="lines",
            line=dict(color=PERIOD_COLORS[period], width=14),
            name=period,
            legendgroup=period,
            showlegend=period not in shown,
            hovertemplate=f"{period}: %{{x|%Y-%m-%d}}<extra>{y}</extra>",
            **row,
        )
    )
    shown.add(period)


def fold_timeline_figure(
    record, title: str = "The expanding folds: each trains on everything before its test"
) -> go.Figure:
    """One row per fold: its train, validation and test periods, so the expanding window shows."""
    if not record.folds:
        return empty_figure(title, "No folds to draw.")
    height = max(SMALL_HEIGHT - 100, 110 + 34 * len(record.folds))
    fig = base_layout(go.Figure(), title, height)
    shown: set[str] = set()
    for fold in record.folds:
        _segment(fig, *fold.train, fold.label, "train", shown)
        if fold.val is not None:
            _segment(fig, *fold.val, fold.label, "validation", shown)
        _segment(fig, *fold.test, fold.label, "test", shown)
    fig.update_yaxes(
        type="category", categoryorder="array", categoryarray=[f.label for f in reversed(record.folds)]
    )
    fig.update_layout(hovermode="closest", margin=dict(t=64, b=32))
    return fig


def residual_histogram_figure(record, title: str = "The model's errors, and the band they give") -> go.Figure:
    """The residuals' histogram with ± each level's conformal half-width marked."""
    if not record.n:
        return empty_figure(title, "No out-of-sample residuals were stored with this run.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    fig.add_trace(
        go.Histogram(
            x=record.residuals,
            nbinsx=min(60, max(10, record.n // 8)),
            marker_color=COLORS["model"],
            opacity=0.75,
            name=f"residuals ({record.n})",
            hovertemplate="%{x}: %{y} residuals<extra></extra>",
        )
    )
    for row, (level, q) in enumerate(record.quantiles.items()):
        if not math.isfinite(q):
            continue
        for sign in (-1, 1):
            fig.add_vline(
                x=sign * q, line=dict(color=COLORS["best"], width=2, dash=LEVEL_DASH.get(level, "solid"))
            )
        fig.add_annotation(
            x=q, y=1 - 0.1 * row, yref="paper", text=f"{level}%: ±{q:.3g}", showarrow=False, xanchor="left",
            yanchor="top", xshift=4, font=dict(color=COLORS["best"], size=12), bgcolor="rgba(255,255,255,0.8)",
        )  # fmt: skip
    fig.update_xaxes(title_text="actual − forecast (price units)")
    fig.update_yaxes(title_text="residuals", rangemode="nonnegative")
    fig.update_layout(showlegend=False, bargap=0.05)
    return fig


def strategy_sketch_figure(record, title: str = "Two ways to forecast several days") -> go.Figure:
    """Two panels: direct (every day from the window at once) and recursive (each day from the one before)."""
    names = [f"{p.name.capitalize()}{' (this run)' if p.used else ''}: {p.line}" for p in record.panels]
    fig = make_subplots(rows=2, cols=1, subplot_titles=names, vertical_spacing=0.28)
    base_layout(fig, title, SMALL_HEIGHT + 40)
    for row, panel in enumerate(record.panels, start=1):
        axis = "" if row == 1 else str(row)
        fig.add_trace(
            go.Scatter(x=list(panel.inputs), y=[0] * len(panel.inputs), mode="markers", name="known prices",
                       marker=dict(symbol="square", size=14, color=COLORS["actual"]), hoverinfo="skip"),
            row=row, col=1,
        )  # fmt: skip
        fig.add_trace(
            go.Scatter(x=list(panel.outputs), y=[1] * len(panel.outputs), mode="markers", name="forecast days",
                       marker=dict(size=14, color=COLORS["model"]), hoverinfo="skip"),
            row=row, col=1,
        )  # fmt: skip
        for start, end in panel.arrows:
            fig.add_annotation(
                x=end, y=1, ax=start, ay=0 if start <= 0 else 1, xref=f"x{axis}", yref=f"y{axis}",
                axref=f"x{axis}", ayref=f"y{axis}", showarrow=True, arrowhead=3, arrowsize=1.2,
                arrowcolor=COLORS["val"] if panel.name == "recursive" and start > 0 else MUTED, text="",
                standoff=8, startstandoff=8,
            )  # fmt: skip
        fig.update_xaxes(dtick=1, range=[min(panel.inputs) - 0.5, max(panel.outputs) + 0.5], row=row, col=1)
        fig.update_yaxes(tickvals=[0, 1], ticktext=["known", "forecast"], range=[-0.5, 1.5], row=row, col=1)
    fig.update_xaxes(title_text="day (0: the last known price)", row=2, col=1)
    for annotation in fig.layout.annotations:  # the subplot titles: left-aligned, the figure's font
        if annotation.text in names:
            annotation.update(x=0, xanchor="left", font=dict(size=13, color=MUTED))
    fig.update_layout(hovermode=False, showlegend=False, margin=dict(t=72, b=48))
    return fig


def _badge_color(badge: str) -> str:
    return next((c for key, c in BADGE_COLORS.items() if key in badge), MUTED)


def ladder_figure(record, title: str = "The ladder: mean test RMSE, best at the top") -> go.Figure:
    """Horizontal bars of mean RMSE per rung (the model highlighted), each baseline with the
    Diebold-Mariano verdict of the model against it as a coloured badge beside its bar."""
    if not record.rungs:
        return empty_figure(title, "No fold has been scored yet.")
    rungs = list(reversed(record.rungs))  # plotly draws the first category at the bottom
    height = max(SMALL_HEIGHT - 80, 100 + 40 * len(rungs))
    fig = base_layout(go.Figure(), title, height)
    top = max(r.rmse for r in rungs)
    fig.add_trace(
        go.Bar(
            y=[r.label for r in rungs],
            x=[r.rmse for r in rungs],
            orientation="h",
            marker_color=[COLORS["model"] if r.is_model else GRID for r in rungs],
            marker_line=dict(color=[COLORS["model"] if r.is_model else MUTED for r in rungs], width=1),
            text=[f"{r.rmse:.4g}" for r in rungs],
            textposition="inside",
            insidetextanchor="start",
            hovertemplate="%{y}: mean RMSE %{x:.4f}<extra></extra>",
        )
    )
    for r in rungs:
        if r.badge:
            fig.add_annotation(
                x=r.rmse, y=r.label, text=f" {r.badge} ", showarrow=False, xanchor="left", xshift=6,
                font=dict(size=12, color="#ffffff"), bgcolor=_badge_color(r.badge), borderpad=3,
            )  # fmt: skip
    # Room right of the longest bar for its badge (labels never run past the plot).
    fig.update_xaxes(title_text="mean test RMSE over the folds (price units)", range=[0, top * 1.6])
    fig.update_yaxes(type="category", automargin=True)
    fig.update_layout(showlegend=False, hovermode="closest", margin=dict(t=56, b=48))
    return fig


def leak_timeline_figure(
    record, title: str = "Which prices each scaler saw before the first test forecast"
) -> go.Figure:
    """Two rows: the honest scaler's statistics come from the training period, the tutorial's from the
    test period itself, i.e. from prices after the first forecast it is used for."""
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT - 90)
    rows = [
        ("tutorial: mean, std from", record.leaked_stats, COLORS["down"]),
        ("honest: mean, std from", record.honest_stats, COLORS["up"]),
    ]
    for label, (start, end), color in rows:
        fig.add_trace(
            go.Scatter(x=[start, end], y=[label, label], mode="lines", line=dict(color=color, width=16),
                       name=label, hovertemplate="%{x|%Y-%m-%d}<extra></extra>")
        )  # fmt: skip
    fig.add_vline(x=record.first_forecast, line=dict(color=COLORS["actual"], width=1.5, dash="dot"))
    fig.add_annotation(
        x=record.first_forecast, y=1, yref="paper", text="first test forecast", showarrow=False,
        xanchor="left", yanchor="bottom", font=dict(size=12, color=MUTED),
    )  # fmt: skip
    fig.add_vrect(x0=record.test[0], x1=record.test[1], fillcolor="rgba(124, 58, 237, 0.08)", line_width=0)
    fig.update_yaxes(type="category", categoryorder="array", categoryarray=[r[0] for r in reversed(rows)])
    fig.update_layout(showlegend=False, hovermode="closest", margin=dict(t=64, b=32))
    return fig
