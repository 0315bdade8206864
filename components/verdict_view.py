"""The run's one verdict on a page (``model.orchestration.verdicts.run_verdict``): the card at the top of Results,
the same sentence on Inside. ``card_record`` is the small pure record; ``card`` draws it."""

from __future__ import annotations

from dataclasses import dataclass

import streamlit as st

from components import run_client, widgets
from model.evidence.verdict import BAD, CAUTION, GOOD, RUNG_NAMES, Verdict

CARD_KEY = "verdict_card"  # the card's container key: its CSS class is st-key-verdict_card
BOX = {GOOD: "success", CAUTION: "warning", BAD: "error"}  # neutral: info
ICON = {
    GOOD: ":material/verified:",
    CAUTION: ":material/rule:",
    BAD: ":material/trending_down:",
}
SKILL_HELP = (
    "Skill = 1 − RMSE(model) / RMSE(persistence), on the same test points: above 0 the model beats "
    "repeating the last known price (persistence), below 0 it does worse."
)
RUNG_HELP = (
    "The best of the other simple forecasters scored on the same test points: drift (last value plus "
    "the mean training move), the mean of the last time_step values, and ridge regression on the same "
    "windows. Green needs the model above all of them."
)


def verdict_of(record) -> Verdict | None:
    """The verdict of the stored run ``record`` (None without a result to judge). Ended runs are
    judged once per process (their record does not change); a run still training every time."""
    if record is None:
        return None
    store = run_client.store()
    if record.active:
        return _judge(store, record.id)
    created = record.created.isoformat() if record.created else ""
    data = _ended_verdict(store.where, record.id, created, record.status)
    return None if data is None else Verdict.from_dict(data)


def _judge(store, run_id: int) -> Verdict | None:
    from model.orchestration.verdicts import run_verdict

    return run_verdict(store, run_id)


@st.cache_data(show_spinner=False, max_entries=256)
def _ended_verdict(where: str, run_id: int, created: str, status: str) -> dict | None:
    verdict = _judge(run_client.store(), run_id)
    return None if verdict is None else verdict.to_dict()


@dataclass(frozen=True)
class CardRecord:
    tone: str
    text: str
    skill: str
    rung_label: str
    rung: str
    folds: str
    caveat: str


def card_record(verdict: Verdict) -> CardRecord:
    rung = "—"
    if verdict.best_rung is not None:
        rung = f"{widgets.format_number(verdict.best_rung_skill, 3)}"
    label = f"Best other: {verdict.best_rung}" if verdict.best_rung else "Best other baseline"
    folds = (
        f"{verdict.folds_better} of {verdict.folds} better"
        + (f" · {verdict.folds_failed} failed" if verdict.folds_failed else "")
        if verdict.walk_forward
        else "1 test period"
    )
    return CardRecord(
        tone=verdict.tone,
        text=verdict.text,
        skill=widgets.format_number(verdict.skill, 3),
        rung_label=label,
        rung=rung,
        folds=folds,
        caveat=verdict.caveat,
    )


def sentence(verdict: Verdict, container=None) -> None:
    """The verdict's one sentence, coloured by its tone."""
    where = container if container is not None else st
    show = getattr(where, BOX.get(verdict.tone, "info"))
    show(verdict.text, icon=ICON.get(verdict.tone, ":material/info:"))


def card(verdict: Verdict) -> None:
    """The card at the top of Results: the sentence, the skill, the best other rung, the folds."""
    rec = card_record(verdict)
    with st.container(border=True, key=CARD_KEY):
        sentence(verdict)
        rung_help = RUNG_HELP + (f" Here: {RUNG_NAMES[verdict.best_rung]}." if verdict.best_rung else "")
        folds_help = (
            "Walk-forward folds: each trains on everything before its test period; "
            "counted are the folds where the model's RMSE is below persistence's."
            if verdict.walk_forward
            else "A single run is judged on one test period: one draw, not evidence."
        )
        widgets.metric_row(
            [
                ("Skill over persistence", rec.skill, SKILL_HELP),
                (rec.rung_label, rec.rung, rung_help),
                ("Folds", rec.folds, folds_help),
            ]
        )
        if rec.caveat:
            st.caption(rec.caveat)
