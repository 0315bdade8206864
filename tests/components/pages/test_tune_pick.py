"""Tune with several studies in one storage: Start on a new study opens that study's live panel (the
"Study" select follows the link), and switching between studies and back to "(new study)" works."""

from __future__ import annotations

import time

import pytest

from model.engine.config import LstmConfig
from model.sweep.space import SearchSpace, int_range
from tests.components.conftest import assert_clean, new_app

OTHER = "pickearlier"
STARTED = "pickstarted"


def _study_param(at) -> str | None:
    value = at.query_params.get("study")
    if isinstance(value, list):
        return value[0] if value else None
    return value


def _subheaders(at) -> list[str]:
    return [s.value for s in at.subheader]


def _delete(name: str) -> None:
    import optuna

    from components.pages.tune import storage_url
    from model.sweep import study as studies

    try:
        optuna.delete_study(study_name=name, storage=studies.open_storage(storage_url()))
    except KeyError:
        pass


def _stop_and_wait(name: str) -> None:
    from components.pages.tune import storage_url
    from model.sweep import study as studies

    studies.request_stop(name, storage_url())
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline and studies.workers_alive(studies.open_study(name, storage_url())):
        time.sleep(1.0)


@pytest.mark.process  # the started study's worker process
def test_start_with_another_study_in_the_storage_opens_the_new_live_panel_and_switching_works():
    from components.pages.tune import storage_url
    from model.sweep import study as studies

    space = SearchSpace(LstmConfig(epochs=1), (int_range("rnn_unit", 2, 4),))
    studies.create_study(OTHER, space, "sample:IBM", trials=1, storage=storage_url())
    try:
        at = new_app()
        at.run()
        at.switch_page("views/tune.py").run()
        assert_clean(at)
        assert at.selectbox(key="tune_pick").value == "(new study)"  # the earlier study is listed
        at.checkbox(key="tune_search_layer_num").uncheck().run()
        at.slider(key="tune_range_rnn_unit").set_value((2, 4)).run()
        at.slider(key="tune_range_time_step").set_value((5, 6)).run()
        at.number_input(key="tune_epochs").set_value(1)
        at.number_input(key="tune_trials").set_value(1)
        at.number_input(key="tune_workers").set_value(1)
        at.text_input(key="tune_name").input(STARTED)
        try:
            at.button(key="tune_start").click().run()
            assert_clean(at)
            # The link names the started study and its panel is open (not the new-study form).
            assert _study_param(at) == STARTED
            assert at.selectbox(key="tune_pick").value == STARTED
            assert f"Study {STARTED}" in _subheaders(at)
            assert not any(b.key == "tune_start" for b in at.button)
            at.run()  # and it stays open on the next rerun
            assert_clean(at)
            assert _study_param(at) == STARTED and f"Study {STARTED}" in _subheaders(at)

            # Switching: to the earlier study, back to the started one, then to a new study.
            at.selectbox(key="tune_pick").set_value(OTHER).run()
            assert_clean(at)
            assert _study_param(at) == OTHER and f"Study {OTHER}" in _subheaders(at)
            at.selectbox(key="tune_pick").set_value(STARTED).run()
            assert_clean(at)
            assert _study_param(at) == STARTED and f"Study {STARTED}" in _subheaders(at)
            at.selectbox(key="tune_pick").set_value("(new study)").run()
            assert_clean(at)
            assert _study_param(at) is None
            assert any(b.key == "tune_start" for b in at.button)
        finally:
            _stop_and_wait(STARTED)
    finally:
        _delete(STARTED)
        _delete(OTHER)
