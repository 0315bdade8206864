"""The one verdict: its rule against persistence and the rest of the ladder, its words, single splits
and folds, its calibration on random walks and its power on SYNTH (ridge and constructed forecasters
stand in for the model here; the LSTM's calibration is in make bench: scripts/bench_evidence.py)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from model.engine.config import LstmConfig
from model.evidence.baselines import scored_points
from model.evidence.verdict import (
    BEATS,
    CAUTION,
    EXPLAINED,
    GOOD,
    NEAR_PERSISTENCE_MOVE_RATIO,
    NEUTRAL,
    NO_EVIDENCE,
    REPEATS,
    SKILL_MARGIN,
    TIE,
    WORSE,
    Facts,
    Verdict,
    judge,
    single_split_verdict,
    split_verdict,
)
from model.evidence.walkforward import FoldResult, pool, ridge_forecaster, seed_spread, walk_forward
from tests.model.evidence.helpers import random_walk, synth


def _ridge_config(**changes) -> LstmConfig:
    return LstmConfig(features=("close",), target="close", time_step=10, **changes)


def half_ridge(data):
    """Halfway between persistence and ridge: beats persistence, ridge does better."""
    points = scored_points(data)
    return 0.5 * ridge_forecaster(data) + 0.5 * data.target[points.origin]


def near_oracle(seed: int):
    """The actual value plus a little noise: nothing on the ladder comes close."""

    def forecast(data):
        points = scored_points(data)
        rng = np.random.default_rng([seed, int(data.test.start[0])])
        moves = np.std(np.diff(data.target))
        return points.actual + rng.normal(0.0, 0.1 * moves, len(points))

    return forecast


def tiny_moves(data):
    points = scored_points(data)
    rng = np.random.default_rng(int(data.test.start[0]))
    return data.target[points.origin] + rng.normal(0.0, 0.05 * np.std(np.diff(data.target)), len(points))


def off_in_level(data):
    points = scored_points(data)
    return data.target[points.origin] - 5.0 * np.std(np.diff(data.target))


# -- folds ------------------------------------------------------------------------------------------------


def test_ridge_doing_better_is_caution_with_the_fold_count_and_p():
    verdict = walk_forward(synth(0), _ridge_config(), half_ridge, k=3).verdict
    assert verdict.kind == EXPLAINED and verdict.tone == CAUTION and verdict.beats_persistence
    assert verdict.best_rung == "ridge" and verdict.best_rung_skill > verdict.skill + SKILL_MARGIN
    assert verdict.text == (
        "Beats persistence, but ridge on the same window does better in 3 of 3 folds (p < 0.001): "
        "a linear model explains this skill."
    )


def test_nothing_on_the_ladder_better_is_good():
    verdict = walk_forward(synth(1), _ridge_config(), near_oracle(1), k=3).verdict
    assert verdict.kind == BEATS and verdict.tone == GOOD
    assert verdict.skill > verdict.best_rung_skill + SKILL_MARGIN
    assert verdict.text.startswith(
        "Beats persistence and every other baseline: better in 3 of 3 folds (Diebold-Mariano p < 0.001)"
    )


def test_a_model_equal_to_ridge_is_explained_by_it():
    verdict = walk_forward(synth(0), _ridge_config(), ridge_forecaster, k=3).verdict
    assert verdict.kind == EXPLAINED and "ridge on the same window does as well" in verdict.text


def test_repeating_the_last_price_and_being_worse_on_folds():
    repeats = walk_forward(synth(2), _ridge_config(), tiny_moves, k=3).verdict
    assert repeats.kind == REPEATS and repeats.tone == CAUTION
    assert repeats.move_ratio < NEAR_PERSISTENCE_MOVE_RATIO and not repeats.beats_persistence
    assert repeats.text.startswith("Repeats the last price: its predicted moves are")
    worse = walk_forward(synth(2), _ridge_config(), off_in_level, k=3).verdict
    assert worse.kind == WORSE and worse.tone == "bad" and worse.skill < -1
    assert (
        worse.text.startswith("Worse than persistence: skill") and "(Diebold-Mariano p < 0.01)" in worse.text
    )


def test_calibrated_on_random_walks():
    """At the 5% level, "beats persistence" on at most 10% of 40 seeded random walks (nothing to learn)."""
    verdicts = [
        walk_forward(random_walk(1000, seed), _ridge_config(), ridge_forecaster).verdict for seed in range(40)
    ]
    assert sum(v.beats_persistence for v in verdicts) <= 4, [v.text for v in verdicts]
    assert not any(v.kind == BEATS for v in verdicts)


def test_power_on_synth():
    """SYNTH has structure: ridge beats persistence in at least 4 of 5 seeds (and, being ridge, is
    explained by ridge)."""
    verdicts = [walk_forward(synth(seed), _ridge_config(), ridge_forecaster).verdict for seed in range(5)]
    assert sum(v.beats_persistence for v in verdicts) >= 4, [v.text for v in verdicts]
    assert all(v.kind != BEATS for v in verdicts)


def test_failed_fold_marks_incomplete_and_rest_reports():
    calls = []

    def flaky(data):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("training diverged")
        return ridge_forecaster(data)

    evidence = walk_forward(synth(0), _ridge_config(), flaky)
    assert evidence.folds_failed == 1 and evidence.incomplete and evidence.folds_scored == 4
    assert evidence.folds[1].status == "failed" and "training diverged" in evidence.folds[1].error
    assert evidence.verdict.text.endswith("(incomplete: 1 of 5 folds failed)")
    table = evidence.table()
    assert list(table["status"]) == ["finished", "failed", "finished", "finished", "finished"]


def test_every_fold_failed_is_no_evidence():
    def broken(data):
        raise RuntimeError("no")

    verdict = walk_forward(synth(0), _ridge_config(), broken, k=2).verdict
    assert verdict.kind == NO_EVIDENCE and verdict.tone == NEUTRAL and verdict.skill is None
    assert verdict.text.startswith("No evidence: every fold failed.")


def test_fold_records_round_trip_through_json_with_residuals():
    evidence = walk_forward(synth(1), _ridge_config(), ridge_forecaster, k=3)
    fold = evidence.folds[0]
    again = FoldResult.from_dict(json.loads(json.dumps(fold.to_dict())))
    assert again == fold
    n = fold.fold.test_rows
    assert len(fold.residuals["model"]) == len(fold.residuals["date"]) == n
    assert np.sqrt(np.mean(np.square(fold.residuals["model"]))) == pytest.approx(fold.rmse["model"])
    assert pool([again, *evidence.folds[1:]], 1).verdict == evidence.verdict


def test_verdict_round_trips_through_json():
    verdict = walk_forward(synth(0), _ridge_config(), half_ridge, k=3).verdict
    assert Verdict.from_dict(json.loads(json.dumps(verdict.to_dict()))) == verdict
    old = Verdict.from_dict({"kind": "worse", "text": "Worse than persistence"})  # a record stored before
    assert old.tone == "bad" and old.text == "Worse than persistence"


def test_seed_spread_beside_fold_spread():
    spread = seed_spread({1: [0.1, 0.2, 0.3], 2: [0.3, 0.4, 0.5]})
    assert spread["seeds"] == 2 and spread["mean"] == pytest.approx(0.3)
    assert spread["seed_std"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert spread["fold_std"] == pytest.approx(np.std([0.2, 0.3, 0.4], ddof=1))


# -- one test period --------------------------------------------------------------------------------------


def constructed(predicted_move_of, n=500, seed=0) -> pd.DataFrame:
    """Test rows of a random walk; the prediction is last known + predicted_move_of(actual_move, rng)."""
    rng = np.random.default_rng(seed)
    last = 100 + np.cumsum(rng.normal(0, 1, n))
    move = rng.normal(0, 1, n)
    return pd.DataFrame(
        {
            "window": np.arange(n),
            "last_known": last,
            "actual": last + move,
            "predicted": last + predicted_move_of(move, rng),
        }
    )


def test_single_split_with_ridge_better_is_caution_and_says_it_is_one_draw():
    rows = constructed(lambda move, rng: 0.5 * move)
    ridge = rows["last_known"] + 0.9 * (rows["actual"] - rows["last_known"])
    verdict = split_verdict(rows, {"ridge": ridge.to_numpy(), "drift": rows["last_known"].to_numpy()})
    assert verdict.kind == EXPLAINED and verdict.tone == CAUTION and verdict.single_split
    assert verdict.text.startswith(
        f"Beats persistence on this test period (skill {verdict.skill:+.3f}), but ridge on the same window "
        f"does better (skill {verdict.best_rung_skill:+.3f}, p < 0.001): a linear model explains this skill."
    )
    assert "single draw" in verdict.caveat and verdict.folds_text == "one test period"


def test_single_split_nothing_better_is_good():
    rows = constructed(lambda move, rng: 0.8 * move + rng.normal(0, 0.3, len(move)))
    verdict = split_verdict(rows, {"ridge": rows["last_known"].to_numpy() + 0.01})
    assert verdict.kind == BEATS and verdict.tone == GOOD
    assert verdict.skill > 0.3 and verdict.move_correlation > 0.9
    assert verdict.text.startswith("Beats persistence and every other baseline on this test period (skill +")


def test_single_split_repeats_worse_and_tie():
    repeats = split_verdict(constructed(lambda move, rng: rng.normal(0, 0.1, len(move))))
    assert repeats.kind == REPEATS and repeats.move_ratio < NEAR_PERSISTENCE_MOVE_RATIO
    assert abs(repeats.skill) < SKILL_MARGIN and "Repeats the last price" in repeats.text
    worse = split_verdict(constructed(lambda move, rng: np.full(len(move), -5.0)))
    assert worse.kind == WORSE and worse.skill < -1 and worse.move_ratio > 1
    unrelated = split_verdict(constructed(lambda move, rng: rng.normal(0, 1, len(move))))
    assert unrelated.kind == WORSE and abs(unrelated.move_correlation) < 0.15
    # Moves of 0.5x the actual ones, correlation 0.25: RMSE² = 1 - 2*0.5*0.25 + 0.5² = 1, skill ~ 0.
    barely = split_verdict(
        constructed(
            lambda move, rng: 0.5 * (0.25 * move + np.sqrt(1 - 0.25**2) * rng.normal(0, 1, len(move))),
            n=20000,
        )
    )
    assert barely.move_ratio > NEAR_PERSISTENCE_MOVE_RATIO and barely.kind == TIE, barely
    assert barely.text == f"About as good as persistence on this test period (skill {barely.skill:+.3f})."


def test_small_but_right_moves_with_real_skill_are_not_repeats():
    # Moves a third of the actual ones, always the right way: skill ~ 1 - sqrt(1 - 2/3 + 1/9) > margin.
    verdict = split_verdict(constructed(lambda move, rng: move / 3))
    assert verdict.move_ratio < NEAR_PERSISTENCE_MOVE_RATIO and verdict.skill > SKILL_MARGIN
    assert verdict.kind == BEATS


def test_skill_matches_the_evaluation_metrics_definition():
    from model.engine.evaluation import metrics_table

    rows = constructed(lambda move, rng: 0.5 * move)
    rows["baseline"] = rows["last_known"]
    assert split_verdict(rows).skill == pytest.approx(metrics_table(rows).loc["model", "Skill"])


def test_the_skill_only_verdict_follows_the_same_margin():
    assert single_split_verdict(0.05).kind == BEATS
    assert single_split_verdict(0.01).kind == TIE and single_split_verdict(-0.05).kind == WORSE
    assert judge(Facts(skill=0.05)).text == judge(Facts(skill=0.05, rungs={})).text


def test_a_rung_within_the_margin_does_as_well():
    verdict = judge(Facts(skill=0.30, rungs={"drift": 0.0, "mean_last": -2.0, "ridge": 0.29}))
    assert verdict.kind == EXPLAINED and verdict.best_rung == "ridge"
    assert "does as well (skill +0.290 against the model's +0.300)" in verdict.text
    assert judge(Facts(skill=0.30, rungs={"ridge": 0.27})).kind == BEATS
