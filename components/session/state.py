"""Session state of one browser session: the price table, the hyperparameter knobs, the training job.

Everything per user lives in ``st.session_state`` (never in ``st.cache_resource``), so one
session's data or training never reaches another.

Knobs have two keys. ``cfg_<name>`` holds the canonical value and survives page switches;
the widget's own key (``<name>``, e.g. ``"rnn_unit"``) is filled from it before the widget is
drawn, and the widget's ``on_change`` copies the user's edit back. Streamlit drops a widget's
state when a page that does not draw it runs, so reading the widget key from another page would
lose the value; reading ``cfg_<name>`` (``knob_config()``) never does.

The knobs also live in the URL (``?rnn_unit=32&layer_num=3&time_step=30``): values that differ
from the defaults are written after every run, and a URL value that differs from what we
last wrote (a shared link) is validated and applied, with a warning for anything out of range.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import streamlit as st

from model.config import DEFAULT_FEATURES, LIMITS, TARGET_AS, TARGET_MODES, LstmConfig
from model.data import PriceTable, load_sample
from model.errors import LensError

# ---------------------------------------------------------------------------------------------
# Session-state keys (other pages and tests rely on these names)
# ---------------------------------------------------------------------------------------------

PRICES = "prices"  # PriceTable in use
DATA_ERROR = "data_error"  # message of the last failed load (the data in use is kept)
JOB = "job"  # model.jobs.TrainingJob of this session, running or finished
JOB_SOURCE = "job_source"  # description of the data the job trains on
RESULT = "result"  # model.jobs.JobResult of the last finished training
RESULT_SOURCE = "result_source"  # description of the data RESULT was trained on
EVALUATION = "evaluation"  # model.evaluation.Evaluation of RESULT, computed once
TRAIN_ERROR = "train_error"  # message of the last failed training or evaluation
URL_WARNINGS = "url_warnings"  # problems found in the URL's hyperparameters
_QP_WRITTEN = "_qp_written"  # query params as we last wrote them
_COLLECTED = "_collected_job"  # id() of the job whose result is stored

SAMPLE_DEFAULT = "GOOG"
CANONICAL_PREFIX = "cfg_"

TARGET_MODE_LABELS = {"next_day": "Next day", "next_window": "Next window"}
TARGET_AS_LABELS = {"price": "Price (tutorial)", "change": "Change from last known"}

# ---------------------------------------------------------------------------------------------
# Knob specifications
# ---------------------------------------------------------------------------------------------

_DEFAULTS = LstmConfig()
SEED_MAX = 2**31 - 1


@dataclass(frozen=True)
class Knob:
    name: str  # LstmConfig field, widget key and URL parameter
    label: str  # widget label (browser tests find widgets by it)
    kind: str  # int | float | bool | choice | column | columns
    default: Any
    lo: float | None = None
    hi: float | None = None
    help: str = ""
    options: tuple[str, ...] = ()  # for kind "choice"
    labels: dict[str, str] | None = None  # display names of the options

    @property
    def canonical(self) -> str:
        return CANONICAL_PREFIX + self.name


def _int_limits(name: str) -> tuple[int, int]:
    lo, hi = LIMITS[name]
    return int(lo), int(hi)


KNOBS: dict[str, Knob] = {
    k.name: k
    for k in (
        Knob(
            "rnn_unit", "rnn_unit", "int", _DEFAULTS.rnn_unit, *_int_limits("rnn_unit"),
            help="Hidden size of every LSTM layer (and of the input projection): h_t and c_t have "
            "rnn_unit numbers, so the tensor between layers is [batch, time_step, rnn_unit]. "
            "LSTM parameters grow with rnn_unit².",
        ),
        Knob(
            "layer_num", "layer_num", "int", _DEFAULTS.layer_num, *_int_limits("layer_num"),
            help="How many LSTM layers are stacked. Each maps [batch, time_step, rnn_unit] to the same "
            "shape, so depth adds parameters (unless the cell is shared) but never changes a shape.",
        ),
        Knob(
            "time_step", "time_step", "int", _DEFAULTS.time_step, *_int_limits("time_step"),
            help="Length of each input window; the output has the same length. X is "
            "[batch, time_step, features] and Y is [batch, time_step, 1]. Longer windows leave fewer "
            "windows to train on.",
        ),
        Knob(
            "batch_size", "Batch size", "int", _DEFAULTS.batch_size, *_int_limits("batch_size"),
            help="Windows per training step: the first axis of X, [batch, time_step, features]. "
            "Capped at the number of training windows. Bigger batches give fewer, smoother updates per epoch.",
        ),
        Knob(
            "features", "Features", "columns", tuple(DEFAULT_FEATURES),
            help="Columns fed to the network: the last axis of X, [batch, time_step, len(features)], "
            "and the rows of the input projection's weight matrix. Each is normalised with "
            "training-period statistics.",
        ),
        Knob(
            "target", "Target", "column", _DEFAULTS.target,
            help="The column the network predicts: Y is [batch, time_step, 1] of this column "
            "(normalised; Results converts it back to price units).",
        ),
        Knob(
            "target_mode", "Target mode", "choice", _DEFAULTS.target_mode,
            help="Next day: Y is the input window shifted one day ahead, so each of the time_step outputs "
            "predicts the following day. Next window: Y is the time_step days after the window, so one "
            "window forecasts a whole window ahead.",
            options=TARGET_MODES,
            labels=TARGET_MODE_LABELS,
        ),
        Knob(
            "target_as", "Predict", "choice", _DEFAULTS.target_as,
            help="Price: Y holds the target's level, as in the tutorial; a model trained on older, "
            "lower prices cannot reach newer ones. Change: Y holds the move from the last known value "
            "(the step's own day, or the window's last day); Results adds it back to show prices.",
            options=TARGET_AS,
            labels=TARGET_AS_LABELS,
        ),
        Knob(
            "epochs", "Epochs", "int", _DEFAULTS.epochs, *_int_limits("epochs"),
            help="Passes over all training windows. Early stopping may end sooner; the best weights are kept.",
        ),
        Knob(
            "learning_rate", "Learning rate", "float", _DEFAULTS.learning_rate, 1e-5, 1.0,
            help="Adam's step size for every weight update. Too high and the loss jumps or becomes NaN; "
            "too low and it barely moves.",
        ),
        Knob(
            "dropout", "Dropout", "float", _DEFAULTS.dropout, 0.0, 0.9,
            help="Share of each LSTM layer's output [batch, time_step, rnn_unit] zeroed at random while "
            "training, between stacked layers (no effect with layer_num 1).",
        ),
        Knob(
            "test_fraction", "Test share", "float", _DEFAULTS.test_fraction, 0.05, 0.5,
            help="Share of the most recent rows held out as the test period. A window whose targets "
            "reach into it is never trained on.",
        ),
        Knob(
            "val_fraction", "Validation share", "float", _DEFAULTS.val_fraction, 0.0, 0.5,
            help="Share of the rows before the test period used for the validation loss and early "
            "stopping (0 turns validation off).",
        ),
        Knob(
            "patience", "Patience", "int", _DEFAULTS.patience, *_int_limits("patience"),
            help="Epochs without a better validation loss before training stops and the best weights "
            "are restored; 0 turns early stopping off.",
        ),
        Knob(
            "seed", "Seed", "int", _DEFAULTS.seed, 0, SEED_MAX,
            help="Seeds weight initialisation, shuffling and dropout so a run can be repeated.",
        ),
        Knob(
            "share_cell", "Share one cell across layers", "bool", _DEFAULTS.share_cell,
            help="The tutorial's MultiRNNCell([cell] * layer_num) reuses ONE cell object, so every layer "
            "has the same LSTM weights. Tensor shapes stay the same; LSTM parameters stop growing "
            "with layer_num.",
        ),
    )
}  # fmt: skip

NETWORK_KNOBS: tuple[str, ...] = ("rnn_unit", "layer_num", "time_step", "batch_size", "features")


# ---------------------------------------------------------------------------------------------
# Prices
# ---------------------------------------------------------------------------------------------


def get_prices() -> PriceTable | None:
    """The session's price table; the GOOG sample is loaded on first use so every page has data."""
    ss = st.session_state
    if PRICES not in ss:
        try:
            ss[PRICES] = load_sample(SAMPLE_DEFAULT)
        except LensError as exc:
            ss[PRICES] = None
            ss[DATA_ERROR] = str(exc)
    return ss[PRICES]


