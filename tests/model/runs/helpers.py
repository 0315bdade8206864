"""A tiny config and helpers shared by the run store, worker, forecast and sweep tests."""

import time

import pandas as pd

from model.engine.config import LstmConfig

TINY = LstmConfig(
    rnn_unit=4,
    layer_num=1,
    time_step=5,
    features=("close", "change"),
    epochs=2,
    batch_size=32,
    learning_rate=0.01,
    patience=0,
    seed=1,
)


def wait_for(predicate, timeout=60.0, poll=0.05):
    """The first truthy value of ``predicate()``, polled every ``poll`` seconds for ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(poll)
    raise AssertionError("condition not reached in time")


def assert_same_forecast(a, b):
    """Two stored forecasts (model.runs.forecasts) hold the same meta data and tables."""
    assert a.meta() == b.meta()
    pd.testing.assert_frame_equal(a.fan, b.fan, check_dtype=False)
    pd.testing.assert_frame_equal(a.errors, b.errors, check_dtype=False)
    pd.testing.assert_frame_equal(a.coverage, b.coverage, check_dtype=False)
