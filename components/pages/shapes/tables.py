"""Pure shape tables and texts of the Shapes page: each function computes a small record or a
Markdown string from the engine's records (testable without Streamlit); the page draws them.
"""

from __future__ import annotations

from dataclasses import dataclass

from model.engine.config import LstmConfig
from model.explain.records import GateTrace, ShapeTrace, UnrolledTrace
from model.explain.shapes import fill_shape, fmt_shape, tutorial_dims
from model.explain.sources import Step

ROLE_LABEL = {"in": "input", "weight": "weight", "out": "output"}
TABLE_HEADER = "| | Tensor | Tutorial's shape | With your numbers | Observed in the forward pass |"
UNROLL_TABLE_HEADER = (
    "| | Tensor at step t | Tutorial's shape | With your numbers | Observed in the forward pass |"
)


@dataclass(frozen=True)
class ShapeRow:
    role: str  # in | weight | out
    name: str
    symbolic: str  # the tutorial's shape, e.g. "[batch_size*time_step, input_size]"
    filled: str  # with the numbers, e.g. "[80*20, 6] = [1600, 6]"
    observed: str  # what the forward pass produced, e.g. "[1600, 6]"
    ok: bool | None  # filled value == observed (None when the tutorial names no shape)


def shape_row(
    role: str,
    name: str,
    shapes: list[tuple[int, ...]],
    values: dict[str, int],
    times: str = "",
    dims_of: str | None = None,
) -> ShapeRow:
    """One row for one tensor, or for ``len(shapes)`` tensors of one kind (``times``: e.g. "layer_num").

    ``dims_of``: the tutorial name whose symbolic shape applies (default ``name``).
    """
    shape = tuple(shapes[0])
    same = all(tuple(s) == shape for s in shapes)
    n = len(shapes)
    observed = fmt_shape(shape) if same else "; ".join(fmt_shape(s) for s in shapes)
    if times:
        observed = f"{n} × {observed}" if same else observed
    dims = tutorial_dims(dims_of or name, len(shape))
    if dims is None:
        return ShapeRow(role, name, "", "", observed, None)
    symbolic, filled, value = fill_shape(dims, values)
    result = fmt_shape(value)
    if times:
        symbolic, filled, result = f"{times} × {symbolic}", f"{n} × {filled}", f"{n} × {result}"
    if filled != result:
        filled = f"{filled} = {result}"
    ok = same and value == shape and (not times or n == values.get(times, n))
    return ShapeRow(role, name, symbolic, filled, observed, ok)


def shape_values(trace: ShapeTrace, config: LstmConfig) -> dict[str, int]:
    """The numbers the tutorial's symbols stand for: the knobs, and the batch actually traced."""
    return {
        "batch_size": trace.batch_size,
        "time_step": int(config.time_step),
        "input_size": int(config.input_size),
        "rnn_unit": int(config.rnn_unit),
        "layer_num": int(config.layer_num),
    }


def _lstm_rows(trace: ShapeTrace, values: dict[str, int]) -> list[ShapeRow]:
    """Step 5: one row per kind of weight covering every layer, output_rnn, and the final states."""
    step = trace.step(Step.LSTM)
    rows = [shape_row("in", t.name, [t.shape], values) for t in step.inputs]
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
        row = shape_row("weight", kind, shapes, values, times="layer_num" if len(shapes) > 1 else "")
        rows.append(ShapeRow(row.role, name, row.symbolic, row.filled, row.observed, row.ok))
    rows.append(shape_row("out", step.outputs[0].name, [step.outputs[0].shape], values))
    states = step.outputs[1:]
    for part in ("c", "h"):
        shapes = [t.shape for t in states if t.name.endswith("." + part)]
        if shapes:
            row = shape_row("out", f"final_states.{part}", shapes, values, times="layer_num")
            name = f"final_states[k].{part}, k = 0…{len(shapes) - 1}"
            rows.append(ShapeRow(row.role, name, row.symbolic, row.filled, row.observed, row.ok))
    return rows


def step_rows(trace: ShapeTrace, number: int, config: LstmConfig) -> list[ShapeRow]:
    """Every tensor of one step: the tutorial's shape, the same with numbers, and the observed shape."""
    step = trace.step(number)
    values = shape_values(trace, config)
    if number == Step.INPUT:  # X is what the network is given: the input
        return [shape_row("in", t.name, [t.shape], values) for t in step.outputs]
    if number == Step.LSTM:
        return _lstm_rows(trace, values)
    rows = [shape_row("in", t.name, [t.shape], values) for t in step.inputs]
    rows += [shape_row("weight", p.name, [p.shape], values) for p in step.params]
    rows += [shape_row("out", t.name, [t.shape], values) for t in step.outputs]
    return rows


