"""What a study looks like: a leaderboard and its best trial, as plain records (no Streamlit).

The terminal (``status``, ``best``) and the Tune page both draw these records.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import pandas as pd

STATE_NAMES = {
    "COMPLETE": "complete",
    "PRUNED": "pruned",
    "FAIL": "failed",
    "RUNNING": "running",
    "WAITING": "waiting",
}


def trial_state(trial) -> str:
    state = STATE_NAMES.get(trial.state.name, trial.state.name.lower())
    if state == "failed" and str(trial.user_attrs.get("error", "")).startswith("abandoned"):
        return "stopped"
    return state


def trial_seconds(trial, now: float | None = None) -> float | None:
    if trial.datetime_start is None:
        return None
    end = trial.datetime_complete.timestamp() if trial.datetime_complete else (now or time.time())
    return round(end - trial.datetime_start.timestamp(), 1)


def trial_epochs(trial) -> int:
    """Epochs the trial trained: the run's count when it ended, its reports while it runs."""
    if "epochs" in trial.user_attrs:
        return int(trial.user_attrs["epochs"])
    return len(trial.intermediate_values)


def best_so_far(trial) -> float | None:
    """The trial's score: its final value, or the lowest validation loss it reported so far."""
    if trial.value is not None:
        return float(trial.value)
    values = [v for v in trial.intermediate_values.values() if v is not None and math.isfinite(v)]
    return min(values) if values else None


def leaderboard(trials, knob_names: list[str] | None = None, now: float | None = None) -> pd.DataFrame:
    """One row per trial, best validation loss first (running and failed trials after the scored ones).

    Columns: trial, state, one per searched knob, val_loss, epochs, seconds, run_id, error.
    """
    rows: list[dict[str, Any]] = []
    names = knob_names or sorted({name for t in trials for name in t.params})
    for trial in trials:
        row: dict[str, Any] = {"trial": trial.number, "state": trial_state(trial)}
        for name in names:
            row[name] = trial.params.get(name)
        row["val_loss"] = best_so_far(trial)
        row["epochs"] = trial_epochs(trial)
        row["seconds"] = trial_seconds(trial, now)
        row["run_id"] = trial.user_attrs.get("run_id")
        row["error"] = trial.user_attrs.get("error") or ""
        rows.append(row)
    columns = ["trial", "state", *names, "val_loss", "epochs", "seconds", "run_id", "error"]
    frame = pd.DataFrame(rows, columns=columns)
    if frame.empty:
        return frame
    rank = frame["state"].map({"complete": 0, "running": 1, "pruned": 2}).fillna(3)
    frame = frame.assign(_rank=rank).sort_values(["_rank", "val_loss", "trial"], na_position="last")
    return frame.drop(columns="_rank").reset_index(drop=True)


@dataclass(frozen=True)
class BestTrial:
    number: int
    value: float
    params: dict[str, Any]
    run_id: int | None
    epochs: int


def best_trial(trials) -> BestTrial | None:
    """The complete trial with the lowest validation loss (None until one completes)."""
    complete = [t for t in trials if t.state.name == "COMPLETE" and t.value is not None]
    if not complete:
        return None
    best = min(complete, key=lambda t: (t.value, t.number))
    return BestTrial(
        best.number, float(best.value), dict(best.params), best.user_attrs.get("run_id"), trial_epochs(best)
    )


def state_counts(trials) -> dict[str, int]:
    counts: dict[str, int] = {}
    for trial in trials:
        state = trial_state(trial)
        counts[state] = counts.get(state, 0) + 1
    return counts


def format_board(frame: pd.DataFrame, limit: int = 20) -> str:
    """The leaderboard as a terminal table."""
    if frame.empty:
        return "(no trials yet)"
    shown = frame.head(limit).drop(columns=["error"]).copy()
    shown["val_loss"] = shown["val_loss"].map(lambda v: "" if v is None or v != v else f"{v:.5f}")
    shown["run_id"] = shown["run_id"].map(lambda v: "" if v is None or v != v else str(int(v)))
    shown["seconds"] = shown["seconds"].map(lambda v: "" if v is None or v != v else f"{v:.1f}")
    for column in shown.columns:
        shown[column] = shown[column].map(
            lambda v: (
                ""
                if v is None or (isinstance(v, float) and v != v)
                else (f"{v:.4g}" if isinstance(v, float) else str(v))
            )
        )
    text = shown.to_string(index=False)
    if len(frame) > limit:
        text += f"\n... {len(frame) - limit} more"
    return text


@dataclass(frozen=True)
class StudyView:
    """Everything the Tune page's live panel shows about a study, read once per poll."""

    name: str
    knob_names: tuple[str, ...]
    board: pd.DataFrame
    best: BestTrial | None
    counts: dict[str, int]
    budget: int | None
    deadline: float | None
    stop_requested: bool
    workers: int  # worker processes of this study still alive on this host
    active: bool  # trials running or workers alive: keep polling
    signature: tuple  # changes whenever a trial starts, reports an epoch or ends (figure cache key)


def study_view(
    study,
    settings,
    workers_alive: int,
    stop_requested: bool,
    now: float | None = None,
    processes_alive: int | None = None,
) -> StudyView:
    """``workers_alive``: trial workers seen running; ``processes_alive``: those plus their
    supervisors (a study just started has a supervisor before its workers have started)."""
    trials = study.get_trials(deepcopy=False)
    names = tuple(p.name for p in settings.space.searched)
    counts = state_counts(trials)
    signature = tuple((t.number, t.state.name, len(t.intermediate_values)) for t in trials)
    return StudyView(
        name=study.study_name,
        knob_names=names,
        board=leaderboard(trials, list(names), now),
        best=best_trial(trials),
        counts=counts,
        budget=settings.trials,
        deadline=settings.deadline,
        stop_requested=stop_requested,
        workers=workers_alive,
        active=(processes_alive if processes_alive is not None else workers_alive) > 0
        or counts.get("running", 0) > 0,
        signature=signature,
    )


@dataclass(frozen=True)
class TrialProgress:
    """The Tune page's bar: finished trials over the budget, how many run, and whether workers start."""

    finished: int  # complete or pruned: trials that ended with a score
    running: int
    failed: int
    budget: int | None
    starting: bool  # the study's processes are up but no worker trains yet (TensorFlow loading)

    @property
    def fraction(self) -> float:
        return min(1.0, self.finished / self.budget) if self.budget else 0.0

    @property
    def text(self) -> str:
        if self.starting:
            return "Starting workers… (each loads TensorFlow before its first trial)"
        of = f" of {self.budget}" if self.budget else ""
        text = f"{self.finished}{of} trials finished · {self.running} running"
        return text + (f" · {self.failed} failed" if self.failed else "")


def trial_progress(view: StudyView) -> TrialProgress:
    counts = view.counts
    finished = counts.get("complete", 0) + counts.get("pruned", 0)
    running = counts.get("running", 0)
    failed = counts.get("failed", 0) + counts.get("stopped", 0)
    starting = view.active and not view.stop_requested and view.workers == 0 and running == 0
    if view.budget is not None and finished >= view.budget:
        starting = False
    return TrialProgress(finished, running, failed, view.budget, starting)


def objective_name(objective: str) -> str:
    """The one name of a study's objective, on the page and in the CLI."""
    if objective.startswith("folds:"):
        return f"mean validation loss over {objective.split(':', 1)[1]} walk-forward folds"
    return "validation loss (one split)"
