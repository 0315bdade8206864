"""Session state of one browser session: the price table in use and the training job.

Everything per user lives in ``st.session_state`` (never in ``st.cache_resource``), so one
session's data or training never reaches another. The knobs live in ``session.knobs`` and the
URL in ``session.query``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import streamlit as st

from model.config import LstmConfig
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
_COLLECTED = "_collected_job"  # id() of the job whose result is stored

SAMPLE_DEFAULT = "GOOG"

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
