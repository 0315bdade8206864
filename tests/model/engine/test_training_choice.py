"""Which path and kernel train a network here, and the provenance a run keeps of it.

There is no GPU on the test machine: the device list TensorFlow reports is simulated.
"""

import pytest

from model.engine import choice as choosing
from model.engine import fused_lstm, training
from model.engine.config import LstmConfig
from model.engine.stops import describe_stop
from model.engine.windows import prepare_data
from tests.model.factories import sine_frame

TINY = LstmConfig(
    rnn_unit=4, layer_num=1, time_step=10, features=("close",), epochs=1, batch_size=16, patience=0
)


@pytest.fixture
def a_gpu(monkeypatch):
    monkeypatch.setattr(choosing, "gpu_devices", lambda: ["/physical_device:GPU:0"])


@pytest.fixture
def no_gpu(monkeypatch):
    monkeypatch.setattr(choosing, "gpu_devices", lambda: [])


def test_a_gpu_means_keras_lstm_on_cudnn_at_every_size(a_gpu):
    for units in (4, 48, 256):
        choice = choosing.choose_training(TINY.replace(rnn_unit=units))
        assert (choice.path, choice.kernel, choice.device) == ("plain", "cudnn", "/physical_device:GPU:0")
        assert "GPU" in choice.reason and "cuDNN" in choice.reason


@pytest.mark.slow  # Keras' fit traces for seconds
def test_a_gpu_run_says_so_in_its_provenance(a_gpu):
    """On the simulated GPU the plain path runs (on the CPU here) and the run records the GPU path."""
    run = training.train_network(prepare_data(sine_frame(120), TINY))
    prov = run.provenance
    assert prov["path"] == "plain" and prov["kernel"] == "Keras LSTM (cuDNN)"
    assert prov["device"] == "/physical_device:GPU:0" and "GPU" in prov["kernel_reason"]
    layers = [layer for layer in run.model.layers if isinstance(layer, fused_lstm.FusedLSTM)]
    assert layers and all(layer.use_fused for layer in layers)  # switched back on for predictions


def test_without_a_gpu_the_fused_path_and_why_not_native(no_gpu, monkeypatch):
    monkeypatch.setattr(fused_lstm, "best_fused_kernel", lambda: "block")
    small = choosing.choose_training(TINY)
    assert (small.path, small.kernel, small.device) == ("fused", "block", "CPU")
    assert small.reason.startswith("fell back to BlockLSTM: native kernel")
    large = choosing.choose_training(TINY.replace(rnn_unit=choosing.FUSED_MAX_UNITS["block"] + 1))
    assert (large.path, large.kernel) == ("plain", "loop")
    assert "above BlockLSTM's limit" in large.reason


def test_the_native_kernel_is_chosen_and_named_when_built(no_gpu, monkeypatch):
    monkeypatch.setattr(fused_lstm, "best_fused_kernel", lambda: "native")
    choice = choosing.choose_training(TINY.replace(rnn_unit=256))
    assert (choice.path, choice.kernel, choice.fused_kernel) == ("fused", "native", None)


def test_provenance_names_tensorflow_threads_and_device(no_gpu):
    import tensorflow as tf

    run = training.train_network(prepare_data(sine_frame(120), TINY))
    prov = run.provenance
    assert prov["tensorflow"] == tf.__version__
    assert set(prov["threads"]) == {"intra_op", "inter_op", "cpus"} and prov["device"] == "CPU"
    assert prov["path"] in choosing.TRAINING_PATHS and prov["kernel"] in choosing.KERNEL_NAMES.values()


def test_unknown_paths_and_kernels_are_refused():
    with pytest.raises(ValueError, match="path must be one of"):
        choosing.choose_training(TINY, path="xla")
    with pytest.raises(ValueError, match="kernel must be one of"):
        choosing.choose_training(TINY, kernel="cuda")


def test_one_sentence_for_every_way_a_training_ends():
    assert describe_stop("user_stop", 3, 2, 1.0) == "Stopped by you after 3 epoch(s); kept the best epoch 2."
    assert describe_stop("completed", 4, None, 2.25) == (
        "Finished 4 epoch(s) in 2.2 s; kept the weights as they were (no epoch had finished)."
    )
    assert describe_stop("pruned", 1, 1, None).startswith("Pruned by the sweep after 1 epoch(s)")
    assert describe_stop(None, 2, 2, 0.5) == describe_stop("completed", 2, 2, 0.5)
