"""Small reusable pieces of UI: error boxes, metric rows, time formatting, the training status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from components.session import knobs, state
from model.errors import LensError, SourceUnavailableError


def show_error(exc: BaseException | str, *, kept: str | None = None) -> None:
    """A clear message instead of a traceback; ``kept`` says what the user still has."""
    if isinstance(exc, SourceUnavailableError):
        text, icon = str(exc), ":material/wifi_off:"
    elif isinstance(exc, LensError) or isinstance(exc, str):
        text, icon = str(exc), ":material/error:"
    else:
        text, icon = f"Something went wrong: {type(exc).__name__}: {exc}", ":material/error:"
    if kept:
        text = f"{text}\n\n{kept}"
    st.error(text, icon=icon)


def metric_row(items: Sequence[tuple[str, Any]] | Iterable[tuple[str, Any, str | None]], container: Any = None) -> None:
    """One row of st.metric: (label, value) or (label, value, help)."""
    items = list(items)
    where = container if container is not None else st
    for column, item in zip(where.columns(len(items)), items):
        label, value, *rest = item
        column.metric(label, value, help=rest[0] if rest else None)


def format_seconds(seconds: float | None) -> str:
    if seconds is None or seconds != seconds or seconds < 0:
        return "—"
    seconds = int(round(seconds))
    if seconds < 60:
        return f"{seconds} s"
    minutes, sec = divmod(seconds, 60)
    if minutes < 60:
        return f"{minutes} min {sec:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def format_number(value: float | None, digits: int = 2) -> str:
    if value is None or value != value:
        return "—"
    return f"{value:,.{digits}f}"


def url_warnings() -> None:
    """Problems found in the link's hyperparameters (shown until a knob is changed)."""
    for message in st.session_state.get(knobs.URL_WARNINGS) or []:
        st.warning(message, icon=":material/link:")


def progress_text(progress) -> str:
    if progress is None:
        return "Preparing windows and compiling the network…"
    return f"Epoch {progress.epoch} / {progress.epochs} · batch {progress.batch} / {progress.batches}"


def sidebar_summary() -> None:
    """What is loaded and trained, in the sidebar of every page."""
    ss = st.session_state
    prices = ss.get(state.PRICES)
    with st.sidebar:
        st.caption("A stacked LSTM on stock prices, tensor by tensor.")
        if prices is not None:
            index = prices.frame.index
            st.caption(f"**Data** · {len(index):,} rows, {index[0]:%Y-%m-%d} → {index[-1]:%Y-%m-%d}")
        result = ss.get(state.RESULT)
        if result is not None:
            cfg = result.run.config
            st.caption(
                f"**Model** · rnn_unit {cfg.rnn_unit}, layer_num {cfg.layer_num}, time_step {cfg.time_step}, "
                f"{len(result.run.history)} epoch(s)"
            )


@st.fragment(run_every=1.0)
def _sidebar_status_live() -> None:
    job = state.get_job()
    if job is None or not job.running:
        # Training ended while the user was on another page: a full rerun stores the result
        # (app.py collects it) and redraws this page, e.g. Results with the new model.
        st.rerun()
    progress = job.progress
    st.caption("Training in progress")
    st.progress(progress.fraction if progress else 0.0, text=progress_text(progress))


def sidebar_training_status() -> None:
    """On pages other than Train: a small live progress bar in the sidebar while training runs."""
    if state.job_running():
        with st.sidebar:
            _sidebar_status_live()
