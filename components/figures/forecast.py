"""Forecast figures: the fan past the last date, error against horizon, and the coverage table.

Each panel is a pure function that computes a small record (tested without a browser) and a
thin one that draws it, as Optuna's ``visualization`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from components.figures.style import CHART_HEIGHT, COLORS, MUTED, SMALL_HEIGHT, base_layout, empty_figure

HISTORY_DAYS = 60  # actual prices drawn before the fan
FAN_FILL = {"model": "rgba(37, 99, 235, {a})", "persistence": "rgba(245, 158, 11, {a})"}
FAN_ALPHA = {"80": 0.28, "95": 0.13}
FORECAST_LABEL = {"model": "LSTM model", "persistence": "Persistence"}


@dataclass(frozen=True)
class FanBand:
    forecast: str  # "model" or "persistence"
    level: str  # "80", "95"
    dates: pd.DatetimeIndex  # the last known date, then the forecast dates
    lower: np.ndarray
    upper: np.ndarray


@dataclass(frozen=True)
class FanRecord:
    """What the fan chart draws: recent prices, then each forecaster's path and bands from the last price."""

    history_dates: pd.DatetimeIndex
    history: np.ndarray
    paths: dict[
        str, tuple[pd.DatetimeIndex, np.ndarray]
    ]  # forecaster -> (dates, points), starting at the last price
    bands: tuple[FanBand, ...]
    title: str


def fan_record(
    forecast, dates: pd.DatetimeIndex, prices: np.ndarray, history_days: int = HISTORY_DAYS
) -> FanRecord:
    """The fan of a ``HorizonForecast`` after the last ``history_days`` actual prices.

    Every path and band starts at the last known price, so the fan opens from the price line;
    a band missing at some horizon (too few residuals) is NaN there and drawn as a gap.
    """
    last_date = pd.Timestamp(forecast.last_date)
    keep = slice(max(0, len(prices) - history_days), len(prices))
    paths, bands = {}, []
    for name in ("model", "persistence"):
        part = forecast.fan[forecast.fan["forecast"] == name].sort_values("horizon")
        if part.empty:
            continue
        when = pd.DatetimeIndex([last_date, *pd.to_datetime(part["date"])])
        paths[name] = (when, np.r_[forecast.last_price, part["point"].to_numpy(dtype=float)])
        for level in sorted(
            (c.removeprefix("lower_") for c in part.columns if c.startswith("lower_")),
            key=float,
            reverse=True,
        ):
            bands.append(
                FanBand(
                    name,
                    level,
                    when,
                    np.r_[forecast.last_price, part[f"lower_{level}"].to_numpy(float)],
                    np.r_[forecast.last_price, part[f"upper_{level}"].to_numpy(float)],
                )
            )
    title = f"Forecast {forecast.horizon} business days past {forecast.last_date} ({forecast.strategy})"
    return FanRecord(
        pd.DatetimeIndex(dates[keep]), np.asarray(prices[keep], dtype=float), paths, tuple(bands), title
    )


