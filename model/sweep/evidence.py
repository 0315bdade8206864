"""Sweeps judged on evidence: the ``folds[:K]`` objective and the holdout re-check.

``folds:K`` scores a trial by its mean validation loss over K walk-forward folds that all end
before a final holdout period (the last ``test_fraction`` of the rows, the same for every trial):
the trial's price table is cut at the holdout's first row before anything is trained, so no
objective ever reads it. The running mean is reported to the pruner after each fold.

``recheck`` re-scores the study's top trials on that holdout only (walk-forward folds inside
it, each training on everything before its fold), with each trial's one verdict and pooled
Diebold-Mariano p against persistence and against its best other baseline, Hansen's SPA (does
any trial beat persistence, given all were tried? and ridge on the same windows?) and the Model
Confidence Set over the trials with persistence and ridge as benchmarks (which cannot be told
apart from the best).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig
from model.errors import LensError

OBJECTIVES = ("holdout", "folds")
DEFAULT_OBJECTIVE_FOLDS = 3
RECHECK_FOLDS = 3


def parse_objective(text: str | None) -> tuple[str, int]:
    """``holdout`` -> ("holdout", 0); ``folds`` / ``folds:K`` -> ("folds", K)."""
    from model.sweep.objective import SweepError

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


def holdout_start(n_rows: int, config: LstmConfig) -> int:
    """First row of the final holdout period (the single split's test period)."""
    return int(round(n_rows * (1.0 - config.test_fraction)))


def folds_trial(
    trial, config: LstmConfig, prices, store, study_name: str, folds: int, *, stop_requested=lambda: False
) -> float:
    """Train ``folds`` walk-forward folds of ``config`` before the holdout; report after each fold."""
    import optuna

    from model.runs import evidence_store as es
    from model.runs.execute import execute_run
    from model.runs.walkforward import load_walk_forward, start_walk_forward
    from model.sweep.objective import StudyStopped, TrialFailed, best_validation_loss

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
    from model.evidence.snooping import model_confidence_set, spa_test
    from model.runs.store import open_store
    from model.runs.walkforward import run_walk_forward
    from model.sweep.objective import SweepError
    from model.sweep.study import load_source, open_study, settings_of

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
            ev = result.evidence
            skill = ev.ladder().loc["model", "skill"] if ev.folds_scored else None
            out.rows.append(
                {
                    "trial": t.number,
                    **{p: t.params.get(p) for p in names},
                    "validation score": t.value,
                    "holdout skill": skill,
                    "folds better": f"{ev.folds_better} of {ev.folds_scored}",
                    "DM p (beats persistence)": ev.pooled.p_better if ev.pooled else None,
                    "best other baseline": ev.best_baseline,
                    "DM p (beats it)": ev.pooled_best.p_better if ev.pooled_best else None,
                    "verdict": ev.verdict.text,
                    "run": result.run_id,
                }
            )
            model, bench = _losses_by_date(result)
            if len(model):
                by_trial[f"trial {t.number}"] = model
                bench_all = bench if bench_all is None else bench_all.combine_first(bench)
                ridge = ridge_losses_by_date(result)
                if len(ridge):
                    ridges[f"trial {t.number}"] = ridge
        if len(by_trial) >= 2 and bench_all is not None:
            losses = pd.DataFrame(by_trial).join(bench_all.rename("persistence"), how="inner").dropna()
            if len(losses) < 20:
                out.notes.append(
                    f"Only {len(losses)} holdout points are shared by every trial: SPA and MCS skipped."
                )
            else:
                cands = losses.drop(columns="persistence")
                out.spa = spa_test(losses["persistence"], cands, seed=seed, reps=reps).to_dict()
                ridge = strongest_ridge(ridges, losses.index)
                if ridge is None:
                    out.notes.append(
                        "Ridge does not apply on the shared holdout points: SPA against it skipped."
                    )
                    out.mcs = model_confidence_set(losses, seed=seed, reps=reps).to_dict()
                else:
                    out.spa_ridge = spa_test(ridge, cands, seed=seed, reps=reps).to_dict()
                    with_ridge = losses.assign(ridge=ridge.to_numpy())
                    out.mcs = model_confidence_set(with_ridge, seed=seed, reps=reps).to_dict()
        else:
            out.notes.append("SPA and MCS need at least two re-checked trials.")
    finally:
        store.close()
    return out


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


def recheck_path(name: str, run_db: str | None = None):
    from model.sweep.study import PRICES_DIR, _files_root

    return _files_root(run_db) / PRICES_DIR / f"{name}.recheck.json"


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
    from model.sweep.workers import log_path

    recheck_path(name, db).unlink(missing_ok=True)
    args = ["recheck", name, "--top", str(top), "--storage", storage]
    if db:
        args += ["--db", db]
    return start_module("model.sweep", args, log=log_path(name, "recheck", db), detach=True).pid
