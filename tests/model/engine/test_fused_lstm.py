"""The fused LSTM layer equals Keras' LSTM: outputs, final states and gradients, on the same weights.

Every equivalence test runs once per fused kernel: LSTM Lens' native one and TensorFlow's BlockLSTM.
"""

import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from model import native
from model.engine.fused_lstm import FUSED_KERNELS, FusedLSTM, block_lstm_weights
from model.engine.network import build_network, lstm_layers
from model.engine.training import set_fused
from tests.model.factories import make_config

REPO = Path(__file__).resolve().parents[3]
FEW = settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
ATOL = 2e-5


@pytest.fixture(params=FUSED_KERNELS, scope="module")
def kernel(request):
    if request.param == "native":
        # make test builds it; a missing build is a failure here, not a skip (test_native_lstm
        # says why it did not load).
        assert native.available(), native.status()
    return request.param


def _random_weights(layer, rng, scale):
    return [(scale * rng.normal(size=w.shape)).astype("float32") for w in layer.get_weights()]


def _close(a, b, what):
    a, b = np.asarray(a), np.asarray(b)
    tol = ATOL * max(1.0, float(np.max(np.abs(b))) if b.size else 1.0)
    assert a.shape == b.shape, what
    np.testing.assert_allclose(a, b, atol=tol, rtol=1e-4, err_msg=what)


@FEW
@given(
    units=st.sampled_from([1, 2, 5, 10, 17, 33]),  # 17 and 33: gate rows wider than one register tile
    input_size=st.integers(1, 12),
    batch=st.sampled_from([1, 3, 5, 23]),  # 23: several row tiles and a short last one, two threads
    time_step=st.integers(1, 12),
    scale=st.sampled_from([0.3, 1.0, 2.5]),  # 2.5 drives |c| past 3, BlockLSTM's default clip
    with_state=st.booleans(),
    seed=st.integers(0, 10_000),
)
def test_layer_forward_and_gradients_equal_keras_lstm(
    kernel, units, input_size, batch, time_step, scale, with_state, seed
):
    """Against Keras' LSTM in float64 (the exact answer up to rounding): the fused kernel may be off
    by float32 rounding, and not by much more than Keras' own float32 LSTM is, or than rounding
    the inputs to float32 moves the exact answer. With large weights
    a few gradients are ill-conditioned, and there any two float32 summation orders disagree in
    the fourth digit; comparing to float32 Keras would blame either one."""
    import keras
    import tensorflow as tf

    rng = np.random.default_rng(seed)
    reference = keras.layers.LSTM(units, return_sequences=True, return_state=True)
    exact = keras.layers.LSTM(units, return_sequences=True, return_state=True, dtype="float64")
    fused = FusedLSTM(units, return_sequences=True, return_state=True)
    fused.kernel_choice = kernel
    for layer in (reference, exact, fused):
        layer.build((batch, time_step, input_size))
    weights = _random_weights(reference, rng, scale)
    reference.set_weights(weights)
    exact.set_weights([w.astype("float64") for w in weights])
    fused.set_weights(weights)
    assert fused.fused_applies()  # the test is about the fused op, not Keras' fallback
    x = tf.constant(rng.normal(size=(batch, time_step, input_size)).astype("float32") * scale)
    state = [tf.constant(rng.normal(size=(batch, units)).astype("float32")) for _ in range(2)]
    # A loss that weights every output differently, so a swapped gate or step cannot cancel out.
    mix = [
        tf.constant(rng.normal(size=s).astype("float32"))
        for s in ((batch, time_step, units), (batch, units), (batch, units))
    ]

    def run(layer, dtype, nudge=None):
        inputs, states, weights_of_loss = (
            tf.cast(x, dtype),
            [tf.cast(s, dtype) for s in state],
            [tf.cast(m, dtype) for m in mix],
        )
        if nudge is not None:
            inputs, states = nudge(inputs), [nudge(s) for s in states]
        kwargs = {"initial_state": states} if with_state else {}
        with tf.GradientTape() as tape:
            tape.watch([inputs, *states])
            outs = layer(inputs, **kwargs)
            loss = sum(tf.reduce_sum(o * m) for o, m in zip(outs, weights_of_loss))
        grads = tape.gradient(loss, [inputs, *layer.trainable_variables, *(states if with_state else [])])
        return [np.asarray(v, dtype="float64") for v in (*outs, *grads)]

    names = ("sequence", "h", "c", "dx", "dkernel", "drecurrent", "dbias", "dh0", "dc0")
    truths = run(exact, tf.float64)
    # How far the exact answer moves when every input and weight moves by one float32 rounding
    # (a relative 2**-24): no float32 implementation can be closer than that, whatever its
    # summation order. Large weights make some gradients ill-conditioned, and there this
    # dominates (measured up to 5e-4 of the largest value, for BlockLSTM as for ours).
    jitter = np.random.default_rng(seed + 1)

    def nudge(t):
        return t * (1 + jitter.uniform(-(2.0**-24), 2.0**-24, size=t.shape))

    exact.set_weights([nudge(w.astype("float64")) for w in weights])
    rounding = [
        float(np.max(np.abs(a - b))) if a.size else 0.0 for a, b in zip(run(exact, tf.float64, nudge), truths)
    ]
    for name, got, keras32, truth, sensitivity in zip(
        names, run(fused, tf.float32), run(reference, tf.float32), truths, rounding
    ):
        assert got.shape == truth.shape, name
        if not truth.size:
            continue
        # Largest error over the output, against a float32 budget plus a few times Keras' own
        # largest float32 error on the same output (rounding lands on different elements for
        # different summation orders, so the comparison is per output, not per element).
        tol = ATOL * max(1.0, float(np.max(np.abs(truth))))
        error, keras_error = float(np.max(np.abs(got - truth))), float(np.max(np.abs(keras32 - truth)))
        assert error <= tol + 3 * keras_error + 4 * sensitivity, (name, error, tol, keras_error, sensitivity)


