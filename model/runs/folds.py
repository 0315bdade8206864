"""A walk-forward fold's child run, as the run layer executes it, and the fold writes the
orchestration layer asks of the store.

``execute_run`` (model/runs/execute.py) trains every run the same way; for a fold's child run it
asks this module for the fold's windows (``fold_data``), the warm start (``warm_model``) and, when
training ended, stores the fold's score against the baseline ladder (``record_fold``). The
coordination of the folds (which fold runs when, the pooling) is model/orchestration's.
"""

from __future__ import annotations

import pandas as pd

from model.engine.config import LstmConfig
from model.evidence.folds import prepare_fold
from model.evidence.walkforward import score_fold
from model.runs import evidence_store as es
from model.runs.schema import evidence_folds, runs
from model.runs.store import RunStore


def fold_data(store: RunStore, run_id: int, frame: pd.DataFrame, config: LstmConfig):
    """(PreparedData, FoldRow) for a fold's child run; (prepare_data(...), None) for any other run."""
    from model.engine.windows import prepare_data

    row = es.fold_of_child(store, run_id)
    if row is None:
        return prepare_data(frame, config), None
    return prepare_fold(frame, config, row.fold), row


def warm_model(store: RunStore, row: es.FoldRow | None):
    """Warm mode: the previous fold's trained network, to continue from; None otherwise."""
    if row is None or row.warm_from is None:
        return None
    from model.engine.saving import load_run

    return load_run(store.get_run(row.warm_from, with_history=False).files_dir).model


def record_fold(store: RunStore, row: es.FoldRow | None, data, evaluation, run) -> None:
    """Score a trained fold against the ladder on its test points and store the fold's record."""
    if row is None:
        return
    test = evaluation.split("test")
    result = score_fold(
        row.fold, data, test["predicted"].to_numpy(), epochs=len(run.history), seconds=run.seconds
    )
    es.end_fold(store, row.child_run_id, "finished", record=result.to_dict())


def set_epochs_run(store: RunStore, run_id: int, epochs: int) -> None:
    """A walk-forward run's epochs: its folds' total (it trains none itself, so has no history)."""
    with store.writing("recording a walk-forward run's epochs") as conn:
        conn.execute(runs.update().where(runs.c.id == run_id).values(epochs_run=int(epochs)))


def replace_child(store: RunStore, old_child: int, new_child: int) -> None:
    """Point a fold at a new child run (a fold whose run was interrupted trains again as a new run)."""
    with store.writing("replacing a fold's run") as conn:
        conn.execute(
            evidence_folds.update()
            .where(evidence_folds.c.child_run_id == old_child)
            .values(child_run_id=new_child, status="queued", error=None, record=None)
        )
