"""Sweeps judged on evidence: the holdout re-check (the ``folds:K`` objective that keeps the
holdout unread is in ``model.sweep.objective``).

``recheck`` re-scores the study's top trials on that holdout only (walk-forward folds inside
it, each training on everything before its fold), with each trial's one verdict and pooled
Diebold-Mariano p against persistence and against its best other baseline, Hansen's SPA (does
any trial beat persistence, given all were tried? and ridge on the same windows?) and the Model
Confidence Set over the trials with persistence and ridge as benchmarks (which cannot be told
apart from the best).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.data.sources import load_source
from model.errors import SweepError
from model.sweep.objective import holdout_start
from model.sweep.paths import log_path, recheck_path

RECHECK_FOLDS = 3


# -- the re-check --------------------------------------------------------------------------------------


@dataclass
class Recheck:
    study: str
    holdout: tuple[str, str]  # first and last date of the holdout period
    folds: int
    rows: list[dict] = field(
        default_factory=list
    )  # per trial: number, params, val score, holdout skill, DM p
    spa: dict | None = None
    mcs: dict | None = None
    notes: list[str] = field(default_factory=list)
    spa_ridge: dict | None = None  # SPA with ridge (the strongest of the trials' ridges) as benchmark

    def table(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


def _losses_by_date(result) -> tuple[pd.Series, pd.Series]:
    """Squared errors (model, persistence) at each step-1 test point of the scored folds, by date."""
    model, bench = [], []
    for fold in result.evidence.folds:
        if not fold.finished:
            continue
        r = pd.DataFrame(fold.residuals)
        r = r[r["step"] == 1]
        model.append(pd.Series(np.square(r["model"].to_numpy()), index=r["date"]))
        bench.append(pd.Series(np.square(r["persistence"].to_numpy()), index=r["date"]))
    if not model:
        return pd.Series(dtype=float), pd.Series(dtype=float)
    return pd.concat(model), pd.concat(bench)


def ridge_losses_by_date(result) -> pd.Series:
    """Ridge's squared error per test window of the scored folds, by the window's first date: the
    model's window loss minus the stored loss differential against ridge (next-day: one point per
    window, the same points as ``_losses_by_date``)."""
    parts = []
    for fold in result.evidence.folds:
        if not fold.finished or "ridge" not in fold.differentials:
            continue
        r = pd.DataFrame(fold.residuals)
        diff = np.asarray(fold.differentials["ridge"], dtype=float)
        if len(r) == 0 or len(r) % len(diff):
            continue
        steps = len(r) // len(diff)
        model = np.square(r["model"].to_numpy()).reshape(len(diff), steps).mean(axis=1)
        parts.append(pd.Series(model - diff, index=r["date"].to_numpy()[::steps]))
    return pd.concat(parts) if parts else pd.Series(dtype=float)


def recheck(
    name: str,
    storage: str | None = None,
    *,
    db: str | None = None,
    top: int = 5,
    folds: int = RECHECK_FOLDS,
    pool=None,
    seed: int = 0,
    reps: int = 1000,
) -> Recheck:
    """Re-score the ``top`` best complete trials of study ``name`` on the holdout only."""
    from model.evidence.folds import max_folds
    from model.orchestration.walkforward import run_walk_forward
    from model.runs.store import open_store
    from model.sweep.study import open_study, settings_of

    study = open_study(name, storage)
    settings = settings_of(study)
    trials = study.get_trials(deepcopy=False)
    names = [p.name for p in settings.space.searched]
    complete = [t for t in sorted((t for t in trials if t.value is not None), key=lambda t: t.value)][:top]
    if not complete:
        raise SweepError(f"Study {name} has no complete trial to re-check yet.")
    prices = load_source(settings.source)
    frame = prices.frame
    store = open_store(db or settings.run_db)
    out = None
    by_trial: dict[str, pd.Series] = {}
    bench_all: pd.Series | None = None
    ridges: dict[str, pd.Series] = {}  # each trial's ridge (its own time_step and features)
    try:
        for t in complete:
            config = settings.space.config_from_params(t.params)
            start = holdout_start(len(frame), config)
            span = (len(frame) - start) / len(frame)
            k = min(folds, max_folds(len(frame), config, span))
            if out is None:
                out = Recheck(name, (str(frame.index[start].date()), str(frame.index[-1].date())), k)
            if k < 1:
                out.rows.append(
                    {"trial": t.number, "validation score": t.value, "error": "holdout too short"}
                )
                continue
            result = run_walk_forward(
                store,
                config,
                prices,
                pool=pool,
                folds=k,
                span=span,
                origin="sweep",
                study=name,
                trial=t.number,
            )
            out.rows.append(_trial_row(t, names, result))
            model, bench = _losses_by_date(result)
            if len(model):
                by_trial[f"trial {t.number}"] = model
                bench_all = bench if bench_all is None else bench_all.combine_first(bench)
                ridge = ridge_losses_by_date(result)
                if len(ridge):
                    ridges[f"trial {t.number}"] = ridge
        _data_snooping_tests(out, by_trial, bench_all, ridges, seed=seed, reps=reps)
    finally:
        store.close()
    return out


def _trial_row(trial, names: list[str], result) -> dict:
    """One re-checked trial: its knobs, validation score and holdout evidence."""
    ev = result.evidence
    return {
        "trial": trial.number,
        **{p: trial.params.get(p) for p in names},
        "validation score": trial.value,
        "holdout skill": ev.ladder().loc["model", "skill"] if ev.folds_scored else None,
        "folds better": f"{ev.folds_better} of {ev.folds_scored}",
        "DM p (beats persistence)": ev.pooled.p_better if ev.pooled else None,
        "best other baseline": ev.best_baseline,
        "DM p (beats it)": ev.pooled_best.p_better if ev.pooled_best else None,
        "verdict": ev.verdict.text,
        "run": result.run_id,
    }


def _data_snooping_tests(
    out: Recheck,
    by_trial: dict[str, pd.Series],
    bench: pd.Series | None,
    ridges: dict[str, pd.Series],
    *,
    seed: int,
    reps: int,
) -> None:
    """SPA (does any trial beat persistence, or ridge on the same windows, all tried?) and the MCS
    with persistence and ridge as benchmarks, on the holdout points every trial shares; a note
    instead when there are too few trials or points."""
    from model.evidence.snooping import model_confidence_set, spa_test

    if len(by_trial) < 2 or bench is None:
        out.notes.append("SPA and MCS need at least two re-checked trials.")
        return
    losses = pd.DataFrame(by_trial).join(bench.rename("persistence"), how="inner").dropna()
    if len(losses) < 20:
        out.notes.append(f"Only {len(losses)} holdout points are shared by every trial: SPA and MCS skipped.")
        return
    cands = losses.drop(columns="persistence")
    out.spa = spa_test(losses["persistence"], cands, seed=seed, reps=reps).to_dict()
    ridge = strongest_ridge(ridges, losses.index)
    if ridge is None:
        out.notes.append("Ridge does not apply on the shared holdout points: SPA against it skipped.")
        out.mcs = model_confidence_set(losses, seed=seed, reps=reps).to_dict()
        return
    out.spa_ridge = spa_test(ridge, cands, seed=seed, reps=reps).to_dict()
    out.mcs = model_confidence_set(losses.assign(ridge=ridge.to_numpy()), seed=seed, reps=reps).to_dict()


def strongest_ridge(ridges: dict[str, pd.Series], index: pd.Index) -> pd.Series | None:
    """Of the trials' ridges (each on its trial's windows), the one with the lowest mean loss on the
    points every trial shares: the hardest linear benchmark the study's configurations offer."""
    aligned = {}
    for name, series in ridges.items():
        series = series[~series.index.duplicated()]
        if index.isin(series.index).all():
            aligned[name] = series.reindex(index)
    if not aligned:
        return None
    return min(aligned.values(), key=lambda s: float(s.mean())).rename("ridge")


