"""Results page panels that turn the numbers into lessons: did it learn, and the tutorial's leak.

The records come from ``model.engine.lessons`` (pure, tested without Streamlit); these functions only
draw them. ``render`` is the one call the Results page makes.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import errors, glossary, picture_records, verdict_view, widgets
from components.figures import lessons as lesson_figures
from components.figures import pictures as picture_figures
from components.figures import style
from components.literal import plotly_literal
from components.metrics_text import metrics_text
from model.engine.lessons import LeakDemo

LEAK_TOGGLE = "results_leak_demo"  # widget key: show the leak demonstration (off by default)

HONEST_LABEL = "Model, honest (training statistics)"
LEAKED_LABEL = "Model, leaked (test-period statistics)"
PERSISTENCE_LABEL = "Persistence (tomorrow = today)"

LEAK_LINE = (
    "The tutorial rescales the test period with that period's own mean and spread: prices it has not "
    "yet seen when it forecasts, so its errors shrink. Real forecasts only have the past."
)


def verdict_panel(verdict, evaluation) -> None:
    """Did it learn? The run's verdict (the same sentence as the card), its numbers and the moves scatter."""
    st.subheader("Did it learn anything?", anchor=False)
    if verdict is not None:
        verdict_view.sentence(verdict)
        if verdict.detail:
            st.markdown(verdict.detail)
    ratio = None if verdict is None else verdict.move_ratio
    corr = None if verdict is None else verdict.move_correlation
    widgets.metric_row(
        [
            ("Skill over persistence", widgets.format_number(None if verdict is None else verdict.skill, 3),
             glossary.term("skill")),
            ("Move correlation", widgets.format_number(corr, 2),
             "Correlation of predicted moves (prediction − last known) with actual moves; 0 = unrelated."),
            ("Move size", f"{widgets.format_number(ratio, 2)} ×",
             "RMS predicted move / RMS actual move; near 0 means the model repeats the last price."),
        ]
    )  # fmt: skip
    style.show(lesson_figures.moves_figure(evaluation.split("test")), key="moves_chart")


def _leak_demo(record) -> LeakDemo:
    """Computed once per stored run in a warm worker (it loads the run's model: TensorFlow)."""
    from components import worker_jobs

    with st.spinner("Scoring the same model with the tutorial's normalisation…"):
        return worker_jobs.run_job("leak_demo", record)


def leak_metrics_display(demo: LeakDemo) -> pd.DataFrame:
    """Test metrics of the honest and leaked evaluations, and of persistence, as text."""
    rows = {
        HONEST_LABEL: demo.honest.loc["model"],
        LEAKED_LABEL: demo.leaked.loc["model"],
        PERSISTENCE_LABEL: demo.honest.loc["persistence"],
    }
    return metrics_text(rows, columns=("RMSE", "MAE", "MAPE %", "Skill"))


def leak_panel(record, evaluation) -> None:
    """The tutorial's look-ahead leak, demonstrated on the same trained model (off by default)."""
    st.subheader("Demo: the tutorial's look-ahead leak", anchor=False)
    on = st.toggle(
        "Show what the tutorial's normalisation would report",
        key=LEAK_TOGGLE,
        help="Scores the same trained model again with the test period normalised by its own mean and std, "
        "as the tutorial does. A demonstration only: it changes no stored number.",
    )
    if not on:
        st.caption("Off: every number on this page is the honest one.")
        return
    with errors.boundary("computing the leak demonstration") as outcome:
        demo = _leak_demo(record)
    if outcome.failed:
        return
    st.warning(
        "Demonstration of a mistake: the leaked numbers are NOT achievable.", icon=":material/science:"
    )
    style.show(
        picture_figures.leak_timeline_figure(picture_records.leak_timeline(evaluation)), key="leak_timeline"
    )
    st.caption(LEAK_LINE, help=glossary.term("leak") + " The demonstration never reaches training, "
               "the stored metrics or a sweep's objective.")  # fmt: skip
    left, right = st.columns([1, 1], gap="large")
    with left:
        st.table(leak_metrics_display(demo))
    with right:
        style.show(
            lesson_figures.leak_figure(demo.predictions, y_title=plotly_literal(record.lstm_config.target)),
            key="leak_chart",
        )


def render(record, evaluation, verdict=None) -> None:
    verdict_panel(verdict, evaluation)
    leak_panel(record, evaluation)
