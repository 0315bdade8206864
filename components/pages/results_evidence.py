"""Results and Runs for walk-forward runs: per-fold skill bars, the ladder, the DM result, the verdict.

``evidence_record`` turns a stored walk-forward run (model.orchestration.reading.WalkForward) into a
small pure record; ``render`` draws it. Ordinary (single-split) runs get one line saying their
verdict is one draw. No TensorFlow: the folds' records were scored by the workers.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import pandas as pd
import streamlit as st

from components import glossary, picture_records, run_client, widgets
from components.figures import evidence as evidence_figures
from components.figures import pictures as picture_figures
from components.figures import style
from model.evidence.baselines import BASELINE_LABELS, BASELINES
from model.evidence.verdict import format_p, single_split_verdict

log = logging.getLogger(__name__)

MODEL_LABEL = "LSTM model"


@dataclass(frozen=True)
class EvidenceRecord:
    run_id: int
    status: str
    folds: int
    mode: str
    seeds: int
    verdict: str
    verdict_kind: str
    dm_text: str
    fold_labels: list[str]
    skill: dict[str, list]  # model and each non-persistence baseline: skill per scored fold
    table: pd.DataFrame  # one row per fold
    ladder: pd.DataFrame  # mean RMSE and skill of the model and every baseline
    spread: dict
    progress: tuple[int, int]  # folds ended, folds in all (over seeds)
    notes: list[str] = field(default_factory=list)
    dm_best_text: str = ""  # the pooled test against the best other baseline ('' when not available)
    labels: dict[str, str] = field(default_factory=lambda: {"model": MODEL_LABEL, **BASELINE_LABELS})
    rungs: picture_records.LadderBars | None = None  # the ladder ranked, with DM badges
    timeline: picture_records.FoldTimeline | None = None  # the folds' dates (None: the prices were not read)


def evidence_record(result, status: str, ended: int, total: int, dates=None) -> EvidenceRecord:
    """The record of a stored walk-forward run; ``dates`` (the run's price index) adds the folds' timeline."""
    ev = result.evidence
    scored = [f for f in ev.folds if f.finished]
    labels = [
        f"fold {f.fold.index + 1}" + (f" ({f.first_date[:7]} on)" if f.first_date else "") for f in scored
    ]
    skill = {
        name: [f.skill.get(name) for f in scored] for name in ("model", *BASELINES) if name != "persistence"
    }
    pooled = ev.pooled
    dm_text = "No fold has been scored yet."
    if pooled is not None:
        dm_text = (
            f"Diebold-Mariano vs persistence, pooled over {ev.folds_scored} folds ({pooled.n} forecasts, "
            f"horizon {pooled.horizon}): statistic {pooled.statistic:+.2f}, one-sided {format_p(pooled.p_better)} "
            f"that the model is better, {format_p(pooled.p_worse)} that it is worse."
        )
    table = ev.table().rename(columns={"RMSE model": f"RMSE {MODEL_LABEL}"})
    dm_best_text = ""
    if ev.pooled_best is not None and ev.best_baseline is not None:
        best = ev.pooled_best
        dm_best_text = (
            f"Diebold-Mariano vs the best other baseline, {BASELINE_LABELS[ev.best_baseline].lower()} "
            f"(lowest mean RMSE over the folds), pooled ({best.n} forecasts): statistic {best.statistic:+.2f}, "
            f"one-sided {format_p(best.p_better)} that the model is better, {format_p(best.p_worse)} that it is worse."
        )
    elif pooled is not None:
        dm_best_text = "No other baseline applies on every scored fold, or the folds were stored without it."
    notes = sorted({text for f in ev.folds for text in f.notes.values()})
    return EvidenceRecord(
        run_id=result.run_id,
        status=status,
        folds=result.folds,
        mode=result.mode,
        seeds=result.seeds,
        verdict=ev.verdict.text,
        verdict_kind=ev.verdict.kind,
        dm_text=dm_text,
        fold_labels=labels,
        skill=skill,
        table=table,
        ladder=ev.ladder(),
        spread=result.spread(),
        progress=(ended, total),
        notes=notes,
        dm_best_text=dm_best_text,
        rungs=picture_records.ladder_bars(ev, {"model": MODEL_LABEL, **BASELINE_LABELS}),
        timeline=None if dates is None else picture_records.fold_timeline(dates, [f.fold for f in ev.folds]),
    )


def load_record(record) -> EvidenceRecord | None:
    """The evidence of a walk-forward run (None for any other run)."""
    from model.orchestration.walkforward import load_walk_forward
    from model.runs import evidence_store as es

    store = run_client.store()
    result = load_walk_forward(store, record.id)
    if result is None:
        return None
    rows = es.folds_of(store, record.id)
    ended = sum(1 for r in rows if r.status != "queued")
    try:
        dates = run_client.prices(record).index
    except Exception:  # noqa: BLE001 - no stored price table: the evidence without its timeline
        dates = None
    return evidence_record(result, record.status, ended, len(rows), dates)


def render(record) -> bool:
    """Draw a walk-forward run's evidence (its verdict is the card above) and return True; for other runs, at most a one-draw note."""
    if record is None:
        return False
    try:
        rec = load_record(record)
    except Exception as exc:  # noqa: BLE001 - a damaged record: a message, never a traceback
        log.exception("A damaged walk-forward record")
        widgets.show_error(exc, kept="The run's record is still on the Runs page.")
        return True
    if rec is None:
        if run_client.has_result(record) and record.metric("skill") is not None:
            st.caption(single_split_verdict(record.metric("skill")).text)
        return False
    widgets.run_link(record)
    ended, total = rec.progress
    st.caption(
        f"Walk-forward run: {rec.folds} folds ({rec.mode}) × {rec.seeds} seed(s) · {record.data_description}"
    )
    if record.active:
        st.info(
            f"Training the folds: {ended} of {total} done. The evidence below covers the folds scored so far.",
            icon=":material/hourglass_top:",
        )
    # The verdict's sentence is the card above the tabs (verdict_view.card): said once per page.
    if rec.rungs is not None and rec.rungs.rungs:
        style.show(picture_figures.ladder_figure(rec.rungs), key="evidence_ladder_bars")
        st.caption(
            "Each badge: the Diebold-Mariano test of the LSTM against that forecast, pooled over the folds.",
            help=glossary.terms("ladder", "Diebold-Mariano", "HAC", "persistence", "ridge"),
        )
    with st.expander("The tests in numbers", expanded=False):
        st.markdown(rec.dm_text, help=glossary.term("Diebold-Mariano"))
        if rec.dm_best_text:
            st.markdown(rec.dm_best_text)
    if rec.seeds > 1:
        s = rec.spread
        widgets.metric_row([
            ("Mean skill", widgets.format_number(s["mean"], 3), "Over folds and seeds."),
            ("Spread over seeds", widgets.format_number(s["seed_std"], 4), "Std of each seed's mean skill."),
            ("Spread over folds", widgets.format_number(s["fold_std"], 4), "Std over folds of the seeds' mean."),
        ])  # fmt: skip
    style.show(evidence_figures.fold_skill_figure(rec), key="evidence_fold_bars")
    st.caption("Skill: how much lower the RMSE is than persistence's.", help=glossary.term("skill"))
    if rec.timeline is not None and rec.timeline.folds:
        style.show(picture_figures.fold_timeline_figure(rec.timeline), key="evidence_fold_timeline")
        st.caption(
            "Every baseline is scored on the same test points; each fold is normalised with its training rows only.",
            help=glossary.term("walk-forward"),
        )
    # Full width: in half-width columns the tables' columns were cut.
    st.subheader("Folds", anchor=False)
    st.dataframe(rec.table, hide_index=True, width="stretch")
    st.subheader("Baseline ladder", anchor=False, help=glossary.term("ladder"))
    ladder = rec.ladder.rename(index={"model": MODEL_LABEL, **BASELINE_LABELS})
    st.dataframe(ladder.style.format("{:.4f}", na_rep="—"), width="stretch")
    for note in rec.notes:
        st.caption(note)
    return True


def fold_distributions(store, records) -> dict[str, list[float]]:
    """Skill per scored fold of each walk-forward run among ``records`` (label -> values)."""
    from model.orchestration.walkforward import load_walk_forward

    out = {}
    for record in records:
        result = load_walk_forward(store, record.id)
        if result is not None:
            out[f"run {record.id}"] = [v for ev in result.per_seed for v in ev.skill_by_fold()]
    return out


def compare_folds(store, records) -> list:
    """Runs page: a box of fold skill per walk-forward run among ``records``; returns the other runs
    (a walk-forward run has no single test period to overlay)."""
    from model.runs import evidence_store as es

    walk_forward = es.evidence_run_ids(store)
    chosen = [r for r in records if r.id in walk_forward]
    if chosen:
        style.show(
            evidence_figures.fold_distribution_figure(fold_distributions(store, chosen)),
            key="runs_fold_skill",
        )
    return [r for r in records if r.id not in walk_forward]
