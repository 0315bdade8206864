"""Study bookkeeping without training: storage choice, budget, stop and resume, orphaned trials, leaderboard."""

import os
import socket
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from model.engine.config import LstmConfig
from model.errors import SweepError
from model.sweep import board
from model.sweep import study as studies
from model.sweep.space import SearchSpace, int_range


@pytest.fixture
def storage(tmp_path):
    return f"journal:{tmp_path / 'sweeps.journal'}"


SPACE = SearchSpace(LstmConfig(epochs=2), (int_range("rnn_unit", 4, 8),))


def test_default_storage_is_a_journal_next_to_the_run_store_and_lens_db_can_name_a_server(
    tmp_path, monkeypatch
):
    monkeypatch.setenv("LENS_DB", f"sqlite:///{tmp_path / 'store' / 'lens.db'}")
    assert studies.resolve_storage_url() == f"journal:{tmp_path / 'store' / 'sweeps.journal'}"
    monkeypatch.setenv("LENS_DB", "postgresql+psycopg://u@host/db")
    assert studies.resolve_storage_url() == "postgresql+psycopg://u@host/db"
    assert studies.resolve_storage_url("journal:/x.journal") == "journal:/x.journal"


def test_budget_stop_and_resume(storage):
    study = studies.create_study(
        "s1", SPACE, "sample:IBM", trials=2, storage=storage, run_db="sqlite:///unused.db"
    )
    assert studies.budget_left(study)
    for value in (0.5, 0.4):
        trial = study.ask()
        study.tell(trial, value)
    failed = study.ask()
    study.tell(failed, state=TrialState.FAIL)  # a failure does not use the budget...
    assert not studies.budget_left(study)  # ...but two complete trials do
    studies.resume_study("s1", storage, more_trials=3)
    study = studies.open_study("s1", storage)
    assert studies.settings_of(study).trials == 5 and studies.budget_left(study)
    studies.request_stop("s1", storage)
    assert not studies.budget_left(studies.open_study("s1", storage))
    studies.resume_study("s1", storage, more_trials=1)
    assert studies.budget_left(studies.open_study("s1", storage))
    with pytest.raises(SweepError, match="already exists"):
        studies.create_study("s1", SPACE, "sample:IBM", storage=storage)
    with pytest.raises(SweepError, match="No study named 'nope'"):
        studies.open_study("nope", storage)
    with pytest.raises(SweepError, match="Study name"):
        studies.create_study("bad name!", SPACE, "sample:IBM", storage=storage)
    assert [s.name for s in studies.list_studies(storage)] == ["s1"]


@pytest.mark.process
def test_a_running_trial_whose_worker_process_is_gone_is_failed_when_the_study_is_opened(storage):
    study = studies.create_study(
        "orphans", SPACE, "sample:IBM", storage=storage, run_db="sqlite:///unused.db"
    )
    gone = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True
    )
    dead_pid = int(gone.stdout)
    orphan, alive = study.ask(), study.ask()
    orphan.set_user_attr("worker", f"{socket.gethostname()}:{dead_pid}")
    alive.set_user_attr("worker", f"{socket.gethostname()}:{os.getpid()}")
    reopened = studies.open_study("orphans", storage)
    states = {t.number: t.state for t in reopened.trials}
    assert states == {orphan.number: TrialState.FAIL, alive.number: TrialState.RUNNING}
    assert "ended mid-trial" in reopened.trials[orphan.number].user_attrs["error"]


def test_the_leaderboard_puts_the_best_complete_trial_first():
    study = optuna.create_study()
    for value in (0.3, 0.1, 0.2):
        trial = study.ask({"rnn_unit": optuna.distributions.IntDistribution(4, 8)})
        trial.report(value * 2, 1)
        study.tell(trial, value)
    pruned = study.ask({"rnn_unit": optuna.distributions.IntDistribution(4, 8)})
    pruned.report(0.05, 1)  # a low loss at epoch 1, but pruned: ranked after the complete trials
    study.tell(pruned, state=TrialState.PRUNED)
    frame = board.leaderboard(study.trials, ["rnn_unit"])
    assert list(frame["trial"]) == [1, 2, 0, 3]
    assert list(frame["state"]) == ["complete", "complete", "complete", "pruned"]
    assert list(frame["epochs"]) == [1, 1, 1, 1]
    best = board.best_trial(study.trials)
    assert (best.number, best.value) == (1, 0.1)
    assert "rnn_unit" in board.format_board(frame)
