"""Figures of the Shapes page: tensors drawn as boxes sized by their dimensions, the gates of one
LSTM cell, and heatmaps of the hidden state h.

Pure drawing plus the tutorial's symbolic shapes (``tutorial_dims``, ``fill_shape``): nothing
here imports Streamlit or TensorFlow, so the builders are testable on plain records. The style
(template, colours, fonts) is the dashboard's, from ``components.figures``.

A diagram is a left-to-right flow of items: a column of tensors (``Box`` tuples) or an
operation (``Op``, with its weights or final states drawn under it). A box's sides grow with
``1 + log2(dim)``, so a dimension of 1 stays visible next to one of 1,600; a 3-D tensor is a
cuboid whose depth is its first axis (the batch).
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import plotly.graph_objects as go

from components.figures.style import COLORS, FONT_FAMILY, GRID, MUTED, SMALL_HEIGHT, TEXT, base_layout, empty_figure

# ---------------------------------------------------------------------------------------------
# The tutorial's symbolic shapes
# ---------------------------------------------------------------------------------------------

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
}


def base_name(name: str) -> str:
    """``final_states[1].c`` -> ``final_states``; ``lstm_2.kernel`` -> ``kernel``."""
    if name.startswith("final_states"):
        return "final_states"
    return name.rsplit(".", 1)[-1] if "." in name else name


def tutorial_dims(name: str, ndim: int) -> tuple[str, ...] | None:
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


def fmt_shape(shape: Sequence[int]) -> str:
    return "[" + ", ".join(str(int(d)) for d in shape) + "]"


# ---------------------------------------------------------------------------------------------
# Flow diagrams
# ---------------------------------------------------------------------------------------------

KIND_STYLE: dict[str, tuple[str, str]] = {  # kind -> (fill, line)
    "tensor": ("rgba(37, 99, 235, 0.16)", COLORS["model"]),
    "param": ("rgba(245, 158, 11, 0.24)", "#d97706"),
    "state": ("rgba(124, 58, 237, 0.16)", COLORS["best"]),
    "gate": ("rgba(22, 163, 74, 0.16)", COLORS["up"]),
}
OP_FILL = "#f4f6fa"

PX_PER_UNIT = 13.0  # target drawing scale; shrunk when the flow is too wide
MAX_WIDTH_PX = 980.0
CHAR_PX = 6.6  # rough width of one character of the 10-11 px labels
OP_CHAR_PX = 7.4  # the same for the 12 px operation labels
LINE_PX = 15.0
DIAGRAM_MIN_HEIGHT = 240
DIAGRAM_MAX_HEIGHT = 620


@dataclass(frozen=True)
class Box:
    """A tensor (or weight, state, gate) drawn with sides sized by its dimensions."""

    name: str
    shape: tuple[int, ...]
    kind: str = "tensor"  # tensor | param | state | gate
    dims: tuple[str, ...] | None = None  # the tutorial's names of its axes, for the hover
    code: str = ""  # code line(s) that make it, for the hover
    caption: str | None = None  # short label instead of the name (e.g. "c")


@dataclass(frozen=True)
class Op:
    """An operation between tensors; ``below`` are drawn under it (its weights, its final states)."""

    label: str
    code: str = ""
    below: tuple[Box, ...] = ()
    arrow_in: str = ""  # text on the arrow that enters this op
    detail: tuple[str, ...] = ()  # extra hover lines (e.g. the layer's weights)


FlowItem = tuple[Box, ...] | Op


def side(d: int) -> float:
    """Length of a box side for a dimension of ``d`` (1 -> 1, 2 -> 2, 1600 -> 11.6)."""
    return 1.0 + math.log2(max(int(d), 1))


@dataclass
class _Geom:
    w: float  # front face
    h: float
    dx: float  # depth offset (3-D tensors)
    dy: float

    @property
    def width(self) -> float:
        return self.w + self.dx

    @property
    def height(self) -> float:
        return self.h + self.dy


def _geom(shape: Sequence[int]) -> _Geom:
    shape = [int(d) for d in shape]
    if len(shape) > 3:  # fold leading axes into the batch
        shape = [math.prod(shape[:-2]), *shape[-2:]]
    if not shape:
        return _Geom(1.0, 1.0, 0.0, 0.0)
    if len(shape) == 1:
        return _Geom(side(shape[0]), 0.9, 0.0, 0.0)
    if len(shape) == 2:
        return _Geom(side(shape[1]), side(shape[0]), 0.0, 0.0)
    depth = side(shape[0])
    return _Geom(side(shape[2]), side(shape[1]), 0.5 * depth, 0.38 * depth)


def _hover(lines: Sequence[str]) -> str:
    return "<br>".join(lines)


def _code_hover(code: str, label: str) -> list[str]:
    out = []
    for i, line in enumerate(l for l in code.splitlines() if l.strip()):
        line = line if len(line) <= 110 else line[:107] + "…"
        out.append(f"{label if i == 0 else ' ' * len(label)} <span style='font-family:monospace'>"
                   f"{html.escape(line)}</span>")  # fmt: skip
    return out


def box_hover(box: Box) -> str:
    lines = [f"<b>{html.escape(box.name)}</b> {fmt_shape(box.shape)}"]
    if box.dims:
        lines.append(f"tutorial: [{', '.join(box.dims)}]")
    count = math.prod(box.shape) if box.shape else 1
    lines.append(f"{count:,} value{'s' if count != 1 else ''}")
    if box.code:
        lines += _code_hover(box.code, "code:")
    return _hover(lines)


class _Canvas:
    """Collects shapes, annotations and hover points in data units; y grows upwards."""

    def __init__(self, ppu: float):
        self.ppu = ppu
        self.shapes: list[dict[str, Any]] = []
        self.annotations: list[dict[str, Any]] = []
        self.hover: list[tuple[list[float], list[float], str]] = []  # one group of points per box
        self.xmin = self.ymin = math.inf
        self.xmax = self.ymax = -math.inf

    def units(self, px: float) -> float:
        return px / self.ppu

    def extend(self, x0: float, y0: float, x1: float, y1: float) -> None:
        self.xmin, self.xmax = min(self.xmin, x0, x1), max(self.xmax, x0, x1)
        self.ymin, self.ymax = min(self.ymin, y0, y1), max(self.ymax, y0, y1)

    def rect(self, x0, y0, x1, y1, fill, line, width=1.2, dash=None) -> None:
        self.shapes.append(dict(type="rect", x0=x0, y0=y0, x1=x1, y1=y1, fillcolor=fill,
                                line=dict(color=line, width=width, dash=dash), layer="above"))  # fmt: skip
        self.extend(x0, y0, x1, y1)

    def poly(self, points, fill, line, width=1.0) -> None:
        path = "M " + " L ".join(f"{x:.4f},{y:.4f}" for x, y in points) + " Z"
        self.shapes.append(dict(type="path", path=path, fillcolor=fill, line=dict(color=line, width=width),
                                layer="above"))  # fmt: skip
        for x, y in points:
            self.extend(x, y, x, y)

    def line(self, x0, y0, x1, y1, color=MUTED, width=1.0, dash=None) -> None:
        line = dict(color=color, width=width, dash=dash)
        self.shapes.append(dict(type="line", x0=x0, y0=y0, x1=x1, y1=y1, line=line, layer="above"))

    def text(self, x, y, text, *, size=11, color=TEXT, xanchor="center", yanchor="middle", angle=0,
             xshift=0, yshift=0) -> None:  # fmt: skip
        self.annotations.append(dict(x=x, y=y, text=text, showarrow=False, xanchor=xanchor, yanchor=yanchor,
                                     textangle=angle, xshift=xshift, yshift=yshift,
                                     font=dict(size=size, color=color, family=FONT_FAMILY)))  # fmt: skip

    def arrow(self, x0, y, x1, label: str = "") -> None:
        self.annotations.append(dict(
            x=x1, y=y, ax=x0, ay=y, xref="x", yref="y", axref="x", ayref="y", text="",
            showarrow=True, arrowhead=2, arrowsize=1.1, arrowwidth=1.4, arrowcolor=MUTED,
        ))  # fmt: skip
        if label:
            self.text((x0 + x1) / 2, y, label, size=10, color=MUTED, yanchor="bottom", yshift=3)

    def hover_area(self, x0, y0, x1, y1, text: str, n: int = 4) -> None:
        """A grid of invisible points over a box, all showing ``text`` on hover."""
        xs = [x0 + (x1 - x0) * (i + 0.5) / n for i in range(n) for _ in range(n)]
        ys = [y0 + (y1 - y0) * (j + 0.5) / n for _ in range(n) for j in range(n)]
        self.hover.append((xs, ys, text))


def _label_lines(box: Box) -> tuple[str, str]:
    return (box.caption if box.caption is not None else box.name), fmt_shape(box.shape)


def _box_footprint(box: Box, c: _Canvas) -> tuple[float, float]:
    """(width, height) a box needs with its labels: edge numbers left/above/right, name below."""
    g = _geom(box.shape)
    name, shape = _label_lines(box)
    label_w = c.units(max(len(name), len(shape)) * CHAR_PX + 8)
    edge = c.units(LINE_PX)
    width = max(g.width + 2 * edge, label_w)
    height = g.height + edge + c.units(2 * LINE_PX + 6)
    return width, height


def _solid(rgba: str, strength: float = 1.0) -> str:
    """An ``rgba(r, g, b, a)`` colour (alpha times ``strength``) laid over white, as opaque hex."""
    r, g, b, a = (float(v) for v in rgba[rgba.index("(") + 1 : rgba.index(")")].split(","))
    a = min(1.0, a * strength)
    mix = [round(255 + (c - 255) * a) for c in (r, g, b)]
    return "#" + "".join(f"{c:02x}" for c in mix)


def _draw_box(box: Box, c: _Canvas, cx: float, top: float) -> None:
    """Draw ``box`` centred on ``cx`` with its footprint's top at ``top``."""
    g = _geom(box.shape)
    fill, line = KIND_STYLE.get(box.kind, KIND_STYLE["tensor"])
    edge = c.units(LINE_PX)
    x0 = cx - g.width / 2
    y1 = top - edge - g.dy  # top of the front face
    y0 = y1 - g.h
    x1 = x0 + g.w
    shape = list(box.shape)
    if len(shape) > 3:
        shape = [math.prod(shape[:-2]), *shape[-2:]]
    if g.dx > 0:
        # The batch axis as depth: slices behind the front face, then the top and side faces.
        slices = min(max(int(shape[0]), 1), 3)
        for k in range(slices, 0, -1):
            f = k / (slices + 1)
            c.rect(x0 + g.dx * f, y0 + g.dy * f, x1 + g.dx * f, y1 + g.dy * f, _solid(fill, 0.8), line, 0.6)
        c.poly([(x0, y1), (x0 + g.dx, y1 + g.dy), (x1 + g.dx, y1 + g.dy), (x1, y1)], _solid(fill, 1.5), line)
        c.poly([(x1, y0), (x1 + g.dx, y0 + g.dy), (x1 + g.dx, y1 + g.dy), (x1, y1)], _solid(fill, 2.2), line)
    c.rect(x0, y0, x1, y1, _solid(fill), line, 1.4)
    # Edge numbers: rows on the left, columns on top, the batch along the depth.
    if len(shape) >= 2:
        c.text(x0, (y0 + y1) / 2, str(shape[-2]), size=10, color=MUTED, xanchor="right", xshift=-3)
    if shape:
        c.text((x0 + x1) / 2 + g.dx, y1 + g.dy, str(shape[-1]), size=10, color=MUTED, yanchor="bottom",
               yshift=1)  # fmt: skip
    if len(shape) >= 3:
        c.text(x1 + g.dx / 2, y0 + g.dy / 2, str(shape[0]), size=10, color=MUTED, xanchor="left", xshift=4)
    name, shape_text = _label_lines(box)
    c.text(cx, y0, f"<b>{html.escape(name)}</b><br>{shape_text}", size=11, yanchor="top", yshift=-3)
    width, height = _box_footprint(box, c)
    c.extend(cx - width / 2, top - height, cx + width / 2, top)
    c.hover_area(x0, y0, x1 + g.dx, y1 + g.dy, box_hover(box))


