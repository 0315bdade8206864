"""Tune on evidence: the walk-forward objective option starts a study scored on folds, and the
re-check button runs the holdout re-check in a background process whose result the panel shows."""

from __future__ import annotations

import pandas as pd
import pytest

from components.pages import tune_evidence
from model.sweep.evidence import Recheck
from tests.components.conftest import assert_clean, new_app
from tests.components.pages.test_tune import wait_until


def test_recheck_record_sentences():
    result = Recheck(
        "s",
        ("2012-01-02", "2013-03-01"),
        3,
        [{"trial": 4, "holdout skill": 0.01, "DM p (beats persistence)": 0.2}],
        {"p_value": 0.41, "p_lower": 0.3, "p_upper": 0.5, "better": [], "candidates": 5},
        {"included": ["trial 4", "persistence"], "excluded": ["trial 1"], "p_values": {}, "size": 0.1},
    )
    shown = tune_evidence.recheck_record(result)
    assert (
        shown["spa"].startswith("Hansen's SPA: does any of the 5 trials beat persistence")
        and "p = 0.41" in shown["spa"]
    )
    assert "none" in shown["spa"]
    assert (
        shown["mcs"]
        == "Model Confidence Set (90%, trials with persistence as benchmarks): cannot be told apart from the best: "
        "trial 4, persistence."
    )
    assert shown["spa_ridge"] is None  # a re-check stored before the ridge benchmark existed
    assert isinstance(shown["table"], pd.DataFrame) and list(shown["table"]["trial"]) == [4]


def test_recheck_record_shows_spa_against_ridge():
    result = Recheck(
        "s",
        ("2012-01-02", "2013-03-01"),
        3,
        [{"trial": 4, "holdout skill": 0.01}],
        {"p_value": 0.01, "p_lower": 0.01, "p_upper": 0.02, "better": ["trial 4"], "candidates": 3},
        {"included": ["ridge", "trial 4"], "excluded": [], "p_values": {}, "size": 0.1},
        spa_ridge={"p_value": 0.63, "p_lower": 0.5, "p_upper": 0.7, "better": [], "candidates": 3},
    )
    shown = tune_evidence.recheck_record(result)
    assert shown["spa_ridge"].startswith("Hansen's SPA against ridge on the same windows")
    assert "p = 0.63" in shown["spa_ridge"] and "better than ridge at 5%: none." in shown["spa_ridge"]
    assert "trials with persistence and ridge as benchmarks" in shown["mcs"]


@pytest.mark.slow
def test_folds_objective_study_and_its_recheck_on_the_page():
    at = new_app()
    at.run()
    at.switch_page("views/tune.py").run()
    assert_clean(at)
    at.checkbox(key="tune_search_layer_num").uncheck().run()
    at.slider(key="tune_range_rnn_unit").set_value((2, 4)).run()
    at.slider(key="tune_range_time_step").set_value((5, 6)).run()
    at.selectbox(key=tune_evidence.OBJECTIVE).set_value("folds").run()
    at.number_input(key=tune_evidence.OBJECTIVE_FOLDS).set_value(2)
    at.number_input(key="tune_epochs").set_value(1)
    at.number_input(key="tune_trials").set_value(2)
    at.number_input(key="tune_workers").set_value(1)
    at.text_input(key="tune_name").input("evidence-apptest")
    at.button(key="tune_start").click().run()
    assert_clean(at)
    try:
        _study_and_recheck(at)
    finally:
        # Other Tune tests share this session's storage: a study left there changes their page.
        import optuna

        from components.pages.tune import storage_url
        from model.sweep import study as studies

        optuna.delete_study(study_name="evidence-apptest", storage=studies.open_storage(storage_url()))


def _study_and_recheck(at):
    wait_until(at, lambda a: any(b.key == "tune_recheck" for b in a.button), timeout=300)
    assert any("objective: mean validation loss over 2 walk-forward folds" in c.value for c in at.caption)
    at.number_input(key=tune_evidence.RECHECK_TOP).set_value(2)
    at.button(key="tune_recheck").click().run()
    assert_clean(at)
    wait_until(at, lambda a: any("Hansen's SPA" in m.value for m in a.markdown), timeout=300)
    assert any("Model Confidence Set (90%" in m.value for m in at.markdown)  # its benchmarks follow
    table = next(d.value for d in at.dataframe if "DM p (beats persistence)" in d.value.columns)
    assert len(table) == 2
