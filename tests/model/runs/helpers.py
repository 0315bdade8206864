"""A tiny config and a polling helper shared by the run store, worker and sweep tests."""

import time

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