def set_prices(table: PriceTable) -> None:
    st.session_state[PRICES] = table
    st.session_state[DATA_ERROR] = None


def data_columns() -> list[str]:
    prices = get_prices()
    return prices.columns if prices is not None else list(DEFAULT_FEATURES)


# ---------------------------------------------------------------------------------------------
# Knob values
# ---------------------------------------------------------------------------------------------


def _coerce(knob: Knob, value: Any) -> Any:
    """Clamp/convert a value to the knob's type and range; raise ValueError if it cannot be."""
    if knob.kind == "int":
        if isinstance(value, str):
            value = float(value.strip())
        number = float(value)
        if not math.isfinite(number) or not number.is_integer():
            raise ValueError(f"{value!r} is not a whole number")
        return int(min(max(int(number), int(knob.lo)), int(knob.hi)))
    if knob.kind == "float":
        number = float(value.strip() if isinstance(value, str) else value)
        if not math.isfinite(number):
            raise ValueError(f"{value!r} is not a number")
        return float(min(max(number, float(knob.lo)), float(knob.hi)))
    if knob.kind == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"{value!r} is not true or false")
    if knob.kind == "choice":
        text = str(value).strip()
        if text not in knob.options:
            raise ValueError(f"{value!r} is not one of {', '.join(knob.options)}")
        return text
    if knob.kind == "column":
        text = str(value).strip()
        if not text:
            raise ValueError("empty column name")
        return text
    if knob.kind == "columns":
        items = value.split(",") if isinstance(value, str) else list(value)
        names = tuple(dict.fromkeys(str(v).strip() for v in items if str(v).strip()))
        if not names:
            raise ValueError("no column names")
        return names
    raise ValueError(f"unknown knob kind {knob.kind}")


