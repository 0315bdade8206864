"""The one verdict: did the model learn anything, judged against persistence AND the rest of the ladder.

Every page, the command line and the sweep re-check show a ``Verdict`` made by ``judge`` from a
few facts (``Facts``): the model's skill over persistence, the skill of the other rungs of the
baseline ladder (drift, the mean of the last time_step values, ridge on the same windows) scored
on the same test points, the size and direction of its predicted moves, and, for walk-forward
runs, the folds and the pooled Diebold-Mariano tests. ``split_facts`` builds them for one test
period (a single run), ``model.evidence.walkforward.pool`` for folds. The rule (docs/verdict.md):

1. Predicted moves smaller than ``NEAR_PERSISTENCE_MOVE_RATIO`` of the actual ones without beating
   persistence by ``SKILL_MARGIN``: it repeats the last price (caution).
2. Beating persistence needs skill >= ``SKILL_MARGIN``; on folds also a pooled one-sided DM p below
   ``ALPHA`` and a majority of folds better (one lucky period cannot carry it).
3. Then the best other rung: unless the model's skill is above it by ``SKILL_MARGIN`` too, a simpler
   forecaster explains the skill (caution). Green (good) only when nothing on the ladder is better.
4. Skill <= -``SKILL_MARGIN`` (on folds with DM p of the other side below ``ALPHA``): worse (bad).
5. Otherwise about as good as persistence, or on folds no evidence either way (neutral).
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, fields
from typing import Any

import numpy as np
import pandas as pd

ALPHA = 0.05
# Thresholds, measured with scripts/choose_sound_preset.py: 35 trained runs (seven
# configurations x the four bundled stock samples and the synthetic SYNTH series, 40 epochs,
# early stopping; figures in docs/verdict.md).
#
# NEAR_PERSISTENCE_MOVE_RATIO bounds the size of the model's predicted moves relative to the
# actual moves, RMS(predicted - last known) / RMS(actual - last known). The 20 change-target runs
# on the stock samples predicted moves of 0.05-0.26 of the actual ones (move correlation
# -0.05..+0.11, skill -0.043..+0.005): their line sits on the persistence line. The same
# configurations on SYNTH, where there is structure to learn, predicted moves of 0.86-0.93
# (correlation 0.85-0.87, skill +0.45..+0.50). 0.4 lies between 0.26 and 0.86 with room on both sides.
NEAR_PERSISTENCE_MOVE_RATIO = 0.4
# SKILL_MARGIN: skill closer to 0 than this is "about as good as persistence", and a rung of the
# ladder closer to the model's skill than this "does as well". No stock run got above +0.005, and
# retraining one with another seed moved skill by 0.005 (AAPL); 0.02 is four times that.
SKILL_MARGIN = 0.02

# Kinds
BEATS = "beats"  # beats persistence and every other rung
EXPLAINED = "explained"  # beats persistence, but a simpler rung does as well or better
REPEATS = "repeats"  # mostly repeats the last price
TIE = "tie"  # about as good as persistence
NO_EVIDENCE = "no_evidence"  # folds: no significant difference, or nothing scored
WORSE = "worse"
ONE_DRAW = "one_draw"  # no verdict has this kind any more (single splits say so in ``caveat``)

# Tones: how a page colours the sentence.
GOOD, CAUTION, BAD, NEUTRAL = "good", "caution", "bad", "neutral"
TONE_OF = {BEATS: GOOD, EXPLAINED: CAUTION, REPEATS: CAUTION, TIE: NEUTRAL, NO_EVIDENCE: NEUTRAL, WORSE: BAD}

RUNGS = ("drift", "mean_last", "ridge")  # the ladder's rungs besides persistence
RUNG_NAMES = {
    "drift": "drift (the last value plus the mean training move)",
    "mean_last": "the mean of the last time_step values",
    "ridge": "ridge on the same window",
}
RUNG_EXPLAINS = {
    "drift": "the trend explains this skill",
    "mean_last": "a moving average explains this skill",
    "ridge": "a linear model explains this skill",
}
ONE_DRAW_NOTE = (
    "One test period is a single draw, not evidence: run walk-forward folds (Folds on the Train page,"
    " --folds on the command line) for a verdict."
)


def format_p(p: float | None) -> str:
    if p is None or p != p:  # NaN
        return "p = n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def signed(value: float, digits: int = 3) -> str:
    """A skill with its sign; a value that rounds to zero is +0.000, never -0.000."""
    text = f"{value:+.{digits}f}"
    return "+" + text[1:] if float(text) == 0 else text


def _finite(value) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) else None


@dataclass(frozen=True)
class Facts:
    """What the verdict is made of. ``folds`` 0 with ``walk_forward`` False: one test period."""

    skill: float | None  # 1 - RMSE(model) / RMSE(persistence) (folds: of the mean RMSEs)
    move_ratio: float | None = None  # RMS(predicted - last known) / RMS(actual - last known)
    move_correlation: float | None = None  # corr(predicted move, actual move)
    rungs: dict[str, float] = field(default_factory=dict)  # skill of each other rung that applies
    walk_forward: bool = False
    folds: int = 0  # folds scored
    folds_failed: int = 0
    folds_better: int = 0  # folds where the model's RMSE is below persistence's
    p_better: float | None = None  # one-sided DM p: the model better than persistence
    p_worse: float | None = None  # one-sided DM p: the model worse than persistence
    best_rung: str | None = None  # the best other rung (default: the one with the highest skill)
    rung_folds_better: int = 0  # folds where the best rung's RMSE is below the model's
    rung_p: float | None = None  # one-sided DM p: the best rung better than the model


@dataclass(frozen=True)
class Verdict:
    """The one verdict on a run: ``text`` is the sentence every page and the CLI show."""

    kind: str
    text: str
    tone: str = NEUTRAL
    skill: float | None = None
    best_rung: str | None = None
    best_rung_skill: float | None = None
    walk_forward: bool = False
    folds: int = 0
    folds_better: int = 0
    folds_failed: int = 0
    rung_folds_better: int = 0
    p_better: float | None = None
    rung_p: float | None = None
    move_ratio: float | None = None
    move_correlation: float | None = None
    beats_persistence: bool = False
    rungs: dict[str, float] = field(default_factory=dict)  # skill of every other rung that applies
    detail: str = ""  # the numbers behind it, in words
    caveat: str = ""  # a single test period: it is one draw

    @property
    def single_split(self) -> bool:
        return not self.walk_forward

    @property
    def best_rung_name(self) -> str:
        return RUNG_NAMES.get(self.best_rung or "", "")

    @property
    def folds_text(self) -> str:
        if not self.walk_forward:
            return "one test period"
        tail = f" ({self.folds_failed} failed)" if self.folds_failed else ""
        return f"{self.folds_better} of {self.folds} folds better than persistence{tail}"

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> "Verdict":
        """A stored verdict (older records hold only kind and text: the tone follows the kind)."""
        names = {f.name for f in fields(cls)}
        kept = {k: v for k, v in dict(data).items() if k in names}
        kept.setdefault("tone", TONE_OF.get(kept.get("kind", ""), NEUTRAL))
        return cls(**kept)


def _moves_sentence(ratio: float | None, corr: float | None) -> str:
    if ratio is None:
        return ""
    corr_text = "undefined" if corr is None else f"{corr:+.2f}"
    return (
        f"Its predicted moves are {ratio:.2f}× the size of the actual moves and correlate with them at "
        f"{corr_text} (1 = always the right way and in proportion, 0 = unrelated)."
    )


def judge(facts: Facts, *, alpha: float = ALPHA, margin: float = SKILL_MARGIN) -> Verdict:
    """The verdict (the rule in the module's docstring)."""
    skill = _finite(facts.skill)
    ratio, corr = _finite(facts.move_ratio), _finite(facts.move_correlation)
    rungs = {n: s for n, v in facts.rungs.items() if (s := _finite(v)) is not None}
    best = (
        facts.best_rung
        if facts.best_rung in rungs
        else (max(rungs, key=rungs.__getitem__) if rungs else None)
    )
    best_skill = rungs.get(best) if best else None
    wf, n = facts.walk_forward, facts.folds
    p_better, p_worse, rung_p = _finite(facts.p_better), _finite(facts.p_worse), _finite(facts.rung_p)
    base: dict[str, Any] = dict(
        skill=skill,
        best_rung=best,
        best_rung_skill=best_skill,
        walk_forward=wf,
        folds=n,
        folds_better=facts.folds_better,
        folds_failed=facts.folds_failed,
        rung_folds_better=facts.rung_folds_better,
        p_better=p_better,
        rung_p=rung_p,
        move_ratio=ratio,
        move_correlation=corr,
        rungs=rungs,
        caveat="" if wf else ONE_DRAW_NOTE,
    )
    tail = (
        f" (incomplete: {facts.folds_failed} of {n + facts.folds_failed} folds failed)"
        if facts.folds_failed
        else ""
    )
    where = "" if wf else " on this test period"
    moves = _moves_sentence(ratio, corr)

    rung_note = ""
    if best is not None and best_skill is not None and best_skill >= margin:
        rung_note = f"The best other baseline, {RUNG_NAMES[best]}, reaches skill {signed(best_skill)} on the same points."

    def verdict(kind: str, text: str, detail: str = "", beats: bool = False) -> Verdict:
        if rung_note and kind not in (BEATS, EXPLAINED):
            # A simple baseline that clearly beats persistence belongs in the one sentence: there is
            # something to learn on these prices, and this network has not learned it.
            rung = RUNG_NAMES[best]
            text += (
                f" {rung[0].upper()}{rung[1:]} reaches skill {signed(best_skill)} on the same points: "
                "there is structure this network did not learn."
            )
        detail = " ".join(s for s in (detail, moves) if s)
        return Verdict(kind, text + tail, TONE_OF[kind], beats_persistence=beats, detail=detail, **base)

    if skill is None:
        if wf and n == 0:
            return verdict(
                NO_EVIDENCE,
                "No evidence: every fold failed."
                if facts.folds_failed
                else "No evidence: no fold has been scored yet.",
            )
        return verdict(NO_EVIDENCE, f"No skill to judge{where}: persistence's error is zero.")
    count = f"better in {facts.folds_better} of {n} folds"
    significant = p_better is not None and p_better < alpha and facts.folds_better * 2 > n
    beats = skill >= margin and (significant or not wf)

    if ratio is not None and ratio < NEAR_PERSISTENCE_MOVE_RATIO and not beats:
        return verdict(
            REPEATS,
            f"Repeats the last price{where}: its predicted moves are {ratio:.2f}× the actual ones "
            f"(skill {signed(skill)}), what persistence already does.",
            "It has learned that tomorrow looks like today. Daily price moves are close to unpredictable; "
            "on a series with real structure the same network does better.",
        )
    if beats:
        if best is not None and skill - best_skill < margin:
            rung, explains = RUNG_NAMES[best], RUNG_EXPLAINS[best]
            if best_skill > skill and wf:
                text = (
                    f"Beats persistence, but {rung} does better in {facts.rung_folds_better} of {n} folds "
                    f"({format_p(rung_p)}): {explains}."
                )
            elif best_skill > skill:
                text = (
                    f"Beats persistence{where} (skill {signed(skill)}), but {rung} does better "
                    f"(skill {signed(best_skill)}, {format_p(rung_p)}): {explains}."
                )
            else:
                text = (
                    f"Beats persistence{where}, but {rung} does as well (skill {signed(best_skill)} against the "
                    f"model's {signed(skill)}): {explains}."
                )
            detail = (
                f"The model's skill over persistence is {signed(skill)}; {rung} reaches {signed(best_skill)}."
            )
            return verdict(EXPLAINED, text, detail, beats=True)
        if wf:
            text = f"Beats persistence and every other baseline: {count} (Diebold-Mariano {format_p(p_better)}), skill {signed(skill)}"
        else:
            text = f"Beats persistence and every other baseline{where} (skill {signed(skill)})"
        if best is not None:
            text += f"; the best other, {RUNG_NAMES[best]}, reaches {signed(best_skill)}."
        else:
            text += "."
        return verdict(
            BEATS, text, f"Its test RMSE is {skill:.0%} lower than repeating the last price.", beats=True
        )
    if skill <= -margin and (not wf or (p_worse is not None and p_worse < alpha)):
        if wf:
            p_text = "p < 0.01" if p_worse < 0.01 else format_p(p_worse)
            text = f"Worse than persistence: skill {signed(skill)}, {count} (Diebold-Mariano {p_text})."
        else:
            text = f"Worse than persistence{where} (skill {signed(skill)})."
        return verdict(
            WORSE,
            text,
            "Repeating the last known price would have been more accurate. Moves much larger than the actual "
            "ones usually mean the predictions are off in level rather than in direction.",
        )
    if wf and abs(skill) >= margin:
        return verdict(
            NO_EVIDENCE,
            f"No evidence it differs from persistence: skill {signed(skill)}, {count}, {format_p(p_better)}.",
        )
    text = f"About as good as persistence{where} (skill {signed(skill)})" + (f", {count}." if wf else ".")
    return verdict(
        TIE,
        text,
        f"The gain or loss is within ±{margin} of skill, what retraining with another seed changes.",
    )


# -- facts of one test period ---------------------------------------------------------------------------


def move_stats(actual, predicted, last_known) -> tuple[float | None, float | None]:
    """(move ratio, move correlation) of predictions against the actual values, both from the last known."""
    actual, predicted, last = (np.asarray(v, dtype=np.float64) for v in (actual, predicted, last_known))
    predicted_move, actual_move = predicted - last, actual - last
    if not len(actual):
        return None, None
    rms_actual = float(np.sqrt(np.mean(actual_move**2)))
    ratio = float(np.sqrt(np.mean(predicted_move**2))) / rms_actual if rms_actual > 0 else None
    corr = None
    if len(actual) >= 2 and np.std(predicted_move) > 0 and np.std(actual_move) > 0:
        corr = float(np.corrcoef(predicted_move, actual_move)[0, 1])
    return ratio, corr


def _rmse(err: np.ndarray) -> float:
    return float(np.sqrt(np.mean(err**2))) if len(err) else float("nan")


def split_facts(test: pd.DataFrame, ladder: dict | None = None, horizon: int = 1) -> Facts:
    """The facts of one test period: its rows (actual, predicted, last_known; window for the DM test)
    and the ladder's predictions at the same rows, in the same order (``baselines.baseline_ladder``)."""
    from model.evidence.significance import dm_from_differential, window_differential

    actual = test["actual"].to_numpy(dtype=float)
    predicted = test["predicted"].to_numpy(dtype=float)
    last = test["last_known"].to_numpy(dtype=float)
    window = test["window"].to_numpy() if "window" in test else np.arange(len(test))
    base = _rmse(actual - last)
    model_rmse = _rmse(actual - predicted)
    skill = 1.0 - model_rmse / base if base > 0 else None
    ratio, corr = move_stats(actual, predicted, last)
    rungs, rmse = {}, {}
    for name in RUNGS:
        values = None if ladder is None else ladder.get(name)
        if values is None or len(values) != len(actual) or base <= 0:
            continue
        rmse[name] = _rmse(actual - np.asarray(values, dtype=float))
        rungs[name] = 1.0 - rmse[name] / base
    p_better = p_worse = None
    if len(actual) >= 2:
        dm = dm_from_differential(
            window_differential((actual - predicted) ** 2, (actual - last) ** 2, window), horizon
        )
        p_better, p_worse = dm.p_better, dm.p_worse
    best = max(rungs, key=rungs.__getitem__) if rungs else None
    rung_p = None
    if best is not None and len(actual) >= 2:
        rung_errors = (actual - np.asarray(ladder[best], dtype=float)) ** 2
        rung_p = dm_from_differential(
            window_differential((actual - predicted) ** 2, rung_errors, window), horizon
        ).p_worse
    return Facts(
        skill=skill,
        move_ratio=ratio,
        move_correlation=corr,
        rungs=rungs,
        p_better=p_better,
        p_worse=p_worse,
        best_rung=best,
        rung_folds_better=int(best is not None and rmse[best] < model_rmse),
        rung_p=rung_p,
    )


def split_verdict(test: pd.DataFrame, ladder: dict | None = None, horizon: int = 1) -> Verdict:
    """The verdict on one test period (a single run): ``judge(split_facts(...))``."""
    return judge(split_facts(test, ladder, horizon))


def single_split_verdict(skill: float, margin: float = SKILL_MARGIN) -> Verdict:
    """The verdict from a test period's skill alone (no moves, no ladder known): for callers holding only
    the stored metric. ``split_verdict`` is the full one."""
    return judge(Facts(skill=skill), margin=margin)


def evaluation_verdict(evaluation, data) -> Verdict:
    """The verdict of a trained run's evaluation on its test period, with the ladder scored on the same
    points (``data``: the run's PreparedData). What the worker stores with every single run."""
    from model.evidence.baselines import baseline_ladder

    horizon = 1 if data.config.target_mode == "next_day" else data.config.time_step
    test = evaluation.split("test")
    ladder = baseline_ladder(data).predictions if len(data.test) else None
    return split_verdict(test, ladder, horizon)
