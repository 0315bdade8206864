"""Shapes: the tutorial's seven-step explanation of ``lstm(X)`` as a live trace of the real network.

Every shape shown comes from a real forward pass (``model.trace.trace_shapes``) of the network the
knobs describe — the trained model when its architecture matches the knobs, otherwise fresh
weights — on real windows of the loaded prices. Next to each observed shape stands the tutorial's
symbolic shape with the user's numbers filled in, so the two can be compared line by line.

TensorFlow (~3.5 s to import) is imported here only inside ``render``; the Data and Train pages
never pay for it. The latest trace is kept in session state, keyed by everything it depends on,
so moving between steps does not recompute it and a knob change retraces at once.
"""

from __future__ import annotations

import dataclasses
import html
import math
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from components import widgets
from components.figures import shapes as shape_figures, style as figure_style
from components.session import knobs, state
from model.config import LstmConfig
from model.data import PriceTable
from model.errors import DataError, LensError
from model.windows import Normaliser, make_windows, training_normaliser

N_STEPS = 7

# Session-state keys. Canonical values survive page switches; widget keys are refilled from them.
STEP = "shape_step"  # current step, 1..7
STEP_WIDGET = "shape_step_slider"  # key prefix of the "Step" slider (one key per step)
GATE_LAYER = "shape_gate_layer"  # depth (0-based) opened up in the gate panel
GATE_LAYER_WIDGET = "shape_gate_layer_select"
GATE_T = "shape_gate_t"  # time step (0-based) of the gate panel
GATE_T_WIDGET = "shape_gate_t_slider"
TRACE = "_shape_trace"  # TraceEntry of the latest trace
EQUIVALENCE = "_shape_equivalence"  # (key, EquivalenceResult) of the last check
NORMALISER = "_shape_normaliser"  # (key, prices, Normaliser | None, note) for fresh networks
# Interpreter that runs the tutorial's TF1 graph (default: this one). Tests point it at a missing
# file to see the page explain a failed check instead of failing.
EQUIVALENCE_PYTHON = "shape_equivalence_python"

EQUIVALENCE_BUTTON = "Run equivalence check"
ROLE_LABEL = {"in": "input", "weight": "weight", "out": "output"}

CODE_HIGHLIGHT = "rgba(37, 99, 235, 0.13)"
# Most values (batch * time_step * rnn_unit * layer_num) a trace may hold: the trace keeps every
# layer's input and output, and the model's own pass runs alongside (~0.5 GB at this size).
TRACE_BUDGET = 32_000_000
# Most multiply-adds of one pass (the trace runs two: step by step and model(x)): about a second
# on a small CPU, so an extreme setting cannot stall the page.
TRACE_MACS = 8_000_000_000
HEATMAP_CELLS = 60_000  # most h values drawn in the heatmap (all layers together)


# ---------------------------------------------------------------------------------------------
# Step navigation
# ---------------------------------------------------------------------------------------------


def current_step() -> int:
    ss = st.session_state
    try:
        step = int(ss.get(STEP, 1))
    except (TypeError, ValueError):
        step = 1
    return min(max(step, 1), N_STEPS)


def _set_step(step: int) -> None:
    st.session_state[STEP] = min(max(int(step), 1), N_STEPS)


def _go(delta: int) -> None:
    _set_step(current_step() + delta)


def _slider_moved(key: str) -> None:
    _set_step(st.session_state[key])


def _copy(widget_key: str, canonical: str) -> None:
    st.session_state[canonical] = st.session_state[widget_key]


