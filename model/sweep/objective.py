"""One sweep trial: a stored run trained by the engine's one path, scored on the validation period.

The objective never trains by itself: it creates a run (origin ``sweep``, the study's name and
the trial's number) and hands it to ``model.runs.execute.execute_run``, the path the Train page
and the command line use. After every epoch it reports the validation loss to Optuna and asks
``should_prune()``. The score is the best validation loss the run reached (the run keeps those
weights). The run's test metrics are computed and stored by ``execute_run`` like any run's, but
nothing here reads them: the test period stays unseen by the search.
"""

from __future__ import annotations

import math
import threading
from typing import Any, Callable

import numpy as np

from model.engine.config import LstmConfig
from model.errors import LensError, SweepError

PRUNERS = ("median", "halving", "hyperband", "none")
PRUNER_LABELS = {
    "median": "Median (default)",
    "halving": "Successive halving",
    "hyperband": "Hyperband",
    "none": "No pruning",
}

OBJECTIVES = ("holdout", "folds")
DEFAULT_OBJECTIVE_FOLDS = 3


class TrialFailed(Exception):
    """The trial's run failed (its message is the run's error); Optuna records the trial as failed."""


class StudyStopped(Exception):
    """The study was stopped while this trial trained; the trial is abandoned (recorded as failed)."""


def parse_objective(text: str | None) -> tuple[str, int]:
    """``holdout`` -> ("holdout", 0); ``folds`` / ``folds:K`` -> ("folds", K)."""
    kind, _, k = (text or "holdout").strip().partition(":")
    if kind == "holdout" and not k:
        return "holdout", 0
    if kind == "folds":
        try:
            folds = int(k) if k else DEFAULT_OBJECTIVE_FOLDS
        except ValueError:
            folds = 0
        if 2 <= folds <= 20:
            return "folds", folds
        raise SweepError(f"--objective folds:K needs K between 2 and 20, not {k!r}.")
    raise SweepError(f"Unknown objective {text!r}: use holdout, folds or folds:K.")


def make_pruner(name: str, *, epochs: int | None = None):
    """Optuna's pruner for ``name`` (one of PRUNERS). ``epochs`` bounds Hyperband's resource."""
    import optuna

    if name == "median":
        # Four complete trials before any pruning; from then on a trial whose validation loss is
        # above the median of the others' at the same epoch stops, from its first epoch on.
        return optuna.pruners.MedianPruner(n_startup_trials=4, n_warmup_steps=0)
    if name == "halving":
        return optuna.pruners.SuccessiveHalvingPruner(min_resource=1, reduction_factor=3)
    if name == "hyperband":
        return optuna.pruners.HyperbandPruner(
            min_resource=1, max_resource=epochs or "auto", reduction_factor=3
        )
    if name == "none":
        return optuna.pruners.NopPruner()
    raise SweepError(f"Unknown pruner {name!r}; choose one of {', '.join(PRUNERS)}.")


def best_validation_loss(history) -> float | None:
    values = [h.get("val_loss") for h in history]
    finite = [float(v) for v in values if v is not None and math.isfinite(float(v))]
    return min(finite) if finite else None


def make_objective(
    study_name: str,
    space,
    prices,
    store,
    *,
    stop_requested: Callable[[], bool] = lambda: False,
    on_trial_start: Callable[[Any], None] | None = None,
    objective: str = "holdout",
) -> Callable[[Any], float]:
    """The function ``study.optimize`` calls with each trial.

    ``space``: a ``SearchSpace``; ``prices``: the study's PriceTable; ``store``: an open RunStore;
    ``stop_requested()``: read after every epoch (the study's stop flag). ``on_trial_start(trial)``
    lets the worker tag the trial (its pid) before training starts. ``objective``: ``holdout`` (the
    validation loss of one split) or ``folds:K`` (model.sweep.evidence: mean over K walk-forward folds).
    """
    import optuna

    from model.runs.execute import execute_run

    kind, folds = parse_objective(objective)

    def score_trial(trial: "optuna.Trial") -> float:
        if on_trial_start is not None:
            on_trial_start(trial)
        config = space.config_for(trial)
        if kind == "folds":
            return folds_trial(trial, config, prices, store, study_name, folds, stop_requested=stop_requested)
        run_id = store.create_run(config, prices, origin="sweep", study=study_name, trial=trial.number)
        trial.set_user_attr("run_id", run_id)
        outcome = {"pruned": False, "stopped": False}
        abandon = threading.Event()

        def on_epoch(epoch: int, logs: dict[str, float]) -> bool:
            if outcome["pruned"] or outcome["stopped"]:
                # The engine checks its stop flag after a batch, so the epoch in progress ends
                # (one batch and its validation pass) and is reported too; the trial's record
                # ends where the decision was taken.
                return outcome["pruned"]
            val_loss = logs.get("val_loss")
            if val_loss is None or not math.isfinite(val_loss):
                return False  # no score this epoch (engine reports NaN as a failure itself)
            trial.report(float(val_loss), epoch)
            if stop_requested():
                outcome["stopped"] = True
                abandon.set()  # the run ends as a user stop, not as pruned
                return False
            if trial.should_prune():
                outcome["pruned"] = True
                return True
            return False

        record = execute_run(store, run_id, stop=abandon, on_epoch=on_epoch, forecast=False)
        trial.set_user_attr("epochs", record.epochs_run)
        trial.set_user_attr("seconds", record.seconds)
        if record.status == "failed" or record.status == "interrupted":
            trial.set_user_attr("error", record.error or "the run failed")
            raise TrialFailed(record.error or "the run failed")
        if outcome["stopped"] or record.stop_reason == "user_stop":
            trial.set_user_attr("error", "abandoned: the study was stopped")
            raise StudyStopped("the study was stopped")
        if outcome["pruned"]:
            raise optuna.TrialPruned(f"pruned after epoch {record.epochs_run}")
        score = best_validation_loss(record.history)
        if score is None:
            trial.set_user_attr("error", "no validation loss")
            raise TrialFailed("the run reported no validation loss")
        return score

    return score_trial


