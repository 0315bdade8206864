"""A walk-forward run's progress and epochs come from its fold runs: "fold 2 of 3 · epoch 4 of 5",
the folds' total in `python -m model.runs list`, never 0 epochs for a run whose folds trained."""

from __future__ import annotations

import pytest

from model.engine.config import LstmConfig
from model.orchestration.walkforward import start_walk_forward
from model.runs import __main__ as runs_cli
from model.runs import evidence_store as es
from model.runs import fold_progress, fold_runs
from model.runs.store import open_store
from tests.model.evidence.helpers import synth
from tests.model.runs.helpers import TINY

CONFIG = LstmConfig(features=("close",), time_step=10, epochs=5)


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


def _train(store, run_id: int, epochs: int, *, finish: bool = True) -> None:
    store.start(run_id)
    for epoch in range(1, epochs + 1):
        store.add_epoch(run_id, epoch, loss=1.0 / epoch, val_loss=2.0 / epoch)
    if finish:
        store.finish(run_id, "finished", seconds=1.0)


def test_progress_names_the_fold_in_training_and_its_epoch(store):
    parent = start_walk_forward(store, CONFIG, synth(2), folds=3, seeds=1)
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    assert fold_progress.fold_progress(store, store.create_run(TINY, synth(0), "ui")) is None
    waiting = fold_progress.fold_progress(store, parent)
    assert waiting.done == 0 and waiting.epochs_run == 0 and waiting.fraction == 0.0
    assert waiting.text.startswith("Waiting for a worker")

    _train(store, children[0], 5)
    _train(store, children[1], 3, finish=False)
    store.progress(children[1], {"epoch": 4, "epochs": 5, "batch": 2, "batches": 9})
    live = fold_progress.fold_progress(store, parent)
    assert live.text == "fold 2 of 3 · epoch 4 of 5 · 1 of 3 folds done"
    assert live.done == 1 and [s.run_id for s in live.training] == [children[1]]
    assert live.fraction == pytest.approx((5 + 4) / 15)

    store.finish(children[1], "finished", seconds=1.0)
    _train(store, children[2], 2)
    store.finish(parent, "finished", seconds=42.0)
    done = fold_progress.fold_progress(store, parent)
    assert done.epochs_run == 5 + 3 + 2 and done.per_fold == "5 + 3 + 2"
    assert done.text == "All 3 folds trained · 10 epochs in all"
    summary = fold_progress.fold_summary(done, 42.0, "finished")
    assert summary == "Finished: all 3 folds trained, 10 epochs (5 + 3 + 2) in 42 s."
    assert " 0 epoch" not in summary and "no epoch had finished" not in summary


def test_two_folds_training_and_seeds_are_named(store):
    parent = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=2)
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    for child in children[:2]:
        _train(store, child, 1, finish=False)
    live = fold_progress.fold_progress(store, parent)
    assert live.text == "seed 1 of 2 · fold 1 of 2 · epoch 1 of 5 (+1 more fold training)"


def test_cli_list_shows_the_folds_total_epochs(store, capsys):
    parent = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=1)
    for child in (r.child_run_id for r in es.folds_of(store, parent)):
        _train(store, child, 4)
    store.finish(parent, "finished", seconds=3.0)
    index = fold_runs.fold_index(store)
    assert fold_progress.fold_epochs(store.list_runs(ids=[parent]), index, store) == {parent: 8}
    runs_cli.main(["--db", store.where, "list"])
    line = next(x for x in capsys.readouterr().out.splitlines() if x.strip().startswith(str(parent)))
    assert "None" not in line
    assert line.split()[8] == "8"  # the epochs column: 4 + 4
