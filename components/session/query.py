"""The URL: knob values that differ from the defaults (and the open run or study) live in the link.

After every script run the knobs that differ from the defaults are written to the query string
(``?rnn_unit=32&layer_num=3``), so a link reproduces a setting. A URL value that differs from
what this session last wrote there (a shared link, or one edited by hand) is parsed with the
knob's own rules and applied, with a warning for anything clamped, ignored or missing from the data.
"""

from __future__ import annotations

import streamlit as st

from components.session import knobs
from model.config import KNOBS
from model.errors import ConfigError
from model.presets import CUSTOM, DEFAULT_PRESET

_WRITTEN = "_query_written"  # {name: text} as this session last wrote them
PRESET_PARAM = "preset"  # ?preset=tutorial: applied first, so knob values in the link override it


def load_query_params() -> None:
    """Apply knob values from the URL that differ from what this session last wrote there."""
    ss = st.session_state
    knobs.knob_config()  # every knob has a value before the link changes some
    written: dict[str, str] = ss.setdefault(_WRITTEN, {})
    warnings: list[str] = []
    linked_columns = False
    preset = st.query_params.get(PRESET_PARAM)
    if preset is not None and preset != written.get(PRESET_PARAM):
        written[PRESET_PARAM] = preset
        try:
            knobs.apply_preset(preset)
        except ConfigError as exc:
            warnings.append(f"Ignored preset={preset!r} from the link: {exc}")
    for name, spec in KNOBS.items():
        raw = st.query_params.get(spec.url_name)
        if raw is None or raw == written.get(name):
            continue
        # Mark it as seen so a later run does not apply (and warn about) it again.
        written[name] = raw
        try:
            value = spec.parse(raw, clamp=True)
        except (TypeError, ValueError) as exc:
            warnings.append(f"Ignored {name}={raw!r} from the link: {exc}.")
            continue
        if spec.numeric and float(raw) != float(value):
            warnings.append(f"{name}={raw} from the link is outside {spec.lo:g}…{spec.hi:g}; using {spec.format(value)}.")
        st.session_state[knobs.value_key(name)] = value
        linked_columns |= spec.kind in ("column", "columns")
    notes = knobs.fit_columns(knobs.data_columns())
    if linked_columns or warnings:
        # A column the link names but the data lacks is a warning like any other bad value.
        warnings += [f"From the link: {note}" for note in notes]
    if warnings:
        ss[knobs.URL_WARNINGS] = list(ss.get(knobs.URL_WARNINGS) or []) + warnings


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
    if preset not in (CUSTOM, DEFAULT_PRESET):
        written[PRESET_PARAM] = preset
        if st.query_params.get(PRESET_PARAM) != preset:
            st.query_params[PRESET_PARAM] = preset
    elif PRESET_PARAM in st.query_params:
        del st.query_params[PRESET_PARAM]
    st.session_state[_WRITTEN] = written
