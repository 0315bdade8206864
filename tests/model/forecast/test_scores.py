"""Proper scores against hand-worked examples; coverage by method, regime and over time; coverage.csv."""

import numpy as np
import pandas as pd
import pytest

from model.forecast import scores
from model.forecast.intervals import INTERVAL_COLUMNS


def test_pinball_by_hand():
    # tau 0.9, q 10: y 12 above -> 0.9 * 2 = 1.8; y 7 below -> 0.1 * 3 = 0.3.
    assert scores.pinball_loss([12.0, 7.0], 10.0, 0.9) == pytest.approx([1.8, 0.3])


def test_winkler_by_hand():
    # 80% band [9, 11]: inside -> width 2; y 12 -> 2 + 2/0.2 * 1 = 12; y 8.5 -> 2 + 10 * 0.5 = 7.
    assert scores.winkler_score([10.0, 12.0, 8.5], 9.0, 11.0, 0.8) == pytest.approx([2.0, 12.0, 7.0])


def test_crps_from_quantiles_by_hand():
    # Quantiles 0.1: 9, 0.5: 10, 0.9: 11; y = 12.
    # pinball: 0.1 * 3 = 0.3, 0.5 * 2 = 1.0, 0.9 * 1 = 0.9; mean 2.2 / 3; CRPS = 2 * that = 1.4667.
    got = scores.crps_from_quantiles(
        np.array([12.0]), {0.1: np.array([9.0]), 0.5: np.array([10.0]), 0.9: np.array([11.0])}
    )
    assert got == pytest.approx([2 * 2.2 / 3])
    # A point forecast alone (the median): CRPS = |y - q|, the absolute error.
    assert scores.crps_from_quantiles(np.array([3.0]), {0.5: np.array([1.0])}) == pytest.approx([2.0])


def table(rows):
    frame = pd.DataFrame(rows)
    for name in INTERVAL_COLUMNS:
        if name not in frame:
            frame[name] = np.nan
    return frame[list(INTERVAL_COLUMNS)]


def synthetic(n=90):
    rng = np.random.default_rng(0)
    rows = []
    for origin in range(n):
        vol = 0.01 * (1 + origin % 3)
        for forecaster, width in (("model", 1.0), ("persistence", 3.0)):
            for method in ("split", "aci"):
                for level in ("80", "95"):
                    actual = 100 + rng.normal()
                    rows.append(
                        dict(
                            forecaster=forecaster, method=method, level=level, horizon=1 + origin % 2,
                            origin=origin, date=pd.Timestamp("2024-01-01") + pd.offsets.BDay(origin),
                            actual=actual, point=100.0, lower=100 - width, upper=100 + width,
                            volatility=vol, move="up" if origin % 2 else "down", pit=0.5,
                        )
                    )  # fmt: skip
    return table(rows)


def test_coverage_csv_is_written_and_read_back(tmp_path):
    intervals = synthetic()
    path = scores.write_coverage_csv(intervals, "aci", tmp_path)
    back = scores.read_coverage_csv(path)
    assert list(back.columns) == list(scores.CSV_COLUMNS)
    assert len(back) == 2 * 2 * 2 * 2  # forecasters x methods x levels x horizons
    assert back["default"].tolist() == (back["method"] == "aci").tolist()
    expected = scores.method_coverage(intervals)
    merged = back.merge(expected, on=["forecaster", "method", "level", "horizon"])
    assert np.allclose(merged["coverage_x"], merged["coverage_y"])
    wide = back[(back["forecaster"] == "persistence")]["coverage"]
    assert (wide > back[back["forecaster"] == "model"]["coverage"].to_numpy()).all()  # 3-wide beats 1-wide


def test_regime_coverage_splits_origins_into_terciles_and_moves():
    intervals = synthetic()
    out = scores.regime_coverage(intervals)
    assert set(out["regime"]) == set(scores.REGIMES)
    labels = scores.regime_labels(intervals[intervals["forecaster"] == "model"])
    vol = intervals.loc[labels.index, "volatility"]
    assert (vol[labels == "low volatility"] == 0.01).all() and (
        vol[labels == "high volatility"] == 0.03
    ).all()
    split80 = out[(out["method"] == "split") & (out["level"] == "80")].set_index("regime")
    assert split80.loc["up days", "tested"] + split80.loc["down days", "tested"] == 90


def test_rolling_coverage_and_interval_score_test():
    intervals = synthetic()
    rolled = scores.rolling_coverage(intervals, forecaster="model", level="80", horizon=1, window=20)
    part = rolled[rolled["method"] == "split"]
    assert part["coverage"].iloc[:19].isna().all() and part["coverage"].iloc[19:].between(0, 1).all()
    test = scores.interval_score_test(intervals, "split", "80")
    assert list(test["horizon"]) == [1, 2]
    per = scores.interval_scores(intervals)
    assert set(per.columns) == set(scores.SCORE_COLUMNS)
    assert (per["crps"] > 0).all() and (per["winkler_95"] >= 2).all()


def test_pit_histogram_shares_sum_to_one():
    intervals = synthetic()
    edges, share = scores.pit_histogram(intervals)
    assert len(edges) == 11 and share.sum() == pytest.approx(1.0)
    assert share[5] == pytest.approx(1.0)  # every PIT is 0.5: the bin [0.5, 0.6)
