"""Every value a link carries is validated in one place; a bad one is a warning on whichever page
it arrived, never a traceback, and the session goes on."""

from __future__ import annotations

import math

from hypothesis import given, settings
from hypothesis import strategies as st

from components.literal import unescape_literal
from components.session import links, state
from model.engine.config import KNOBS
from tests.components.conftest import assert_clean, new_app

ANY_TEXT = st.one_of(
    st.text(max_size=60),
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.sampled_from(["99999999999999999999999", "1e400", "-0", "0x10", " 7 ", "٣", "1_000", "inf", ""]),
)


@settings(max_examples=300, deadline=None)
@given(ANY_TEXT)
def test_a_run_id_is_a_bounded_whole_number_or_refused(raw):
    read = links.read_run_id(raw)
    if read.value is None:
        assert read.warning and "run=" in read.warning and len(read.warning) < 200
    else:
        assert type(read.value) is int and 1 <= read.value <= links.MAX_RUN_ID and read.warning is None


@settings(max_examples=100, deadline=None)
@given(st.integers(min_value=1, max_value=links.MAX_RUN_ID))
def test_every_valid_run_id_is_read_back(run_id):
    assert links.read_run_id(str(run_id)).value == run_id


@settings(max_examples=300, deadline=None)
@given(st.sampled_from(sorted(KNOBS)), ANY_TEXT)
def test_a_knob_value_is_in_its_limits_or_refused(name, raw):
    read = links.read_knob(name, raw)
    spec = KNOBS[name]
    if read.value is None:
        assert read.warning
    elif spec.numeric:
        assert spec.lo <= read.value <= spec.hi and math.isfinite(read.value)


@settings(max_examples=200, deadline=None)
@given(ANY_TEXT)
def test_owner_and_study_readers_never_raise(raw):
    for reader in (links.read_owner, links.read_study):
        read = reader(raw)
        assert (read.value is None) != (read.warning is None)


def _warnings(at) -> str:
    return " ".join(unescape_literal(w.value) for w in at.warning)


def test_a_huge_run_id_on_runs_is_a_warning_and_the_session_goes_on():
    at = new_app()
    at.run()
    at.query_params["run"] = "99999999999999999999999"
    at.switch_page("views/runs.py").run()
    assert_clean(at)
    assert "run='99999999999999999999999'" in _warnings(at)
    assert state.RUN_ID not in at.session_state and "run" not in at.query_params
    for page in ("views/results.py", "views/train.py", "views/runs.py", "views/data.py"):
        at.switch_page(page).run()
        assert_clean(at)


def test_unknown_and_negative_run_ids_warn_on_results():
    at = new_app()
    at.run()
    at.query_params["run"] = "424242"
    at.switch_page("views/results.py").run()
    assert_clean(at)
    assert "Run 424242 from the link is not in the run store" in _warnings(at)
    at.query_params["run"] = "-3"
    at.run()
    assert_clean(at)
    assert "run='-3'" in _warnings(at)


def test_a_hostile_owner_and_study_are_refused_with_a_warning():
    at = new_app()
    at.run()
    at.query_params["owner"] = "[x](http://e.com)"
    at.query_params["study"] = "s" * 5000
    at.switch_page("views/tune.py").run()
    assert_clean(at)
    text = _warnings(at)
    assert "owner token" in text and "study='sss" in text and "s" * 100 not in text
    assert state.LINKED_OWNER not in at.session_state and "study" not in at.query_params
