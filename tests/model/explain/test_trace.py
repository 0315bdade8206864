"""The shape walkthrough: every traced shape against the tutorial's formulas (computed here),
the step-by-step pass against model(x) and against an independent numpy forward pass, the gate
trace against a numpy LSTM cell, and the code shown for each step against the real sources."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from model.engine.config import LstmConfig
from model.engine.network import build_network, lstm_layers
from model.errors import ConfigError
from model.explain import (
    KERAS_STEP_LINES,
    TUTORIAL_STEP_LINES,
    ShapeTrace,
    keras_source,
    network_for,
    trace_shapes,
    tutorial_source,
)
from tests.model.factories import make_config

REPO = Path(__file__).resolve().parents[3]


# ---- independent reference implementation (numpy, float64) ---------------------------------


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def numpy_lstm(x, kernel, recurrent, bias):
    """Keras-order (i, f, c, o) LSTM over a [batch, T, in] sequence; returns h at every step, c_T."""
    b, T, _ = x.shape
    u = recurrent.shape[0]
    h, c = np.zeros((b, u)), np.zeros((b, u))
    hs = []
    for t in range(T):
        z = x[:, t] @ kernel + h @ recurrent + bias
        i, f, g, o = (
            sigmoid(z[:, :u]),
            sigmoid(z[:, u : 2 * u]),
            np.tanh(z[:, 2 * u : 3 * u]),
            sigmoid(z[:, 3 * u :]),
        )
        c = f * c + i * g
        h = o * np.tanh(c)
        hs.append(h)
    return np.stack(hs, axis=1), c


def numpy_network(model, config, x):
    """The whole network in numpy from the model's weights: per-layer h sequences and prediction."""
    w = lambda name: [np.asarray(v, dtype=np.float64) for v in model.get_layer(name).get_weights()]  # noqa: E731
    w_in, b_in = w("input_projection")
    seq = np.asarray(x, np.float64) @ w_in + b_in
    per_layer = []
    for layer in lstm_layers(model, config):
        kernel, recurrent, bias = [np.asarray(v, np.float64) for v in layer.get_weights()]
        seq, c_last = numpy_lstm(seq, kernel, recurrent, bias)
        per_layer.append((seq, c_last))
    w_out, b_out = w("output_projection")
    return per_layer, seq @ w_out + b_out


def expected_shapes(b, T, d, u, L) -> dict[str, tuple[int, ...]]:
    """The tutorial's formulas for every step output."""
    shapes = {
        "1:X": (b, T, d),
        "2:input": (b * T, d),
        "3:input_rnn": (b * T, u),
        "4:input_rnn": (b, T, u),
        "5:output_rnn": (b, T, u),
        "6:output": (b * T, u),
        "6:pred": (b * T, 1),
        "7:prediction": (b, T, 1),
    }
    for k in range(L):
        shapes[f"5:final_states[{k}].c"] = (b, u)
        shapes[f"5:final_states[{k}].h"] = (b, u)
    return shapes


# ---- property test ---------------------------------------------------------------------------


