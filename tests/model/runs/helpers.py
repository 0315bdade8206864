"""Small data and configs shared by the run store tests."""

import numpy as np
import pandas as pd

from model.config import LstmConfig


def sine_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    close = 100 + 10 * np.sin(2 * np.pi * t / 25) + rng.normal(0, 0.3, n)
    frame = pd.DataFrame(
        {"close": close, "volume": rng.uniform(1e5, 2e5, n)},
        index=pd.bdate_range("2010-01-01", periods=n, name="date"),
    )
    frame["change"] = frame["close"].pct_change().fillna(0.0)
    return frame


TINY = LstmConfig(
    rnn_unit=4, layer_num=1, time_step=5, features=("close", "change"), epochs=2, batch_size=32,
    learning_rate=0.01, patience=0, seed=1,
)
