"""Coverage and proper scores of the test intervals (``model.forecast.intervals.INTERVAL_COLUMNS``).

- coverage per (forecaster, method, level, horizon): ``method_coverage``; ``coverage_csv`` is
  the command line's ``coverage.csv`` (with a ``default`` column marking the run's own method);
- coverage over time (a trailing 60-origin window): ``rolling_coverage``;
- coverage by regime, known at the origin: terciles of the trailing 20-day realised volatility
  over the tested origins, and up and down origin days: ``regime_coverage``;
- proper scores per horizon (lower is better): the pinball loss at the bands' quantiles (the
  band at level L has its lower bound at quantile (1 - L)/2 and its upper bound at (1 + L)/2),
  the interval (Winkler) score ``width + 2/alpha * distance outside``, and the CRPS from the
  quantiles (twice the mean pinball loss over the point, taken as the median, and the bands'
  quantiles): ``interval_scores``;
- model against persistence: the Diebold-Mariano test on the interval score per horizon
  (``model.evidence.significance``): ``interval_score_test``;
- the PIT histogram: ``pit_histogram``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

ROLLING_WINDOW = 60
REGIMES = ("low volatility", "mid volatility", "high volatility", "up days", "down days")
METHOD_COVERAGE_COLUMNS = ("forecaster", "method", "level", "horizon", "coverage", "tested")
CSV_COLUMNS = ("forecaster", "method", "level", "horizon", "coverage", "default")
SCORE_COLUMNS = ("forecaster", "method", "horizon", "pinball", "winkler_80", "winkler_95", "crps", "tested")


def pinball_loss(actual, quantile, tau: float) -> np.ndarray:
    """tau * (y - q) when y >= q, else (1 - tau) * (q - y), elementwise."""
    y, q = np.asarray(actual, dtype=np.float64), np.asarray(quantile, dtype=np.float64)
    return np.where(y >= q, tau * (y - q), (1.0 - tau) * (q - y))


def winkler_score(actual, lower, upper, level: float) -> np.ndarray:
    """The interval score at ``level``: upper - lower, plus 2/alpha times the distance outside."""
    y, lo, hi = (np.asarray(a, dtype=np.float64) for a in (actual, lower, upper))
    alpha = 1.0 - level
    return (hi - lo) + (2.0 / alpha) * (np.maximum(lo - y, 0.0) + np.maximum(y - hi, 0.0))


def crps_from_quantiles(actual, quantiles: dict[float, np.ndarray]) -> np.ndarray:
    """CRPS approximated from quantile forecasts: 2 * the mean pinball loss over their levels."""
    losses = [pinball_loss(actual, q, tau) for tau, q in quantiles.items()]
    return 2.0 * np.mean(losses, axis=0)


def covered(frame: pd.DataFrame) -> pd.Series:
    ok = frame[["actual", "lower", "upper"]].notna().all(axis=1)
    inside = (frame["actual"] >= frame["lower"]) & (frame["actual"] <= frame["upper"])
    return inside.where(ok).astype("float64")


def method_coverage(intervals: pd.DataFrame) -> pd.DataFrame:
    """Coverage per (forecaster, method, level, horizon) (METHOD_COVERAGE_COLUMNS), NaN bands left out."""
    frame = intervals.assign(inside=covered(intervals))
    grouped = frame.groupby(["forecaster", "method", "level", "horizon"], sort=False)["inside"]
    out = grouped.agg(coverage="mean", tested="count").reset_index()
    return out[list(METHOD_COVERAGE_COLUMNS)]


def coverage_csv(intervals: pd.DataFrame, default_method: str) -> pd.DataFrame:
    """The ``coverage.csv`` table: CSV_COLUMNS, ``default`` True on the run's own method's rows."""
    table = method_coverage(intervals)
    table["level"] = table["level"].astype(str)
    table["default"] = table["method"] == default_method
    return table[list(CSV_COLUMNS)].sort_values(
        ["forecaster", "method", "level", "horizon"], ignore_index=True
    )


def write_coverage_csv(intervals: pd.DataFrame, default_method: str, folder: Path) -> Path:
    path = Path(folder) / "coverage.csv"
    coverage_csv(intervals, default_method).to_csv(path, index=False)
    return path


def read_coverage_csv(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, dtype={"level": str})


def worst_method_gap(intervals: pd.DataFrame, method: str, forecaster: str = "model") -> float:
    """The largest |coverage - nominal| over horizons and levels of one method, in points."""
    table = method_coverage(intervals)
    part = table[(table["forecaster"] == forecaster) & (table["method"] == method)].dropna(
        subset=["coverage"]
    )
    if part.empty:
        return float("nan")
    return float((part["coverage"] - part["level"].astype(float) / 100).abs().max() * 100)


def rolling_coverage(
    intervals: pd.DataFrame, *, forecaster: str, level: str, horizon: int, window: int = ROLLING_WINDOW
) -> pd.DataFrame:
    """Coverage over the trailing ``window`` origins, per method: columns date, method, coverage."""
    part = intervals[
        (intervals["forecaster"] == forecaster)
        & (intervals["level"] == level)
        & (intervals["horizon"] == horizon)
    ]
    frames = []
    for method, group in part.groupby("method", sort=False):
        group = group.sort_values("origin")
        inside = covered(group)
        rolled = inside.rolling(window, min_periods=min(window, max(len(group), 1))).mean()
        frames.append(
            pd.DataFrame({"date": group["date"].to_numpy(), "method": method, "coverage": rolled.to_numpy()})
        )
    if not frames:
        return pd.DataFrame({"date": [], "method": [], "coverage": []})
    return pd.concat(frames, ignore_index=True)


def regime_labels(intervals: pd.DataFrame) -> pd.Series:
    """Each row's volatility tercile over the tested origins (each origin counted once)."""
    by_origin = intervals.drop_duplicates("origin").set_index("origin")["volatility"].dropna()
    out = pd.Series("", index=intervals.index, dtype=object)
    if len(by_origin) < 3:
        return out
    low, high = np.quantile(by_origin.to_numpy(), [1 / 3, 2 / 3])
    vol = intervals["volatility"]
    out[vol.notna() & (vol <= low)] = REGIMES[0]
    out[(vol > low) & (vol <= high)] = REGIMES[1]
    out[vol > high] = REGIMES[2]
    return out


