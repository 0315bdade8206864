"""SPA and MCS on constructed cases: one clearly better model among noise is found; pure noise is not."""

from __future__ import annotations

import numpy as np
import pandas as pd

from model.evidence.snooping import model_confidence_set, spa_test


def _losses(rng, n, models, better=None):
    bench = rng.normal(0, 1.0, n) ** 2  # squared errors of a benchmark whose errors are N(0, 1)
    columns = {}
    for m in range(models):
        scale = 0.6 if m == better else 1.0
        columns[f"trial {m}"] = rng.normal(0, scale, n) ** 2
    return bench, pd.DataFrame(columns)


def test_spa_finds_the_one_better_model_among_noise():
    rng = np.random.default_rng(7)
    bench, cands = _losses(rng, 500, 12, better=5)
    result = spa_test(bench, cands, seed=1, reps=500)
    assert result.p_value < 0.01
    assert "trial 5" in result.better and len(result.better) <= 2  # the winner (a noise model may slip in)


def test_spa_on_pure_noise_finds_nothing_mostly():
    # Over 20 seeded noise-only cases, SPA at 5% should reject rarely (a size test with tolerance).
    rejections = 0
    for seed in range(20):
        bench, cands = _losses(np.random.default_rng(100 + seed), 300, 10)
        rejections += spa_test(bench, cands, seed=seed, reps=300).p_value < 0.05
    assert rejections <= 3


def test_mcs_keeps_the_clear_winner_and_drops_the_rest():
    rng = np.random.default_rng(3)
    _, cands = _losses(rng, 600, 8, better=2)
    result = model_confidence_set(cands, seed=2, reps=500)
    assert result.included == ["trial 2"]
    assert set(result.excluded) == {c for c in cands.columns if c != "trial 2"}
    assert result.p_values["trial 2"] == 1.0


def test_mcs_on_pure_noise_keeps_most_models():
    rng = np.random.default_rng(4)
    _, cands = _losses(rng, 600, 8)
    result = model_confidence_set(cands, seed=3, reps=500)
    assert len(result.included) >= 6
