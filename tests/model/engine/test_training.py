"""Training, evaluation and saving, on small learnable series so the suite stays fast."""

import threading

import numpy as np
import pytest

from model.engine.config import LIMITS, LstmConfig
from model.engine.evaluation import evaluate, score
from model.engine.saving import load_run, run_archive, save_run
from model.engine.training import Progress, train_network
from model.engine.windows import prepare_data
from model.errors import TrainingError
from tests.model.factories import sine_frame

SMALL = LstmConfig(
    rnn_unit=16,
    layer_num=1,
    time_step=25,
    features=("close", "change"),
    epochs=40,
    batch_size=32,
    learning_rate=0.01,
    patience=0,
    seed=3,
)


@pytest.fixture(scope="module")
def sine_run():
    data = prepare_data(sine_frame(700), SMALL)
    reports: list[Progress] = []
    run = train_network(data, listener=reports.append)
    return data, run, reports


@pytest.mark.slow  # trains tens of epochs
def test_training_lowers_the_loss_and_reports_progress(sine_run):
    data, run, reports = sine_run
    losses = [h["loss"] for h in run.history]
    assert len(losses) == SMALL.epochs
    assert losses[-1] < 0.3 * losses[0]
    assert "val_loss" in run.history[-1]
    assert reports[-1].finished and reports[-1].epoch == SMALL.epochs
    assert any(0 < p.batch < p.batches for p in reports) or reports[0].batches == 1
    elapsed = [p.elapsed for p in reports]
    assert elapsed == sorted(elapsed)


@pytest.mark.slow  # trains tens of epochs
def test_model_beats_persistence_on_a_learnable_series(sine_run):
    data, run, _ = sine_run
    evaluation = evaluate(run, data)
    metrics = evaluation.metrics
    assert metrics.loc["model", "RMSE"] < metrics.loc["persistence", "RMSE"]
    assert metrics.loc["model", "Skill"] > 0.2
    test = evaluation.split("test")
    # One next-day forecast per test window, dated the day after its last input.
    assert len(test) == len(data.test)
    assert (test["date"] > test["origin"]).all()
    assert (test["baseline"] == test["last_known"]).all()
    assert len(evaluation.forecast) == 1 and evaluation.forecast["date"].iloc[0] > data.dates[-1]


def test_next_window_mode_scores_every_step_and_forecasts_time_step_days():
    config = SMALL.replace(target_mode="next_window", time_step=10, epochs=3)
    data = prepare_data(sine_frame(300), config)
    run = train_network(data)
    evaluation = evaluate(run, data)
    test = evaluation.split("test")
    assert len(test) == len(data.test) * 10
    window = evaluation.window(0)
    assert list(window["step"]) == list(range(1, 11))
    assert (window["baseline"] == window["last_known"].iloc[0]).all()
    assert len(evaluation.forecast) == 10
    assert evaluation.forecast["date"].is_monotonic_increasing


def test_metrics_against_hand_computed_values():
    actual = np.array([10.0, 12.0, 9.0])
    predicted = np.array([11.0, 11.0, 10.0])
    last = np.array([10.5, 10.0, 11.0])
    s = score(actual, predicted, last)
    assert s["RMSE"] == pytest.approx(1.0)
    assert s["MAE"] == pytest.approx(1.0)
    assert s["MAPE %"] == pytest.approx(100 * (0.1 + 1 / 12 + 1 / 9) / 3)
    # moves: predicted +0.5,+1,-1 vs actual -0.5,+2,-2 -> 2 of 3 right
    assert s["Direction %"] == pytest.approx(200 / 3)
    assert np.isnan(score(actual, last, last)["Direction %"])


def test_same_seed_same_result():
    config = SMALL.replace(epochs=2)
    data = prepare_data(sine_frame(300), config)
    a, b = train_network(data), train_network(data)
    assert a.history == b.history
    np.testing.assert_array_equal(a.predict(data.test.x), b.predict(data.test.x))


