"""Walk the tutorial's seven steps through a REAL forward pass and record what each one does.

``trace_shapes(config, batch_size)`` takes the network ``build_network(config)`` makes (or a
trained model), executes the tutorial's ``lstm(X)`` step by step on it — reshape to 2-D,
matmul with the input projection's weights, reshape back, every LSTM layer, reshape, matmul
with the output projection, reshape — and reads every shape from the tensors it gets. It also
checks, numerically, that the step-by-step result equals ``model(x)``, and opens up the first
LSTM cell gate by gate (the tutorial's single [in + rnn_unit, 4*rnn_unit] matrix, the i, f,
c~, o gates, c_t and h_t) with the real weights.

The tutorial's TF1 source and our Keras source, with the lines of each step, live here too
(``tutorial_source``, ``keras_source``, ``TUTORIAL_STEP_LINES``, ``KERAS_STEP_LINES``), so
the walkthrough, the highlighted code and the TF1 equivalence check (``model.tutorial_graph``)
all use one copy.

Importing this module does not import TensorFlow; ``trace_shapes`` does.
"""

from __future__ import annotations

import functools
import threading
import weakref
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.config import LstmConfig
from model.errors import ConfigError

MATCH_ATOL = 1e-5  # tolerance of the "step by step == model(x)" and "manual gates == layer" checks

# --------------------------------------------------------------------------------------------
# Source code shown next to the walkthrough.
# --------------------------------------------------------------------------------------------

# 1-based line numbers in tutorial_source(config) for each step. Steps 2-4 and 6 are single
# tutorial lines; step 1 is the function header, step 5 the cell/dynamic_rnn block.
TUTORIAL_STEP_LINES: dict[int, tuple[int, ...]] = {
    1: (5, 6, 7),
    2: (10,),
    3: (8, 9, 11),
    4: (12,),
    5: (13, 14, 15, 16),
    6: (17, 18, 19, 20),
    7: (21,),
}

# 1-based line numbers in keras_source(config). Keras' Dense works on the last axis, so one
# line does the tutorial's reshape / matmul / reshape (steps 2-4), and Dense(1) does step 6
# and, by keeping the [batch, time_step] axes, step 7's shape.
KERAS_STEP_LINES: dict[int, tuple[int, ...]] = {
    1: (8, 9),
    2: (10,),
    3: (10,),
    4: (10,),
    5: (11, 12, 13, 14, 15, 16),
    6: (17,),
    7: (17, 18),
}


def tutorial_source(config: LstmConfig) -> str:
    """The tutorial's TF1 ``lstm(X)`` with the user's settings on top (21 lines).

    With ``share_cell`` it is the tutorial's own code: ONE BasicLSTMCell object put in every
    layer of the MultiRNNCell, so all layers share one set of weights. Without it, each layer
    gets its own BasicLSTMCell (what our Keras network does by default). Both versions have the
    same line numbers. ``model.tutorial_graph`` executes exactly this text (with ``tf`` bound
    to ``tf.compat.v1``).
    """
    if config.share_cell:
        cell_lines = (
            "    cell=tf.nn.rnn_cell.BasicLSTMCell(rnn_unit)",
            "    multi_cell=tf.nn.rnn_cell.MultiRNNCell([cell for _ in range(layer_num)])"
            "  # one cell object reused => layers share weights",
        )
    else:
        cell_lines = (
            "    cells=[tf.nn.rnn_cell.BasicLSTMCell(rnn_unit) for _ in range(layer_num)]"
            "  # one cell per layer => own weights",
            "    multi_cell=tf.nn.rnn_cell.MultiRNNCell(cells)",
        )
    lines = (
        f"input_size={config.input_size}",
        f"rnn_unit={config.rnn_unit}",
        f"layer_num={config.layer_num}",
        "",
        "def lstm(X):",
        "    batch_size=tf.shape(X)[0]",
        "    time_step=tf.shape(X)[1]",
        "    w_in=weights['in']",
        "    b_in=biases['in']",
        "    input=tf.reshape(X,[-1,input_size])  # to 2-D for the matmul",
        "    input_rnn=tf.matmul(input,w_in)+b_in",
        "    input_rnn=tf.reshape(input_rnn,[-1,time_step,rnn_unit])  # back to 3-D as the LSTM cell's input",
        *cell_lines,
        "    init_state=multi_cell.zero_state(batch_size,dtype=tf.float32)",
        "    output_rnn,final_states=tf.nn.dynamic_rnn(multi_cell, input_rnn,initial_state=init_state, dtype=tf.float32)",
        "    output=tf.reshape(output_rnn,[-1,rnn_unit])",
        "    w_out=weights['out']",
        "    b_out=biases['out']",
        "    pred=tf.matmul(output,w_out)+b_out",
        "    return pred,final_states",
    )
    return "\n".join(lines) + "\n"


