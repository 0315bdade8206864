"""Online calibration: ACI recovers coverage after a variance break, step 0 is split-conformal,
and no outcome is used before it is known (delayed feedback)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.forecast import conformal, online
from model.forecast.intervals import origin_move, pit_values, trailing_volatility


def break_series(n_calm=200, n_wild=600, seed=0):
    rng = np.random.default_rng(seed)
    calm = rng.normal(0, 1.0, n_calm)
    wild = rng.normal(0, 4.0, n_wild)  # the variance quadruples where the test period starts
    return calm, wild


def test_step_zero_reproduces_split_conformal_exactly():
    calm, wild = break_series()
    origins = np.arange(len(wild))
    for lag in (1, 5):
        for level in (0.8, 0.95):
            split = conformal.expanding_quantiles(calm[:30], wild, level, lag)
            aci0 = online.online_quantiles(calm[:30], wild, origins, lag, level, method="aci", step=0.0)
            assert np.array_equal(split, aci0, equal_nan=True)
            same = online.online_quantiles(calm[:30], wild, origins, lag, level, method="split")
            assert np.array_equal(split, same, equal_nan=True)


@pytest.mark.parametrize("lag", [1, 10])
def test_aci_recovers_coverage_after_a_variance_break_within_its_bound(lag):
    calm, wild = break_series()
    origins = np.arange(len(wild))
    step, level = 0.02, 0.8
    never = np.full(len(wild), 10**9)
    fixed = online.online_quantiles(calm, wild, origins, lag, level, method="split", score_known=never)
    aci = online.online_quantiles(calm, wild, origins, lag, level, method="aci", step=step)
    split = online.online_quantiles(calm, wild, origins, lag, level, method="split")
    miss_fixed = float(np.mean(np.abs(wild) > fixed))
    miss_split = float(np.mean(np.abs(wild) > split))
    miss_aci = float(np.mean(np.abs(wild) > aci))
    assert miss_fixed > 0.5  # split on the calm period fails badly after the break
    assert miss_split - 0.2 > 0.05  # growing the calibration with the new scores recovers only slowly
    # Gibbs and Candes: |miss rate - alpha| <= (max(alpha, 1 - alpha) + step) / (step T); with
    # delayed feedback the last ``lag`` outcomes are not fed back, and each delays the update by up
    # to ``lag`` origins: allow lag more misses.
    bound = online.aci_bound(level, step, len(wild)) + lag / len(wild)
    assert abs(miss_aci - (1 - level)) <= bound
    assert abs(miss_aci - (1 - level)) < 0.1


def test_aggregated_aci_recovers_coverage_too():
    calm, wild = break_series(seed=3)
    origins = np.arange(len(wild))
    q = online.online_quantiles(calm, wild, origins, 1, 0.8, method="agaci")
    split = online.online_quantiles(calm, wild, origins, 1, 0.8, method="split")
    assert abs(float(np.mean(np.abs(wild) > q)) - 0.2) < abs(float(np.mean(np.abs(wild) > split)) - 0.2)
    assert abs(float(np.mean(np.abs(wild) > q)) - 0.2) < 0.05


@settings(max_examples=40, deadline=None)
@given(
    n=st.integers(5, 60),
    lag=st.integers(1, 8),
    cut=st.integers(0, 59),
    method=st.sampled_from(online.METHODS),
    seed=st.integers(0, 10_000),
)
def test_no_outcome_is_used_before_it_is_known(n, lag, cut, method, seed):
    rng = np.random.default_rng(seed)
    initial = rng.normal(size=25)
    scores = rng.normal(size=n) * rng.uniform(0.5, 3.0)
    origins = np.cumsum(rng.integers(1, 3, size=n))  # gaps allowed
    i = min(cut, n - 1)
    before = online.online_quantiles(initial, scores, origins, lag, 0.8, method=method)
    # Outcomes not yet known at origin i (their price lies after origins[i]): change them all.
    unknown = origins + lag > origins[i]
    changed = scores.copy()
    changed[unknown] = rng.normal(size=int(unknown.sum())) * 100
    after = online.online_quantiles(initial, changed, origins, lag, 0.8, method=method)
    assert np.array_equal(before[: i + 1], after[: i + 1], equal_nan=True)
    pit_before, _ = pit_values(initial, scores, origins, origins + lag)
    pit_after, _ = pit_values(initial, changed, origins, origins + lag)
    # An origin's PIT evaluates its own outcome, and uses no other outcome unknown at it.
    keep = np.flatnonzero(~unknown[: i + 1])
    assert np.array_equal(pit_before[keep], pit_after[keep], equal_nan=True)


def test_regimes_use_only_prices_known_at_the_origin():
    rng = np.random.default_rng(1)
    prices = 100 * np.exp(np.cumsum(rng.normal(0, 0.01, 120)))
    rows = np.arange(0, 120)
    vol = trailing_volatility(prices, rows)
    move = origin_move(prices, rows)
    for row in (20, 50, 90):
        later = prices.copy()
        later[row + 1 :] *= rng.uniform(0.5, 2.0, len(later) - row - 1)
        assert trailing_volatility(later, np.array([row]))[0] == vol[row]
        assert origin_move(later, np.array([row]))[0] == move[row]
    assert np.isnan(vol[:20]).all() and np.isfinite(vol[20:]).all()
    # The 20 returns ending at row 20: log(p1/p0) .. log(p20/p19).
    assert vol[20] == pytest.approx(np.std(np.diff(np.log(prices[:21])), ddof=1))
    assert move[0] == "" and set(move[1:]) <= {"up", "down"}


def test_pit_is_the_symmetric_rank_of_the_residual():
    initial = np.array([1.0, 2.0, 3.0, 4.0])
    # Origin 0: residual +2.5 sits above 2 of 4 known sizes: 0.5 + 0.5 * 0.5 = 0.75.
    # Origin 1: residual -4 ties the largest: share (3 + 0.5) / 4, PIT 0.5 - 0.4375.
    pit, known = pit_values(initial, np.array([2.5, -4.0]), np.array([0, 1]), np.array([10, 10]))
    assert known.tolist() == [4, 4]
    assert pit == pytest.approx([0.75, 0.0625])
