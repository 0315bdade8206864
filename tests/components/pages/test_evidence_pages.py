"""Walk-forward evidence on the pages: the pure record and figures; Train starts folds, Results shows
per-fold bars, the DM result and the verdict; Runs compares fold distributions of skill."""

from __future__ import annotations

import json
import time

import numpy as np
import pytest

from components import run_client
from components.figures import evidence as evidence_figures
from components.pages import results_evidence
from components.pages import runs as runs_page
from components.session import state
from components.session import walkforward as train_evidence
from model.engine.config import LstmConfig
from model.evidence.walkforward import ridge_forecaster, walk_forward
from model.orchestration.walkforward import WalkForward
from tests.components.conftest import assert_clean, button, chart_titles, goto, new_app, texts
from tests.model.evidence.helpers import synth


def _result(seed=0, k=4):
    config = LstmConfig(features=("close",), time_step=10)
    ev = walk_forward(synth(seed), config, ridge_forecaster, k=k)
    return WalkForward(7, k, "refit", 1, config, (ev,), ev)


def test_evidence_record_and_fold_bars():
    rec = results_evidence.evidence_record(_result(), "finished", 4, 4)
    # Ridge stands in for the model: it beats persistence, and ridge on the ladder does as well.
    assert rec.verdict.startswith("Beats persistence, but ridge on the same window does as well")
    assert rec.verdict_kind == "explained" and "pooled over 4 folds" in rec.dm_text
    assert len(rec.fold_labels) == 4 and set(rec.skill) == {"model", "drift", "mean_last", "ridge"}
    assert list(rec.table["fold"]) == [1, 2, 3, 4]
    fig = evidence_figures.fold_skill_figure(rec)
    assert [t.name for t in fig.data][0] == "LSTM model" and len(fig.data) == 4
    np.testing.assert_allclose(fig.data[0].y, rec.skill["model"])
    assert fig.layout.title.text.startswith("Skill per fold")


def test_fold_distribution_figure_one_box_per_run():
    fig = evidence_figures.fold_distribution_figure({"run 1": [0.1, -0.2, 0.0], "run 2": [0.3, 0.4]})
    assert [t.type for t in fig.data] == ["box", "box"] and list(fig.data[1].y) == [0.3, 0.4]
    assert "Select walk-forward runs" in json.dumps(evidence_figures.fold_distribution_figure({}).to_dict())


def _wait_ended(run_id, timeout=300.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        record = run_client.store().get_run(run_id)
        if not record.active:
            return record
        time.sleep(0.3)
    raise AssertionError("the walk-forward run did not end")


@pytest.mark.slow
def test_train_folds_then_results_and_runs_show_the_evidence():
    at = goto(new_app(), "train")
    for key, value in {"rnn_unit": 4, "layer_num": 1, "time_step": 5, "epochs": 1}.items():
        at.number_input(key=key).set_value(value)
    at.number_input(key=train_evidence.FOLDS).set_value(3)
    at.run()
    assert_clean(at)
    assert not at.selectbox(key=train_evidence.FOLD_MODE).disabled
    button(at, "Train").click().run()
    assert_clean(at)
    parent = at.session_state[state.RUN_ID]
    record = _wait_ended(parent)
    assert record.status == "finished", record.error
    assert record.progress["message"] == "3 of 3 folds done"

    goto(at, "results")
    assert_clean(at)
    assert "Skill per fold (above 0: beats persistence)" in chart_titles(at)
    from model.orchestration.verdicts import run_verdict

    verdicts = [e.value for kind in ("success", "warning", "error", "info") for e in getattr(at, kind)]
    assert run_verdict(run_client.store(), parent).text in verdicts
    assert any("Diebold-Mariano vs persistence, pooled over 3 folds" in m.value for m in at.markdown)
    assert any(
        m.value.startswith("Diebold-Mariano vs the best other baseline") and "pooled" in m.value
        for m in at.markdown
    )
    folds = at.dataframe[0].value
    assert list(folds["fold"]) == [1, 2, 3] and set(folds["status"]) == {"finished"}
    assert folds["DM p vs it (better)"].between(0, 1).all() and folds["best other baseline"].all()

    from model.runs import evidence_store as es

    other = goto(new_app(), "runs")
    assert_clean(other)
    children = [r.child_run_id for r in es.folds_of(run_client.store(), parent)]
    listed = set(other.dataframe[0].value["run"])
    assert parent in listed and not set(children) & listed  # its fold runs are hidden behind it
    # The store may hold other tests' walk-forward runs too: at least these 3 are counted.
    hidden = [c for c in texts(other, "caption") if " fold runs hidden" in c]
    assert len(children) == 3 and hidden and int(hidden[0].split()[0]) >= 3, hidden
    other.toggle(key=runs_page.SHOW_FOLDS).set_value(True).run()  # fold runs are hidden by default
    shown = other.dataframe[0].value
    assert set(children) <= set(shown["run"])
    child = children[0]  # a fold's run: an ordinary run
    rows = [int(np.flatnonzero(shown["run"].to_numpy() == i)[0]) for i in (parent, child)]
    other.session_state[runs_page.TABLE] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    other.run()
    assert_clean(other)
    assert "Skill over folds, per walk-forward run" in chart_titles(other)
    spec = next(
        json.loads(c.proto.spec)
        for c in other.get("plotly_chart")
        if "Skill over folds" in json.dumps(json.loads(c.proto.spec).get("layout", {}).get("title", {}))
    )
    assert spec["data"][0]["type"] == "box" and len(spec["data"][0]["y"]) == 3 and len(spec["data"]) == 1
    assert any(
        t.startswith("Predicted vs actual, test period") for t in chart_titles(other)
    )  # the child's overlay
