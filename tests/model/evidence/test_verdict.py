"""The verdict's wording, its calibration on random walks and its power on SYNTH (ridge stands in
for the model here; the LSTM's calibration is in make bench: scripts/bench_evidence.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.engine.config import LstmConfig
from model.evidence.verdict import BEATS, NO_EVIDENCE, WORSE, evidence_verdict, single_split_verdict
from model.evidence.walkforward import FoldResult, pool, ridge_forecaster, seed_spread, walk_forward
from tests.model.evidence.helpers import random_walk, synth


def test_verdict_strings():
    beats = evidence_verdict(5, 5, 0.002, 0.998)
    assert beats.kind == BEATS
    assert beats.text == "Beats persistence: 5 of 5 folds better, Diebold-Mariano p = 0.002 (pooled)"
    none = evidence_verdict(2, 5, 0.41, 0.59)
    assert (
        none.kind == NO_EVIDENCE
        and none.text == "No evidence it beats persistence: 2 of 5 folds better, p = 0.41"
    )
    worse = evidence_verdict(0, 5, 0.999, 0.004)
    assert worse.kind == WORSE and worse.text.startswith("Worse than persistence: p < 0.01")
    # A pooled p alone is not enough: one lucky fold cannot carry "beats".
    assert evidence_verdict(2, 5, 0.01, 0.99).kind == NO_EVIDENCE
    assert "incomplete: 1 of 5 folds failed" in evidence_verdict(4, 4, 0.01, 0.99, folds_failed=1).text


def test_single_split_verdict_says_it_is_one_draw():
    verdict = single_split_verdict(0.05)
    assert verdict.text.startswith("Beat persistence on this test period (skill +0.050).")
    assert "single draw" in verdict.text


def _ridge_config(**changes) -> LstmConfig:
    return LstmConfig(features=("close",), target="close", time_step=10, **changes)


def test_calibrated_on_random_walks():
    """At the 5% level, "beats" on at most 10% of 40 seeded random walks (no structure to learn)."""
    kinds = [
        walk_forward(random_walk(1000, seed), _ridge_config(), ridge_forecaster).verdict.kind
        for seed in range(40)
    ]
    assert kinds.count(BEATS) <= 4, kinds


def test_power_on_synth():
    """SYNTH has structure: "beats" in at least 4 of 5 seeds."""
    verdicts = [walk_forward(synth(seed), _ridge_config(), ridge_forecaster).verdict for seed in range(5)]
    assert sum(v.kind == BEATS for v in verdicts) >= 4, [v.text for v in verdicts]


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
    assert "incomplete" in evidence.verdict.text
    table = evidence.table()
    assert list(table["status"]) == ["finished", "failed", "finished", "finished", "finished"]


def test_fold_records_round_trip_through_json_with_residuals():
    evidence = walk_forward(synth(1), _ridge_config(), ridge_forecaster, k=3)
    fold = evidence.folds[0]
    again = FoldResult.from_dict(json.loads(json.dumps(fold.to_dict())))
    assert again == fold
    actual = np.asarray(fold.residuals["actual"])
    n = fold.fold.test_rows
    assert len(fold.residuals["model"]) == len(fold.residuals["date"]) == n
    # persistence residual = actual - last known value; the model's RMSE is its residuals' RMSE
    assert np.sqrt(np.mean(np.square(fold.residuals["model"]))) == pytest.approx(fold.rmse["model"])
    assert np.all(np.isfinite(actual))
    assert pool([again, *evidence.folds[1:]], 1).verdict == evidence.verdict


def test_seed_spread_beside_fold_spread():
    spread = seed_spread({1: [0.1, 0.2, 0.3], 2: [0.3, 0.4, 0.5]})
    assert spread["seeds"] == 2 and spread["mean"] == pytest.approx(0.3)
    assert spread["seed_std"] == pytest.approx(np.std([0.2, 0.4], ddof=1))
    assert spread["fold_std"] == pytest.approx(np.std([0.2, 0.3, 0.4], ddof=1))
