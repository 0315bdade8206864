"""Walk-forward forecasts: per-fold paths pooled into fold-calibrated conformal bands, coverage measured
on the test folds without look-ahead (no TensorFlow: stand-in forecasters)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.engine.config import LstmConfig
from model.evidence.folds import fold_boundaries, prepare_fold
from model.forecast import conformal
from model.forecast.folds import CALIBRATION, FoldPaths, fold_calibrations, fold_paths, pool_folds
from model.forecast.horizon import HorizonError


class AR1Forecaster:
    """The exact h-day median of an AR(1) log price (a perfect model of the simulated series)."""

    strategy = "recursive"

    def __init__(self, horizon, phi, scale):
        self.horizon, self.phi, self.scale = horizon, phi, scale

    def paths(self, data, origins):
        x = np.log(data.target[origins] / 100.0) / self.scale
        return 100.0 * np.exp(self.scale * x[:, None] * self.phi ** np.arange(1, self.horizon + 1)[None, :])


class DriftForecaster:
    """A random walk's forecaster with a small constant drift: errors the bands must absorb."""

    strategy = "recursive"

    def __init__(self, horizon, drift=0.0005):
        self.horizon, self.drift = horizon, drift

    def paths(self, data, origins):
        return data.target[origins][:, None] * np.exp(self.drift * np.arange(1, self.horizon + 1))[None, :]


def ar1_frame(n=4000, phi=0.8, scale=0.01, seed=19):
    rng = np.random.default_rng(seed)
    x = np.zeros(n)
    shocks = rng.standard_t(df=5, size=n)
    for i in range(1, n):
        x[i] = phi * x[i - 1] + shocks[i]
    return pd.DataFrame(
        {"close": 100.0 * np.exp(scale * x)}, index=pd.bdate_range("2000-01-03", periods=n, name="date")
    )


def random_walk_frame(n=4000, seed=7):
    rng = np.random.default_rng(seed)
    close = 100.0 * np.exp(np.cumsum(rng.normal(0.0, 0.01, n)))
    return pd.DataFrame({"close": close}, index=pd.bdate_range("2001-01-01", periods=n, name="date"))


def all_fold_paths(frame, config, make, k=5):
    out = []
    for fold in fold_boundaries(len(frame), config, k):
        data = prepare_fold(frame, config, fold)
        out.append(
            FoldPaths(
                fold.index,
                fold_paths(make(), data),
                "recursive",
                f"{data.dates[-1]:%Y-%m-%d}",
                float(data.target[-1]),
            )
        )
    return out


def config_of(horizon=5, **kw):
    return LstmConfig(features=("close",), target="close", time_step=5, horizon=horizon, **kw)


def test_fold_paths_parts_stay_inside_the_fold():
    frame = random_walk_frame(1200)
    config = config_of(horizon=3)
    folds = fold_boundaries(len(frame), config, 4)
    fold = folds[1]
    paths = fold_paths(DriftForecaster(3), prepare_fold(frame, config, fold))
    target_rows = paths["origin"] + paths["horizon"]
    val, test, future = (paths[paths["part"] == p] for p in ("validation", "test", "future"))
    assert ((target_rows[val.index] >= fold.val_start) & (target_rows[val.index] < fold.test_start)).all()
    assert (test["origin"] >= fold.test_start - 1).all() and (target_rows[test.index] < fold.test_end).all()
    # n_test(h) = test rows - h + 1 per horizon, and the future path starts after the fold's last row.
    assert test.groupby("horizon").size().tolist() == [fold.test_rows - h + 1 for h in (1, 2, 3)]
    assert (future["origin"] == fold.test_end - 1).all() and future["actual"].isna().all()
    assert (future["date"] > frame.index[fold.test_end - 1]).all() and len(future) == 3
    # Actuals are the table's prices at the target row; persistence is the origin's price.
    np.testing.assert_allclose(test["actual"], frame["close"].to_numpy()[target_rows[test.index]])
    np.testing.assert_allclose(test["persistence"], frame["close"].to_numpy()[test["origin"]])


@pytest.mark.parametrize(
    "frame, make",
    [
        (ar1_frame(), lambda: AR1Forecaster(5, 0.8, 0.01)),
        (random_walk_frame(), lambda: DriftForecaster(5)),
    ],
    ids=["ar1", "random-walk"],
)
def test_fold_calibrated_coverage_is_near_nominal(frame, make):
    config = config_of(horizon=5, val_fraction=0.2)
    folds = all_fold_paths(frame, config, make)
    result = pool_folds(folds, horizon=5, requested="recursive", last_date=f"{frame.index[-1]:%Y-%m-%d}")
    assert result.calibration == CALIBRATION and result.scale == "log"
    model = result.coverage[result.coverage["forecast"] == "model"]
    assert len(model) == 10 and (model["tested"] > 1500).all()
    # 1,600 test days over 5 folds: coverage varies by about 2 points; 5 is the target.
    gaps = (model["coverage"] - model["nominal"]).abs()
    assert (gaps < 0.05).all(), model[["horizon", "level", "coverage"]]
    persistence = result.coverage[result.coverage["forecast"] == "persistence"]
    assert ((persistence["coverage"] - persistence["nominal"]).abs() < 0.05).all()
    # The fan: the last fold's path from the data's last row, bands from every fold's test residuals.
    fan = result.fan[result.fan["forecast"] == "model"]
    assert fan["date"].min() > frame.index[-1] and list(fan["horizon"]) == [1, 2, 3, 4, 5]
    last = folds[-1].paths
    np.testing.assert_allclose(fan["point"], last[last["part"] == "future"].sort_values("horizon")["model"])
    assert (fan["lower_95"] < fan["lower_80"]).all() and (fan["lower_80"] < fan["point"]).all()
    assert (fan["point"] < fan["upper_80"]).all() and (fan["upper_80"] < fan["upper_95"]).all()
    test_counts = [
        sum(((f.paths["part"] == "test") & (f.paths["horizon"] == h)).sum() for f in folds) for h in (1, 5)
    ]
    assert (
        result.source
        == f"test periods of 5 walk-forward folds, {test_counts[1]:,}-{test_counts[0]:,} residuals per horizon"
    )
    residuals = np.concatenate(
        [
            conformal.residuals(p["actual"], p["model"], "log")
            for p in (f.paths[(f.paths["part"] == "test") & (f.paths["horizon"] == 1)] for f in folds)
        ]
    )
    q = conformal.conformal_quantile(residuals, 0.8)
    assert fan["upper_80"].iloc[0] == pytest.approx(fan["point"].iloc[0] * np.exp(q))
    # Errors pool every fold's test origins.
    assert result.errors["tested"].tolist() == [
        sum(((f.paths["part"] == "test") & (f.paths["horizon"] == h)).sum() for f in folds)
        for h in range(1, 6)
    ]


