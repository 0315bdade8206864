"""The LSTM unrolled in time: h_t and c_t by hand, step by step, against the Keras layer's own
outputs (return_sequences for every h, return_state for the last (h, c)); and the step tags."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.network import build_network, lstm_layers
from model.explain import Step, trace_shapes, tutorial_source
from model.explain.cells import unroll_layer
from model.explain.sources import (
    KERAS_STEP_LINES,
    TUTORIAL_STEP_LINES,
    keras_step_lines,
    tutorial_step_lines,
)
from tests.model.factories import make_config, randomise


def test_unrolled_cell_equals_the_keras_layer_outputs():
    from keras import layers

    layer = layers.LSTM(5, return_sequences=True, return_state=True)
    x = np.random.default_rng(0).normal(size=(3, 7, 4)).astype("float32")
    layer(x)  # builds the weights
    rng = np.random.default_rng(1)
    layer.set_weights([rng.normal(scale=0.5, size=w.shape).astype("float32") for w in layer.get_weights()])
    seq, h_last, c_last = (np.asarray(t) for t in layer(x))
    for window in range(3):
        u = unroll_layer(layer, 0, x[window], seq[window], h_last[window], c_last[window])
        assert u.h.shape == (7, 5) and u.c.shape == (7, 5)
        np.testing.assert_allclose(u.h, seq[window], atol=1e-5)  # every h_t (return_sequences)
        np.testing.assert_allclose(u.h[-1], h_last[window], atol=1e-5)  # return_state h
        np.testing.assert_allclose(u.c[-1], c_last[window], atol=1e-5)  # return_state c
        assert u.matches_layer and u.max_abs_diff < 1e-5
    # A wrong "layer output" is caught: the check can fail.
    bad = unroll_layer(layer, 0, x[0], seq[0] + 0.01, h_last[0], c_last[0])
    assert not bad.matches_layer and bad.max_abs_diff > 5e-3


@pytest.mark.parametrize("share_cell", [False, True])
def test_trace_unrolls_every_layer_of_window_1(share_cell):
    config = make_config(rnn_unit=4, layer_num=3, time_step=6, input_size=2, share_cell=share_cell)
    model = randomise(build_network(config), seed=3)
    x = np.random.default_rng(4).normal(size=(5, 6, 2)).astype("float32")
    un = trace_shapes(config, model=model, x=x).unrolled
    assert un.time_step == 6 and len(un.layers) == 3 and un.matches_layers
    # Independently: each Keras layer run on the previous layer's output sequence.
    seq = np.asarray(model.get_layer("input_projection")(x))
    for k, layer in enumerate(lstm_layers(model, config)):
        seq, h_last, c_last = (np.asarray(t) for t in layer(seq))
        np.testing.assert_allclose(un.layers[k].h, seq[0], atol=1e-5)
        np.testing.assert_allclose(un.layers[k].c[-1], c_last[0], atol=1e-5)
    assert un.step_shape == (5, 4) and un.x_t_shape == (5, 4)
    assert un.output_rnn_shape == (5, 6, 4)
    assert un.final_state_shapes == [((5, 4), (5, 4))] * 3
    # Which tutorial tensor holds what: output_rnn is every h of the last layer; final_states the last step.
    assert un.holders(2, 0) == {"h": ["output_rnn[:, 0, :]"], "c": []}
    assert un.holders(0, 0) == {"h": [], "c": []}
    assert un.holders(1, 5) == {"h": ["final_states[1].h"], "c": ["final_states[1].c"]}
    assert un.holders(2, 5) == {"h": ["output_rnn[:, 5, :]", "final_states[2].h"], "c": ["final_states[2].c"]}


def test_line_maps_come_from_the_step_tags_of_both_variants():
    for share in (False, True):
        config = make_config(share_cell=share)
        assert tutorial_step_lines(config) == TUTORIAL_STEP_LINES
        assert keras_step_lines(config) == KERAS_STEP_LINES
    assert set(TUTORIAL_STEP_LINES) == set(Step) == set(KERAS_STEP_LINES)
    lines = tutorial_source(make_config()).splitlines()
    assert lines[TUTORIAL_STEP_LINES[Step.INPUT][0] - 1] == "def lstm(X):"
    # Every line of lstm(X) belongs to exactly one step.
    tagged = sorted(n for numbers in TUTORIAL_STEP_LINES.values() for n in numbers)
    assert tagged == list(range(TUTORIAL_STEP_LINES[Step.INPUT][0], len(lines) + 1))
