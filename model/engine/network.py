"""The tutorial's ``lstm(X)`` as a Keras 3 model.

Tutorial (TF1)                                  Here (Keras 3)
reshape X to [batch*time_step, input_size]  \\
matmul w_in + b_in                           >  Dense(rnn_unit) on the last axis: "input_projection"
reshape to [batch, time_step, rnn_unit]     /
MultiRNNCell([BasicLSTMCell]*layer_num)        layer_num x LSTM(rnn_unit, return_sequences=True)
                                                 (model.engine.fused_lstm.FusedLSTM: Keras' LSTM, fused kernel)
  + dynamic_rnn                                  ("lstm_1".."lstm_N", or one "shared_lstm" called N times)
reshape, matmul w_out + b_out, reshape         Dense(1) on every step: "output_projection"

TensorFlow is imported inside the functions so that importing this module stays cheap.
"""

from __future__ import annotations

from model.engine.config import LstmConfig

INPUT_PROJECTION = "input_projection"
OUTPUT_PROJECTION = "output_projection"
SHARED_LSTM = "shared_lstm"


def lstm_layer_name(index: int) -> str:
    """Name of the index-th (0-based) LSTM layer when layers do not share weights."""
    return f"lstm_{index + 1}"


def build_network(config: LstmConfig, outputs: int = 1):
    """Build (not compile) the stacked LSTM: [batch, time_step, input_size] -> [batch, time_step, outputs].

    ``outputs`` > 1 is the direct multi-day forecaster (``model.forecast.horizon``): one output
    per horizon day at every step; the tutorial's network has one.
    """
    import keras
    from keras import layers

    from model.engine.fused_lstm import FusedLSTM

    config.validate()
    init = keras.initializers
    # Every initializer gets its own seed derived from config.seed, so a run is reproducible
    # without keras.utils.set_random_seed, which is process-wide and would let two sessions
    # training at once disturb each other.
    base = (config.seed * 1009) % 2_000_000_000
    seeds = iter(range(base, base + 1000))

    def dense(units: int, name: str):
        return layers.Dense(units, name=name, kernel_initializer=init.GlorotUniform(seed=next(seeds)))

    def lstm(name: str):
        # FusedLSTM is keras.layers.LSTM (same weights, config, cell) whose call runs the whole
        # sequence as one TensorFlow op when it can: several times faster to train on CPU.
        return FusedLSTM(
            config.rnn_unit,
            return_sequences=True,
            return_state=True,  # exposes each layer's final (h, c), which the shape trace reports
            kernel_initializer=init.GlorotUniform(seed=next(seeds)),
            recurrent_initializer=init.Orthogonal(seed=next(seeds)),
            name=name,
        )

    inputs = keras.Input(shape=(config.time_step, config.input_size), name="x")
    x = dense(config.rnn_unit, INPUT_PROJECTION)(inputs)

    # The tutorial's MultiRNNCell([cell for _ in range(layer_num)]) puts the SAME cell object
    # in every layer, so all layers share one set of weights. share_cell reproduces that by
    # calling one LSTM layer layer_num times; otherwise each layer has its own weights.
    shared = lstm(SHARED_LSTM) if config.share_cell else None
    for k in range(config.layer_num):
        layer = shared or lstm(lstm_layer_name(k))
        x, _h, _c = layer(x)
        if config.dropout > 0 and k < config.layer_num - 1:
            x = layers.Dropout(config.dropout, seed=config.seed + k, name=f"dropout_{k + 1}")(x)
    y = dense(outputs, OUTPUT_PROJECTION)(x)
    return keras.Model(inputs, y, name="stacked_lstm")


def lstm_layers(model, config: LstmConfig) -> list:
    """The LSTM layer applied at each depth, in order (one object repeated when the cell is shared)."""
    if config.share_cell:
        return [model.get_layer(SHARED_LSTM)] * config.layer_num
    return [model.get_layer(lstm_layer_name(k)) for k in range(config.layer_num)]


def count_parameters(config: LstmConfig) -> dict[str, int]:
    """Parameter counts by part, from the tutorial's formulas (no TensorFlow needed).

    Used by the UI to update the count as knobs move; tests check it against Keras' own count.
    """
    d, u, n = config.input_size, config.rnn_unit, config.layer_num
    w_in = d * u + u
    one_lstm = 4 * (u * u + u * u + u)  # kernel [u, 4u] + recurrent kernel [u, 4u] + bias [4u]
    lstm = one_lstm if config.share_cell else one_lstm * n
    w_out = u + 1
    return {"input_projection": w_in, "lstm": lstm, "output_projection": w_out, "total": w_in + lstm + w_out}
