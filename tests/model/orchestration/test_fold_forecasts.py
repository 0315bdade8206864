"""A walk-forward run's forecast: fold runs store their horizon paths, the run pools them (stored,
reopened identically, equal to a recomputation from the last fold's saved model)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from model.data.sample import load_sample
from model.forecast.folds import CALIBRATION, fold_paths, pool_folds
from model.forecast.horizon import RecursiveForecaster
from model.orchestration import forecast_pooling
from model.orchestration.walkforward import run_walk_forward
from model.runs import evidence_store as es
from model.runs import fold_forecasts, forecasts
from model.runs.store import open_store
from tests.model.runs.helpers import TINY, assert_same_forecast


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


@pytest.mark.slow
def test_a_walk_forward_forecast_round_trips_through_the_store(store):
    from model.engine.saving import load_run
    from model.evidence.folds import prepare_fold

    prices = load_sample("GOOG")
    config = TINY.replace(horizon=5, forecast_strategy="recursive")
    result = run_walk_forward(store, config, prices, folds=3)
    parent = result.run_id
    assert result.evidence.folds_scored == 3
    stored, failure = forecasts.load_forecast(store, parent)
    assert failure is None and stored is not None, failure
    assert stored.calibration == CALIBRATION and stored.horizon == 5
    # close + change derive from the target: the folds forecast recursively, as asked (nothing more to train).
    assert stored.strategy == "recursive" and stored.requested == "recursive"
    assert stored.source.startswith("test periods of 3 walk-forward folds, ")
    frame = store.load_prices(parent)
    assert stored.last_date == f"{frame.index[-1]:%Y-%m-%d}"
    assert stored.fan["date"].min() > frame.index[-1] and stored.fan["date"].dt.weekday.lt(5).all()
    model = stored.coverage[stored.coverage["forecast"] == "model"]
    assert len(model) == 10 and model["coverage"].between(0, 1).all()

    # Every fold stored its paths; pooling them again gives the stored forecast.
    rows = es.folds_of(store, parent)
    paths = [fold_forecasts.read_fold_paths(store.get_run(r.child_run_id).files_dir) for r in rows]
    assert [p.fold for p in paths] == [0, 1, 2]
    again = pool_folds(
        paths,
        horizon=5,
        requested="recursive",
        last_date=stored.last_date,
        method=config.interval_method,
        prices=frame[config.target].to_numpy(dtype=float),
    )
    assert_same_forecast(stored, again)
    # Every method's test intervals, with the volatility known at each origin, are stored too.
    assert stored.method == config.interval_method
    assert set(stored.intervals["method"]) == {"split", "aci", "agaci"}
    assert stored.intervals["volatility"].notna().all()
    pd.testing.assert_frame_equal(stored.intervals, again.intervals, check_dtype=False)
    # The fan is the last fold's saved model, reloaded, fed its own predictions from the last row.
    last = rows[-1]
    run = load_run(store.get_run(last.child_run_id).files_dir)
    data = prepare_fold(frame, store.get_run(last.child_run_id).lstm_config, last.fold)
    recomputed = fold_paths(RecursiveForecaster(run, 5), data)
    future = recomputed[recomputed["part"] == "future"].sort_values("horizon")
    fan = stored.fan[stored.fan["forecast"] == "model"].sort_values("horizon")
    np.testing.assert_allclose(fan["point"], future["model"], rtol=1e-5)
    # Written again and read back: the same record.
    forecasts.write_forecast(stored, store.files_root / "again")
    assert_same_forecast(stored, forecasts.read_forecast(store.files_root / "again"))


def test_a_walk_forward_run_without_fold_paths_says_why(store):
    from model.orchestration.walkforward import start_walk_forward

    prices = load_sample("GOOG")
    parent = start_walk_forward(store, TINY.replace(horizon=5), prices, folds=3)
    rows = es.folds_of(store, parent)
    for row in rows:
        forecasts.write_failure("Horizon 5 leaves too little", store.get_run(row.child_run_id).files_dir)
        es.end_fold(store, row.child_run_id, "finished", record=None)
    forecast_pooling.store_walk_forward_forecast(store, parent)
    stored, failure = forecasts.load_forecast(store, parent)
    assert stored is None
    assert failure.startswith("No fold has a multi-day forecast (fold 1: Horizon 5 leaves too little;")


@pytest.mark.slow
def test_a_fold_whose_features_need_the_direct_strategy_trains_it():
    from model.engine.training import train_network
    from model.evidence.folds import fold_boundaries, prepare_fold
    from model.forecast.folds import compute_fold_paths

    prices = load_sample("GOOG")
    config = TINY.replace(features=("close", "open"), horizon=3, epochs=1, forecast_strategy="recursive")
    fold = fold_boundaries(len(prices.frame), config, 3)[1]
    data = prepare_fold(prices.frame, config, fold)
    result = compute_fold_paths(train_network(data), data, fold.index)
    assert result.strategy == "direct" and "open do(es) not derive from the target" in result.messages[0]
    assert result.last_date == f"{prices.frame.index[fold.test_end - 1]:%Y-%m-%d}"
    test = result.paths[result.paths["part"] == "test"]
    assert test.groupby("horizon").size().tolist() == [fold.test_rows - h + 1 for h in (1, 2, 3)]
    assert np.isfinite(test["model"]).all() and (test["model"] > 0).all()


def test_the_forecast_pools_the_first_seeds_folds_and_leaves_out_failed_ones(store):
    from model.evidence.folds import prepare_fold
    from model.forecast.folds import FoldPaths
    from model.orchestration.walkforward import start_walk_forward
    from tests.model.forecast.test_folds import DriftForecaster

    prices = load_sample("GOOG")
    config = TINY.replace(horizon=3)
    parent = start_walk_forward(store, config, prices, folds=4, seeds=2)
    rows = es.folds_of(store, parent)
    written = []
    for row in rows:
        folder = store.get_run(row.child_run_id).files_dir
        if row.seed_index == 0 and row.fold.index == 1:
            forecasts.write_failure("Stopped while the fold's direct network trained: no paths.", folder)
            es.end_fold(store, row.child_run_id, "finished", record=None)
            continue
        data = prepare_fold(prices.frame, config, row.fold)
        drift = 0.001 * (1 + row.seed_index)  # the seeds' paths differ
        paths = FoldPaths(
            row.fold.index,
            fold_paths(DriftForecaster(3, drift), data),
            "recursive",
            f"{data.dates[-1]:%Y-%m-%d}",
            float(data.target[-1]),
        )
        fold_forecasts.write_fold_paths(paths, folder)
        es.end_fold(store, row.child_run_id, "finished", record=None)
        if row.seed_index == 0:
            written.append(paths)
    forecast_pooling.store_walk_forward_forecast(store, parent)
    stored, failure = forecasts.load_forecast(store, parent)
    assert failure is None, failure
    expected = pool_folds(
        written, horizon=3, requested=config.forecast_strategy, method=config.interval_method
    )
    pd.testing.assert_frame_equal(stored.coverage, expected.coverage, check_dtype=False)
    pd.testing.assert_frame_equal(stored.fan, expected.fan, check_dtype=False)
    assert stored.source.startswith("test periods of 3 walk-forward folds")
    assert any(
        m.startswith("Folds left out of the intervals and coverage: fold 2: Stopped") for m in stored.messages
    )
    assert any("first seed's folds; the other 1 seed(s)" in m for m in stored.messages)
    by_fold = fold_forecasts.read_fold_coverage(store.get_run(parent).files_dir)
    assert sorted(by_fold["fold"].unique()) == [1, 3, 4]  # fold 2 has no paths


def test_a_stopped_walk_forward_run_says_why_it_has_no_forecast(store):
    from model.orchestration.walkforward import start_walk_forward

    parent = start_walk_forward(store, TINY.replace(horizon=3), load_sample("GOOG"), folds=3)
    forecast_pooling.store_walk_forward_forecast(store, parent, stopped=True)
    assert forecasts.load_forecast(store, parent) == (
        None,
        "The walk-forward run was stopped before its folds ended: no forecast.",
    )
