"""Small reusable pieces of UI: error boxes, metric rows, time formatting, the training status."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import streamlit as st

from components import errors, fold_view
from components.literal import markdown_literal
from components.session import knobs, state


def show_error(exc: BaseException | str, *, kept: str | None = None) -> None:
    """A clear message instead of a traceback (``components.errors``: wording and icon by type, shown
    literally); ``kept`` says what the user still has."""
    errors.show_error(exc, kept=kept)


def metric_row(
    items: Sequence[tuple[str, Any]] | Iterable[tuple[str, Any, str | None]], container: Any = None
) -> None:
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


def loaded_prices(missing: str = "Load some prices first."):
    """The session's PriceTable; without one, ``missing`` and a link to the Data page (then None)."""
    prices = state.get_prices()
    if prices is None:
        st.info(missing)
        st.page_link("views/data.py", label="Go to Data", icon=":material/candlestick_chart:")
    return prices


def url_warnings() -> None:
    """Problems found in the link's hyperparameters (shown until a knob is changed)."""
    link_warnings(st.session_state.get(knobs.URL_WARNINGS) or [])


def link_warnings(messages: Iterable[str]) -> None:
    """Warnings about a link's values; they quote what the link held, so they are shown literally."""
    for message in messages:
        st.warning(markdown_literal(message), icon=":material/link:")


def progress_text(progress: dict | None) -> str:
    """The progress bar's text from a run's stored progress (None before the first batch)."""
    if not progress:
        return "Preparing windows and compiling the network…"
    if progress.get("stage") == "forecast":  # model.runs.execute: the forecast's own network
        return f"Forecast: training the direct network · epoch {progress.get('epoch')} / {progress.get('epochs')}"
    return f"Epoch {progress.get('epoch')} / {progress.get('epochs')} · batch {progress.get('batch')} / {progress.get('batches')}"


def run_label(record) -> str:
    return f"Run {record.id}"


def run_link(record, page: str = "views/results.py", container: Any = None) -> None:
    """A link to the page showing this run (its id in the URL, no owner token: it cannot stop it)."""
    where = container if container is not None else st
    where.page_link(
        page,
        label=f"{run_label(record)} · {record.status}",
        icon=":material/link:",
        query_params={"run": str(record.id)},
    )


def sidebar_summary() -> None:
    """What is loaded and which run is current, in the sidebar of every page."""
    ss = st.session_state
    prices = ss.get(state.PRICES)
    record = state.current_run()
    with st.sidebar:
        st.caption("A stacked LSTM on stock prices, tensor by tensor.")
        if prices is not None:
            index = prices.frame.index
            st.caption(f"**Data** · {len(index):,} rows, {index[0]:%Y-%m-%d} → {index[-1]:%Y-%m-%d}")
        if record is not None:
            cfg = record.config
            st.caption(
                f"**{run_label(record)}** ({record.status}) · rnn_unit {cfg.get('rnn_unit')}, layer_num "
                f"{cfg.get('layer_num')}, time_step {cfg.get('time_step')}, {fold_view.epochs_of(record)} epoch(s)"
            )


@st.fragment(run_every=1.0)
def _sidebar_status_live() -> None:
    record = state.current_run()
    if record is None or not record.active:
        # The run ended while the user was on another page: a full rerun redraws this page,
        # e.g. Results with the new model.
        st.rerun()
    if record.status == "queued":
        st.caption(f"{run_label(record)} is queued")
        return
    st.caption(f"{run_label(record)} is training")
    fraction, text = fold_view.progress_text(record, progress_text)
    st.progress(min(max(fraction, 0.0), 1.0), text=text)


def sidebar_training_status() -> None:
    """On pages other than Train: a small live progress bar in the sidebar while the current run trains."""
    record = state.current_run()
    if record is not None and record.active:
        with st.sidebar:
            _sidebar_status_live()
