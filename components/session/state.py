"""Session state of one browser session: the price table in use, where it came from, and the id
of its current run.

The data source (``links.DataSource``: a bundled sample, a Yahoo Finance ticker with its dates, or
an uploaded CSV by the fingerprint of its stored table) is kept beside the table and written to
the link (``session.query``), so a reload or a shared link loads the same prices again. An
uploaded table is stored once by fingerprint in the run store's files (where runs keep their
price snapshots), so a link can name it without carrying the file.

Everything per user lives in ``st.session_state`` (never in ``st.cache_resource``), so one
session's data never reaches another. Training itself is a stored run (``model.runs``) trained
by the server's worker pool (``components.run_client``); the session holds only the run's id and an
owner token (the run records it: only that token can stop the run). Both are in the URL too
(``session.query``: ``?run=ID&owner=TOKEN``), so a reload, which starts a new session, picks
them up again. The knobs live in ``session.knobs``.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import streamlit as st

from components import run_client
from components.session.links import CSV, SAMPLE, YAHOO, DataSource
from model.data import PriceTable, load_sample, load_yfinance
from model.engine.config import LstmConfig
from model.errors import LensError, RunNotFoundError, StopRefusedError, StoreError
from model.runs import capability, files, fold_runs

# ---------------------------------------------------------------------------------------------
# Session-state keys (other pages and tests rely on these names)
# ---------------------------------------------------------------------------------------------

PRICES = "prices"  # PriceTable in use
DATA_SOURCE = "data_source_in_use"  # links.DataSource of PRICES (None: unknown, kept out of the link)
DATA_ERROR = "data_error"  # message of the last failed load (the data in use is kept)
RUN_ID = "run_id"  # id of the session's current run (trained here, opened from Runs or a link)
OWNER = "owner_token"  # this session's owner token, created when it first starts a run
LINKED_OWNER = "linked_owner_token"  # a token from the link (a reload): may stop its runs, starts none
MISSING_RUN = "missing_run_id"  # a run id the link named that the store does not hold (pages say so)
TRAIN_ERROR = "train_error"  # message of the last training request that could not be made

SAMPLE_DEFAULT = "SYNTH"  # the learnable synthetic series: a first training shows something to learn

# ---------------------------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------------------------


def get_prices() -> PriceTable | None:
    """The session's price table; the SYNTH sample is loaded on first use so every page has data."""
    ss = st.session_state
    if PRICES not in ss:
        try:
            ss[PRICES] = load_sample(SAMPLE_DEFAULT)
            ss[DATA_SOURCE] = DataSource(SAMPLE, SAMPLE_DEFAULT)
        except LensError as exc:
            ss[PRICES] = None
            ss[DATA_ERROR] = str(exc)
    return ss[PRICES]


def set_prices(table: PriceTable, source: DataSource | None = None) -> None:
    """Make ``table`` the session's prices; ``source`` says where it came from (for the link)."""
    st.session_state[PRICES] = table
    st.session_state[DATA_SOURCE] = source
    st.session_state[DATA_ERROR] = None


def data_source() -> DataSource | None:
    """Where the session's prices came from (None when no table is loaded or it cannot be named)."""
    get_prices()
    return st.session_state.get(DATA_SOURCE)


_FINGERPRINTS = "prices_fingerprint"  # (id of the PriceTable, its fingerprint): hashed once per table


def prices_fingerprint() -> str | None:
    """The fingerprint (``model.runs.files.fingerprint``) of the session's table, as runs store it."""
    prices = get_prices()
    if prices is None:
        return None
    ss = st.session_state
    cached = ss.get(_FINGERPRINTS)
    if cached is None or cached[0] != id(prices.frame):
        cached = (id(prices.frame), files.fingerprint(prices.frame))
        ss[_FINGERPRINTS] = cached
    return cached[1]


def _label_path(root: Path, fp: str) -> Path:
    return files.snapshot_path(root, fp).with_suffix(".name")


def store_upload(table: PriceTable, name: str) -> DataSource:
    """Store an uploaded table by fingerprint (once; runs on it share the snapshot) so a link can
    name it. Without a run store the table is still used; the link then cannot restore it."""
    fp = files.fingerprint(table.frame)
    try:
        root = run_client.store().files_root
        files.save_snapshot(root, table.frame, fp)
        label = _label_path(root, fp)
        if not label.exists():
            files.write_atomically(label, lambda tmp: Path(tmp).write_text(name, encoding="utf-8"))
    except (StoreError, OSError):
        pass
    return DataSource(CSV, fp, label=name)