def unroll_shape_rows(trace: ShapeTrace, t: int, config: LstmConfig) -> list[ShapeRow]:
    """The shapes of one time step ``t`` of the unrolled LSTM, checked like the seven steps: the cell's
    input x_t, h_t and c_t of every layer (one row each kind), and the tutorial tensors that hold them."""
    un: UnrolledTrace = trace.unrolled
    values = shape_values(trace, config)
    n = len(un.layers)
    last = un.time_step - 1
    rows = [
        shape_row("in", f"x_t = input_rnn[:, {t}, :]", [un.x_t_shape], values, dims_of="x_t"),
        shape_row("out", "h_t of every layer", [un.step_shape] * n, values, times="layer_num", dims_of="h_t"),
        shape_row("out", "c_t of every layer", [c for c, _ in un.final_state_shapes], values, times="layer_num",
                  dims_of="c_t"),
        shape_row("out", f"output_rnn (h_t of layer {n} is output_rnn[:, {t}, :])", [un.output_rnn_shape], values,
                  dims_of="output_rnn"),
    ]  # fmt: skip
    if t == last:
        for part, index in (("c", 0), ("h", 1)):
            shapes = [pair[index] for pair in un.final_state_shapes]
            row = shape_row("out", "final_states", shapes, values, times="layer_num")
            name = f"final_states[k].{part} = layer k's {part}_t at t = {last}"
            rows.append(ShapeRow(row.role, name, row.symbolic, row.filled, row.observed, row.ok))
    return rows


def rows_markdown(rows: list[ShapeRow], header: str = TABLE_HEADER) -> str:
    lines = [header, "|---|---|---|---|---|"]
    for r in rows:
        mark = {True: " ✓", False: " ✗", None: ""}[r.ok]
        sym = f"`{r.symbolic}`" if r.symbolic else "—"
        filled = f"`{r.filled}`" if r.filled else "—"
        lines.append(f"| {ROLE_LABEL[r.role]} | `{r.name}` | {sym} | {filled} | `{r.observed}`{mark} |")
    return "\n".join(lines)


def share_cell_note(layer_num: int, count: int) -> str:
    return (
        f"Shared cell: all {layer_num} layers use one set of weights ({count:,} LSTM parameters), as the "
        "tutorial's code does — `MultiRNNCell([cell for _ in range(layer_num)])` puts the same "
        "`BasicLSTMCell` object in every layer."
    )


def gate_markdown(g: GateTrace, config: LstmConfig, layer_num: int, share_cell: bool) -> str:
    """The gate panel's text: every shape of one cell step, and the parameter count (structured)."""
    b, n_in, u = int(g.x_t[0]), int(g.x_t[-1]), int(g.h_t[-1])
    per_layer = g.formula.count
    total = (
        f"one set for all {layer_num} layers: **{per_layer:,}** LSTM parameters"
        if share_cell
        else f"× layer_num {layer_num} = **{per_layer * layer_num:,}** LSTM parameters"
    )
    return "\n".join([
        f"- `[x_t, h_(t-1)]`: `[batch_size, in + rnn_unit]` = `[{b}, {n_in}+{u}]` = `{fmt_shape(g.concat)}` — "
        f"the layer's input at step t next to its previous output. Here in = rnn_unit = {n_in}: the input "
        f"projection (step {int(Step.INPUT_PROJECTION)}) already turned the {config.input_size} features into "
        "rnn_unit values.",
        f"- kernel `[(in + rnn_unit), 4*rnn_unit]` = `[({n_in}+{u}), 4*{u}]` = `{fmt_shape(g.kernel)}` and bias "
        f"`[4*rnn_unit]` = `{fmt_shape(g.bias)}`. Keras stores the kernel in two parts: `kernel` "
        f"`{fmt_shape(g.keras_kernel)}` for x_t and `recurrent_kernel` `{fmt_shape(g.keras_recurrent_kernel)}` "
        "for h_(t-1).",
        f"- z = `[x_t, h_(t-1)] @ kernel + bias`: `{fmt_shape(g.z)}`, cut into four `[batch_size, rnn_unit]` = "
        f"`{fmt_shape(g.gates['i'])}` blocks: **i** = σ input gate, **f** = σ forget gate, "
        "**g** = tanh candidate, "
        "**o** = σ output gate (BasicLSTMCell calls the candidate j and orders the blocks i, j, f, o).",
        f"- c_t = f ⊙ c_(t-1) + i ⊙ g: `{fmt_shape(g.c_t)}`; h_t = o ⊙ tanh(c_t): `{fmt_shape(g.h_t)}` — "
        "the layer's "
        "output at step t, and with c_t its state for step t+1.",
        f"- Parameters per layer: `{g.formula.symbolic}` = `{g.formula.filled}` = **{per_layer:,}**; {total}.",
        f"- Check: the recurrence run by hand from t = 0 to t = {g.time_index} equals the layer's own h: "
        f"{'yes' if g.matches_layer else '**no**'} (largest difference {g.max_abs_diff:.1e}).",
    ])  # fmt: skip


def unroll_markdown(un: UnrolledTrace, t: int) -> str:
    """Where the tutorial's code keeps each layer's h_t and c_t at step ``t``, and the check."""
    lines = []
    for k in range(len(un.layers)):
        held = un.holders(k, t)
        h = " and ".join(f"`{n}`" for n in held["h"]) or "only inside `dynamic_rnn`"
        c = " and ".join(f"`{n}`" for n in held["c"]) or "only inside `dynamic_rnn`"
        lines.append(f"- Layer {k + 1} ({un.layers[k].layer_name}): h_t is {h}; c_t is {c}.")
    lines.append(
        f"- Check: the cell run step by step from t = 0 to t = {un.time_step - 1} equals the layers' own outputs "
        f"(every h_t, and the final c and h): {'yes' if un.matches_layers else '**no**'} "
        f"(largest difference {un.max_abs_diff:.1e})."
    )
    return "\n".join(lines)
