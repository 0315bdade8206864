"""The Explainer's tour: its numbers against an independent NumPy cell and the model's own path
(native, BlockLSTM, Keras' loop; shared and separate cells), connectivity against autodiff and
a hand-built network, and on a stored run: the prediction equals the stored one, the CLI JSON,
the worker job."""

from __future__ import annotations

import json

import numpy as np
import pytest

from model.engine.network import build_network
from model.engine.training import set_fused
from model.explain.tour import (
    STEP_FIELDS,
    TourWeights,
    connectivity,
    effective_memory,
    forward,
    memory_sentence,
    model_layer_outputs,
    weights_of,
)
from tests.model.factories import make_config, randomise

PATHS = ["native", "block", "loop"]


def _sig(v):
    return 1.0 / (1.0 + np.exp(-v))


def independent_cell(x, kernel, recurrent, bias):
    """The tutorial's cell on ONE window [T, in]: [x_t, h_(t-1)] @ [W; U] + b, split i, f, g, o."""
    big = np.concatenate([kernel, recurrent], axis=0).astype(np.float64)
    u = recurrent.shape[0]
    h, c = np.zeros(u), np.zeros(u)
    steps = []
    for x_t in np.asarray(x, dtype=np.float64):
        z = np.concatenate([x_t, h]) @ big + bias
        i, f, g, o = _sig(z[:u]), _sig(z[u : 2 * u]), np.tanh(z[2 * u : 3 * u]), _sig(z[3 * u :])
        c_new = f * c + i * g
        h_new = o * np.tanh(c_new)
        steps.append(dict(x=x_t, h_prev=h, c_prev=c, i=i, f=f, g=g, o=o, c=c_new, h=h_new))
        h, c = h_new, c_new
    return steps


def _model(share_cell, path, layer_num=2, seed=3):
    config = make_config(rnn_unit=4, layer_num=layer_num, time_step=7, input_size=2, share_cell=share_cell)
    model = randomise(build_network(config), seed=seed)
    if path == "loop":
        set_fused(model, False)
    else:
        if path == "native":
            from model import native

            if not native.available():
                pytest.skip("the native kernel is not built here")
        set_fused(model, True, kernel=path)
    return config, model


@pytest.mark.parametrize("share_cell", [False, True])
@pytest.mark.parametrize("path", PATHS)
def test_tour_numbers_equal_an_independent_cell_and_the_models_own_path(share_cell, path):
    config, model = _model(share_cell, path)
    x = np.random.default_rng(5).normal(size=(3, 7, 2)).astype("float32")
    weights = weights_of(model, config)
    fwd = forward(weights, x)
    own = model_layer_outputs(model, config, x)
    assert len(fwd["layers"]) == 2 and len(own) == 2
    # The model's path (fused native / BlockLSTM / Keras loop) gives the same h at every step.
    for depth in range(2):
        np.testing.assert_allclose(fwd["layers"][depth]["h"], own[depth], atol=1e-5)
    # And the independent cell, from the layers' own weights, every intermediate.
    from model.engine.network import lstm_layers

    layers = lstm_layers(model, config)
    if share_cell:
        assert layers[0] is layers[1]
    for window in range(3):
        seq = np.asarray(x[window], np.float64) @ np.asarray(
            model.get_layer("input_projection").kernel
        ) + np.asarray(model.get_layer("input_projection").bias)
        for depth, layer in enumerate(layers):
            kernel, recurrent, bias = (np.asarray(w, np.float64) for w in layer.get_weights())
            steps = independent_cell(seq, kernel, recurrent, bias)
            for t, step in enumerate(steps):
                for name in STEP_FIELDS:
                    np.testing.assert_allclose(fwd["layers"][depth][name][window, t], step[name], atol=1e-5)
            seq = np.array([s["h"] for s in steps])
    # The output projection: the model's own prediction.
    np.testing.assert_allclose(fwd["output"], np.asarray(model(x))[..., 0], atol=1e-5)