def _row_label_px(box: Box) -> float:
    """Pixels the row-count label takes left of a box (arrows stop before it)."""
    shape = list(box.shape)
    return (len(str(shape[-2])) * CHAR_PX + 16) if len(shape) >= 2 else 8


def _column_size(boxes: Sequence[Box], c: _Canvas, gap: float) -> tuple[float, float]:
    sizes = [_box_footprint(b, c) for b in boxes]
    return max(w for w, _ in sizes), sum(h for _, h in sizes) + gap * (len(sizes) - 1)


def _row_size(boxes: Sequence[Box], c: _Canvas, gap: float) -> tuple[float, float]:
    sizes = [_box_footprint(b, c) for b in boxes]
    return sum(w for w, _ in sizes) + gap * (len(sizes) - 1), max(h for _, h in sizes)


def _op_size(op: Op, c: _Canvas) -> tuple[float, float, float]:
    """(node width, node height, total width incl. what is drawn below)."""
    lines = op.label.split("<br>")
    node_w = c.units(max(len(l) for l in lines) * OP_CHAR_PX + 18)
    node_h = c.units(len(lines) * LINE_PX + 12)
    below_w = _row_size(op.below, c, c.units(10))[0] if op.below else 0.0
    return node_w, node_h, max(node_w, below_w)


