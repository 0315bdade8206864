"""Walk the tutorial's seven steps through a REAL forward pass and record what each one does.

``trace_shapes(config, batch_size)`` takes the network ``build_network(config)`` makes (or a
trained model), executes the tutorial's ``lstm(X)`` step by step on it (``model.explain.forward``)
and reads every shape from the tensors it gets. It also checks, numerically, that the step-by-step
result equals ``model(x)``, opens up each LSTM layer's cell gate by gate and unrolls the stack in
time with the real weights (``model.explain.cells``), and writes the prose of each step
(``model.explain.narrative``).

Importing this module does not import TensorFlow; ``trace_shapes`` does.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.engine.config import LstmConfig
from model.errors import ConfigError
from model.explain import cells, narrative
from model.explain.cache import network_for
from model.explain.forward import check_model, forward_functions
from model.explain.records import ParamInfo, ShapeTrace

MATCH_ATOL = cells.MATCH_ATOL


def _np(t) -> np.ndarray:
    return np.asarray(t.numpy() if hasattr(t, "numpy") else t)


def _shape(t) -> tuple[int, ...]:
    return tuple(int(d) for d in t.shape)


def _param(name: str, t) -> ParamInfo:
    shape = _shape(t)
    return ParamInfo(name, shape, int(np.prod(shape, dtype=np.int64)))


def input_windows(
    config: LstmConfig, batch_size: int | None = None, x: np.ndarray | None = None
) -> np.ndarray:
    """``x`` checked to be [batch, time_step, input_size], or ``batch_size`` seeded random windows."""
    if x is None:
        if batch_size is None:
            batch_size = config.batch_size
        if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ConfigError(f"batch_size must be a whole number of at least 1, got {batch_size!r}.")
        rng = np.random.default_rng(config.seed)
        return rng.standard_normal((int(batch_size), config.time_step, config.input_size)).astype(np.float32)
    x = np.asarray(x, dtype=np.float32)
    if x.ndim != 3 or x.shape[1:] != (config.time_step, config.input_size) or x.shape[0] < 1:
        raise ConfigError(
            f"x must be [batch, {config.time_step}, {config.input_size}] (windows, time_step, features), "
            f"got {list(x.shape)}."
        )
    return x


@dataclass(frozen=True, eq=False)
class ForwardPass:
    """The tensors of one step-by-step pass (numpy), the layers it used, and ``model(x)``."""

    arrays: dict[str, np.ndarray]
    layer_inputs: list[np.ndarray]
    layer_outputs: list[np.ndarray]
    final_c: list[np.ndarray]
    final_h: list[np.ndarray]
    model_pred: np.ndarray
    lstms: list
    dense_in: object
    dense_out: object


def run_forward(model, config: LstmConfig, x: np.ndarray) -> ForwardPass:
    """Execute the compiled steps once on ``x``."""
    import tensorflow as tf

    fns = forward_functions(model, config)
    r = fns.steps(tf.convert_to_tensor(x))
    arrays = {
        k: _np(r[k])
        for k in ("input", "input_rnn_2d", "input_rnn", "output_rnn", "output", "pred", "prediction")
    }
    arrays["X"] = x
    return ForwardPass(
        arrays=arrays,
        layer_inputs=[_np(t) for t in r["layer_inputs"]],
        layer_outputs=[_np(t) for t in r["layer_outputs"]],
        final_c=[_np(t) for t in r["final_c"]],
        final_h=[_np(t) for t in r["final_h"]],
        model_pred=_np(r["model_pred"]),
        lstms=fns.lstms,
        dense_in=fns.dense_in,
        dense_out=fns.dense_out,
    )


def observed_shapes(fp: ForwardPass, config: LstmConfig) -> narrative.ObservedShapes:
    """Every shape the pass produced, and the weights (one set for a shared cell)."""
    a = fp.arrays
    lstm_params: list[ParamInfo] = []
    for layer in fp.lstms[:1] if config.share_cell else fp.lstms:
        cell = layer.cell
        lstm_params += [
            _param(f"{layer.name}.kernel", cell.kernel),
            _param(f"{layer.name}.recurrent_kernel", cell.recurrent_kernel),
            _param(f"{layer.name}.bias", cell.bias),
        ]
    return narrative.ObservedShapes(
        X=_shape(a["X"]), input=_shape(a["input"]), input_rnn_2d=_shape(a["input_rnn_2d"]),
        input_rnn=_shape(a["input_rnn"]), output_rnn=_shape(a["output_rnn"]),
        final_states=[(_shape(c), _shape(h)) for c, h in zip(fp.final_c, fp.final_h)],
        output=_shape(a["output"]), pred=_shape(a["pred"]), prediction=_shape(a["prediction"]),
        w_in=_param("w_in", fp.dense_in.kernel), b_in=_param("b_in", fp.dense_in.bias),
        lstm_params=lstm_params,
        w_out=_param("w_out", fp.dense_out.kernel), b_out=_param("b_out", fp.dense_out.bias),
    )  # fmt: skip


def compare_with_model(fp: ForwardPass) -> tuple[bool, float]:
    """(step by step == model(x) within MATCH_ATOL, largest difference)."""
    mine, theirs = fp.arrays["prediction"], fp.model_pred
    if mine.shape != theirs.shape:
        return False, float("inf")
    return bool(np.allclose(mine, theirs, atol=MATCH_ATOL)), float(np.max(np.abs(mine - theirs)))


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
    config.validate()
    if model is None:
        model = network_for(config)
    else:
        check_model(model, config)
    x = input_windows(config, batch_size, x)

    fp = run_forward(model, config, x)
    matches_model, max_diff = compare_with_model(fp)
    # Gate-level detail of every depth (cheap: numpy on [batch, u] arrays up to gate_time), and the
    # stack unrolled in time for window 1.
    t_gate = max(0, min(int(gate_time), config.time_step - 1))
    layer_gates = [
        cells.gate_trace(layer, k, fp.layer_inputs[k], fp.layer_outputs[k], t_gate)
        for k, layer in enumerate(fp.lstms)
    ]
    unrolled = cells.unroll(
        fp.lstms, fp.layer_inputs, fp.layer_outputs, fp.final_c, fp.final_h, config.share_cell
    )
    notes = narrative.check_notes(
        config, matches_model, max_diff, layer_gates[0], [layer.name for layer in fp.lstms],
        unrolled.matches_layers, unrolled.max_abs_diff,
    )  # fmt: skip
    return ShapeTrace(
        steps=narrative.step_records(observed_shapes(fp, config), config),
        gates=layer_gates[0],
        hidden=[s[0].copy() for s in fp.layer_outputs],
        share_cell=bool(config.share_cell),
        notes=notes,
        matches_model=matches_model,
        max_abs_diff=max_diff,
        layer_gates=layer_gates,
        prediction=fp.arrays["prediction"],
        unrolled=unrolled,
    )