def _ensure_defaults() -> None:
    ss = st.session_state
    for knob in KNOBS.values():
        if knob.canonical not in ss:
            ss[knob.canonical] = knob.default


def get_knob(name: str) -> Any:
    knob = KNOBS[name]
    ss = st.session_state
    if knob.canonical not in ss:
        ss[knob.canonical] = knob.default
    return ss[knob.canonical]


def set_knob(name: str, value: Any) -> None:
    """Set a knob's canonical value (validated); the widget picks it up on its next draw."""
    knob = KNOBS[name]
    st.session_state[knob.canonical] = _coerce(knob, value)


def fit_columns(columns: Sequence[str]) -> list[str]:
    """Make the features/target knobs fit the loaded data's columns; return notes on what changed."""
    _ensure_defaults()
    ss = st.session_state
    notes: list[str] = []
    available = [str(c) for c in columns]
    if not available:
        return notes
    target = ss[KNOBS["target"].canonical]
    if target not in available:
        new = "close" if "close" in available else available[0]
        notes.append(f"Target '{target}' is not in the data; using '{new}'.")
        ss[KNOBS["target"].canonical] = new
    features = tuple(ss[KNOBS["features"].canonical])
    kept = tuple(f for f in features if f in available)
    if kept != features:
        dropped = [f for f in features if f not in available]
        if not kept:
            kept = tuple(f for f in DEFAULT_FEATURES if f in available) or (ss[KNOBS["target"].canonical],)
        notes.append(f"Feature(s) {', '.join(dropped)} not in the data; using {', '.join(kept)}.")
        ss[KNOBS["features"].canonical] = kept
    return notes


def knob_config() -> LstmConfig:
    """The LstmConfig the knobs describe (features and target fitted to the loaded data).

    Not validated: call ``.validate()`` (ConfigError) where an invalid config must be refused.
    """
    _ensure_defaults()
    fit_columns(data_columns())
    values = {name: st.session_state[knob.canonical] for name, knob in KNOBS.items()}
    values["features"] = tuple(values["features"])
    return LstmConfig(**values)