def _layout(items: Sequence[FlowItem], ppu: float) -> _Canvas:
    c = _Canvas(ppu)
    gap = c.units(40)  # room for an arrow between items
    vgap = c.units(8)
    x = 0.0
    prev_right: float | None = None
    for item in items:
        if isinstance(item, Op):
            node_w, node_h, total_w = _op_size(item, c)
            cx = x + total_w / 2
            nx0, nx1 = cx - node_w / 2, cx + node_w / 2
            c.rect(nx0, -node_h / 2, nx1, node_h / 2, OP_FILL, MUTED, 1.0)
            c.text(cx, 0, item.label, size=12, color=TEXT)
            title = html.escape(item.label.replace("<br>", " "))
            hover = [f"<b>{title}</b>", *map(html.escape, item.detail), *_code_hover(item.code, "code:")]
            c.hover_area(nx0, -node_h / 2, nx1, node_h / 2, _hover(hover), n=4)
            if prev_right is not None:
                c.arrow(prev_right, 0, nx0, item.arrow_in)
            if item.below:
                row_w, _ = _row_size(item.below, c, c.units(10))
                bx = cx - row_w / 2
                top = -node_h / 2 - c.units(18)
                c.line(cx, -node_h / 2, cx, top, color=MUTED, width=1, dash="dot")
                for box in item.below:
                    w, _h = _box_footprint(box, c)
                    _draw_box(box, c, bx + w / 2, top)
                    bx += w + c.units(10)
            prev_right = nx1
            x += total_w + gap
        else:
            boxes = tuple(item)
            width, height = _column_size(boxes, c, vgap)
            cx = x + width / 2
            # Centre the front faces (first box's top to last box's bottom) on y = 0, the arrows' line.
            edge = c.units(LINE_PX)
            first, last = _geom(boxes[0].shape), _geom(boxes[-1].shape)
            above_last = sum(_box_footprint(b, c)[1] + vgap for b in boxes[:-1])
            faces_top = -(edge + first.dy)
            faces_bottom = -(above_last + edge + last.dy + last.h)
            top = -(faces_top + faces_bottom) / 2
            # Arrows stop short of the edge numbers (rows on the left, the batch on the right).
            left = min(cx - _geom(b.shape).width / 2 - c.units(_row_label_px(b)) for b in boxes)
            right = max(cx + _geom(b.shape).width / 2 for b in boxes) + c.units(6)
            if len(boxes) > 1:
                # Several tensors in or out: a bracket on each side that the arrows meet.
                left = cx - width / 2 - c.units(4)
                right = cx + width / 2 + c.units(4)
                y_top, y_bottom = top + faces_top, top + faces_bottom
                for bx in (left, right):
                    c.line(bx, y_top, bx, y_bottom, color=MUTED, width=1.2)
            if prev_right is not None:
                c.arrow(prev_right, 0, left)
            for box in boxes:
                _draw_box(box, c, cx, top)
                top -= _box_footprint(box, c)[1] + vgap
            prev_right = right
            x += width + gap
    return c


