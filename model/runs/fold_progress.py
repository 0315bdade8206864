"""A walk-forward run's progress read from its fold runs: "fold 2 of 3 · epoch 4 of 5".

The parent run of a walk-forward run trains nothing itself: its folds are child runs
(model/runs/fold_runs.py), each with its own stored progress and epochs. Pages and the CLI read
the parent's progress and epochs from those children, so a walk-forward run is never shown as
"0 epochs" once its folds trained, whoever coordinates the folds.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable, Mapping

from model.runs.fold_runs import FoldIndex, fold_index
from model.runs.records import RunRecord
from model.runs.store import RunStore

__all__ = ["FoldState", "FoldProgress", "progress_of", "fold_progress", "fold_epochs", "fold_summary"]


@dataclass(frozen=True)
class FoldState:
    """One fold run as the progress panel draws it."""

    run_id: int
    fold: int  # 0-based
    seed_index: int
    status: str
    epoch: int  # epochs finished (the live epoch while running)
    epochs: int  # epochs planned


@dataclass(frozen=True)
class FoldProgress:
    """Where a walk-forward run stands, from its fold runs (in (seed, fold) order)."""

    parent: int
    folds: int
    seeds: int
    states: tuple[FoldState, ...]

    @property
    def done(self) -> int:
        return sum(s.status not in ("queued", "running") for s in self.states)

    @property
    def training(self) -> tuple[FoldState, ...]:
        return tuple(s for s in self.states if s.status == "running")

    @property
    def epochs_run(self) -> int:
        """The run's epochs: the total over its folds."""
        return sum(s.epoch for s in self.states)

    @property
    def fraction(self) -> float:
        planned = sum(max(s.epochs, 1) for s in self.states)
        reached = sum(
            max(s.epochs, 1) if s.status not in ("queued", "running") else min(s.epoch, s.epochs)
            for s in self.states
        )
        return reached / planned if planned else 0.0

    def _place(self, state: FoldState) -> str:
        seed = f"seed {state.seed_index + 1} of {self.seeds} · " if self.seeds > 1 else ""
        return f"{seed}fold {state.fold + 1} of {self.folds}"

    @property
    def text(self) -> str:
        """'fold 2 of 3 · epoch 4 of 5' (the first fold in training), with how many folds are done."""
        total = len(self.states)
        done = f" · {self.done} of {total} folds done" if self.done else ""
        training = self.training
        if not training:
            if self.done == total:
                return f"All {total} folds trained · {self.epochs_run} epochs in all"
            return f"Waiting for a worker for the next fold{done}"
        lead = training[0]
        more = len(training) - 1
        also = f" (+{more} more fold{'s' if more > 1 else ''} training)" if more else ""
        return f"{self._place(lead)} · epoch {lead.epoch} of {lead.epochs}{also}{done}"

    @property
    def per_fold(self) -> str:
        """'5 + 5 + 3' epochs per fold run."""
        return " + ".join(str(s.epoch) for s in self.states)


def _state(place, record: RunRecord | None, run_id: int) -> FoldState:
    if record is None:  # deleted meanwhile
        return FoldState(run_id, place.fold, place.seed_index, "failed", 0, 0)
    planned = int(record.config.get("epochs") or 0)
    epoch = record.epochs_run
    progress = record.progress or {}
    if record.status == "running" and progress.get("stage") != "forecast":
        epoch = max(epoch, int(progress.get("epoch") or 0))
        planned = int(progress.get("epochs") or planned)
    return FoldState(run_id, place.fold, place.seed_index, record.status, epoch, planned)


def progress_of(parent: int, index: FoldIndex, records: Mapping[int, RunRecord]) -> FoldProgress | None:
    """The walk-forward run's progress from already-read records (by id); None for any other run."""
    children = index.children.get(parent)
    if not children:
        return None
    folds, seeds = index.shapes.get(parent, (len(children), 1))
    states = tuple(_state(index.places[c], records.get(c), c) for c in children)
    return FoldProgress(parent, folds, seeds, states)


def fold_progress(store: RunStore, parent: int, index: FoldIndex | None = None) -> FoldProgress | None:
    """Read a walk-forward run's fold runs now; None when ``parent`` is not a walk-forward run."""
    index = index or fold_index(store)
    children = index.children.get(parent)
    if not children:
        return None
    return progress_of(parent, index, {r.id: r for r in store.list_runs(ids=children)})


def fold_epochs(
    records: Iterable[RunRecord], index: FoldIndex, store: RunStore | None = None
) -> dict[int, int]:
    """Walk-forward run id -> its epochs (the total over its fold runs), for the walk-forward runs
    among ``records``; fold runs not among them are read from ``store`` when given."""
    by_id = {r.id: r for r in records}
    parents = [p for p in index.children if p in by_id]
    missing = [c for p in parents for c in index.children[p] if c not in by_id]
    if missing and store is not None:
        by_id.update({r.id: r for r in store.list_runs(ids=missing)})
    return {p: sum(by_id[c].epochs_run for c in index.children[p] if c in by_id) for p in parents}


def fold_summary(progress: FoldProgress, seconds: float | None, status: str) -> str:
    """What became of a walk-forward run, in one sentence ('3 folds trained, 15 epochs (5 + 5 + 5) in 42 s')."""
    total = len(progress.states)
    trained = sum(s.status in ("finished", "stopped") for s in progress.states)
    took = f" in {seconds:.0f} s" if seconds else ""
    verb = {"stopped": "Stopped", "failed": "Failed", "interrupted": "Interrupted"}.get(status, "Finished")
    folds = f"{trained} of {total} folds trained" if trained != total else f"all {total} folds trained"
    return f"{verb}: {folds}, {progress.epochs_run} epochs ({progress.per_fold}){took}."
