"""Small builders shared by the engine tests."""

import numpy as np
import pandas as pd

from model.engine.config import LstmConfig


def make_config(rnn_unit=10, layer_num=2, time_step=20, input_size=6, share_cell=False, **kw) -> LstmConfig:
    """A config with ``input_size`` anonymous feature columns (f0, f1, ...)."""
    return LstmConfig(
        rnn_unit=rnn_unit,
        layer_num=layer_num,
        time_step=time_step,
        features=tuple(f"f{i}" for i in range(input_size)),
        share_cell=share_cell,
        **kw,
    )


def sine_frame(n: int = 300, seed: int = 0) -> pd.DataFrame:
    """A learnable price table: a noisy sine (period 25 business days) with volume and change."""
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    close = 100 + 10 * np.sin(2 * np.pi * t / 25) + rng.normal(0, 0.3, n)
    frame = pd.DataFrame(
        {"close": close, "volume": rng.uniform(1e5, 2e5, n)},
        index=pd.bdate_range("2010-01-01", periods=n, name="date"),
    )
    frame["change"] = frame["close"].pct_change().fillna(0.0)
    return frame


def randomise(model, seed):
    """Stand-in for training: every weight random (forget biases no longer 1, etc.)."""
    rng = np.random.default_rng(seed)
    for layer in model.layers:
        if layer.weights:
            layer.set_weights(
                [rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()]
            )
    return model


# The smallest training the command line runs on a bundled sample (one epoch of a 4-unit network).
TINY_IBM_ARGS = [
    "--source",
    "sample:IBM",
    "--rnn-unit",
    "4",
    "--layer-num",
    "1",
    "--time-step",
    "5",
    "--epochs",
    "1",
]