def test_no_look_ahead_a_later_folds_residuals_leave_earlier_bands_unchanged():
    frame = random_walk_frame(2000)
    config = config_of(horizon=3)
    folds = all_fold_paths(frame, config, lambda: DriftForecaster(3))
    before = fold_calibrations(folds, 3, "model", "log")
    # Blow up fold 3's (index 2) test residuals.
    changed = folds[2].paths.copy()
    test = changed["part"] == "test"
    changed.loc[test, "actual"] = changed.loc[test, "actual"] * 1.5
    folds_changed = [
        *folds[:2],
        FoldPaths(2, changed, "recursive", folds[2].last_date, folds[2].last_price),
        *folds[3:],
    ]
    after = fold_calibrations(folds_changed, 3, "model", "log")
    for i in range(3):  # folds 1-3 are calibrated before fold 3's test residuals are known
        for h in (1, 2, 3):
            np.testing.assert_array_equal(before[i][h], after[i][h])
    for i in (3, 4):
        assert not np.array_equal(before[i][1], after[i][1])
    # The first fold: its own validation period; fold i: exactly the earlier folds' test residuals.
    val = folds[0].paths[(folds[0].paths["part"] == "validation") & (folds[0].paths["horizon"] == 2)]
    np.testing.assert_allclose(before[0][2], np.log(val["actual"] / val["model"]))
    tests = [f.paths[(f.paths["part"] == "test") & (f.paths["horizon"] == 2)] for f in folds[:3]]
    assert len(before[3][2]) == sum(len(t) for t in tests)
    # Coverage of the changed pool differs only through folds 4 and 5 (and fold 3's own test points).
    a = pool_folds(folds[:3], horizon=3, requested="recursive")
    b = pool_folds(folds_changed[:2], horizon=3, requested="recursive")
    c = pool_folds(folds[:2], horizon=3, requested="recursive")
    pd.testing.assert_frame_equal(b.coverage, c.coverage)
    assert not a.coverage.equals(c.coverage)


def test_a_last_fold_short_of_the_data_cannot_forecast_past_it():
    frame = random_walk_frame(1500)
    config = config_of(horizon=3)
    folds = all_fold_paths(frame, config, lambda: DriftForecaster(3), k=3)
    with pytest.raises(HorizonError, match="before the data's last date"):
        pool_folds(folds[:2], horizon=3, requested="recursive", last_date=f"{frame.index[-1]:%Y-%m-%d}")
    with pytest.raises(HorizonError, match="No fold"):
        pool_folds([], horizon=3, requested="recursive")


def test_coverage_by_fold_adds_up_to_the_pooled_coverage():
    from model.forecast.folds import coverage_by_fold

    frame = random_walk_frame(2000)
    config = config_of(horizon=3)
    folds = all_fold_paths(frame, config, lambda: DriftForecaster(3, drift=0.002), k=4)
    pooled = pool_folds(folds, horizon=3, requested="recursive").coverage
    by_fold = coverage_by_fold(folds, horizon=3)
    assert sorted(by_fold["fold"].unique()) == [1, 2, 3, 4] and len(by_fold) == 4 * 3 * 2 * 2
    inside = (by_fold["coverage"] * by_fold["tested"]).groupby(
        [by_fold["horizon"], by_fold["forecast"], by_fold["level"]]
    ).sum() / by_fold.groupby(["horizon", "forecast", "level"])["tested"].sum()
    expected = pooled.set_index(["horizon", "forecast", "level"])["coverage"]
    np.testing.assert_allclose(inside.loc[expected.index].to_numpy(), expected.to_numpy())
    # Fold 1 is calibrated on its validation period, fold k on the k - 1 test periods before it.
    first = by_fold[(by_fold["fold"] == 2) & (by_fold["horizon"] == 1) & (by_fold["forecast"] == "model")]
    assert (first["calibration"] == folds[0].paths.query("part == 'test' and horizon == 1").shape[0]).all()
    assert (by_fold["first_date"] <= by_fold["last_date"]).all()
    assert by_fold.groupby("fold")["first_date"].min().is_monotonic_increasing
