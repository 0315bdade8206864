"""A walk-forward run's progress and epochs as the pages show them, read from its fold runs."""

from __future__ import annotations

from components import run_client
from model.errors import StoreError
from model.runs import fold_progress
from model.runs.fold_progress import FoldProgress


def progress_of(record) -> FoldProgress | None:
    """The walk-forward run's fold progress; None for an ordinary run (or an unreachable store)."""
    if record is None:
        return None
    try:
        return fold_progress.fold_progress(run_client.store(), record.id)
    except StoreError:
        return None


def epochs_of(record) -> int:
    """A run's epochs: a walk-forward run's is the total over its folds."""
    progress = progress_of(record)
    return record.epochs_run if progress is None else progress.epochs_run


def progress_text(record, fallback) -> tuple[float, str]:
    """(fraction, text) of a running run's bar: a walk-forward run's from its folds, else ``fallback``'s."""
    progress = progress_of(record)
    if progress is not None:
        return progress.fraction, progress.text
    stored = record.progress
    return (float(stored.get("fraction") or 0.0) if stored else 0.0), fallback(stored)
