"""Score folds (model and ladder on the same test points), pool them, and give the verdict.

Pure numpy/pandas: the forecaster is a function, so the tests can use ridge as a stand-in model
and the run store can plug in a trained LSTM (model.orchestration.walkforward).
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, field
from typing import Callable

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.engine.windows import PreparedData
from model.evidence.baselines import BASELINES, baseline_ladder, fit_ridge, model_points, scored_points
from model.evidence.folds import DEFAULT_FOLDS, DEFAULT_SPAN, Fold, fold_boundaries, prepare_fold
from model.evidence.significance import DMResult, dm_from_differential, window_differential
from model.evidence.verdict import ALPHA, RUNGS, Facts, Verdict, judge, move_stats

log = logging.getLogger(__name__)

MODEL = "model"


def horizon_of(config: LstmConfig) -> int:
    return 1 if config.target_mode == "next_day" else config.time_step


@dataclass
class FoldResult:
    """One fold's record: its period, the model's and every baseline's scores, DM results, residuals."""

    fold: Fold
    status: str = "finished"  # finished | failed
    error: str | None = None
    first_date: str | None = None
    last_date: str | None = None
    epochs: int | None = None
    seconds: float | None = None
    rmse: dict[str, float | None] = field(default_factory=dict)  # model and every baseline
    mae: dict[str, float | None] = field(default_factory=dict)
    skill: dict[str, float | None] = field(default_factory=dict)  # 1 - RMSE / persistence RMSE
    notes: dict[str, str] = field(default_factory=dict)  # baselines that cannot apply, and why
    dm_persistence: dict | None = None  # DMResult.to_dict()
    best_baseline: str | None = None  # the best non-persistence baseline on this fold
    dm_best: dict | None = None
    # Per test point: date, step, actual, and the residual (actual - predicted) of the model and of
    # persistence: what a conformal interval calibrates from.
    residuals: dict[str, list] = field(default_factory=dict)
    differential: list[float] = field(default_factory=list)  # per-window loss differential vs persistence
    # Per-window loss differential vs each other baseline that applies (model loss minus its loss):
    # what the pooled test against the best other baseline concatenates. Absent in older records.
    differentials: dict[str, list[float]] = field(default_factory=dict)

    @property
    def finished(self) -> bool:
        return self.status == "finished"

    @property
    def model_better(self) -> bool | None:
        if not self.finished or self.rmse.get(MODEL) is None:
            return None
        return self.rmse[MODEL] < self.rmse["persistence"]

    def to_dict(self) -> dict:
        out = asdict(self)
        out["fold"] = self.fold.to_dict()
        return out

    @classmethod
    def from_dict(cls, data: dict) -> "FoldResult":
        data = dict(data)
        data["fold"] = Fold(**data["fold"])
        return cls(**data)


def _rmse(err: np.ndarray) -> float:
    return float(np.sqrt(np.mean(err**2)))


def score_fold(
    fold: Fold,
    data: PreparedData,
    predicted: np.ndarray,
    *,
    epochs: int | None = None,
    seconds: float | None = None,
) -> FoldResult:
    """Score the model's price predictions at the fold's test points against the ladder."""
    points = scored_points(data)
    predicted = np.asarray(predicted, dtype=np.float64)
    if predicted.shape != points.actual.shape:
        raise ValueError(f"{len(predicted)} predictions for {len(points)} test points.")
    ladder = baseline_ladder(data)
    forecasts = {MODEL: predicted, **ladder.predictions}
    errors = {name: (None if p is None else points.actual - p) for name, p in forecasts.items()}
    rmse = {name: (None if e is None else _rmse(e)) for name, e in errors.items()}
    mae = {name: (None if e is None else float(np.mean(np.abs(e)))) for name, e in errors.items()}
    base = rmse["persistence"]
    skill = {name: (None if r is None or not base else 1.0 - r / base) for name, r in rmse.items()}
    h = horizon_of(data.config)
    model_sq = errors[MODEL] ** 2
    diff = window_differential(model_sq, errors["persistence"] ** 2, points.window)
    others = [n for n in BASELINES if n != "persistence" and rmse.get(n) is not None]
    best = min(others, key=lambda n: rmse[n]) if others else None
    differentials = {n: window_differential(model_sq, errors[n] ** 2, points.window) for n in others}
    dm_best = None if best is None else dm_from_differential(differentials[best], h).to_dict()
    dates = data.dates[points.row]
    return FoldResult(
        fold=fold,
        first_date=str(dates.min().date()) if len(dates) else None,
        last_date=str(dates.max().date()) if len(dates) else None,
        epochs=epochs,
        seconds=seconds,
        rmse=rmse,
        mae=mae,
        skill=skill,
        notes=dict(ladder.notes),
        dm_persistence=dm_from_differential(diff, h).to_dict(),
        best_baseline=best,
        dm_best=dm_best,
        residuals={
            "date": [str(d.date()) for d in dates],
            "step": points.step.tolist(),
            "actual": points.actual.tolist(),
            "model": errors[MODEL].tolist(),
            "persistence": errors["persistence"].tolist(),
        },
        differential=diff.tolist(),
        differentials={n: d.tolist() for n, d in differentials.items()},
    )


