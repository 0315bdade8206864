"""Runs: every stored training (Train page, command line, sweeps) in one table; open, compare, delete.

The records come from ``components.pages.runs_records`` (pure) and the figures from
``components.figures.runs``; this page only lays them out. Selecting two or more rows compares them.
"""

from __future__ import annotations

import streamlit as st

from components import glossary, run_client, verdict_view, widgets
from components.figures import runs as run_figures
from components.figures import style
from components.literal import markdown_literal
from components.pages import results_evidence
from components.pages import runs_records as records
from components.session import knobs, state
from model.engine.config import KNOBS
from model.errors import LensError
from model.runs import fold_progress, fold_runs, run_files

TABLE = "runs_table"  # widget key of the table (its selection)
CONFIRM_DELETE = "runs_confirm_delete"  # run ids waiting for the user's confirmation
OPENED = "runs_opened"  # id of the run just opened (for the message)
ERROR = "runs_error"  # why the last open or delete did not happen (shown once)
FILTER_DATA, FILTER_STATUS, FILTER_ORIGIN = "runs_filter_data", "runs_filter_status", "runs_filter_origin"
FILTER_KNOB, FILTER_KNOB_VALUES = "runs_filter_knob", "runs_filter_knob_values"
SCATTER_KNOB, SCATTER_METRIC, PARALLEL_COLOUR = (
    "runs_scatter_knob",
    "runs_scatter_metric",
    "runs_parallel_colour",
)
SHOW_FOLDS = "runs_show_folds"  # toggle: list the fold runs of walk-forward runs too
MAX_COMPARED = 12  # runs drawn in the comparison (their evaluations are read from disk)


# Widths keep run, status, skill and test RMSE on screen at 1280 px: the wide text columns
# (data, other knobs) come after them and are cut to a medium width (the full text is in the cell's tooltip).
COLUMNS = {
    "run": st.column_config.NumberColumn("run", width="small", format="%d"),
    "status": st.column_config.TextColumn("status", width="small"),
    "skill": st.column_config.NumberColumn(
        "skill", format="%+.3f", width="small", help=glossary.term("skill")
    ),
    "test RMSE": st.column_config.NumberColumn("test RMSE", format="%.3f", width="small"),
    "epochs": st.column_config.NumberColumn(
        "epochs", width="small", help="Epochs trained; a walk-forward run's are its folds' total."
    ),
    "when": st.column_config.DatetimeColumn("when (UTC)", format="YYYY-MM-DD HH:mm"),
    "data": st.column_config.TextColumn("data", width="medium"),
    "other knobs": st.column_config.TextColumn("other knobs", width="medium"),
    "direction %": st.column_config.NumberColumn(format="%.1f"),
    "parameters": st.column_config.NumberColumn(format="%d"),
    "verdict": st.column_config.TextColumn(
        "verdict", width="medium", help="The run's one verdict, as Results states it."
    ),
}
METRICS_TABLE = "runs_metrics_table"


def _metrics(selected: list[int], listed: list) -> None:
    """The stored metrics of the selected runs, the model's and each baseline's, full width."""
    by_id = {r.id: r for r in listed}
    chosen = [by_id[i] for i in selected if i in by_id]
    table = records.metrics_table(chosen)
    if table.empty:
        return
    st.subheader("Metrics of the selected runs", anchor=False)
    st.dataframe(
        table,
        key=METRICS_TABLE,
        hide_index=True,
        width="stretch",
        column_config={
            "run": st.column_config.NumberColumn(format="%d", width="small"),
            "RMSE": st.column_config.NumberColumn(format="%.4f"),
            "MAE": st.column_config.NumberColumn(format="%.4f"),
            "MAPE %": st.column_config.NumberColumn(format="%.2f"),
            "direction %": st.column_config.NumberColumn(format="%.1f"),
            "skill": st.column_config.NumberColumn(format="%+.3f", help=glossary.term("skill")),
        },
    )


