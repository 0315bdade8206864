"""Data: choose the price source (bundled sample, Yahoo Finance, CSV upload) and look at what loaded.

Picking a bundled sample loads it at once (the table shown is always the sample named); Yahoo
Finance loads on Download, a CSV on upload. A failed load shows its message and keeps the table
the user already had. What loaded is the session's data source (``state.DATA_SOURCE``), which is
in the link: a reload or a shared link loads it again, and the widgets here show it. This page
never imports TensorFlow.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from components import errors, widgets
from components.figures import prices as price_figures
from components.figures import style
from components.literal import markdown_literal
from components.session import knobs, links, memory, state
from model.data import (
    SAMPLE_TICKERS,
    SYNTHETIC_DESCRIPTION,
    SYNTHETIC_TICKER,
    YF_INTERVALS,
    PriceTable,
    guess_column,
    guess_date_column,
    load_csv,
    load_sample,
    load_yfinance,
    sniff,
)  # fmt: skip
from model.engine.config import LIMITS, LstmConfig
from model.engine.windows import MIN_TEST_WINDOWS, MIN_TRAIN_WINDOWS, max_time_step, window_counts
from model.errors import LensError

SOURCES = ("Bundled sample", "Yahoo Finance", "CSV upload")
INTERVAL_LABELS = {"1d": "Daily", "1wk": "Weekly"}
NONE = "(none)"
# Columns the mapping form can fill, in the order shown.
MAPPABLE = ("close", "open", "high", "low", "volume")

# Session-state keys of this page.
UPLOAD = "upload"  # dict: name, content, error, header, preview (last upload that needs attention)
UPLOAD_SEEN = "upload_seen"  # file_id of the last upload handled
DATA_PROBLEM = (
    "data_problem"  # errors.Problem (text and icon, chosen by the error's type) behind state.DATA_ERROR
)
SOURCE_WIDGET = "data_source"
SAMPLE_WIDGET = "sample_ticker"
WIDGETS_SHOW = "data_widgets_show"  # link text of the data source the widgets were last set from
RADIO_FOR = {links.SAMPLE: SOURCES[0], links.YAHOO: SOURCES[1], links.CSV: SOURCES[2]}
INTRO = (
    "**LSTM Lens** trains a stacked LSTM on stock prices and shows what it learned, tensor by tensor, "
    "and whether it beats simple baselines such as repeating yesterday's price."
)
NEXT_STEP = (
    "Choose the prices below (SYNTH, a synthetic series with structure to learn, is the default), "
    "then train a network on them."
)


# ---------------------------------------------------------------------------------------------
# Loading (no Streamlit elements drawn here, so tests can call these directly)
# ---------------------------------------------------------------------------------------------


def _fail(found: errors.Problem | str, prefix: str = "") -> None:
    """Record a failed load (the current data is kept); the Problem's icon came from the error's type."""
    found = errors.problem(found) if isinstance(found, str) else found
    found = errors.Problem(prefix + found.text, found.icon)
    st.session_state[state.DATA_ERROR] = found.text
    st.session_state[DATA_PROBLEM] = found


def load_sample_source(ticker: str) -> bool:
    with errors.boundary("loading the sample", show_it=False) as outcome:
        table = load_sample(ticker)
    if outcome.failed:
        _fail(errors.problem(outcome.error, "loading the sample"))
        return False
    state.set_prices(table, links.DataSource(links.SAMPLE, str(ticker).strip().upper()))
    return True


def load_yfinance_source(
    ticker: str, start: Any, end: Any, interval: str, source: links.DataSource | None = None
) -> bool:
    """Download prices; ``source`` (the ticker and the days as chosen) is what the link will carry."""
    # SourceUnavailableError names the ticker and the likely cause.
    with errors.boundary("downloading prices", show_it=False) as outcome:
        table = load_yfinance(ticker, start=start, end=end, interval=interval)
    if outcome.failed:
        _fail(errors.problem(outcome.error, "downloading prices"))
        return False
    state.set_prices(table, source)
    return True


def read_header(content: bytes) -> tuple[list[str], pd.DataFrame | None]:
    """The raw header and first rows of an upload, for the column mapping; ([], None) if unreadable.

    Uses the loader's own ``sniff``, so the form splits the file exactly as the loader does.
    """
    try:
        layout = sniff(content)
    except LensError:
        return [], None
    header = list(layout.header)
    if len(header) < 2:
        return [], None
    return header, layout.preview()


def handle_upload(
    content: bytes,
    name: str,
    *,
    date_column: str | None = None,
    columns: Mapping[str, str] | None = None,
) -> bool:
    """Load an uploaded CSV into the session; on failure keep the old data and offer a mapping.

    Returns True when the upload replaced the data. On failure ``session_state[UPLOAD]`` holds
    the file, the message and its raw header so the page can show the column mapping form.
    """
    ss = st.session_state
    with errors.boundary("reading the file", show_it=False) as outcome:  # DataError for bad files
        table = load_csv(content, date_column=date_column, columns=dict(columns) if columns else None)
    if outcome.failed:
        header, preview = read_header(content)
        found = errors.problem(outcome.error, "reading the file")
        ss[UPLOAD] = {
            "name": name,
            "content": content,
            "error": found.text,
            "header": header,
            "preview": preview,
        }
        _fail(found, prefix=f"{name}: ")
        return False
    table = replace(table, source=table.source.replace("Uploaded CSV", f"Uploaded CSV: {name}", 1))
    state.set_prices(table, state.store_upload(table, name))
    ss[UPLOAD] = None
    return True


# ---------------------------------------------------------------------------------------------
# Widgets that keep their value across page switches
# ---------------------------------------------------------------------------------------------


def _source_changed() -> None:
    memory.remember(SOURCE_WIDGET)
    st.session_state[state.DATA_ERROR] = None  # a new source: the old failure no longer applies
    if st.session_state.get(SOURCE_WIDGET) == SOURCES[0]:
        _sample_picked()


def _sample_picked() -> None:
    """The sample shown is the sample loaded: picking one (or the sample source) loads it at once."""
    memory.remember(SAMPLE_WIDGET)
    ticker = memory.recall(SAMPLE_WIDGET, state.SAMPLE_DEFAULT)
    if not _is_loaded(links.DataSource(links.SAMPLE, ticker)):
        load_sample_source(ticker)


def _is_loaded(source: links.DataSource) -> bool:
    current = state.data_source()
    return current is not None and current.link_text() == source.link_text()


def show_source_in_widgets() -> None:
    """Set the source radio and the panel's widgets from the data source in use, when it changed
    (a link or a reload loaded it): the page shows what is loaded, not the last thing typed."""
    ss = st.session_state
    source = state.data_source()
    if source is None or ss.get(WIDGETS_SHOW) == source.link_text():
        return
    ss[WIDGETS_SHOW] = source.link_text()
    ss[memory.value_key(SOURCE_WIDGET)] = RADIO_FOR[source.kind]
    if source.kind == links.SAMPLE:
        ss[memory.value_key(SAMPLE_WIDGET)] = source.name
    elif source.kind == links.YAHOO:
        ss[memory.value_key("yf_ticker")] = source.name
        ss[memory.value_key("yf_start")] = dt.date.fromisoformat(source.start)
        ss[memory.value_key("yf_end")] = dt.date.fromisoformat(source.end)
        ss[memory.value_key("yf_interval")] = source.interval


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------


def _sample_panel() -> None:
    left, right = st.columns([3, 1], vertical_alignment="bottom")
    ticker = left.selectbox(
        "Sample ticker",
        SAMPLE_TICKERS,
        help="Daily prices bundled with the app (2000–2013, public domain), or SYNTH, a synthetic "
        "series with structure to learn: no network needed. Picking one loads it.",
        **{**memory.remembered(SAMPLE_WIDGET, state.SAMPLE_DEFAULT), "on_change": _sample_picked, "args": ()},
    )
    right.caption("Loaded when picked: no network needed.")
    if ticker == SYNTHETIC_TICKER:
        st.caption(SYNTHETIC_DESCRIPTION)
    if not _is_loaded(links.DataSource(links.SAMPLE, ticker)) and not st.session_state.get(state.DATA_ERROR):
        # The panel names a sample that is not the table in use (the source was switched back here
        # before a callback could load it): load it now, so the table never stays under a new name.
        if load_sample_source(ticker):
            st.rerun()  # redraw everything (the sidebar too) with the new table


def _yfinance_panel() -> None:
    today = dt.date.today()
    c1, c2, c3, c4 = st.columns([2, 2, 2, 1.5])
    ticker = c1.text_input(
        "Ticker",
        placeholder="AAPL",
        help="Yahoo Finance symbol, e.g. AAPL, BRK-B, ^GSPC.",
        **memory.remembered("yf_ticker", "AAPL"),
    )
    start = c2.date_input(
        "Start",
        min_value=dt.date(1970, 1, 1),
        max_value=today,
        **memory.remembered("yf_start", today - dt.timedelta(days=5 * 365)),
    )
    end = c3.date_input(
        "End", min_value=dt.date(1970, 1, 2), max_value=today, **memory.remembered("yf_end", today)
    )
    interval = c4.selectbox(
        "Interval", YF_INTERVALS, format_func=INTERVAL_LABELS.get, **memory.remembered("yf_interval", "1d")
    )
    st.caption("Needs a network connection to Yahoo Finance; downloads are cached for the day.")
    if st.button("Download", type="primary"):
        with st.spinner(
            f"Downloading {markdown_literal(ticker.strip().upper() or 'prices')} from Yahoo Finance…"
        ):
            # End is exclusive for yfinance: ask for the day after so the chosen day is included.
            end_arg = end + dt.timedelta(days=1) if isinstance(end, dt.date) else end
            symbol = ticker.strip().upper()
            source = None
            if isinstance(start, dt.date) and isinstance(end, dt.date) and start < end:
                source = links.DataSource(links.YAHOO, symbol, start.isoformat(), end.isoformat(), interval)
            loaded = load_yfinance_source(ticker, start, end_arg, interval, source)
        if loaded:
            st.rerun()


def _mapping_form(upload: dict[str, Any]) -> None:
    header: list[str] = upload.get("header") or []
    if not header:
        return
    with st.container(border=True):
        st.markdown("**Help the loader: map the file's columns**")
        st.caption("Pick the date column and at least the close; the others are optional.")
        preview = upload.get("preview")
        if preview is not None:
            st.dataframe(preview, hide_index=True, width="stretch", height=180)
        cols = st.columns(3)
        date_guess = guess_date_column(header, preview)
        date_col = cols[0].selectbox("Date column", header, index=date_guess or 0, key="map_date")
        choices: dict[str, str] = {}
        options = [NONE, *header]
        for i, ours in enumerate(MAPPABLE):
            found = guess_column(header, ours)
            default = 0 if found is None or found == date_guess else found + 1
            picked = cols[(i + 1) % 3].selectbox(
                f"{ours.capitalize()} column", options, index=default, key=f"map_{ours}"
            )
            if picked != NONE:
                choices[ours] = picked
        if st.button("Load with this mapping", type="primary"):
            if "close" not in choices:
                _fail("Choose the close column.")
                return
            if date_col in choices.values():
                _fail(f"'{date_col}' cannot be the date column and a price column at once.")
                return
            if len(set(choices.values())) != len(choices):
                _fail("Each file column can be mapped once only.")
                return
            renames = {file_col: ours for ours, file_col in choices.items()}
            if handle_upload(upload["content"], upload["name"], date_column=date_col, columns=renames):
                st.rerun()


def _csv_panel() -> None:
    ss = st.session_state
    uploaded = st.file_uploader(
        "CSV file",
        type=["csv", "txt"],
        key="csv_file",
        help="A header row with a date column and at least a close column. Separators (, ; tab |), "
        "decimal commas and common date formats are detected.",
    )
    if uploaded is not None and ss.get(UPLOAD_SEEN) != uploaded.file_id:
        ss[UPLOAD_SEEN] = uploaded.file_id
        with st.spinner(f"Reading {markdown_literal(uploaded.name)}…"):
            loaded = handle_upload(uploaded.getvalue(), uploaded.name)
        if loaded:
            st.rerun()
    upload = ss.get(UPLOAD)
    if upload:
        _mapping_form(upload)


def longest_time_step(n_rows: int, config: LstmConfig) -> int:
    """The largest time_step ``config`` (its split and target mode) can train with on ``n_rows``.

    Window counts only shrink as time_step grows, so when the knob's upper limit still fits
    the answer is that limit, without trying every smaller value (long files answer at once).
    """
    top = int(LIMITS["time_step"][1])
    counts = window_counts(n_rows, replace(config, time_step=top))
    if counts["train"] >= MIN_TRAIN_WINDOWS and counts["test"] >= MIN_TEST_WINDOWS:
        return top
    return max_time_step(n_rows, config)


def trainability_message(n_rows: int, config: LstmConfig) -> tuple[str, bool]:
    """(what the loaded rows allow, whether the current time_step fits): said at load time."""
    longest = longest_time_step(n_rows, config)
    if longest < 2:
        return (
            f"{n_rows:,} rows: too few to train on with the current split "
            f"(at least {MIN_TRAIN_WINDOWS} training and {MIN_TEST_WINDOWS} test window(s) are needed). "
            "Load a longer history.",
            False,
        )
    fits = config.time_step <= longest
    text = f"{n_rows:,} rows: trains with time_step up to {longest} (current split and target mode)."
    if not fits:
        text += (
            f" The current time_step {config.time_step} is too long for this data: lower it to {longest} "
            "or less on the Train page, or load a longer history."
        )
    return text, fits


def _current_data(prices: PriceTable) -> None:
    frame = prices.frame
    index = frame.index
    st.text(prices.source)  # the source names a file or ticker the user chose: shown literally
    widgets.metric_row(
        [
            ("Rows", f"{len(frame):,}"),
            ("From", f"{index[0]:%Y-%m-%d}"),
            ("To", f"{index[-1]:%Y-%m-%d}"),
            ("Columns", str(len(frame.columns)), markdown_literal(", ".join(frame.columns))),
        ]
    )
    message, fits = trainability_message(len(frame), knobs.knob_config())
    (st.info if fits else st.warning)(message, icon=":material/straighten:")
    for warning in prices.warnings:
        st.warning(markdown_literal(warning), icon=":material/warning:")
    if prices.repairs:
        with st.expander(f"The loader repaired {len(prices.repairs)} thing(s) in this data", expanded=True):
            st.text("\n".join(f"• {repair}" for repair in prices.repairs))
    style.show(price_figures.candlestick_figure(frame, title="Price and volume"), key="candlestick")
    st.markdown("**First rows**")
    head = frame.head(10)
    head.index = head.index.strftime("%Y-%m-%d")
    st.dataframe(head, width="stretch")


def render() -> None:
    ss = st.session_state
    st.title("Data")
    st.markdown(INTRO)
    left, right = st.columns([4, 1], vertical_alignment="center")
    left.markdown(NEXT_STEP)
    right.page_link("views/train.py", label="Next: Train", icon=":material/model_training:")
    prices = state.get_prices()
    show_source_in_widgets()

    with st.container(border=True):
        source = st.radio(
            "Source",
            SOURCES,
            horizontal=True,
            **{**memory.remembered(SOURCE_WIDGET, SOURCES[0]), "on_change": _source_changed, "args": ()},
        )
        # Filled after the panel ran: a load it triggers can fail (or succeed) in this run.
        message_slot = st.empty()
        if source == SOURCES[0]:
            _sample_panel()
        elif source == SOURCES[1]:
            _yfinance_panel()
        else:
            _csv_panel()

    prices = state.get_prices()
    message = ss.get(state.DATA_ERROR)
    if message:
        kept = f"Still using the data you had: {prices.source}." if prices is not None else None
        with message_slot.container():
            # Messages quote file names and cell values: errors.show shows them literally.
            found = ss.get(DATA_PROBLEM)
            errors.show(
                found if found is not None and found.text == message else errors.problem(message), kept=kept
            )
    if prices is None:
        st.info("No data loaded yet: choose a source above.")
        return
    _current_data(prices)
