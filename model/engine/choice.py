"""Which path and LSTM kernel train a network on this machine, and the provenance a run keeps of it.

A GPU that TensorFlow sees wins (Keras' LSTM on cuDNN: the fused ops are CPU-only); on a CPU the
fused path with the best fused kernel available (``model.engine.fused_lstm.best_fused_kernel``),
unless rnn_unit is above that kernel's limit. Every choice carries its reason, so a run can say
why it did not train with the native kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from model.engine.config import LIMITS, LstmConfig

# Largest rnn_unit trained by the fused path, per fused kernel; above it Keras' plain loop is as
# fast or faster (``make bench`` measures the crossover). The native kernel beats Keras' loop up
# to the knob's limit; BlockLSTM stops winning above 48 units.
FUSED_MAX_UNITS = {"native": int(LIMITS["rnn_unit"][1]), "block": 48}

TRAINING_PATHS = ("fused", "plain")
# What provenance calls each kernel.
KERNEL_NAMES = {"native": "native", "block": "BlockLSTM", "loop": "Keras loop", "cudnn": "Keras LSTM (cuDNN)"}


def gpu_devices() -> list[str]:
    """The GPUs TensorFlow sees in this process (names like "/physical_device:GPU:0")."""
    import tensorflow as tf

    return [device.name for device in tf.config.list_physical_devices("GPU")]


@dataclass(frozen=True)
class TrainingChoice:
    """How a network is trained here: the path, the LSTM kernel, why that kernel, and the device."""

    path: str  # one of TRAINING_PATHS
    kernel: str  # a key of KERNEL_NAMES
    reason: str  # why this kernel (above all: why not the native one)
    device: str  # "CPU" or the GPU's device name
    fused_kernel: str | None = None  # the fused path's kernel forced by the caller (None: best available)


def choose_training(
    config: LstmConfig, *, path: str | None = None, kernel: str | None = None
) -> TrainingChoice:
    """The path and kernel for this network: ``path``/``kernel`` when given, else the engine's choice.

    A GPU that TensorFlow sees wins: Keras' LSTM on cuDNN (the fused ops are CPU-only). On a CPU
    the fused path with the best fused kernel, unless rnn_unit is above that kernel's limit.
    """
    from model import native
    from model.engine import fused_lstm

    if path is not None and path not in TRAINING_PATHS:
        raise ValueError(f"path must be one of {TRAINING_PATHS}, got {path!r}")
    if kernel is not None and kernel not in fused_lstm.FUSED_KERNELS:
        raise ValueError(f"kernel must be one of {fused_lstm.FUSED_KERNELS}, got {kernel!r}")
    gpus = gpu_devices()
    if path is None and gpus:
        return TrainingChoice(
            "plain",
            "cudnn",
            "TensorFlow sees a GPU: Keras' LSTM runs cuDNN on it (LSTM Lens' fused kernels are CPU-only)",
            gpus[0],
        )
    best = kernel or fused_lstm.best_fused_kernel()
    why_not_native = native.status() if best == "block" and kernel is None else ""
    if path is None:
        if config.rnn_unit > FUSED_MAX_UNITS[best]:
            reason = (
                f"rnn_unit {config.rnn_unit} is above BlockLSTM's limit ({FUSED_MAX_UNITS[best]}), "
                f"where Keras' loop is faster; {why_not_native}"
            )
            return TrainingChoice("plain", "loop", reason, "CPU")
        path = "fused"
    if path == "plain":
        if gpus:
            return TrainingChoice(
                "plain", "cudnn", "the plain path was asked for; Keras' LSTM runs cuDNN on the GPU", gpus[0]
            )
        return TrainingChoice("plain", "loop", "the plain path (Keras' own loop) was asked for", "CPU")
    if kernel is not None:
        reason = f"the {KERNEL_NAMES[kernel]} kernel was asked for"
    elif best == "native":
        reason = native.status()
    else:
        reason = f"fell back to BlockLSTM: {why_not_native}"
    return TrainingChoice("fused", best, reason, "CPU", fused_kernel=kernel)


def choose_path(config: LstmConfig) -> str:
    """The engine's training path for this network on this machine (one of TRAINING_PATHS)."""
    return choose_training(config).path


def training_provenance(choice: TrainingChoice) -> dict[str, Any]:
    """What a run stores about how it was trained (JSON-ready)."""
    import os

    import tensorflow as tf

    return {
        "path": choice.path,
        "kernel": KERNEL_NAMES[choice.kernel],
        "kernel_reason": choice.reason,
        "tensorflow": tf.__version__,
        # 0 means TensorFlow's default: as many threads as cores.
        "threads": {
            "intra_op": tf.config.threading.get_intra_op_parallelism_threads(),
            "inter_op": tf.config.threading.get_inter_op_parallelism_threads(),
            "cpus": os.cpu_count(),
        },
        "device": choice.device,
    }
