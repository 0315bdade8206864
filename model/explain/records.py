"""What the forward trace records: plain, frozen dataclasses (numpy arrays at most), so the page's
tables and figures are pure functions of them. No TensorFlow, no Streamlit.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from model.explain.shapes import fmt_shape
from model.explain.sources import Step


@dataclass(frozen=True)
class TensorInfo:
    """A tensor seen during the trace: its name in the tutorial's code and its observed shape."""

    name: str
    shape: tuple[int, ...]

    @property
    def label(self) -> str:
        return f"{self.name} {fmt_shape(self.shape)}"


@dataclass(frozen=True)
class ParamInfo:
    """A weight used by a step: name, observed shape and number of values."""

    name: str
    shape: tuple[int, ...]
    count: int

    @property
    def label(self) -> str:
        return f"{self.name} {fmt_shape(self.shape)} ({self.count:,})"


@dataclass(frozen=True)
class StepRecord:
    number: Step
    title: str
    explanation: str
    tutorial_code: str
    keras_code: str
    inputs: list[TensorInfo]
    outputs: list[TensorInfo]
    params: list[ParamInfo]

    @property
    def param_count(self) -> int:
        return sum(p.count for p in self.params)


@dataclass(frozen=True)
class ParamFormula:
    """The LSTM layer's parameter count as a formula: symbolic, with the numbers, and the result."""

    symbolic: str  # "4*(in*rnn_unit + rnn_unit*rnn_unit + rnn_unit)"
    filled: str  # "4*(10*10 + 10*10 + 10)"
    count: int

    def __str__(self) -> str:
        return f"{self.symbolic} = {self.filled} = {self.count:,}"


@dataclass(frozen=True, eq=False)
class GateTrace:
    """One LSTM cell step opened up, computed with the layer's real weights.

    Shapes are those of the arrays computed here. ``kernel`` is the tutorial's single matrix:
    Keras' ``kernel`` [in, 4u] stacked on ``recurrent_kernel`` [u, 4u]. Gate order along the
    4u axis is Keras' i, f, c(~), o (BasicLSTMCell's is i, j, f, o). The recurrence is run by
    hand from t = 0 up to ``time_index``; ``matches_layer`` says whether every manual h equals
    the layer's own output at that step (``max_abs_diff`` is the largest gap).
    """

    layer_name: str
    layer_index: int  # depth, 0-based
    time_index: int  # 0-based step the gates are shown for
    x_t: tuple[int, ...]
    h_prev: tuple[int, ...]
    c_prev: tuple[int, ...]
    concat: tuple[int, ...]  # [x_t, h_(t-1)]: [batch, in + rnn_unit]
    keras_kernel: tuple[int, ...]  # [in, 4u]
    keras_recurrent_kernel: tuple[int, ...]  # [u, 4u]
    kernel: tuple[int, ...]  # [in + u, 4u]
    bias: tuple[int, ...]  # [4u]
    z: tuple[int, ...]  # concat @ kernel + bias: [batch, 4u]
    gates: dict[str, tuple[int, ...]]  # "i", "f", "g", "o" -> [batch, u]
    c_t: tuple[int, ...]
    h_t: tuple[int, ...]
    formula: ParamFormula
    matches_layer: bool
    max_abs_diff: float
    # Values for batch element 0 at time_index, for display: "i", "f", "g", "o", "c_t", "h_t" -> [u].
    values: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def param_count(self) -> int:
        return self.formula.count

    @property
    def param_formula(self) -> str:
        return str(self.formula)


@dataclass(frozen=True, eq=False)
class UnrolledLayer:
    """One LSTM layer run cell by cell over the time steps of window 1 (batch element 0)."""

    layer_name: str
    depth: int  # 0-based
    h: np.ndarray  # [time_step, rnn_unit]: h_t for t = 0 .. time_step-1, by hand
    c: np.ndarray  # [time_step, rnn_unit]: c_t
    max_abs_diff: float  # largest |by hand - the layer's own output| (every h_t, the final c and h)
    matches_layer: bool