def fan_figure(record: FanRecord, show_persistence: bool = True) -> go.Figure:
    fig = base_layout(go.Figure(), record.title, CHART_HEIGHT)
    fig.add_trace(
        go.Scatter(
            x=record.history_dates,
            y=record.history,
            name="Actual",
            mode="lines",
            line=dict(color=COLORS["actual"], width=1.6),
        )
    )
    for band in record.bands:
        if band.forecast == "persistence" and not show_persistence:
            continue
        name = f"{FORECAST_LABEL[band.forecast]} {band.level}% interval"
        if band.forecast == "persistence":
            # Outlines, not fills: two filled fans on top of each other turn into one brown blur.
            line = dict(color=COLORS["baseline"], width=1, dash="dot" if band.level != "80" else "dash")
            fig.add_trace(
                go.Scatter(
                    x=band.dates,
                    y=band.upper,
                    mode="lines",
                    line=line,
                    name=name,
                    legendgroup=name,
                    hovertemplate=f"persistence {band.level}%: %{{y:.2f}}<extra></extra>",
                )
            )
            fig.add_trace(
                go.Scatter(
                    x=band.dates,
                    y=band.lower,
                    mode="lines",
                    line=line,
                    showlegend=False,
                    legendgroup=name,
                    hovertemplate=f"persistence {band.level}%: %{{y:.2f}}<extra></extra>",
                )
            )
            continue
        fill = FAN_FILL[band.forecast].format(a=FAN_ALPHA.get(band.level, 0.15))
        fig.add_trace(
            go.Scatter(
                x=band.dates,
                y=band.upper,
                mode="lines",
                line=dict(width=0),
                showlegend=False,
                legendgroup=name,
                hoverinfo="skip",
            )
        )
        fig.add_trace(
            go.Scatter(
                x=band.dates,
                y=band.lower,
                mode="lines",
                line=dict(width=0),
                fill="tonexty",
                fillcolor=fill,
                name=name,
                legendgroup=name,
                hovertemplate=f"{band.level}%: %{{y:.2f}}<extra></extra>",
            )
        )
    for name, (when, points) in record.paths.items():
        if name == "persistence" and not show_persistence:
            continue
        color = COLORS["model"] if name == "model" else COLORS["baseline"]
        fig.add_trace(
            go.Scatter(
                x=when,
                y=points,
                name=FORECAST_LABEL[name],
                mode="lines+markers",
                line=dict(color=color, dash="dash", width=2),
                marker=dict(size=4),
            )
        )
    fig.update_yaxes(title_text="price")
    # Seven legend entries: below the plot, where they do not run into the title.
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.2, yanchor="top"), margin=dict(b=110)
    )
    return fig


def horizon_errors_figure(errors: pd.DataFrame, period: str = "test period") -> go.Figure:
    """Test RMSE of the model and persistence per horizon day, and the skill per horizon below.

    ``period``: where they were measured ("test folds" for a walk-forward run)."""
    if errors.empty or errors["tested"].sum() == 0:
        return empty_figure("Error against horizon", "No test-period origins to measure errors on.")
    fig = make_subplots(rows=2, cols=1, shared_xaxes=True, row_heights=[0.65, 0.35], vertical_spacing=0.08)
    base_layout(fig, f"Error against horizon ({period})", CHART_HEIGHT)
    x = errors["horizon"]
    for column, name, colour in (
        ("model_rmse", "Model RMSE", "model"),
        ("persistence_rmse", "Persistence RMSE", "baseline"),
    ):
        fig.add_trace(
            go.Scatter(
                x=x, y=errors[column], name=name, mode="lines+markers", line=dict(color=COLORS[colour])
            ),
            row=1,
            col=1,
        )
    skill = errors["skill"]
    fig.add_trace(
        go.Bar(
            x=x,
            y=skill,
            name="Skill",
            marker_color=np.where(skill >= 0, COLORS["up"], COLORS["down"]),
            hovertemplate="skill %{y:.3f}<extra></extra>",
        ),
        row=2,
        col=1,
    )
    fig.add_hline(y=0, line=dict(color=MUTED, width=1), row=2, col=1)
    fig.update_yaxes(title_text="RMSE (price)", row=1, col=1)
    fig.update_yaxes(title_text="skill", row=2, col=1)
    fig.update_xaxes(title_text="business days ahead", dtick=1 if len(x) <= 15 else 5, row=2, col=1)
    _legend_below(fig)
    return fig