def reset_knobs() -> None:
    """Back to the defaults (a button callback: also resets the widgets drawn on this page)."""
    ss = st.session_state
    for knob in KNOBS.values():
        ss[knob.canonical] = knob.default
        if knob.name in ss:
            ss[knob.name] = list(knob.default) if knob.kind == "columns" else knob.default
    ss[URL_WARNINGS] = []


def _remember(name: str) -> None:
    """on_change of a knob widget: copy the widget's value to the canonical key."""
    ss = st.session_state
    knob = KNOBS[name]
    if name in ss:
        if knob.kind == "columns":
            # An emptied multiselect is kept as empty: the Train page then says what is missing.
            ss[knob.canonical] = tuple(str(v) for v in ss[name])
        else:
            try:
                ss[knob.canonical] = _coerce(knob, ss[name])
            except (TypeError, ValueError):
                pass  # keep the last good value
    ss[URL_WARNINGS] = []


def _prepare_widget(name: str) -> None:
    """Fill the widget key from the canonical value before the widget is drawn."""
    ss = st.session_state
    knob = KNOBS[name]
    value = get_knob(name)
    ss[name] = list(value) if knob.kind == "columns" else value


def knob_widget(name: str, container: Any = None, *, disabled: bool = False) -> Any:
    """Draw one knob's widget (label, limits and help from KNOBS) bound to its canonical value."""
    knob = KNOBS[name]
    where = container if container is not None else st
    if knob.kind in ("column", "columns"):
        fit_columns(data_columns())
    _prepare_widget(name)
    common: dict[str, Any] = dict(key=name, help=knob.help, on_change=_remember, args=(name,), disabled=disabled)
    if knob.kind == "int":
        return where.number_input(knob.label, min_value=int(knob.lo), max_value=int(knob.hi), step=1, **common)
    if name == "learning_rate":
        return where.number_input(
            knob.label, min_value=float(knob.lo), max_value=float(knob.hi), step=0.0001, format="%.5f", **common
        )
    if knob.kind == "float":
        return where.slider(knob.label, min_value=float(knob.lo), max_value=float(knob.hi), step=0.05, **common)
    if knob.kind == "bool":
        return where.toggle(knob.label, **common)
    if knob.kind == "choice":
        return where.radio(
            knob.label, knob.options, format_func=(knob.labels or {}).get, horizontal=True, **common
        )
    if knob.kind == "column":
        return where.selectbox(knob.label, data_columns(), **common)
    if knob.kind == "columns":
        return where.multiselect(knob.label, data_columns(), placeholder="Choose at least one column", **common)
    raise ValueError(f"unknown knob kind {knob.kind}")


def render_network_knobs(container: Any = None, *, disabled: bool = False) -> None:
    """rnn_unit, layer_num, time_step, batch size (two columns) and features: the knobs that set shapes.

    Shared by the Train and Shapes pages; widget keys are the knob names, values persist across pages.
    """
    where = container if container is not None else st
    left, right = where.columns(2)
    knob_widget("rnn_unit", left, disabled=disabled)
    knob_widget("layer_num", right, disabled=disabled)
    knob_widget("time_step", left, disabled=disabled)
    knob_widget("batch_size", right, disabled=disabled)
    knob_widget("features", where, disabled=disabled)


# ---------------------------------------------------------------------------------------------
# URL (query params)
# ---------------------------------------------------------------------------------------------


def _serialise(knob: Knob, value: Any) -> str:
    if knob.kind == "bool":
        return "true" if value else "false"
    if knob.kind == "float":
        return f"{float(value):g}"
    if knob.kind == "columns":
        return ",".join(value)
    return str(value)


