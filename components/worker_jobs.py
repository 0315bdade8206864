"""The server's side of the warm workers' quick jobs (``WorkerPool.call``), cached per run and view.

Everything a page needs from TensorFlow (the Shapes trace and equivalence check, the leak demo,
the Inside views) runs in the run pool's worker processes, which imported TensorFlow when the
server started; the server itself never imports it. Results of a stored run are cached with
``st.cache_data`` keyed by (run id, created) and the view's arguments: a finished run never
changes, and a deleted run whose id is handed out again is a different key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import streamlit as st

from components import run_client
from model.errors import StoreError

# Seconds a page waits for a job: a worker still importing TensorFlow after a server start takes
# several seconds, a trace of a big network a few more.
JOB_TIMEOUT = 120.0


def call(name: str, *args: Any, timeout: float = JOB_TIMEOUT, **kwargs: Any) -> Any:
    """``name`` run in a warm worker (JobError with a readable message if it fails)."""
    return run_client.pool().call(name, *args, timeout=timeout, **kwargs)


@st.cache_data(max_entries=32, show_spinner=False)
def _normaliser(key: tuple[int, str], files_dir: str):
    from model.engine.saving import RUN_FILE
    from model.engine.windows import Normaliser

    try:
        meta = json.loads((Path(files_dir) / RUN_FILE).read_text())
        return Normaliser.from_dict(meta["normaliser"])
    except (OSError, ValueError, KeyError) as exc:
        raise StoreError(f"Run {key[0]}'s normalisation statistics cannot be read ({exc}).") from exc


def normaliser(record):
    """The normaliser a stored run was trained with (read from its run.json: no TensorFlow)."""
    return _normaliser(run_client.run_key(record), str(record.files_dir))


@st.cache_data(max_entries=8, show_spinner=False)
def _run_job(name: str, key: tuple[int, str], args: tuple, kwargs: tuple) -> Any:
    return call(name, key[0], *args, **dict(kwargs))


def run_job(name: str, record, *args: Any, **kwargs: Any) -> Any:
    """Job ``name`` on a stored run, cached per (run id, created, arguments)."""
    return _run_job(name, run_client.run_key(record), tuple(args), tuple(sorted(kwargs.items())))


PRELOADED = "worker_jobs_preloaded"  # session state: the run id last preloaded for this session


def preload_current_run() -> None:
    """Have a worker load the session's current run's model now (once per session and run), so a
    first visit to Shapes or Inside does not wait ~1 s for Keras to load it. Never blocks."""
    from components.session import state
    from model.errors import LensError

    if run_client.background_start_off():
        return  # $LENS_NO_POOL: the pool starts when a page needs it, not to preload
    run_id = state.current_run_id()
    if run_id is None or st.session_state.get(PRELOADED) == run_id:
        return
    st.session_state[PRELOADED] = run_id
    try:
        if run_client.has_result(state.current_run()):
            run_client.pool().post("load_run", run_id)
    except LensError:
        pass  # the run is gone or the pool is down: the page that needs the model says so