def test_stop_flag_ends_training_and_keeps_a_usable_model():
    config = SMALL.replace(epochs=500, batch_size=8)
    data = prepare_data(sine_frame(400), config)
    stop = threading.Event()

    def listener(progress):
        if progress.epoch >= 2:
            stop.set()

    run = train_network(data, listener=listener, stop=stop)
    assert run.stopped_reason == "user_stop"
    assert len(run.history) < 10
    assert np.isfinite(run.predict(data.test.x)).all()


@pytest.mark.slow  # trains tens of epochs
def test_early_stopping_restores_best_weights():
    config = SMALL.replace(epochs=200, patience=2, learning_rate=0.05)
    data = prepare_data(sine_frame(300), config)
    run = train_network(data)
    assert run.stopped_reason == "early_stopping"
    val_losses = [h["val_loss"] for h in run.history]
    assert run.best_epoch == int(np.argmin(val_losses)) + 1

    run.model.compile(loss="mse")
    restored = run.model.evaluate(data.val.x, data.val.y, verbose=0, batch_size=len(data.val))
    assert restored == pytest.approx(min(val_losses), rel=1e-3)


def test_nan_loss_stops_with_a_clear_message():
    frame = sine_frame(300)
    data = prepare_data(frame, SMALL.replace(epochs=5))
    poisoned = data.train.y.copy()
    poisoned[3, 2, 0] = np.nan
    from dataclasses import replace

    bad = replace(data, train=replace(data.train, y=poisoned))
    with pytest.raises(TrainingError, match="NaN|nan"):
        train_network(bad)


@pytest.mark.slow  # trains tens of epochs
def test_save_load_gives_identical_predictions(tmp_path, sine_run):
    data, run, _ = sine_run
    save_run(run, tmp_path / "run")
    loaded = load_run(tmp_path / "run")
    assert loaded.config == run.config
    np.testing.assert_array_equal(loaded.normaliser.feature_mean, run.normaliser.feature_mean)
    np.testing.assert_array_equal(loaded.predict(data.test.x), run.predict(data.test.x))
    assert loaded.history == run.history


def test_shared_cell_run_round_trips(tmp_path):
    config = SMALL.replace(share_cell=True, layer_num=3, epochs=1, time_step=8)
    data = prepare_data(sine_frame(200), config)
    run = train_network(data)
    save_run(run, tmp_path)
    loaded = load_run(tmp_path)
    assert loaded.model.count_params() == run.model.count_params()
    np.testing.assert_allclose(loaded.predict(data.test.x), run.predict(data.test.x), atol=1e-6)


@pytest.mark.slow  # trains tens of epochs
def test_run_archive_is_a_zip_with_model_and_json(sine_run):
    import io
    import zipfile

    _, run, _ = sine_run
    names = zipfile.ZipFile(io.BytesIO(run_archive(run))).namelist()
    assert sorted(names) == ["model.keras", "run.json"]


@pytest.mark.slow  # trains tens of epochs
def test_change_target_mode_beats_persistence_on_a_learnable_series():
    config = SMALL.replace(target_as="change", epochs=25)
    data = prepare_data(sine_frame(700), config)
    evaluation = evaluate(train_network(data), data)
    assert evaluation.metrics.loc["model", "Skill"] > 0.2
    test = evaluation.split("test")
    # Predictions are prices again, near the actual level (not moves around zero).
    assert abs(test["predicted"].mean() - test["actual"].mean()) < 2.0


def test_stop_acts_within_one_batch_and_progress_reports_every_batch():
    config = SMALL.replace(epochs=50, batch_size=8)
    data = prepare_data(sine_frame(400), config)

    class Flag:  # any object with is_set() will do (threading.Event, multiprocessing.Event, ...)
        def __init__(self):
            self.on = False

        def is_set(self):
            return self.on

    stop = Flag()
    reports: list[Progress] = []

    def listener(progress):
        reports.append(progress)
        if progress.epoch == 1 and progress.batch == 3:
            stop.on = True

    run = train_network(data, listener=listener, stop=stop)
    assert run.stopped_reason == "user_stop"
    epoch_one = [p.batch for p in reports if p.epoch == 1 and not p.finished and not p.history]
    # Batch 4 was already running when the flag went up after batch 3; none after it.
    assert epoch_one == [0, 1, 2, 3, 4] and reports[0].batches > 10
    assert len(run.history) == 1 and run.best_epoch == 1


