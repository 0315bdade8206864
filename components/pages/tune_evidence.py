"""Tune: the objective option (holdout or walk-forward folds) and the holdout re-check of a study.

The re-check trains networks, so the page never runs it: the button launches
``python -m model.sweep recheck NAME`` in a detached process, and the panel shows its stored
result (model.sweep.evidence.save_recheck) once it is there.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from components import widgets
from model.errors import LensError
from model.evidence.verdict import format_p
from model.sweep import evidence as sweep_evidence

OBJECTIVE = "tune_objective"
OBJECTIVE_FOLDS = "tune_objective_folds"
RECHECK_TOP = "tune_recheck_top"
OBJECTIVE_LABELS = {
    "holdout": "Validation loss (one split)",
    "folds": "Mean validation loss over walk-forward folds",
}


def objective_widget(container) -> str:
    """``holdout`` or ``folds:K``."""
    kind = container.selectbox(
        "Objective",
        list(OBJECTIVE_LABELS),
        format_func=OBJECTIVE_LABELS.get,
        key=OBJECTIVE,
        help="Validation loss: one split's validation period. Walk-forward folds: the mean validation loss over K "
        "expanding-window folds that all end before the holdout (the last test share), reported to the pruner "
        "after each fold. The holdout is never read by any trial; the re-check scores the top trials on it.",
    )
    if kind == "holdout":
        return "holdout"
    k = container.number_input("Folds per trial", 2, 20, 3, key=OBJECTIVE_FOLDS)
    return f"folds:{int(k)}"


def recheck_record(result: sweep_evidence.Recheck) -> dict:
    """What the panel shows: the trials' table, and one sentence each for SPA (against persistence, and
    against ridge on the same windows when the re-check stored it) and MCS."""
    spa = spa_ridge = mcs = None
    if result.spa:
        better = ", ".join(result.spa["better"]) or "none"
        spa = (
            f"Hansen's SPA: does any of the {result.spa['candidates']} trials beat persistence, after trying them "
            f"all? {format_p(result.spa['p_value'])}; better than persistence at 5%: {better}."
        )
    if result.spa_ridge:
        better = ", ".join(result.spa_ridge["better"]) or "none"
        spa_ridge = (
            "Hansen's SPA against ridge on the same windows (the strongest of the trials' ridges): "
            f"{format_p(result.spa_ridge['p_value'])}; better than ridge at 5%: {better}."
        )
    if result.mcs:
        benchmarks = "persistence and ridge" if result.spa_ridge else "persistence"
        mcs = (
            f"Model Confidence Set ({1 - result.mcs['size']:.0%}, trials with {benchmarks} as benchmarks): "
            "cannot be told apart from the best: " + ", ".join(result.mcs["included"]) + "."
        )
    return {
        "table": pd.DataFrame(result.rows),
        "spa": spa,
        "spa_ridge": spa_ridge,
        "mcs": mcs,
        "notes": list(result.notes),
        "holdout": f"{result.holdout[0]} .. {result.holdout[1]}",
        "folds": result.folds,
    }


def recheck_panel(name: str, storage: str) -> None:
    st.subheader("Re-check on the holdout", anchor=False)
    st.caption(
        "The best trials by the objective, trained again and scored only on the holdout period (walk-forward "
        "folds inside it), against persistence: is the winner better than persistence, and than the "
        "runner-up, beyond noise?"
    )
    left, right = st.columns([1, 3])
    top = left.number_input("Top trials", 2, 20, 5, key=RECHECK_TOP)
    if right.button("Re-check the top trials", key="tune_recheck"):
        try:
            sweep_evidence.launch_recheck(name, storage, top=int(top))
        except (LensError, OSError) as exc:
            widgets.show_error(exc)
        else:
            st.session_state[f"tune_recheck_started:{name}"] = True
    try:
        result = sweep_evidence.load_recheck(name)
    except (OSError, ValueError, KeyError) as exc:
        widgets.show_error(f"The stored re-check could not be read: {exc}")
        return
    if result is None:
        if st.session_state.get(f"tune_recheck_started:{name}"):
            st.info(
                "Re-checking in a background process: its result appears here when it is done (reload the page).",
                icon=":material/hourglass_top:",
            )
        return
    shown = recheck_record(result)
    st.caption(f"Holdout {shown['holdout']} · {shown['folds']} folds inside it")
    st.dataframe(shown["table"], hide_index=True, width="stretch")
    for line in (shown["spa"], shown["spa_ridge"], shown["mcs"], *shown["notes"]):
        if line:
            st.markdown(line)