# -- the folds:K objective: the mean validation loss over K walk-forward folds before the holdout --


def holdout_start(n_rows: int, config: LstmConfig) -> int:
    """First row of the final holdout period (the single split's test period)."""
    return int(round(n_rows * (1.0 - config.test_fraction)))


def folds_trial(
    trial, config: LstmConfig, prices, store, study_name: str, folds: int, *, stop_requested=lambda: False
) -> float:
    """Train ``folds`` walk-forward folds of ``config`` before the holdout; report after each fold."""
    import optuna

    from model.orchestration.walkforward import load_walk_forward, start_walk_forward
    from model.runs import evidence_store as es
    from model.runs.execute import execute_run

    frame = prices.frame if hasattr(prices, "frame") else prices
    before = frame.iloc[: holdout_start(len(frame), config)]  # the holdout is never read
    try:
        parent = start_walk_forward(
            store,
            config,
            before,
            folds=folds,
            mode="refit",
            origin="sweep",
            study=study_name,
            trial=trial.number,
        )
    except LensError as exc:
        trial.set_user_attr("error", str(exc))
        raise TrialFailed(str(exc)) from None
    trial.set_user_attr("run_id", parent)
    store.start(parent)
    rows = es.folds_of(store, parent)
    losses: list[float] = []
    abandon = threading.Event()
    outcome = None

    def on_epoch(epoch, logs) -> bool:
        if stop_requested():
            abandon.set()
        return False

    for row in rows:
        record = execute_run(store, row.child_run_id, stop=abandon, on_epoch=on_epoch, forecast=False)
        if abandon.is_set() or record.stop_reason == "user_stop":
            outcome = "stopped"
            break
        score = best_validation_loss(record.history) if record.status == "finished" else None
        if score is None:
            es.end_fold(store, row.child_run_id, "failed", error=record.error or "no validation loss")
            outcome = record.error or "the fold reported no validation loss"
            break
        losses.append(score)
        trial.report(float(np.mean(losses)), row.fold.index)
        trial.set_user_attr("fold_losses", losses)
        if len(losses) < len(rows) and trial.should_prune():
            outcome = "pruned"
            break
    for row in rows:
        if store.get_run(row.child_run_id, with_history=False).status == "queued":
            store.fail(row.child_run_id, "Not trained: the trial ended early.", status="stopped")
            es.end_fold(store, row.child_run_id, "failed", error="Not trained: the trial ended early.")
    result = load_walk_forward(store, parent)
    status = "finished" if outcome is None else ("stopped" if outcome in ("pruned", "stopped") else "failed")
    store.finish(
        parent,
        status,
        stop_reason=outcome if outcome in ("pruned", "stopped") else None,
        metric_table=result.metric_table() if result.evidence.folds_scored else None,
        error=outcome if status == "failed" else None,
    )
    trial.set_user_attr("epochs", sum(len(store.get_run(r.child_run_id).history) for r in rows))
    if outcome == "stopped":
        trial.set_user_attr("error", "abandoned: the study was stopped")
        raise StudyStopped("the study was stopped")
    if outcome == "pruned":
        raise optuna.TrialPruned(f"pruned after fold {len(losses)}")
    if outcome is not None:
        trial.set_user_attr("error", outcome)
        raise TrialFailed(outcome)
    return float(np.mean(losses))