def coverage_table(coverage: pd.DataFrame) -> pd.DataFrame:
    """One row per horizon: the measured coverage (%) of each interval, model and persistence, and
    how many test origins measured it; the columns name the nominal level."""
    if coverage.empty:
        return pd.DataFrame()
    frame = coverage.assign(percent=coverage["coverage"] * 100)
    wide = frame.pivot_table(index="horizon", columns=["level", "forecast"], values="percent", dropna=False)
    columns = {}
    for level in sorted(frame["level"].unique(), key=float):
        for name in ("model", "persistence"):
            if (level, name) in wide.columns:
                columns[f"{FORECAST_LABEL[name]}, {level}% interval"] = wide[(level, name)]
    table = pd.DataFrame(columns)
    tested = frame[frame["forecast"] == "model"].groupby("horizon")["tested"].first()
    table["Test origins"] = tested
    table.index.name = "Horizon"
    return table


def coverage_summary(coverage: pd.DataFrame, forecast: str = "model") -> dict[str, float]:
    """Mean measured coverage (%) over horizons per level: {"80": 78.1, "95": 94.0}."""
    part = coverage[coverage["forecast"] == forecast].dropna(subset=["coverage"])
    return {level: float(group["coverage"].mean() * 100) for level, group in part.groupby("level")}


def coverage_small_figure(coverage: pd.DataFrame, period: str = "test period") -> go.Figure:
    """Measured coverage per horizon beside each nominal level (model solid, persistence dotted)."""
    if coverage.dropna(subset=["coverage"]).empty:
        return empty_figure("Coverage", "No coverage measured.")
    fig = base_layout(go.Figure(), f"Coverage against nominal ({period})", SMALL_HEIGHT)
    for level, group in coverage.groupby("level"):
        for name, part in group.groupby("forecast"):
            color = COLORS["model"] if name == "model" else COLORS["baseline"]
            fig.add_trace(
                go.Scatter(
                    x=part["horizon"],
                    y=part["coverage"] * 100,
                    mode="lines+markers",
                    name=f"{FORECAST_LABEL[name]} {level}%",
                    line=dict(color=color, dash="solid" if name == "model" else "dot"),
                )
            )
        fig.add_hline(y=float(level), line=dict(color=MUTED, width=1, dash="dash"))
    fig.update_yaxes(title_text="actual inside (%)")
    fig.update_xaxes(title_text="business days ahead")
    _legend_below(fig)
    return fig


def _legend_below(fig: go.Figure) -> None:
    """Half-width charts: the legend under the plot, where it cannot cover the title."""
    # At the figure's bottom edge (container), not a share of the plot's height below it: there it
    # covered the axis title (measured in Chromium, tests/e2e/test_cutoffs_browser.py).
    fig.update_layout(
        legend=dict(orientation="h", x=0, xanchor="left", yref="container", y=0, yanchor="bottom"),
        margin=dict(b=130),
    )


def fold_coverage_table(by_fold: pd.DataFrame) -> pd.DataFrame:
    """One row per test fold (its dates): coverage (%) of each interval, mean over horizons, model and
    persistence, and how many residuals calibrated its bands at horizon 1."""
    if by_fold is None or by_fold.empty:
        return pd.DataFrame()
    frame = by_fold.assign(percent=by_fold["coverage"] * 100)
    wide = frame.pivot_table(index="fold", columns=["level", "forecast"], values="percent", aggfunc="mean")
    columns = {}
    for level in sorted(frame["level"].unique(), key=float):
        for name in ("model", "persistence"):
            if (level, name) in wide.columns:
                columns[f"{FORECAST_LABEL[name]}, {level}% interval"] = wide[(level, name)]
    table = pd.DataFrame(columns)
    first = frame[(frame["forecast"] == "model") & (frame["horizon"] == 1)].groupby("fold").first()
    table.insert(
        0,
        "Test period",
        [
            f"{pd.Timestamp(a):%Y-%m-%d} – {pd.Timestamp(b):%Y-%m-%d}"
            for a, b in zip(first["first_date"], first["last_date"])
        ],
    )
    table["Calibrated on (h1)"] = first["calibration"]
    table.index.name = "Fold"
    return table