def _step_nav() -> int:
    step = current_step()
    st.session_state[STEP] = step
    left, middle, right = st.columns([1.8, 5, 1.8], vertical_alignment="bottom")
    left.button("Previous", on_click=_go, args=(-1,), disabled=step <= 1, width="stretch",
                icon=":material/arrow_back:")  # fmt: skip
    # A new key per step: the slider is drawn afresh at the step the buttons chose. Setting one
    # slider's value from the buttons instead makes the browser show the old value for a moment.
    key = f"{STEP_WIDGET}_{step}"
    middle.slider("Step", min_value=1, max_value=N_STEPS, value=step, key=key, on_change=_slider_moved,
                  args=(key,), help="The seven steps of the tutorial's lstm(X).")  # fmt: skip
    right.button("Next", on_click=_go, args=(1,), disabled=step >= N_STEPS, width="stretch",
                 icon=":material/arrow_forward:")  # fmt: skip
    return step


# ---------------------------------------------------------------------------------------------
# The tutorial's shapes with the user's numbers (pure: tested without Streamlit)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ShapeRow:
    role: str  # in | weight | out
    name: str
    symbolic: str  # the tutorial's shape, e.g. "[batch_size*time_step, input_size]"
    filled: str  # with the numbers, e.g. "[80*20, 6] = [1600, 6]"
    observed: str  # what the forward pass produced, e.g. "[1600, 6]"
    ok: bool | None  # filled value == observed (None when the tutorial names no shape)


def _fmt(shape) -> str:
    return shape_figures.fmt_shape(shape)


def _row(
    role: str, name: str, shapes: list[tuple[int, ...]], values: dict[str, int], times: str = ""
) -> ShapeRow:
    """One row for one tensor, or for ``len(shapes)`` tensors of one kind (``times``: e.g. "layer_num")."""
    shape = tuple(shapes[0])
    same = all(tuple(s) == shape for s in shapes)
    n = len(shapes)
    observed = _fmt(shape) if same else "; ".join(_fmt(s) for s in shapes)
    if times:
        observed = f"{n} × {observed}" if same else observed
    dims = shape_figures.tutorial_dims(name, len(shape))
    if dims is None:
        return ShapeRow(role, name, "", "", observed, None)
    symbolic, filled, value = shape_figures.fill_shape(dims, values)
    result = _fmt(value)
    if times:
        symbolic, filled, result = f"{times} × {symbolic}", f"{n} × {filled}", f"{n} × {result}"
    if filled != result:
        filled = f"{filled} = {result}"
    ok = same and value == shape and (not times or n == values.get(times, n))
    return ShapeRow(role, name, symbolic, filled, observed, ok)


def shape_values(trace, config: LstmConfig) -> dict[str, int]:
    """The numbers the tutorial's symbols stand for: the knobs, and the batch actually traced."""
    batch = int(trace.step(1).outputs[0].shape[0])
    return {
        "batch_size": batch,
        "time_step": int(config.time_step),
        "input_size": int(config.input_size),
        "rnn_unit": int(config.rnn_unit),
        "layer_num": int(config.layer_num),
    }


def step_rows(trace, number: int, config: LstmConfig) -> list[ShapeRow]:
    """Every tensor of one step: the tutorial's shape, the same with numbers, and the observed shape."""
    step = trace.step(number)
    values = shape_values(trace, config)
    rows = [_row("in", t.name, [t.shape], values) for t in step.inputs]
    if number == 1:  # X is what the network is given: the input
        return [_row("in", t.name, [t.shape], values) for t in step.outputs]
    if number == 5:
        # Weights: one row per kind (kernel, recurrent_kernel, bias) covering every layer.
        prefixes = list(dict.fromkeys(p.name.rsplit(".", 1)[0] for p in step.params))
        for kind in ("kernel", "recurrent_kernel", "bias"):
            shapes = [p.shape for p in step.params if p.name.endswith("." + kind)]
            if not shapes:
                continue
            if trace.share_cell:
                name = f"{prefixes[0]}.{kind} (one set for all {values['layer_num']} layers)"
            elif len(prefixes) > 1:
                name = f"lstm_k.{kind}, k = 1…{len(prefixes)}"
            else:
                name = f"{prefixes[0]}.{kind}"
            row = _row("weight", kind, shapes, values, times="layer_num" if len(shapes) > 1 else "")
            rows.append(ShapeRow(row.role, name, row.symbolic, row.filled, row.observed, row.ok))
        rows.append(_row("out", step.outputs[0].name, [step.outputs[0].shape], values))
        states = step.outputs[1:]
        for part in ("c", "h"):
            shapes = [t.shape for t in states if t.name.endswith("." + part)]
            if shapes:
                row = _row("out", f"final_states.{part}", shapes, values, times="layer_num")
                name = f"final_states[k].{part}, k = 0…{len(shapes) - 1}"
                rows.append(ShapeRow(row.role, name, row.symbolic, row.filled, row.observed, row.ok))
        return rows
    rows += [_row("weight", p.name, [p.shape], values) for p in step.params]
    rows += [_row("out", t.name, [t.shape], values) for t in step.outputs]
    return rows