def set_unvalidated(fig: go.Figure, **layout: Any) -> None:
    """Set layout lists (shapes, annotations) without plotly's per-item validation.

    Validating dozens of shapes costs tens of milliseconds on every redraw; these are plain
    dicts built above with known-good keys (the tests re-validate every figure this module draws).
    """
    obj = fig.layout
    previous = obj._validate
    obj._validate = False
    try:
        for name, value in layout.items():
            obj[name] = value
    finally:
        obj._validate = previous


def flow_figure(
    items: Sequence[FlowItem], title: str = "", *, max_width_px: float = MAX_WIDTH_PX
) -> go.Figure:
    """Draw a flow of tensors and operations, boxes sized by their dimensions, hover for details."""
    if not items:
        return empty_figure(title, "Nothing to draw.")
    ppu = PX_PER_UNIT
    canvas = _layout(items, ppu)
    for _ in range(3):  # labels are in pixels: shrink the scale until the flow fits the width
        width_units = canvas.xmax - canvas.xmin
        if width_units * ppu <= max_width_px:
            break
        ppu = max(4.0, max_width_px / width_units)
        canvas = _layout(items, ppu)
    pad = canvas.units(12)
    x0, x1 = canvas.xmin - pad, canvas.xmax + pad
    y0, y1 = canvas.ymin - pad, canvas.ymax + pad
    top_margin = 48 if title else 12
    height = int(min(max((y1 - y0) * ppu + top_margin + 12, DIAGRAM_MIN_HEIGHT), DIAGRAM_MAX_HEIGHT))
    fig = base_layout(go.Figure(), title, height)
    # One invisible trace per box: its hover text is sent once, not once per point.
    fig.add_traces([
        go.Scatter(x=xs, y=ys, mode="markers", hovertext=text, hoverinfo="text", showlegend=False, name="",
                   marker=dict(size=14, color="rgba(0,0,0,0)"), _validate=False)
        for xs, ys, text in canvas.hover
    ])  # fmt: skip
    fig.update_layout(
        hovermode="closest",
        showlegend=False,
        margin=dict(l=8, r=8, t=top_margin, b=8),
        dragmode=False,
        hoverlabel=dict(bgcolor="#ffffff", bordercolor=GRID, font=dict(color=TEXT, size=12), align="left"),
    )
    set_unvalidated(fig, shapes=canvas.shapes, annotations=canvas.annotations)
    fig.update_xaxes(visible=False, range=[x0, x1], fixedrange=True, constrain="domain")
    fig.update_yaxes(visible=False, range=[y0, y1], fixedrange=True, scaleanchor="x", scaleratio=1,
                     constrain="domain")  # fmt: skip
    return fig


