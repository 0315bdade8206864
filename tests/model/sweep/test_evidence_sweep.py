"""Sweeps on evidence: the folds objective (holdout never read, a report per fold, pruning after a
fold) and the re-check through the CLI on a tiny study."""

from __future__ import annotations

import optuna
import pytest
from optuna.trial import TrialState

from model.data.sample import load_sample
from model.errors import SweepError
from model.runs import evidence_store as es
from model.runs.store import open_store
from model.sweep.__main__ import main
from model.sweep.objective import holdout_start, make_objective, parse_objective
from model.sweep.space import SearchSpace, parse_spec
from tests.model.runs.helpers import TINY


def test_parse_objective():
    assert parse_objective("holdout") == ("holdout", 0)
    assert parse_objective("folds") == ("folds", 3)
    assert parse_objective("folds:5") == ("folds", 5)
    for bad in ("folds:1", "folds:x", "kfold", "holdout:2"):
        with pytest.raises(SweepError):
            parse_objective(bad)


class AlwaysPrune(optuna.pruners.BasePruner):
    def prune(self, study, trial) -> bool:
        return True


def _space():
    return SearchSpace(TINY.replace(epochs=1), (parse_spec("rnn_unit", "2:4"),)).check()


@pytest.mark.slow
def test_folds_objective_reports_each_fold_and_never_reads_the_holdout(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path)
    prices = load_sample("IBM")
    study = optuna.create_study(pruner=optuna.pruners.NopPruner())
    study.optimize(make_objective("s", _space(), prices, store, objective="folds:2"), n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.COMPLETE
    assert sorted(trial.intermediate_values) == [0, 1]  # one report per fold
    assert trial.value == pytest.approx(sum(trial.user_attrs["fold_losses"]) / 2)
    parent = trial.user_attrs["run_id"]
    cut = holdout_start(len(prices.frame), TINY)
    # Every run of the trial holds the price table cut before the holdout.
    assert len(store.load_prices(parent)) == cut
    for row in es.folds_of(store, parent):
        assert len(store.load_prices(row.child_run_id)) == cut and row.fold.test_end <= cut
    assert store.get_run(parent).study == "s" and store.get_run(parent).trial == 0


@pytest.mark.slow
def test_folds_objective_is_pruned_after_a_fold(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path)
    study = optuna.create_study(pruner=AlwaysPrune())
    study.optimize(make_objective("s", _space(), load_sample("IBM"), store, objective="folds:3"), n_trials=1)
    trial = study.trials[0]
    assert trial.state == TrialState.PRUNED and sorted(trial.intermediate_values) == [0]
    rows = es.folds_of(store, trial.user_attrs["run_id"])
    assert [r.status for r in rows] == ["finished", "failed", "failed"]
    assert [store.get_run(r.child_run_id).status for r in rows] == ["finished", "stopped", "stopped"]
    assert store.get_run(trial.user_attrs["run_id"]).stop_reason == "pruned"


@pytest.mark.slow
def test_recheck_through_the_cli_on_a_tiny_study(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'lens.db'}"
    storage = f"journal:{tmp_path / 'sweeps.journal'}"
    code = main(
        [
            "start",
            "--name",
            "tiny",
            "--source",
            "sample:IBM",
            "--rnn-unit",
            "2:6",
            "--layer-num",
            "1",
            "--time-step",
            "5",
            "--epochs",
            "1",
            "--trials",
            "2",
            "--workers",
            "1",
            "--pruner",
            "none",
            "--objective",
            "folds:2",
            "--sampler-seed",
            "1",
            "--storage",
            storage,
            "--db",
            db,
        ]
    )
    assert code == 0, capsys.readouterr().err
    assert "scored on folds:2" in capsys.readouterr().out
    assert main(["recheck", "tiny", "--top", "2", "--folds", "2", "--storage", storage, "--db", db]) == 0
    out = capsys.readouterr().out
    assert "Re-check of study tiny on its holdout" in out
    assert "DM p (beats persistence)" in out
    assert "Hansen's SPA (does any of the 2 trials beat persistence" in out
    assert "best other baseline" in out and "DM p (beats it)" in out
    assert "Hansen's SPA against ridge on the same windows (the strongest of the trials' ridges)" in out
    assert "Model Confidence Set (90%, trials with persistence and ridge as benchmarks)" in out
    assert main(["recheck", "nope", "--storage", storage, "--db", db]) == 2