# Each example builds and compiles a network (~1 s), so shrinking a failure would take minutes:
# report the first failing example as found.
@settings(
    max_examples=15,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
)
@given(
    batch=st.integers(1, 8),
    time_step=st.integers(2, 12),
    input_size=st.integers(1, 8),
    rnn_unit=st.integers(1, 16),
    layer_num=st.integers(1, 4),
    share_cell=st.booleans(),
)
@pytest.mark.slow  # traces many networks
def test_every_traced_shape_is_the_tutorials_formula(
    batch, time_step, input_size, rnn_unit, layer_num, share_cell
):
    b, T, d, u, L = batch, time_step, input_size, rnn_unit, layer_num
    config = make_config(u, L, T, d, share_cell)
    x = np.random.default_rng(b * 1000 + T).standard_normal((b, T, d)).astype(np.float32)
    trace = trace_shapes(config, x=x)

    assert [s.number for s in trace.steps] == [1, 2, 3, 4, 5, 6, 7]
    assert trace.shape_map() == expected_shapes(b, T, d, u, L)
    # Each step's input is one of the previous step's outputs.
    for prev, step in zip(trace.steps, trace.steps[1:]):
        assert [t.name for t in step.inputs] == [
            t.name for t in prev.outputs if t.name == step.inputs[0].name
        ]
        assert step.inputs[0].shape == next(t.shape for t in prev.outputs if t.name == step.inputs[0].name)

    # Parameters: formulas here, observed shapes in the trace, and Keras' own total.
    params = {p.name: (p.shape, p.count) for s in trace.steps for p in s.params}
    assert params["w_in"] == ((d, u), d * u) and params["b_in"] == ((u,), u)
    assert params["w_out"] == ((u, 1), u) and params["b_out"] == ((1,), 1)
    lstm_names = ["shared_lstm"] if share_cell else [f"lstm_{k + 1}" for k in range(L)]
    for name in lstm_names:
        assert params[f"{name}.kernel"] == ((u, 4 * u), 4 * u * u)
        assert params[f"{name}.recurrent_kernel"] == ((u, 4 * u), 4 * u * u)
        assert params[f"{name}.bias"] == ((4 * u,), 4 * u)
    assert len(trace.step(5).params) == 3 * len(lstm_names)
    model = network_for(config)
    assert sum(row["param_count"] for row in trace.as_table()) == model.count_params()

    # Step by step == model(x) (the trace says so, and the test checks it independently).
    assert trace.matches_model and trace.max_abs_diff <= 1e-5
    np.testing.assert_allclose(trace.prediction, np.asarray(model(x)), atol=1e-5)
    per_layer, numpy_pred = numpy_network(model, config, x)
    np.testing.assert_allclose(trace.prediction, numpy_pred, atol=1e-4)

    # Heatmap data: the h sequence of each layer, batch element 0.
    assert len(trace.hidden) == L
    for k, h in enumerate(trace.hidden):
        assert h.shape == (T, u)
        np.testing.assert_allclose(h, per_layer[k][0][0], atol=1e-4)

    # Gate level: shapes by formula and the manual h equal to the layer's.
    g = trace.gates
    t = g.time_index
    assert t == min(1, T - 1)
    assert g.concat == (b, u + u)  # the LSTM's input is the projection, so in = rnn_unit
    assert g.kernel == (u + u, 4 * u)
    assert g.keras_kernel == (u, 4 * u) and g.keras_recurrent_kernel == (u, 4 * u) and g.bias == (4 * u,)
    assert g.z == (b, 4 * u)
    assert g.gates == {"i": (b, u), "f": (b, u), "g": (b, u), "o": (b, u)}
    assert g.c_t == (b, u) and g.h_t == (b, u) and g.h_prev == (b, u) and g.x_t == (b, u)
    assert g.param_count == 4 * (u * u + u * u + u)
    assert g.param_formula.endswith(f"= {4 * (u * u + u * u + u):,}")
    assert g.matches_layer
    np.testing.assert_allclose(g.values["h_t"], per_layer[0][0][0, t], atol=1e-4)
    assert len(trace.layer_gates) == L and all(lg.matches_layer for lg in trace.layer_gates)
    assert trace.layer_gates[0] is g


# ---- specific behaviour ----------------------------------------------------------------------


def test_default_trace_explanations_use_the_observed_numbers():
    trace = trace_shapes(LstmConfig(), batch_size=80)
    assert trace.step(1).explanation == "X is [80, 20, 6]: 80 windows of 20 days with 6 features each."
    assert "[1600, 6]" in trace.step(2).explanation
    assert "w_in [6, 10]" in trace.step(3).explanation and "[1600, 10]" in trace.step(3).explanation
    assert "[80, 20, 10]" in trace.step(4).explanation
    assert "2 (c, h) pairs, each [80, 10]" in trace.step(5).explanation
    assert "[1600, 1]" in trace.step(6).explanation
    assert "[80, 20, 1]" in trace.step(7).explanation
    assert trace.gates.param_formula == (
        "4*(in*rnn_unit + rnn_unit*rnn_unit + rnn_unit) = 4*(10*10 + 10*10 + 10) = 840"
    )
    table = trace.as_table()
    assert [row["step"] for row in table] == list(range(1, 8))
    assert table[2]["params"] == "w_in [6, 10] (60); b_in [10] (10)"
    assert table[0]["outputs"] == "X [80, 20, 6]"


