"""Studies end to end: real worker processes, real Optuna storage (journal file and PostgreSQL),
every trial a stored run; a killed worker fails its trial and the study goes on; pruning prunes."""

import os
import signal
import subprocess
import sys

import optuna
import pytest
from optuna.trial import TrialState

from model.runs.store import open_store
from model.sweep import study as studies
from model.sweep.__main__ import main
from tests.model.factories import sine_frame
from tests.model.runs.helpers import wait_for

pytestmark = [pytest.mark.process, pytest.mark.slow]  # sweep worker processes, a PostgreSQL cluster

# A tiny network on 300 rows of a noisy sine: one epoch takes well under a second.
TINY_SPACE = [
    "--rnn-unit",
    "2:6",
    "--layer-num",
    "1",
    "--time-step",
    "5:8",
    "--features",
    "close,change",
    "--batch-size",
    "32",
    "--patience",
    "0",
    "--learning-rate",
    "1e-3:3e-2:log",
]


@pytest.fixture
def prices_csv(tmp_path):
    path = tmp_path / "sine.csv"
    sine_frame().to_csv(path)
    return path


def run_study(prices_csv, storage, db, *, name, trials, workers, epochs=1, extra=()):
    return main(
        [
            "start",
            "--name",
            name,
            "--source",
            f"csv:{prices_csv}",
            *TINY_SPACE,
            "--epochs",
            str(epochs),
            "--trials",
            str(trials),
            "--workers",
            str(workers),
            "--storage",
            storage,
            "--db",
            db,
            *extra,
        ]
    )


def check_finished_study(name, storage, db, trials):
    study = studies.open_study(name, storage)
    done = study.get_trials(deepcopy=False)
    complete = [t for t in done if t.state == TrialState.COMPLETE]
    assert len(complete) >= trials, [(t.number, t.state, t.user_attrs.get("error")) for t in done]
    joined = [k for k in study.user_attrs if k.startswith("worker:")]
    assert len(joined) == 2  # both worker processes joined the one study
    store = open_store(db)
    runs = {r.trial: r for r in store.list_runs() if r.study == name}
    for trial in complete:
        run = runs[trial.number]
        assert (run.origin, run.status, run.id) == ("sweep", "finished", trial.user_attrs["run_id"])
        assert run.worker_pid != os.getpid()  # trained in a worker process, not here
        assert run.metric("rmse") is not None  # test metrics stored (never used by the search)
        val_losses = [h["val_loss"] for h in store.get_run(run.id).history]
        assert trial.value == pytest.approx(min(val_losses))  # scored on the validation loss
    store.close()
    return study


def test_a_tiny_study_through_the_cli_with_two_workers_on_the_journal(prices_csv, tmp_path, capsys):
    storage, db = f"journal:{tmp_path / 'sweeps.journal'}", f"sqlite:///{tmp_path / 'lens.db'}"
    assert run_study(prices_csv, storage, db, name="tiny", trials=3, workers=2) == 0
    check_finished_study("tiny", storage, db, 3)
    capsys.readouterr()

    assert main(["status", "tiny", "--storage", storage]) == 0
    status = capsys.readouterr().out
    assert "complete" in status and "rnn_unit" in status and "validation" in status
    assert main(["best", "tiny", "--storage", storage]) == 0
    assert f"python -m model.train --csv {prices_csv} " in capsys.readouterr().out  # the study's data
    assert main(["list", "--storage", storage]) == 0
    assert "tiny" in capsys.readouterr().out
    assert run_study(prices_csv, storage, db, name="tiny", trials=3, workers=2) == 2
    assert "already exists" in capsys.readouterr().err


def test_the_same_study_on_a_real_postgresql_server(prices_csv, postgres_url):
    assert run_study(prices_csv, postgres_url, postgres_url, name="pg", trials=2, workers=2) == 0
    study = check_finished_study("pg", postgres_url, postgres_url, 2)
    assert isinstance(studies.open_storage(postgres_url), optuna.storages.RDBStorage)
    assert study.user_attrs[studies.META]["run_db"] == postgres_url


def test_a_worker_killed_mid_trial_leaves_the_trial_failed_and_the_study_continues(prices_csv, tmp_path):
    storage, db = f"journal:{tmp_path / 'sweeps.journal'}", f"sqlite:///{tmp_path / 'lens.db'}"
    command = [
        sys.executable,
        "-m",
        "model.sweep",
        "start",
        "--name",
        "kill",
        "--source",
        f"csv:{prices_csv}",
        *TINY_SPACE,
        "--epochs",
        "6",
        "--trials",
        "2",
        "--workers",
        "1",
        "--pruner",
        "none",
        "--storage",
        storage,
        "--db",
        db,
    ]
    supervisor = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:

        def first_trial_training():
            if not (tmp_path / "sweeps.journal").exists():
                return None
            study = optuna.load_study(study_name="kill", storage=studies.open_storage(storage))
            running = [
                t
                for t in study.get_trials(deepcopy=False)
                if t.state == TrialState.RUNNING and t.intermediate_values and "worker" in t.user_attrs
            ]
            return running[0] if running else None

        victim = wait_for(first_trial_training, timeout=180.0, poll=0.2)
        os.kill(int(victim.user_attrs["worker"].rpartition(":")[2]), signal.SIGKILL)
        output, _ = supervisor.communicate(timeout=300)
    finally:
        if supervisor.poll() is None:
            supervisor.kill()
    assert supervisor.returncode == 0, output
    study = studies.open_study("kill", storage)
    trial = study.trials[victim.number]
    assert trial.state == TrialState.FAIL and "ended mid-trial" in trial.user_attrs["error"]
    complete = [t for t in study.trials if t.state == TrialState.COMPLETE]
    assert len(complete) == 2  # a replacement worker used the whole budget
    store = open_store(db)
    assert store.get_run(victim.user_attrs["run_id"]).status == "interrupted"
    store.close()


def test_median_pruning_stops_a_hopeless_trial_early(tmp_path):
    """Four trials with a good learning rate, then one with a learning rate too small to learn anything
    in four epochs: its validation loss is above the median of the others' at epoch 1, so it is pruned there."""
    from model.data import PriceTable
    from model.engine.config import LstmConfig
    from model.sweep.objective import make_objective, make_pruner
    from model.sweep.space import SearchSpace, choices

    base = LstmConfig(
        rnn_unit=4,
        layer_num=1,
        time_step=5,
        features=("close", "change"),
        epochs=4,
        batch_size=16,
        patience=0,
        seed=1,
    )
    space = SearchSpace(base, (choices("learning_rate", [0.02, 1e-5]),)).check()
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}")
    study = optuna.create_study(pruner=make_pruner("median"))
    for lr in (0.02, 0.02, 0.02, 0.02, 1e-5):
        study.enqueue_trial({"learning_rate": lr})
    objective = make_objective("prune", space, PriceTable(sine_frame(), "sine"), store)
    study.optimize(objective, n_trials=5)

    states = [t.state for t in study.trials]
    assert states == [TrialState.COMPLETE] * 4 + [TrialState.PRUNED]
    hopeless = study.trials[4]
    assert max(hopeless.intermediate_values) == 1  # cut after epoch 1 of 4
    run = store.get_run(hopeless.user_attrs["run_id"])
    assert (run.status, run.stop_reason, run.epochs_run, run.origin) == (
        "stopped",
        "pruned",
        1,
        "sweep",
    )  # no batch of epoch 2
    assert run.metric("rmse") is not None  # a pruned trial is still a complete, openable run
    store.close()