def load_source(source: DataSource) -> PriceTable:
    """The price table a link's data source names (LensError, in plain words, when it cannot load)."""
    if source.kind == SAMPLE:
        return load_sample(source.name)
    if source.kind == YAHOO:
        # The link's end day is included; yfinance's end is exclusive.
        end = dt.date.fromisoformat(source.end) + dt.timedelta(days=1)
        return load_yfinance(source.name, start=source.start, end=end.isoformat(), interval=source.interval)
    root = run_client.store().files_root
    path = files.snapshot_path(root, source.name)
    if not path.exists():
        raise LensError(
            f"The uploaded table {source.name[:12]}… from the link is not stored on this server; "
            "upload the file again on the Data page."
        )
    label = _label_path(root, source.name)
    name = label.read_text(encoding="utf-8") if label.exists() else f"table {source.name[:12]}"
    try:
        frame = files.read_frame(path)
    except (OSError, ValueError) as exc:  # a damaged snapshot (pyarrow's errors are ValueErrors)
        raise LensError(f"The stored table {source.name[:12]}… cannot be read ({exc}).") from exc
    return PriceTable(frame, f"Uploaded CSV: {name} (restored from the link)")


# ---------------------------------------------------------------------------------------------
# The current run
# ---------------------------------------------------------------------------------------------


def owner_token(create: bool = False) -> str | None:
    """The token this session's runs are recorded with (only it can stop them)."""
    ss = st.session_state
    if ss.get(OWNER) is None and create:
        ss[OWNER] = capability.new_token()
    return ss.get(OWNER)


def tokens() -> list[str]:
    """Every capability this session holds: its own token and the one its link carried."""
    ss = st.session_state
    return [t for t in (ss.get(OWNER), ss.get(LINKED_OWNER)) if t]


def token_for(record) -> str | None:
    """The token of this session that may stop (or delete) the run, if any."""
    owner_hash = getattr(record, "owner_hash", None)
    return next((t for t in tokens() if capability.matches(t, owner_hash)), None)


def current_run_id() -> int | None:
    return st.session_state.get(RUN_ID)


def set_current_run(run_id: int | None) -> None:
    """Make a run the one Train, Results, Shapes and the sidebar show."""
    st.session_state[RUN_ID] = None if run_id is None else int(run_id)
    if run_id is not None:
        st.session_state[MISSING_RUN] = None


def current_run(*, with_history: bool = False):
    """The current run as stored now (a fresh read), or None; a deleted run stops being current."""
    from components import run_client

    run_id = current_run_id()
    if run_id is None:
        return None
    try:
        return run_client.store().get_run(run_id, with_history=with_history)
    except RunNotFoundError:
        set_current_run(None)
        return None
    except StoreError:
        return None  # the database is unreachable for now; app.py shows why


def owns(record) -> bool:
    """Whether this session started the run (and so may stop it)."""
    return record is not None and token_for(record) is not None


def run_in_progress() -> bool:
    """This session has a run queued or training (it starts no second one meanwhile)."""
    record = current_run()
    return record is not None and record.active and owns(record)


def start_run(prices: PriceTable, config: LstmConfig) -> int:
    """Record a queued run and hand it to the worker pool; it becomes the current run."""
    if run_in_progress():
        raise LensError("A training run is already in progress: stop it first.")
    config = config.validate()
    runs = run_client.store()
    run_id = runs.create_run(config, prices, "ui", owner=owner_token(create=True))
    try:
        run_client.pool().submit(run_id)
    except StoreError as exc:
        runs.fail(run_id, str(exc))
        raise
    set_current_run(run_id)
    st.session_state[TRAIN_ERROR] = None
    return run_id


def stop_run(run_id: int) -> str | None:
    """Ask the run to stop (a Stop button callback); the refusal's message, if any, goes to TRAIN_ERROR."""
    try:
        runs = run_client.store()
        runs.request_stop(run_id, token_for(runs.get_run(run_id, with_history=False)))
    except (StopRefusedError, StoreError) as exc:
        st.session_state[TRAIN_ERROR] = str(exc)
        return str(exc)
    return None


def delete_run(run_id: int) -> list[int]:
    """Delete a stored run with this session's capability (a queued run of another session is refused);
    a walk-forward run goes with its fold runs, a fold run alone is refused. Returns the deleted ids."""
    runs = run_client.store()
    return fold_runs.delete_run(runs, run_id, token_for(runs.get_run(run_id, with_history=False)))