def rows_markdown(rows: list[ShapeRow]) -> str:
    lines = [
        "| | Tensor | Tutorial's shape | With your numbers | Observed in the forward pass |",
        "|---|---|---|---|---|",
    ]
    for r in rows:
        mark = {True: " ✓", False: " ✗", None: ""}[r.ok]
        sym = f"`{r.symbolic}`" if r.symbolic else "—"
        filled = f"`{r.filled}`" if r.filled else "—"
        lines.append(f"| {ROLE_LABEL[r.role]} | `{r.name}` | {sym} | {filled} | `{r.observed}`{mark} |")
    return "\n".join(lines)


# ---------------------------------------------------------------------------------------------
# Code side by side
# ---------------------------------------------------------------------------------------------


def code_html(source: str, highlight: tuple[int, ...] | list[int], title: str) -> str:
    """The source with line numbers, the ``highlight`` lines (1-based) on a blue background.

    Plain ``<div>``s (Streamlit's Markdown turns spans inside ``<pre><code>`` into text), on one
    line of HTML so Markdown leaves it alone; the code is escaped.
    """
    marked = set(highlight)
    rows = []
    for i, line in enumerate(source.rstrip("\n").split("\n"), start=1):
        on = i in marked
        style = (
            "white-space:pre;padding:0 12px 0 4px;border-left:3px solid "
            f"{figure_style.COLORS['model'] if on else 'transparent'};"
            + (f"background:{CODE_HIGHLIGHT};font-weight:600;" if on else "")
        )
        number = (
            '<span style="display:inline-block;width:2em;margin-right:10px;text-align:right;'
            f'color:#9ca3af;font-weight:400;user-select:none">{i}</span>'
        )
        rows.append(f'<div class="lens-code-line{" lens-code-hl" if on else ""}" style="{style}">'
                    f"{number}{html.escape(line)}</div>")  # fmt: skip
    head = (
        f'<div style="font-size:0.85rem;font-weight:600;color:{figure_style.TEXT};margin:0 0 4px 2px">'
        f"{html.escape(title)}</div>"
    )
    body = (
        '<div class="lens-code" style="font-family:\'Source Code Pro\',ui-monospace,SFMono-Regular,Menlo,'
        "Consolas,monospace;font-size:12px;line-height:1.6;color:#111827;background:#f8fafc;"
        f'border:1px solid {figure_style.GRID};border-radius:6px;padding:8px 0;overflow-x:auto">'
        '<div style="display:inline-block;min-width:100%">' + "".join(rows) + "</div></div>"
    )
    return head + body


def _code_side_by_side(trace_mod, config: LstmConfig, step: int) -> None:
    left, right = st.columns(2, gap="medium")
    with left:
        st.markdown(
            code_html(trace_mod.tutorial_source(config), trace_mod.TUTORIAL_STEP_LINES[step],
                      "The tutorial's TF1 code"),
            unsafe_allow_html=True,
        )  # fmt: skip
    with right:
        st.markdown(
            code_html(trace_mod.keras_source(config), trace_mod.KERAS_STEP_LINES[step],
                      "Our Keras 3 network"),  # fmt: skip
            unsafe_allow_html=True,
        )
    if step in (2, 3, 4):
        st.caption(
            "Keras' Dense works on the last axis, so its one line does the tutorial's reshape, matmul and "
            "reshape back (steps 2–4)."
        )


