"""The tutorial's original TF1 graph, run with our Keras weights, gives our predictions and shapes.

The TF1 graph runs in a subprocess (a few seconds each), so the equivalence cases are batched
into ONE call (module fixture); one more call checks that a wrong weight conversion is caught.
"""

from __future__ import annotations

import re
import shutil

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from model.engine.network import build_network
from model.explain import TUTORIAL_STEP_LINES, tutorial_source
from model.explain.tutorial_graph import (
    EquivalenceResult,
    basic_lstm_to_keras,
    check_equivalence,
    check_equivalence_many,
    keras_to_basic_lstm,
    run_tutorial_graph,
    tutorial_case,
)
from tests.model.factories import make_config, randomise

pytestmark = [pytest.mark.process]  # the TF1 graph runs in a subprocess

CELL_KERNEL = re.compile(r"cell_(\d+)/basic_lstm_cell/kernel")


# (config kwargs, batch) for the batched equivalence run.
CASES = [
    ({}, 80),  # the tutorial's defaults, separate weights per layer
    ({"share_cell": True}, 80),  # the tutorial's own shared cell
    ({"layer_num": 1, "rnn_unit": 7, "time_step": 5, "input_size": 3}, 4),
    ({"layer_num": 1, "share_cell": True, "rnn_unit": 3, "time_step": 2, "input_size": 1}, 1),
    ({"layer_num": 3, "rnn_unit": 5, "time_step": 9, "input_size": 7}, 6),
    (
        {
            "layer_num": 3,
            "share_cell": True,
            "rnn_unit": 16,
            "time_step": 12,
            "input_size": 8,
            "dropout": 0.3,
        },
        3,
    ),
]


@pytest.fixture(scope="module")
def equivalence():
    items = []
    for i, (kw, batch) in enumerate(CASES):
        config = make_config(**kw)
        model = randomise(build_network(config), seed=i)
        x = np.random.default_rng(100 + i).normal(size=(batch, config.time_step, config.input_size))
        items.append((model, config, x.astype("float32")))
    return items, check_equivalence_many(items)


def formula_shapes(b, T, d, u, L):
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


def test_tutorial_graph_gives_our_predictions(equivalence):
    items, results = equivalence
    assert len(results) == len(items)
    for (model, config, x), r in zip(items, results):
        assert isinstance(r, EquivalenceResult)
        assert r.error is None, r.error
        assert r.ok, (config, r.max_abs_diff, r.mismatches)
        assert r.max_abs_diff < 1e-5
        # Independently of the result's own numbers: the TF1 prediction is model(x).
        np.testing.assert_allclose(r.tutorial_pred, np.asarray(model(x)), atol=1e-5)
        assert r.tutorial_pred.shape == (x.shape[0], config.time_step, 1)
        assert np.abs(r.keras_pred).max() > 1e-3  # a real signal, not all zeros
        assert r.seconds > 0


def test_tutorial_graph_shapes_are_the_formulas_and_the_trace(equivalence):
    items, results = equivalence
    for (_model, config, x), r in zip(items, results):
        expected = formula_shapes(
            x.shape[0], config.time_step, config.input_size, config.rnn_unit, config.layer_num
        )
        assert r.step_shapes == expected
        assert r.trace_shapes == expected
        assert r.shapes_match and not r.mismatches


def test_shared_cell_is_one_set_of_variables_in_the_tutorial_graph(equivalence):
    items, results = equivalence
    for (_model, config, _x), r in zip(items, results):
        cells = sorted({int(m.group(1)) for name in r.variables for m in [CELL_KERNEL.search(name)] if m})
        assert cells == ([0] if config.share_cell else list(range(config.layer_num)))
        u = config.rnn_unit
        kernels = [shape for name, shape in r.variables.items() if CELL_KERNEL.search(name)]
        assert all(shape == (u + u, 4 * u) for shape in kernels)  # one [in + u, 4u] matrix


def test_a_wrong_conversion_is_caught():
    """Without subtracting BasicLSTMCell's forget_bias, or with Keras' gate order, the graph differs."""
    config = make_config(rnn_unit=6, layer_num=2, time_step=6, input_size=2)
    model = randomise(build_network(config), seed=7)
    x = np.random.default_rng(8).normal(size=(5, 6, 2)).astype("float32")
    good = tutorial_case(model, config, x)
    no_shift = tutorial_case(model, config, x, forget_bias=0.0)
    wrong_order = tutorial_case(model, config, x)
    wrong_order.cells[0] = (
        np.concatenate(
            [
                model.get_layer("lstm_1").cell.kernel.numpy(),
                model.get_layer("lstm_1").cell.recurrent_kernel.numpy(),
            ],
            axis=0,
        ),
        model.get_layer("lstm_1").cell.bias.numpy(),
    )
    too_few_cells = tutorial_case(model, config, x)
    too_few_cells.cells.pop()
    runs = run_tutorial_graph([good, no_shift, wrong_order, too_few_cells])
    keras_pred = np.asarray(model(x)).reshape(-1, 1)
    assert runs[0].error is None
    np.testing.assert_allclose(runs[0].pred, keras_pred, atol=1e-5)
    for run in runs[1:3]:
        assert run.error is None
        assert np.max(np.abs(run.pred - keras_pred)) > 1e-3
    assert runs[3].pred is None and "expected 1 set" in runs[3].error


