"""Figures of walk-forward evidence: per-fold skill bars (model and ladder), fold skill per run."""

from __future__ import annotations

import plotly.graph_objects as go

from components.figures.style import COLORS, MUTED, SMALL_HEIGHT, TEXT, base_layout, empty_figure

LADDER_COLORS = {"model": COLORS["model"], "drift": "#059669", "mean_last": "#7c3aed", "ridge": "#ea580c"}
RUN_COLORS = ["#2563eb", "#dc2626", "#059669", "#7c3aed", "#db2777", "#0891b2", "#65a30d", "#ea580c"]


def clip_bar(value: float | None, lo: float, hi: float) -> float | None:
    """A bar's drawn height: its value, or the axis edge it runs past (the figure labels it)."""
    if value is None:
        return None
    return min(max(value, lo), hi)


def fold_skill_figure(record, title: str = "Skill per fold (above 0: beats persistence)") -> go.Figure:
    """Grouped bars: each fold's skill over persistence, for the model and every other baseline.

    ``record``: components.pages.results_evidence.EvidenceRecord (folds: labels; skill: name -> values).
    """
    if not record.fold_labels:
        return empty_figure(title, "No fold has been scored yet.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    # The y range follows the model and the close baselines; a far-off one (the mean of the last
    # values is often -0.5) is cut at the edge and labelled with its value, so the model's bars stay readable.
    core = [v for n, vs in record.skill.items() if n != "mean_last" for v in vs if v is not None]
    lo, hi = min(core + [0.0]), max(core + [0.0])
    pad = max(0.01, (hi - lo) * 0.25)
    lo, hi = lo - pad, hi + pad
    for name, values in record.skill.items():
        cut = [v is not None and not lo <= v <= hi for v in values]
        fig.add_trace(
            go.Bar(
                x=record.fold_labels,
                y=[clip_bar(v, lo, hi) for v in values],
                name=record.labels.get(name, name),
                marker_color=LADDER_COLORS.get(name, MUTED),
                # A bar cut at the axis is hatched and says its value at the edge it reaches.
                marker_pattern_shape=["/" if c else "" for c in cut],
                text=[f"{v:+.2f}" if c else None for v, c in zip(values, cut)],
                textposition="inside",
                insidetextanchor="end",
                insidetextfont=dict(color=TEXT, size=12),
                marker_pattern_solidity=0.25,
                customdata=values,
                hovertemplate="%{fullData.name}: %{customdata:+.3f}<extra></extra>",
            )
        )
    fig.add_hline(y=0, line=dict(color=COLORS["baseline"], width=1.5, dash="dot"))
    # The legend under the bars: at the top right it ran into the title at 1280 px (measured in Chromium).
    fig.update_layout(
        barmode="group",
        legend=dict(orientation="h", x=0, xanchor="left", y=-0.16, yanchor="top"),
        margin=dict(t=56, b=88),
        height=SMALL_HEIGHT + 40,
    )
    fig.update_xaxes(type="category")
    fig.update_yaxes(range=[lo, hi])
    fig.update_yaxes(title_text="skill vs persistence")
    return fig


def fold_distribution_figure(
    distributions: dict[str, list[float]], title: str = "Skill over folds, per walk-forward run"
) -> go.Figure:
    """One box with its points per run: how the skill varies from fold to fold."""
    if not distributions:
        return empty_figure(title, "Select walk-forward runs (trained with folds) to compare their folds.")
    fig = base_layout(go.Figure(), title, SMALL_HEIGHT)
    for i, (label, values) in enumerate(distributions.items()):
        fig.add_trace(
            go.Box(
                y=values,
                name=label,
                boxpoints="all",
                jitter=0.3,
                pointpos=0,
                marker_color=RUN_COLORS[i % len(RUN_COLORS)],
            )
        )
    fig.add_hline(y=0, line=dict(color=COLORS["baseline"], width=1.5, dash="dot"))
    fig.update_yaxes(title_text="skill vs persistence")
    fig.update_layout(showlegend=False)
    return fig
