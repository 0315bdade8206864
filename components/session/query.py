"""The URL: knob values that differ from the defaults (and the open run or study) live in the link.

After every script run the knobs that differ from the defaults are written to the query string
(``?rnn_unit=32&layer_num=3``), so a link reproduces a setting. A URL value that differs from
what this session last wrote there (a shared link, or one edited by hand) is parsed with the
knob's own rules and applied, with a warning for anything clamped, ignored or missing from the data.

The data source is there too (``data=SYNTH``, ``data=yahoo:AAPL:2021-01-04:2026-12-08:1d``,
``data=csv:FINGERPRINT``), read before the knobs (their columns depend on the data), and the
Train page's walk-forward options (``folds``, ``fold_mode``, ``seeds``) beside the knobs.

The session's current run is there too (``run=ID``), and once the session has started a run,
its owner token (``owner=TOKEN``): a reload starts a new Streamlit session, which takes both back
from the URL, so it reattaches to the run and may still stop it (the link's token is kept apart:
runs this session starts get the session's own token, never one a link carried). The token is a capability of
that tab's address; the links the pages show (``run_url``) carry only the run id, so a shared
link shows the run but cannot stop it.
"""

from __future__ import annotations

import streamlit as st

from components.session import knobs, links, memory, state, walkforward
from model.engine.config import KNOBS
from model.engine.presets import CUSTOM, DEFAULT_PRESET
from model.errors import ConfigError

_WRITTEN = "_query_written"  # {name: text} as this session last wrote them
PRESET_PARAM = "preset"  # ?preset=tutorial: applied first, so knob values in the link override it
RUN_PARAM = "run"
OWNER_PARAM = "owner"
DATA_PARAM = "data"
# The walk-forward options: link name -> (widget key, reader, default).
FOLD_PARAMS = {
    "folds": (walkforward.FOLDS, links.read_folds, 0),
    "fold_mode": (walkforward.FOLD_MODE, links.read_fold_mode, "refit"),
    "seeds": (walkforward.SEEDS, links.read_seeds, 1),
}


def load_query_params() -> list[str]:
    """Apply knob values from the URL that differ from what this session last wrote there; returns
    the warnings about this link's values (app.py shows them on whichever page it opened)."""
    ss = st.session_state
    written: dict[str, str] = ss.setdefault(_WRITTEN, {})
    warnings: list[str] = []
    linked_columns = _load_data(written, warnings)  # first: a link's data is loaded, not SYNTH then it
    knobs.knob_config()  # every knob has a value before the link changes some
    _load_fold_options(written, warnings)
    preset = st.query_params.get(PRESET_PARAM)
    if preset is not None and preset != written.get(PRESET_PARAM):
        written[PRESET_PARAM] = preset
        try:
            knobs.apply_preset(preset)
        except ConfigError as exc:
            warnings.append(f"Ignored preset={links.quote(preset)} from the link: {exc}")
    for name, spec in KNOBS.items():
        raw = st.query_params.get(spec.url_name)
        if raw is None or raw == written.get(name):
            continue
        # Mark it as seen so a later run does not apply (and warn about) it again.
        written[name] = raw
        read = links.read_knob(name, raw)
        if read.warning:
            warnings.append(read.warning)
        if read.value is None:
            continue
        value = read.value
        st.session_state[knobs.value_key(name)] = value
        linked_columns |= spec.kind in ("column", "columns")
    notes = knobs.fit_columns(knobs.data_columns())
    if linked_columns or warnings:
        # A column the link names but the data lacks is a warning like any other bad value.
        warnings += [f"From the link: {note}" for note in notes]
    _load_run(written, warnings)
    if warnings:
        ss[knobs.URL_WARNINGS] = list(ss.get(knobs.URL_WARNINGS) or []) + warnings
    return warnings