def test_share_cell_lists_one_set_of_weights_and_says_so():
    config = make_config(layer_num=3, share_cell=True)
    trace = trace_shapes(config, batch_size=4)
    assert trace.share_cell
    assert [p.name for p in trace.step(5).params] == [
        "shared_lstm.kernel",
        "shared_lstm.recurrent_kernel",
        "shared_lstm.bias",
    ]
    assert "ONE set of LSTM weights" in trace.step(5).explanation
    assert any("Shared cell" in n for n in trace.notes)
    # Three depths, one layer object: every depth's gate trace uses the same layer.
    assert {g.layer_name for g in trace.layer_gates} == {"shared_lstm"}


def test_trained_model_and_real_windows_are_traced_as_given():
    config = make_config(rnn_unit=5, layer_num=2, time_step=6, input_size=3)
    model = build_network(config)
    rng = np.random.default_rng(3)
    for layer in model.layers:  # "train": overwrite every weight
        if layer.weights:
            layer.set_weights([rng.normal(size=w.shape).astype("float32") for w in layer.get_weights()])
    x = rng.normal(size=(7, 6, 3)).astype("float32")
    trace = trace_shapes(config, model=model, x=x)
    assert trace.step(1).outputs[0].shape == (7, 6, 3)
    np.testing.assert_allclose(trace.prediction, np.asarray(model(x)), atol=1e-5)
    _, numpy_pred = numpy_network(model, config, x)
    np.testing.assert_allclose(trace.prediction, numpy_pred, atol=1e-4)
    # Weights changed after the first trace are picked up by the next one.
    model.get_layer("output_projection").set_weights([np.ones((5, 1), "float32"), np.zeros(1, "float32")])
    again = trace_shapes(config, model=model, x=x)
    np.testing.assert_allclose(again.prediction, np.asarray(model(x)), atol=1e-5)
    assert not np.allclose(again.prediction, trace.prediction)


def test_gate_time_zero_starts_from_zero_state():
    trace = trace_shapes(make_config(rnn_unit=4, time_step=3), batch_size=2, gate_time=0)
    g = trace.gates
    assert g.time_index == 0 and g.matches_layer
    # c_0 = i * g when c_(-1) = 0, h_0 = o * tanh(c_0)
    np.testing.assert_allclose(g.values["c_t"], g.values["i"] * g.values["g"], atol=1e-6)
    np.testing.assert_allclose(g.values["h_t"], g.values["o"] * np.tanh(g.values["c_t"]), atol=1e-6)


def test_dropout_network_is_traced_at_prediction_time():
    config = make_config(rnn_unit=6, layer_num=3, time_step=5, input_size=2, dropout=0.5)
    trace = trace_shapes(config, batch_size=3)
    assert trace.matches_model
    assert any("Dropout" in n for n in trace.notes)


def test_wrong_inputs_are_refused_in_words():
    config = make_config(rnn_unit=4, time_step=5, input_size=2)
    with pytest.raises(ConfigError, match="x must be"):
        trace_shapes(config, x=np.zeros((2, 4, 2), "float32"))
    with pytest.raises(ConfigError, match="batch_size"):
        trace_shapes(config, batch_size=0)
    other = build_network(make_config(rnn_unit=4, time_step=6, input_size=2))
    with pytest.raises(ConfigError, match="expects windows"):
        trace_shapes(config, batch_size=2, model=other)


def test_networks_are_cached_by_architecture_only():
    config = make_config(rnn_unit=3, layer_num=1, time_step=4, input_size=2)
    assert network_for(config) is network_for(config.replace(epochs=7, learning_rate=0.01, batch_size=9))
    assert network_for(config) is not network_for(config.replace(rnn_unit=4))
    assert network_for(config) is not network_for(config.replace(share_cell=True))


def test_a_warm_trace_reuses_its_network_and_compiled_steps_whatever_the_batch():
    # What makes a redraw quick (``make bench``: shape trace): no new network, no new compile.
    from model.explain.forward import forward_functions

    config = LstmConfig()
    trace_shapes(config, batch_size=80)  # build + compile once
    model = network_for(config)
    functions = forward_functions(model, config)
    compiled = functions.steps.experimental_get_tracing_count()
    for batch in (80, 64, 3):
        result = trace_shapes(config, batch_size=batch)
        assert isinstance(result, ShapeTrace) and result.matches_model
        assert result.prediction.shape[0] == batch
    assert network_for(config) is model and forward_functions(model, config) is functions
    assert functions.steps.experimental_get_tracing_count() == compiled == 1


