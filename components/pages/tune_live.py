"""Tune's live panel: a study's progress, best trial, leaderboard and Optuna's figures, read from
its storage every ``POLL_SECONDS`` (an ``st.fragment``); the finished panel with Resume.
"""

from __future__ import annotations

import streamlit as st

from components import widgets
from components.figures import style
from components.figures import sweeps as sweep_figures
from components.session import knobs
from model.engine.config import LstmConfig
from model.errors import LensError
from model.sweep import board as boards
from model.sweep import study as studies
from model.sweep import workers

POLL_SECONDS = 1.5
_FIGURES = "_tune_figures"  # (study, signature, pair) -> figures: redrawn only when a trial moves


def storage_url() -> str:
    return studies.resolve_storage_url()


def read_view(name: str):
    study = studies.open_study(name, storage_url())
    settings = studies.settings_of(study)
    view = boards.study_view(
        study,
        settings,
        studies.workers_alive(study, ("worker",)),
        studies.stop_requested(study),
        processes_alive=studies.workers_alive(study),
    )
    return study, settings, view


def _use_settings(config: LstmConfig) -> None:
    knobs.apply_config(config)
    st.switch_page("views/train.py")


def _trial_actions(view, settings, number: int, where, label: str) -> None:
    row = view.board[view.board["trial"] == number]
    if row.empty:
        return
    run_id = row["run_id"].iloc[0]
    params = {k: row[k].iloc[0] for k in view.knob_names if row[k].iloc[0] is not None}
    left, right = where.columns(2)
    if run_id is not None and run_id == run_id:
        left.page_link(
            "views/results.py",
            label=f"Open {label} (run {int(run_id)})",
            icon=":material/insights:",
            query_params={"run": str(int(run_id))},
        )
    if right.button(
        "Use these settings", key=f"tune_use_{label}", help="Copy this trial's knobs to the Train page."
    ):
        params = {k: (v.item() if hasattr(v, "item") else v) for k, v in params.items()}
        _use_settings(settings.space.config_from_params(params))


def _figures(study, view):
    names = list(view.knob_names)
    pair = (st.session_state.get("tune_pair_x") or names[0], st.session_state.get("tune_pair_y"))
    cached = st.session_state.get(_FIGURES)
    key = (view.name, view.signature, pair)
    if cached is None or cached[0] != key:
        try:
            figures = [
                sweep_figures.history_figure(study),
                sweep_figures.intermediate_figure(study),
                sweep_figures.parallel_figure(study, names),
                sweep_figures.importance_figure(study, names),
                sweep_figures.pair_figure(study, pair[0], pair[1] if pair[1] != "(none)" else None),
            ]
        except (ValueError, RuntimeError) as exc:  # a figure Optuna cannot draw yet must not end the panel
            figures = [style.empty_figure("Figures", f"Not drawable yet: {exc}")] * 5
        st.session_state[_FIGURES] = cached = (key, figures)
    return cached[1]


def draw_view(study, settings, view) -> None:
    counts = view.counts
    best = view.best
    widgets.metric_row(
        [
            ("Complete", counts.get("complete", 0)),
            ("Pruned", counts.get("pruned", 0)),
            ("Running", counts.get("running", 0)),
            ("Failed", counts.get("failed", 0) + counts.get("stopped", 0)),
            ("Best validation loss", widgets.format_number(best.value if best else None, 5)),
            (
                "Workers",
                view.workers,
                "Worker processes training this study's trials (on this machine, or elsewhere until they end).",
            ),
        ]
    )
    progress = boards.trial_progress(view)
    if progress.starting:
        st.info(progress.text, icon=":material/hourglass_top:")
    elif view.budget:
        st.progress(progress.fraction, text=progress.text)
    if view.active:
        st.button(
            "Stop",
            key="tune_stop",
            disabled=view.stop_requested,
            on_click=studies.request_stop,
            args=(view.name, storage_url()),
            help="Workers abandon their trial after its current epoch and start no new one.",
        )
        if view.stop_requested:
            st.info("Stopping: workers end after their current epoch.", icon=":material/stop_circle:")
    if best is not None:
        st.success(
            f"Best so far: trial {best.number}, validation loss {best.value:.5f} after {best.epochs} epochs · "
            + ", ".join(
                f"{k} = {v:g}" if isinstance(v, float) else f"{k} = {v}" for k, v in best.params.items()
            ),
            icon=":material/trophy:",
        )
        _trial_actions(view, settings, best.number, st, "best run")
    st.dataframe(
        view.board.drop(columns=["run_id"]),
        hide_index=True,
        width="stretch",
        key="tune_board",
        column_config={
            "val_loss": st.column_config.NumberColumn("validation loss", format="%.5f"),
            "seconds": st.column_config.NumberColumn("seconds", format="%.1f"),
        },
    )
    with_runs = [
        int(t) for t, r in zip(view.board["trial"], view.board["run_id"]) if r is not None and r == r
    ]
    if with_runs:
        number = st.selectbox(
            "Open a trial", sorted(with_runs), key="tune_open_trial", format_func=lambda n: f"trial {n}"
        )
        _trial_actions(view, settings, number, st, f"trial {number}")
    names = list(view.knob_names)
    a, b = st.columns(2)
    a.selectbox("Knob (x)", names, key="tune_pair_x")
    b.selectbox(
        "Second knob (contour)",
        ["(none)", *names],
        index=min(2, len(names)) if len(names) > 1 else 0,
        key="tune_pair_y",
    )
    figures = _figures(study, view)
    for i in range(0, 4, 2):
        left, right = st.columns(2)
        with left:
            style.show(figures[i], key=f"tune_fig_{i}")
        with right:
            style.show(figures[i + 1], key=f"tune_fig_{i + 1}")
    style.show(figures[4], key="tune_fig_4")


@st.fragment(run_every=POLL_SECONDS)
def live_panel(name: str) -> None:
    try:
        study, settings, view = read_view(name)
    except LensError as exc:
        widgets.show_error(exc)
        return
    if not view.active:
        st.rerun()  # the study ended: a full rerun draws the finished panel (and stops polling)
    draw_view(study, settings, view)


def finished_panel(name: str, study, settings, view) -> None:
    draw_view(study, settings, view)
    st.caption("No worker is running this study.")
    more, go = st.columns([1, 3], vertical_alignment="bottom")
    extra = more.number_input("More trials", 1, 10_000, 10, key="tune_more")
    if go.button("Resume", key="tune_resume"):
        try:
            studies.resume_study(name, storage_url(), more_trials=int(extra))
            workers.launch(
                name,
                storage_url(),
                workers=int(st.session_state.get("tune_workers") or workers.default_workers()),
            )
        except LensError as exc:
            widgets.show_error(exc)
        else:
            st.rerun()
