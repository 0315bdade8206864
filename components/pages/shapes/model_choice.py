"""Which model and which windows the Shapes page traces, and the trace itself (cached).

The trace runs in a warm worker process (``WorkerPool.call("shape_trace")``): the server never
imports TensorFlow. It is cached with ``st.cache_resource`` (the figures drawn from it are kept on
the same object) by content: the architecture, a hash of the windows and which weights (a stored
run's (id, created), or the seed of fresh ones, which fixes them). Training a model, loading other
prices or moving a knob changes the key; moving between steps or panels does not.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import streamlit as st

from components.session import memory
from model.data import PriceTable
from model.engine.config import LstmConfig
from model.engine.windows import Normaliser, make_windows, training_normaliser
from model.errors import DataError, LensError
from model.explain.cache import architecture_key, fingerprint
from model.runs import files

# The entry the page shows (what the user sees, for the panels and the tests; not a cache).
SHOWN_TRACE = "shape_shown_trace"
GATE_T_WIDGET = "shape_gate_t_slider"  # time step (0-based) of the gate panel (a remembered widget)
# Most values (batch * time_step * rnn_unit * layer_num) a trace may hold: the trace keeps every
# layer's input and output, and the model's own pass runs alongside (~0.5 GB at this size).
TRACE_BUDGET = 32_000_000
# Most multiply-adds of one pass (the trace runs two: step by step and model(x)): about a second
# on a small CPU, so an extreme setting cannot stall the page.
TRACE_MACS = 8_000_000_000


@dataclass(frozen=True, eq=False)
class StoredModel:
    """The open run, whose model the worker traces (loaded there, never in the server)."""

    run_id: int
    created: str
    normaliser: Any  # model.engine.windows.Normaliser: the windows are normalised with it
    data_fingerprint: str  # the price table its statistics come from (model.runs.files.fingerprint)


@dataclass(frozen=True, eq=False)
class Source:
    trained: bool
    config: LstmConfig  # what the model was built with (the run's own, or the knobs' for fresh weights)
    result: StoredModel | None  # the stored run whose model is traced, or None
    label: str
    why_fresh: str | None = None


RUN, FRESH = "run", "fresh"  # what the page traces: the open run's model, or a fresh network of the knobs


def run_table(record) -> PriceTable:
    """The exact price table a stored run trained on (from the run store: whatever Data holds)."""
    from components import run_client

    return PriceTable(run_client.prices(record), record.data_description)


def choose_model(config: LstmConfig, record=None) -> Source:
    """The open run's trained model (``record``: its own config) or, without one, fresh weights of ``config``."""
    fresh = f"fresh untrained weights (seed {config.seed})"
    if record is None:
        return Source(False, config, None, fresh)
    from components import worker_jobs

    try:
        normaliser = worker_jobs.normaliser(record)
    except LensError as exc:
        return Source(False, config, None, fresh, f"Run {record.id}'s model could not be loaded ({exc}).")
    epochs = record.epochs_run
    label = f"the trained model of run {record.id} ({epochs} epoch{'s' if epochs != 1 else ''})"
    result = StoredModel(record.id, record.created.isoformat(), normaliser, record.data_fingerprint)
    return Source(True, record.lstm_config, result, label)


def check_normaliser(prices: PriceTable, source: Source) -> None:
    """Refuse to run a trained model on windows of another series than the one its statistics come
    from: normalised with another series' mean and spread, the windows mean nothing to it."""
    if not source.trained or source.result is None:
        return
    if files.fingerprint(prices.frame) != source.result.data_fingerprint:
        raise DataError(
            f"Run {source.result.run_id}'s model is not run on these windows: its normaliser holds the "
            "statistics of the prices it was trained on, and these are other prices. Trace the run on its "
            "own prices, or a fresh network on the loaded prices."
        )


@dataclass(frozen=True)
class Windows:
    x: np.ndarray  # [batch, time_step, input_size], newest window first
    real: bool
    description: str
    note: str | None
    dates: tuple[str, ...]  # the dates of window 0's steps ("" when not real)


def fresh_normaliser(prices: PriceTable, config: LstmConfig) -> tuple[Normaliser | None, str]:
    """Training-period statistics, as training computes them (a few milliseconds: not cached)."""
    frame = prices.frame
    try:
        try:
            return training_normaliser(
                frame, config
            ), "normalised with the training period's statistics, as training does"
        except (DataError, ValueError, FloatingPointError) as exc:
            features = frame.loc[:, list(config.features)].to_numpy(dtype=np.float64)
            target = frame[config.target].to_numpy(dtype=np.float64)
            if not (np.isfinite(features).all() and np.isfinite(target).all()):
                raise  # no statistics can help: the outer handler explains
            note = f"normalised with the statistics of all rows (the training period alone cannot be used: {exc})"
            return Normaliser.fit(features, target, config.features), note
    except (LensError, KeyError, ValueError) as exc:
        return None, str(exc).rstrip(".")