def load_query_params() -> None:
    """Apply knob values from the URL that differ from what this session last wrote there.

    Bad values are ignored and out-of-range ones clamped, each with a warning in URL_WARNINGS.
    """
    ss = st.session_state
    _ensure_defaults()
    written: dict[str, str] = ss.setdefault(_QP_WRITTEN, {})
    warnings: list[str] = []
    for name, knob in KNOBS.items():
        if name not in st.query_params:
            continue
        raw = st.query_params.get(name)
        if raw is None or raw == written.get(name):
            continue
        try:
            value = _coerce(knob, raw)
        except (TypeError, ValueError) as exc:
            warnings.append(f"Ignored {name}={raw!r} from the link: {exc}.")
            continue
        if knob.kind in ("int", "float"):
            number = float(raw)
            if number != float(value):
                warnings.append(
                    f"{name}={raw} from the link is outside {knob.lo:g}…{knob.hi:g}; using {_serialise(knob, value)}."
                )
        ss[knob.canonical] = value
        # Mark it as seen so a later run does not apply (and warn about) it again.
        written[name] = raw
    if warnings:
        ss[URL_WARNINGS] = list(ss.get(URL_WARNINGS) or []) + warnings
    notes = fit_columns(data_columns())
    if warnings and notes:
        ss[URL_WARNINGS] = list(ss[URL_WARNINGS]) + notes


def sync_query_params() -> None:
    """Write the knobs that differ from the defaults to the URL, and drop the ones that do not."""
    ss = st.session_state
    _ensure_defaults()
    written: dict[str, str] = {}
    for name, knob in KNOBS.items():
        value = ss[knob.canonical]
        default = knob.default
        if knob.kind == "columns":
            value, default = tuple(value), tuple(default)
        if value == default:
            if name in st.query_params:
                del st.query_params[name]
            continue
        text = _serialise(knob, value)
        written[name] = text
        if st.query_params.get(name) != text:
            st.query_params[name] = text
    ss[_QP_WRITTEN] = written


# ---------------------------------------------------------------------------------------------
# Training job
# ---------------------------------------------------------------------------------------------


def get_job():
    return st.session_state.get(JOB)


def job_running() -> bool:
    job = get_job()
    return job is not None and job.running


def start_job(prices: PriceTable, config: LstmConfig):
    """Start training in a worker thread owned by this session (never two at once)."""
    from model.jobs import TrainingJob

    if job_running():
        raise LensError("A training run is already in progress: stop it first.")
    job = TrainingJob(prices.frame, config.validate()).start()
    ss = st.session_state
    ss[JOB] = job
    ss[JOB_SOURCE] = prices.source
    ss[TRAIN_ERROR] = None
    return job


def needs_collect() -> bool:
    """True when a job has finished and its result is not stored yet."""
    ss = st.session_state
    job = ss.get(JOB)
    return job is not None and not job.running and ss.get(_COLLECTED) != id(job)


def collect_job(on_evaluate: Callable[[], Any] | None = None) -> bool:
    """Once a finished job is seen: store its result and its evaluation (computed once).

    Returns True when something new was stored. A failed job or evaluation leaves the previous
    result in place and sets TRAIN_ERROR. The job is marked as collected only after its outcome
    is stored: if the run is interrupted meanwhile (the user switches pages while the model is
    being scored, which raises Streamlit's rerun exception), the next run scores it again.
    """
    if not needs_collect():
        return False
    ss = st.session_state
    job = ss[JOB]
    if job.error is not None or job.result is None:
        ss[TRAIN_ERROR] = job.error or "Training ended without a result."
        ss[_COLLECTED] = id(job)
        return True
    from model.evaluation import evaluate

    try:
        if on_evaluate is not None:
            on_evaluate()
        evaluation = evaluate(job.result.run, job.result.data)
    except Exception as exc:  # noqa: BLE001 - a message in the page, never a traceback
        message = str(exc) if isinstance(exc, LensError) else f"Scoring the trained model failed: {type(exc).__name__}: {exc}"
        ss[TRAIN_ERROR] = message
        ss[_COLLECTED] = id(job)
        return True
    ss[RESULT] = job.result
    ss[EVALUATION] = evaluation
    ss[RESULT_SOURCE] = ss.get(JOB_SOURCE, "")
    ss[TRAIN_ERROR] = None
    ss[_COLLECTED] = id(job)
    return True