# ---------------------------------------------------------------------------------------------
# The seven steps as flows
# ---------------------------------------------------------------------------------------------


def _code_for(name: str, tutorial_code: str, fallback: str | None = None) -> str:
    """The line(s) of a step's tutorial code that assign ``name`` (else ``fallback``, default all)."""
    base = base_name(name).split("[")[0]
    picked = []
    for line in tutorial_code.splitlines():
        lhs = line.split("=", 1)[0] if "=" in line else ""
        targets = [t.strip() for t in lhs.replace(",", " ").split()]
        if base in targets or (base == "X" and "lstm(X)" in line):
            picked.append(line)
    return "\n".join(picked) or (tutorial_code if fallback is None else fallback)


def _box(t, kind: str, step, caption: str | None = None, given: bool = False) -> Box:
    """A Box from a TensorInfo/ParamInfo of a StepRecord, with its tutorial dims and code line.

    ``given``: the tensor is an input of the step, made by the step before.
    """
    shape = tuple(int(d) for d in t.shape)
    code = f"# made by step {step.number - 1}" if given else _code_for(t.name, step.tutorial_code)
    return Box(t.name, shape, kind, tutorial_dims(t.name, len(shape)), code, caption)


def _lstm_nodes(step, share_cell: bool) -> list[FlowItem]:
    """Step 5: one node per LSTM layer (weights in the hover), its final (c, h) drawn under it."""
    seq = step.outputs[0]
    states = list(step.outputs[1:])
    n_layers = len(states) // 2
    names = list(dict.fromkeys(p.name.rsplit(".", 1)[0] for p in step.params))
    items: list[FlowItem] = []
    for k in range(n_layers):
        name = names[0] if share_cell and names else (names[k] if k < len(names) else f"lstm_{k + 1}")
        weights = [p for p in step.params if p.name.startswith(name + ".")]
        shared = " (one set for all layers)" if share_cell else ""
        detail = [f"{p.name} {fmt_shape(p.shape)}" for p in weights]
        detail.append(f"{sum(p.count for p in weights):,} parameters{shared}")
        label = f"LSTM {k + 1}" + ("<br>(shared)" if share_cell and n_layers > 1 else "")
        below = (
            _box(states[2 * k], "state", step, caption=f"c{k}"),
            _box(states[2 * k + 1], "state", step, caption=f"h{k}"),
        )
        arrow = fmt_shape(seq.shape) if k > 0 else ""
        items.append(Op(label, step.tutorial_code, below, arrow_in=arrow, detail=tuple(detail)))
    return items


