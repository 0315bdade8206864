"""Plain verdicts: one built on walk-forward evidence, and the single split's, which says it is one draw."""

from __future__ import annotations

from dataclasses import asdict, dataclass

ALPHA = 0.05
BEATS, NO_EVIDENCE, WORSE, ONE_DRAW = "beats", "no_evidence", "worse", "one_draw"


@dataclass(frozen=True)
class Verdict:
    kind: str  # beats | no_evidence | worse | one_draw
    text: str

    def to_dict(self) -> dict:
        return asdict(self)


def format_p(p: float) -> str:
    if p != p:  # NaN
        return "p = n/a"
    if p < 0.001:
        return "p < 0.001"
    return f"p = {p:.3f}" if p < 0.1 else f"p = {p:.2f}"


def evidence_verdict(
    folds_better: int,
    folds_scored: int,
    p_better: float,
    p_worse: float,
    *,
    folds_failed: int = 0,
    benchmark: str = "persistence",
    alpha: float = ALPHA,
) -> Verdict:
    """The verdict on pooled one-sided Diebold-Mariano p-values and the count of folds better.

    "Beats" needs both a pooled p below ``alpha`` and a majority of folds better, so one lucky
    period cannot carry it; "worse" needs the pooled p of the other side below ``alpha``.
    """
    tail = (
        f" (incomplete: {folds_failed} of {folds_scored + folds_failed} folds failed)" if folds_failed else ""
    )
    count = f"{folds_better} of {folds_scored} folds better"
    if folds_scored == 0:
        return Verdict(NO_EVIDENCE, f"No evidence: every fold failed{tail}.")
    if p_better < alpha and folds_better * 2 > folds_scored:
        return Verdict(
            BEATS, f"Beats {benchmark}: {count}, Diebold-Mariano {format_p(p_better)} (pooled){tail}"
        )
    if p_worse < alpha:
        p_text = "p < 0.01" if p_worse < 0.01 else format_p(p_worse)
        return Verdict(WORSE, f"Worse than {benchmark}: {p_text} (Diebold-Mariano, pooled), {count}{tail}")
    return Verdict(NO_EVIDENCE, f"No evidence it beats {benchmark}: {count}, {format_p(p_better)}{tail}")


def single_split_verdict(skill: float, margin: float = 0.02) -> Verdict:
    """The quick run's verdict from one test period's skill, saying that it is one draw."""
    draw = (
        " One test period is a single draw, not evidence: run walk-forward folds (Folds on the Train page,"
        " --folds on the command line) for a verdict."
    )
    if skill != skill:
        return Verdict(ONE_DRAW, "No skill to judge (persistence's RMSE is zero)." + draw)
    if skill >= margin:
        head = f"Beat persistence on this test period (skill {skill:+.3f})."
    elif skill <= -margin:
        head = f"Worse than persistence on this test period (skill {skill:+.3f})."
    else:
        head = f"About as good as persistence on this test period (skill {skill:+.3f})."
    return Verdict(ONE_DRAW, head + draw)