def failed_fold(fold: Fold, message: str) -> FoldResult:
    return FoldResult(fold=fold, status="failed", error=message)


@dataclass(frozen=True)
class Evidence:
    """Folds pooled: counts, pooled DM, the verdict, and the skill spread over folds (and seeds)."""

    folds: tuple[FoldResult, ...]
    pooled: DMResult | None
    folds_better: int
    folds_scored: int
    folds_failed: int
    verdict: Verdict
    mean_rmse: dict[str, float | None]
    # The other baseline with the lowest mean RMSE over the scored folds, and the DM test of the
    # model against it on the concatenated differentials (None when no fold record holds them).
    best_baseline: str | None = None
    pooled_best: DMResult | None = None

    @property
    def incomplete(self) -> bool:
        return self.folds_failed > 0

    def skill_by_fold(self, name: str = MODEL) -> list[float]:
        return [f.skill.get(name) for f in self.folds if f.finished and f.skill.get(name) is not None]

    def table(self) -> pd.DataFrame:
        """One row per fold: period, epochs, RMSE of the model and every baseline, skill, DM p."""
        rows = []
        for f in self.folds:
            row = {
                "fold": f.fold.index + 1,
                "period": f"{f.first_date} .. {f.last_date}" if f.first_date else "",
                "status": f.status,
                "epochs": f.epochs,
            }
            for name in (MODEL, *BASELINES):
                row[f"RMSE {name}"] = f.rmse.get(name)
            row["skill"] = f.skill.get(MODEL)
            row["DM p (better)"] = (f.dm_persistence or {}).get("p_better")
            row["best other baseline"] = f.best_baseline or ""
            row["DM p vs it (better)"] = (f.dm_best or {}).get("p_better")
            row["error"] = f.error or ""
            rows.append(row)
        return pd.DataFrame(rows)

    def ladder(self) -> pd.DataFrame:
        """Mean RMSE over scored folds of the model and every baseline, and its skill."""
        base = self.mean_rmse.get("persistence")
        rows = [
            {"forecast": n, "mean RMSE": r, "skill": (1 - r / base) if r is not None and base else None}
            for n, r in self.mean_rmse.items()
        ]
        return pd.DataFrame(rows).set_index("forecast")


def pool(folds: list[FoldResult], horizon: int, alpha: float = ALPHA) -> Evidence:
    """Pool fold records: DM on the concatenated per-window differentials of the scored folds."""
    scored = [f for f in folds if f.finished]
    failed = len(folds) - len(scored)
    pooled = None
    if scored:
        diff = np.concatenate([np.asarray(f.differential, dtype=np.float64) for f in scored])
        pooled = dm_from_differential(diff, horizon)
    better = sum(1 for f in scored if f.model_better)
    names = (MODEL, *BASELINES)
    mean_rmse = {}
    for name in names:
        values = [f.rmse.get(name) for f in scored]
        mean_rmse[name] = float(np.mean(values)) if values and all(v is not None for v in values) else None
    best, pooled_best = pooled_vs_best(scored, mean_rmse, horizon)
    verdict = judge(fold_facts(scored, failed, better, pooled, mean_rmse, best, pooled_best), alpha=alpha)
    return Evidence(tuple(folds), pooled, better, len(scored), failed, verdict, mean_rmse, best, pooled_best)


