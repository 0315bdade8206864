"""Training variants that exist only for ``make bench``: each shows what one of the engine's
choices buys (scripts/bench.py times them beside the engine's own paths).

* ``"block"``: the fused path with TensorFlow's BlockLSTM forced (the fallback without a compiler).
* ``"fused_fit"``: the fused layer under Keras' ``fit`` (no XLA): what the engine's own loop saves.
* ``"xla"``: Keras' ``fit`` with ``jit_compile=True`` over Keras' own LSTM loop (the fused ops have
  no XLA kernel): what the engine used for small networks before the fused kernels.
"""

from __future__ import annotations

from model.engine.choice import TRAINING_PATHS
from model.engine.training import TrainedRun, fit_loop, run_training, set_fused, train_network

BENCH_ONLY_PATHS = ("block", "fused_fit", "xla")
ALL_PATHS = (*TRAINING_PATHS, *BENCH_ONLY_PATHS)
# Batches per compiled call on the XLA path: more than 1 made XLA compile a loop of steps
# (seconds longer to the first epoch) for no steady-state gain on these small models.
STEPS_PER_EXECUTION = 1


def train_variant(data, path: str, listener=None) -> TrainedRun:
    """Train ``data``'s network on one of ALL_PATHS (the engine's own paths go to train_network)."""
    import keras

    from model.engine.network import build_network

    if path not in ALL_PATHS:
        raise ValueError(f"path must be one of {ALL_PATHS}, got {path!r}")
    if path in TRAINING_PATHS:
        return train_network(data, listener=listener, path=path)
    if path == "block":
        return train_network(data, listener=listener, path="fused", kernel="block")
    config = data.config
    model = build_network(config)
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
    if path == "xla":
        set_fused(model, False)  # the fused ops have no XLA kernel
        model.compile(
            optimizer=optimizer, loss="mse", jit_compile=True, steps_per_execution=STEPS_PER_EXECUTION
        )
    else:  # fused_fit
        set_fused(model, True)
        model.compile(optimizer=optimizer, loss="mse", jit_compile=False)
    return run_training(model, data, fit_loop, listener=listener, provenance={"path": path})
