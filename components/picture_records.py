"""Small records behind the Results page's pictures (pure: no Streamlit, no plotly, no TensorFlow).

Each function turns stored numbers into the few values one picture needs;
``components.figures.pictures`` draws them. The pictures replace paragraphs: the expanding folds
as a timeline, the conformal band as a histogram of the model's own residuals, direct vs recursive
as a two-panel sketch, the Diebold-Mariano results as a ranked bar of the ladder, the leak as a
timeline of which prices the scaler saw.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from model.evidence.significance import dm_from_differential
from model.forecast.conformal import conformal_quantile

# -- the expanding folds ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FoldSpan:
    label: str  # "fold 2"
    train: tuple[Any, Any]  # first and last date of each period
    val: tuple[Any, Any] | None
    test: tuple[Any, Any]


@dataclass(frozen=True)
class FoldTimeline:
    folds: tuple[FoldSpan, ...]

    @property
    def expanding(self) -> bool:
        """Every fold trains from the same first date on more data than the fold before."""
        ends = [f.train[1] for f in self.folds]
        return all(f.train[0] == self.folds[0].train[0] for f in self.folds) and ends == sorted(ends)


def _boundary(fold) -> tuple[int, int, int, int]:
    get = fold.get if isinstance(fold, Mapping) else lambda name: getattr(fold, name)
    return int(get("index")), int(get("val_start")), int(get("test_start")), int(get("test_end"))


def fold_timeline(dates: Sequence, folds: Iterable) -> FoldTimeline:
    """The train / validation / test dates of each fold (``folds``: Fold objects or their dicts,
    row boundaries into ``dates``)."""
    index = pd.DatetimeIndex(dates)
    last = len(index) - 1
    spans = []
    for fold in folds:
        number, val_start, test_start, test_end = _boundary(fold)
        at = lambda row: index[min(max(row, 0), last)]  # noqa: E731 - a clamp on the index
        val = (at(val_start), at(test_start - 1)) if test_start > val_start else None
        spans.append(
            FoldSpan(
                f"fold {number + 1}", (index[0], at(val_start - 1)), val, (at(test_start), at(test_end - 1))
            )
        )
    return FoldTimeline(tuple(spans))


# -- the conformal band --------------------------------------------------------------------------


@dataclass(frozen=True)
class ResidualHistogram:
    residuals: np.ndarray  # actual - predicted on points the model did not train on
    quantiles: dict[int, float]  # level % -> conformal half-width (NaN: too few residuals)
    source: str

    @property
    def n(self) -> int:
        return len(self.residuals)

    def inside(self, level: int) -> float:
        """Share of these residuals within ± the level's half-width (at least the level, by construction)."""
        q = self.quantiles.get(level, math.nan)
        if not self.n or not np.isfinite(q):
            return math.nan
        return float(np.mean(np.abs(self.residuals) <= q))


def residual_histogram(
    residuals, levels: Sequence[float] = (0.8, 0.95), source: str = ""
) -> ResidualHistogram:
    values = np.asarray(residuals, dtype=np.float64)
    values = values[np.isfinite(values)]
    quantiles = {int(round(level * 100)): float(conformal_quantile(values, level)) for level in levels}
    return ResidualHistogram(values, quantiles, source)


def evaluation_residuals(evaluation, splits: Sequence[str] = ("val", "test")) -> np.ndarray:
    """One-day-ahead residuals (actual - predicted) of a stored evaluation on points it did not train on."""
    frame = evaluation.predictions
    frame = frame[frame["split"].isin(list(splits)) & (frame["step"] == 1)]
    return (frame["actual"] - frame["predicted"]).to_numpy(dtype=np.float64)


def fold_residuals(fold_results: Iterable) -> np.ndarray:
    """One-day-ahead residuals of the model over every scored fold's test points."""
    out: list[float] = []
    for f in fold_results:
        residuals = getattr(f, "residuals", None) or {}
        steps, model = residuals.get("step", []), residuals.get("model", [])
        out.extend(r for s, r in zip(steps, model) if s == 1)
    return np.asarray(out, dtype=np.float64)


# -- direct vs recursive -------------------------------------------------------------------------


@dataclass(frozen=True)
class StrategyPanel:
    name: str  # "direct" | "recursive"
    inputs: tuple[int, ...]  # the window's days (…, -1, 0): known prices
    outputs: tuple[int, ...]  # days ahead (1..h)
    arrows: tuple[tuple[int, int], ...]  # (from day, to day): what each forecast is computed from
    used: bool  # the run's strategy
    line: str


@dataclass(frozen=True)
class StrategySketch:
    horizon: int
    panels: tuple[StrategyPanel, StrategyPanel]