def trace_batch(config: LstmConfig) -> int:
    """The batch the trace runs: the knob's, unless its tensors or its arithmetic exceed the budgets."""
    t, u, layers = config.time_step, max(config.rnn_unit, config.input_size), config.layer_num
    values = t * u * layers
    macs = 8 * t * layers * u * u  # per window: [x_t, h] @ [2u, 4u] at every step of every layer
    return max(1, min(int(config.batch_size), TRACE_BUDGET // values, TRACE_MACS // macs))


def _capped_note(config: LstmConfig, batch: int) -> str | None:
    if batch >= config.batch_size:
        return None
    return (
        f"Batch size {config.batch_size:,} × time_step {config.time_step} × rnn_unit {config.rnn_unit} × "
        f"layer_num {config.layer_num} is too much to trace here, so the trace runs {batch} "
        f"window{'s' if batch != 1 else ''}: every "
        f"shape below has batch_size {batch} (training uses {config.batch_size:,})."
    )


def _join(*notes: str | None) -> str | None:
    return " ".join(n for n in notes if n) or None


def _random_windows(config: LstmConfig, batch: int, why: str) -> Windows:
    rng = np.random.default_rng(config.seed)
    x = rng.standard_normal((batch, config.time_step, config.input_size)).astype(np.float32)
    description = f"{batch} random windows (standard normal, seed {config.seed})"
    return Windows(x, False, description, _join(why, _capped_note(config, batch)), ("",) * config.time_step)


def windows_for(prices: PriceTable | None, config: LstmConfig, source: Source) -> Windows:
    """The last ``batch_size`` windows of the loaded prices, newest first, normalised for the model."""
    batch = trace_batch(config)
    t = int(config.time_step)
    if prices is None:
        return _random_windows(config, batch, "No prices are loaded, so the trace runs on random windows.")
    whose = f"run {source.result.run_id}'s own prices" if source.trained else "the loaded prices"
    if source.trained:
        check_normaliser(prices, source)
        normaliser, norm_note = source.result.normaliser, "normalised with the trained model's statistics"
    else:
        normaliser, norm_note = fresh_normaliser(prices, config)
    if normaliser is None:
        why = f"The loaded prices cannot be used ({norm_note}), so the trace runs on random windows."
        return _random_windows(config, batch, why)
    frame = prices.frame
    missing = [c for c in config.features if c not in frame.columns]
    if missing:
        return _random_windows(
            config, batch, f"Column(s) {', '.join(missing)} are not in the data: random windows instead."
        )
    n_rows = len(frame)
    if n_rows < t:
        return _random_windows(
            config, batch,
            f"The loaded data has {n_rows:,} rows, fewer than time_step {t}: the trace runs on random "
            "windows. Lower time_step or load more data to trace real prices.",
        )  # fmt: skip
    values = normaliser.features(frame.loc[:, list(config.features)].to_numpy(dtype=np.float64))
    all_x = make_windows(values, t)
    n = int(all_x.shape[0])
    take = min(batch, n)
    x = np.ascontiguousarray(all_x[n - take :][::-1], dtype=np.float32)  # newest window first
    index = frame.index
    dates = tuple(f"{d:%Y-%m-%d}" if hasattr(d, "strftime") else str(d) for d in index[n_rows - t :])
    first, last = index[n - take], index[-1]
    span = f"{first:%Y-%m-%d} → {last:%Y-%m-%d}" if hasattr(first, "strftime") else ""
    description = (
        f"the last {take} window{'s' if take != 1 else ''} of {whose} ({span}), newest first; {norm_note}"
    )
    note = _capped_note(config, batch)
    if take < batch:
        note = f"Only {n} windows of {t} days fit in the data, so the batch has {take} instead of {batch}."
    return Windows(x, True, description, note, dates)


@dataclass(frozen=True, eq=False)
class TracedPass:
    """What the cache keeps for one (architecture, windows, weights, gate step): the trace, how long
    it took, and the figures drawn from it (built once, reused while the trace is)."""

    trace: Any  # model.explain.ShapeTrace
    ms: float
    figures: dict = field(default_factory=dict)


@dataclass(frozen=True, eq=False)
class TraceEntry:
    key: tuple  # (architecture, windows hash, weights hash): what the equivalence check depends on
    traced: TracedPass
    ms: float  # time this page run spent getting the trace (a cache hit takes milliseconds)
    config: LstmConfig
    run_id: int | None  # the stored run whose model was traced, or None: fresh weights of config.seed
    windows: Windows
    source: Source

    @property
    def trace(self):
        return self.traced.trace

    def figure(self, key: Any, build) -> Any:
        """The figure ``build()`` makes, built once per trace (step changes reuse it)."""
        figures = self.traced.figures
        if key not in figures:
            figures[key] = build()
        return figures[key]


@st.cache_resource(max_entries=8, show_spinner=False)
def _traced(
    arch: tuple, weights: tuple, x_hash: str, gate_t: int, _config: LstmConfig, _run_id, _x
) -> TracedPass:
    from components import worker_jobs

    t0 = time.perf_counter()
    result = worker_jobs.call("shape_trace", _config.to_dict(), _run_id, _x, gate_t)
    return TracedPass(result["trace"], (time.perf_counter() - t0) * 1000.0)


def clamp_step(value: object, time_step: int, default: int) -> int:
    """A remembered time step made valid for windows of ``time_step`` steps."""
    try:
        t = int(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        t = default
    return min(max(t, 0), time_step - 1)


def gate_time(config: LstmConfig) -> int:
    return clamp_step(memory.recall(GATE_T_WIDGET, 1), config.time_step, 1)


def get_trace(prices: PriceTable | None, config: LstmConfig, record=None) -> TraceEntry:
    """The trace of the open run (``record``, on ``prices``: its own table) or of fresh weights of
    ``config`` on ``prices``: from the cache when nothing it depends on changed."""
    source = choose_model(config, record)
    windows = windows_for(prices, source.config, source)
    cfg = source.config
    run_id = source.result.run_id if source.trained else None
    weights = ("run", run_id, source.result.created) if source.trained else ("seed", int(cfg.seed))
    t0 = time.perf_counter()
    with st.spinner("Tracing a forward pass in a worker process…"):
        key = (architecture_key(cfg), fingerprint(windows.x), weights)
        traced = _traced(key[0], weights, key[1], gate_time(cfg), cfg, run_id, windows.x)
    entry = TraceEntry(key, traced, (time.perf_counter() - t0) * 1000.0, cfg, run_id, windows, source)
    st.session_state[SHOWN_TRACE] = entry
    return entry
