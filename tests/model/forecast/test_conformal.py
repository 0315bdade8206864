"""Split-conformal quantiles and measured coverage."""

import math

import numpy as np
import pytest

from model.forecast import conformal
from model.forecast.conformal import ConformalBands, conformal_quantile, conformal_rank, min_residuals
from model.forecast.coverage import coverage


def test_quantile_matches_a_hand_computed_example():
    # Ten residuals; |r| sorted: 0.1 0.2 0.3 0.4 0.5 0.6 0.7 0.8 0.9 1.0.
    r = np.array([-0.5, 0.1, 0.9, -0.3, 0.2, -1.0, 0.7, 0.4, -0.6, 0.8])
    # 80%: ceil(11 * 0.8) = ceil(8.8) = 9 -> the 9th smallest, 0.9.
    assert conformal_rank(10, 0.8) == 9
    assert conformal_quantile(r, 0.8) == pytest.approx(0.9)
    # 50%: ceil(11 * 0.5) = 6 -> 0.6. 90%: ceil(9.9) = 10 -> 1.0.
    assert conformal_quantile(r, 0.5) == pytest.approx(0.6)
    assert conformal_quantile(r, 0.9) == pytest.approx(1.0)
    # 95%: ceil(10.45) = 11 > 10 residuals: no finite quantile.
    assert math.isnan(conformal_quantile(r, 0.95))


def test_exact_products_do_not_round_up():
    # (4 + 1) * 0.8 is 4 exactly: the 4th of 4 residuals, not "too few".
    assert conformal_rank(4, 0.8) == 4
    assert min_residuals(0.8) == 4
    assert min_residuals(0.95) == 19
    assert conformal_quantile(np.array([1.0, 2.0, 3.0, 4.0]), 0.8) == 4.0


def test_bands_name_the_limit_when_residuals_are_too_few():
    bands = ConformalBands.fit({1: np.arange(30.0), 2: np.arange(10.0)}, scale="absolute", levels=(0.8, 0.95))
    assert bands.quantile(1, 0.95) == 29.0  # ceil(31 * .95) = 30: the 30th of 0..29
    assert math.isnan(bands.quantile(2, 0.95))
    assert not math.isnan(bands.quantile(2, 0.8))
    assert len(bands.messages) == 1
    assert (
        "95%" in bands.messages[0]
        and "at least 19" in bands.messages[0]
        and "gives 10 at horizon 2" in bands.messages[0]
    )


def test_log_scale_band_is_multiplicative():
    lower, upper = conformal.band(np.array([100.0]), np.log(1.1), "log")
    assert lower[0] == pytest.approx(100 / 1.1) and upper[0] == pytest.approx(110.0)
    res = conformal.residuals(np.array([110.0]), np.array([100.0]), "log")
    assert res[0] == pytest.approx(np.log(1.1))


def test_coverage_counts_the_share_inside():
    assert coverage([1, 2, 3, 4], [0, 0, 0, 0], [2.5, 2.5, 2.5, 4]) == 0.75


def test_coverage_on_a_simulated_ar1_series_is_near_nominal():
    # An AR(1) series with its h-step predictor: calibrate on 2,000 points, measure on 10,000.
    # Given one calibration set, coverage varies by about sqrt(level(1-level)/2000) (0.009 at 80%),
    # so 0.03 is over 3 standard deviations; a wrong rank or a band of the wrong width misses it.
    rng = np.random.default_rng(7)
    n = 12000
    x = np.zeros(n)
    eps = rng.standard_t(df=4, size=n)  # heavy tails: no normality assumed anywhere
    for i in range(1, n):
        x[i] = 0.7 * x[i - 1] + eps[i]
    for h in (1, 3):
        predicted = 0.7**h * x[:-h]
        actual = x[h:]
        calib, test = slice(0, 2000), slice(2000, None)
        bands = ConformalBands.fit(
            {h: conformal.residuals(actual[calib], predicted[calib], "absolute")}, scale="absolute"
        )
        for level in (0.8, 0.95):
            lower, upper = bands.bounds(h, level, predicted[test])
            assert abs(coverage(actual[test], lower, upper) - level) < 0.03, (h, level)


def test_expanding_quantiles_use_only_residuals_known_by_then():
    calibration = np.array([1.0, 2.0, 3.0, 4.0])  # 80%: the 4th of 4 -> 4.0
    later = np.array([10.0, 20.0, 0.5, 0.5, 0.5])
    q = conformal.expanding_quantiles(calibration, later, 0.8, lag=2)
    # Origin 0 and 1: only the calibration residuals are known (later[0] is known at origin 2).
    assert q[0] == 4.0 and q[1] == 4.0
    # Origin 2 knows later[0] = 10: five residuals, rank ceil(6 * .8) = 5 -> 10.
    assert q[2] == 10.0
    # Origin 3 knows 10 and 20: rank ceil(7 * .8) = 6 of [1, 2, 3, 4, 10, 20] -> 20.
    assert q[3] == 20.0
    # Origin 4 also knows later[2] = 0.5: rank ceil(8 * .8) = 7 of 7 -> 20.
    assert q[4] == 20.0
