"""Reading and writing the walk-forward evidence tables (schema version 2) through a RunStore.

Kept out of model/runs/store.py (at its size limit); uses the store's own transactions, so the
same error handling (StoreError with the database named) applies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from model.evidence.folds import Fold
from model.runs.schema import evidence_folds, evidence_runs
from model.runs.store import RunStore


@dataclass(frozen=True)
class FoldRow:
    run_id: int  # the parent (walk-forward) run
    seed_index: int
    fold: Fold
    child_run_id: int
    warm_from: int | None
    status: str
    error: str | None
    record: dict[str, Any] | None


@dataclass(frozen=True)
class EvidenceRow:
    run_id: int
    folds: int
    mode: str
    seeds: int
    span: float
    summary: dict[str, Any] | None


def _json_safe(value):
    """NaN and infinities -> None (PostgreSQL's JSON and strict JSON refuse them)."""
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return value


def add_evidence_run(store: RunStore, run_id: int, *, folds: int, mode: str, seeds: int, span: float) -> None:
    with store.writing("recording a walk-forward run") as conn:
        conn.execute(
            evidence_runs.insert().values(run_id=run_id, folds=folds, mode=mode, seeds=seeds, span=span)
        )


def add_fold(
    store: RunStore, run_id: int, seed_index: int, fold: Fold, child_run_id: int, warm_from: int | None = None
) -> None:
    with store.writing("recording a fold") as conn:
        conn.execute(
            evidence_folds.insert().values(
                run_id=run_id,
                seed_index=seed_index,
                fold=fold.index,
                child_run_id=child_run_id,
                warm_from=warm_from,
                val_start=fold.val_start,
                test_start=fold.test_start,
                test_end=fold.test_end,
                status="queued",
            )
        )


def set_warm_from(store: RunStore, child_run_id: int, warm_from: int) -> None:
    with store.writing("recording a warm start") as conn:
        conn.execute(
            evidence_folds.update()
            .where(evidence_folds.c.child_run_id == child_run_id)
            .values(warm_from=warm_from)
        )


def end_fold(
    store: RunStore, child_run_id: int, status: str, *, record: dict | None = None, error: str | None = None
) -> None:
    with store.writing("recording a fold's result") as conn:
        conn.execute(
            evidence_folds.update()
            .where(evidence_folds.c.child_run_id == child_run_id)
            .values(status=status, record=_json_safe(record), error=error)
        )


def set_summary(store: RunStore, run_id: int, summary: dict) -> None:
    with store.writing("recording a walk-forward summary") as conn:
        conn.execute(
            evidence_runs.update().where(evidence_runs.c.run_id == run_id).values(summary=_json_safe(summary))
        )


def _fold_row(row) -> FoldRow:
    fold = Fold(row.fold, row.val_start, row.test_start, row.test_end)
    return FoldRow(
        row.run_id, row.seed_index, fold, row.child_run_id, row.warm_from, row.status, row.error, row.record
    )


def fold_of_child(store: RunStore, child_run_id: int) -> FoldRow | None:
    """The fold a run trains, or None for an ordinary run."""
    with store.reading("reading a fold") as conn:
        row = conn.execute(
            sa.select(evidence_folds).where(evidence_folds.c.child_run_id == child_run_id)
        ).first()
    return None if row is None else _fold_row(row)


def folds_of(store: RunStore, run_id: int) -> list[FoldRow]:
    with store.reading("reading folds") as conn:
        rows = conn.execute(
            sa.select(evidence_folds)
            .where(evidence_folds.c.run_id == run_id)
            .order_by(evidence_folds.c.seed_index, evidence_folds.c.fold)
        ).all()
    return [_fold_row(r) for r in rows]


def evidence_run(store: RunStore, run_id: int) -> EvidenceRow | None:
    """The walk-forward settings and summary of a run, or None when it is not a walk-forward run."""
    with store.reading("reading a walk-forward run") as conn:
        row = conn.execute(sa.select(evidence_runs).where(evidence_runs.c.run_id == run_id)).first()
    return (
        None
        if row is None
        else EvidenceRow(row.run_id, row.folds, row.mode, row.seeds, row.span, row.summary)
    )


def evidence_run_ids(store: RunStore) -> set[int]:
    with store.reading("listing walk-forward runs") as conn:
        return set(conn.execute(sa.select(evidence_runs.c.run_id)).scalars())


def fold_child_ids(store: RunStore) -> set[int]:
    """Runs that are folds of a walk-forward run (lists may hide them behind their parent)."""
    with store.reading("listing fold runs") as conn:
        return set(conn.execute(sa.select(evidence_folds.c.child_run_id)).scalars())
