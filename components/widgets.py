"""Small reusable pieces of UI: error boxes, metric rows, time formatting, the training status, and
the one line that says which run a page is about (``run_header``)."""

from __future__ import annotations

import re
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
            # Named as the run's line names it ("SYNTH"), so the sidebar and a run's pages agree on the data.
            name = markdown_literal(data_name(prices.source))
            st.caption(f"**Data** · {name} · {len(index):,} rows, {index[0]:%Y-%m-%d} → {index[-1]:%Y-%m-%d}")
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


# ---------------------------------------------------------------------------------------------
# The opened run as the subject of Results, Shapes and Inside
# ---------------------------------------------------------------------------------------------

# The short name of a stored run's data, from its description (model.data's source lines).
_DATA_NAMES = (
    re.compile(r"Bundled sample: (\w+)"),
    re.compile(r"Yahoo Finance via yfinance: (\S+)"),
    re.compile(r"(?:Uploaded CSV|CSV file): (.+?)(?: \(restored from the link\))?(?:,| ·|$)"),
)
RETRAIN_LABEL = "Train these settings on the prices now loaded"


def data_name(description: str) -> str:
    """ "SYNTH", "AAPL", "prices.csv": what a run's data is called, from its stored description."""
    for pattern in _DATA_NAMES:
        found = pattern.search(description or "")
        if found:
            return found.group(1).strip()
    first = (description or "price table").split(" · ")[0].split(",")[0].strip()
    return first if len(first) <= 40 else first[:39] + "…"


def run_line(record) -> str:
    """The one line naming a run: "Run 12 · SYNTH · 16x3, time_step 30 · trained 5 epochs"."""
    cfg = record.config
    if record.status == "queued":
        trained = "queued"
    elif record.active:
        trained = f"training ({record.epochs_run} epoch{'s' if record.epochs_run != 1 else ''} so far)"
    else:
        trained = f"trained {record.epochs_run} epoch{'s' if record.epochs_run != 1 else ''}"
        if record.status not in ("finished", "stopped"):
            trained += f" ({record.status})"
    return (
        f"{run_label(record)} · {data_name(record.data_description)} · {cfg.get('rnn_unit')}x"
        f"{cfg.get('layer_num')}, time_step {cfg.get('time_step')} · {trained}"
    )


def loaded_data_differs(record) -> bool:
    """Whether the Data page's table is not the exact table the run trained on (by fingerprint:
    a reload of the same data is the same table, whatever its name)."""
    fp = state.prices_fingerprint()
    return fp is not None and fp != record.data_fingerprint


def _train_with_loaded_prices(record) -> None:
    knobs.apply_config(record.lstm_config)  # features and target are fitted to the loaded columns


def run_header(record, page: str) -> None:
    """The line saying which run this page shows (its own prices, knobs and weights), and, when the
    Data page holds other prices, one calm note with the action that trains these settings on them."""
    st.markdown(f":material/bookmark: **{markdown_literal(run_line(record))}**")
    if not loaded_data_differs(record):
        return
    prices = state.get_prices()
    loaded = data_name(prices.source) if prices is not None else "other prices"
    with st.container(border=True):
        # The caption and the button one above the other: side by side, the label was cut at 1280 px.
        st.caption(
            f"This page shows run {record.id} on the prices it was trained on; the Data page now holds "
            f"{markdown_literal(loaded)}."
        )
        if st.button(
            RETRAIN_LABEL,
            key=f"run_header_retrain_{page}",
            icon=":material/model_training:",
            on_click=_train_with_loaded_prices,
            args=(record,),
        ):
            st.switch_page("views/train.py")


def no_run_notice(what: str) -> None:
    """Why a page that needs a run has none, and how to get one (open a stored run or train)."""
    from components import run_client

    try:
        stored = bool(run_client.store().list_runs(limit=1))
    except Exception:  # noqa: BLE001 - an unreachable store: say the same as for an empty one
        stored = False
    missing = st.session_state.get(state.MISSING_RUN)
    if missing is not None:
        st.info(
            f"Run {missing} does not exist (it was never made, or was deleted). "
            + ("Open a stored run on the Runs page, or train one." if stored else "Train one first.")
        )
    elif stored:
        st.info(f"No run is open. Open one on the Runs page (or a link with ?run=ID), or train one: {what}.")
    else:
        st.info(f"No model has been trained yet. Train one first: {what}.")
    if stored:
        st.page_link("views/runs.py", label="Go to Runs", icon=":material/table_chart:")
    st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