# ---------------------------------------------------------------------------------------------
# Which model, which windows
# ---------------------------------------------------------------------------------------------


def same_network(a: LstmConfig, b: LstmConfig) -> bool:
    """Whether a model built for ``a`` has the weights a model for ``b`` needs."""
    return (
        a.rnn_unit == b.rnn_unit
        and a.layer_num == b.layer_num
        and a.time_step == b.time_step
        and tuple(a.features) == tuple(b.features)
        and bool(a.share_cell) == bool(b.share_cell)
    )


@dataclass(frozen=True, eq=False)
class Source:
    trained: bool
    config: LstmConfig  # what the model was built with (batch size: the knob's)
    result: Any  # the JobResult whose model is traced, or None
    label: str
    why_fresh: str | None = None


def _source(config: LstmConfig) -> Source:
    result = st.session_state.get(state.RESULT)
    if result is not None:
        run_cfg = result.run.config
        if same_network(run_cfg, config):
            cfg = run_cfg.replace(batch_size=config.batch_size)
            epochs = len(result.run.history)
            label = f"the trained model ({epochs} epoch{'s' if epochs != 1 else ''})"
            return Source(True, cfg, result, label)
        why = (
            f"The trained model has rnn_unit {run_cfg.rnn_unit}, layer_num {run_cfg.layer_num}, time_step "
            f"{run_cfg.time_step}, {run_cfg.input_size} feature(s)"
            + (", a shared cell" if run_cfg.share_cell else "")
            + "; these settings differ, so fresh weights are traced."
        )
        return Source(False, config, None, f"fresh untrained weights (seed {config.seed})", why)
    return Source(False, config, None, f"fresh untrained weights (seed {config.seed})")


@dataclass(frozen=True)
class Windows:
    x: np.ndarray  # [batch, time_step, input_size], newest window first
    real: bool
    description: str
    note: str | None
    dates: tuple[str, ...]  # the dates of window 0's steps ("" when not real)
    key: tuple


def _fresh_normaliser(prices: PriceTable, config: LstmConfig) -> tuple[Normaliser | None, str]:
    """Training-period statistics, as training computes them; cached per table and columns."""
    ss = st.session_state
    key = (tuple(config.features), config.target, float(config.test_fraction), float(config.val_fraction))
    cached = ss.get(NORMALISER)
    if cached is not None and cached[0] == key and cached[1] is prices:
        return cached[2], cached[3]
    frame = prices.frame
    normaliser, note = None, ""
    try:
        try:
            normaliser = training_normaliser(frame, config)
            note = "normalised with the training period's statistics, as training does"
        except (DataError, ValueError, FloatingPointError) as exc:
            features = frame.loc[:, list(config.features)].to_numpy(dtype=np.float64)
            target = frame[config.target].to_numpy(dtype=np.float64)
            if not (np.isfinite(features).all() and np.isfinite(target).all()):
                raise  # no statistics can help: the outer handler explains
            normaliser = Normaliser.fit(features, target, config.features)
            note = (
                "normalised with the statistics of all rows (the training period alone cannot be used: "
                f"{exc})"
            )
    except (LensError, KeyError, ValueError) as exc:
        normaliser, note = None, str(exc).rstrip(".")
    ss[NORMALISER] = (key, prices, normaliser, note)
    return normaliser, note


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
    note = _join(why, _capped_note(config, batch))
    key = ("random", batch, config.seed, config.batch_size)
    return Windows(x, False, description, note, ("",) * config.time_step, key)


