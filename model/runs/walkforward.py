"""Walk-forward runs: a parent run whose folds (per seed) are child runs the worker pool trains.

``start_walk_forward`` stores the parent run, its settings and one queued child run per (seed,
fold). ``drive`` hands the children to ``submit`` (the WorkerPool's, or in-process training),
in ``refit`` mode all at once (the pool trains them in parallel), in ``warm`` mode each seed's
folds one after another, every fold starting from the previous fold's weights. A worker training
a child run prepares the fold's windows (``fold_data``), and scores the fold against the baseline
ladder when it ends (``record_fold``); ``drive`` then pools the folds, stores the summary and
finishes the parent. A failed child fails its fold only: the rest still report, marked incomplete.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.errors import DataError
from model.evidence.folds import DEFAULT_FOLDS, DEFAULT_SPAN, FOLD_MODES, fold_boundaries, prepare_fold
from model.evidence.significance import dm_from_differential
from model.evidence.walkforward import (
    MODEL,
    Evidence,
    FoldResult,
    failed_fold,
    horizon_of,
    score_fold,
    seed_spread,
)
from model.evidence.walkforward import pool as pool_folds
from model.runs import evidence_store as es
from model.runs.records import RunRecord
from model.runs.store import RunStore

# -- inside the worker (called from model.runs.execute.execute_run) ---------------------------------


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


# -- the coordinator --------------------------------------------------------------------------------


def start_walk_forward(
    store: RunStore,
    config: LstmConfig,
    prices,
    *,
    folds: int = DEFAULT_FOLDS,
    mode: str = "refit",
    seeds: int = 1,
    origin: str = "cli",
    owner: str | None = None,
    span: float = DEFAULT_SPAN,
    study: str | None = None,
    trial: int | None = None,
) -> int:
    """Store a walk-forward run and its queued fold runs; return the parent run's id.

    Refuses (DataError) before storing anything when the data cannot hold ``folds`` folds."""
    if mode not in FOLD_MODES:
        raise DataError(f"Fold mode must be one of {', '.join(FOLD_MODES)}, not {mode!r}.")
    if not 1 <= seeds <= 20:
        raise DataError(f"Seeds must be between 1 and 20, not {seeds}.")
    frame = prices.frame if hasattr(prices, "frame") else prices
    config.validate()
    boundaries = fold_boundaries(len(frame), config, folds, span)
    described = getattr(prices, "source", None)
    parent = store.create_run(config, prices, origin, owner=owner, study=study, trial=trial)
    es.add_evidence_run(store, parent, folds=folds, mode=mode, seeds=seeds, span=span)
    for s in range(seeds):
        seeded = config.replace(seed=(config.seed + s) % (2**31 - 1))
        for fold in boundaries:
            text = f"walk-forward run {parent}, seed {seeded.seed}, fold {fold.index + 1}/{folds}"
            if described:
                text += f" ({described})"
            child = store.create_run(seeded, frame, origin, owner=owner, description=text)
            es.add_fold(store, parent, s, fold, child)
    return parent


Submit = Callable[[int], None]
Wait = Callable[[int], RunRecord]


def drive(
    store: RunStore,
    parent: int,
    submit: Submit,
    wait: Wait,
    on_fold: Callable[[es.FoldRow, RunRecord], None] | None = None,
) -> "WalkForward":
    """Train every fold through ``submit``/``wait``, then pool and store the evidence."""
    settings = es.evidence_run(store, parent)
    rows = es.folds_of(store, parent)
    store.start(parent)
    started = time.perf_counter()
    done = threading.Event()
    threading.Thread(
        target=_forward_stop,
        args=(store, parent, rows, done),
        daemon=True,
        name=f"walk-forward-stop-{parent}",
    ).start()

    ended = 0

    def settle(row: es.FoldRow) -> RunRecord:
        nonlocal ended
        record = wait(row.child_run_id)
        ended += 1
        elapsed = time.perf_counter() - started
        store.progress(
            parent,
            {  # the parent's progress is its folds (the Train page's bar)
                "epoch": ended,
                "epochs": len(rows),
                "batch": 0,
                "batches": 0,
                "loss": None,
                "elapsed": round(elapsed, 3),
                "fraction": round(ended / len(rows), 4),
                "eta": None,
                "finished": ended == len(rows),
                "message": f"{ended} of {len(rows)} folds done",
                "updated": time.time(),
            },
        )
        if record.status not in ("finished", "stopped"):
            es.end_fold(
                store,
                row.child_run_id,
                "failed",
                error=record.error or f"The fold's run ended {record.status}.",
            )
        elif es.fold_of_child(store, row.child_run_id).status != "finished":
            es.end_fold(
                store, row.child_run_id, "failed", error="The fold's run ended without a scored record."
            )
        if on_fold is not None:
            on_fold(row, record)
        return record

    if settings.mode == "refit":
        for row in rows:
            submit(row.child_run_id)
        for row in rows:
            settle(row)
    else:
        chains = [[r for r in rows if r.seed_index == s] for s in range(settings.seeds)]
        previous: dict[int, int | None] = {s: None for s in range(settings.seeds)}
        for position in range(settings.folds):
            batch = [chain[position] for chain in chains]
            for s, row in enumerate(batch):
                if previous[s] is not None:
                    es.set_warm_from(store, row.child_run_id, previous[s])
                submit(row.child_run_id)
            for s, row in enumerate(batch):
                record = settle(row)
                # A failed fold breaks the chain's warm start only: the next fold trains from scratch.
                previous[s] = row.child_run_id if record.status in ("finished", "stopped") else None
    done.set()
    result = load_walk_forward(store, parent)
    summary = result.summary()
    summary["seconds"] = time.perf_counter() - started
    es.set_summary(store, parent, summary)
    stopped = store.stop_requested(parent)
    from model.runs.fold_forecasts import store_walk_forward_forecast

    store_walk_forward_forecast(store, parent, stopped=stopped)  # from the folds' paths (no TensorFlow)
    status = "stopped" if stopped else ("finished" if result.evidence.folds_scored else "failed")
    store.finish(
        parent,
        status,
        seconds=summary["seconds"],
        metric_table=result.metric_table(),
        stop_reason="user_stop" if stopped else None,
        error=None if result.evidence.folds_scored else "Every fold failed: " + result.first_error(),
    )
    return result


def _forward_stop(store: RunStore, parent: int, rows, done: threading.Event, poll: float = 0.5) -> None:
    """A stop asked of the walk-forward run (its Stop button) stops every fold run still active."""
    from model.errors import StoreError

    while not done.wait(poll):
        try:
            if not store.stop_requested(parent):
                continue
            for row in rows:
                if store.get_run(row.child_run_id, with_history=False).active:
                    store.stop_unchecked(row.child_run_id)  # the parent's stop was granted
        except StoreError:
            continue  # a busy database: the next poll tries again


def run_walk_forward(
    store: RunStore, config: LstmConfig, prices, *, pool=None, listener=None, **options
) -> "WalkForward":
    """Store and train a walk-forward run: through ``pool`` (a WorkerPool) when given, else here, one
    fold after another."""
    parent = start_walk_forward(store, config, prices, **options)
    if pool is not None:
        return drive(store, parent, pool.submit, pool.wait)
    from model.runs.execute import execute_run

    return drive(
        store, parent, lambda run_id: None, lambda run_id: execute_run(store, run_id, listener=listener)
    )


# -- reading ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class WalkForward:
    """A walk-forward run as stored: evidence per seed, the combined evidence and the spreads."""

    run_id: int
    folds: int
    mode: str
    seeds: int
    config: LstmConfig
    per_seed: tuple[Evidence, ...]
    evidence: Evidence  # over seeds: each fold's model loss averaged over the seeds
    stored_summary: dict | None = None

    def spread(self) -> dict[str, float]:
        return seed_spread({s: ev.skill_by_fold() for s, ev in enumerate(self.per_seed)})

    def first_error(self) -> str:
        return next((f.error for ev in self.per_seed for f in ev.folds if f.error), "")

    def summary(self) -> dict:
        pooled = self.evidence.pooled
        return {
            "verdict": self.evidence.verdict.to_dict(),
            "pooled_dm": pooled.to_dict() if pooled else None,
            "best_baseline": self.evidence.best_baseline,
            "pooled_dm_best": self.evidence.pooled_best.to_dict() if self.evidence.pooled_best else None,
            "folds_better": self.evidence.folds_better,
            "folds_scored": self.evidence.folds_scored,
            "folds_failed": self.evidence.folds_failed,
            "mean_rmse": self.evidence.mean_rmse,
            "spread": self.spread(),
            "seed_verdicts": [ev.verdict.text for ev in self.per_seed],
        }

    def metric_table(self) -> pd.DataFrame:
        """Mean over scored folds for the runs table: model and persistence (RMSE, MAE, skill)."""
        from model.engine.evaluation import METRIC_COLUMNS

        rows = {}
        for who in (MODEL, "persistence"):
            folds = [f for f in self.evidence.folds if f.finished]
            rmse = [f.rmse.get(who) for f in folds]
            mae = [f.mae.get(who) for f in folds]
            skill = [f.skill.get(who) for f in folds]
            rows[who] = {
                "RMSE": _mean(rmse),
                "MAE": _mean(mae),
                "MAPE %": np.nan,
                "Direction %": np.nan,
                "Skill": _mean(skill),
            }
        return pd.DataFrame.from_dict(rows, orient="index")[list(METRIC_COLUMNS)]


def _mean(values) -> float:
    values = [v for v in values if v is not None]
    return float(np.mean(values)) if values else float("nan")


def _combine_seeds(per_seed: list[list[FoldResult]], horizon: int) -> list[FoldResult]:
    """One record per fold over seeds: the model's RMSE, skill and loss differential averaged over
    the seeds whose fold finished (the ladder does not depend on the seed)."""
    combined = []
    for position, first in enumerate(per_seed[0]):
        done = [seeds[position] for seeds in per_seed if seeds[position].finished]
        if not done:
            combined.append(first)
            continue
        base = done[0]
        diff = np.mean([np.asarray(f.differential) for f in done], axis=0)
        differentials = {
            name: np.mean([np.asarray(f.differentials[name]) for f in done], axis=0)
            for name in base.differentials
            if all(name in f.differentials for f in done)
        }
        best = base.best_baseline
        rmse = dict(base.rmse, **{MODEL: _mean([f.rmse.get(MODEL) for f in done])})
        skill = dict(base.skill, **{MODEL: _mean([f.skill.get(MODEL) for f in done])})
        combined.append(
            FoldResult(
                fold=base.fold,
                first_date=base.first_date,
                last_date=base.last_date,
                epochs=int(round(_mean([f.epochs for f in done]))) if base.epochs is not None else None,
                seconds=_mean([f.seconds for f in done]),
                rmse=rmse,
                mae=base.mae,
                skill=skill,
                notes=base.notes,
                dm_persistence=dm_from_differential(diff, horizon).to_dict(),
                best_baseline=base.best_baseline,
                dm_best=(
                    dm_from_differential(differentials[best], horizon).to_dict()
                    if best in differentials
                    else (base.dm_best if len(done) == 1 else None)
                ),
                residuals=base.residuals,
                differential=diff.tolist(),
                differentials={name: d.tolist() for name, d in differentials.items()},
            )
        )
    return combined


def load_walk_forward(store: RunStore, run_id: int) -> WalkForward | None:
    """The stored walk-forward run ``run_id`` (None when it is not one)."""
    settings = es.evidence_run(store, run_id)
    if settings is None:
        return None
    config = store.get_run(run_id, with_history=False).lstm_config
    horizon = horizon_of(config)
    by_seed: list[list[FoldResult]] = [[] for _ in range(settings.seeds)]
    for row in es.folds_of(store, run_id):
        if row.status == "finished" and row.record:
            result = FoldResult.from_dict(row.record)
        elif row.status == "failed":
            result = failed_fold(row.fold, row.error or "The fold failed.")
        else:
            result = failed_fold(row.fold, "Not trained yet.")
            result.status = row.status
        by_seed[row.seed_index].append(result)
    per_seed = tuple(pool_folds(folds, horizon) for folds in by_seed)
    evidence = per_seed[0] if settings.seeds == 1 else pool_folds(_combine_seeds(by_seed, horizon), horizon)
    return WalkForward(
        run_id, settings.folds, settings.mode, settings.seeds, config, per_seed, evidence, settings.summary
    )


def fold_residuals(result: WalkForward) -> pd.DataFrame:
    """Out-of-sample residuals (actual - predicted) of every scored fold and seed, model and persistence:
    one row per test point (seed, fold, date, step, actual, model, persistence). What a conformal
    interval calibrates from: each residual comes from a model that never saw its date."""
    frames = []
    for seed, ev in enumerate(result.per_seed):
        for f in ev.folds:
            if f.finished and f.residuals:
                frame = pd.DataFrame(f.residuals)
                frame.insert(0, "fold", f.fold.index + 1)
                frame.insert(0, "seed", seed + 1)
                frames.append(frame)
    columns = ["seed", "fold", "date", "step", "actual", "model", "persistence"]
    if not frames:
        return pd.DataFrame(columns=columns)
    out = pd.concat(frames, ignore_index=True)[columns]
    out["date"] = pd.to_datetime(out["date"])
    return out
