"""Reading a stored walk-forward run: its evidence per seed, over seeds, and its residuals.

No TensorFlow and no training: the pages, the command line and the sweeps read what the folds
stored (model/runs/evidence_store.py) and pool it with model/evidence.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.evidence.significance import dm_from_differential
from model.evidence.walkforward import MODEL, Evidence, FoldResult, failed_fold, horizon_of, seed_spread
from model.evidence.walkforward import pool as pool_folds
from model.runs import evidence_store as es
from model.runs.store import RunStore


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