@pytest.mark.parametrize("share_cell", [False, True])
def test_connectivity_equals_autodiff(share_cell):
    import tensorflow as tf

    config, model = _model(share_cell, "loop", layer_num=2, seed=7)
    x = np.random.default_rng(8).normal(size=(4, 7, 2)).astype("float32")
    xt = tf.convert_to_tensor(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        last = model(xt, training=False)[:, -1, 0]
    grad = tape.gradient(last, xt).numpy()  # [4, 7, 2]
    expected = (np.linalg.norm(grad, axis=2) * 2.5)[:, ::-1]
    mine = connectivity(weights_of(model, config), x, output_index=6, scale=2.5)
    np.testing.assert_allclose(mine, expected, rtol=1e-4, atol=1e-6)
    assert mine.shape == (4, 7) and (mine[:, -1] > 0).all()  # the first day still matters


def test_a_network_that_reads_only_the_last_step_has_all_its_mass_at_lag_0():
    rng = np.random.default_rng(0)
    u, d, steps = 3, 2, 6
    kernel = rng.normal(size=(u, 4 * u))
    bias = np.zeros(4 * u)
    bias[u : 2 * u] = -60.0  # forget gate shut: c_t = i * g, nothing carried over
    weights = TourWeights(
        w_in=rng.normal(size=(d, u)), b_in=np.zeros(u),
        cells=[(kernel, np.zeros((u, 4 * u)), bias)],  # no recurrence either
        w_out=rng.normal(size=(u, 1)), b_out=np.zeros(1),
    )  # fmt: skip
    x = rng.normal(size=(5, steps, d))
    conn = connectivity(weights, x, output_index=steps - 1)
    assert (conn[:, 0] > 1e-3).all()
    np.testing.assert_allclose(conn[:, 1:], 0.0, atol=1e-12)
    assert effective_memory(conn.mean(axis=0)) == 1
    # With the forget gate open the mass spreads back: more than one day is used.
    open_bias = bias.copy()
    open_bias[u : 2 * u] = 6.0
    remembering = TourWeights(weights.w_in, weights.b_in, [(kernel, np.zeros((u, 4 * u)), open_bias)],
                              weights.w_out, weights.b_out)  # fmt: skip
    assert effective_memory(connectivity(remembering, x, steps - 1).mean(axis=0)) > 1


def test_effective_memory_in_words():
    assert effective_memory(np.array([0.5, 0.3, 0.15, 0.05])) == 3
    assert effective_memory(np.zeros(4)) == 0
    assert memory_sentence(6, 20).startswith("It uses the last 6 of its 20 days")


# -- on a stored run ------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def stored(tmp_path_factory):
    from model.runs.execute import execute_run
    from model.runs.store import open_store
    from tests.model.factories import sine_frame
    from tests.model.runs.helpers import TINY

    root = tmp_path_factory.mktemp("tour")
    url = f"sqlite:///{root / 'lens.db'}"
    store = open_store(url)  # the default files root, as the command line opens it
    run_id = store.create_run(TINY.replace(epochs=2, layer_num=2), sine_frame(260), "cli")
    record = execute_run(store, run_id, forecast=False)
    assert record.status == "finished", record.error
    yield store, run_id, url
    store.close()


@pytest.mark.slow
def test_the_tours_prediction_is_the_stored_one_for_every_test_day(stored):
    from model.explain.tour import tour_record
    from model.runs import run_files

    store, run_id, _ = stored
    run, data, evaluation = run_files.load_trained(store, run_id)
    test = evaluation.split("test")
    first = tour_record(run, data, evaluation, None, run_id=run_id)
    for day in first.test_days[:: max(1, len(first.test_days) // 6)]:
        record = tour_record(run, data, evaluation, day, run_id=run_id)
        stored_value = float(test.loc[test["date"].dt.strftime("%Y-%m-%d") == day, "predicted"].iloc[0])
        assert record.prediction == pytest.approx(stored_value, abs=1e-4 * max(1.0, abs(stored_value)))
        assert record.stored_prediction == stored_value
        assert record.window_dates[-1] == record.last_known_day < day
        assert record.model_max_abs_diff < 1e-5
        # The window's normalised inputs are the run's own prices through its own normaliser.
        np.testing.assert_allclose(record.x, (record.window_raw - record.feature_mean) / record.feature_std,
                                   atol=1e-5)  # fmt: skip
    assert len(first.connectivity) == first.time_step and first.forget_mean.shape == (2, first.rnn_unit)
    assert 1 <= first.memory_mean <= first.time_step


@pytest.mark.slow
def test_the_command_line_prints_the_tour_as_json(stored, capsys):
    from model.cli.tour import main

    store, run_id, url = stored
    assert main(["--db", url, "tour", str(run_id)]) == 0
    last = json.loads(capsys.readouterr().out)
    day = last["day"]
    assert main(["--db", url, "tour", str(run_id), "--day", day]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["day"] == day and out["prediction"] == pytest.approx(out["stored_prediction"], abs=1e-3)
    assert len(out["layers"]) == 2 and len(out["layers"][0]["steps"]) == 5
    step = out["layers"][1]["steps"][4]
    assert set(step) == set(STEP_FIELDS) and all(isinstance(v, float) for v in step["h"])
    # h of the top layer's last step through w_out is the output
    output = (
        sum(h * w for h, w in zip(step["h"], out["output_projection"]["w_out"]))
        + out["output_projection"]["b_out"]
    )
    assert output == pytest.approx(out["output_projection"]["output"], abs=1e-9)
    # A day outside the test period, or not a date: a plain message, exit status 2.
    assert main(["--db", url, "tour", str(run_id), "--day", "1999-01-01"]) == 2
    assert "is not a test day of this run" in capsys.readouterr().err
    assert main(["--db", url, "tour", str(run_id), "--day", "May 4"]) == 2
    assert "YYYY-MM-DD" in capsys.readouterr().err


@pytest.mark.slow
def test_the_tour_job_is_cached_per_run_and_day(stored):
    from model.runs.jobs import JOBS, JobContext

    store, run_id, _ = stored
    context = JobContext(store)
    first = JOBS["tour"](context, run_id, None)
    assert JOBS["tour"](context, run_id, None) is first
    other_day = first.test_days[0]
    other = JOBS["tour"](context, run_id, other_day)
    assert other is not first and other.day == other_day
    assert other.connectivity_mean is first.connectivity_mean  # the run's memory profile, computed once


@pytest.mark.slow
def test_the_toy_preset_trains_on_real_prices_and_tours(tmp_path):
    from model.data import load_sample
    from model.engine.presets import TOY_PRESET
    from model.explain.tour import tour_record
    from model.explain.tour_stops import tour_stops
    from model.runs import run_files
    from model.runs.execute import execute_run
    from model.runs.store import open_store

    prices = load_sample("GOOG")
    config = TOY_PRESET.config(list(prices.frame.columns)).replace(epochs=2)
    assert (config.rnn_unit, config.layer_num, config.time_step) == (2, 1, 5)
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}")
    try:
        run_id = store.create_run(config, prices, "cli")
        assert execute_run(store, run_id, forecast=False).status == "finished"
        run, data, evaluation = run_files.load_trained(store, run_id)
        record = tour_record(run, data, evaluation, run_id=run_id)
    finally:
        store.close()
    assert record.prediction == pytest.approx(
        record.stored_prediction, abs=1e-4 * abs(record.stored_prediction)
    )
    assert len(record.layers) == 1 and record.layers[0].values["h"].shape == (5, 2)
    assert record.x.shape == (5, len(config.features))
    assert len(tour_stops(record)) == 3 + 5 + 3


@pytest.mark.slow
def test_training_replay_settles_on_the_kept_weights(stored):
    from model.explain.tour import replay_record, tour_record
    from model.runs import run_files

    store, run_id, _ = stored
    run, data, evaluation = run_files.load_trained(store, run_id)
    assert len(run.snapshots) == len(run.history) == 2  # one snapshot per epoch, stored with the run
    record = tour_record(run, data, evaluation, None, run_id=run_id)
    replay = replay_record(run, data, record)
    assert replay is not None and replay.epochs == 2 and replay.best_epoch in (1, 2)
    # The run keeps its best epoch's weights: that epoch's replay is the tour itself.
    kept = replay.best_epoch - 1
    assert replay.predictions[kept] == pytest.approx(record.prediction, abs=1e-9)
    for depth, layer in enumerate(record.layers):
        np.testing.assert_allclose(replay.layers[depth]["h"][kept], layer.values["h"], atol=1e-12)
        assert replay.layers[depth]["f"].shape == (2, record.time_step, record.rnn_unit)


@pytest.mark.slow
def test_a_network_above_the_snapshot_size_keeps_none():
    from model.engine.network import count_parameters
    from model.engine.training import SNAPSHOT_MAX_PARAMS, train_network
    from model.engine.windows import prepare_data
    from tests.model.factories import sine_frame
    from tests.model.runs.helpers import TINY

    config = TINY.replace(rnn_unit=24, epochs=1)
    assert count_parameters(config)["total"] > SNAPSHOT_MAX_PARAMS
    run = train_network(prepare_data(sine_frame(200), config))
    assert run.snapshots == []
    small = train_network(prepare_data(sine_frame(200), TINY.replace(epochs=1)))
    assert len(small.snapshots) == 1