@dataclass(frozen=True, eq=False)
class UnrolledTrace:
    """The stacked LSTM unrolled in time: h_t and c_t of every layer at every step of one window.

    The values are for window 1; the shapes are those of the whole batch's tensors, as observed in
    the forward pass: ``h_t``/``c_t`` of one step are [batch_size, rnn_unit] (``step_shape``),
    ``output_rnn`` is every h of the last layer, ``final_states[k]`` the (c, h) of the last step.
    """

    layers: list[UnrolledLayer]
    x_t_shape: tuple[int, ...]  # input_rnn[:, t, :], the first layer's input at one step
    step_shape: tuple[int, ...]  # output_rnn[:, t, :], one step of h (and of c) for the batch
    output_rnn_shape: tuple[int, ...]
    final_state_shapes: list[tuple[tuple[int, ...], tuple[int, ...]]]  # per layer: (c shape, h shape)
    share_cell: bool

    @property
    def time_step(self) -> int:
        return int(self.layers[0].h.shape[0]) if self.layers else 0

    @property
    def matches_layers(self) -> bool:
        return all(layer.matches_layer for layer in self.layers)

    @property
    def max_abs_diff(self) -> float:
        return max((layer.max_abs_diff for layer in self.layers), default=0.0)

    def holders(self, depth: int, t: int) -> dict[str, list[str]]:
        """Which tensors of the tutorial's code hold layer ``depth``'s h_t and c_t at step ``t``.

        ``output_rnn`` is every h of the LAST layer; ``final_states[k]`` is (c, h) of the last step
        of layer k. Anything else lives only inside ``dynamic_rnn`` (the tutorial never sees it).
        """
        last_layer = depth == len(self.layers) - 1
        last_step = t == self.time_step - 1
        h: list[str] = []
        c: list[str] = []
        if last_layer:
            h.append(f"output_rnn[:, {t}, :]")
        if last_step:
            h.append(f"final_states[{depth}].h")
            c.append(f"final_states[{depth}].c")
        return {"h": h, "c": c}


@dataclass(frozen=True, eq=False)
class ShapeTrace:
    steps: list[StepRecord]
    gates: GateTrace  # first LSTM layer
    hidden: list[np.ndarray]  # per LSTM depth: h sequence of batch element 0, [time_step, rnn_unit]
    share_cell: bool
    notes: list[str]
    matches_model: bool  # step-by-step prediction == model(x) (allclose, atol MATCH_ATOL)
    max_abs_diff: float  # largest |step-by-step - model(x)|
    layer_gates: list[GateTrace] = field(default_factory=list)  # every depth (first == gates)
    prediction: np.ndarray | None = None  # the step-by-step prediction, [batch, time_step, 1]
    unrolled: UnrolledTrace | None = None

    def step(self, number: int) -> StepRecord:
        return self.steps[number - 1]

    @property
    def batch_size(self) -> int:
        """The number of windows traced (the batch actually run)."""
        return int(self.step(Step.INPUT).outputs[0].shape[0])

    def shape_map(self) -> dict[str, tuple[int, ...]]:
        """Every step output as ``"<step>:<name>" -> shape`` (the keys the TF1 graph check uses)."""
        return {f"{int(s.number)}:{t.name}": t.shape for s in self.steps for t in s.outputs}

    def as_table(self) -> list[dict[str, Any]]:
        """One row per step: step, title, inputs, outputs, params (strings) and param_count."""
        return [
            {
                "step": int(s.number),
                "title": s.title,
                "inputs": "; ".join(t.label for t in s.inputs),
                "outputs": "; ".join(t.label for t in s.outputs),
                "params": "; ".join(p.label for p in s.params),
                "param_count": s.param_count,
            }
            for s in self.steps
        ]