def strategy_sketch(horizon: int, used: str, window: int = 4) -> StrategySketch:
    """Direct: every day ahead from the known window at once; recursive: each day from the one before."""
    h = max(1, min(int(horizon), 6))  # a sketch: at most six days drawn
    inputs = tuple(range(-window + 1, 1))
    days = tuple(range(1, h + 1))
    direct = StrategyPanel(
        "direct", inputs, days, tuple((0, d) for d in days), used == "direct",
        "one output per day ahead, all from the known window",
    )  # fmt: skip
    recursive = StrategyPanel(
        "recursive", inputs, days, tuple((d - 1, d) for d in days), used == "recursive",
        "one day at a time, each prediction fed back as input",
    )  # fmt: skip
    return StrategySketch(h, (direct, recursive))


# -- the ladder with Diebold-Mariano badges ------------------------------------------------------


@dataclass(frozen=True)
class Rung:
    name: str
    label: str
    rmse: float
    skill: float | None
    p_better: float | None  # DM: the model beats this rung (None for the model itself)
    p_worse: float | None
    is_model: bool

    @property
    def badge(self) -> str:
        """'LSTM better p<0.001', 'LSTM worse p=0.012', 'no clear difference p=0.41', '' for the model."""
        if self.is_model or self.p_better is None or self.p_worse is None:
            return ""
        if self.p_better < 0.05:
            return f"LSTM better {_p(self.p_better)}"
        if self.p_worse < 0.05:
            return f"LSTM worse {_p(self.p_worse)}"
        return f"no clear difference {_p(min(self.p_better, self.p_worse))}"


def _p(p: float) -> str:
    return "p<0.001" if p < 0.001 else f"p={p:.3f}"


@dataclass(frozen=True)
class LadderBars:
    rungs: tuple[Rung, ...]  # best (lowest mean RMSE) first

    @property
    def model_rank(self) -> int | None:
        """1-based place of the model on the ladder (1: nothing has a lower RMSE)."""
        return next((i + 1 for i, r in enumerate(self.rungs) if r.is_model), None)


def ladder_bars(evidence, labels: Mapping[str, str], model: str = "model") -> LadderBars:
    """The model and every baseline by mean RMSE over the scored folds, each baseline with the pooled
    DM test of the model against it (the folds' per-window differentials concatenated)."""
    scored = [f for f in evidence.folds if f.finished]
    horizon = evidence.pooled.horizon if evidence.pooled is not None else 1
    base = evidence.mean_rmse.get("persistence")
    rungs = []
    for name, rmse in evidence.mean_rmse.items():
        if rmse is None:
            continue
        p_better = p_worse = None
        if name != model and scored:
            if name == "persistence":
                diffs = [f.differential for f in scored]
            else:
                diffs = [f.differentials.get(name) for f in scored]
            if all(d is not None and len(d) for d in diffs):
                dm = dm_from_differential(
                    np.concatenate([np.asarray(d, dtype=np.float64) for d in diffs]), horizon
                )
                p_better, p_worse = float(dm.p_better), float(dm.p_worse)
        skill = 1.0 - rmse / base if base else None
        rungs.append(Rung(name, labels.get(name, name), float(rmse), skill, p_better, p_worse, name == model))
    return LadderBars(tuple(sorted(rungs, key=lambda r: r.rmse)))


# -- the leak ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakTimeline:
    train: tuple[Any, Any]
    test: tuple[Any, Any]
    honest_stats: tuple[Any, Any]  # the dates whose prices the honest scaler saw
    leaked_stats: tuple[Any, Any]  # the dates whose prices the tutorial's scaler saw for the test
    first_forecast: Any  # the first test date forecast

    @property
    def leaks(self) -> bool:
        """The leaked statistics include prices on or after the first forecast date."""
        return self.leaked_stats[1] >= self.first_forecast


def leak_timeline(evaluation) -> LeakTimeline:
    """From a stored evaluation's dates: which prices each normalisation used before forecasting the test."""
    frame = evaluation.predictions
    test = pd.DatetimeIndex(frame.loc[frame["split"] == "test", "date"]).sort_values()
    fitted = frame[frame["split"] == "train"]
    if fitted.empty:  # no train rows stored: everything before the test
        fitted = frame[frame["split"] != "test"]
    dates = pd.DatetimeIndex(fitted["date"]).sort_values()
    first = pd.DatetimeIndex(fitted["origin"]).min() if "origin" in fitted else dates[0]
    honest = (min(first, dates[0]), dates[-1])
    return LeakTimeline(
        train=honest, test=(test[0], test[-1]), honest_stats=honest, leaked_stats=(test[0], test[-1]),
        first_forecast=test[0],
    )  # fmt: skip
