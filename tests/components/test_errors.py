"""The pages' error boundary: the message and icon come from the error's type; nothing escapes."""

from __future__ import annotations

import errno

import pytest
from streamlit.testing.v1 import AppTest

from components import errors
from model.errors import (
    ConfigError,
    DataError,
    LensError,
    SourceUnavailableError,
    StopRefusedError,
    StoreError,
)


@pytest.mark.parametrize(
    "exc, icon",
    [
        (SourceUnavailableError("no network"), ":material/wifi_off:"),
        (StopRefusedError("not yours"), ":material/lock:"),
        (StoreError("db"), ":material/database:"),
        (DataError("bad csv"), ":material/table_view:"),
        (ConfigError("knob"), ":material/tune:"),
        (LensError("plain"), ":material/error:"),
        (PermissionError(errno.EACCES, "Permission denied", "/runs/data"), ":material/folder_off:"),
        (KeyError("x"), errors.UNEXPECTED_ICON),
    ],
)
def test_the_icon_comes_from_the_type(exc, icon):
    assert errors.problem(exc).icon == icon


def test_the_wording_comes_from_the_type():
    assert errors.problem(DataError("row 3 is empty")).text == "row 3 is empty"
    full = OSError(errno.ENOSPC, "No space left on device", "/runs/7/model.keras")
    assert errors.problem(full).text.startswith("The disk holding /runs/7/model.keras is full")
    assert "not writable" not in errors.problem(full).text
    denied = errors.problem(PermissionError(errno.EACCES, "Permission denied", "/runs/data")).text
    assert "/runs/data" in denied and "writable" in denied
    odd = errors.problem(ZeroDivisionError("division by zero"), "drawing the chart").text
    assert odd == "Something went wrong while drawing the chart: ZeroDivisionError: division by zero"


def _page():
    import streamlit as st

    from components import errors
    from model.errors import DataError

    with errors.boundary("reading [x](http://e.com)", kept="Your data is kept.") as outcome:
        raise DataError("file [x](http://e.com)<b>y</b>.csv: no close column")
    st.text(f"failed={outcome.failed}")
    with errors.page_boundary("Test"):
        st.text("before")
        {}["missing"]
    st.text("after")  # the page goes on below a boundary


def test_a_boundary_shows_one_literal_message_and_the_page_goes_on():
    at = AppTest.from_function(_page).run()
    assert not at.exception
    assert [t.value for t in at.text] == ["failed=True", "before", "after"]
    first, second = at.error
    assert first.icon == ":material/table_view:"
    assert "](" not in first.value.replace("\\]\\(", "") and "<b>" not in first.value.replace("\\<b\\>", "")
    assert second.icon == errors.UNEXPECTED_ICON and "KeyError" in second.value
