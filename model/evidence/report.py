"""Plain-text report of walk-forward evidence: the fold table, the ladder, the Diebold-Mariano tests
(vs persistence and vs the best other baseline, per fold and pooled), the spreads, the verdict."""

from __future__ import annotations

import math

from model.evidence.baselines import BASELINE_LABELS, BASELINES
from model.evidence.verdict import format_p


def _num(value, fmt: str = "{:.4f}") -> str:
    return "-" if value is None or (isinstance(value, float) and math.isnan(value)) else fmt.format(value)


def fold_lines(evidence) -> list[str]:
    names = ("model", *BASELINES)
    head = f"{'fold':>4}  {'test period':<24} {'epochs':>6}  " + "  ".join(f"{n:>11}" for n in names)
    # DM p: one-sided, the model better; first against persistence, then against the fold's best other baseline.
    lines = [head + f"  {'skill':>8}  {'DM p':>8}  {'best other':>10}  {'its DM p':>8}"]
    for f in evidence.folds:
        period = (
            f"{f.first_date} .. {f.last_date}"
            if f.first_date
            else f"rows {f.fold.test_start}..{f.fold.test_end - 1}"
        )
        if not f.finished:
            lines.append(f"{f.fold.index + 1:>4}  {period:<24} FAILED: {f.error}")
            continue
        rmse = "  ".join(f"{_num(f.rmse.get(n)):>11}" for n in names)
        p = (f.dm_persistence or {}).get("p_better")
        p_best = (f.dm_best or {}).get("p_better")
        lines.append(
            f"{f.fold.index + 1:>4}  {period:<24} {_num(f.epochs, '{}'):>6}  {rmse}  "
            f"{_num(f.skill.get('model'), '{:+.4f}'):>8}  {_num(p, '{:.3f}'):>8}  "
            f"{f.best_baseline or '-':>10}  {_num(p_best, '{:.3f}'):>8}"
        )
    return lines


def ladder_lines(evidence) -> list[str]:
    base = evidence.mean_rmse.get("persistence")
    lines = [f"{'forecast':<44} {'mean RMSE':>10} {'skill':>8}"]
    for name in ("model", *BASELINES):
        rmse = evidence.mean_rmse.get(name)
        skill = None if rmse is None or not base else 1 - rmse / base
        label = "LSTM (this configuration)" if name == "model" else BASELINE_LABELS[name]
        lines.append(f"{label:<44} {_num(rmse):>10} {_num(skill, '{:+.4f}'):>8}")
    notes = {n: text for f in evidence.folds for n, text in f.notes.items()}
    lines += [f"  note ({name}): {text}" for name, text in notes.items()]
    return lines


def walk_forward_report(result) -> str:
    """``result``: a model.orchestration.reading.WalkForward."""
    ev = result.evidence
    out = [f"Walk-forward: {result.folds} folds ({result.mode}), {result.seeds} seed(s)", ""]
    if result.seeds > 1:
        out.append("Folds (model RMSE and skill averaged over seeds):")
    out += (
        fold_lines(ev)
        + ["", "Baseline ladder (mean over scored folds, same test points):"]
        + ladder_lines(ev)
    )
    if ev.pooled is not None:
        out += [
            "",
            f"Diebold-Mariano vs persistence, pooled over {ev.folds_scored} folds ({ev.pooled.n} forecasts, "
            f"horizon {ev.pooled.horizon}): statistic {ev.pooled.statistic:+.3f}, "
            f"better {format_p(ev.pooled.p_better)}, worse {format_p(ev.pooled.p_worse)}",
        ]
    if ev.pooled_best is not None:
        best = ev.pooled_best
        out.append(
            f"Diebold-Mariano vs the best other baseline ({ev.best_baseline}, lowest mean RMSE over the folds), "
            f"pooled ({best.n} forecasts): statistic {best.statistic:+.3f}, "
            f"better {format_p(best.p_better)}, worse {format_p(best.p_worse)}"
        )
    spread = result.spread()
    if result.seeds > 1:
        out.append(
            f"Skill spread: over seeds {spread['seed_std']:.4f} (std of {spread['seeds']} seeds' means), "
            f"over folds {spread['fold_std']:.4f}; mean skill {spread['mean']:+.4f}"
        )
        out += [f"  seed {i + 1}: {ev_s.verdict.text}" for i, ev_s in enumerate(result.per_seed)]
    out += ["", "Verdict: " + ev.verdict.text]
    return "\n".join(out)
