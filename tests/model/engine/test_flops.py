"""The FLOP count of a training epoch, against counts done by hand."""

import pytest

from model.engine.flops import ADAM_FLOPS_PER_PARAMETER, trainable_parameters, training_flops
from model.engine.network import count_parameters
from tests.model.factories import make_config


def test_tiny_network_matches_a_hand_count():
    # rnn_unit 2, layer_num 1, time_step 3, 4 features, batch 2, 6 windows (3 steps).
    config = make_config(rnn_unit=2, layer_num=1, time_step=3, input_size=4, batch_size=2)
    count = training_flops(config, 6)
    # One LSTM step: x_t [1, 2] x W [2, 8] and h [1, 2] x U [2, 8] = 2*2*8 + 2*2*8 = 64 FLOPs.
    # 3 steps per window, 6 windows, 1 layer: 64 * 3 * 6 = 1152 forward.
    assert count.lstm_forward == 1152
    # Backward: dW, dU, dx_t, dh each cost as much as their forward product: 2 x 1152.
    assert count.lstm_backward == 2304
    # w_in: [3, 4] x [4, 2] per window = 2*3*4*2 = 48; w_out: [3, 2] x [2, 1] = 2*3*2*1 = 12.
    # Forward: (48 + 12) * 6 = 360. Backward: w_in's weight gradient only (48), w_out's weight
    # and input gradients (2 * 12): (48 + 24) * 6 = 432.
    assert count.dense_forward == 360
    assert count.dense_backward == 432
    assert count.total == 1152 + 2304 + 360 + 432
    assert count.per_window == (1152 + 2304 + 360 + 432) / 6
    assert count.steps == 3
    # Adam on w_in (4*2 + 2 = 10), the LSTM (2*8 + 2*8 + 8 = 40), w_out (2 + 1 = 3): 53 parameters.
    assert count.optimizer == 3 * 53 * ADAM_FLOPS_PER_PARAMETER


def test_two_layers_double_the_lstm_and_leave_the_dense_layers():
    one = training_flops(make_config(rnn_unit=5, layer_num=1, time_step=4, input_size=3), 80)
    two = training_flops(make_config(rnn_unit=5, layer_num=2, time_step=4, input_size=3), 80)
    assert two.lstm == 2 * one.lstm
    assert two.dense == one.dense


def test_tutorial_epoch_is_about_five_gflop():
    # The estimate: 2 layers x 90 steps x 80 rows of four 10x20 gate products per batch.
    config = make_config(rnn_unit=10, layer_num=2, time_step=90, input_size=7, batch_size=80)
    count = training_flops(config, 74 * 80)
    per_window_lstm_forward = 2 * 90 * (2 * 20 * 40)
    assert count.lstm_forward == 74 * 80 * per_window_lstm_forward
    assert 4e9 < count.total < 6e9
    assert count.gflops_per_s(1000.0) == pytest.approx(count.per_window * 1000 / 1e9)


@pytest.mark.parametrize("share_cell", [False, True])
def test_parameters_match_the_network_count(share_cell):
    config = make_config(rnn_unit=7, layer_num=3, time_step=5, input_size=4, share_cell=share_cell)
    assert trainable_parameters(config) == count_parameters(config)["total"]


def test_shared_cell_costs_the_same_arithmetic():
    separate = make_config(rnn_unit=6, layer_num=3, time_step=5, input_size=2)
    shared = make_config(rnn_unit=6, layer_num=3, time_step=5, input_size=2, share_cell=True)
    assert training_flops(separate, 40).total == training_flops(shared, 40).total
    assert training_flops(shared, 40).optimizer < training_flops(separate, 40).optimizer


def test_negative_windows_are_refused():
    with pytest.raises(ValueError, match="n_windows"):
        training_flops(make_config(), -1)