def step_flow(step, share_cell: bool = False) -> list[FlowItem]:
    """The flow drawn for one StepRecord of ``model.trace``: inputs -> operation -> outputs."""
    n = step.number
    ins = tuple(_box(t, "tensor", step, given=True) for t in step.inputs)
    outs = tuple(_box(t, "tensor", step) for t in step.outputs)
    params = tuple(_box(p, "param", step) for p in step.params)
    code = step.tutorial_code + ("\n# Keras:\n" + step.keras_code if step.keras_code else "")
    if n == 1:
        return [outs]
    if n in (2, 4, 7):
        return [ins, Op("reshape", code), outs]
    if n == 3:
        return [ins, Op("matmul w_in<br>+ b_in", code, params), outs]
    if n == 6:
        first_line = step.tutorial_code.splitlines()[0] if step.tutorial_code else code
        matmul = Op("matmul w_out<br>+ b_out", code, params)
        return [ins, Op("reshape", first_line), outs[:1], matmul, outs[1:]]
    if n == 5:
        return [ins, *_lstm_nodes(step, share_cell), outs[:1]]
    return [ins, Op(step.title, code, params), outs]


def step_figure(step, share_cell: bool = False, title: str | None = None) -> go.Figure:
    """The diagram of one step (``title`` defaults to "Step n · title")."""
    if title is None:
        title = f"Step {step.number} · {step.title}"
    return flow_figure(step_flow(step, share_cell), title)