@pytest.mark.slow  # Keras' fit traces for seconds
def test_the_plain_path_trains_and_leaves_the_fused_layer_on():
    from model.engine.fused_lstm import FusedLSTM

    config = SMALL.replace(epochs=2, time_step=10, rnn_unit=4)
    data = prepare_data(sine_frame(200), config)
    reports: list[Progress] = []
    run = train_network(data, listener=reports.append, path="plain")
    assert run.provenance["path"] == "plain" and run.provenance["kernel"] == "Keras loop"
    assert len(run.history) == 2 and all(np.isfinite(h["loss"]) for h in run.history)
    assert any(0 < p.batch for p in reports)
    lstms = [layer for layer in run.model.layers if isinstance(layer, FusedLSTM)]
    assert lstms and all(layer.use_fused for layer in lstms)


def test_unknown_training_path_is_refused():
    config = SMALL.replace(epochs=1, time_step=10)
    with pytest.raises(ValueError, match="path must be one of"):
        train_network(prepare_data(sine_frame(200), config), path="gpu")


def test_a_stop_raised_as_an_epoch_ends_trains_no_batch_of_the_next_epoch():
    """A listener that stops on an epoch's loss (as sweep pruning does) ends training at once."""
    config = SMALL.replace(epochs=20, batch_size=8, patience=0)
    data = prepare_data(sine_frame(400), config)
    stop = threading.Event()
    reports: list[Progress] = []

    def listener(progress):
        reports.append(progress)
        if len(progress.history) == 2:
            stop.set()

    run = train_network(data, listener=listener, stop=stop)
    assert run.stopped_reason == "user_stop" and len(run.history) == 2
    assert not [p for p in reports if p.epoch == 3 and p.batch > 0]


@pytest.mark.parametrize("kernel", ["native", "block"])
def test_the_engine_path_follows_the_measured_crossover(kernel, monkeypatch):
    from model.engine import fused_lstm
    from model.engine.choice import FUSED_MAX_UNITS, choose_path

    monkeypatch.setattr(fused_lstm, "best_fused_kernel", lambda: kernel)
    limit = FUSED_MAX_UNITS[kernel]
    assert choose_path(SMALL.replace(rnn_unit=10)) == "fused"
    assert choose_path(SMALL.replace(rnn_unit=limit)) == "fused"
    if kernel == "block":
        assert choose_path(SMALL.replace(rnn_unit=limit + 1, layer_num=3)) == "plain"
    else:  # the native kernel was measured faster up to the knob's largest value
        assert limit == LIMITS["rnn_unit"][1]


def test_the_native_kernel_is_what_the_engine_trains_with_here():
    """make test builds the native kernel; the engine's default must then be using it."""
    from model import native
    from model.engine.fused_lstm import best_fused_kernel as fused_kernel

    if native.compiler() is None:
        pytest.skip("no C++ compiler: the engine uses BlockLSTM here")
    assert fused_kernel() == "native", native.status()


def test_native_and_blocklstm_paths_train_alike():
    """Same data, seed and weights: the two fused kernels give the same losses, epoch by epoch."""
    config = SMALL.replace(epochs=3, time_step=12, rnn_unit=6, patience=0)
    data = prepare_data(sine_frame(300), config)
    native_run = train_network(data, path="fused")
    block_run = train_network(data, path="fused", kernel="block")
    assert (
        block_run.provenance["kernel"] == "BlockLSTM" and "asked for" in block_run.provenance["kernel_reason"]
    )
    for a, b in zip(native_run.history, block_run.history, strict=True):
        assert a["loss"] == pytest.approx(b["loss"], rel=1e-3)
        assert a["val_loss"] == pytest.approx(b["val_loss"], rel=1e-3)
    assert native_run.history[-1]["loss"] < native_run.history[0]["loss"]
