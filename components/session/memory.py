"""Widget values that survive page switches: one mechanism for every page.

Streamlit forgets a widget's state when a page that does not draw it runs. A remembered widget
keeps its value under ``value_key(key)``: ``remembered(key, default)`` fills the widget key from it
before the widget is drawn, and ``remember`` (the widget's ``on_change``) copies the edit back.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

VALUE_PREFIX = "keep_"


def value_key(widget_key: str) -> str:
    return VALUE_PREFIX + widget_key


def remembered(widget_key: str, default: Any, fit: Callable[[Any], Any] | None = None) -> dict[str, Any]:
    """Prepare a widget: returns the keyword arguments to pass it (``key``, ``on_change``, ``args``).

    ``fit`` maps the remembered value to one the widget allows now (a time step clamped to a
    shorter window, say); the fitted value is remembered too.
    """
    ss = st.session_state
    value = ss.get(value_key(widget_key), default)
    if fit is not None:
        value = fit(value)
    ss[value_key(widget_key)] = ss[widget_key] = value
    return {"key": widget_key, "on_change": remember, "args": (widget_key,)}


def remember(widget_key: str) -> None:
    if widget_key in st.session_state:
        st.session_state[value_key(widget_key)] = st.session_state[widget_key]


def recall(widget_key: str, default: Any = None) -> Any:
    """A remembered widget's value, from any page."""
    return st.session_state.get(value_key(widget_key), default)