def regime_coverage(intervals: pd.DataFrame, forecaster: str = "model") -> pd.DataFrame:
    """Coverage by regime over every horizon: columns method, level, regime, coverage, tested."""
    part = intervals[intervals["forecaster"] == forecaster]
    frame = part.assign(inside=covered(part), regime=regime_labels(part))
    rows = []
    for (method, level), group in frame.groupby(["method", "level"], sort=False):
        for regime in REGIMES:
            if regime.endswith("days"):
                mask = group["move"] == regime.split()[0]
            else:
                mask = group["regime"] == regime
            inside = group.loc[mask, "inside"].dropna()
            rows.append(
                {
                    "method": method,
                    "level": level,
                    "regime": regime,
                    "coverage": float(inside.mean()) if len(inside) else float("nan"),
                    "tested": int(len(inside)),
                }
            )
    return pd.DataFrame(rows, columns=["method", "level", "regime", "coverage", "tested"])


def interval_scores(intervals: pd.DataFrame) -> pd.DataFrame:
    """Mean proper scores per (forecaster, method, horizon) (SCORE_COLUMNS), in price units."""
    rows = []
    keys = ["forecaster", "method", "horizon", "origin"]
    levels = sorted(intervals["level"].unique(), key=float)
    wide = None
    for level in levels:
        part = intervals[intervals["level"] == level].set_index(keys)
        cols = part[["lower", "upper"]].add_suffix(f"_{level}")
        wide = cols if wide is None else wide.join(cols)
        if "actual" not in wide:
            wide = wide.join(part[["actual", "point"]])
    if wide is None:
        return pd.DataFrame(columns=list(SCORE_COLUMNS))
    wide = wide.dropna()
    for (forecaster, method, horizon), group in wide.groupby(level=[0, 1, 2], sort=False):
        y = group["actual"].to_numpy()
        quantiles = {0.5: group["point"].to_numpy()}
        pinballs = []
        row: dict = {"forecaster": forecaster, "method": method, "horizon": int(horizon)}
        for level in levels:
            lv = float(level) / 100
            lo, hi = group[f"lower_{level}"].to_numpy(), group[f"upper_{level}"].to_numpy()
            quantiles[(1 - lv) / 2], quantiles[(1 + lv) / 2] = lo, hi
            pinballs += [pinball_loss(y, lo, (1 - lv) / 2), pinball_loss(y, hi, (1 + lv) / 2)]
            row[f"winkler_{level}"] = float(winkler_score(y, lo, hi, lv).mean())
        row["pinball"] = float(np.mean(pinballs))
        row["crps"] = float(crps_from_quantiles(y, quantiles).mean())
        row["tested"] = len(group)
        rows.append(row)
    return pd.DataFrame(rows).reindex(columns=list(SCORE_COLUMNS))


def interval_score_test(intervals: pd.DataFrame, method: str, level: str) -> pd.DataFrame:
    """Model against persistence per horizon: Diebold-Mariano on the interval score at ``level``
    (columns horizon, model, persistence, statistic, p_better, p_worse, n)."""
    from model.evidence.significance import dm_from_differential

    part = intervals[(intervals["method"] == method) & (intervals["level"] == level)].dropna(
        subset=["actual", "lower", "upper"]
    )
    part = part.assign(score=winkler_score(part["actual"], part["lower"], part["upper"], float(level) / 100))
    rows = []
    for horizon, group in part.groupby("horizon"):
        wide = group.pivot_table(index="origin", columns="forecaster", values="score").dropna()
        if not {"model", "persistence"} <= set(wide.columns) or wide.empty:
            continue
        result = dm_from_differential((wide["model"] - wide["persistence"]).to_numpy(), int(horizon))
        rows.append(
            {
                "horizon": int(horizon),
                "model": float(wide["model"].mean()),
                "persistence": float(wide["persistence"].mean()),
                "statistic": result.statistic,
                "p_better": result.p_better,
                "p_worse": result.p_worse,
                "n": result.n,
            }
        )
    return pd.DataFrame(
        rows, columns=["horizon", "model", "persistence", "statistic", "p_better", "p_worse", "n"]
    )


def pit_histogram(
    intervals: pd.DataFrame, *, forecaster: str = "model", horizon: int | None = None, bins: int = 10
):
    """(bin edges, share of PIT values per bin) over the tested origins (one per origin and horizon)."""
    part = intervals[intervals["forecaster"] == forecaster]
    if horizon is not None:
        part = part[part["horizon"] == horizon]
    pit = part.drop_duplicates(["horizon", "origin"])["pit"].dropna().to_numpy()
    edges = np.linspace(0.0, 1.0, bins + 1)
    counts, _ = np.histogram(np.clip(pit, 0.0, 1.0), bins=edges)
    share = counts / counts.sum() if counts.sum() else counts.astype(np.float64)
    return edges, share