def fold_facts(
    scored: list[FoldResult],
    failed: int,
    better: int,
    pooled: DMResult | None,
    mean_rmse: dict[str, float | None],
    best: str | None,
    pooled_best: DMResult | None,
) -> Facts:
    """The verdict's facts over folds: skill of the mean RMSEs (model and every rung, as the ladder
    table), the folds better, the pooled DM tests, and the predicted moves over every scored point
    (persistence's residual is the actual move; it minus the model's is the predicted move)."""
    base = mean_rmse.get("persistence")

    def skill_of(name: str) -> float | None:
        r = mean_rmse.get(name)
        return None if r is None or not base else 1.0 - r / base

    actual_move = np.concatenate(
        [np.asarray(f.residuals.get("persistence", []), float) for f in scored] or [np.empty(0)]
    )
    model_res = np.concatenate(
        [np.asarray(f.residuals.get("model", []), float) for f in scored] or [np.empty(0)]
    )
    ratio, corr = (None, None)
    if len(actual_move) and len(actual_move) == len(model_res):
        ratio, corr = move_stats(actual_move, actual_move - model_res, np.zeros_like(actual_move))
    rung_better = 0
    if best is not None:
        rung_better = sum(
            1
            for f in scored
            if f.rmse.get(best) is not None and f.rmse[best] < f.rmse.get(MODEL, float("inf"))
        )
    return Facts(
        skill=skill_of(MODEL) if scored else None,
        move_ratio=ratio,
        move_correlation=corr,
        rungs={n: s for n in RUNGS if (s := skill_of(n)) is not None},
        walk_forward=True,
        folds=len(scored),
        folds_failed=failed,
        folds_better=better,
        p_better=pooled.p_better if pooled else None,
        p_worse=pooled.p_worse if pooled else None,
        best_rung=best,
        rung_folds_better=rung_better,
        rung_p=pooled_best.p_worse if pooled_best else None,
    )


def pooled_vs_best(
    scored: list[FoldResult], mean_rmse: dict[str, float | None], horizon: int
) -> tuple[str | None, DMResult | None]:
    """The other baseline with the lowest mean RMSE over the scored folds among those every fold
    scored, and the DM test of the model against it on the folds' concatenated differentials: one
    benchmark for all folds, as the pooled test against persistence."""
    means = {
        n: value
        for n in BASELINES
        if n != "persistence"
        and (value := mean_rmse.get(n)) is not None
        and all(n in f.differentials for f in scored)
    }
    if not scored or not means:
        return None, None
    best = min(means, key=means.__getitem__)
    diff = np.concatenate([np.asarray(f.differentials[best], dtype=np.float64) for f in scored])
    return best, dm_from_differential(diff, horizon)


Forecaster = Callable[[PreparedData], np.ndarray]  # fold data -> price predictions at its test points


def ridge_forecaster(data: PreparedData) -> np.ndarray:
    """Ridge as a stand-in model (cheap): used by the calibration tests and the bench."""
    return model_points(data, fit_ridge(data).predict(data.test.x))


def walk_forward(
    frame: pd.DataFrame,
    config: LstmConfig,
    forecaster: Forecaster,
    k: int = DEFAULT_FOLDS,
    span: float = DEFAULT_SPAN,
    alpha: float = ALPHA,
) -> Evidence:
    """Every fold in turn with ``forecaster``; a fold whose forecaster raises fails with its message."""
    results = []
    for fold in fold_boundaries(len(frame), config, k, span):
        try:
            data = prepare_fold(frame, config, fold)
            results.append(score_fold(fold, data, forecaster(data)))
        except Exception as exc:  # noqa: BLE001 - the fold fails with its message; the rest still report
            log.exception("Fold %s failed", fold.index)
            results.append(failed_fold(fold, f"{type(exc).__name__}: {exc}"))
    return pool(results, horizon_of(config), alpha)


def seed_spread(skills: dict[int, list[float]]) -> dict[str, float]:
    """Skill spread over seeds (std of each seed's mean over folds) beside the spread over folds
    (std over folds of the seeds' mean skill)."""
    matrix = [np.asarray(v, dtype=np.float64) for v in skills.values() if len(v)]
    if not matrix:
        return {"seeds": 0, "seed_std": float("nan"), "fold_std": float("nan"), "mean": float("nan")}
    width = min(len(v) for v in matrix)
    grid = np.vstack([v[:width] for v in matrix])  # [seeds, folds]
    return {
        "seeds": len(matrix),
        "mean": float(grid.mean()),
        "seed_std": float(grid.mean(axis=1).std(ddof=1)) if len(matrix) > 1 else 0.0,
        "fold_std": float(grid.mean(axis=0).std(ddof=1)) if width > 1 else 0.0,
    }
