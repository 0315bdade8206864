"""The benchmark's own training variants still train (they live in scripts/, not the engine)."""

import numpy as np
import pytest

from model.engine import choice as choosing
from model.engine.config import LstmConfig
from model.engine.fused_lstm import FusedLSTM
from model.engine.windows import prepare_data
from scripts.bench_paths import ALL_PATHS, BENCH_ONLY_PATHS, train_variant
from tests.model.factories import sine_frame

TINY = LstmConfig(
    rnn_unit=4, layer_num=1, time_step=10, features=("close",), epochs=2, batch_size=16, patience=0
)


def test_the_engine_keeps_only_the_paths_it_uses():
    assert set(choosing.TRAINING_PATHS) == {"fused", "plain"}
    assert not set(BENCH_ONLY_PATHS) & set(choosing.TRAINING_PATHS)
    with pytest.raises(ValueError, match="path must be one of"):
        train_variant(prepare_data(sine_frame(120), TINY), "gpu")


@pytest.mark.slow  # XLA compiles and Keras' fit traces for seconds each
@pytest.mark.parametrize("path", BENCH_ONLY_PATHS)
def test_each_bench_variant_trains_and_leaves_the_fused_layer_on(path):
    assert path in ALL_PATHS
    reports = []
    run = train_variant(prepare_data(sine_frame(200), TINY), path, reports.append)
    assert len(run.history) == 2 and all(np.isfinite(h["loss"]) for h in run.history)
    assert reports[-1].finished
    lstms = [layer for layer in run.model.layers if isinstance(layer, FusedLSTM)]
    assert lstms and all(layer.use_fused for layer in lstms)
