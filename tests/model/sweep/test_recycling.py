"""Sweep workers are recycled like the run pool's: after max_trials a worker exits (code 75) and the
supervisor starts a fresh one while budget is left; that is not a crash."""

import pytest
from optuna.trial import TrialState

from model.runs.processes import RECYCLED_EXIT
from model.sweep import study as studies
from model.sweep.__main__ import parse_args, space_from_arguments
from model.sweep.workers import supervise, worker_args
from tests.model.factories import sine_frame
from tests.model.sweep.test_studies import TINY_SPACE

pytestmark = pytest.mark.slow


def test_a_worker_recycled_after_each_trial_still_finishes_the_study(tmp_path):
    csv = tmp_path / "sine.csv"
    sine_frame().to_csv(csv)
    storage, db = f"journal:{tmp_path / 'sweeps.journal'}", f"sqlite:///{tmp_path / 'lens.db'}"
    args = parse_args(["start", "--name", "recycled", "--source", f"csv:{csv}", *TINY_SPACE, "--epochs", "1"])
    studies.create_study(
        "recycled", space_from_arguments(args), f"csv:{csv}", trials=3, storage=storage, run_db=db
    )

    assert supervise("recycled", storage, workers=1, db=db, max_trials=1) == 0
    study = studies.open_study("recycled", storage)
    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    assert len(complete) == 3
    workers = [v for k, v in study.user_attrs.items() if k.startswith("worker:")]
    assert len(workers) == 3 and all(w.get("trials") == 1 for w in workers)  # three processes, one trial each


def test_the_worker_command_carries_its_trial_limit():
    args = worker_args("s", "journal:x", db=None, threads=1, index=0, max_trials=7)
    assert args[args.index("--max-trials") + 1] == "7"
    assert RECYCLED_EXIT == 75