def windows_for(prices: PriceTable | None, config: LstmConfig, source: Source) -> Windows:
    """The last ``batch_size`` windows of the loaded prices, newest first, normalised for the model."""
    batch = trace_batch(config)
    t = int(config.time_step)
    if prices is None:
        return _random_windows(config, batch, "No prices are loaded, so the trace runs on random windows.")
    if source.trained:
        normaliser, norm_note = source.result.run.normaliser, "normalised with the trained model's statistics"
        norm_key: Any = ("trained", id(source.result))
    else:
        normaliser, norm_note = _fresh_normaliser(prices, config)
        norm_key = ("fresh", tuple(config.features), config.target, config.test_fraction, config.val_fraction)
    if normaliser is None:
        why = f"The loaded prices cannot be used ({norm_note}), so the trace runs on random windows."
        return _random_windows(config, batch, why)
    frame = prices.frame
    missing = [c for c in config.features if c not in frame.columns]
    if missing:
        why = f"Column(s) {', '.join(missing)} are not in the data: random windows instead."
        return _random_windows(config, batch, why)
    n_rows = len(frame)
    if n_rows < t:
        return _random_windows(
            config, batch,
            f"The loaded data has {n_rows:,} rows, fewer than time_step {t}: the trace runs on random "
            "windows. "
            "Lower time_step or load more data to trace real prices.",
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
        f"the last {take} window{'s' if take != 1 else ''} of the loaded prices ({span}), newest first; "
        f"{norm_note}"
    )
    note = _capped_note(config, batch)
    if take < batch:
        note = f"Only {n} windows of {t} days fit in the data, so the batch has {take} instead of {batch}."
    return Windows(x, True, description, note, dates, (id(prices), norm_key, take, t, config.batch_size))


# ---------------------------------------------------------------------------------------------
# The trace (cached in session state)
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class TraceEntry:
    key: tuple
    trace: Any  # model.trace.ShapeTrace
    ms: float
    config: LstmConfig
    model: Any
    windows: Windows
    source: Source
    figures: dict = field(default_factory=dict)  # built figures, reused while the trace is

    def figure(self, key: Any, build) -> Any:
        """The figure ``build()`` makes, built once per trace (step changes reuse it)."""
        if key not in self.figures:
            self.figures[key] = build()
        return self.figures[key]


def _trace_module():
    """model.trace, importing TensorFlow with a spinner the first time."""
    if "model.trace" in sys.modules and "tensorflow" in sys.modules:
        from model import trace

        return trace
    with st.spinner("Loading TensorFlow (first visit only, a few seconds)…"):
        import tensorflow  # noqa: F401

        from model import trace
    return trace


def gate_time(config: LstmConfig) -> int:
    try:
        t = int(st.session_state.get(GATE_T, 1))
    except (TypeError, ValueError):
        t = 1
    return min(max(t, 0), config.time_step - 1)


def get_trace(trace_mod, prices: PriceTable | None, config: LstmConfig) -> TraceEntry:
    """The trace for these knobs, data and model: reused when nothing it depends on changed."""
    ss = st.session_state
    source = _source(config)
    windows = windows_for(prices, config, source)
    cfg = source.config
    model_key = ("trained", id(source.result)) if source.trained else ("fresh",)
    key = (trace_mod.architecture_key(cfg), windows.key, model_key, gate_time(cfg))
    cached = ss.get(TRACE)
    if isinstance(cached, TraceEntry) and cached.key == key:
        if cached.source.why_fresh != source.why_fresh:  # e.g. a model was trained meanwhile
            cached = dataclasses.replace(cached, source=source)
            ss[TRACE] = cached
        return cached
    model = source.result.run.model if source.trained else None
    t0 = time.perf_counter()
    with st.spinner("Building the network and tracing a forward pass…"):
        if model is None:
            model = trace_mod.network_for(cfg)
        trace = trace_mod.trace_shapes(cfg, model=model, x=windows.x, gate_time=gate_time(cfg))
    ms = (time.perf_counter() - t0) * 1000.0
    entry = TraceEntry(key, trace, ms, cfg, model, windows, source)
    ss[TRACE] = entry
    return entry


