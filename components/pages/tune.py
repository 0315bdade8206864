"""Tune: describe a search space, start an Optuna study, and watch it live.

The page never trains: Start launches a detached supervisor process (``model.sweep.workers.launch``)
whose worker processes run the trials, so the study outlives reruns, reloads and the server. The
study is found again by its name, which is in the URL (``?study=NAME``). The live panel is an
``st.fragment`` (``tune_live``) that reads the study's storage every few seconds and draws; reading never
blocks the page. Everything not searched keeps the Train page's current value.
"""

from __future__ import annotations

import math
import os

import streamlit as st

from components import glossary, run_client, widgets
from components.literal import markdown_literal
from components.pages import tune_evidence, tune_live
from components.session import knobs, links
from model.engine.config import KNOBS, LstmConfig
from model.errors import LensError
from model.sweep import board as boards
from model.sweep import estimate, workers
from model.sweep import study as studies
from model.sweep.objective import PRUNER_LABELS, PRUNERS
from model.sweep.space import SEARCHABLE, Param, SearchSpace

QUERY = "study"
SCORING_NOTE = (
    "Trials are scored on the **validation period** only; the test period stays unseen by the search "
    "(each trial's test metrics are stored with its run, for when you open it)."
)
# Knobs searched when the page opens, and where their sliders start (the limits come from KNOBS).
DEFAULT_SEARCHED = ("rnn_unit", "layer_num", "time_step", "learning_rate")
START_RANGE = {
    "rnn_unit": (8, 128),
    "layer_num": (1, 3),
    "time_step": (10, 60),
    "learning_rate": (1e-4, 1e-2),
    "batch_size": (16, 256),
    "dropout": (0.0, 0.3),
    "patience": (3, 10),
}
_PICK = "tune_pick"  # the "Study" select
_PICK_SYNCED = "_tune_pick_synced"  # the study link the select last matched ("" = none)


storage_url = tune_live.storage_url  # the sweep storage (one definition, in tune_live)


# ---------------------------------------------------------------------------------------------
# Search space from the widgets
# ---------------------------------------------------------------------------------------------


def log_grid(lo: float, hi: float) -> list[float]:
    """1, 2, 5 per decade between lo and hi (a log knob's slider stops)."""
    values = []
    for exponent in range(math.floor(math.log10(lo)), math.ceil(math.log10(hi)) + 1):
        for mantissa in (1, 2, 5):
            value = float(f"{mantissa}e{exponent}")
            if lo <= value <= hi:
                values.append(value)
    return values


def _range_widget(name: str, config: LstmConfig, n_rows: int) -> Param:
    spec = KNOBS[name]
    key = f"tune_range_{name}"
    if spec.kind == "int":
        hi = int(spec.hi)
        if name == "time_step" and n_rows:
            from model.engine.windows import max_time_step

            hi = max(int(spec.lo) + 1, min(hi, max_time_step(n_rows, config)))
        start = START_RANGE.get(name, (spec.lo, spec.hi))
        value = (max(int(spec.lo), min(int(start[0]), hi)), max(int(spec.lo), min(int(start[1]), hi)))
        lo_v, hi_v = st.slider(spec.label, int(spec.lo), hi, value, step=1, key=key, help=spec.help)
        return Param(name, "fixed", value=lo_v) if lo_v == hi_v else Param(name, "int", lo=lo_v, hi=hi_v)
    if spec.kind == "float" and spec.log:
        grid = log_grid(spec.lo, spec.hi)
        start = START_RANGE.get(name, (grid[0], grid[-1]))
        value = (
            min(grid, key=lambda g: abs(math.log(g / start[0]))),
            min(grid, key=lambda g: abs(math.log(g / start[1]))),
        )
        lo_v, hi_v = st.select_slider(
            spec.label + " (log scale)", grid, value, key=key, help=spec.help, format_func=lambda v: f"{v:g}"
        )
        return (
            Param(name, "fixed", value=lo_v)
            if lo_v == hi_v
            else Param(name, "float", lo=lo_v, hi=hi_v, log=True)
        )
    if spec.kind == "float":
        start = START_RANGE.get(name, (spec.lo, spec.hi))
        lo_v, hi_v = st.slider(
            spec.label,
            float(spec.lo),
            float(spec.hi),
            (float(start[0]), float(start[1])),
            step=spec.step,
            key=key,
            help=spec.help,
        )
        return Param(name, "fixed", value=lo_v) if lo_v == hi_v else Param(name, "float", lo=lo_v, hi=hi_v)
    if spec.kind == "bool":
        st.caption(f"{spec.label}: both on and off")
        return Param(name, "choice", choices=(False, True))
    options = list(spec.options) if spec.kind == "choice" else knobs.data_columns()
    labels = spec.option_labels or {}
    picked = st.multiselect(
        spec.label,
        options,
        default=options[:2] if spec.kind != "column" else [config.target],
        key=key,
        help=spec.help,
        format_func=lambda o: labels.get(o, o),
    )
    if len(picked) == 1:
        return Param(name, "fixed", value=picked[0])
    return Param(name, "choice", choices=tuple(picked))