def _filters(table, knob_table) -> records.RunFilter:
    with st.expander("Filter", expanded=False):
        a, b, c = st.columns(3)
        data = a.multiselect("Data", sorted(table["data"].unique()), key=FILTER_DATA)
        status = b.multiselect("Status", sorted(table["status"].unique()), key=FILTER_STATUS)
        origin = c.multiselect("Origin", sorted(table["origin"].unique()), key=FILTER_ORIGIN)
        d, e = st.columns([1, 2])
        knob = d.selectbox(
            "Knob", [None, *KNOBS], key=FILTER_KNOB, format_func=lambda k: "any knob…" if k is None else k
        )
        values: list[str] = []
        if knob:
            values = e.multiselect(
                f"{knob} is one of", sorted(knob_table[knob].unique()), key=FILTER_KNOB_VALUES
            )
    return records.RunFilter(tuple(data), tuple(status), tuple(origin), knob, tuple(values))


def _open(run_id: int) -> None:
    """Button callback: the run becomes current (Results, Shapes) and its knobs go to Train."""
    try:
        record = run_client.store().get_run(run_id, with_history=False)
    except LensError as exc:
        st.session_state[ERROR] = str(exc)
        return
    state.set_current_run(run_id)
    knobs.apply_config(record.lstm_config)
    st.session_state[OPENED] = run_id


def _ask_delete(run_ids: list[int]) -> None:
    st.session_state[CONFIRM_DELETE] = list(run_ids)


def _delete(run_ids: list[int]) -> None:
    errors = []
    try:  # a selected walk-forward run takes its selected fold runs along
        run_ids = fold_runs.delete_order(run_ids, fold_runs.fold_index(run_client.store()))
    except LensError as exc:
        errors.append(str(exc))
    for run_id in run_ids:
        try:
            state.delete_run(run_id)
        except LensError as exc:
            errors.append(str(exc))
    st.session_state[CONFIRM_DELETE] = None
    st.session_state[ERROR] = " ".join(errors) or None


def _actions(table, selected: list[int], index: fold_runs.FoldIndex | None = None) -> None:
    left, middle, right, far = st.columns(4)
    left.download_button("Download table (CSV)", data=records.table_csv(table), file_name="lstm-lens-runs.csv",
                         mime="text/csv", on_click="ignore", width="stretch")  # fmt: skip
    if not selected:
        st.caption("Select rows to open, download, delete or compare runs.")
        return
    first = selected[0]
    middle.button(
        f"Open run {first}",
        on_click=_open,
        args=(first,),
        width="stretch",
        help="Make it the current run: Results and Shapes show it, Train gets its knobs.",
    )
    right.download_button(f"Download run {first} (ZIP)", data=lambda: run_files.run_archive(run_client.store(), first),
                          file_name=f"lstm-lens-run-{first}.zip", mime="application/zip", on_click="ignore",
                          width="stretch")  # fmt: skip
    far.button(f"Delete {len(selected)} run(s)", on_click=_ask_delete, args=(selected,), width="stretch")
    pending = st.session_state.get(CONFIRM_DELETE)
    if pending:
        names = ", ".join(str(i) for i in pending)
        st.warning(
            f"Delete run(s) {names} with their files? This cannot be undone."
            + _fold_note(pending, index or fold_runs.FoldIndex()),
            icon=":material/delete:",
        )
        yes, no, _ = st.columns([1, 1, 4])
        yes.button("Yes, delete", type="primary", on_click=_delete, args=(pending,))
        no.button("Cancel", on_click=_ask_delete, args=([],))


def _fold_note(run_ids: list[int], index: fold_runs.FoldIndex) -> str:
    """What deleting these runs does to walk-forward runs (parents take their folds; a fold alone is refused)."""
    notes = []
    for run_id in run_ids:
        if run_id in index.children:
            notes.append(
                f"Run {run_id} is a walk-forward run: its {len(index.children[run_id])} fold runs are deleted with it."
            )
        elif index.is_fold(run_id) and index.places[run_id].parent not in run_ids:
            notes.append(
                f"Run {run_id} is a fold run: it is deleted only with walk-forward run {index.places[run_id].parent}."
            )
    return "".join(" " + n for n in notes)


def _fold_runs(listed: list, index: fold_runs.FoldIndex) -> list:
    """The runs the table lists: fold runs hidden behind their walk-forward run unless the toggle is on."""
    count = sum(index.is_fold(r.id) for r in listed)
    if not count:
        return listed
    show = st.toggle(
        "Show fold runs", key=SHOW_FOLDS, help="Each walk-forward run trains one run per seed and fold."
    )
    shown, hidden = fold_runs.visible_runs(listed, index, folds=show)
    if hidden:
        st.caption(
            f"{hidden} fold runs hidden; show them with the toggle. A walk-forward run's row says how many "
            "folds it has; open it for its evidence on Results."
        )
    return shown