def recheck_report(result: Recheck) -> str:
    from model.evidence.verdict import format_p

    lines = [
        f"Re-check of study {result.study} on its holdout {result.holdout[0]} .. {result.holdout[1]} "
        f"({result.folds} walk-forward folds inside it; no trial's objective read it)",
        "",
    ]
    lines.append(result.table().to_string(index=False, float_format=lambda v: f"{v:.4f}"))
    if result.spa:
        spa = result.spa
        better = ", ".join(spa["better"]) or "none"
        lines += [
            "",
            f"Hansen's SPA (does any of the {spa['candidates']} trials beat persistence, after trying "
            f"them all?): {format_p(spa['p_value'])}; better than persistence at 5%: {better}",
        ]
    if result.spa_ridge:
        spa = result.spa_ridge
        better = ", ".join(spa["better"]) or "none"
        lines.append(
            f"Hansen's SPA against ridge on the same windows (the strongest of the trials' ridges): "
            f"{format_p(spa['p_value'])}; better than ridge at 5%: {better}"
        )
    if result.mcs:
        mcs = result.mcs
        lines.append(
            f"Model Confidence Set ({1 - mcs['size']:.0%}, trials with persistence"
            + (" and ridge" if result.spa_ridge else "")
            + " as benchmarks): cannot be told apart from the best: "
            + ", ".join(mcs["included"])
        )
    lines += result.notes
    return "\n".join(lines)


# -- the re-check's stored result (the Tune page launches ``recheck`` in a process and reads it) ------------


def save_recheck(result: Recheck, run_db: str | None = None) -> None:
    import json

    from model.runs.files import write_atomically

    data = {
        "study": result.study,
        "holdout": list(result.holdout),
        "folds": result.folds,
        "rows": result.table().to_dict(orient="records"),
        "spa": result.spa,
        "mcs": result.mcs,
        "notes": result.notes,
        "spa_ridge": result.spa_ridge,
    }
    text = json.dumps(
        data, default=lambda v: None if v != v else float(v) if hasattr(v, "__float__") else str(v)
    )
    write_atomically(recheck_path(result.study, run_db), lambda tmp: Path(tmp).write_text(text))


def load_recheck(name: str, run_db: str | None = None) -> Recheck | None:
    import json

    path = recheck_path(name, run_db)
    if not path.exists():
        return None
    data = json.loads(path.read_text())
    return Recheck(
        data["study"],
        tuple(data["holdout"]),
        data["folds"],
        data["rows"],
        data["spa"],
        data["mcs"],
        data["notes"],
        data.get("spa_ridge"),  # absent in re-checks stored before it
    )


def launch_recheck(name: str, storage: str, *, top: int = 5, db: str | None = None) -> int:
    """Run ``python -m model.sweep recheck`` in a detached process (the Tune page's button); its pid."""
    from model.runs.processes import start_module

    recheck_path(name, db).unlink(missing_ok=True)
    args = ["recheck", name, "--top", str(top), "--storage", storage]
    if db:
        args += ["--db", db]
    return start_module("model.sweep", args, log=log_path(name, "recheck", db), detach=True).pid