def gate_flow(g) -> list[FlowItem]:
    """One LSTM cell step of a ``model.trace.GateTrace``.

    [x_t, h_(t-1)] -> matmul with the kernel -> i, f, g, o -> c_t, h_t.
    """
    u, n_in, t = int(g.h_t[-1]), int(g.x_t[-1]), g.time_index
    cell = ("batch_size", "rnn_unit")
    before = f"after step t={t - 1}" if t else "zeros at t=0"
    xt = Box("x_t", tuple(g.x_t), "tensor", ("batch_size", "in"), f"x[:, {t}, :]  # the layer's input at t")
    hp = Box("h_(t-1)", tuple(g.h_prev), "state", cell, f"h {before}")
    cp = Box("c_(t-1)", tuple(g.c_prev), "state", cell, f"c {before}")
    concat = Box("[x_t, h_(t-1)]", tuple(g.concat), "tensor", ("batch_size", "in + rnn_unit"),
                 "concat([x_t, h_(t-1)], axis=1)")  # fmt: skip
    keras = (
        f"Keras: kernel {fmt_shape(g.keras_kernel)} on top of "
        f"recurrent_kernel {fmt_shape(g.keras_recurrent_kernel)}"
    )
    kernel = Box("kernel", tuple(g.kernel), "param", ("in + rnn_unit", "4*rnn_unit"), keras)
    bias = Box("bias", tuple(g.bias), "param", ("4*rnn_unit",), "")
    z = Box("z", tuple(g.z), "tensor", ("batch_size", "4*rnn_unit"), "z = [x_t, h_(t-1)] @ kernel + bias")
    gate_code = {
        "i": "i = σ(z[:, 0:u])  # input gate",
        "f": "f = σ(z[:, u:2u])  # forget gate",
        "g": "g = tanh(z[:, 2u:3u])  # candidate",
        "o": "o = σ(z[:, 3u:4u])  # output gate",
    }
    gates = tuple(Box(k, tuple(g.gates[k]), "gate", cell, gate_code[k]) for k in ("i", "f", "g", "o"))
    c_t = Box("c_t", tuple(g.c_t), "state", cell, "c_t = f * c_(t-1) + i * g")
    h_t = Box("h_t", tuple(g.h_t), "state", cell, "h_t = o * tanh(c_t)")
    update = "c_t = f * c_(t-1) + i * g\nh_t = o * tanh(c_t)"
    return [
        (xt, hp),
        Op("concat", "concat([x_t, h_(t-1)], axis=1)"),
        (concat,),
        Op("matmul kernel<br>+ bias", f"z = [x_t, h_(t-1)] @ kernel + bias  # {n_in}+{u} rows, 4*{u} columns",
           (kernel, bias)),  # fmt: skip
        (z,),
        Op("split in 4<br>σ, σ, tanh, σ", "i, f, g, o = σ(z_i), σ(z_f), tanh(z_g), σ(z_o)"),
        gates,
        Op("c_t = f·c_(t-1) + i·g<br>h_t = o·tanh(c_t)", update, (cp,)),
        (c_t, h_t),
    ]


def gate_figure(g) -> go.Figure:
    return flow_figure(gate_flow(g), f"Inside {g.layer_name} at t = {g.time_index}")


# ---------------------------------------------------------------------------------------------
# Heatmaps
# ---------------------------------------------------------------------------------------------

HIDDEN_HOVER = "<br>t = %{y}<br>unit %{x}<br>h = %{z:.4f}<extra></extra>"
DIVERGING = [[0.0, "#b91c1c"], [0.25, "#f87171"], [0.5, "#f8fafc"], [0.75, "#60a5fa"], [1.0, "#1d4ed8"]]


