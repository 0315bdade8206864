"""How many floating-point operations one training epoch of the stacked LSTM does.

A pure count from the config (no TensorFlow), for the roofline in ``make bench``
(scripts/bench_roofline.py): achieved GFLOP/s = FLOPs per window x windows per second.

What is counted: the matrix products, at 2 FLOPs per multiply-add (an [m, k] x [k, n] product
is 2mkn), forward and backward, per window:

* ``input_projection`` (the tutorial's ``w_in``): [T, F] x [F, u] forward; backward only the
  weight gradient (the input windows are data, nobody asks for their gradient): 1x forward.
* each LSTM layer, each step: the four gate products ``x_t W`` ([in, 4u]) and ``h_{t-1} U``
  ([u, 4u]) forward; backward the gradients of W and U and of x_t and h_{t-1}: 2x forward.
  ``in`` is rnn_unit for every layer (the input projection maps features to rnn_unit). A
  shared cell (``share_cell``) does the same arithmetic on fewer weights.
* ``output_projection`` (``w_out``): [T, u] x [u, outputs] on every step; backward the weight
  and input gradients: 2x forward.

Stated as excluded from ``total``: elementwise work (bias adds, gate activations, the cell
update, the loss) and the optimizer's update; both are O(units) per step rather than O(units²)
and are reported on their own (``elementwise``, ``optimizer``) as estimates. The validation pass
after each epoch (forward only, a few percent of the windows) is not part of a training epoch.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.engine.config import LstmConfig

# Elementwise FLOPs per LSTM unit per step, forward: 4 bias adds, 3 sigmoids and 2 tanh counted
# as one op each, c = f*c + i*g (3), h = o*tanh(c) (1). Backward about twice that.
LSTM_ELEMENTWISE_PER_UNIT = 4 + 3 + 2 + 3 + 1
# Adam per parameter per step: the two moment updates (3 + 4), the bias-corrected step (about 5).
ADAM_FLOPS_PER_PARAMETER = 12


@dataclass(frozen=True)
class FlopCount:
    """FLOPs of one training epoch, by part; ``total`` counts the matrix products only."""

    windows: int  # windows trained in the epoch
    steps: int  # optimizer steps (batches) in the epoch
    lstm_forward: int
    lstm_backward: int
    dense_forward: int  # input and output projections
    dense_backward: int
    elementwise: int  # estimate, excluded from total
    optimizer: int  # estimate, excluded from total

    @property
    def lstm(self) -> int:
        return self.lstm_forward + self.lstm_backward

    @property
    def dense(self) -> int:
        return self.dense_forward + self.dense_backward

    @property
    def total(self) -> int:
        return self.lstm + self.dense

    @property
    def per_window(self) -> float:
        return self.total / self.windows if self.windows else 0.0

    def gflops_per_s(self, windows_per_s: float) -> float:
        """The achieved GFLOP/s of training at ``windows_per_s``."""
        return self.per_window * windows_per_s / 1e9


def trainable_parameters(config: LstmConfig, outputs: int = 1) -> int:
    """The network's trainable parameters (as ``model.count_params()`` reports them)."""
    u, f = config.rnn_unit, config.input_size
    lstm = 4 * u * (u + u) + 4 * u  # kernel [u, 4u], recurrent kernel [u, 4u], bias [4u]
    lstm_layers = 1 if config.share_cell else config.layer_num
    return (f * u + u) + lstm_layers * lstm + (u * outputs + outputs)


def training_flops(config: LstmConfig, n_windows: int, outputs: int = 1) -> FlopCount:
    """FLOPs of one training epoch over ``n_windows`` windows (see the module docstring).

    The engine trains full batches only, so pass ``(n_train // batch_size) * batch_size`` for
    the windows an epoch really trains.
    """
    if n_windows < 0:
        raise ValueError(f"n_windows must be >= 0, got {n_windows}")
    t, f, u, layers = config.time_step, config.input_size, config.rnn_unit, config.layer_num
    per_window_lstm = layers * t * 2 * (u + u) * 4 * u
    per_window_in = t * 2 * f * u
    per_window_out = t * 2 * u * outputs
    steps = n_windows // max(1, min(config.batch_size, max(n_windows, 1)))
    elementwise = n_windows * layers * t * u * LSTM_ELEMENTWISE_PER_UNIT * 3
    return FlopCount(
        windows=n_windows,
        steps=steps,
        lstm_forward=n_windows * per_window_lstm,
        lstm_backward=n_windows * 2 * per_window_lstm,
        dense_forward=n_windows * (per_window_in + per_window_out),
        dense_backward=n_windows * (per_window_in + 2 * per_window_out),
        elementwise=elementwise,
        optimizer=steps * trainable_parameters(config, outputs) * ADAM_FLOPS_PER_PARAMETER,
    )
