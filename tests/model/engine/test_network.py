"""Output shapes and parameter counts of the Keras network."""

import numpy as np
import pytest

from model.engine.network import build_network, count_parameters, lstm_layers
from tests.model.factories import make_config


@pytest.mark.parametrize(
    "rnn_unit, layer_num, time_step, input_size",
    [(10, 2, 20, 7), (1, 1, 2, 1), (32, 3, 5, 3), (7, 4, 13, 10), (64, 1, 90, 6)],
)
@pytest.mark.parametrize("share_cell", [False, True])
def test_output_is_one_value_per_input_step(rnn_unit, layer_num, time_step, input_size, share_cell):
    config = make_config(rnn_unit, layer_num, time_step, input_size, share_cell)
    model = build_network(config)
    x = np.random.default_rng(0).normal(size=(3, time_step, input_size)).astype("float32")
    y = np.asarray(model(x))
    assert y.shape == (3, time_step, 1)
    assert model.count_params() == count_parameters(config)["total"]


def test_tutorial_parameter_counts_shared_and_separate():
    shared = make_config(10, 2, 20, 7, share_cell=True)
    separate = make_config(10, 2, 20, 7, share_cell=False)
    assert build_network(shared).count_params() == 931
    assert build_network(separate).count_params() == 1771


def test_shared_cell_means_one_set_of_lstm_weights():
    config = make_config(6, 3, 4, 2, share_cell=True)
    model = build_network(config)
    layers = lstm_layers(model, config)
    assert len(layers) == 3 and len({id(layer) for layer in layers}) == 1
    separate = make_config(6, 3, 4, 2)
    assert len({id(layer) for layer in lstm_layers(build_network(separate), separate)}) == 3


def test_network_is_causal_outputs_do_not_see_later_inputs():
    config = make_config(8, 2, 10, 3)
    model = build_network(config)
    x = np.random.default_rng(1).normal(size=(1, 10, 3)).astype("float32")
    changed = x.copy()
    changed[0, 6:] += 5.0
    a, b = np.asarray(model(x)), np.asarray(model(changed))
    np.testing.assert_allclose(a[0, :6], b[0, :6], atol=1e-6)
    assert not np.allclose(a[0, 6:], b[0, 6:])


def test_weights_are_reproducible_per_seed_without_global_seeding():
    import keras

    config = make_config(8, 2, 5, 3)
    a = build_network(config)
    keras.utils.set_random_seed(12345)  # global seeding in between must not matter
    b = build_network(config)
    other = build_network(config.replace(seed=config.seed + 1))
    for wa, wb in zip(a.get_weights(), b.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not np.array_equal(a.get_weights()[0], other.get_weights()[0])
