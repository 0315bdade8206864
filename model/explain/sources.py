"""The two source texts the walkthrough shows, each line tagged with the step(s) it belongs to.

The step numbers (``Step``), the tutorial's TF1 ``lstm(X)`` (``tutorial_source``) and our Keras
network (``keras_source``) are defined here once. Every line is written next to its step tags;
the line maps (``tutorial_step_lines``, ``keras_step_lines``) are derived from those tags, never
numbered by hand. The TF1 worker (``model.explain.tutorial_graph_worker``) receives the derived
map with the text it executes, so the code shown, the highlighted lines and the TF1 proof all
use one copy.

Pure Python: importing this module imports neither TensorFlow nor Streamlit.
"""

from __future__ import annotations

from enum import IntEnum

from model.engine.config import LstmConfig


class Step(IntEnum):
    """The seven steps of the tutorial's explanation of ``lstm(X)``."""

    INPUT = 1
    TO_2D = 2
    INPUT_PROJECTION = 3
    TO_3D = 4
    LSTM = 5
    OUTPUT_PROJECTION = 6
    PREDICTION = 7

    @property
    def title(self) -> str:
        return STEP_TITLES[self]


STEPS: tuple[Step, ...] = tuple(Step)
N_STEPS = len(STEPS)
STEP_TITLES: dict[Step, str] = {
    Step.INPUT: "Input windows",
    Step.TO_2D: "Reshape to 2-D",
    Step.INPUT_PROJECTION: "Input projection",
    Step.TO_3D: "Reshape to 3-D",
    Step.LSTM: "Stacked LSTM",
    Step.OUTPUT_PROJECTION: "Output projection",
    Step.PREDICTION: "Prediction",
}
# Keras' Dense works on the last axis: its one line does the tutorial's reshape, matmul, reshape.
KERAS_DENSE_STEPS: tuple[Step, ...] = (Step.TO_2D, Step.INPUT_PROJECTION, Step.TO_3D)
# Steps that are a reshape only (no weights).
RESHAPE_STEPS: tuple[Step, ...] = (Step.TO_2D, Step.TO_3D, Step.PREDICTION)

# Names each step produces in the tutorial's code (locals of lstm(X), read by the TF1 worker after
# the step's last line). "final_states" stands for final_states[k].c / .h of every layer.
TUTORIAL_STEP_LOCALS: dict[int, tuple[str, ...]] = {
    Step.INPUT: ("X",),
    Step.TO_2D: ("input",),
    Step.INPUT_PROJECTION: ("input_rnn",),
    Step.TO_3D: ("input_rnn",),
    Step.LSTM: ("output_rnn", "final_states"),
    Step.OUTPUT_PROJECTION: ("output", "pred"),
}

TaggedLine = tuple[tuple[int, ...], str]  # (steps the line belongs to, the line)
NO_STEP: tuple[int, ...] = ()  # settings and blank lines


def _tutorial_lines(config: LstmConfig) -> list[TaggedLine]:
    if config.share_cell:
        cell_lines = [
            ((5,), "    cell=tf.nn.rnn_cell.BasicLSTMCell(rnn_unit)"),
            ((5,), "    multi_cell=tf.nn.rnn_cell.MultiRNNCell([cell for _ in range(layer_num)])"
                   "  # one cell object reused => layers share weights"),
        ]  # fmt: skip
    else:
        cell_lines = [
            ((5,), "    cells=[tf.nn.rnn_cell.BasicLSTMCell(rnn_unit) for _ in range(layer_num)]"
                   "  # one cell per layer => own weights"),
            ((5,), "    multi_cell=tf.nn.rnn_cell.MultiRNNCell(cells)"),
        ]  # fmt: skip
    return [
        (NO_STEP, f"input_size={config.input_size}"),
        (NO_STEP, f"rnn_unit={config.rnn_unit}"),
        (NO_STEP, f"layer_num={config.layer_num}"),
        (NO_STEP, ""),
        ((1,), "def lstm(X):"),
        ((1,), "    batch_size=tf.shape(X)[0]"),
        ((1,), "    time_step=tf.shape(X)[1]"),
        ((3,), "    w_in=weights['in']"),
        ((3,), "    b_in=biases['in']"),
        ((2,), "    input=tf.reshape(X,[-1,input_size])  # to 2-D for the matmul"),
        ((3,), "    input_rnn=tf.matmul(input,w_in)+b_in"),
        ((4,), "    input_rnn=tf.reshape(input_rnn,[-1,time_step,rnn_unit])  # back to 3-D as the LSTM cell's input"),
        *cell_lines,
        ((5,), "    init_state=multi_cell.zero_state(batch_size,dtype=tf.float32)"),
        ((5,), "    output_rnn,final_states=tf.nn.dynamic_rnn(multi_cell, input_rnn,initial_state=init_state, dtype=tf.float32)"),
        ((6,), "    output=tf.reshape(output_rnn,[-1,rnn_unit])"),
        ((6,), "    w_out=weights['out']"),
        ((6,), "    b_out=biases['out']"),
        ((6,), "    pred=tf.matmul(output,w_out)+b_out"),
        ((7,), "    return pred,final_states"),
    ]  # fmt: skip


