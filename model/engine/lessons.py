"""Lessons the tutorial could not teach, computed from a trained run (no Streamlit here).

"Did it learn anything?" is the run's one verdict: ``model.evidence.verdict``.

- ``leak_demo``: the tutorial normalises its test period with that period's own mean and std
  (``normalized_test_data = (data_test - mean) / std`` with ``mean, std`` of ``data_test``, and
  ``test_predict * std[7] + mean[7]`` on the way back). Here the same trained model is scored a
  second time that way, as a separate result: training, the regular evaluation, the stored
  metrics and any sweep objective never see it.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import pandas as pd

from model.engine.evaluation import Evaluation, metrics_table, split_frame
from model.engine.training import TrainedRun
from model.engine.windows import (
    Normaliser,
    PreparedData,
    WindowSet,
    make_windows,
    target_anchors,
    window_targets,
)

# ---------------------------------------------------------------------------------------------
# The tutorial's leak
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LeakDemo:
    """The same model scored honestly and with the tutorial's test-period normalisation."""

    honest: pd.DataFrame  # metrics of the regular evaluation (index model / persistence)
    leaked: pd.DataFrame  # metrics with test-period statistics
    predictions: pd.DataFrame  # test rows: date, window, step, actual, honest, leaked, baseline


def leaked_normaliser(data: PreparedData) -> Normaliser:
    """Statistics of the test period itself, as the tutorial's get_test_data computes them.

    The test period is every row a test window reads or predicts (the tutorial's data_test).
    With a change target the target statistics are those of the test windows' own moves.
    """
    config = data.config
    first = int(data.test.start[0])
    features = data.features[first:]
    if config.target_as == "price":
        target = data.target[first:]
    else:
        starts = data.test.start
        y_raw = window_targets(data.target, config.time_step, config.target_mode)[starts]
        target = (y_raw - target_anchors(data.target, starts, config)).ravel()
    std = features.std(axis=0)
    std = np.where(std == 0, 1.0, std)  # a column constant in the test period: leave it centred
    t_std = float(target.std()) or 1.0
    return Normaliser(features.mean(axis=0), std, float(target.mean()), t_std)


def leak_demo(run: TrainedRun, data: PreparedData, honest: Evaluation) -> LeakDemo:
    """Score ``run`` on the test windows normalised by the test period's own mean and std.

    ``run`` and ``data`` are not changed: the leaked copy of ``data`` is a new object whose
    normaliser and test windows alone differ.
    """
    if len(data.test) == 0:
        raise ValueError("No test windows to score.")
    leaked = leaked_normaliser(data)
    t = data.config.time_step
    x = make_windows(leaked.features(data.features), t)[data.test.start]
    leaked_data = dataclasses.replace(
        data, normaliser=leaked, test=WindowSet(np.ascontiguousarray(x), data.test.y, data.test.start)
    )
    frame = split_frame(run, leaked_data, leaked_data.test, "test")
    honest_test = honest.split("test").reset_index(drop=True)
    predictions = pd.DataFrame(
        {
            "date": honest_test["date"],
            "window": honest_test["window"],
            "step": honest_test["step"],
            "actual": honest_test["actual"],
            "honest": honest_test["predicted"],
            "leaked": frame["predicted"].to_numpy(),
            "baseline": honest_test["baseline"],
        }
    )
    return LeakDemo(honest=honest.metrics.copy(), leaked=metrics_table(frame), predictions=predictions)