def keras_source(config: LstmConfig) -> str:
    """Our Keras network (``model/network.py``'s ``build_network``) with the user's settings on top.

    Executing it with ``keras`` and ``layers`` in scope builds the same architecture as
    ``build_network(config)`` (the tests check that). Both share_cell versions have the same
    line numbers.
    """
    if config.share_cell:
        shared = (
            '    shared = layers.LSTM(rnn_unit, return_sequences=True, return_state=True, name="shared_lstm")'
            "  # ONE layer, called layer_num times"
        )
    else:
        shared = "    shared = None  # each depth gets its own LSTM layer"
    lines = (
        f"input_size={config.input_size}",
        f"rnn_unit={config.rnn_unit}",
        f"layer_num={config.layer_num}",
        f"time_step={config.time_step}",
        f"dropout={float(config.dropout)!r}",
        f"seed={config.seed}",
        "",
        "def build_network():",
        '    inputs = keras.Input(shape=(time_step, input_size), name="x")',
        '    x = layers.Dense(rnn_unit, name="input_projection")(inputs)  # reshape to 2-D, matmul w_in + b_in, reshape back',
        shared,
        "    for k in range(layer_num):",
        '        lstm = shared or layers.LSTM(rnn_unit, return_sequences=True, return_state=True, name=f"lstm_{k + 1}")',
        "        x, h, c = lstm(x)  # Keras returns (sequence, h, c); TF1's LSTMStateTuple is (c, h)",
        "        if dropout > 0 and k < layer_num - 1:",
        '            x = layers.Dropout(dropout, seed=seed + k, name=f"dropout_{k + 1}")(x)  # off at prediction time',
        '    outputs = layers.Dense(1, name="output_projection")(x)  # [batch, time_step, 1]',
        '    return keras.Model(inputs, outputs, name="stacked_lstm")',
    )
    return "\n".join(lines) + "\n"


def source_lines(source: str, line_numbers: tuple[int, ...]) -> str:
    """The given 1-based lines of ``source``, joined with newlines and dedented by four spaces."""
    all_lines = source.splitlines()
    picked = [all_lines[n - 1] for n in line_numbers]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in picked)


# --------------------------------------------------------------------------------------------
# Records.
# --------------------------------------------------------------------------------------------


