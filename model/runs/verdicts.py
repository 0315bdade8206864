"""A stored run's one verdict (``model.evidence.verdict``), the same for every page and the CLI.

A walk-forward run's verdict comes from its folds' records (``load_walk_forward``: the same pooling
its stored summary was made with). A single run's is computed by the worker when it finishes, from
the test period and the ladder on the same points, and stored beside its predictions
(``verdict.json``); a run stored before that is judged the same way from its stored predictions and
price table (numpy only: no TensorFlow), and the result is not written back.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from model.evidence.verdict import Verdict
from model.runs.files import write_atomically
from model.runs.store import RunStore

VERDICT_FILE = "verdict.json"

log = logging.getLogger(__name__)


def write_verdict(verdict: Verdict, folder: Path) -> None:
    text = json.dumps(_safe(verdict.to_dict()))
    write_atomically(Path(folder) / VERDICT_FILE, lambda tmp: Path(tmp).write_text(text))


def _safe(value):
    if isinstance(value, float):
        return value if value == value and value not in (float("inf"), float("-inf")) else None
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    return value


def read_verdict(folder: Path | None) -> Verdict | None:
    path = None if folder is None else Path(folder) / VERDICT_FILE
    if path is None or not path.exists():
        return None
    try:
        return Verdict.from_dict(json.loads(path.read_text()))
    except (OSError, ValueError, TypeError) as exc:
        log.warning("Ignoring the unreadable verdict file %s: %s", path, exc)
        return None


def judge_stored_run(store: RunStore, run_id: int) -> Verdict:
    """A single run's verdict from its stored predictions and price table (no TensorFlow)."""
    from model.engine.config import LstmConfig
    from model.evidence.baselines import baseline_ladder
    from model.evidence.verdict import split_verdict
    from model.runs.folds import fold_data
    from model.runs.run_files import load_evaluation

    record = store.get_run(run_id, with_history=False)
    config = LstmConfig.from_dict(record.config)
    evaluation = load_evaluation(store, run_id)
    data, _ = fold_data(store, run_id, store.load_prices(run_id), config)
    horizon = 1 if config.target_mode == "next_day" else config.time_step
    ladder = baseline_ladder(data).predictions if len(data.test) else None
    return split_verdict(evaluation.split("test"), ladder, horizon)
