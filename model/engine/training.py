"""Train the stacked LSTM, reporting through a listener.

The engine's training paths (``train_network(..., path=...)``; the default is chosen by
``choose_training`` for this network and this machine):

* ``"fused"`` (the default on a CPU): every LSTM layer runs as ONE op over the whole sequence
  (``model.engine.fused_lstm.FusedLSTM``): LSTM Lens' native kernel (``model.native``) when it is
  built, else TensorFlow's ``BlockLSTM``; inside a plain ``tf.function`` train step (forward,
  gradient, Adam) that this module calls once per batch. No XLA: tracing takes a fraction of a
  second where XLA compiles for seconds before the first epoch can finish. Our own loop rather
  than ``fit``, because Keras' per-step machinery (callbacks, metrics, data adapter) is a large
  share of a step at the tutorial's size.
* ``"plain"``: Keras' ``compile()`` and ``fit`` over Keras' own LSTM (the fused op off). On a CPU
  it is the fallback above ``FUSED_MAX_UNITS`` for BlockLSTM (Keras' loop runs its larger matrix
  products through oneDNN on every core) and ``fast=False``'s baseline. Where TensorFlow sees a
  GPU it is the default: Keras' LSTM runs cuDNN there, while both fused ops are CPU-only and
  would copy every batch to the host and back.

``make bench`` (scripts/bench.py) times these paths against benchmark-only variants (BlockLSTM
forced, the fused layer under ``fit``, XLA) and PyTorch; the README's Speed section has figures.
Every ``TrainedRun`` carries its ``provenance``: path, kernel and why, TensorFlow, threads, device.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Protocol

import numpy as np

from model.engine.choice import TRAINING_PATHS, choose_training, training_provenance
from model.engine.config import LstmConfig
from model.engine.windows import Normaliser, PreparedData
from model.errors import TrainingError


class StopFlag(Protocol):
    """Anything with ``is_set()`` (a threading.Event, the run store's stop flag)."""

    def is_set(self) -> bool: ...


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


# Networks of up to this many weights keep a copy of them after every epoch (the Explainer's
# training replay; 2,000 float32 weights x 100 epochs is 0.8 MB before compression).
SNAPSHOT_MAX_PARAMS = 2_000


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
    # How it was trained (``training_provenance``): path, kernel and why, TensorFlow, threads, device.
    provenance: dict[str, Any] = field(default_factory=dict)
    # The weights after each epoch (``model.get_weights()`` order), for networks up to SNAPSHOT_MAX_PARAMS.
    snapshots: list[list[np.ndarray]] = field(default_factory=list, repr=False)
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


def set_fused(model, on: bool, kernel: str | None = None) -> None:
    """Switch every FusedLSTM in ``model`` between a fused op and Keras' own loop.

    ``kernel``: one of ``FUSED_KERNELS``, or None for the best available (native when built).
    """
    from model.engine.fused_lstm import FUSED_KERNELS, FusedLSTM

    if kernel is not None and kernel not in FUSED_KERNELS:
        raise ValueError(f"kernel must be one of {FUSED_KERNELS}, got {kernel!r}")
    for layer in model.layers:
        if isinstance(layer, FusedLSTM):
            layer.use_fused = on
            layer.kernel_choice = kernel


def make_dataset(x: np.ndarray, y: np.ndarray, batch_size: int, *, shuffle: bool, seed: int):
    """A prefetched tf.data pipeline over in-memory windows (the fit loop).

    Every batch has the same shape, as in the fused loop (and a ragged last batch would make a
    compiled step retrace). When shuffling, the few windows dropped from the
    end differ every epoch, so none is left out for good.
    """
    import tensorflow as tf

    batch_size = min(batch_size, len(x))
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    if shuffle:
        ds = ds.shuffle(len(x), seed=seed, reshuffle_each_iteration=True)
    return ds.batch(batch_size, drop_remainder=shuffle).prefetch(tf.data.AUTOTUNE)


def compile_network(model, config: LstmConfig, *, path: str = "fused", kernel: str | None = None) -> None:
    """Adam + MSE over every output step, compiled for ``path`` (one of TRAINING_PATHS).

    The fused path trains in its own loop but compiles too, so the model carries its optimizer
    and loss into a saved file exactly as the fit path does. ``kernel``: the fused path's kernel
    (None: the best available).
    """
    import keras

    if path not in TRAINING_PATHS:
        raise ValueError(f"path must be one of {TRAINING_PATHS}, got {path!r}")
    optimizer = keras.optimizers.Adam(learning_rate=config.learning_rate)
    if path == "plain":
        set_fused(model, False)
        model.compile(optimizer=optimizer, loss="mse")
        return
    set_fused(model, True, kernel)
    model.compile(optimizer=optimizer, loss="mse", jit_compile=False)


class _Bookkeeper:
    """Progress, cooperative stop, NaN guard and early stopping with best weights, in one place.

    Shared by the fused loop and the Keras callback of the fit paths, so both behave alike.
    Keras' own EarlyStopping only restores the best weights when patience runs out; we want
    them restored on a user stop and at the end of all epochs too.
    """

    def __init__(self, model, config, listener, stop, batches, val_available):
        self.model, self.config, self.listener, self.stop = model, config, listener, stop
        self.batches, self.val_available = batches, val_available
        self.start = time.perf_counter()
        self.history: list[dict[str, float]] = []
        self.epoch = 0
        self.best = math.inf
        self.best_weights = None
        self.best_epoch: int | None = None
        self.wait = 0
        self.reason = "completed"
        self.nan_message: str | None = None
        self.stop_training = False
        self.snapshots: list[list[np.ndarray]] = []
        self.keep_snapshots = int(model.count_params()) <= SNAPSHOT_MAX_PARAMS

    def report(self, batch, loss, finished=False, message=""):
        if self.listener is not None:
            self.listener(
                Progress(
                    epoch=self.epoch + 1,
                    epochs=self.config.epochs,
                    batch=batch,
                    batches=self.batches,
                    loss=loss,
                    elapsed=time.perf_counter() - self.start,
                    history=tuple(self.history),
                    finished=finished,
                    message=message,
                )
            )

    def epoch_begin(self, epoch):
        self.epoch = epoch
        self.report(0, None)

    def batch_end(self, batch, loss):
        """After batch ``batch`` (0-based) with running loss ``loss``; sets ``stop_training``."""
        if loss is not None and not math.isfinite(loss):
            self.nan_message = (
                f"Training stopped: the loss became {loss} in epoch {self.epoch + 1}. "
                "Lower the learning rate or check the data for extreme values."
            )
            self.stop_training = True
            return
        if self.stop is not None and self.stop.is_set():
            self.reason = "user_stop"
            self.stop_training = True
        self.report(min(batch + 1, self.batches), loss)

    def epoch_end(self, epoch, logs):
        logs = logs or {}
        if self.nan_message is not None:
            return
        entry = {k: float(v) for k, v in logs.items() if k in ("loss", "val_loss")}
        if any(not math.isfinite(v) for v in entry.values()):
            self.nan_message = f"Training stopped: a loss became NaN or infinite in epoch {epoch + 1}."
            self.stop_training = True
            return
        self.history.append(entry)
        if self.keep_snapshots:
            self.snapshots.append(self.model.get_weights())
        monitor = entry.get("val_loss", entry.get("loss")) if self.val_available else entry.get("loss")
        if monitor is not None and monitor < self.best:
            self.best, self.best_epoch, self.wait = monitor, epoch + 1, 0
            self.best_weights = self.model.get_weights()
        else:
            self.wait += 1
            if self.config.patience > 0 and self.wait >= self.config.patience and self.reason == "completed":
                self.reason = "early_stopping"
                self.stop_training = True
        self.report(self.batches, entry.get("loss"))
        # A stop asked for while this epoch ended (a listener that prunes on the epoch's loss)
        # ends training here, not after one more batch of the next epoch.
        if not self.stop_training and self.stop is not None and self.stop.is_set():
            self.reason = "user_stop"
            self.stop_training = True

    def train_end(self):
        if self.best_weights is not None:
            self.model.set_weights(self.best_weights)


def _keras_callback(book: _Bookkeeper):
    """The bookkeeper as a Keras callback, for the fit paths."""
    import keras

    class EngineCallback(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            book.epoch_begin(epoch)

        def on_train_batch_end(self, batch, logs=None):
            book.batch_end(batch, float(logs["loss"]) if logs and "loss" in logs else None)
            self.model.stop_training = book.stop_training

        def on_epoch_end(self, epoch, logs=None):
            book.epoch_end(epoch, logs)
            self.model.stop_training = book.stop_training

        def on_train_end(self, logs=None):
            book.train_end()

    return EngineCallback()


def fit_loop(model, data: PreparedData, book: _Bookkeeper) -> None:
    """The plain path's loop: Keras' fit over a tf.data pipeline, on the model as compiled."""
    config = data.config
    train_ds = make_dataset(data.train.x, data.train.y, config.batch_size, shuffle=True, seed=config.seed)
    val_ds = None
    if len(data.val):
        # One batch holding the whole validation split: one more compiled shape, not two.
        val_ds = make_dataset(data.val.x, data.val.y, len(data.val), shuffle=False, seed=config.seed)
    model.fit(
        train_ds,
        validation_data=val_ds,
        epochs=config.epochs,
        callbacks=[_keras_callback(book)],
        verbose=0,
        shuffle=False,
    )


def fused_loop(model, data: PreparedData, book: _Bookkeeper) -> None:
    """The fused path: one plain tf.function per training step, called batch by batch.

    Matches what ``fit`` does on the other paths: windows reshuffled every epoch (seeded by
    ``config.seed``), full batches only (the few windows left over differ every epoch), the
    reported loss is the running mean of the epoch's batch losses, validation is one pass over
    the whole validation split after each epoch, and a stop or NaN ends the epoch after the
    current batch (the partial epoch is still validated and recorded, as fit does).
    """
    import tensorflow as tf

    config = data.config
    n = len(data.train)
    batch_size = min(config.batch_size, n)
    x_train, y_train = tf.constant(data.train.x), tf.constant(data.train.y)
    variables = model.trainable_variables
    optimizer = model.optimizer
    optimizer.build(variables)

    # The whole training split lives in TensorFlow once; a step gathers its batch by index,
    # so no window is copied through Python per batch. The batch size is fixed, so each
    # function is traced once.
    @tf.function(jit_compile=False)
    def train_step(indices):
        x, y = tf.gather(x_train, indices), tf.gather(y_train, indices)
        with tf.GradientTape() as tape:
            loss = tf.reduce_mean(tf.square(model(x, training=True) - y))
        optimizer.apply(tape.gradient(loss, variables), variables)
        return loss

    val_loss_fn = None
    if len(data.val):
        x_val, y_val = tf.constant(data.val.x), tf.constant(data.val.y)

        @tf.function(jit_compile=False)
        def val_loss_fn():
            return tf.reduce_mean(tf.square(model(x_val, training=False) - y_val))

    rng = np.random.default_rng(config.seed)
    for epoch in range(config.epochs):
        book.epoch_begin(epoch)
        order = rng.permutation(n).astype(np.int32)
        total = 0.0
        done = 0
        for batch in range(book.batches):
            loss = float(train_step(order[batch * batch_size : (batch + 1) * batch_size]))
            total += loss
            done += 1
            book.batch_end(batch, total / done)
            if book.stop_training:
                break
        logs = {"loss": total / max(done, 1)}
        if val_loss_fn is not None:
            logs["val_loss"] = float(val_loss_fn())
        book.epoch_end(epoch, logs)
        if book.stop_training:
            break
    book.train_end()


def train_network(
    data: PreparedData,
    *,
    listener: TrainingListener | None = None,
    stop: StopFlag | None = None,
    model=None,
    fast: bool = True,
    path: str | None = None,
    kernel: str | None = None,
) -> TrainedRun:
    """Fit the network on ``data.train`` (validation on ``data.val``) and return the trained run.

    ``stop`` is a cooperative flag (anything with ``is_set()``): set it from any thread and
    training ends after the current batch, keeping the best weights seen so far. A NaN loss
    raises TrainingError. ``path`` picks the training path (TRAINING_PATHS; default
    ``choose_training``); ``fast=False`` means ``path="plain"``. ``kernel`` forces the fused
    path's kernel ("native" or "block"; default the best available).
    """
    from model.engine.network import build_network

    config = data.config
    choice = choose_training(config, path=path if fast else "plain", kernel=kernel)
    # No keras.utils.set_random_seed here: it is process-wide. Weights are seeded in
    # build_network, shuffling by config.seed.
    if model is None:
        model = build_network(config)
    compile_network(model, config, path=choice.path, kernel=choice.fused_kernel)
    loop = fused_loop if choice.path == "fused" else fit_loop
    return run_training(
        model, data, loop, listener=listener, stop=stop, provenance=training_provenance(choice)
    )


TrainingLoop = Callable[[Any, PreparedData, _Bookkeeper], None]


def run_training(
    model,
    data: PreparedData,
    loop: TrainingLoop,
    *,
    listener: TrainingListener | None = None,
    stop: StopFlag | None = None,
    provenance: dict[str, Any] | None = None,
) -> TrainedRun:
    """Train a compiled ``model`` with ``loop`` (``fused_loop`` or ``fit_loop``) under the engine's
    bookkeeping (progress, stop, NaN guard, early stopping with best weights) and return the run.

    ``train_network`` is the engine's way in; ``make bench`` calls this for its own variants.
    """
    config = data.config
    batches = max(1, len(data.train) // min(config.batch_size, len(data.train)))
    book = _Bookkeeper(model, config, listener, stop, batches, len(data.val) > 0)
    started = time.perf_counter()
    try:
        loop(model, data, book)
    finally:
        # The plain path switched the fused op off for its own loop; predictions and the shape
        # trace on the returned model use the fused op again.
        set_fused(model, True)
    seconds = time.perf_counter() - started
    if book.nan_message is not None:
        raise TrainingError(book.nan_message)
    # A stop inside the first epoch keeps the weights as they are: "the model trained so far".
    run = TrainedRun(
        model=model,
        config=config,
        normaliser=data.normaliser,
        history=book.history,
        stopped_reason=book.reason,
        best_epoch=book.best_epoch,
        seconds=seconds,
        provenance=dict(provenance or {}),
        snapshots=book.snapshots,
    )
    if listener is not None:
        listener(
            Progress(
                epoch=len(book.history),
                epochs=config.epochs,
                batch=batches,
                batches=batches,
                loss=book.history[-1].get("loss") if book.history else None,
                elapsed=seconds,
                history=tuple(book.history),
                finished=True,
                message=describe_stop(run),
            )
        )
    return run


def describe_stop(run: TrainedRun) -> str:
    """How ``run``'s training ended, in one sentence (``model.engine.stops``)."""
    from model.engine import stops

    return stops.describe_stop(run.stopped_reason, len(run.history), run.best_epoch, run.seconds)
