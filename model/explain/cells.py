"""The LSTM cell run by hand (numpy, float64) with a layer's own weights: the gates of one step,
and the whole window unrolled in time. Each result says whether it equals the layer's own output.

Works with any layer that subclasses ``keras.layers.LSTM`` and keeps its weights on ``layer.cell``
(``kernel`` [in, 4u], ``recurrent_kernel`` [u, 4u], ``bias`` [4u], Keras' gate order i, f, c, o).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from model.explain.records import GateTrace, ParamFormula, UnrolledLayer, UnrolledTrace

MATCH_ATOL = 1e-5  # tolerance of every "by hand == the layer" check


def _sigmoid(v: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-v))


def cell_weights(layer) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(kernel [in, 4u], recurrent_kernel [u, 4u], bias [4u]) of an LSTM layer's cell, float64."""
    cell = layer.cell
    return tuple(
        np.asarray(w.numpy() if hasattr(w, "numpy") else w, dtype=np.float64)
        for w in (cell.kernel, cell.recurrent_kernel, cell.bias)
    )  # type: ignore[return-value]


def cell_step(
    x_t: np.ndarray, h: np.ndarray, c: np.ndarray, kernel: np.ndarray, b: np.ndarray
) -> dict[str, np.ndarray]:
    """One step of the cell with the tutorial's single kernel [in + u, 4u]: every intermediate."""
    concat = np.concatenate([x_t, h], axis=1)  # [x_t, h_(t-1)]
    z = concat @ kernel + b
    zi, zf, zg, zo = np.split(z, 4, axis=1)  # Keras order: i, f, c~, o
    i, f, g, o = _sigmoid(zi), _sigmoid(zf), np.tanh(zg), _sigmoid(zo)
    c_new = f * c + i * g
    h_new = o * np.tanh(c_new)
    return dict(x_t=x_t, h_prev=h, c_prev=c, concat=concat, z=z, i=i, f=f, g=g, o=o, c_t=c_new, h_t=h_new)


def param_formula(n_in: int, u: int) -> ParamFormula:
    count = 4 * (n_in * u + u * u + u)
    return ParamFormula(
        "4*(in*rnn_unit + rnn_unit*rnn_unit + rnn_unit)", f"4*({n_in}*{u} + {u}*{u} + {u})", count
    )


def gate_trace(
    layer, layer_index: int, seq_in: np.ndarray, seq_out: np.ndarray, time_index: int
) -> GateTrace:
    """Run one LSTM layer's cell by hand from t=0 to ``time_index`` on the whole batch."""
    seq_in, seq_out = seq_in[:, : time_index + 1], seq_out[:, : time_index + 1]
    W, U, b = cell_weights(layer)
    kernel = np.concatenate([W, U], axis=0)  # the tutorial's single [in + u, 4u] matrix
    x = np.asarray(seq_in, dtype=np.float64)
    batch, u = x.shape[0], U.shape[0]
    h, c = np.zeros((batch, u)), np.zeros((batch, u))
    max_diff = 0.0
    record: dict[str, Any] = {}
    for t in range(time_index + 1):
        record = cell_step(x[:, t, :], h, c, kernel, b)
        h, c = record["h_t"], record["c_t"]
        max_diff = max(max_diff, float(np.max(np.abs(h - seq_out[:, t, :]))) if h.size else 0.0)
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
        formula=param_formula(W.shape[0], u),
        matches_layer=bool(max_diff <= MATCH_ATOL),
        max_abs_diff=max_diff,
        values={k: record[k][0].astype(np.float32) for k in ("i", "f", "g", "o", "c_t", "h_t")}
        if batch
        else {},
    )


def unroll_layer(
    layer, depth: int, x: np.ndarray, h_seq: np.ndarray, h_final: np.ndarray, c_final: np.ndarray
) -> UnrolledLayer:
    """Run ``layer``'s cell over every step of ONE window ``x`` [time_step, in] by hand, and compare
    with the layer's own outputs for that window: ``h_seq`` [time_step, u] (return_sequences) and
    the final ``h_final``, ``c_final`` [u] (return_state)."""
    W, U, b = cell_weights(layer)
    u = U.shape[0]
    # The same step as cell_step ([x_t, h] @ [W; U] + b), with x @ W done for every t at once:
    # one window is a few hundred tiny steps, where Python overhead, not arithmetic, is the cost.
    xw = np.asarray(x, dtype=np.float64) @ W + b  # [time_step, 4u]
    h, c = np.zeros(u), np.zeros(u)
    h_all, c_all = np.empty((xw.shape[0], u)), np.empty((xw.shape[0], u))
    for t in range(xw.shape[0]):
        z = xw[t] + h @ U
        i, f, o = _sigmoid(z[:u]), _sigmoid(z[u : 2 * u]), _sigmoid(z[3 * u :])
        c = f * c + i * np.tanh(z[2 * u : 3 * u])
        h = o * np.tanh(c)
        h_all[t], c_all[t] = h, c
    gaps = [np.abs(h_all - np.asarray(h_seq, dtype=np.float64)).max(initial=0.0),
            np.abs(h_all[-1] - np.asarray(h_final, dtype=np.float64)).max(initial=0.0),
            np.abs(c_all[-1] - np.asarray(c_final, dtype=np.float64)).max(initial=0.0)]  # fmt: skip
    max_diff = float(max(gaps))
    return UnrolledLayer(
        layer_name=layer.name, depth=depth, h=h_all.astype(np.float32), c=c_all.astype(np.float32),
        max_abs_diff=max_diff, matches_layer=bool(max_diff <= MATCH_ATOL),
    )  # fmt: skip


def unroll(
    layers: list,
    layer_inputs: list[np.ndarray],
    layer_outputs: list[np.ndarray],
    final_c: list[np.ndarray],
    final_h: list[np.ndarray],
    share_cell: bool,
    window: int = 0,
) -> UnrolledTrace:
    """Every layer of the stack unrolled over the steps of window ``window``.

    The arguments are what the forward pass produced per depth: each layer's input and output
    sequence [batch, time_step, ...] and its final c and h [batch, u].
    """
    unrolled = [
        unroll_layer(layer, k, layer_inputs[k][window], layer_outputs[k][window], final_h[k][window],
                     final_c[k][window])
        for k, layer in enumerate(layers)
    ]  # fmt: skip
    out = layer_outputs[-1]
    return UnrolledTrace(
        layers=unrolled,
        x_t_shape=(int(layer_inputs[0].shape[0]), int(layer_inputs[0].shape[2])),
        step_shape=(int(out.shape[0]), int(out.shape[2])),
        output_rnn_shape=tuple(int(d) for d in out.shape),
        final_state_shapes=[
            (tuple(int(d) for d in c.shape), tuple(int(d) for d in h.shape)) for c, h in zip(final_c, final_h)
        ],  # fmt: skip
        share_cell=bool(share_cell),
    )