def _fmt_shape(shape: tuple[int, ...]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


@dataclass(frozen=True)
class TensorInfo:
    """A tensor seen during the trace: its name in the tutorial's code and its observed shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.name} {_fmt_shape(self.shape)}"


@dataclass(frozen=True)
class ParamInfo:
    """A weight used by a step: name, observed shape and number of values."""

    name: str
    shape: tuple[int, ...]
    count: int

    @property
    def label(self) -> str:
        return f"{self.name} {_fmt_shape(self.shape)} ({self.count:,})"


@dataclass(frozen=True)
class StepRecord:
    number: int
    title: str
    explanation: str
    tutorial_code: str
    keras_code: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    params: list[ParamInfo]

    @property
    def param_count(self) -> int:
        return sum(p.count for p in self.params)


@dataclass(frozen=True, eq=False)
class GateTrace:
    """One LSTM cell step opened up, computed with the layer's real weights.

    Shapes are those of the arrays computed here. ``kernel`` is the tutorial's single matrix:
    Keras' ``kernel`` [in, 4u] stacked on ``recurrent_kernel`` [u, 4u]. Gate order along the
    4u axis is Keras' i, f, c(~), o (BasicLSTMCell's is i, j, f, o). The recurrence is run by
    hand from t = 0 up to ``time_index``; ``matches_layer`` says whether every manual h equals
    the layer's own output at that step (``max_abs_diff`` is the largest gap).
    """

    layer_name: str
    layer_index: int  # depth, 0-based
    time_index: int  # 0-based step the gates are shown for
    x_t: tuple[int, ...]
    h_prev: tuple[int, ...]
    c_prev: tuple[int, ...]
    concat: tuple[int, ...]  # [x_t, h_(t-1)]: [batch, in + rnn_unit]
    keras_kernel: tuple[int, ...]  # [in, 4u]
    keras_recurrent_kernel: tuple[int, ...]  # [u, 4u]
    kernel: tuple[int, ...]  # [in + u, 4u]
    bias: tuple[int, ...]  # [4u]
    z: tuple[int, ...]  # concat @ kernel + bias: [batch, 4u]
    gates: dict[str, tuple[int, ...]]  # "i", "f", "g", "o" -> [batch, u]
    c_t: tuple[int, ...]
    h_t: tuple[int, ...]
    param_formula: str
    param_count: int
    matches_layer: bool
    max_abs_diff: float
    # Values for batch element 0 at time_index, for display: "i", "f", "g", "o", "c_t", "h_t" -> [u].
    values: dict[str, np.ndarray] = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class ShapeTrace:
    steps: list[StepRecord]
    gates: GateTrace  # first LSTM layer
    hidden: list[np.ndarray]  # per LSTM depth: h sequence of batch element 0, [time_step, rnn_unit]
    share_cell: bool
    notes: list[str]
    matches_model: bool  # step-by-step prediction == model(x) (allclose, atol MATCH_ATOL)
    max_abs_diff: float  # largest |step-by-step - model(x)|
    layer_gates: list[GateTrace] = field(default_factory=list)  # every depth (first == gates)
    prediction: np.ndarray | None = None  # the step-by-step prediction, [batch, time_step, 1]

    def step(self, number: int) -> StepRecord:
        return self.steps[number - 1]

    def shape_map(self) -> dict[str, tuple[int, ...]]:
        """Every step output as ``"<step>:<name>" -> shape`` (the keys the TF1 graph check uses)."""
        return {f"{s.number}:{t.name}": t.shape for s in self.steps for t in s.outputs}

    def as_table(self) -> list[dict[str, Any]]:
        """One row per step: step, title, inputs, outputs, params (strings) and param_count."""
        return [
            {
                "step": s.number,
                "title": s.title,
                "inputs": "; ".join(t.label for t in s.inputs),
                "outputs": "; ".join(t.label for t in s.outputs),
                "params": "; ".join(p.label for p in s.params),
                "param_count": s.param_count,
            }
            for s in self.steps
        ]


# --------------------------------------------------------------------------------------------
# Network cache.
# --------------------------------------------------------------------------------------------


def architecture_key(config: LstmConfig) -> tuple:
    """The config fields that define the network's layers and weights' shapes (hashable)."""
    return (
        int(config.rnn_unit),
        int(config.layer_num),
        int(config.time_step),
        int(config.input_size),
        bool(config.share_cell),
        float(config.dropout),
        int(config.seed),
    )


@functools.lru_cache(maxsize=16)
def _cached_network(key: tuple):
    from model.network import build_network

    rnn_unit, layer_num, time_step, input_size, share_cell, dropout, seed = key
    config = LstmConfig(
        rnn_unit=rnn_unit,
        layer_num=layer_num,
        time_step=time_step,
        features=tuple(f"feature_{i + 1}" for i in range(input_size)),
        share_cell=share_cell,
        dropout=dropout,
        seed=seed,
    )
    return build_network(config)


def network_for(config: LstmConfig):
    """An untrained ``build_network(config)``, built once per architecture and reused."""
    config.validate()
    return _cached_network(architecture_key(config))


# --------------------------------------------------------------------------------------------
# The trace.
# --------------------------------------------------------------------------------------------


def _shape(t) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape)


def _np(t) -> np.ndarray:
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def _gate_trace(layer, layer_index: int, seq_in: np.ndarray, seq_out: np.ndarray, time_index: int) -> GateTrace:
    """Run one LSTM layer's cell by hand (float64) from t=0 to ``time_index`` with its weights."""
    seq_in, seq_out = seq_in[:, : time_index + 1], seq_out[:, : time_index + 1]
    cell = layer.cell
    W = np.asarray(cell.kernel.numpy(), dtype=np.float64)  # [in, 4u]
    U = np.asarray(cell.recurrent_kernel.numpy(), dtype=np.float64)  # [u, 4u]
    b = np.asarray(cell.bias.numpy(), dtype=np.float64)  # [4u]
    kernel = np.concatenate([W, U], axis=0)  # the tutorial's single [in + u, 4u] matrix
    x = np.asarray(seq_in, dtype=np.float64)
    batch = x.shape[0]
    u = U.shape[0]
    h = np.zeros((batch, u))
    c = np.zeros((batch, u))
    max_diff = 0.0
    record: dict[str, Any] = {}
    for t in range(time_index + 1):
        x_t = x[:, t, :]
        concat = np.concatenate([x_t, h], axis=1)  # [x_t, h_(t-1)]
        z = concat @ kernel + b
        zi, zf, zg, zo = np.split(z, 4, axis=1)  # Keras order: i, f, c~, o
        i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        max_diff = max(max_diff, float(np.max(np.abs(h_new - seq_out[:, t, :]))) if h_new.size else 0.0)
        if t == time_index:
            record = dict(
                x_t=x_t, h_prev=h, c_prev=c, concat=concat, z=z, i=i, f=f, g=g, o=o, c_t=c_new, h_t=h_new
            )
        h, c = h_new, c_new
    n_in = W.shape[0]
    count = int(kernel.size + b.size)
    formula = (
        f"4*(in*rnn_unit + rnn_unit*rnn_unit + rnn_unit) = 4*({n_in}*{u} + {u}*{u} + {u}) = {count:,}"
    )
    return GateTrace(
        layer_name=layer.name,
        layer_index=layer_index,
        time_index=time_index,
        x_t=record["x_t"].shape,
        h_prev=record["h_prev"].shape,
        c_prev=record["c_prev"].shape,
        concat=record["concat"].shape,
        keras_kernel=W.shape,
        keras_recurrent_kernel=U.shape,
        kernel=kernel.shape,
        bias=b.shape,
        z=record["z"].shape,
        gates={k: record[k].shape for k in ("i", "f", "g", "o")},
        c_t=record["c_t"].shape,
        h_t=record["h_t"].shape,
        param_formula=formula,
        param_count=count,
        matches_layer=bool(max_diff <= MATCH_ATOL),
        max_abs_diff=max_diff,
        values={k: record[k][0].astype(np.float32) for k in ("i", "f", "g", "o", "c_t", "h_t")} if batch else {},
    )


