"""The Runs table puts run, status, skill, test RMSE and epochs first; a walk-forward run's epochs are
its folds' total; selected runs get a metrics table (the model first, then each baseline)."""

from __future__ import annotations

from components.pages import runs_records as records
from tests.components.pages.test_runs import _record


def test_first_columns_are_the_answer_and_epochs_can_be_overridden():
    runs = [_record(2, history=({"loss": 1.0},)), _record(1, status="failed")]
    table = records.runs_table(runs, epochs={2: 15})
    assert list(table.columns[:5]) == ["run", "status", "skill", "test RMSE", "epochs"]
    assert table.loc[2, "epochs"] == 15  # the override, not the record's 1
    assert table.loc[1, "epochs"] == 0
    assert set(records.TABLE_COLUMNS) >= {"data", "other knobs", "origin"}


def test_metrics_table_lists_the_model_before_the_baselines():
    run = _record(4)
    run.metrics["persistence"] = {"rmse": 2.0, "mae": 1.5, "mape": 1.0, "direction": 50.0, "skill": 0.0}
    table = records.metrics_table([run, _record(5, status="failed")])
    assert list(table["who"]) == ["model", "persistence"]
    assert list(table["run"]) == [4, 4]
    assert table.loc[1, "RMSE"] == 2.0
    assert records.metrics_table([]).empty
