"""The tutorial's TF1 code and our Keras code side by side, the current step's lines highlighted."""

from __future__ import annotations

import html

import streamlit as st

from components.figures import style
from model.engine.config import LstmConfig
from model.explain.sources import (
    KERAS_DENSE_STEPS,
    keras_source,
    keras_step_lines,
    tutorial_source,
    tutorial_step_lines,
)

CODE_HIGHLIGHT = "rgba(37, 99, 235, 0.13)"


def code_html(source: str, highlight: tuple[int, ...] | list[int], title: str) -> str:
    """The source with line numbers, the ``highlight`` lines (1-based) on a blue background.

    Plain ``<div>``s (Streamlit's Markdown turns spans inside ``<pre><code>`` into text), on one
    line of HTML so Markdown leaves it alone; the code is escaped.
    """
    marked = set(highlight)
    rows = []
    for i, line in enumerate(source.rstrip("\n").split("\n"), start=1):
        on = i in marked
        css = (
            "white-space:pre-wrap;overflow-wrap:anywhere;padding:0 12px 0 calc(2em + 14px);text-indent:calc(-2em - 10px);border-left:3px solid "
            f"{style.COLORS['model'] if on else 'transparent'};"
            + (f"background:{CODE_HIGHLIGHT};font-weight:600;" if on else "")
        )
        number = (
            '<span style="display:inline-block;width:2em;margin-right:10px;text-align:right;'
            f'color:#9ca3af;font-weight:400;user-select:none">{i}</span>'
        )
        rows.append(f'<div class="lens-code-line{" lens-code-hl" if on else ""}" style="{css}">'
                    f"{number}{html.escape(line)}</div>")  # fmt: skip
    head = (
        f'<div style="font-size:0.85rem;font-weight:600;color:{style.TEXT};margin:0 0 4px 2px">'
        f"{html.escape(title)}</div>"
    )
    body = (
        '<div class="lens-code" style="font-family:\'Source Code Pro\',ui-monospace,SFMono-Regular,Menlo,'
        "Consolas,monospace;font-size:12px;line-height:1.6;color:#111827;background:#f8fafc;"
        f'border:1px solid {style.GRID};border-radius:6px;padding:8px 0;overflow-x:auto">'
        '<div style="display:block">' + "".join(rows) + "</div></div>"
    )
    return head + body


def code_side_by_side(config: LstmConfig, step: int) -> None:
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(
            code_html(tutorial_source(config), tutorial_step_lines(config)[step], "The tutorial's TF1 code"),
            unsafe_allow_html=True,
        )
    with right:
        st.markdown(
            code_html(keras_source(config), keras_step_lines(config)[step], "Our Keras 3 network"),
            unsafe_allow_html=True,
        )
    if step in KERAS_DENSE_STEPS:
        first, last = KERAS_DENSE_STEPS[0], KERAS_DENSE_STEPS[-1]
        st.caption(
            "Keras' Dense works on the last axis, so its one line does the tutorial's reshape, matmul and "
            f"reshape back (steps {first}–{last})."
        )