class _ForwardFunctions:
    """Compiled (tf.function) versions of the literal steps and of ``model(x)`` for one model.

    Eager Keras LSTMs run their time loop op by op in Python (~100 ms per layer call at the
    default size); compiled once per model, a trace takes a few milliseconds. The batch axis is
    left unknown in the signature so changing the batch size does not recompile.
    """

    def __init__(self, model, config: LstmConfig):
        import tensorflow as tf

        from model.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

        # Only weak references to the model and its layers, so the cache (keyed weakly by the
        # model) does not keep a trained model alive.
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
            }

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
        return not ("triggered tf.function retracing" in msg and "_ForwardFunctions" in msg)


_RETRACING_FILTER = _OwnRetracingFilter()


def _install_retracing_filter() -> None:
    import tensorflow as tf

    logger = tf.get_logger()
    if _RETRACING_FILTER not in logger.filters:
        logger.addFilter(_RETRACING_FILTER)


_FORWARD_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_FORWARD_LOCK = threading.Lock()


def _forward_functions(model, config: LstmConfig) -> _ForwardFunctions:
    key = architecture_key(config)
    with _FORWARD_LOCK:
        try:
            cached = _FORWARD_CACHE.get(model)
        except TypeError:  # not weak-referenceable: do not cache
            cached = None
        if cached is not None and cached[0] == key:
            return cached[1]
        _install_retracing_filter()
        fns = _ForwardFunctions(model, config)
        try:
            _FORWARD_CACHE[model] = (key, fns)
        except TypeError:
            pass
        return fns


