"""Runs with a walk-forward run stored: its fold runs are hidden behind it (a toggle shows them),
its row says how many folds it has, a fold alone cannot be deleted, deleting it takes its folds,
opening it makes it the current run. Also the table column as a pure record."""

from __future__ import annotations

import pandas as pd

from components import run_client
from components.pages import runs_records as records
from components.session import state
from model.data import load_sample
from model.engine.config import LstmConfig
from model.orchestration.walkforward import start_walk_forward
from model.runs import evidence_store as es
from model.runs import fold_runs
from tests.components.conftest import assert_clean, button, goto, new_app, texts
from tests.components.pages.test_runs import _select

CONFIG = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)


def test_walk_forward_column_only_when_some_run_has_a_text():
    table = pd.DataFrame({"run": [3, 2, 1], "data": ["a", "b", "c"], "status": ["x", "y", "z"]})
    texts_by_run = {3: "5 folds", 2: "fold 1/5 of run 3"}
    out = records.with_walk_forward(table, lambda i: texts_by_run.get(i, ""))
    assert list(out.columns) == ["run", "data", "walk-forward", "status"]
    assert list(out["walk-forward"]) == ["5 folds", "fold 1/5 of run 3", ""]
    assert records.with_walk_forward(table, lambda i: "") is table


def _shown(at) -> list[int]:
    return [int(i) for i in at.dataframe[0].value["run"]]


def test_runs_page_hides_fold_runs_behind_their_walk_forward_run():
    runs = run_client.store()
    ordinary = runs.create_run(CONFIG, load_sample("GOOG"), "ui")
    parent = start_walk_forward(runs, CONFIG, load_sample("GOOG"), folds=3, seeds=1)
    children = [r.child_run_id for r in es.folds_of(runs, parent)]
    try:
        at = goto(new_app(), "runs")
        assert_clean(at)
        shown = _shown(at)
        assert parent in shown and ordinary in shown and not set(children) & set(shown)
        table = at.dataframe[0].value
        assert table.loc[table["run"] == parent, "walk-forward"].item() == "3 folds"
        hidden = len(fold_runs.fold_index(runs).places)  # other tests' walk-forward runs may be stored too
        assert hidden >= 3
        assert any(c.startswith(f"{hidden} fold runs hidden; show them") for c in texts(at, "caption"))

        at.toggle(key="runs_show_folds").set_value(True).run()
        assert_clean(at)
        table = at.dataframe[0].value
        assert set(children) <= set(table["run"])
        assert table.loc[table["run"] == children[1], "walk-forward"].item() == f"fold 2/3 of run {parent}"
        assert not any("fold runs hidden" in c for c in texts(at, "caption"))

        # A fold run alone: the confirmation says why, and the delete is refused with its reason.
        _select(at, [children[0]])
        button(at, "Delete 1 run(s)").click().run()
        assert any(f"deleted only with walk-forward run {parent}" in w for w in texts(at, "warning"))
        button(at, "Yes, delete").click().run()
        assert_clean(at)
        assert any(f"delete run {parent}" in e for e in texts(at, "error"))
        assert {r.id for r in runs.list_runs(ids=children)} == set(children)

        # Opening the walk-forward run makes it current.
        at.toggle(key="runs_show_folds").set_value(False).run()
        _select(at, [parent])
        button(at, f"Open run {parent}").click().run()
        assert_clean(at)
        assert at.session_state[state.RUN_ID] == parent
        assert any(f"Run {parent} is the current run" in s for s in texts(at, "success"))

        # Deleting it takes its fold runs along, after saying so.
        _select(at, [parent])
        button(at, "Delete 1 run(s)").click().run()
        assert any(f"its {len(children)} fold runs are deleted with it" in w for w in texts(at, "warning"))
        button(at, "Yes, delete").click().run()
        assert_clean(at)
        assert not runs.list_runs(ids=[parent, *children])
        assert parent not in _shown(at) and ordinary in _shown(at)
        assert not any(f"{hidden} fold runs hidden" in c for c in texts(at, "caption"))
    finally:
        for run_id in (*children, parent, ordinary):
            if runs.list_runs(ids=[run_id]):
                runs.delete_run(run_id)
