"""Evaluation helpers on constructed predictions (no network needed)."""

import numpy as np
import pandas as pd

from model.engine.evaluation import Evaluation


def test_rmse_by_step_scores_each_step_ahead_for_model_and_persistence():
    predictions = pd.DataFrame(
        {
            "split": ["test"] * 4 + ["train"],
            "window": [0, 0, 1, 1, 0],
            "step": [1, 2, 1, 2, 1],
            "actual": [10.0, 12.0, 10.0, 12.0, 99.0],
            "predicted": [11.0, 12.0, 9.0, 15.0, 0.0],
            "baseline": [10.0, 10.0, 10.0, 10.0, 0.0],
        }
    )
    evaluation = Evaluation(
        predictions=predictions, metrics=pd.DataFrame(), forecast=pd.DataFrame(), target_mode="next_window"
    )
    by_step = evaluation.rmse_by_step()
    assert list(by_step.index) == [1, 2]
    np.testing.assert_allclose(by_step["model"], [1.0, np.sqrt(4.5)])
    np.testing.assert_allclose(by_step["persistence"], [0.0, 2.0])
