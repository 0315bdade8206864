"""Train the stacked LSTM: one ``fit`` for all epochs, reporting through a listener.

Speed notes (measured in ``make bench`` on a 2-core CPU): XLA (``jit_compile=True``) plus
``steps_per_execution`` and a prefetched tf.data pipeline trains the tutorial's small model
several times faster than Keras' plain ``compile()``, but XLA loses on large models, so
``choose_jit`` decides by size.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from model.config import LstmConfig
from model.errors import TrainingError
from model.windows import Normaliser, PreparedData

# Above this many LSTM multiply-adds per step, XLA's compile time and its weaker fused LSTM
# kernels cost more than they save on CPU (the benchmark measures both sides).
XLA_MAX_UNITS = 64
# Batches per compiled call. Measured on the sample data: more than 1 made XLA compile a
# loop of steps (seconds longer to the first epoch) and a second function for the epoch's
# remainder, for no steady-state gain on these small models. 1 also lets the stop flag act
# after every batch.
STEPS_PER_EXECUTION = 1


@dataclass(frozen=True)
class Progress:
    """One report from training, cheap to copy to another thread."""

    epoch: int  # 1-based, the epoch in progress or just finished
    epochs: int
    batch: int  # batches done in this epoch
    batches: int  # batches per epoch
    loss: float | None  # latest training loss (normalised units)
    elapsed: float  # seconds since fit started
    history: tuple[dict[str, float], ...] = ()  # one dict per finished epoch: loss, val_loss
    finished: bool = False
    message: str = ""

    @property
    def fraction(self) -> float:
        done = (self.epoch - 1) * self.batches + self.batch
        return min(1.0, done / max(1, self.epochs * self.batches))

    @property
    def eta(self) -> float | None:
        """Seconds left if all epochs run (early stopping may end sooner)."""
        frac = self.fraction
        if frac <= 0 or self.elapsed <= 0:
            return None
        return self.elapsed * (1 - frac) / frac


class TrainingListener(Protocol):
    def __call__(self, progress: Progress) -> None: ...


@dataclass
class TrainedRun:
    """A trained network with everything needed to predict in price units, save and load it."""

    model: Any
    config: LstmConfig
    normaliser: Normaliser
    history: list[dict[str, float]] = field(default_factory=list)
    stopped_reason: str = "completed"  # completed | early_stopping | user_stop
    best_epoch: int | None = None
    seconds: float = 0.0
    _predict_fn: Callable | None = field(default=None, repr=False)

    def predict(self, x: np.ndarray, chunk: int = 4096) -> np.ndarray:
        """Normalised predictions [n, time_step, 1] for normalised windows x [n, time_step, input_size].

        Uses one compiled tf.function (retraced only for new batch sizes) rather than
        ``model.predict`` or eager ``model(x)``, which cost tens to hundreds of ms per call.
        """
        import tensorflow as tf

        if self._predict_fn is None:
            model = self.model
            self._predict_fn = tf.function(lambda t: model(t, training=False), reduce_retracing=True)
        x = np.asarray(x, dtype=np.float32)
        if len(x) == 0:
            return np.empty((0, self.config.time_step, 1), dtype=np.float32)
        parts = [self._predict_fn(tf.constant(x[i : i + chunk])).numpy() for i in range(0, len(x), chunk)]
        return np.concatenate(parts, axis=0)


def choose_jit(config: LstmConfig) -> bool:
    return config.rnn_unit * (1 if config.share_cell else config.layer_num) <= XLA_MAX_UNITS


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool, seed: int):
    """A prefetched tf.data pipeline over in-memory windows.

    Every batch has the same shape: a ragged last batch would make XLA compile the whole
    training step a second time (seconds). When shuffling, the few windows dropped from the
    end differ every epoch, so none is left out for good.
    """
    import tensorflow as tf

    batch_size = min(batch_size, len(x))
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


def compile_network(model, config: LstmConfig, *, fast: bool = True) -> None:
    """Adam + MSE over every output step. ``fast=False`` is Keras' plain compile (the benchmark's baseline)."""
    import keras

    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
    if not fast:
        model.compile(optimizer=optimizer, loss="mse")
        return
    model.compile(
        optimizer=optimizer,
        loss="mse",
        jit_compile=choose_jit(config),
        steps_per_execution=STEPS_PER_EXECUTION,
    )


def _engine_callback(config, listener, stop, batches, val_available):
    """Progress, cooperative stop, NaN guard and early stopping with best weights, in one place.

    Keras' own EarlyStopping only restores the best weights when patience runs out; we want
    them restored on a user stop and at the end of all epochs too.
    """
    import keras

    class EngineCallback(keras.callbacks.Callback):
        def __init__(self):
            super().__init__()
            self.start = time.perf_counter()
            self.history: list[dict[str, float]] = []
            self.epoch = 0
            self.best = math.inf
            self.best_weights = None
            self.best_epoch: int | None = None
            self.wait = 0
            self.reason = "completed"
            self.nan_message: str | None = None

        def report(self, batch, loss, finished=False, message=""):
            if listener is not None:
                listener(
                    Progress(
                        epoch=self.epoch + 1,
                        epochs=config.epochs,
                        batch=batch,
                        batches=batches,
                        loss=loss,
                        elapsed=time.perf_counter() - self.start,
                        history=tuple(self.history),
                        finished=finished,
                        message=message,
                    )
                )

        def on_epoch_begin(self, epoch, logs=None):
            self.epoch = epoch
            self.report(0, None)

        def on_train_batch_end(self, batch, logs=None):
            loss = float(logs["loss"]) if logs and "loss" in logs else None
            if loss is not None and not math.isfinite(loss):
                self.nan_message = (
                    f"Training stopped: the loss became {loss} in epoch {self.epoch + 1}. "
                    "Lower the learning rate or check the data for extreme values."
                )
                self.model.stop_training = True
                return
            if stop is not None and stop.is_set():
                self.reason = "user_stop"
                self.model.stop_training = True
            self.report(min(batch + 1, batches), loss)

        def on_epoch_end(self, epoch, logs=None):
            logs = logs or {}
            if self.nan_message is not None:
                return
            entry = {k: float(v) for k, v in logs.items() if k in ("loss", "val_loss")}
            if any(not math.isfinite(v) for v in entry.values()):
                self.nan_message = f"Training stopped: a loss became NaN or infinite in epoch {epoch + 1}."
                self.model.stop_training = True
                return
            self.history.append(entry)
            monitor = entry.get("val_loss", entry.get("loss")) if val_available else entry.get("loss")
            if monitor is not None and monitor < self.best:
                self.best, self.best_epoch, self.wait = monitor, epoch + 1, 0
                self.best_weights = self.model.get_weights()
            else:
                self.wait += 1
                if config.patience > 0 and self.wait >= config.patience and self.reason == "completed":
                    self.reason = "early_stopping"
                    self.model.stop_training = True
            self.report(batches, entry.get("loss"))

        def on_train_end(self, logs=None):
            if self.best_weights is not None:
                self.model.set_weights(self.best_weights)

    return EngineCallback()


def train_network(
    data: PreparedData,
    *,
    listener: TrainingListener | None = None,
    stop: threading.Event | None = None,
    model=None,
    fast: bool = True,
) -> TrainedRun:
    """Fit the network on ``data.train`` (validation on ``data.val``) and return the trained run.

    ``stop`` is a cooperative flag: set it from any thread and training ends after the
    current execution step, keeping the best weights seen so far. A NaN loss raises
    TrainingError. ``fast=False`` uses Keras' plain compile (for the benchmark's comparison).
    """
    from model.network import build_network

    config = data.config
    # No keras.utils.set_random_seed here: it is process-wide. Weights are seeded in
    # build_network, shuffling by the dataset's own seed.
    if model is None:
        model = build_network(config)
    batches = max(1, len(data.train) // min(config.batch_size, len(data.train)))
    compile_network(model, config, fast=fast)
    train_ds = make_dataset(data.train.x, data.train.y, config.batch_size, shuffle=True, seed=config.seed)
    val_ds = None
    if len(data.val):
        # One batch holding the whole validation split: one more compiled shape, not two.
        val_ds = make_dataset(data.val.x, data.val.y, len(data.val), shuffle=False, seed=config.seed)
    callback = _engine_callback(config, listener, stop, batches, val_ds is not None)
    started = time.perf_counter()
    model.fit(
        train_ds, validation_data=val_ds, epochs=config.epochs, callbacks=[callback], verbose=0, shuffle=False
    )
    seconds = time.perf_counter() - started
    if callback.nan_message is not None:
        raise TrainingError(callback.nan_message)
    # A stop inside the first epoch keeps the weights as they are: "the model trained so far".
    run = TrainedRun(
        model=model,
        config=config,
        normaliser=data.normaliser,
        history=callback.history,
        stopped_reason=callback.reason,
        best_epoch=callback.best_epoch,
        seconds=seconds,
    )
    if listener is not None:
        listener(
            Progress(
                epoch=len(callback.history),
                epochs=config.epochs,
                batch=batches,
                batches=batches,
                loss=callback.history[-1].get("loss") if callback.history else None,
                elapsed=seconds,
                history=tuple(callback.history),
                finished=True,
                message=describe_stop(run),
            )
        )
    return run


def describe_stop(run: TrainedRun) -> str:
    epochs = len(run.history)
    best = f"best epoch {run.best_epoch}" if run.best_epoch else "weights as they were (no epoch had finished)"
    if run.stopped_reason == "user_stop":
        return f"Stopped by you after {epochs} epoch(s); kept the {best}."
    if run.stopped_reason == "early_stopping":
        return f"Early stopping after {epochs} epoch(s): validation loss stopped improving; kept the {best}."
    return f"Finished {epochs} epoch(s) in {run.seconds:.1f} s; kept the {best}."
