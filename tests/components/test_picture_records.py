"""The Results page's pictures: each record computed from stored numbers, and its figure drawing it."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from components import glossary
from components import picture_records as pictures
from components.figures import evidence as evidence_figures
from components.figures import pictures as picture_figures
from components.pages import results_evidence
from model.engine.config import LstmConfig
from model.engine.evaluation import Evaluation
from model.evidence.baselines import BASELINE_LABELS
from model.evidence.folds import fold_boundaries
from model.evidence.walkforward import ridge_forecaster, walk_forward
from model.orchestration.reading import WalkForward
from tests.model.evidence.helpers import synth

CONFIG = LstmConfig(features=("close",), time_step=10)


@pytest.fixture(scope="module")
def evidence():
    return walk_forward(synth(0), CONFIG, ridge_forecaster, k=3)


def test_fold_timeline_expands_and_tests_each_fold_after_its_training():
    frame = synth(0)
    folds = fold_boundaries(len(frame), CONFIG, 3)
    record = pictures.fold_timeline(frame.index, folds)
    assert [f.label for f in record.folds] == ["fold 1", "fold 2", "fold 3"]
    assert record.expanding
    for fold, span in zip(folds, record.folds):
        assert span.train[1] < span.val[0] <= span.val[1] < span.test[0] <= span.test[1]
        assert span.test[0] == frame.index[fold.test_start]
    as_dicts = pictures.fold_timeline(frame.index, [f.to_dict() for f in folds])
    assert as_dicts == record
    fig = picture_figures.fold_timeline_figure(record)
    assert {t.name for t in fig.data} == {"train", "validation", "test"}
    assert sum(t.showlegend for t in fig.data) == 3  # one legend entry per period


def test_residual_histogram_marks_the_conformal_quantile():
    rng = np.random.default_rng(0)
    residuals = rng.normal(0, 2.0, 400)
    record = pictures.residual_histogram(np.append(residuals, np.nan), source="validation")
    assert record.n == 400  # the NaN left out
    assert record.quantiles[80] < record.quantiles[95]
    assert record.inside(80) >= 0.8 and record.inside(95) >= 0.95
    assert record.quantiles[95] == pytest.approx(np.sort(np.abs(residuals))[int(np.ceil(401 * 0.95)) - 1])
    few = pictures.residual_histogram([1.0, -2.0])
    assert np.isnan(few.quantiles[95]) and np.isnan(few.inside(95))
    fig = picture_figures.residual_histogram_figure(record)
    lines = [s.x0 for s in fig.layout.shapes]
    assert pytest.approx(sorted(lines)) == sorted([-record.quantiles[80], record.quantiles[80],
                                                     -record.quantiles[95], record.quantiles[95]])  # fmt: skip
    assert "No out-of-sample residuals" in json.dumps(
        picture_figures.residual_histogram_figure(pictures.residual_histogram([])).to_dict()
    )


def test_evaluation_and_fold_residuals_are_day_one_out_of_sample(evidence):
    dates = pd.bdate_range("2020-01-01", periods=6)
    frame = pd.DataFrame({"split": ["train", "val", "test", "test", "test", "val"], "window": range(6),
                          "step": [1, 1, 1, 2, 1, 1], "date": dates, "origin": dates,
                          "actual": [10.0, 11, 12, 13, 14, 15], "predicted": [9.0, 10, 13, 10, 14, 14],
                          "baseline": 0.0})  # fmt: skip
    evaluation = Evaluation(
        predictions=frame, metrics=pd.DataFrame(), forecast=pd.DataFrame(), target_mode="next_day"
    )
    assert list(pictures.evaluation_residuals(evaluation)) == [1.0, -1.0, 0.0, 1.0]
    from_folds = pictures.fold_residuals(evidence.folds)
    assert len(from_folds) == sum(f.residuals["step"].count(1) for f in evidence.folds)


def test_strategy_sketch_draws_direct_from_the_window_and_recursive_from_the_day_before():
    sketch = pictures.strategy_sketch(horizon=20, used="recursive")
    direct, recursive = sketch.panels
    assert sketch.horizon == 6  # a sketch draws at most six days
    assert all(start == 0 for start, _ in direct.arrows) and not direct.used
    assert recursive.arrows[:2] == ((0, 1), (1, 2)) and recursive.used
    fig = picture_figures.strategy_sketch_figure(sketch)
    titles = [a.text for a in fig.layout.annotations if a.text]
    assert any(t.startswith("Recursive (this run): one day at a time") for t in titles), titles
    assert any(t.startswith("Direct: one output per day ahead") for t in titles), titles
    assert sum(1 for a in fig.layout.annotations if a.showarrow) == 12


def test_ladder_bars_rank_by_rmse_with_dm_badges(evidence):
    labels = {"model": "LSTM model", **BASELINE_LABELS}
    record = pictures.ladder_bars(evidence, labels)
    rmses = [r.rmse for r in record.rungs]
    assert rmses == sorted(rmses)
    names = [r.name for r in record.rungs]
    assert set(names) >= {"model", "persistence", "ridge"}
    model = next(r for r in record.rungs if r.is_model)
    assert model.badge == "" and model.p_better is None
    persistence = next(r for r in record.rungs if r.name == "persistence")
    assert persistence.p_better == pytest.approx(evidence.pooled.p_better)  # the pooled test, recomputed
    if evidence.best_baseline is not None:
        best = next(r for r in record.rungs if r.name == evidence.best_baseline)
        assert best.p_better == pytest.approx(evidence.pooled_best.p_better)
    assert record.model_rank == names.index("model") + 1
    fig = picture_figures.ladder_figure(record)
    badges = [a.text.strip() for a in fig.layout.annotations]
    assert len(badges) == len(record.rungs) - 1
    assert fig.layout.xaxis.range[1] > max(rmses)  # room for the badges inside the plot


def test_badges_say_better_worse_or_no_clear_difference():
    rung = lambda pb, pw: pictures.Rung("x", "x", 1.0, 0.0, pb, pw, False)  # noqa: E731
    assert rung(0.0001, 0.9999).badge == "LSTM better p<0.001"
    assert rung(0.99, 0.012).badge == "LSTM worse p=0.012"
    assert rung(0.4, 0.6).badge == "no clear difference p=0.400"


def test_leak_timeline_shows_the_tutorial_scaler_reads_the_test_period():
    dates = pd.bdate_range("2020-01-01", periods=10)
    frame = pd.DataFrame({"split": ["train"] * 6 + ["val"] * 2 + ["test"] * 2, "window": range(10), "step": 1,
                          "date": dates, "origin": dates - pd.Timedelta(days=1), "actual": 1.0,
                          "predicted": 1.0, "baseline": 1.0})  # fmt: skip
    evaluation = Evaluation(
        predictions=frame, metrics=pd.DataFrame(), forecast=pd.DataFrame(), target_mode="next_day"
    )
    record = pictures.leak_timeline(evaluation)
    assert record.first_forecast == dates[8] and record.leaked_stats == (dates[8], dates[9])
    assert record.honest_stats[1] == dates[5] < record.first_forecast
    assert record.leaks
    fig = picture_figures.leak_timeline_figure(record)
    assert len(fig.data) == 2 and fig.layout.title.text.startswith("Which prices")


def test_a_skill_bar_past_the_axis_is_cut_and_labelled_with_its_value():
    config = LstmConfig(features=("close",), time_step=10)
    ev = walk_forward(synth(0), config, ridge_forecaster, k=3)
    rec = results_evidence.evidence_record(WalkForward(7, 3, "refit", 1, config, (ev,), ev), "finished", 3, 3)
    rec.skill["mean_last"] = [-2.9, -2.9, -2.9]
    fig = evidence_figures.fold_skill_figure(rec)
    bar = next(t for t in fig.data if t.name == rec.labels["mean_last"])
    lo, hi = fig.layout.yaxis.range
    assert all(lo <= y <= hi for y in bar.y)  # drawn to the edge, not past it
    assert list(bar.text) == ["-2.90"] * 3 and list(bar.customdata) == [-2.9] * 3


def test_every_term_of_art_has_one_line():
    for name in ("skill", "Diebold-Mariano", "HAC", "conformal", "holdout", "persistence"):
        line = glossary.term(name)
        assert line and "\n" not in line
    with pytest.raises(KeyError):
        glossary.term("no such term")