def _check_model(model, config: LstmConfig) -> None:
    shape = tuple(model.inputs[0].shape)[1:]
    if shape != (config.time_step, config.input_size):
        raise ConfigError(
            f"The model expects windows of shape {list(shape)} but the settings say "
            f"[{config.time_step}, {config.input_size}] (time_step, number of features)."
        )
    from model.network import INPUT_PROJECTION, OUTPUT_PROJECTION, lstm_layers

    try:
        kernel = model.get_layer(INPUT_PROJECTION).kernel
        model.get_layer(OUTPUT_PROJECTION)
        lstms = lstm_layers(model, config)
    except ValueError as exc:
        raise ConfigError(
            "The model's layers do not match the settings (layer_num / share_cell): "
            f"{str(exc).rstrip('.')}."
        ) from exc
    if int(kernel.shape[1]) != config.rnn_unit:
        raise ConfigError(f"The model has {int(kernel.shape[1])} LSTM units but the settings say {config.rnn_unit}.")
    from keras import layers

    n_lstm = sum(1 for layer in model.layers if isinstance(layer, layers.LSTM))
    calls = getattr(lstms[0], "_inbound_nodes", None)  # how often the (shared) layer is applied
    if n_lstm != len({id(layer) for layer in lstms}) or (
        config.share_cell and calls is not None and len(calls) != config.layer_num
    ):
        raise ConfigError("The model's LSTM layers do not match the settings (layer_num / share_cell).")


