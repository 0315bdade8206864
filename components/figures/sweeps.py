"""A study's figures: Optuna's own plotly figures (``optuna.visualization``) in our style.

Each returns a plotly Figure, or an empty figure saying what it waits for, so the Tune page
never shows a traceback while a study is young.
"""

from __future__ import annotations

import plotly.graph_objects as go

from components.figures import style

# Optuna's importance evaluator needs a few complete trials to say anything.
MIN_TRIALS_FOR_IMPORTANCE = 4


def _styled(fig: go.Figure, title: str, height: int = style.SMALL_HEIGHT) -> go.Figure:
    fig.update_layout(template=style.TEMPLATE, title_text=title, height=height, hovermode="closest")
    return fig


def integer_trials(fig: go.Figure, trials: int) -> go.Figure:
    """Trial numbers are whole: no 0.5 ticks on a young study's axis."""
    fig.update_xaxes(tickformat="d", dtick=max(1, -(-trials // 10)), title_text="trial")
    return fig


def loss_axis(fig: go.Figure) -> go.Figure:
    """A loss is never negative: the axis starts at 0 at the lowest (not at Optuna's padding below it)."""
    fig.update_yaxes(rangemode="nonnegative")
    return fig


def complete_count(study) -> int:
    return sum(t.state.name == "COMPLETE" for t in study.get_trials(deepcopy=False))


def history_figure(study) -> go.Figure:
    from optuna.visualization import plot_optimization_history

    if complete_count(study) == 0:
        return style.empty_figure("Optimisation history", "Waiting for the first complete trial")
    fig = plot_optimization_history(study, target_name="Validation loss")
    fig = loss_axis(integer_trials(fig, len(study.get_trials(deepcopy=False))))
    return _styled(fig, "Optimisation history (validation loss)")


def intermediate_figure(study) -> go.Figure:
    from optuna.visualization import plot_intermediate_values

    if not any(t.intermediate_values for t in study.get_trials(deepcopy=False)):
        return style.empty_figure("Learning curves", "Waiting for the first epoch")
    fig = plot_intermediate_values(study)
    fig.update_xaxes(title_text="Epoch")
    fig.update_yaxes(title_text="Validation loss", rangemode="nonnegative")
    return _styled(fig, "Learning curves (pruned trials end early)")


def parallel_figure(study, params: list[str]) -> go.Figure:
    from optuna.visualization import plot_parallel_coordinate

    if complete_count(study) < 2:
        return style.empty_figure("Parallel coordinates", "Waiting for two complete trials")
    return _styled(
        plot_parallel_coordinate(study, params=params, target_name="Validation loss"),
        "Knobs of every complete trial",
    )


def importance_figure(study, params: list[str]) -> go.Figure:
    from optuna.visualization import plot_param_importances

    done = complete_count(study)
    if len(params) < 2 or done < MIN_TRIALS_FOR_IMPORTANCE:
        need = (
            "two searched knobs"
            if len(params) < 2
            else f"{MIN_TRIALS_FOR_IMPORTANCE} complete trials ({done} so far)"
        )
        return style.empty_figure("Knob importance", f"Waiting for {need}")
    return _styled(
        plot_param_importances(study, params=params, target_name="Validation loss"),
        "Knob importance for the validation loss",
    )


def pair_figure(study, x: str, y: str | None) -> go.Figure:
    """Contour of two knobs (slice of one when only one is chosen)."""
    from optuna.visualization import plot_contour, plot_slice

    if complete_count(study) < 2:
        return style.empty_figure("Knobs against the loss", "Waiting for two complete trials")
    if y is None or y == x:
        return _styled(
            plot_slice(study, params=[x], target_name="Validation loss"), f"Validation loss by {x}"
        )
    return _styled(
        plot_contour(study, params=[x, y], target_name="Validation loss"), f"Validation loss over {x} and {y}"
    )
