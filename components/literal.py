"""Show user text (file names, column names, values from a file) literally.

Streamlit renders Markdown in st.caption, st.error, st.warning, spinners and help tooltips, so a
file named ``[x](http://evil).csv`` would become a live link. ``markdown_literal`` backslash-escapes
every ASCII punctuation mark (CommonMark renders an escaped mark as itself), which also disarms
Streamlit's ``:color[...]`` and ``:material/...:`` directives and ``$`` for LaTeX. Where no
formatting is wanted at all, pages use ``st.text``, which renders nothing.
"""

from __future__ import annotations

import html
import re

_PUNCTUATION = re.compile(r"([!-/:-@\[-`{-~])")
# GitHub-flavoured Markdown turns bare URLs (http://…, https://…, www.…) and e-mail addresses
# into links after escapes are resolved, so escaping cannot stop it: an invisible WORD JOINER
# (U+2060) inside "http", "www." and after "@" breaks the patterns and changes nothing visible.
WORD_JOINER = "\u2060"
_AUTOLINK = re.compile(r"(?i)(?<=h)(?=ttps?:)|(?<=ww)(?=w\.)|(?<=@)")


def markdown_literal(text: object) -> str:
    """``text`` escaped so Markdown shows it character for character (newlines kept), and never
    as a link, not even a bare URL."""
    return _PUNCTUATION.sub(r"\\\1", _AUTOLINK.sub(WORD_JOINER, str(text)))


_ESCAPED = re.compile(r"\\([!-/:-@\[-`{-~])")


def unescape_literal(markdown: str) -> str:
    """The text ``markdown_literal`` escaped (for tests and logs that compare what users see)."""
    return _ESCAPED.sub(r"\1", markdown).replace(WORD_JOINER, "")


def plotly_literal(text: object) -> str:
    """``text`` for a plotly string (title, axis title, trace name): plotly renders <b>, <a href>
    and other tags there, and shows HTML entities as their characters."""
    return html.escape(str(text), quote=False)
