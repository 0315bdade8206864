"""A generic box-layout engine for plotly: tensors drawn as boxes sized by their dimensions, in a
left-to-right flow with operations between them.

A diagram is a flow of items: a column of tensors (``Box`` tuples) or an operation (``Op``, with
boxes such as its weights drawn under it). A box's sides grow with ``1 + log2(dim)``, so a
dimension of 1 stays visible next to one of 1,600; a 3-D tensor is a cuboid whose depth is its
first axis. Nothing here knows what the boxes mean: callers give names, hover lines and code.
Pure drawing: no Streamlit, no TensorFlow.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import plotly.graph_objects as go

from components.figures.style import COLORS, FONT_FAMILY, GRID, MUTED, TEXT, base_layout, empty_figure
from model.explain.shapes import fmt_shape

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
    notes: tuple[str, ...] = ()  # extra hover lines (e.g. the names of its axes)
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
    for i, line in enumerate(text for text in code.splitlines() if text.strip()):
        line = line if len(line) <= 110 else line[:107] + "…"
        out.append(f"{label if i == 0 else ' ' * len(label)} <span style='font-family:monospace'>"
                   f"{html.escape(line)}</span>")  # fmt: skip
    return out


def box_hover(box: Box) -> str:
    lines = [f"<b>{html.escape(box.name)}</b> {fmt_shape(box.shape)}"]
    lines += [html.escape(note) for note in box.notes]
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
    node_w = c.units(max(len(text) for text in lines) * OP_CHAR_PX + 18)
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
                   marker=dict(size=14, color="rgba(0,0,0,0)"))
        for xs, ys, text in canvas.hover
    ])  # fmt: skip
    fig.update_layout(
        hovermode="closest",
        showlegend=False,
        margin=dict(l=8, r=8, t=top_margin, b=8),
        dragmode=False,
        hoverlabel=dict(bgcolor="#ffffff", bordercolor=GRID, font=dict(color=TEXT, size=12), align="left"),
    )
    fig.update_layout(shapes=canvas.shapes, annotations=canvas.annotations)
    fig.update_xaxes(visible=False, range=[x0, x1], fixedrange=True, constrain="domain")
    fig.update_yaxes(visible=False, range=[y0, y1], fixedrange=True, scaleanchor="x", scaleratio=1,
                     constrain="domain")  # fmt: skip
    return fig