@pytest.mark.slow  # whole networks, forward and gradients, per kernel
@FEW
@given(
    rnn_unit=st.integers(1, 8),
    layer_num=st.integers(1, 3),
    share_cell=st.booleans(),
    dropout=st.sampled_from([0.0, 0.3]),
    batch=st.sampled_from([1, 3, 8]),
    time_step=st.integers(2, 10),  # the config's smallest window
    input_size=st.integers(1, 4),
)
def test_network_forward_and_gradients_equal_keras_lstm(
    kernel, rnn_unit, layer_num, share_cell, dropout, batch, time_step, input_size
):
    """The whole network, fused vs Keras' loop, in training mode (dropout on) and inference."""
    import tensorflow as tf

    config = make_config(rnn_unit, layer_num, time_step, input_size, share_cell, dropout=dropout)
    # Two builds from one config: same weights and, on a fresh build, the same dropout masks.
    fused, reference = build_network(config), build_network(config)
    set_fused(fused, True, kernel)
    set_fused(reference, False)
    for a, b in zip(fused.get_weights(), reference.get_weights()):
        np.testing.assert_array_equal(a, b)
    rng = np.random.default_rng(rnn_unit * 100 + time_step)
    x = tf.constant(rng.normal(size=(batch, time_step, input_size)).astype("float32"))
    y = tf.constant(rng.normal(size=(batch, time_step, 1)).astype("float32"))

    def run(model, training):
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=training) - y))
        return loss, tape.gradient(loss, model.trainable_variables)

    for training in (True, False):
        fused_loss, fused_grads = run(fused, training)
        ref_loss, ref_grads = run(reference, training)
        _close(fused_loss, ref_loss, f"loss training={training}")
        for var, a, b in zip(fused.trainable_variables, fused_grads, ref_grads):
            _close(a, b, f"d{var.path} training={training}")