def hidden_heatmap(
    hidden: Sequence[np.ndarray], title: str, time_labels: Sequence[str] | None = None,
    layer_names: Sequence[str] | None = None,
) -> go.Figure:
    """h of every LSTM layer for one window, side by side: rows are the time_step steps, columns
    the rnn_unit units of each layer (one panel per layer, one shared colour scale)."""
    panels = [np.asarray(h, dtype=np.float32) for h in hidden]  # float32: half the bytes to the browser
    if not panels or any(h.ndim != 2 or h.size == 0 for h in panels):
        return empty_figure(title, "No hidden state to show.")
    steps, units = panels[0].shape
    n = len(panels)
    names = [f"layer {k + 1}" for k in range(n)]
    if layer_names is not None and len(layer_names) == n:
        names = list(layer_names)
    dated = time_labels is not None and len(time_labels) == steps and any(time_labels)
    height = int(min(max(150 + 14 * steps, SMALL_HEIGHT), 640))
    fig = base_layout(go.Figure(), title, height)
    gap = 0.03 if n > 1 else 0.0
    width = (1.0 - gap * (n - 1)) / n
    traces = []
    layout: dict[str, Any] = {}
    for k, h in enumerate(panels):
        suffix = "" if k == 0 else str(k + 1)
        traces.append(go.Heatmap(
            z=h, x=list(range(h.shape[1])), y=list(range(h.shape[0])),
            xaxis=f"x{suffix}", yaxis="y", coloraxis="coloraxis",
            hovertemplate=html.escape(names[k]) + HIDDEN_HOVER,
            _validate=False,
        ))  # fmt: skip
        x0 = k * (width + gap)
        layout[f"xaxis{suffix}"] = dict(
            domain=[x0, x0 + width], anchor="y", showgrid=False, zeroline=False, automargin=False,
            title=dict(text=names[k], font=dict(size=12)), tickfont=dict(size=10),
        )  # fmt: skip
    yaxis: dict[str, Any] = dict(
        title=dict(text=f"time step t (time_step = {steps})", standoff=8), autorange="reversed",
        showgrid=False, zeroline=False, automargin=False,
    )  # fmt: skip
    if dated:  # label some steps with their dates (hover texts stay small: no per-cell dates)
        every = max(1, math.ceil(steps / 12))
        ticks = list(range(0, steps, every))
        yaxis.update(tickvals=ticks, ticktext=[f"{t} · {time_labels[t]}" for t in ticks], tickfont=dict(size=10))
    fig.add_traces(traces)
    set_unvalidated(
        fig,
        **layout,
        yaxis=yaxis,
        coloraxis=dict(colorscale=DIVERGING, cmin=-1.0, cmax=1.0, cmid=0.0,
                       colorbar=dict(title=dict(text="h", side="right"), thickness=12, len=0.9)),
        hovermode="closest",
        # Fixed margins (no automargin): plotly would lay the figure out again for every axis.
        margin=dict(l=112 if dated else 64, r=16, t=56, b=72),
        annotations=[dict(
            text=f"unit (rnn_unit = {units}) of each layer", x=0.5, y=0, xref="paper", yref="paper",
            yanchor="top", yshift=-44, showarrow=False, font=dict(color=MUTED, size=12),
        )],
    )  # fmt: skip
    return fig


GATE_ROWS: tuple[tuple[str, str], ...] = (
    ("i", "i input gate"),
    ("f", "f forget gate"),
    ("g", "g candidate"),
    ("o", "o output gate"),
    ("c_t", "c_t cell state"),
    ("h_t", "h_t hidden state"),
)


def gate_values_figure(values: Mapping[str, np.ndarray], title: str) -> go.Figure:
    """The gates, c_t and h_t of one window at one step: one row each, one column per unit."""
    rows = [(key, label) for key, label in GATE_ROWS if key in values]
    if not rows:
        return empty_figure(title, "No gate values to show.")
    z = np.stack([np.asarray(values[k], dtype=float) for k, _ in rows])
    units = z.shape[1]
    bound = float(max(1.0, np.nanmax(np.abs(z)))) if z.size else 1.0
    fig = base_layout(go.Figure(), title, 300)
    fig.add_trace(
        go.Heatmap(
            z=z, x=list(range(units)), y=[label for _, label in rows], colorscale=DIVERGING,
            zmin=-bound, zmax=bound, zmid=0.0, colorbar=dict(thickness=12, len=0.9),
            hovertemplate="%{y}<br>unit %{x}<br>%{z:.4f}<extra></extra>",
            xgap=1 if units <= 64 else 0, ygap=2,
        )
    )  # fmt: skip
    fig.update_layout(hovermode="closest", margin=dict(l=120, r=16, t=56, b=44))
    fig.update_xaxes(title_text="unit", showgrid=False, zeroline=False)
    fig.update_yaxes(autorange="reversed", showgrid=False, zeroline=False)
    return fig
