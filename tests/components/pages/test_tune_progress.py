"""Tune tells the truth: "Starting workers…" until one trains, a bar of finished trials that says how
many run, whole trial numbers and a loss axis from 0, one name for the objective, and the study's
time estimated before Start from this machine's stored runs."""

from __future__ import annotations

import pandas as pd
import pytest

from components import run_client
from components.figures import sweeps as sweep_figures
from model.data import load_sample
from model.engine.config import LstmConfig
from model.sweep import board as boards
from tests.components.conftest import assert_clean, goto, new_app, texts


def _view(counts, *, workers=0, active=True, budget=3, stop=False) -> boards.StudyView:
    return boards.StudyView(
        name="s", knob_names=("rnn_unit",), board=pd.DataFrame(), best=None, counts=counts, budget=budget,
        deadline=None, stop_requested=stop, workers=workers, active=active, signature=(),
    )  # fmt: skip


def test_starting_until_a_worker_trains_then_finished_trials_and_running_ones():
    starting = boards.trial_progress(_view({}, workers=0))
    assert starting.starting and starting.text.startswith("Starting workers…")
    running = boards.trial_progress(_view({"complete": 1, "running": 2}, workers=2))
    assert not running.starting
    assert running.text == "1 of 3 trials finished · 2 running"
    assert running.fraction == pytest.approx(1 / 3)  # running trials do not fill the bar
    ended = boards.trial_progress(_view({"complete": 2, "pruned": 1, "failed": 1}, active=False))
    assert ended.fraction == 1.0 and ended.text == "3 of 3 trials finished · 0 running · 1 failed"
    assert not boards.trial_progress(_view({}, workers=0, stop=True)).starting


def test_one_name_for_the_objective():
    assert boards.objective_name("holdout") == "validation loss (one split)"
    assert boards.objective_name("folds:3") == "mean validation loss over 3 walk-forward folds"
    from components.pages import tune_evidence

    assert tune_evidence.OBJECTIVE_LABELS["holdout"].lower() == boards.objective_name("holdout")


def test_history_has_whole_trial_numbers_and_a_loss_axis_from_zero():
    import optuna

    optuna.logging.set_verbosity(optuna.logging.WARNING)
    study = optuna.create_study()
    study.optimize(lambda t: (t.suggest_float("x", -1, 1)) ** 2 + 0.01, n_trials=3)
    fig = sweep_figures.history_figure(study)
    assert fig.layout.xaxis.tickformat == "d" and fig.layout.xaxis.dtick == 1
    assert fig.layout.yaxis.rangemode == "nonnegative"
    assert sweep_figures.integer_trials(fig, 45).layout.xaxis.dtick == 5


def test_before_start_the_page_estimates_the_study_from_stored_runs():
    store = run_client.store()
    config = LstmConfig(rnn_unit=8, layer_num=1, time_step=10, epochs=2)
    run_id = store.create_run(config, load_sample("GOOG"), "ui")
    store.start(run_id)
    store.progress(run_id, {"epoch": 2, "epochs": 2, "batch": 10, "batches": 10})
    store.add_epoch(run_id, 1, 1.0, 1.0)
    store.add_epoch(run_id, 2, 0.5, 0.6)
    store.finish(run_id, "finished", seconds=4.0)
    at = goto(new_app(), "tune")
    assert_clean(at)
    lines = [c for c in texts(at, "caption") if c.startswith("About ")]
    assert lines and " on " in lines[0] and "20 trials of about" in lines[0], texts(at, "caption")
    assert "stored on this machine" in lines[0]