def _keras_lines(config: LstmConfig) -> list[TaggedLine]:
    if config.share_cell:
        shared = (
            '    shared = layers.LSTM(rnn_unit, return_sequences=True, return_state=True, name="shared_lstm")'
            "  # ONE layer, called layer_num times"
        )
    else:
        shared = "    shared = None  # each depth gets its own LSTM layer"
    return [
        (NO_STEP, f"input_size={config.input_size}"),
        (NO_STEP, f"rnn_unit={config.rnn_unit}"),
        (NO_STEP, f"layer_num={config.layer_num}"),
        (NO_STEP, f"time_step={config.time_step}"),
        (NO_STEP, f"dropout={float(config.dropout)!r}"),
        (NO_STEP, f"seed={config.seed}"),
        (NO_STEP, ""),
        ((1,), "def build_network():"),
        ((1,), '    inputs = keras.Input(shape=(time_step, input_size), name="x")'),
        ((2, 3, 4), '    x = layers.Dense(rnn_unit, name="input_projection")(inputs)  # reshape to 2-D, matmul w_in + b_in, reshape back'),
        ((5,), shared),
        ((5,), "    for k in range(layer_num):"),
        ((5,), '        lstm = shared or layers.LSTM(rnn_unit, return_sequences=True, return_state=True, name=f"lstm_{k + 1}")'),
        ((5,), "        x, h, c = lstm(x)  # Keras returns (sequence, h, c); TF1's LSTMStateTuple is (c, h)"),
        ((5,), "        if dropout > 0 and k < layer_num - 1:"),
        ((5,), '            x = layers.Dropout(dropout, seed=seed + k, name=f"dropout_{k + 1}")(x)  # off at prediction time'),
        ((6, 7), '    outputs = layers.Dense(1, name="output_projection")(x)  # [batch, time_step, 1]'),
        ((7,), '    return keras.Model(inputs, outputs, name="stacked_lstm")'),
    ]  # fmt: skip


def _text(lines: list[TaggedLine]) -> str:
    return "\n".join(text for _, text in lines) + "\n"


def _step_lines(lines: list[TaggedLine]) -> dict[int, tuple[int, ...]]:
    """Step -> its 1-based line numbers, read from the tags."""
    return {step: tuple(n for n, (tags, _) in enumerate(lines, start=1) if step in tags) for step in STEPS}


def tutorial_source(config: LstmConfig) -> str:
    """The tutorial's TF1 ``lstm(X)`` with the user's settings on top.

    With ``share_cell`` it is the tutorial's own code: ONE BasicLSTMCell object put in every
    layer of the MultiRNNCell, so all layers share one set of weights. Without it, each layer
    gets its own BasicLSTMCell (what our Keras network does by default). The TF1 proof
    (``model.explain.tutorial_graph``) executes exactly this text (``tf`` bound to ``tf.compat.v1``).
    """
    return _text(_tutorial_lines(config))


def keras_source(config: LstmConfig) -> str:
    """Our Keras network (``model/engine/network.py``'s ``build_network``) with the user's settings on top.

    Executing it with ``keras`` and ``layers`` in scope builds the same architecture as
    ``build_network(config)`` (the tests check that).
    """
    return _text(_keras_lines(config))


def tutorial_step_lines(config: LstmConfig) -> dict[int, tuple[int, ...]]:
    """Step -> 1-based lines of ``tutorial_source(config)``, derived from the line tags."""
    return _step_lines(_tutorial_lines(config))


def keras_step_lines(config: LstmConfig) -> dict[int, tuple[int, ...]]:
    """Step -> 1-based lines of ``keras_source(config)``, derived from the line tags."""
    return _step_lines(_keras_lines(config))


# Both share_cell variants tag the same line numbers (the tests check it), so one map serves both.
TUTORIAL_STEP_LINES: dict[int, tuple[int, ...]] = tutorial_step_lines(LstmConfig())
KERAS_STEP_LINES: dict[int, tuple[int, ...]] = keras_step_lines(LstmConfig())


def source_lines(source: str, line_numbers: tuple[int, ...]) -> str:
    """The given 1-based lines of ``source``, joined with newlines and dedented by four spaces."""
    all_lines = source.splitlines()
    picked = [all_lines[n - 1] for n in line_numbers]
    return "\n".join(line[4:] if line.startswith("    ") else line for line in picked)