def space_form(prices) -> SearchSpace:
    """The knob pickers; returns the (unchecked) space they describe."""
    config = knobs.knob_config()
    n_rows = len(prices.frame) if prices is not None else 0
    st.caption(
        "Tick the knobs to search and set their ranges; every other knob keeps its value from the Train page."
    )
    params: list[Param] = []
    left, right = st.columns(2)
    for i, name in enumerate(SEARCHABLE):
        with (left, right)[i % 2]:
            searched = st.checkbox(
                f"Search {KNOBS[name].label}", value=name in DEFAULT_SEARCHED, key=f"tune_search_{name}"
            )
            if searched:
                params.append(_range_widget(name, config, n_rows))
    epochs = st.number_input(
        "Epochs per trial",
        1,
        int(KNOBS["epochs"].hi),
        min(config.epochs, 20),
        key="tune_epochs",
        help="Each trial trains at most this many epochs (early stopping and pruning may end it sooner).",
    )
    base = config.replace(epochs=int(epochs))
    return SearchSpace(base, tuple(params))


def budget_form() -> dict:
    a, b, c, d = st.columns(4)
    trials = a.number_input("Trials", 1, 10_000, 20, key="tune_trials")
    minutes = b.number_input("Minutes (0: no limit)", 0.0, 10_000.0, 0.0, step=5.0, key="tune_minutes")
    count = c.number_input(
        "Worker processes",
        1,
        max(1, os.cpu_count() or 1) * 4,
        workers.default_workers(),
        key="tune_workers",
        help="One per core by default; each gets its share of the cores.",
    )
    pruner = d.selectbox(
        "Pruner",
        PRUNERS,
        format_func=PRUNER_LABELS.get,
        key="tune_pruner",
        help="Stops trials whose validation loss is worse than the others' at the same epoch.",
    )
    objective = tune_evidence.objective_widget(st)  # holdout | folds:K
    return {
        "trials": int(trials),
        "minutes": float(minutes) or None,
        "workers": int(count),
        "pruner": pruner,
        "objective": objective,
    }


def cost_line(prices, space: SearchSpace, budget: dict) -> None:
    """Before Start: what the study will cost here, from this machine's stored runs."""
    objective = budget.get("objective", "holdout")
    folds = int(objective.split(":", 1)[1]) if objective.startswith("folds:") else 1
    try:
        records = run_client.store().list_runs(status="finished", limit=500)
        guess = estimate.estimate_study(space, records, trials=budget["trials"], workers=budget["workers"],
                                        rows=len(prices.frame), folds=folds)  # fmt: skip
    except LensError:
        guess = None
    if guess is None:
        st.caption("No finished run is stored on this machine yet to estimate the study's time from.")
        return
    limit = budget.get("minutes")
    capped = f" The {limit:g}-minute limit ends it sooner." if limit and guess.seconds > limit * 60 else ""
    st.caption(
        guess.text + capped,
        help="Seconds per epoch by network size and windows, from this machine's finished runs; "
        "pruning and early stopping end trials sooner.",
    )