@pytest.mark.process
def test_importing_the_modules_does_not_import_tensorflow():
    code = (
        "import sys, pkgutil, importlib, model.explain\n"
        "for m in pkgutil.iter_modules(model.explain.__path__): importlib.import_module('model.explain.' + m.name)\n"
        "bad = [m for m in ('tensorflow', 'keras', 'streamlit') if m in sys.modules]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True, timeout=60)


# ---- shown code against the real sources -----------------------------------------------------


@pytest.mark.parametrize("share_cell", [False, True])
def test_step_code_is_the_highlighted_source_lines(share_cell):
    config = make_config(share_cell=share_cell)
    trace = trace_shapes(config, batch_size=2)
    t_lines = tutorial_source(config).splitlines()
    k_lines = keras_source(config).splitlines()
    for step in trace.steps:
        assert step.tutorial_code.splitlines() == [
            t_lines[n - 1].removeprefix("    ") for n in TUTORIAL_STEP_LINES[step.number]
        ]
        assert step.keras_code.splitlines() == [
            k_lines[n - 1].removeprefix("    ") for n in KERAS_STEP_LINES[step.number]
        ]
    # The lines carry what the step says.
    assert "tf.reshape(X,[-1,input_size])" in trace.step(2).tutorial_code
    assert "tf.matmul(input,w_in)+b_in" in trace.step(3).tutorial_code
    assert "tf.reshape(input_rnn,[-1,time_step,rnn_unit])" in trace.step(4).tutorial_code
    assert "dynamic_rnn" in trace.step(5).tutorial_code and "MultiRNNCell" in trace.step(5).tutorial_code
    assert ("[cell for _ in range(layer_num)]" in trace.step(5).tutorial_code) == share_cell
    assert "tf.matmul(output,w_out)+b_out" in trace.step(6).tutorial_code
    assert "return pred,final_states" in trace.step(7).tutorial_code
    assert 'layers.Dense(rnn_unit, name="input_projection")' in trace.step(3).keras_code
    assert "layers.LSTM(rnn_unit, return_sequences=True, return_state=True" in trace.step(5).keras_code
    assert 'layers.Dense(1, name="output_projection")' in trace.step(6).keras_code
    # Both variants have the same line numbers.
    assert len(t_lines) == len(tutorial_source(config.replace(share_cell=not share_cell)).splitlines())
    assert len(k_lines) == len(keras_source(config.replace(share_cell=not share_cell)).splitlines())


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"share_cell": True, "layer_num": 3},
        {"layer_num": 3, "dropout": 0.2},
        {"rnn_unit": 4, "input_size": 2},
    ],
)
def test_keras_source_builds_the_same_network_as_build_network(kwargs):
    import keras
    from keras import layers

    config = make_config(**kwargs)
    namespace = {"keras": keras, "layers": layers}
    exec(keras_source(config), namespace)
    shown = namespace["build_network"]()
    real = build_network(config)
    assert [layer.name for layer in shown.layers] == [layer.name for layer in real.layers]
    assert [tuple(w.shape) for w in shown.weights] == [tuple(w.shape) for w in real.weights]
    assert shown.count_params() == real.count_params()
    # The constants in the shown source are the ones network.py uses.
    source = (REPO / "model" / "engine" / "network.py").read_text()
    for name in re.findall(r'name="([a-z_]+)"', keras_source(config)):
        if name != "x":
            assert f'"{name}"' in source


def test_a_model_built_for_other_layer_settings_is_refused():
    config = make_config(rnn_unit=4, layer_num=2, time_step=5, input_size=2)
    with pytest.raises(ConfigError, match="layers do not match"):
        trace_shapes(config, batch_size=2, model=build_network(config.replace(share_cell=True)))
    with pytest.raises(ConfigError, match="layers do not match"):
        trace_shapes(config, batch_size=2, model=build_network(config.replace(layer_num=3)))
    shared = config.replace(share_cell=True)
    with pytest.raises(ConfigError, match="layers do not match"):
        trace_shapes(shared, batch_size=2, model=build_network(shared.replace(layer_num=3)))
