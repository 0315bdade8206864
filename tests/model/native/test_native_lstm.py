"""LSTM Lens' native LSTM kernel: built, loaded, and right on its own terms.

Its equality with Keras' LSTM (outputs and gradients, layers and whole networks) is tested in
test_fused_lstm.py for both fused kernels; here: the build, a check against finite differences
that does not lean on Keras, determinism across threads, and clear errors on bad shapes.
"""

import importlib

import numpy as np
import pytest

from model import native


def test_kernel_is_built_and_loads_where_there_is_a_compiler():
    if native.compiler() is None:
        pytest.skip("no C++ compiler on this machine: the fallback (BlockLSTM) is what runs")
    assert native.available(), native.status()
    assert native.library_path().exists()
    assert native.status().startswith("native kernel loaded")


def test_build_name_changes_with_the_source(tmp_path, monkeypatch):
    """A library built from other source text is never loaded: its name hashes the source."""
    before = native.library_path()
    edited = tmp_path / "lens_lstm.cc"
    edited.write_text(native.SOURCE.read_text() + "\n// edited\n")
    monkeypatch.setattr(native, "SOURCE", edited)
    after = native.library_path()
    assert after != before and after.parent == before.parent and after.suffix == ".so"


def _inputs(rng, batch, time, inputs, units, scale=0.6):
    import tensorflow as tf

    def t(*shape):
        return tf.constant((scale * rng.normal(size=shape)).astype("float64").astype("float32"))

    return (
        t(batch, time, inputs),
        t(batch, units),
        t(batch, units),
        t(inputs, 4 * units),
        t(units, 4 * units),
        t(4 * units),
    )


# units 20: above kHoistAbove (16), the kernel's other arrangement of the work.
@pytest.mark.parametrize("batch,time,inputs,units", [(2, 3, 2, 3), (5, 4, 1, 2), (9, 2, 3, 5), (6, 3, 4, 20)])
def test_gradients_match_finite_differences(batch, time, inputs, units):
    """Central differences in float64 arithmetic over the float32 op, a few coordinates of each input."""
    import tensorflow as tf

    assert native.available(), native.status()
    rng = np.random.default_rng(batch * 31 + units)
    args = list(_inputs(rng, batch, time, inputs, units))
    mix_h = tf.constant(rng.normal(size=(batch, time, units)).astype("float32"))
    mix_c = tf.constant(rng.normal(size=(batch, units)).astype("float32"))

    def loss(values):
        h, c = native.lstm_sequence(*values)
        return tf.reduce_sum(tf.cast(h * mix_h, tf.float64)) + tf.reduce_sum(
            tf.cast(c[:, -1] * mix_c, tf.float64)
        )

    with tf.GradientTape() as tape:
        tape.watch(args)
        value = loss(args)
    grads = tape.gradient(value, args)
    eps = 1e-2
    for which, (arg, grad) in enumerate(zip(args, grads)):
        flat = arg.numpy().ravel()
        for index in rng.choice(flat.size, size=min(4, flat.size), replace=False):
            shifted = []
            for sign in (1, -1):
                moved = flat.copy()
                moved[index] += sign * eps
                values = list(args)
                values[which] = tf.constant(moved.reshape(arg.shape))
                shifted.append(float(loss(values)))
            numeric = (shifted[0] - shifted[1]) / (2 * eps)
            analytic = float(grad.numpy().ravel()[index])
            assert abs(numeric - analytic) <= 2e-3 + 2e-2 * abs(numeric), (which, index, numeric, analytic)


@pytest.mark.parametrize("units", [10, 24])
def test_results_do_not_depend_on_thread_timing(units):
    """Blocks of rows run on different threads; the weight gradients are summed in a fixed order."""
    import tensorflow as tf

    rng = np.random.default_rng(7)
    args = _inputs(rng, 64, 30, 6, units)
    runs = []
    for _ in range(3):
        with tf.GradientTape() as tape:
            tape.watch(args)
            h, c = native.lstm_sequence(*args)
            value = tf.reduce_sum(h * h) + tf.reduce_sum(c)
        runs.append([h.numpy(), *(g.numpy() for g in tape.gradient(value, args))])
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)


def test_wrong_shapes_are_refused_with_a_message():
    import tensorflow as tf

    args = list(_inputs(np.random.default_rng(0), 2, 3, 4, 5))
    args[3] = tf.zeros((3, 20))  # kernel for 3 inputs, x has 4
    with pytest.raises((tf.errors.InvalidArgumentError, ValueError), match="kernel must be"):
        native.lstm_sequence(*args)


def test_a_failing_compiler_is_reported_and_the_app_falls_back(tmp_path, monkeypatch, capsys):
    """`make run` must still start the app (exit 0, a message) when the kernel does not compile;
    --strict turns that into a failure. The real build is left alone (another build dir)."""
    build_cli = importlib.import_module("model.native.build")

    monkeypatch.setattr(native, "BUILD_DIR", tmp_path / "build")
    edited = tmp_path / "lens_lstm.cc"
    edited.write_text("this is not C++\n")
    monkeypatch.setattr(native, "SOURCE", edited)
    monkeypatch.setenv("CXX", "false")  # a "compiler" that always fails
    with pytest.raises(native.BuildError, match="false failed"):
        native.build_library()
    assert not list((tmp_path / "build").glob("*.so*"))  # no half-written library left behind
    assert build_cli.main([]) == 0
    assert "BlockLSTM" in capsys.readouterr().err
    assert build_cli.main(["--strict"]) == 1


def test_without_a_compiler_the_build_says_so_and_succeeds(monkeypatch, capsys):
    build_cli = importlib.import_module("model.native.build")

    monkeypatch.setattr(native, "compiler", lambda: None)
    assert build_cli.main(["--strict", "--stamp", "/nonexistent/stamp"]) == 0
    assert "No C++ compiler" in capsys.readouterr().err