def _compare(selected: list[int]) -> None:
    st.subheader(f"Comparing {len(selected)} runs", anchor=False)
    if len(selected) > MAX_COMPARED:
        st.info(f"Only the first {MAX_COMPARED} selected runs are compared.")
        selected = selected[:MAX_COMPARED]
    runs = run_client.store()
    chosen = [runs.get_run(run_id) for run_id in selected]
    chosen = results_evidence.compare_folds(runs, chosen)  # walk-forward runs: fold skill boxes
    group = records.comparable_runs(chosen)
    for run_id, why in group.left_out:
        st.caption(f"Run {run_id} is left out of the prediction overlay: {markdown_literal(why)}.")
    overlay = records.prediction_overlay(group.runs, [run_client.evaluation(r) for r in group.runs])
    style.show(run_figures.overlay_figure(overlay), key="runs_overlay")
    left, right = st.columns(2, gap="large")
    with left:
        style.show(run_figures.loss_curves_figure(records.loss_curves(chosen)), key="runs_losses")
    frame = records.knob_metric_frame(chosen)
    with right:
        colour = st.selectbox(
            "Colour by",
            list(records.METRICS),
            index=list(records.METRICS).index("skill"),
            key=PARALLEL_COLOUR,
        )
        style.show(
            run_figures.parallel_figure(frame, records.varying_knobs(frame), colour), key="runs_parallel"
        )
    a, b = st.columns(2)
    varying = records.varying_knobs(frame) or list(records.NUMERIC_KNOBS)
    knob = a.selectbox("Knob (x)", varying, key=SCATTER_KNOB) if varying else None
    metric = b.selectbox("Metric (y)", list(records.METRICS), key=SCATTER_METRIC)
    if knob not in frame.columns:
        knob = varying[0]
    style.show(run_figures.scatter_figure(frame, knob, metric), key="runs_scatter")


def _opened_message() -> None:
    opened = st.session_state.pop(OPENED, None)
    if opened is None:
        return
    st.success(
        f"Run {opened} is the current run; its knobs are on the Train page.", icon=":material/check_circle:"
    )
    a, b, c = st.columns(3)
    a.page_link("views/results.py", label="Results", icon=":material/insights:")
    b.page_link("views/shapes.py", label="Shapes", icon=":material/view_in_ar:")
    c.page_link("views/train.py", label="Train", icon=":material/model_training:")


def _verdict_texts(listed):
    """Run id -> its verdict's sentence ('' while it has none, or when it cannot be read)."""
    by_id = {r.id: r for r in listed}

    def text(run_id: int) -> str:
        try:
            verdict = verdict_view.verdict_of(by_id[run_id])
        except LensError:
            return ""
        return "" if verdict is None else verdict.text

    return text


def render() -> None:
    st.title("Runs")
    error = st.session_state.pop(ERROR, None)
    if error:
        widgets.show_error(error)
    _opened_message()
    try:
        listed = run_client.store().list_runs()
        index = fold_runs.fold_index(run_client.store())
    except LensError as exc:
        widgets.show_error(exc)
        return
    if not listed:
        st.info("No runs yet: every training (Train page, `python -m model.train`, sweeps) is stored here.")
        st.page_link("views/train.py", label="Go to Train", icon=":material/model_training:")
        return
    epochs = fold_progress.fold_epochs(listed, index, run_client.store())  # walk-forward: the folds' total
    listed = _fold_runs(listed, index)
    table = records.with_walk_forward(records.runs_table(listed, epochs), index.parent_text)
    table = records.with_verdicts(table, _verdict_texts(listed))
    knob_table = records.knob_values(listed)
    shown = records.filter_runs(table, knob_table, _filters(table, knob_table))
    st.caption(f"{len(shown):,} of {len(table):,} runs, newest first. Select rows to compare them.")
    event = st.dataframe(
        shown,
        key=TABLE,
        on_select="rerun",
        selection_mode="multi-row",
        hide_index=True,
        width="stretch",
        column_config=COLUMNS,
    )
    rows = list(event.selection.rows) if event is not None else []
    selected = [int(shown.iloc[i]["run"]) for i in rows if i < len(shown)]
    _actions(shown, selected, index)
    if selected:
        _metrics(selected, listed)
    if len(selected) >= 2:
        _compare(selected)
