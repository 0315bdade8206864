"""The Runs page: a table of stored runs, filters, open, delete with confirmation, compare views.

Pure records are tested on hand-made RunRecords; the page with 3 runs trained by the pages'
worker pool (tiny networks, 1 epoch).
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from components import run_client
from components.figures import runs as run_figures
from components.pages import runs as runs_page
from components.pages import runs_records as records
from components.session import knobs, state
from model.engine.config import LstmConfig
from model.engine.evaluation import Evaluation
from model.runs import RunRecord
from tests.components.conftest import assert_clean, button, chart_titles, goto, new_app, stored_run, texts


def _record(run_id, *, fingerprint="a", status="finished", config=None, skill=0.1, history=()):
    cfg = (config or LstmConfig()).to_dict()
    return RunRecord(
        id=run_id, created=datetime(2026, 1, run_id, tzinfo=timezone.utc), started=None, finished=None,
        status=status, origin="ui", study=None, trial=None, config=cfg, parameters=100, data_description=f"data {fingerprint}",
        data_fingerprint=fingerprint, seconds=1.0, epochs_run=len(history), best_epoch=None,
        stop_reason="completed" if status == "finished" else None, error=None, progress=None, stop_requested=False,
        owner_hash=None, worker_pid=None, worker_host=None, files_dir=Path("."), history=tuple(history),
        metrics={"model": {"rmse": 1.0, "mae": 1.0, "mape": 1.0, "direction": 50.0, "skill": skill}} if status == "finished" else {},
    )  # fmt: skip


def _evaluation(n, offset=0.0):
    dates = pd.bdate_range("2020-01-01", periods=n)
    actual = np.linspace(100, 110, n)
    frame = pd.DataFrame({"split": "test", "window": np.arange(n), "step": 1, "date": dates, "origin": dates,
                          "last_known": actual - 1, "actual": actual, "predicted": actual + offset,
                          "baseline": actual - 1})  # fmt: skip
    return Evaluation(
        predictions=frame, metrics=pd.DataFrame(), forecast=pd.DataFrame(), target_mode="next_day"
    )


def test_table_shows_knobs_that_differ_and_filters_by_any_knob():
    runs = [_record(3, config=LstmConfig(rnn_unit=16, learning_rate=0.01)), _record(2, status="failed"),
            _record(1, fingerprint="b", config=LstmConfig(dropout=0.2))]  # fmt: skip
    table = records.runs_table(runs)
    assert list(table["run"]) == [3, 2, 1]
    assert table.loc[3, "rnn_unit"] == 16 and table.loc[3, "other knobs"] == "learning_rate=0.01"
    assert table.loc[2, "other knobs"] == "" and np.isnan(table.loc[2, "skill"])
    knob_table = records.knob_values(runs)
    only = records.filter_runs(table, knob_table, records.RunFilter(knob="dropout", knob_values=("0.2",)))
    assert list(only["run"]) == [1]
    assert list(records.filter_runs(table, knob_table, records.RunFilter(status=("failed",)))["run"]) == [2]
    assert list(records.filter_runs(table, knob_table, records.RunFilter())["run"]) == [3, 2, 1]
    assert (
        records.table_csv(table)
        .decode()
        .splitlines()[0]
        .startswith("run,status,skill,test RMSE,epochs,when,data")
    )


def test_the_verdict_column_follows_the_numbers_shown_first_with_each_runs_sentence():
    table = records.runs_table([_record(3), _record(2, status="failed")])
    said = {3: "Repeats the last price on this test period.", 2: ""}
    shown = records.with_verdicts(table, said.__getitem__)
    columns = list(shown.columns)
    # run, status, skill, test RMSE and epochs stay first (visible without scrolling), the sentence next
    assert columns[columns.index("epochs") + 1] == "verdict" and "verdict" not in table.columns
    assert columns.index("verdict") > max(columns.index(c) for c in ("skill", "test RMSE"))
    assert shown.loc[3, "verdict"] == said[3] and shown.loc[2, "verdict"] == ""


def test_comparable_runs_keep_the_same_data_and_split_and_say_why_others_are_left_out():
    runs = [_record(1), _record(2, config=LstmConfig(rnn_unit=20)), _record(3, fingerprint="b"),
            _record(4, config=LstmConfig(test_fraction=0.3)), _record(5, status="failed")]  # fmt: skip
    group = records.comparable_runs(runs)
    assert [r.id for r in group.runs] == [1, 2]
    reasons = dict(group.left_out)
    assert set(reasons) == {3, 4, 5}
    assert "other data" in reasons[3] and "test_fraction 0.3" in reasons[4] and "failed" in reasons[5]


def test_overlay_has_persistence_and_one_line_per_run_and_stays_bounded():
    runs = [_record(1), _record(2)]
    overlay = records.prediction_overlay(runs, [_evaluation(100_000), _evaluation(100_000, offset=1.0)])
    assert len(overlay.predicted) == 2 and len(overlay.actual) == 100_000
    assert (overlay.persistence.to_numpy() == overlay.actual.to_numpy() - 1).all()
    fig = run_figures.overlay_figure(overlay)
    names = [t.name for t in fig.data]
    assert names[:2] == ["actual", "persistence baseline"] and len(names) == 4
    assert max(len(t.x) for t in fig.data) <= 4_100  # decimated, not 100,000 points
    assert "of 100,000 points drawn" in fig.layout.title.text


def test_parallel_and_scatter_records():
    runs = [
        _record(1, config=LstmConfig(rnn_unit=8), skill=0.1, history=[{"loss": 1, "val_loss": 2}]),
        _record(2, config=LstmConfig(rnn_unit=16), skill=0.3, history=[{"loss": 1, "val_loss": 1.5}] * 2),
    ]
    frame = records.knob_metric_frame(runs)
    assert records.varying_knobs(frame) == ["rnn_unit"]
    assert list(frame["skill"]) == [0.1, 0.3]
    assert records.loss_curves(runs) == {"run 1": [2], "run 2": [1.5, 1.5]}
    fig = run_figures.parallel_figure(frame, ["rnn_unit"], "skill")
    assert [d.label for d in fig.data[0].dimensions] == ["rnn_unit", "skill"]
    scatter = run_figures.scatter_figure(frame, "rnn_unit", "skill")
    assert list(scatter.data[0].x) == [8, 16] and list(scatter.data[0].y) == [0.1, 0.3]


@pytest.fixture(scope="module")
def three_runs():
    """Two runs on the sample with different rnn_unit, one on other data (a shorter table)."""
    from model.data import load_sample

    frame = load_sample("GOOG").frame
    a = stored_run(config=LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1))
    b = stored_run(config=LstmConfig(rnn_unit=6, layer_num=1, time_step=5, epochs=2))
    c = stored_run(frame.iloc[:600], config=LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1))
    for r in (a, b, c):
        assert r.status == "finished", r.error
    return a, b, c


def _select(at, run_ids):
    shown = at.dataframe[0].value
    rows = [int(np.flatnonzero(shown["run"].to_numpy() == i)[0]) for i in run_ids]
    state_value = {"selection": {"rows": rows, "columns": [], "cells": []}}
    at.session_state[runs_page.TABLE] = state_value
    return at.run()


@pytest.mark.process  # runs trained by the worker pool
def test_runs_page_compares_selected_runs(three_runs):
    a, b, c = three_runs
    at = goto(new_app(), "runs")
    assert_clean(at)
    shown = at.dataframe[0].value
    assert {a.id, b.id, c.id} <= set(shown["run"]) and list(shown["run"]) == sorted(
        shown["run"], reverse=True
    )
    _select(at, [a.id, b.id, c.id])
    assert_clean(at)
    titles = chart_titles(at)
    assert any(t.startswith("Predicted vs actual, test period") for t in titles), titles
    assert "Validation loss per epoch" in titles and "Knobs of the selected runs" in titles
    assert "test RMSE against rnn_unit" in titles
    assert any(f"Run {c.id} is left out" in cap.value and "other data" in cap.value for cap in at.caption)
    overlay = json.loads(at.get("plotly_chart")[0].proto.spec)
    names = [t.get("name") for t in overlay["data"]]
    assert "persistence baseline" in names and sum(str(n).startswith("run ") for n in names) == 2


@pytest.mark.process  # runs trained by the worker pool
def test_open_makes_a_run_current_and_copies_its_knobs(three_runs):
    _, b, _ = three_runs
    at = goto(new_app(), "runs")
    _select(at, [b.id])
    button(at, f"Open run {b.id}").click().run()
    assert_clean(at)
    assert at.session_state[state.RUN_ID] == b.id
    assert at.session_state[knobs.value_key("rnn_unit")] == 6
    assert any(f"Run {b.id} is the current run" in s for s in texts(at, "success"))
    goto(at, "results")
    assert_clean(at)
    assert any(link.label.startswith(f"Run {b.id}") for link in at.get("page_link"))
    assert at.query_params["run"] == str(b.id)


@pytest.mark.process  # runs trained by the worker pool
def test_delete_asks_for_confirmation():
    victim = stored_run()
    at = goto(new_app(), "runs")
    _select(at, [victim.id])
    button(at, "Delete 1 run(s)").click().run()
    assert any("cannot be undone" in w for w in texts(at, "warning"))
    assert run_client.store().get_run(victim.id)  # nothing deleted yet
    button(at, "Yes, delete").click().run()
    assert_clean(at)
    assert victim.id not in set(at.dataframe[0].value["run"]) if at.dataframe else True
    assert not run_client.store().list_runs(ids=[victim.id])
    assert not victim.files_dir.exists()
