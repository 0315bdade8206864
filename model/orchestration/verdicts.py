"""A stored run's one verdict, whatever kind of run it is: a walk-forward run's from its folds'
evidence, a single run's as its worker stored it (``model.runs.verdicts``), or judged again from its
stored files for runs stored before verdicts were."""

from __future__ import annotations

import logging

from model.errors import LensError
from model.evidence.verdict import Verdict
from model.orchestration.reading import load_walk_forward
from model.runs.store import RunStore
from model.runs.verdicts import judge_stored_run, read_verdict

log = logging.getLogger(__name__)


def run_verdict(store: RunStore, record) -> Verdict | None:
    """The verdict of a stored run (a RunRecord or its id); None while it has no result to judge."""
    if isinstance(record, int):
        record = store.get_run(record, with_history=False)
    walk_forward = load_walk_forward(store, record.id)
    if walk_forward is not None:
        return walk_forward.evidence.verdict
    if record.status not in ("finished", "stopped") or record.stop_reason == "cancelled":
        return None
    stored = read_verdict(record.files_dir)
    if stored is not None:
        return stored
    try:
        return judge_stored_run(store, record.id)
    except (LensError, OSError, KeyError, ValueError) as exc:
        log.warning("Run %s has no verdict: %s", record.id, exc)
        return None