def _load_data(written: dict[str, str], warnings: list[str]) -> bool:
    """The link's data source, loaded when it differs from what this session wrote; True when the
    data changed (the knobs' columns are then fitted to it, with notes)."""
    raw = st.query_params.get(DATA_PARAM)
    if raw is None or raw == written.get(DATA_PARAM):
        return False
    written[DATA_PARAM] = raw
    read = links.read_data_source(raw)
    if read.warning:
        warnings.append(read.warning)
        return False
    source = read.value
    current = state.data_source() if state.PRICES in st.session_state else None
    if current is not None and current.link_text() == source.link_text():
        return False  # already loaded (this session's own link after a page switch)
    from model.errors import LensError

    try:
        table = state.load_source(source)
    except LensError as exc:
        kept = state.get_prices()
        also = f" Using {kept.source} instead." if kept is not None else ""
        warnings.append(f"Could not load data={links.quote(raw)} from the link: {exc}{also}")
        return False
    if source.kind == links.CSV:
        source = links.DataSource(links.CSV, source.name, label=table.source)
    state.set_prices(table, source)
    return True


def _load_fold_options(written: dict[str, str], warnings: list[str]) -> None:
    for param, (widget_key, reader, _default) in FOLD_PARAMS.items():
        raw = st.query_params.get(param)
        if raw is None or raw == written.get(param):
            continue
        written[param] = raw
        read = reader(raw)
        if read.warning:
            warnings.append(read.warning)
        if read.value is not None:
            st.session_state[memory.value_key(widget_key)] = read.value


def _load_run(written: dict[str, str], warnings: list[str]) -> None:
    """The run (and owner token) from the link, when it differs from what this session wrote."""
    owner = st.query_params.get(OWNER_PARAM)
    if owner and owner not in state.tokens() and owner != written.get(OWNER_PARAM):
        written[OWNER_PARAM] = owner
        read = links.read_owner(owner)
        if read.warning:
            warnings.append(read.warning)
        else:
            # A reload of the tab that started the run: the token may stop that run, but this
            # session's own runs get its own token (a link's token is never adopted for them).
            st.session_state[state.LINKED_OWNER] = read.value
    raw = st.query_params.get(RUN_PARAM)
    if raw is None or raw == written.get(RUN_PARAM):
        return
    written[RUN_PARAM] = raw
    read = links.read_run_id(raw)
    if read.warning:
        warnings.append(read.warning)
        return
    run_id = read.value
    from components import run_client
    from model.errors import RunNotFoundError, StoreError

    try:
        run_client.store().get_run(run_id, with_history=False)
    except RunNotFoundError:
        st.session_state[state.MISSING_RUN] = run_id
        warnings.append(
            f"Run {run_id} from the link is not in the run store: it does not exist (or was deleted). "
            "Open a run from the Runs page, or train one on the Train page."
        )
        return
    except StoreError:
        warnings.append(f"Run {run_id} from the link cannot be opened now: the run store is unavailable.")
    state.set_current_run(run_id)


def sync_query_params() -> None:
    """Write the knobs that differ from the defaults to the URL, and drop the ones that do not."""
    config = knobs.knob_config()
    differing = config.differences()
    written: dict[str, str] = {}
    for name, spec in KNOBS.items():
        if name not in differing:
            if spec.url_name in st.query_params:
                del st.query_params[spec.url_name]
            continue
        text = spec.format(differing[name])
        written[name] = text
        if st.query_params.get(spec.url_name) != text:
            st.query_params[spec.url_name] = text
    # The preset's name too (the knobs above already reproduce it; the name says what it is).
    preset = knobs.active_preset()
    _sync_param(PRESET_PARAM, preset if preset not in (CUSTOM, DEFAULT_PRESET) else None, written)
    source = st.session_state.get(state.DATA_SOURCE) if st.session_state.get(state.PRICES) else None
    _sync_param(DATA_PARAM, source.link_text() if source is not None else None, written)
    for param, (widget_key, _reader, default) in FOLD_PARAMS.items():
        value = memory.recall(widget_key, default)
        _sync_param(param, value if value != default else None, written)
    _sync_param(RUN_PARAM, state.current_run_id(), written)
    record = state.current_run() if state.tokens() else None
    owner = (record is not None and state.token_for(record)) or next(iter(state.tokens()), None)
    _sync_param(OWNER_PARAM, owner, written)
    st.session_state[_WRITTEN] = written


def _sync_param(name: str, value, written: dict[str, str]) -> None:
    if value is None:
        if name in st.query_params:
            del st.query_params[name]
        return
    text = str(value)
    written[name] = text
    if st.query_params.get(name) != text:
        st.query_params[name] = text