def test_a_failing_subprocess_is_reported_not_raised():
    config = make_config(rnn_unit=2, layer_num=1, time_step=3, input_size=1)
    model = build_network(config)
    x = np.zeros((2, 3, 1), "float32")
    r = check_equivalence(model, config, x, python="/nonexistent/bin/python")
    assert not r.ok and "/nonexistent/bin/python" in r.error
    r = check_equivalence(model, config, x, timeout=0.05)
    assert not r.ok and "did not finish" in r.error
    # A process that starts but fails (here: `false` instead of Python) is reported as well.
    false = shutil.which("false")
    if false:
        r = check_equivalence(model, config, x, python=false)
        assert not r.ok and "exit code 1" in r.error
    # Bad input never reaches the subprocess, and is reported too.
    r = check_equivalence(model, config, np.zeros((2, 4, 1), "float32"))
    assert not r.ok and "x must be" in r.error


# ---- weight conversion in numpy (no subprocess) -------------------------------------------


def sigmoid(v):
    return 1.0 / (1.0 + np.exp(-v))


def keras_step(x, h, c, kernel, recurrent, bias):
    z = x @ kernel + h @ recurrent + bias
    i, f, g, o = np.split(z, 4, axis=1)
    c = sigmoid(f) * c + sigmoid(i) * np.tanh(g)
    return sigmoid(o) * np.tanh(c), c


def basic_lstm_step(x, h, c, kernel, bias, forget_bias=1.0):
    """BasicLSTMCell.call, transcribed: i, j, f, o and forget_bias added at run time."""
    z = np.concatenate([x, h], axis=1) @ kernel + bias
    i, j, f, o = np.split(z, 4, axis=1)
    c = c * sigmoid(f + forget_bias) + sigmoid(i) * np.tanh(j)
    return np.tanh(c) * sigmoid(o), c


@settings(max_examples=25, deadline=None)
@given(n_in=st.integers(1, 8), u=st.integers(1, 12), batch=st.integers(1, 5), seed=st.integers(0, 2**31))
def test_converted_weights_give_the_same_cell_step(n_in, u, batch, seed):
    rng = np.random.default_rng(seed)
    kernel = rng.normal(size=(n_in, 4 * u)).astype("float32")
    recurrent = rng.normal(size=(u, 4 * u)).astype("float32")
    bias = rng.normal(size=(4 * u,)).astype("float32")
    x, h, c = rng.normal(size=(batch, n_in)), rng.normal(size=(batch, u)), rng.normal(size=(batch, u))
    basic_kernel, basic_bias = keras_to_basic_lstm(kernel, recurrent, bias)
    assert basic_kernel.shape == (n_in + u, 4 * u) and basic_bias.shape == (4 * u,)
    h1, c1 = keras_step(x, h, c, kernel.astype(float), recurrent.astype(float), bias.astype(float))
    h2, c2 = basic_lstm_step(x, h, c, basic_kernel.astype(float), basic_bias.astype(float))
    np.testing.assert_allclose(h2, h1, atol=1e-5)
    np.testing.assert_allclose(c2, c1, atol=1e-5)
    back = basic_lstm_to_keras(basic_kernel, basic_bias, n_in)
    for a, b in zip(back, (kernel, recurrent, bias)):
        np.testing.assert_allclose(a, b, atol=1e-6)


def test_the_worker_reads_each_step_after_its_last_tutorial_line():
    """The step lines point at the statements that create the step's tensors."""
    for share in (False, True):
        lines = tutorial_source(make_config(share_cell=share)).splitlines()
        last = {step: lines[max(nums) - 1] for step, nums in TUTORIAL_STEP_LINES.items()}
        assert last[2].strip().startswith("input=tf.reshape(X")
        assert last[3].strip().startswith("input_rnn=tf.matmul(")
        assert last[4].strip().startswith("input_rnn=tf.reshape(")
        assert last[5].strip().startswith("output_rnn,final_states=tf.nn.dynamic_rnn(")
        assert last[6].strip().startswith("pred=tf.matmul(")
        assert last[7].strip() == "return pred,final_states"
