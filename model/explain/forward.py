"""The tutorial's ``lstm(X)`` executed line by line on a Keras model's own weights (compiled).

``forward_functions(model, config)`` gives a compiled function that runs the literal steps —
reshape to 2-D, matmul with the input projection, reshape back, every LSTM layer, reshape, matmul
with the output projection, reshape — and ``model(x)`` in the same graph, returning every tensor
the walkthrough reads its shapes from. ``check_model`` refuses, in words, a model that does not
fit the settings. TensorFlow is imported inside the functions.
"""

from __future__ import annotations

import weakref

from model.engine.config import LstmConfig
from model.errors import ConfigError
from model.explain.cache import ENGINE_CACHE, architecture_key, model_key


class ForwardFunctions:
    """Compiled (tf.function) versions of the literal steps and of ``model(x)`` for one model.

    Eager Keras LSTMs run their time loop op by op in Python, which is slow enough to feel on
    every knob change; compiled once per model, a trace is quick (``make bench``: shape trace). The batch axis is
    left unknown in the signature so changing the batch size does not recompile. Any layer that
    subclasses ``keras.layers.LSTM`` (return_sequences and return_state on) works.
    """

    def __init__(self, model, config: LstmConfig):
        import tensorflow as tf

        from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

        # Only weak references to the model and its layers, so the cache does not keep a trained
        # model alive.
        model_ref = weakref.ref(model)
        self._dense_in = weakref.ref(model.get_layer(INPUT_PROJECTION))
        self._dense_out = weakref.ref(model.get_layer(OUTPUT_PROJECTION))
        self._lstms = [weakref.ref(layer) for layer in lstm_layers(model, config)]
        rnn_unit, input_size, time_step = config.rnn_unit, config.input_size, config.time_step
        dense_in_ref, dense_out_ref, lstm_refs = self._dense_in, self._dense_out, self._lstms
        spec = [tf.TensorSpec([None, time_step, input_size], tf.float32)]

        @tf.function(input_signature=spec, autograph=False)
        def steps(X):
            # The tutorial's lstm(X), one line at a time, on the model's own weights.
            dense_in, dense_out = dense_in_ref(), dense_out_ref()
            w_in, b_in = dense_in.kernel, dense_in.bias
            input_2d = tf.reshape(X, [-1, input_size])  # step 2
            input_rnn_2d = tf.matmul(input_2d, w_in) + b_in  # step 3
            input_rnn = tf.reshape(input_rnn_2d, [-1, time_step, rnn_unit])  # step 4
            seq = input_rnn  # step 5: every LSTM layer (return_state=True: [sequence, h, c])
            layer_inputs, layer_outputs, final_c, final_h = [], [], [], []
            for ref in lstm_refs:
                layer = ref()
                layer_inputs.append(seq)
                seq, h_final, c_final = layer(seq, training=False)
                layer_outputs.append(seq)
                final_c.append(c_final)
                final_h.append(h_final)
            w_out, b_out = dense_out.kernel, dense_out.bias
            output = tf.reshape(seq, [-1, rnn_unit])  # step 6
            pred = tf.matmul(output, w_out) + b_out
            prediction = tf.reshape(pred, [-1, time_step, 1])  # step 7
            # The model's own forward pass in the same graph (one trace instead of two).
            model_pred = model_ref()(X, training=False)
            return {
                "model_pred": model_pred,
                "input": input_2d, "input_rnn_2d": input_rnn_2d, "input_rnn": input_rnn,
                "layer_inputs": layer_inputs, "layer_outputs": layer_outputs,
                "final_c": final_c, "final_h": final_h, "output_rnn": seq,
                "output": output, "pred": pred, "prediction": prediction,
            }  # fmt: skip

        self.steps = steps

    @property
    def dense_in(self):
        return self._dense_in()

    @property
    def dense_out(self):
        return self._dense_out()

    @property
    def lstms(self) -> list:
        return [ref() for ref in self._lstms]


class _OwnRetracingFilter:
    """Drop TensorFlow's "N of the last M calls triggered retracing" warning about OUR function.

    Each architecture gets its own compiled function by design (one trace each), which that
    warning counts as excessive retracing. Other functions' warnings pass through.
    """

    def filter(self, record) -> bool:
        msg = record.getMessage()
        return not ("triggered tf.function retracing" in msg and "ForwardFunctions" in msg)


_RETRACING_FILTER = _OwnRetracingFilter()


def _install_retracing_filter() -> None:
    import tensorflow as tf

    logger = tf.get_logger()
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)


def forward_functions(model, config: LstmConfig) -> ForwardFunctions:
    """The compiled steps for ``model``, from the engine cache (compiled once per model and architecture)."""

    def make() -> ForwardFunctions:
        _install_retracing_filter()
        return ForwardFunctions(model, config)

    return ENGINE_CACHE.get_or_make(("forward", architecture_key(config), model_key(model)), make)


def check_model(model, config: LstmConfig) -> None:
    """Raise ``ConfigError`` (in words) when ``model`` is not a ``build_network(config)`` network."""
    shape = tuple(model.inputs[0].shape)[1:]
    if shape != (config.time_step, config.input_size):
        raise ConfigError(
            f"The model expects windows of shape {list(shape)} but the settings say "
            f"[{config.time_step}, {config.input_size}] (time_step, number of features)."
        )
    from model.engine.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

    try:
        kernel = model.get_layer(INPUT_PROJECTION).kernel
        model.get_layer(OUTPUT_PROJECTION)
        lstms = lstm_layers(model, config)
    except ValueError as exc:
        raise ConfigError(
            f"The model's layers do not match the settings (layer_num / share_cell): {str(exc).rstrip('.')}."
        ) from exc
    if int(kernel.shape[1]) != config.rnn_unit:
        raise ConfigError(
            f"The model has {int(kernel.shape[1])} LSTM units but the settings say {config.rnn_unit}."
        )
    from keras import layers

    n_lstm = sum(1 for layer in model.layers if isinstance(layer, layers.LSTM))
    # How often the (shared) layer is applied, from the functional model's public config.
    layer_configs = {entry.get("name"): entry for entry in model.get_config().get("layers", [])}
    calls = layer_configs.get(lstms[0].name, {}).get("inbound_nodes")
    if n_lstm != len({id(layer) for layer in lstms}) or (
        config.share_cell and calls is not None and len(calls) != config.layer_num
    ):
        raise ConfigError("The model's LSTM layers do not match the settings (layer_num / share_cell).")