def test_fused_op_is_what_runs_and_switching_it_off_restores_keras_loop():
    import tensorflow as tf

    config = make_config(4, 2, 6, 3)
    model = build_network(config)
    spec = tf.TensorSpec([None, 6, 3], tf.float32)

    def op_types():
        graph = tf.function(lambda t: model(t, training=True)).get_concrete_function(spec).graph
        return {op.type for op in graph.get_operations()}

    # By default the native kernel runs (make test builds it), else TensorFlow's BlockLSTM.
    assert ("LensLstm" if native.available() else "BlockLSTM") in op_types()
    set_fused(model, True, "block")
    assert "BlockLSTM" in op_types() and "LensLstm" not in op_types()
    set_fused(model, True, "native")
    assert "LensLstm" in op_types() and "BlockLSTM" not in op_types()
    set_fused(model, False)
    assert not {"BlockLSTM", "LensLstm"} & op_types()
    assert all(not layer.fused_applies() for layer in lstm_layers(model, config))


def test_masked_input_falls_back_to_keras_and_still_agrees():
    import keras

    fused = FusedLSTM(3, return_sequences=True, return_state=True)
    reference = keras.layers.LSTM(3, return_sequences=True, return_state=True)
    x = np.random.default_rng(0).normal(size=(2, 5, 2)).astype("float32")
    fused.build(x.shape)
    reference.build(x.shape)
    reference.set_weights(fused.get_weights())
    mask = np.array([[True] * 5, [True, True, True, False, False]])
    assert not fused.fused_applies(mask=mask)
    for a, b in zip(fused(x, mask=mask), reference(x, mask=mask)):
        np.testing.assert_allclose(np.asarray(a), np.asarray(b), atol=1e-6)


def test_block_weights_reorder_keras_gates_to_i_c_f_o():
    kernel = np.arange(2 * 8, dtype="float32").reshape(2, 8)  # in=2, u=2: columns i0 i1 f0 f1 c0 c1 o0 o1
    recurrent = 100 + np.arange(2 * 8, dtype="float32").reshape(2, 8)
    bias = np.arange(8, dtype="float32")
    w, b = block_lstm_weights(kernel, recurrent, bias)
    stacked = np.concatenate([kernel, recurrent])
    np.testing.assert_array_equal(np.asarray(w), stacked[:, [0, 1, 4, 5, 2, 3, 6, 7]])
    np.testing.assert_array_equal(np.asarray(b), [0, 1, 4, 5, 2, 3, 6, 7])


@pytest.mark.process
def test_saved_model_loads_in_safe_mode_in_a_fresh_process(tmp_path):
    """save_run, then load_run in a new interpreter (nothing imported the layer there first)."""
    from model.engine.saving import save_run
    from model.engine.training import TrainedRun
    from model.engine.windows import Normaliser

    config = make_config(5, 2, 7, 3, share_cell=False)
    model = build_network(config)
    run = TrainedRun(model=model, config=config, normaliser=Normaliser(np.zeros(3), np.ones(3), 0.0, 1.0))
    x = np.random.default_rng(4).normal(size=(4, 7, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "expected.npy", run.predict(x))
    save_run(run, tmp_path / "run")
    script = (
        "import numpy as np, sys\n"
        "from model.engine.saving import load_run\n"
        "run = load_run(sys.argv[1] + '/run')\n"
        "names = sorted({type(layer).__name__ for layer in run.model.layers})\n"
        "assert 'FusedLSTM' in names, names\n"
        "got = run.predict(np.load(sys.argv[1] + '/x.npy'))\n"
        "np.testing.assert_array_equal(got, np.load(sys.argv[1] + '/expected.npy'))\n"
        "print('ok')\n"
    )
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert done.returncode == 0 and done.stdout.strip().endswith("ok"), done.stderr[-2000:]


@pytest.mark.parametrize("share_cell", [False, True])
def test_keras_config_round_trips_as_the_same_layer(share_cell):
    import keras

    config = make_config(4, 2, 5, 2, share_cell=share_cell)
    model = build_network(config)
    clone = keras.Model.from_config(model.get_config())
    assert [type(layer).__name__ for layer in clone.layers] == [
        type(layer).__name__ for layer in model.layers
    ]
    layer = lstm_layers(model, config)[0]
    assert layer.get_config() == type(layer).from_config(layer.get_config()).get_config()
    assert isinstance(layer, keras.layers.LSTM)
