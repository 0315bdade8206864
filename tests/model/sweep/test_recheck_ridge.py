"""The re-check's ridge benchmark: ridge's losses recovered from the stored fold records equal ridge's
losses scored independently, in both target modes; the strongest of several ridges is picked."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.engine.config import LstmConfig
from model.evidence.baselines import baseline_ladder, scored_points
from model.evidence.folds import fold_boundaries, prepare_fold
from model.evidence.walkforward import ridge_forecaster, walk_forward
from model.orchestration.reading import WalkForward
from model.sweep.evidence import ridge_losses_by_date, strongest_ridge
from tests.model.evidence.helpers import synth


def half_ridge(data):
    points = scored_points(data)
    return 0.5 * ridge_forecaster(data) + 0.5 * data.target[points.origin]


@pytest.mark.parametrize("mode", ["next_day", "next_window"])
def test_ridge_losses_from_the_fold_records_match_an_independent_scoring(mode):
    frame = synth(4, rows=1200)
    config = LstmConfig(features=("close",), target="close", time_step=6, target_mode=mode)
    ev = walk_forward(frame, config, half_ridge, k=2)
    result = WalkForward(1, 2, "refit", 1, config, (ev,), ev)
    recovered = ridge_losses_by_date(result)
    expected = []
    for fold in fold_boundaries(len(frame), config, 2):
        data = prepare_fold(frame, config, fold)
        points = scored_points(data)
        sq = (points.actual - baseline_ladder(data).predictions["ridge"]) ** 2
        per_window = pd.Series(sq).groupby(points.window).mean().to_numpy()
        first = [str(d.date()) for d in data.dates[points.row[points.step == 1]]]
        expected.append(pd.Series(per_window, index=first))
    expected = pd.concat(expected)
    assert list(recovered.index) == list(expected.index)
    np.testing.assert_allclose(recovered.to_numpy(), expected.to_numpy(), rtol=1e-9, atol=1e-12)


def test_thestrongest_ridge_covering_every_shared_point_is_the_benchmark():
    index = pd.Index(["a", "b", "c"])
    weak = pd.Series([3.0, 3.0, 3.0], index=index)
    strong = pd.Series([1.0, 2.0, 1.0], index=index)
    partial = pd.Series([0.0, 0.0], index=["a", "b"])  # misses a shared point: not a benchmark
    chosen = strongest_ridge({"t1": weak, "t2": strong, "t3": partial}, index)
    assert chosen.name == "ridge" and list(chosen) == [1.0, 2.0, 1.0]
    assert strongest_ridge({"t3": partial}, index) is None
