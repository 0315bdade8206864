"""The Diebold-Mariano test against an independent HAC computation and a hand-worked example."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from model.evidence.significance import (
    diebold_mariano,
    dm_from_differential,
    long_run_variance,
    window_differential,
)


def independent_dm(d: np.ndarray, h: int) -> tuple[float, float]:
    """HLN-corrected DM written independently: statsmodels' HAC (Bartlett, maxlags h-1) standard
    error of the mean of d, from an OLS of d on a constant."""
    import statsmodels.api as sm

    fit = sm.OLS(d, np.ones((len(d), 1))).fit(
        cov_type="HAC", cov_kwds={"maxlags": h - 1, "use_correction": False}
    )
    n = len(d)
    dm = fit.params[0] / fit.bse[0]
    stat = dm * math.sqrt((n + 1 - 2 * h + h * (h - 1) / n) / n)
    return stat, 2 * stats.t.sf(abs(stat), n - 1)


@pytest.mark.parametrize("h", [1, 2, 5, 10])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_dm_matches_statsmodels_hac(h, seed):
    rng = np.random.default_rng(seed)
    n = 150
    # Overlapping h-step errors: an MA(h-1) differential with a small shift.
    shocks = rng.normal(size=n + h)
    d = np.convolve(shocks, np.ones(h), mode="valid")[:n] + 0.3
    result = dm_from_differential(d, h)
    stat, p_two = independent_dm(d, h)
    assert result.statistic == pytest.approx(stat, rel=1e-9)
    assert result.p_two_sided == pytest.approx(p_two, rel=1e-9)
    assert result.p_better + result.p_worse == pytest.approx(1.0)


def test_dm_hand_worked_example():
    # d = [1, -1, 2, 0]: mean 0.5, variance (0.25 + 2.25 + 2.25 + 0.25) / 4 = 1.25,
    # DM = 0.5 / sqrt(1.25 / 4) = 0.894427; HLN factor sqrt((4 + 1 - 2) / 4) = sqrt(0.75).
    result = dm_from_differential(np.array([1.0, -1.0, 2.0, 0.0]), horizon=1)
    assert result.mean_differential == 0.5
    assert result.statistic == pytest.approx(0.894427191 * math.sqrt(0.75), rel=1e-8)  # 0.774597
    # Student's t with 3 degrees of freedom: P(T > 0.774597) = 0.24747 (tables / closed form).
    x = result.statistic
    closed_form = 0.5 - (math.atan(x / math.sqrt(3)) + (x / math.sqrt(3)) / (1 + x * x / 3)) / math.pi
    assert result.p_worse == pytest.approx(closed_form, rel=1e-9)
    assert result.p_worse == pytest.approx(0.2475, abs=5e-4)


def test_bartlett_long_run_variance_by_hand():
    d = np.array([1.0, 2.0, 0.0, 3.0])  # centred: -0.5, 0.5, -1.5, 1.5
    g0 = (0.25 + 0.25 + 2.25 + 2.25) / 4
    g1 = (-0.25 - 0.75 - 2.25) / 4
    assert long_run_variance(d, 1) == pytest.approx(g0 + 2 * 0.5 * g1)
    assert long_run_variance(d, 0) == pytest.approx(g0)


def test_squared_error_differential_and_sides():
    rng = np.random.default_rng(5)
    actual = rng.normal(size=400)
    good = actual + rng.normal(0, 0.5, 400)
    bad = actual + rng.normal(0, 1.5, 400)
    better = diebold_mariano(actual - good, actual - bad)
    assert better.p_better < 0.001 and better.p_worse > 0.999 and better.statistic < 0
    worse = diebold_mariano(actual - bad, actual - good)
    assert worse.p_worse < 0.001


def test_identical_forecasts_give_no_evidence():
    e = np.random.default_rng(1).normal(size=50)
    result = diebold_mariano(e, e)
    assert result.p_better == 0.5 and result.p_worse == 0.5


def test_window_differential_averages_steps_per_window():
    out = window_differential(np.array([1.0, 3.0, 5.0, 5.0]), np.zeros(4), np.array([0, 0, 1, 1]))
    assert out.tolist() == [2.0, 5.0]