# ---------------------------------------------------------------------------------------------
# Equivalence with the tutorial's TF1 graph
# ---------------------------------------------------------------------------------------------


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
            "Keras (traced)": _fmt(ours),
            "tutorial's TF1 graph": _fmt(theirs) if theirs is not None else "—",
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


def _equivalence(entry: TraceEntry) -> None:
    ss = st.session_state
    st.subheader("Proof of equivalence", anchor=False)
    st.markdown(
        "Runs the tutorial's original TF1 graph — `tf.compat.v1` placeholders, `BasicLSTMCell`, "
        "`MultiRNNCell`, `dynamic_rnn`, exactly the code shown above — in a separate Python process, with "
        f"the same weights as the traced network ({entry.source.label}) on the same "
        f"{entry.windows.x.shape[0]} "
        "windows, and compares the predictions and the shape at every step. It takes 5–10 seconds."
    )
    key = entry.key[:3]
    if st.button(EQUIVALENCE_BUTTON, icon=":material/verified:"):
        from model.tutorial_graph import check_equivalence

        with st.spinner("Running the tutorial's TF1 graph in a separate process…", show_time=True):
            python = ss.get(EQUIVALENCE_PYTHON)
            result = check_equivalence(entry.model, entry.config, entry.windows.x, python=python)
        ss[EQUIVALENCE] = (key, result)
    stored = ss.get(EQUIVALENCE)
    if stored is None:
        return
    if stored[0] != key:
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
                pd.DataFrame([{"variable": k, "shape": _fmt(v)} for k, v in result.variables.items()]),
                hide_index=True, width="stretch",
            )  # fmt: skip


# ---------------------------------------------------------------------------------------------
# Gates and hidden state
# ---------------------------------------------------------------------------------------------


def share_cell_note(layer_num: int, count: int) -> str:
    return (
        f"Shared cell: all {layer_num} layers use one set of weights ({count:,} LSTM parameters), as the "
        "tutorial's code does — `MultiRNNCell([cell for _ in range(layer_num)])` puts the same "
        "`BasicLSTMCell` object in every layer."
    )


def gate_markdown(g, config: LstmConfig, layer_num: int, share_cell: bool) -> str:
    b, n_in, u = int(g.x_t[0]), int(g.x_t[-1]), int(g.h_t[-1])
    per_layer = g.param_count
    formula, _, rest = g.param_formula.partition(" = ")
    filled = rest.rsplit(" = ", 1)[0] if " = " in rest else rest
    total = (
        f"one set for all {layer_num} layers: **{per_layer:,}** LSTM parameters"
        if share_cell
        else f"× layer_num {layer_num} = **{per_layer * layer_num:,}** LSTM parameters"
    )
    return "\n".join([
        f"- `[x_t, h_(t-1)]`: `[batch_size, in + rnn_unit]` = `[{b}, {n_in}+{u}]` = `{_fmt(g.concat)}` — "
        f"the layer's input at step t next to its previous output. Here in = rnn_unit = {n_in}: the input "
        f"projection (step 3) already turned the {config.input_size} features into rnn_unit values.",
        f"- kernel `[(in + rnn_unit), 4*rnn_unit]` = `[({n_in}+{u}), 4*{u}]` = `{_fmt(g.kernel)}` and bias "
        f"`[4*rnn_unit]` = `{_fmt(g.bias)}`. Keras stores the kernel in two parts: `kernel` "
        f"`{_fmt(g.keras_kernel)}` for x_t and `recurrent_kernel` `{_fmt(g.keras_recurrent_kernel)}` "
        "for h_(t-1).",
        f"- z = `[x_t, h_(t-1)] @ kernel + bias`: `{_fmt(g.z)}`, cut into four `[batch_size, rnn_unit]` = "
        f"`{_fmt(g.gates['i'])}` blocks: **i** = σ input gate, **f** = σ forget gate, "
        "**g** = tanh candidate, "
        "**o** = σ output gate (BasicLSTMCell calls the candidate j and orders the blocks i, j, f, o).",
        f"- c_t = f ⊙ c_(t-1) + i ⊙ g: `{_fmt(g.c_t)}`; h_t = o ⊙ tanh(c_t): `{_fmt(g.h_t)}` — "
        "the layer's "
        "output at step t, and with c_t its state for step t+1.",
        f"- Parameters per layer: `{formula}` = `{filled}` = **{per_layer:,}**; {total}.",
        f"- Check: the recurrence run by hand from t = 0 to t = {g.time_index} equals the layer's own h: "
        f"{'yes' if g.matches_layer else '**no**'} (largest difference {g.max_abs_diff:.1e}).",
    ])  # fmt: skip