def start_study(prices, space: SearchSpace, budget: dict, name: str | None) -> str:
    """Create the study and launch its workers; return its name (LensError with a clear message)."""
    space.check()
    name = studies.check_name(name or studies.new_study_name())
    url = storage_url()
    source = studies.save_prices(prices, name)
    study = studies.create_study(
        name,
        space,
        source,
        trials=budget["trials"],
        minutes=budget["minutes"],
        pruner=budget["pruner"],
        storage=url,
        objective=budget.get("objective", "holdout"),
    )
    workers.launch(study.study_name, url, workers=budget["workers"])
    return study.study_name


def study_panel(name: str) -> None:
    st.subheader(f"Study {markdown_literal(name)}")
    st.caption(SCORING_NOTE)
    try:
        study, settings, view = tune_live.read_view(name)
    except LensError as exc:
        widgets.show_error(exc, kept="Start a new study below, or pick another.")
        return
    st.caption(
        f"Space: `{settings.space.describe()}` · pruner {PRUNER_LABELS.get(settings.pruner, settings.pruner)} "
        f"· objective: {boards.objective_name(settings.objective)} ({settings.objective})",
        help=glossary.term("objective"),
    )
    if view.active:
        tune_live.live_panel(name)
    else:
        tune_live.finished_panel(name, study, settings, view)
        tune_evidence.recheck_panel(name, storage_url())


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------


def _pick_study() -> None:
    import optuna

    try:
        names = sorted(optuna.get_all_study_names(studies.open_storage(storage_url())), reverse=True)
    except LensError:
        names = []
    if not names:
        st.session_state.pop(_PICK_SYNCED, None)
        return
    current = st.query_params.get(QUERY)
    if current and current not in names:
        widgets.link_warnings([f"Study {links.quote(current)} from the link is not in the sweep storage."])
        del st.query_params[QUERY]
        current = None
    options = ["(new study)", *names]
    # The link is the truth: when it changed since the select last matched it (Start, a link from
    # another page), the select follows it; only a change the user makes to the select moves the link.
    if _PICK not in st.session_state or st.session_state.get(_PICK_SYNCED, "") != (current or ""):
        st.session_state[_PICK] = current or "(new study)"
        st.session_state[_PICK_SYNCED] = current or ""
    picked = st.selectbox("Study", options, key=_PICK)
    if picked != "(new study)" and picked != current:
        st.query_params[QUERY] = picked
        st.session_state[_PICK_SYNCED] = picked
        st.rerun()
    if picked == "(new study)" and current:
        del st.query_params[QUERY]
        st.session_state[_PICK_SYNCED] = ""
        st.rerun()


def render() -> None:
    from model.sweep import journal

    with journal.reading(storage_url()):  # a damaged journal: its name and what to do (errors.page_boundary)
        _render()


def _render() -> None:
    st.title("Tune")
    st.caption(
        "Search the knobs with Optuna: worker processes train trials, bad ones are pruned early. "
        + SCORING_NOTE
    )
    linked = st.query_params.get(QUERY)
    if linked is not None and links.read_study(linked).warning:
        widgets.link_warnings([links.read_study(linked).warning])
        del st.query_params[QUERY]
    _pick_study()
    name = st.query_params.get(QUERY)
    if name:
        study_panel(name)
        return
    prices = widgets.loaded_prices("Load prices on the Data page first.")
    if prices is None:
        return
    st.caption(f"Data: {markdown_literal(prices.source)} · {len(prices.frame):,} rows")
    space = space_form(prices)
    budget = budget_form()
    cost_line(prices, space, budget)
    name_text = st.text_input("Study name (optional)", key="tune_name", placeholder=studies.new_study_name())
    if st.button("Start", type="primary", key="tune_start"):
        try:
            started = start_study(prices, space, budget, name_text.strip() or None)
        except LensError as exc:
            widgets.show_error(exc, kept="Nothing was started; your settings are unchanged.")
        else:
            st.query_params[QUERY] = started
            st.rerun()
