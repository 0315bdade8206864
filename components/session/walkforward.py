"""The Train page's walk-forward options and its start: folds train on the server's workers.

With a Dask pool (``run_client.pool().client``) the walk-forward run is submitted as a graph
(``model.orchestration.graph``: a task per fold, a pooling task): nothing coordinates from the
server, and a server that restarts resumes it (``run_client.pool()``). With the older worker pool,
the coordinator (``model.orchestration.walkforward.drive``) runs in a daemon thread of the server
(it only submits fold runs, waits on the store and pools numbers: no TensorFlow here); any error
in it ends the parent failed with its message.
"""

from __future__ import annotations

import logging
import threading

import streamlit as st

from components import run_client
from components.session import links, memory, state
from model.errors import LensError

FOLDS = "train_folds"  # widget keys
FOLD_MODE = "train_fold_mode"
SEEDS = "train_seeds"
MODES = {"refit": "Refit (each fold from scratch)", "warm": "Warm (continue from the previous fold)"}


def options(container) -> dict:
    """The walk-forward widgets; folds 0 means one chronological split (a quick run).

    Their values are remembered across pages and are in the link (``session.query``: folds,
    fold_mode, seeds; ``session.links`` checks them)."""
    with container.expander("Evidence: walk-forward folds", expanded=bool(memory.recall(FOLDS, 0))):
        folds = st.number_input(
            "Folds",
            min_value=0,
            max_value=links.MAX_FOLDS,
            step=1,
            **memory.remembered(FOLDS, 0),
            help="0: one train/validation/test split (quick, one draw). K: K expanding-window folds over the last "
            "40% of the data, each tested on its own period against persistence, drift, the mean of the last "
            "time_step values and ridge, with a Diebold-Mariano test and a verdict.",
        )
        mode = st.selectbox(
            "Fold mode",
            list(MODES),
            format_func=MODES.get,
            disabled=not folds,
            **memory.remembered(FOLD_MODE, "refit", lambda v: v if v in MODES else "refit"),
        )
        seeds = st.number_input(
            "Seeds",
            min_value=1,
            max_value=links.MAX_SEEDS,
            step=1,
            disabled=not folds,
            **memory.remembered(SEEDS, 1),
            help="Repeat the whole walk-forward with this many seeds: the seed spread of "
            "skill is shown beside the fold spread.",
        )
    return {"folds": int(folds), "mode": mode, "seeds": int(seeds)}


def start(prices, config, choice: dict) -> int:
    """Start a single-split run (folds 0) or a walk-forward run; it becomes the current run."""
    if not choice.get("folds"):
        return state.start_run(prices, config)
    from model.orchestration.walkforward import fail_walk_forward, start_walk_forward

    if state.run_in_progress():
        raise LensError("A training run is already in progress: stop it first.")
    store, pool = run_client.store(), run_client.pool()
    parent = start_walk_forward(
        store,
        config.validate(),
        prices,
        folds=choice["folds"],
        mode=choice["mode"],
        seeds=choice["seeds"],
        origin="ui",
        owner=state.owner_token(create=True),
    )
    client = getattr(pool, "client", None)
    if client is not None:
        from model.orchestration.graph import submit_walk_forward

        try:
            submit_walk_forward(client, store, parent)
        except Exception as exc:  # noqa: BLE001 - the parent must not stay queued for ever
            fail_walk_forward(store, parent, exc)
            raise LensError(f"The walk-forward run could not be submitted: {exc}") from exc
    else:  # the older pool: a coordinator thread (model.orchestration.walkforward.drive)
        threading.Thread(
            target=_drive, args=(store, parent, pool), daemon=True, name=f"walk-forward-{parent}"
        ).start()
    state.set_current_run(parent)
    st.session_state[state.TRAIN_ERROR] = None
    return parent


def _drive(store, parent: int, pool) -> None:
    """The coordinator thread of the older pool: its error is the parent's (drive stored it), logged here."""
    from model.orchestration.walkforward import drive

    try:
        drive(store, parent, pool.submit, pool.wait)
    except Exception:  # noqa: BLE001 - stored on the parent run already; the thread just ends
        logging.getLogger(__name__).exception("walk-forward run %s", parent)
