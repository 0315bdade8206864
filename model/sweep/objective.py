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

from model.errors import LensError

PRUNERS = ("median", "halving", "hyperband", "none")
PRUNER_LABELS = {
    "median": "Median (default)",
    "halving": "Successive halving",
    "hyperband": "Hyperband",
    "none": "No pruning",
}


class SweepError(LensError):
    """A sweep could not be created, opened or run (the message says why and what to do)."""


class TrialFailed(Exception):
    """The trial's run failed (its message is the run's error); Optuna records the trial as failed."""


class StudyStopped(Exception):
    """The study was stopped while this trial trained; the trial is abandoned (recorded as failed)."""


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
    from model.sweep.evidence import parse_objective

    kind, folds = parse_objective(objective)

    def score_trial(trial: "optuna.Trial") -> float:
        if on_trial_start is not None:
            on_trial_start(trial)
        config = space.config_for(trial)
        if kind == "folds":
            from model.sweep.evidence import folds_trial

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