def _gate_panel(entry: TraceEntry) -> None:
    ss = st.session_state
    trace, cfg = entry.trace, entry.config
    st.subheader("Inside one LSTM layer: the gates", anchor=False)
    n_layers = len(trace.layer_gates)
    layer = min(max(int(ss.get(GATE_LAYER, 0) or 0), 0), n_layers - 1)
    ss[GATE_LAYER] = layer
    ss[GATE_LAYER_WIDGET] = layer
    ss[GATE_T_WIDGET] = gate_time(cfg)
    a, b = st.columns(2)
    a.selectbox(
        "Layer", list(range(n_layers)), key=GATE_LAYER_WIDGET, on_change=_copy,
        args=(GATE_LAYER_WIDGET, GATE_LAYER),
        format_func=lambda k: f"Layer {k + 1} ({trace.layer_gates[k].layer_name})",
        disabled=n_layers == 1,
    )  # fmt: skip
    b.slider(
        "Time step t", min_value=0, max_value=cfg.time_step - 1, key=GATE_T_WIDGET,
        on_change=_copy, args=(GATE_T_WIDGET, GATE_T),
        help="The step whose gates are shown (0-based). At t = 0, h_(t-1) and c_(t-1) are zeros.",
    )  # fmt: skip
    g = trace.layer_gates[layer]
    if trace.share_cell:
        st.info(share_cell_note(n_layers, g.param_count), icon=":material/link:")
    figure_style.show(entry.figure(("gates", layer), lambda: shape_figures.gate_figure(g)), key="shape_gate_flow")
    st.markdown(gate_markdown(g, cfg, n_layers, trace.share_cell))
    if g.values:
        title = f"Gate values of window 1 at t = {g.time_index} ({g.layer_name})"
        fig = entry.figure(("gate_values", layer), lambda: shape_figures.gate_values_figure(g.values, title))
        figure_style.show(fig, key="shape_gate_values")


