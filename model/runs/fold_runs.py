"""Fold runs belong to their walk-forward run: lists hide them behind it, the parent says how many
folds it has, and deleting the parent deletes its fold runs (a fold run alone is refused).

A walk-forward run stores one child run per (seed, fold) (model/orchestration/walkforward.py); those children
are ordinary runs in the ``runs`` table, tied to their parent only by ``evidence_folds``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

import sqlalchemy as sa

from model.errors import StopRefusedError, StoreError
from model.runs import capability
from model.runs.schema import evidence_folds, evidence_runs
from model.runs.store import RunStore


@dataclass(frozen=True)
class FoldPlace:
    parent: int  # the walk-forward run
    seed_index: int
    fold: int  # 0-based
    folds: int  # K
    seeds: int


@dataclass(frozen=True)
class FoldIndex:
    """Which stored runs are folds, and of which walk-forward run (one read of the evidence tables)."""

    places: dict[int, FoldPlace] = field(default_factory=dict)  # fold run id -> where it sits
    children: dict[int, list[int]] = field(default_factory=dict)  # parent -> fold run ids, (seed, fold) order
    shapes: dict[int, tuple[int, int]] = field(default_factory=dict)  # parent -> (folds, seeds)

    def is_fold(self, run_id: int) -> bool:
        return run_id in self.places

    def parent_text(self, run_id: int) -> str:
        """'5 folds', '5 folds × 3 seeds' for a walk-forward run; 'fold 2/5 of run 10' for a fold run."""
        if run_id in self.shapes:
            folds, seeds = self.shapes[run_id]
            return f"{folds} folds" + (f" × {seeds} seeds" if seeds > 1 else "")
        place = self.places.get(run_id)
        if place is None:
            return ""
        seed = f", seed {place.seed_index + 1}/{place.seeds}" if place.seeds > 1 else ""
        return f"fold {place.fold + 1}/{place.folds}{seed} of run {place.parent}"


def fold_index(store: RunStore) -> FoldIndex:
    query = (
        sa.select(
            evidence_folds.c.child_run_id,
            evidence_folds.c.run_id,
            evidence_folds.c.seed_index,
            evidence_folds.c.fold,
            evidence_runs.c.folds,
            evidence_runs.c.seeds,
        )
        .join(evidence_runs, evidence_runs.c.run_id == evidence_folds.c.run_id)
        .order_by(evidence_folds.c.run_id, evidence_folds.c.seed_index, evidence_folds.c.fold)
    )
    with store.reading("listing fold runs") as conn:
        rows = conn.execute(query).all()
        shapes = {r.run_id: (r.folds, r.seeds) for r in conn.execute(sa.select(evidence_runs))}
    places: dict[int, FoldPlace] = {}
    children: dict[int, list[int]] = {}
    for child, parent, seed_index, fold, folds, seeds in rows:
        places[child] = FoldPlace(parent, seed_index, fold, folds, seeds)
        children.setdefault(parent, []).append(child)
    return FoldIndex(places, children, shapes)


def visible_runs(records: Sequence, index: FoldIndex, *, folds: bool = False) -> tuple[list, int]:
    """The records a list shows (fold runs left out unless ``folds``) and how many fold runs it hides."""
    if folds:
        return list(records), 0
    shown = [r for r in records if not index.is_fold(r.id)]
    return shown, len(records) - len(shown)


def _refusal(record, owner: str | None) -> str | None:
    """Why the store would refuse to delete this run now (as RunStore.delete_run decides), or None."""
    if record.status == "running":
        return "still running"
    if record.active and record.owner_hash is not None and not capability.matches(owner, record.owner_hash):
        return f"{record.status} for another session"
    return None


def delete_run(
    store: RunStore, run_id: int, owner: str | None = None, index: FoldIndex | None = None
) -> list[int]:
    """Delete a run; a walk-forward run goes with its fold runs (folds first, then the parent).

    A fold run alone is refused (its walk-forward run's evidence is made of it). Every run is
    checked before anything is deleted, so a refusal deletes nothing. Returns the deleted ids.
    """
    index = index or fold_index(store)
    place = index.places.get(run_id)
    if place is not None:
        raise StoreError(
            f"Run {run_id} is {index.parent_text(run_id)}, a walk-forward run: delete run {place.parent}, "
            "which deletes its fold runs with it."
        )
    wanted = index.children.get(run_id, [])
    if not wanted:  # an ordinary run: the store's own checks and messages
        store.delete_run(run_id, owner)
        return [run_id]
    parent = store.get_run(run_id, with_history=False)
    by_id = {r.id: r for r in store.list_runs(ids=wanted)}
    children = [by_id[i] for i in wanted if i in by_id]  # (seed, fold) order; already gone: skipped
    refusals = [(r.id, why) for r in (parent, *children) if (why := _refusal(r, owner))]
    if refusals:
        listed = "; ".join(f"run {i} is {why}" for i, why in refusals)
        refused = StoreError if any(why == "still running" for _, why in refusals) else StopRefusedError
        raise refused(
            f"Run {run_id} and its {len(children)} fold runs were not deleted: {listed}. "
            "Stop the walk-forward run first (its folds stop with it); a run queued by another session "
            "can be deleted by that session, or by anyone once it has ended."
        )
    deleted = []
    for child in children:
        store.delete_run(child.id, owner)
        deleted.append(child.id)
    store.delete_run(run_id, owner)
    return [*deleted, run_id]


def delete_order(run_ids: Iterable[int], index: FoldIndex) -> list[int]:
    """Selected runs in the order to delete them: fold runs whose parent is also selected are left
    out (the parent takes them along), the rest keep their order."""
    wanted = list(dict.fromkeys(int(i) for i in run_ids))
    chosen = set(wanted)
    return [i for i in wanted if not (index.is_fold(i) and index.places[i].parent in chosen)]
