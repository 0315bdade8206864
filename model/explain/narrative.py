"""The prose of the walkthrough: one ``StepRecord`` per step, written from the shapes the forward
pass observed, and the notes on the checks. Pure Python on plain records (no TensorFlow).
"""

from __future__ import annotations

from dataclasses import dataclass

from model.engine.config import LstmConfig
from model.explain.cells import MATCH_ATOL
from model.explain.records import GateTrace, ParamInfo, StepRecord, TensorInfo
from model.explain.shapes import fmt_shape as fmt
from model.explain.sources import (
    KERAS_STEP_LINES,
    TUTORIAL_STEP_LINES,
    Step,
    keras_source,
    source_lines,
    tutorial_source,
)

Shape = tuple[int, ...]


@dataclass(frozen=True)
class ObservedShapes:
    """Every tensor shape of one forward pass, and the weights each step used."""

    X: Shape
    input: Shape  # [batch*time_step, input_size]
    input_rnn_2d: Shape
    input_rnn: Shape  # [batch, time_step, rnn_unit]
    output_rnn: Shape
    final_states: list[tuple[Shape, Shape]]  # (c, h) per layer
    output: Shape
    pred: Shape
    prediction: Shape
    w_in: ParamInfo
    b_in: ParamInfo
    lstm_params: list[ParamInfo]  # kernel, recurrent_kernel, bias of each distinct LSTM layer
    w_out: ParamInfo
    b_out: ParamInfo


def _code(config: LstmConfig, step: Step) -> tuple[str, str]:
    return (
        source_lines(tutorial_source(config), TUTORIAL_STEP_LINES[step]),
        source_lines(keras_source(config), KERAS_STEP_LINES[step]),
    )


def _lstm_explanation(o: ObservedShapes, config: LstmConfig) -> str:
    n_layers = len(o.final_states)
    state_shapes = {s for pair in o.final_states for s in pair}
    state_desc = fmt(next(iter(state_shapes))) if len(state_shapes) == 1 else "of the shapes listed"
    text = (
        f"Run the {n_layers} stacked LSTM layer{'s' if n_layers != 1 else ''} over the {o.input_rnn[1]} steps: "
        f"the output is {fmt(o.output_rnn)} (the last layer's h at every step), and the final state holds "
        f"{n_layers} (c, h) pair{'s' if n_layers != 1 else ''}, each {state_desc}."
    )
    if config.share_cell:
        return text + (
            " All layers use ONE set of LSTM weights, as the tutorial's code does: "
            "MultiRNNCell([cell for _ in range(layer_num)]) puts the same cell object in every layer."
        )
    return text + " Each layer has its own weights."


def step_records(o: ObservedShapes, config: LstmConfig) -> list[StepRecord]:
    """The seven steps, each explained with the numbers the forward pass produced."""
    xs, i2, ir2, ir3, p2, p3 = o.X, o.input, o.input_rnn_2d, o.input_rnn, o.pred, o.prediction
    win_s, ts_s, feat_s = xs
    states = []
    for k, (c, h) in enumerate(o.final_states):
        states += [TensorInfo(f"final_states[{k}].c", c), TensorInfo(f"final_states[{k}].h", h)]

    def record(step: Step, explanation: str, inputs, outputs, params=()) -> StepRecord:
        return StepRecord(step, step.title, explanation, *_code(config, step), list(inputs), list(outputs),
                          list(params))  # fmt: skip

    return [
        record(
            Step.INPUT,
            f"X is {fmt(xs)}: {win_s} windows of {ts_s} days with {feat_s} features each.",
            [], [TensorInfo("X", xs)],
        ),
        record(
            Step.TO_2D,
            f"Reshape X to 2-D {fmt(i2)}: the {win_s} windows x {ts_s} days become {i2[0]} rows of {i2[1]} "
            f"features, so one matrix multiply handles every day of every window. "
            f"(Keras' Dense does this reshape for you: it works on the last axis.)",
            [TensorInfo("X", xs)], [TensorInfo("input", i2)],
        ),
        record(
            Step.INPUT_PROJECTION,
            f"Multiply by w_in {fmt(o.w_in.shape)} and add b_in {fmt(o.b_in.shape)}: {fmt(ir2)}, each day's "
            f"{i2[1]} features projected to the {ir2[1]} units of the LSTM. "
            f"In Keras these are input_projection's kernel and bias.",
            [TensorInfo("input", i2)], [TensorInfo("input_rnn", ir2)], [o.w_in, o.b_in],
        ),
        record(
            Step.TO_3D,
            f"Reshape back to 3-D {fmt(ir3)}: the LSTM cell's input, {ir3[0]} windows of {ir3[1]} steps "
            f"with {ir3[2]} values each.",
            [TensorInfo("input_rnn", ir2)], [TensorInfo("input_rnn", ir3)],
        ),
        record(
            Step.LSTM, _lstm_explanation(o, config),
            [TensorInfo("input_rnn", ir3)], [TensorInfo("output_rnn", o.output_rnn), *states], o.lstm_params,
        ),
        record(
            Step.OUTPUT_PROJECTION,
            f"Reshape the output to 2-D {fmt(o.output)} and multiply by w_out {fmt(o.w_out.shape)} plus "
            f"b_out {fmt(o.b_out.shape)}: {fmt(p2)}, one prediction per day of every window. "
            f"In Keras these are output_projection's kernel and bias.",
            [TensorInfo("output_rnn", o.output_rnn)], [TensorInfo("output", o.output), TensorInfo("pred", p2)],
            [o.w_out, o.b_out],
        ),
        record(
            Step.PREDICTION,
            f"Reshaped per window the prediction is {fmt(p3)}: an input of {xs[1]} steps gives an output of "
            f"{p3[1]} steps — to predict a sequence of length {p3[1]}, feed {xs[1]} steps.",
            [TensorInfo("pred", p2)], [TensorInfo("prediction", p3)],
        ),
    ]  # fmt: skip


def check_notes(
    config: LstmConfig,
    matches_model: bool,
    max_diff: float,
    first_gates: GateTrace,
    lstm_names: list[str],
    unrolled_ok: bool | None = None,
    unrolled_diff: float = 0.0,
) -> list[str]:
    """Plain-words results of the checks made during the trace."""
    verdict = "equals" if matches_model else "does NOT equal"
    notes = [
        f"Step by step {verdict} model(x): largest difference {max_diff:.2e} (tolerance {MATCH_ATOL:g})."
    ]
    if config.share_cell:
        notes.append(
            f"Shared cell: one LSTM layer ({lstm_names[0]}) is called {len(lstm_names)} times, so step 5 lists "
            "one set of weights for all layers — the tutorial's MultiRNNCell([cell]*layer_num)."
        )
    if config.dropout > 0:
        notes.append(
            f"Dropout ({config.dropout:g}) between LSTM layers is only active while training, so the "
            "trace (a prediction) skips it."
        )
    g0 = first_gates
    notes.append(
        f"Gates of {g0.layer_name} at t={g0.time_index}: manual h matches the layer's output: "
        f"{'yes' if g0.matches_layer else 'NO'} (largest difference {g0.max_abs_diff:.2e})."
    )
    if unrolled_ok is not None:
        notes.append(
            "Unrolled in time (window 1, every layer, every step): h_t and the final (c, h) by hand match "
            f"the layers' outputs: {'yes' if unrolled_ok else 'NO'} (largest difference {unrolled_diff:.2e})."
        )
    return notes
