"""The Diebold-Mariano test of the model against the best other baseline, pooled over folds, against
an independent computation: the ladder's forecasts re-scored here, the best baseline picked by mean
RMSE over folds, per-window differentials by pandas, the statistic by statsmodels' HAC."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from model.engine.config import LstmConfig
from model.evidence.baselines import baseline_ladder, scored_points
from model.evidence.folds import fold_boundaries, prepare_fold
from model.evidence.report import walk_forward_report
from model.evidence.walkforward import FoldResult, horizon_of, pool, ridge_forecaster, walk_forward
from model.orchestration.reading import WalkForward, _combine_seeds
from tests.model.evidence.helpers import synth
from tests.model.evidence.test_significance import independent_dm

OTHERS = ("drift", "mean_last", "ridge")


def noisy_ridge(seed: int):
    """Ridge plus seeded noise: a model close to the best other baseline, not equal to it."""

    def forecast(data):
        predicted = ridge_forecaster(data)
        rng = np.random.default_rng([seed, int(data.test.start[0])])
        return predicted + rng.normal(0.0, 0.5 * np.std(np.diff(data.target)), predicted.shape)

    return forecast


def _config(mode: str) -> LstmConfig:
    return LstmConfig(features=("close",), target="close", time_step=8, target_mode=mode)


def independent_pooled(frame, config, forecaster, k):
    diffs: dict[str, list[np.ndarray]] = {n: [] for n in OTHERS}
    rmse: dict[str, list[float]] = {n: [] for n in OTHERS}
    for fold in fold_boundaries(len(frame), config, k):
        data = prepare_fold(frame, config, fold)
        points = scored_points(data)
        model_sq = (points.actual - forecaster(data)) ** 2
        for name in OTHERS:
            bench = baseline_ladder(data).predictions[name]
            bench_sq = (points.actual - bench) ** 2
            rmse[name].append(float(np.sqrt(bench_sq.mean())))
            per_window = pd.Series(model_sq - bench_sq).groupby(points.window).mean()
            diffs[name].append(per_window.to_numpy())
    best = min(OTHERS, key=lambda n: np.mean(rmse[n]))
    d = np.concatenate(diffs[best])
    h = horizon_of(config)
    stat, _ = independent_dm(d, h)
    return best, d, stat, float(stats.t.cdf(stat, len(d) - 1))


@pytest.mark.parametrize("mode", ["next_day", "next_window"])
@pytest.mark.parametrize("seed", [0, 3])
def test_pooled_dm_vs_best_baseline_matches_an_independent_computation(mode, seed):
    frame, config = synth(seed, rows=1500), _config(mode)
    evidence = walk_forward(frame, config, noisy_ridge(seed), k=4)
    best, d, stat, p_better = independent_pooled(frame, config, noisy_ridge(seed), 4)
    assert evidence.best_baseline == best
    pooled = evidence.pooled_best
    assert pooled is not None and pooled.n == len(d) and pooled.horizon == horizon_of(config)
    assert pooled.mean_differential == pytest.approx(d.mean(), rel=1e-9)
    assert pooled.statistic == pytest.approx(stat, rel=1e-9)
    assert pooled.p_better == pytest.approx(p_better, rel=1e-9)
    # Per fold, the stored test vs that fold's best baseline uses the same differential.
    for f in evidence.folds:
        assert f.dm_best["n"] == len(f.differentials[f.best_baseline])


def test_a_much_better_model_beats_the_best_baseline_and_a_noisy_one_does_not():
    frame, config = synth(1, rows=1500), _config("next_day")

    def oracle(data):  # knows the next value up to a little noise
        points = scored_points(data)
        return points.actual + np.random.default_rng(0).normal(0, 0.01, points.actual.shape)

    assert walk_forward(frame, config, oracle, k=3).pooled_best.p_better < 0.001
    noisy = walk_forward(frame, config, noisy_ridge(1), k=3)
    assert noisy.pooled_best.p_better > 0.5  # ridge plus noise is worse than ridge


def test_older_records_without_differentials_pool_no_best_test():
    evidence = walk_forward(synth(2, rows=1500), _config("next_day"), ridge_forecaster, k=3)
    old = []
    for f in evidence.folds:
        data = json.loads(json.dumps(f.to_dict()))
        data.pop("differentials")
        old.append(FoldResult.from_dict(data))
    again = pool(old, 1)
    assert again.pooled_best is None and again.best_baseline is None
    # The persistence comparison is unchanged; the best rung is still named, without its DM test.
    assert (again.verdict.kind, again.verdict.p_better) == (evidence.verdict.kind, evidence.verdict.p_better)
    assert again.verdict.best_rung == evidence.verdict.best_rung and again.verdict.rung_p is None


def test_seeds_average_the_differentials_against_each_baseline():
    frame, config = synth(4, rows=1500), _config("next_day")
    runs = [walk_forward(frame, config, noisy_ridge(s), k=3) for s in (10, 11)]
    combined = _combine_seeds([list(ev.folds) for ev in runs], 1)
    for position, fold in enumerate(combined):
        for name, values in fold.differentials.items():
            expected = np.mean(
                [runs[0].folds[position].differentials[name], runs[1].folds[position].differentials[name]],
                axis=0,
            )
            np.testing.assert_allclose(values, expected)
        assert fold.dm_best is not None and fold.dm_best["n"] == len(fold.differential)
    evidence = pool(combined, 1)
    best = evidence.best_baseline
    d = np.concatenate([np.asarray(f.differentials[best]) for f in combined])
    assert evidence.pooled_best.statistic == pytest.approx(independent_dm(d, 1)[0], rel=1e-9)


def test_report_prints_the_pooled_test_against_the_best_baseline():
    evidence = walk_forward(synth(0, rows=1500), _config("next_day"), noisy_ridge(0), k=3)
    result = WalkForward(0, 3, "refit", 1, _config("next_day"), (evidence,), evidence)
    text = walk_forward_report(result)
    line = next(x for x in text.splitlines() if x.startswith("Diebold-Mariano vs the best other baseline"))
    assert f"({evidence.best_baseline}, lowest mean RMSE over the folds)" in line
    assert f"statistic {evidence.pooled_best.statistic:+.3f}" in line
    assert result.summary()["pooled_dm_best"]["statistic"] == pytest.approx(evidence.pooled_best.statistic)


def test_results_record_says_the_pooled_test_against_the_best_baseline():
    from components.pages import results_evidence
    from model.evidence.baselines import BASELINE_LABELS

    config = _config("next_day")
    evidence = walk_forward(synth(0, rows=1500), config, noisy_ridge(0), k=3)
    rec = results_evidence.evidence_record(
        WalkForward(0, 3, "refit", 1, config, (evidence,), evidence), "finished", 3, 3
    )
    label = BASELINE_LABELS[evidence.best_baseline].lower()
    assert rec.dm_best_text.startswith(f"Diebold-Mariano vs the best other baseline, {label}")
    assert f"statistic {evidence.pooled_best.statistic:+.2f}" in rec.dm_best_text
    assert list(rec.table["best other baseline"]) == [f.best_baseline for f in evidence.folds]
    np.testing.assert_allclose(
        rec.table["DM p vs it (better)"], [f.dm_best["p_better"] for f in evidence.folds]
    )