def trace_shapes(
    config: LstmConfig,
    batch_size: int | None = None,
    model=None,
    x: np.ndarray | None = None,
    gate_time: int = 1,
) -> ShapeTrace:
    """Trace the tutorial's seven steps through a real forward pass.

    ``model``: a network from ``build_network(config)`` (trained or not); default an untrained
    one, cached per architecture. ``x``: [batch, time_step, input_size] windows (e.g. real
    normalised prices); default ``batch_size`` windows of random normal data (seeded by
    ``config.seed``). ``gate_time``: the 0-based step whose gates are shown (clipped to the
    window; 1 by default so h_(t-1) is not all zeros).
    """
    import tensorflow as tf

    config.validate()
    if model is None:
        model = network_for(config)
    else:
        _check_model(model, config)

    if x is None:
        if batch_size is None:
            batch_size = config.batch_size
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
        rng = np.random.default_rng(config.seed)
        x = rng.standard_normal((int(batch_size), config.time_step, config.input_size)).astype(np.float32)
    else:
        x = np.asarray(x, dtype=np.float32)
        if x.ndim != 3 or x.shape[1:] != (config.time_step, config.input_size) or x.shape[0] < 1:
            raise ConfigError(
                f"x must be [batch, {config.time_step}, {config.input_size}] (windows, time_step, features), "
                f"got {list(x.shape)}."
            )

    fns = _forward_functions(model, config)
    X = tf.convert_to_tensor(x)
    r = fns.steps(X)
    model_pred = _np(r["model_pred"])
    prediction_np = _np(r["prediction"])
    max_diff = float(np.max(np.abs(prediction_np - model_pred))) if prediction_np.shape == model_pred.shape else float("inf")
    matches_model = bool(prediction_np.shape == model_pred.shape and np.allclose(prediction_np, model_pred, atol=MATCH_ATOL))

    lstms = fns.lstms
    input_2d, input_rnn_2d, input_rnn = r["input"], r["input_rnn_2d"], r["input_rnn"]
    output_rnn, output, pred, prediction = r["output_rnn"], r["output"], r["pred"], r["prediction"]
    layer_inputs, layer_outputs = r["layer_inputs"], r["layer_outputs"]
    finals = [(c, h) for c, h in zip(r["final_c"], r["final_h"])]
    w_in, b_in, w_out, b_out = fns.dense_in.kernel, fns.dense_in.bias, fns.dense_out.kernel, fns.dense_out.bias

    # Gate-level detail of every depth (cheap: numpy on [batch, u] arrays up to gate_time).
    t_gate = max(0, min(int(gate_time), config.time_step - 1))
    layer_gates = [
        _gate_trace(layer, k, _np(layer_inputs[k]), _np(layer_outputs[k]), t_gate) for k, layer in enumerate(lstms)
    ]
    hidden = [_np(s)[0] for s in layer_outputs]

    # ---- records ----------------------------------------------------------------------------
    xs, i2, ir2, ir3, out_s, o2, p2, p3 = (
        _shape(X), _shape(input_2d), _shape(input_rnn_2d), _shape(input_rnn),
        _shape(output_rnn), _shape(output), _shape(pred), _shape(prediction),
    )
    win_s, ts_s, feat_s = xs
    t_src, k_src = tutorial_source(config), keras_source(config)

    def code(number: int) -> tuple[str, str]:
        return source_lines(t_src, TUTORIAL_STEP_LINES[number]), source_lines(k_src, KERAS_STEP_LINES[number])

    def param(name: str, t) -> ParamInfo:
        shape = _shape(t)
        return ParamInfo(name, shape, int(np.prod(shape, dtype=np.int64)))

    def fmt(s):
        return _fmt_shape(s)

    steps: list[StepRecord] = []
    tc, kc = code(1)
    steps.append(StepRecord(
        1, "Input windows",
        f"X is {fmt(xs)}: {win_s} windows of {ts_s} days with {feat_s} features each.",
        tc, kc, [], [TensorInfo("X", xs)], [],
    ))
    tc, kc = code(2)
    steps.append(StepRecord(
        2, "Reshape to 2-D",
        f"Reshape X to 2-D {fmt(i2)}: the {win_s} windows x {ts_s} days become {i2[0]} rows of {i2[1]} "
        f"features, so one matrix multiply handles every day of every window. "
        f"(Keras' Dense does this reshape for you: it works on the last axis.)",
        tc, kc, [TensorInfo("X", xs)], [TensorInfo("input", i2)], [],
    ))
    tc, kc = code(3)
    p_w_in, p_b_in = param("w_in", w_in), param("b_in", b_in)
    steps.append(StepRecord(
        3, "Input projection",
        f"Multiply by w_in {fmt(p_w_in.shape)} and add b_in {fmt(p_b_in.shape)}: {fmt(ir2)}, each day's "
        f"{i2[1]} features projected to the {ir2[1]} units of the LSTM. "
        f"In Keras these are input_projection's kernel and bias.",
        tc, kc, [TensorInfo("input", i2)], [TensorInfo("input_rnn", ir2)], [p_w_in, p_b_in],
    ))
    tc, kc = code(4)
    steps.append(StepRecord(
        4, "Reshape to 3-D",
        f"Reshape back to 3-D {fmt(ir3)}: the LSTM cell's input, {ir3[0]} windows of {ir3[1]} steps "
        f"with {ir3[2]} values each.",
        tc, kc, [TensorInfo("input_rnn", ir2)], [TensorInfo("input_rnn", ir3)], [],
    ))

    tc, kc = code(5)
    lstm_params: list[ParamInfo] = []
    param_layers = lstms[:1] if config.share_cell else lstms
    for layer in param_layers:
        cell = layer.cell
        lstm_params += [
            param(f"{layer.name}.kernel", cell.kernel),
            param(f"{layer.name}.recurrent_kernel", cell.recurrent_kernel),
            param(f"{layer.name}.bias", cell.bias),
        ]
    outs5 = [TensorInfo("output_rnn", out_s)]
    for k, (c_f, h_f) in enumerate(finals):
        outs5 += [TensorInfo(f"final_states[{k}].c", _shape(c_f)), TensorInfo(f"final_states[{k}].h", _shape(h_f))]
    n_layers = len(lstms)
    state_shapes = {_shape(t) for pair in finals for t in pair}
    state_desc = fmt(next(iter(state_shapes))) if len(state_shapes) == 1 else "of the shapes listed"
    explanation5 = (
        f"Run the {n_layers} stacked LSTM layer{'s' if n_layers != 1 else ''} over the {ir3[1]} steps: "
        f"the output is {fmt(out_s)} (the last layer's h at every step), and the final state holds "
        f"{n_layers} (c, h) pair{'s' if n_layers != 1 else ''}, each {state_desc}."
    )
    if config.share_cell:
        explanation5 += (
            " All layers use ONE set of LSTM weights, as the tutorial's code does: "
            "MultiRNNCell([cell for _ in range(layer_num)]) puts the same cell object in every layer."
        )
    else:
        explanation5 += " Each layer has its own weights."
    steps.append(StepRecord(
        5, "Stacked LSTM", explanation5, tc, kc, [TensorInfo("input_rnn", ir3)], outs5, lstm_params,
    ))
    tc, kc = code(6)
    p_w_out, p_b_out = param("w_out", w_out), param("b_out", b_out)
    steps.append(StepRecord(
        6, "Output projection",
        f"Reshape the output to 2-D {fmt(o2)} and multiply by w_out {fmt(p_w_out.shape)} plus "
        f"b_out {fmt(p_b_out.shape)}: {fmt(p2)}, one prediction per day of every window. "
        f"In Keras these are output_projection's kernel and bias.",
        tc, kc, [TensorInfo("output_rnn", out_s)], [TensorInfo("output", o2), TensorInfo("pred", p2)],
        [p_w_out, p_b_out],
    ))
    tc, kc = code(7)
    steps.append(StepRecord(
        7, "Prediction",
        f"Reshaped per window the prediction is {fmt(p3)}: an input of {xs[1]} steps gives an output of "
        f"{p3[1]} steps — to predict a sequence of length {p3[1]}, feed {xs[1]} steps.",
        tc, kc, [TensorInfo("pred", p2)], [TensorInfo("prediction", p3)], [],
    ))

    notes: list[str] = []
    if matches_model:
        notes.append(
            f"Step by step equals model(x): largest difference {max_diff:.2e} (tolerance {MATCH_ATOL:g})."
        )
    else:
        notes.append(
            f"Step by step does NOT equal model(x): largest difference {max_diff:.2e} (tolerance {MATCH_ATOL:g})."
        )
    if config.share_cell:
        notes.append(
            f"Shared cell: one LSTM layer ({lstms[0].name}) is called {n_layers} times, so step 5 lists "
            "one set of weights for all layers — the tutorial's MultiRNNCell([cell]*layer_num)."
        )
    if config.dropout > 0:
        notes.append(
            f"Dropout ({config.dropout:g}) between LSTM layers is only active while training, so the "
            "trace (a prediction) skips it."
        )
    g0 = layer_gates[0]
    notes.append(
        f"Gates of {g0.layer_name} at t={g0.time_index}: manual h matches the layer's output: "
        f"{'yes' if g0.matches_layer else 'NO'} (largest difference {g0.max_abs_diff:.2e})."
    )

    return ShapeTrace(
        steps=steps,
        gates=g0,
        hidden=hidden,
        share_cell=bool(config.share_cell),
        notes=notes,
        matches_model=matches_model,
        max_abs_diff=max_diff,
        layer_gates=layer_gates,
        prediction=prediction_np,
    )
