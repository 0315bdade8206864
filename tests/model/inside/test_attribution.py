"""Integrated gradients satisfy completeness on every path the LSTM runs (native, BlockLSTM, Keras),
and the hidden states and what-if predictions come from the model as it runs."""

from __future__ import annotations

import numpy as np
import pytest

from model.engine.network import build_network
from model.engine.training import set_fused
from model.inside.attribution import attribution_view, integrated_gradients, last_step_predictions
from model.inside.units import hidden_states
from tests.model.factories import make_config, randomise

PATHS = {"native": (True, "native"), "block": (True, "block"), "keras": (False, None)}


@pytest.fixture(scope="module")
def network():
    config = make_config(rnn_unit=8, layer_num=2, time_step=12, input_size=3, seed=3)
    model = randomise(build_network(config), seed=5)
    rng = np.random.default_rng(0)
    x = rng.normal(0, 1, (40, config.time_step, config.input_size)).astype(np.float32)
    return config, model, x


@pytest.mark.parametrize("path", list(PATHS))
def test_attributions_sum_to_the_change_of_the_prediction_within_two_percent(network, path):
    from model import native

    config, model, x = network
    if path == "native" and not native.available():
        pytest.skip("the native kernel is not built on this machine")
    on, kernel = PATHS[path]
    set_fused(model, on, kernel)
    try:
        record = integrated_gradients(model, x, steps=32, scale=2.5)
    finally:
        set_fused(model, True, None)
    delta = record.prediction - record.baseline_prediction
    assert record.attributions.shape == x.shape
    big = np.abs(delta) > 0.05 * np.abs(delta).max()  # a relative gap is meaningless when f(x) ~ f(baseline)
    assert big.sum() >= 20
    assert record.completeness_gap[big].max() < 0.02
    assert abs(record.attributions.sum() - delta.sum()) < 0.02 * np.abs(delta).sum()
    # in price units: scale multiplies the normalised outputs
    assert np.allclose(record.prediction, 2.5 * last_step_predictions(model, x), atol=1e-4)


def test_the_paths_agree_on_the_attributions(network):
    config, model, x = network
    set_fused(model, True, "block")
    block = integrated_gradients(model, x[:5], steps=16).attributions
    set_fused(model, False)
    keras_loop = integrated_gradients(model, x[:5], steps=16).attributions
    set_fused(model, True, None)
    assert np.allclose(block, keras_loop, atol=1e-4)


def test_the_view_says_how_much_comes_from_the_last_day(network):
    config, model, x = network
    record = integrated_gradients(model, x, steps=32)
    view = attribution_view(record, 3, ("a", "b", "c"))
    assert view.day.shape == (config.time_step, config.input_size)
    expected = np.abs(record.attributions).mean(axis=0)
    assert np.isclose(view.average_last_share, expected[-1].sum() / expected.sum())
    assert f"{view.average_last_share:.0%} of what moves the prediction" in view.sentence


def test_hidden_states_are_the_layers_last_step_h(network):
    config, model, x = network
    states = hidden_states(model, config, x, chunk=16)
    assert states.h.shape == (len(x), config.layer_num * config.rnn_unit)
    assert states.labels[0] == "L1 u1" and states.labels[-1] == f"L2 u{config.rnn_unit}"
    # the last layer's h at the last step, through the output projection, is the model's last output
    out = model.get_layer("output_projection")
    last_h = states.h[:, config.rnn_unit :]
    assert np.allclose(np.asarray(out(last_h))[:, 0], last_step_predictions(model, x), atol=1e-4)
