"""The proof of equivalence on the Shapes page: the tutorial's TF1 graph run with the traced weights.

``equivalence_view`` is pure (a small record from an ``EquivalenceResult``); ``equivalence_panel``
draws it. The last result is kept in session state with the content key it was made for.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd
import streamlit as st

from components import widgets
from model.explain.shapes import fmt_shape

EQUIVALENCE = "shape_equivalence"  # (key, EquivalenceResult) of the last check
# Interpreter that runs the tutorial's TF1 graph (default: this one). Tests point it at a missing
# file to see the page explain a failed check instead of failing.
EQUIVALENCE_PYTHON = "shape_equivalence_python"
EQUIVALENCE_BUTTON = "Run equivalence check"


@dataclass(frozen=True)
class EquivalenceView:
    kind: str  # success | error | warning
    message: str
    rows: list[dict[str, str]]


def equivalence_view(result) -> EquivalenceView:
    """What the page says about an ``EquivalenceResult`` (pure, so the failure path is testable)."""
    rows = []
    for key, ours in (result.trace_shapes or {}).items():
        number, name = key.split(":", 1)
        theirs = (result.step_shapes or {}).get(key)
        rows.append({
            "step": number,
            "tensor": name,
            "Keras (traced)": fmt_shape(ours),
            "tutorial's TF1 graph": fmt_shape(theirs) if theirs is not None else "—",
            "same": "✓" if theirs is not None and tuple(theirs) == tuple(ours) else "✗",
        })  # fmt: skip
    if result.error:
        return EquivalenceView(
            "warning",
            f"The equivalence check could not run: {result.error} "
            "The walkthrough above is unaffected: it traces the Keras network itself.",
            rows,
        )
    n = int(result.keras_pred.size) if result.keras_pred is not None else 0
    diff = result.max_abs_diff
    diff_text = f"{diff:.2e}" if math.isfinite(diff) else "not comparable"
    if result.ok:
        return EquivalenceView(
            "success",
            f"Same network: max abs diff {diff_text} between the {n:,} predictions of the tutorial's TF1 "
            "graph "
            f"and of our Keras network (target under 1e-5), and every step has the same shape in both. "
            f"({result.seconds:.1f} s)",
            rows,
        )
    problems = "; ".join(result.mismatches) if result.mismatches else ""
    return EquivalenceView(
        "error",
        f"The tutorial's TF1 graph and our network differ: max abs diff {diff_text} (target under 1e-5)"
        + (f"; {problems}" if problems else "")
        + ".",
        rows,
    )


def equivalence_panel(entry) -> None:
    ss = st.session_state
    st.subheader("Proof of equivalence", anchor=False)
    st.markdown(
        "Runs the tutorial's original TF1 graph — `tf.compat.v1` placeholders, `BasicLSTMCell`, "
        "`MultiRNNCell`, `dynamic_rnn`, exactly the code shown above — in a separate Python process, with "
        f"the same weights as the traced network ({entry.source.label}) on the same "
        f"{entry.windows.x.shape[0]} "
        "windows, and compares the predictions and the shape at every step. It takes 5–10 seconds."
    )
    if st.button(EQUIVALENCE_BUTTON, icon=":material/verified:"):
        from components import worker_jobs
        from model.errors import LensError

        with st.spinner("Running the tutorial's TF1 graph in a separate process…", show_time=True):
            try:
                result = worker_jobs.call("equivalence", entry.config.to_dict(), entry.run_id, entry.windows.x,
                                          python=ss.get(EQUIVALENCE_PYTHON), timeout=240)  # fmt: skip
            except LensError as exc:
                widgets.show_error(f"The equivalence check could not run: {exc}")
                return
        ss[EQUIVALENCE] = (entry.key, result)
    stored = ss.get(EQUIVALENCE)
    if stored is None:
        return
    if stored[0] != entry.key:
        st.caption("The last check was for other settings, data or weights: run it again for these.")
        return
    result = stored[1]
    view = equivalence_view(result)
    if view.kind == "success":
        st.success(view.message, icon=":material/check_circle:")
    elif view.kind == "warning":
        st.warning(view.message, icon=":material/warning:")
    else:
        st.error(view.message, icon=":material/error:")
    if result.error is None:
        diff = result.max_abs_diff
        widgets.metric_row([
            ("Max abs diff", f"{diff:.2e}" if math.isfinite(diff) else "—",
             "Largest |Keras − TF1| over all predictions."),
            ("Shapes", "all match" if result.shapes_match else f"{len(result.mismatches)} differ"),
            ("TF1 run", f"{result.seconds:.1f} s", "The separate Python process, start to finish."),
        ])  # fmt: skip
    if view.rows:
        st.dataframe(pd.DataFrame(view.rows), hide_index=True, width="stretch")
    if result.variables:
        with st.expander("Variables of the TF1 graph"):
            st.dataframe(
                pd.DataFrame([{"variable": k, "shape": fmt_shape(v)} for k, v in result.variables.items()]),
                hide_index=True, width="stretch",
            )  # fmt: skip
