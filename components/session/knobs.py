"""The hyperparameter knobs of one browser session: their values and their widgets.

Every knob's kind, limits, label and help come from ``model.engine.config.KNOBS``; nothing here
repeats them. A knob's value lives under ``value_key(name)``, which survives page switches;
the widget's own key (the knob's name, e.g. ``"rnn_unit"``) is filled from it before the widget
is drawn, and the widget's ``on_change`` copies the user's edit back (``session.memory`` keeps
other pages' widgets the same way). Streamlit drops a widget's state when a page that does not
draw it runs, so reading the widget key from another page would lose the value.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import streamlit as st

from components.session import memory
from model.engine.config import DEFAULT_FEATURES, KNOBS, NETWORK_KNOBS, LstmConfig

URL_WARNINGS = "url_warnings"  # problems found in the link's hyperparameters, shown until a knob changes


def value_key(name: str) -> str:
    """Session-state key of a knob's value (tests and other pages read it through ``get_knob``)."""
    return memory.value_key(name)


def _ensure_defaults() -> None:
    ss = st.session_state
    for spec in KNOBS.values():
        ss.setdefault(value_key(spec.name), spec.default)


def get_knob(name: str) -> Any:
    return st.session_state.setdefault(value_key(name), KNOBS[name].default)


def data_columns() -> list[str]:
    from components.session.state import get_prices

    prices = get_prices()
    return prices.columns if prices is not None else list(DEFAULT_FEATURES)


def fit_columns(columns: Sequence[str]) -> list[str]:
    """Make the features/target knobs fit the loaded data's columns; return notes on what changed."""
    _ensure_defaults()
    ss = st.session_state
    notes: list[str] = []
    available = [str(c) for c in columns]
    if not available:
        return notes
    target = ss[value_key("target")]
    if target not in available:
        new = "close" if "close" in available else available[0]
        notes.append(f"Target '{target}' is not in the data; using '{new}'.")
        ss[value_key("target")] = new
    features = tuple(ss[value_key("features")])
    kept = tuple(f for f in features if f in available)
    if kept != features:
        dropped = [f for f in features if f not in available]
        if not kept:
            kept = tuple(f for f in DEFAULT_FEATURES if f in available) or (ss[value_key("target")],)
        notes.append(f"Feature(s) {', '.join(dropped)} not in the data; using {', '.join(kept)}.")
        ss[value_key("features")] = kept
    return notes


def knob_config() -> LstmConfig:
    """The LstmConfig the knobs describe (features and target fitted to the loaded data).

    Not validated: call ``.validate()`` (ConfigError) where an invalid config must be refused.
    """
    _ensure_defaults()
    fit_columns(data_columns())
    values = {name: st.session_state[value_key(name)] for name in KNOBS}
    values["features"] = tuple(values["features"])
    return LstmConfig(**values)


def apply_config(config: LstmConfig) -> None:
    """Set every knob from a config (opening a stored run, a preset, a sweep trial's settings)."""
    ss = st.session_state
    for name in KNOBS:
        ss[value_key(name)] = getattr(config, name)
    ss[URL_WARNINGS] = []


def reset_knobs() -> None:
    """Back to the defaults (a button callback: also resets the widgets drawn on this page)."""
    ss = st.session_state
    for spec in KNOBS.values():
        ss[value_key(spec.name)] = spec.default
        if spec.name in ss:
            ss[spec.name] = list(spec.default) if spec.kind == "columns" else spec.default
    ss[URL_WARNINGS] = []


def _remember(name: str) -> None:
    """on_change of a knob widget: copy the widget's value to the knob's value key."""
    ss = st.session_state
    spec = KNOBS[name]
    if name in ss:
        if spec.kind == "columns":
            # An emptied multiselect is kept as empty: the Train page then says what is missing.
            ss[value_key(name)] = tuple(str(v) for v in ss[name])
        else:
            try:
                ss[value_key(name)] = spec.parse(ss[name], clamp=True)
            except (TypeError, ValueError):
                pass  # keep the last good value
    ss[URL_WARNINGS] = []


def knob_widget(name: str, container: Any = None, *, disabled: bool = False) -> Any:
    """Draw one knob's widget (label, limits and help from its Knob) bound to its value."""
    spec = KNOBS[name]
    where = container if container is not None else st
    if spec.kind in ("column", "columns"):
        fit_columns(data_columns())
    value = get_knob(name)
    st.session_state[name] = list(value) if spec.kind == "columns" else value
    common: dict[str, Any] = dict(
        key=name, help=spec.help, on_change=_remember, args=(name,), disabled=disabled
    )
    if spec.kind == "int":
        return where.number_input(
            spec.label, min_value=int(spec.lo), max_value=int(spec.hi), step=1, **common
        )
    if spec.kind == "float" and spec.log:
        # A log-scale knob spans decades: typed, not slid.
        return where.number_input(
            spec.label,
            min_value=float(spec.lo),
            max_value=float(spec.hi),
            step=spec.step,
            format="%.5f",
            **common,
        )
    if spec.kind == "float":
        return where.slider(
            spec.label, min_value=float(spec.lo), max_value=float(spec.hi), step=spec.step, **common
        )
    if spec.kind == "bool":
        return where.toggle(spec.label, **common)
    if spec.kind == "choice":
        return where.radio(
            spec.label, spec.options, format_func=(spec.option_labels or {}).get, horizontal=True, **common
        )
    if spec.kind == "column":
        return where.selectbox(spec.label, data_columns(), **common)
    return where.multiselect(spec.label, data_columns(), placeholder="Choose at least one column", **common)


def render_network_knobs(container: Any = None, *, disabled: bool = False) -> None:
    """The knobs that set shapes (two columns, then features): shared by the Train and Shapes pages."""
    where = container if container is not None else st
    left, right = where.columns(2)
    for i, name in enumerate(n for n in NETWORK_KNOBS if n != "features"):
        knob_widget(name, (left, right)[i % 2], disabled=disabled)
    knob_widget("features", where, disabled=disabled)


def active_preset() -> str:
    """The preset the knobs are exactly (``model.engine.presets`` name), or "custom"."""
    from model.engine.presets import preset_of

    return preset_of(knob_config(), data_columns())


def apply_preset(name: str) -> None:
    """Set every knob from a preset, features and target fitted to the loaded data (ConfigError if unknown)."""
    from model.engine.presets import get_preset

    apply_config(get_preset(name).apply(knob_config(), data_columns()))
