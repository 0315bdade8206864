"""Widget values that survive page switches: one mechanism for every page.

Streamlit forgets a widget's state when a page that does not draw it runs. A remembered widget
keeps its value under ``value_key(key)``: ``remembered(key, default)`` fills the widget key from it
before the widget is drawn, and ``remember`` (the widget's ``on_change``) copies the edit back.
"""

from __future__ import annotations

from typing import Any

import streamlit as st

VALUE_PREFIX = "keep_"


def value_key(widget_key: str) -> str:
    return VALUE_PREFIX + widget_key


def remembered(widget_key: str, default: Any) -> dict[str, Any]:
    """Prepare a widget: returns the keyword arguments to pass it (``key`` and ``on_change``)."""
    ss = st.session_state
    ss.setdefault(value_key(widget_key), default)
    ss[widget_key] = ss[value_key(widget_key)]
    return {"key": widget_key, "on_change": remember, "args": (widget_key,)}


def remember(widget_key: str) -> None:
    if widget_key in st.session_state:
        st.session_state[value_key(widget_key)] = st.session_state[widget_key]


def recall(widget_key: str, default: Any = None) -> Any:
    """A remembered widget's value, from any page."""
    return st.session_state.get(value_key(widget_key), default)
