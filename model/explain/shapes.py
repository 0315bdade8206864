"""Shapes as the tutorial writes them: the one shape formatter, and the symbolic axis names of every
tensor its ``lstm(X)`` makes, filled in with the user's numbers.

Pure Python (no TensorFlow, no Streamlit): the Shapes page's tables and figures use it as is.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence


def fmt_shape(shape: Sequence[int]) -> str:
    """``(80, 20, 6)`` -> ``"[80, 20, 6]"``: the one way shapes are written everywhere."""
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


# Axis names, as the tutorial's explanation writes them, of every tensor its lstm(X) makes:
# (name, number of axes) -> one symbolic expression per axis.
TUTORIAL_DIMS: dict[tuple[str, int], tuple[str, ...]] = {
    ("X", 3): ("batch_size", "time_step", "input_size"),
    ("input", 2): ("batch_size*time_step", "input_size"),
    ("w_in", 2): ("input_size", "rnn_unit"),
    ("b_in", 1): ("rnn_unit",),
    ("input_rnn", 2): ("batch_size*time_step", "rnn_unit"),
    ("input_rnn", 3): ("batch_size", "time_step", "rnn_unit"),
    ("output_rnn", 3): ("batch_size", "time_step", "rnn_unit"),
    ("final_states", 2): ("batch_size", "rnn_unit"),
    ("output", 2): ("batch_size*time_step", "rnn_unit"),
    ("w_out", 2): ("rnn_unit", "1"),
    ("b_out", 1): ("1",),
    ("pred", 2): ("batch_size*time_step", "1"),
    ("prediction", 3): ("batch_size", "time_step", "1"),
    # One LSTM layer (Keras keeps the tutorial's single kernel as kernel + recurrent_kernel; the
    # layer's input has rnn_unit values because the input projection comes first).
    ("kernel", 2): ("rnn_unit", "4*rnn_unit"),
    ("recurrent_kernel", 2): ("rnn_unit", "4*rnn_unit"),
    ("bias", 1): ("4*rnn_unit",),
    # One time step of the unrolled LSTM: the cell's input, output and state at step t.
    ("x_t", 2): ("batch_size", "rnn_unit"),
    ("h_t", 2): ("batch_size", "rnn_unit"),
    ("c_t", 2): ("batch_size", "rnn_unit"),
}


def base_name(name: str) -> str:
    """``final_states[1].c`` -> ``final_states``; ``lstm_2.kernel`` -> ``kernel``; ``h_t (layer 2)`` -> ``h_t``."""
    if name.startswith("final_states"):
        return "final_states"
    name = name.split(" ", 1)[0]
    return name.rsplit(".", 1)[-1] if "." in name else name


def tutorial_dims(name: str, ndim: int) -> tuple[str, ...] | None:
    """The tutorial's symbolic axes of the tensor called ``name`` (None when it names none)."""
    return TUTORIAL_DIMS.get((base_name(name), ndim))


def fill_dim(expr: str, values: Mapping[str, int]) -> tuple[str, int]:
    """``"batch_size*time_step"`` with {batch_size: 80, time_step: 20} -> ("80*20", 1600)."""
    factors = [f.strip() for f in expr.split("*")]
    numbers = [int(f) if f.isdigit() else int(values[f]) for f in factors]
    return "*".join(str(n) for n in numbers), math.prod(numbers)


def fill_shape(dims: Sequence[str], values: Mapping[str, int]) -> tuple[str, str, tuple[int, ...]]:
    """Symbolic dims -> (``"[batch_size*time_step, input_size]"``, ``"[80*20, 6]"``, (1600, 6))."""
    filled = [fill_dim(d, values) for d in dims]
    symbolic = "[" + ", ".join(dims) + "]"
    text = "[" + ", ".join(f for f, _ in filled) + "]"
    return symbolic, text, tuple(v for _, v in filled)
