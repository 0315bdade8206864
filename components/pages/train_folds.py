"""The Train page's progress for a walk-forward run: its folds, read from the store.

A walk-forward run's parent trains nothing itself; its fold runs do (model/runs/fold_progress.py).
The live panel says "fold 2 of 3 · epoch 4 of 5" and draws the loss of the fold in training;
the finished panel says how many epochs the folds trained and draws every fold's loss curve.
"""

from __future__ import annotations

import streamlit as st

from components import fold_view, run_client, widgets
from components.figures import runs as run_figures
from components.figures import style
from components.figures import training as training_figures
from components.session import state
from model.errors import StoreError
from model.runs import fold_progress
from model.runs.fold_progress import FoldProgress

progress_of = fold_view.progress_of


def draw_running(record, progress: FoldProgress) -> None:
    stopping = record.stop_requested
    text = "Stopping the folds after this batch…" if stopping else progress.text
    st.progress(min(max(progress.fraction, 0.0), 1.0), text=text)
    lead = progress.training[0] if progress.training else None
    fold = run_client.store().get_run(lead.run_id, with_history=True) if lead else None
    latest = fold.history[-1] if fold is not None and fold.history else {}
    elapsed, _ = run_client.progress_times(record.progress or (fold.progress if fold else None))
    widgets.metric_row(
        [
            ("Folds done", f"{progress.done} of {len(progress.states)}"),
            ("Elapsed", widgets.format_seconds(elapsed)),
            ("Train loss", widgets.format_number(latest.get("loss"), 4), "Of the fold in training."),
            ("Validation loss", widgets.format_number(latest.get("val_loss"), 4), "Of the fold in training."),
        ]
    )
    if state.owns(record):
        st.button(
            "Stop",
            on_click=state.stop_run,
            args=(record.id,),
            disabled=stopping,
            help="Stop every fold after its current batch; the folds trained so far still report.",
        )
    else:
        st.caption("Another session started this run; only that session can stop it.")
    if lead is not None and fold is not None:
        title = f"Loss per epoch · fold {lead.fold + 1} of {progress.folds}"
        style.show(training_figures.loss_figure(fold.history, title=title), key="fold_loss_chart")


def fold_curves(progress: FoldProgress) -> dict[str, list]:
    """Validation loss per epoch of each fold run, labelled by fold (and seed)."""
    runs = run_client.store()
    curves = {}
    for s in progress.states:
        try:
            history = runs.get_run(s.run_id, with_history=True).history
        except StoreError:
            continue
        values = [h.get("val_loss", h.get("loss")) for h in history]
        if values:
            seed = f", seed {s.seed_index + 1}" if progress.seeds > 1 else ""
            curves[f"fold {s.fold + 1}{seed}"] = values
    return curves


def finished_summary(record, progress: FoldProgress) -> str:
    if record.status == "failed" and record.error:
        return f"{fold_progress.fold_summary(progress, record.seconds, record.status)} {record.error}"
    return fold_progress.fold_summary(progress, record.seconds, record.status)


def draw_finished_curves(progress: FoldProgress) -> None:
    curves = fold_curves(progress)
    fig = run_figures.loss_curves_figure(curves, title="Validation loss per epoch, per fold")
    longest = max((len(v) for v in curves.values()), default=1)
    fig.update_xaxes(tickformat="d", dtick=max(1, -(-longest // 10)))  # epochs are whole
    style.show(fig, key="fold_loss_chart_done")
