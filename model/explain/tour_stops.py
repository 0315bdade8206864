"""The stops of the Explainer's tour and what each says (at most two sentences, the run's own numbers).

``tour_stops(record)`` lists the stops in order: the window on the chart, the normalised inputs,
the input projection, the cell at every step of every layer, the output projection, the
prediction beside persistence and the actual price, and how far back it remembers. Pure: the
page draws each stop from the same ``TourRecord``; the command line and tests read the text.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from model.explain.tour import TourRecord, memory_sentence

WINDOW, INPUTS, PROJECTION, CELL, OUTPUT, PREDICTION, MEMORY = (
    "window", "inputs", "projection", "cell", "output", "prediction", "memory",
)  # fmt: skip


@dataclass(frozen=True)
class TourStop:
    kind: str
    title: str
    text: str  # at most two sentences
    layer: int | None = None  # the cell stops: depth and step (0-based)
    step: int | None = None

    @property
    def time(self) -> tuple[int, int] | None:
        """(layer, step) the unrolled chain highlights, if any."""
        return None if self.layer is None or self.step is None else (self.layer, self.step)


def _f(v: float) -> str:
    return f"{v:+.3f}"


def _cell_text(record: TourRecord, layer: int, step: int) -> str:
    values = record.layers[layer].values
    c_prev, c, f, i, g = (values[k][step] for k in ("c_prev", "c", "f", "i", "g"))
    j = int(np.argmax(np.abs(c - c_prev)))  # the unit whose memory changes most at this step
    h = values["h"][step][j]
    o = values["o"][step][j]
    source = "the projected inputs" if layer == 0 else f"layer {layer}'s h"
    return (
        f"Step {step + 1} joins x_t (from {source}) with h_(t-1) and opens four gates. "
        f"Unit {j + 1}: c_t = f·c_(t-1) + i·g = {f[j]:.3f}·{_f(c_prev[j])} + {i[j]:.3f}·{_f(g[j])} = {_f(c[j])}, "
        f"and h_t = o·tanh(c_t) = {o:.3f}·tanh({_f(c[j])}) = {_f(h)}."
    )


def tour_stops(record: TourRecord) -> list[TourStop]:
    t, layers = record.time_step, record.layer_num
    first, last = record.window_dates[0], record.window_dates[-1]
    stops = [
        TourStop(WINDOW, "The window",
                 f"To predict {record.target} on {record.day}, the network reads the {t} days from {first} to "
                 f"{last}. Pick another test day on the chart to follow its prediction instead."),
        TourStop(INPUTS, "Normalised inputs",
                 f"Each input is z-scored with the training period's mean and spread, so {len(record.features)} "
                 f"feature(s) of very different sizes all sit around 0. "
                 f"The last day's {record.features[0]} {record.window_raw[-1, 0]:,.2f} becomes {_f(record.x[-1, 0])}."),
        TourStop(PROJECTION, "Input projection",
                 f"x @ w_in + b_in turns each day's {len(record.features)} number(s) into {record.rnn_unit}, "
                 "the width of the LSTM cell. The same w_in is used on every day of the window."),
    ]  # fmt: skip
    for layer in range(layers):
        for step in range(t):
            title = f"Layer {layer + 1}, step {step + 1} of {t}"
            stops.append(TourStop(CELL, title, _cell_text(record, layer, step), layer=layer, step=step))
    h_last = record.layers[-1].values["h"][record.output_index]
    contrib = h_last * record.w_out
    top = int(np.argmax(np.abs(contrib)))
    target_word = "move" if record.target_as == "change" else "price"
    stops += [
        TourStop(OUTPUT, "Output projection",
                 f"The top layer's h at step {record.output_index + 1} times w_out plus b_out gives "
                 f"{_f(record.output)} (normalised); unit {top + 1} contributes most ({_f(contrib[top])}). "
                 f"Times the training {target_word}s' spread {record.target_std:,.3f} plus "
                 f"{record.target_mean + record.anchor:,.3f} gives {record.prediction:,.2f}."),
        TourStop(PREDICTION, "The prediction",
                 f"For {record.day} the model predicts {record.prediction:,.2f}; persistence (the last known "
                 f"value, {record.last_known_day}) says {record.persistence:,.2f}, and the actual was "
                 f"{record.actual:,.2f}. The model is {abs(record.prediction - record.actual):,.2f} off, "
                 f"persistence {abs(record.persistence - record.actual):,.2f}."),
        TourStop(MEMORY, "How far back it remembers",
                 f"{memory_sentence(record.memory_mean, t)} On {record.day} alone it is the last "
                 f"{record.memory_day} day(s); beside it, each unit's mean forget gate (near 1: it keeps its memory)."),
    ]  # fmt: skip
    return stops


def stop_index(stops: list[TourStop], value: int | None) -> int:
    """``value`` clipped into the tour (None: the first stop)."""
    if value is None:
        return 0
    return max(0, min(int(value), len(stops) - 1))
