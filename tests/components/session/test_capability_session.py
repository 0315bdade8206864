"""A link's owner token may stop the run it came with, but the session never adopts it for its own runs."""

from __future__ import annotations

import pytest

from components import run_client
from components.session import state
from model.data import load_sample
from model.engine.config import LstmConfig
from model.runs import capability
from tests.components.conftest import assert_clean, button, goto, new_app

TINY = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)


@pytest.mark.slow
def test_a_link_token_stops_its_run_but_new_runs_get_the_sessions_own_token():
    foreign = capability.new_token()
    runs = run_client.store()
    queued = runs.create_run(TINY, load_sample("GOOG"), "ui", owner=foreign)  # never submitted: stays queued

    at = goto(new_app(run=str(queued), owner=foreign), "train")
    assert_clean(at)
    assert at.session_state[state.RUN_ID] == queued
    assert state.OWNER not in at.session_state or at.session_state[state.OWNER] is None
    button(at, "Stop").click().run()  # the link's capability cancels the queued run
    assert_clean(at)
    assert runs.get_run(queued).status == "stopped"

    button(at, "Train").click().run()
    assert_clean(at)
    mine = at.session_state[state.RUN_ID]
    own = at.session_state[state.OWNER]
    try:
        assert mine != queued and own and own != foreign
        record = runs.get_run(mine)
        assert capability.matches(own, record.owner_hash)
        assert not capability.matches(foreign, record.owner_hash)
        assert at.query_params["owner"] == own  # the address now carries the session's own token
    finally:
        runs.request_stop(mine, own)


def _delete_page():
    import streamlit as st

    from components import errors
    from components.session import state

    with errors.boundary("deleting the run"):
        state.delete_run(int(st.query_params["run"]))
        st.text("deleted")


def test_deleting_a_queued_run_needs_the_sessions_capability():
    from streamlit.testing.v1 import AppTest

    from model.errors import RunNotFoundError

    token = capability.new_token()
    runs = run_client.store()
    queued = runs.create_run(TINY, load_sample("GOOG"), "ui", owner=token)  # never submitted: stays queued
    at = AppTest.from_function(_delete_page)
    at.query_params["run"] = str(queued)
    at.run()
    assert not at.exception
    assert [e.icon for e in at.error] == [":material/lock:"] and "another session" in at.error[0].value
    assert runs.get_run(queued).status == "queued"  # refused, with the reason, and kept
    at.session_state[state.LINKED_OWNER] = token  # the session that holds its token
    at.run()
    assert not at.exception and not at.error and [t.value for t in at.text] == ["deleted"]
    with pytest.raises(RunNotFoundError):
        runs.get_run(queued)