def _hidden_state(entry: TraceEntry) -> None:
    trace, windows = entry.trace, entry.windows
    st.subheader("Hidden state h", anchor=False)
    where = (
        f"the newest window ({windows.dates[0]} → {windows.dates[-1]})"
        if windows.real
        else "window 1 (random data)"
    )
    st.caption(
        f"h of every LSTM layer for {where}, with {entry.source.label}: one row per step of the window "
        f"(time_step = {entry.config.time_step}), one column per unit (rnn_unit = {entry.config.rnn_unit}), "
        "one panel per layer. Values lie between −1 and 1; the last layer's h is the output_rnn of step 5."
    )
    hidden = trace.hidden
    names = [f"layer {k + 1} ({g.layer_name})" for k, g in enumerate(trace.layer_gates)]
    shape = _fmt(hidden[0].shape) if hidden else "[]"
    title = f"h per layer: [time_step, rnn_unit] = {shape} each"
    if hidden:
        steps, units = hidden[0].shape
        shown = max(1, min(units, HEATMAP_CELLS // max(1, steps * len(hidden))))
        if shown < units:
            hidden = [h[:, :shown] for h in hidden]
            title += f" (units 0–{shown - 1} of {units} shown)"
    labels = windows.dates if windows.real else None
    fig = entry.figure("hidden", lambda: shape_figures.hidden_heatmap(hidden, title, labels, names))
    figure_style.show(fig, key="shape_hidden")


# ---------------------------------------------------------------------------------------------
# Page
# ---------------------------------------------------------------------------------------------


def _knobs(prices: PriceTable | None) -> None:
    st.subheader("Network", anchor=False)
    knobs.render_network_knobs(st.container())
    knobs.knob_widget("share_cell")
    st.caption("The same knobs as on the Train page; they are in the link too.")


def _about(entry: TraceEntry) -> None:
    source, windows, trace = entry.source, entry.windows, entry.trace
    icon = ":material/model_training:" if source.trained else ":material/casino:"
    st.markdown(f"{icon} **Model:** {source.label}.")
    if source.why_fresh:
        st.caption(source.why_fresh)
    elif not source.trained:
        st.caption("Train a model with these settings on the Train page to trace its learned weights.")
    st.markdown(f":material/table_rows: **Windows:** {windows.description}.")
    if windows.note:
        st.info(windows.note, icon=":material/info:")
    st.caption(f"Forward pass traced in {entry.ms:.0f} ms.")
    with st.expander("Checks"):
        for note in trace.notes:
            st.caption(note)


def _step(entry: TraceEntry, step: int) -> None:
    """The step's title, explanation and diagram (beside the knobs)."""
    trace, cfg = entry.trace, entry.config
    record = trace.step(step)
    st.subheader(f"Step {step} of {N_STEPS} · {record.title}", anchor=False)
    st.markdown(record.explanation)
    if step == 5 and trace.share_cell:
        st.info(share_cell_note(cfg.layer_num, trace.gates.param_count), icon=":material/link:")
    fig = entry.figure(("step", step), lambda: shape_figures.step_figure(record, trace.share_cell, title=""))
    figure_style.show(fig, key="shape_step_diagram")
    st.caption("Box sides grow with log₂ of each dimension; a 3-D tensor's depth is its batch axis. "
               "Hover a box for its shape and the code that makes it.")  # fmt: skip


def _step_table(entry: TraceEntry, step: int) -> None:
    """Every tensor of the step: the tutorial's shape, with the numbers, and as observed (full width)."""
    record = entry.trace.step(step)
    st.markdown(rows_markdown(step_rows(entry.trace, step, entry.config)))
    if record.params:
        st.caption(f"Weights used in this step: {record.param_count:,} values.")


def render() -> None:
    st.title("Shapes")
    st.caption(
        "Shape walkthrough: the tutorial's seven-step explanation of `lstm(X)`, traced through a real "
        "forward pass of the network with your `rnn_unit`, `layer_num`, `time_step`, batch size and features."
    )
    widgets.url_warnings()
    prices = state.get_prices()
    if prices is None:
        message = st.session_state.get(state.DATA_ERROR) or "No prices are loaded"
        st.info(f"{message}: the trace runs on random windows.")
    else:
        for note in knobs.fit_columns(prices.columns):
            st.info(note)

    knobs_col, main_col = st.columns([1.2, 3], gap="large")
    with knobs_col:
        _knobs(prices)
    config = knobs.knob_config()
    try:
        config.validate()
    except LensError as exc:
        with main_col:
            widgets.show_error(exc)
        return

    try:
        trace_mod = _trace_module()
        entry = get_trace(trace_mod, prices, config)
    except LensError as exc:
        with main_col:
            widgets.show_error(exc)
        return
    except Exception as exc:  # noqa: BLE001 - a message in the page, never a traceback
        with main_col:
            widgets.show_error(f"Tracing the network failed: {type(exc).__name__}: {exc}")
        return

    with knobs_col:
        _about(entry)
    with main_col:
        step = _step_nav()
        _step(entry, step)
    _step_table(entry, step)
    _code_side_by_side(trace_mod, entry.config, step)
    if step == 5:
        _gate_panel(entry)
    with st.expander("All seven steps at a glance"):
        st.dataframe(pd.DataFrame(entry.trace.as_table()), hide_index=True, width="stretch")
    st.divider()
    _hidden_state(entry)
    st.divider()
    _equivalence(entry)

