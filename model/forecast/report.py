"""The command line's view of a forecast's interval methods, and its ``coverage.csv``."""

from __future__ import annotations

from pathlib import Path

from model.forecast import online, scores

COVERAGE_CSV = "coverage.csv"


def write_coverage(forecast, folder: Path) -> Path | None:
    """Write ``coverage.csv`` (``scores.CSV_COLUMNS``) for a HorizonForecast; None when it has no
    stored intervals (a forecast stored before the interval methods existed)."""
    if forecast is None or forecast.intervals.empty:
        return None
    path = Path(folder) / COVERAGE_CSV
    scores.coverage_csv(forecast.intervals, forecast.method).to_csv(path, index=False)
    return path


def methods_report(forecast) -> str:
    """Per method: the model's worst |coverage - nominal|, the high-volatility tercile's, the mean
    interval scores; and the Diebold-Mariano test of the model against persistence."""
    intervals = forecast.intervals
    if intervals.empty:
        return "No per-method intervals stored with this forecast."
    where = "test folds" if forecast.calibration == "folds" else "test period"
    regimes = scores.regime_coverage(intervals)
    per = scores.interval_scores(intervals)
    lines = [
        f"Interval methods on the {where} (model; the run's own: {online.METHOD_LABELS.get(forecast.method)}):",
        "  method  worst gap  high-vol gap  pinball    Winkler 80%  CRPS",
    ]
    for method in online.METHODS:
        high = regimes[(regimes["method"] == method) & (regimes["regime"] == "high volatility")]
        high_gap = (high["coverage"] - high["level"].astype(float) / 100).abs().max() * 100
        mine = per[(per["forecaster"] == "model") & (per["method"] == method)]
        mark = "*" if method == forecast.method else " "
        lines.append(
            f" {mark}{method:<7s} {scores.worst_method_gap(intervals, method):6.1f} pts {high_gap:8.1f} pts"
            f"  {mine['pinball'].mean():9.4f}  {mine['winkler_80'].mean():11.4f}  {mine['crps'].mean():9.4f}"
        )
    test = scores.interval_score_test(intervals, forecast.method, "80")
    if len(test):
        better = int((test["p_better"] < 0.05).sum())
        worse = int((test["p_worse"] < 0.05).sum())
        lines.append(
            f"  80% interval score, model vs persistence (Diebold-Mariano, 5%): lower at {better} of {len(test)} "
            f"horizons, higher at {worse}."
        )
    return "\n".join(lines)
