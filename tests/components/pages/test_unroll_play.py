"""Shapes' unroll panel has ONE time control: Play moves the step slider itself (so the figure, the
sentence and the table can never show different steps), from t = 0 up to the last step."""

from __future__ import annotations

import json

from components.pages.shapes import panels
from tests.components.conftest import assert_clean, goto, new_app


def _unroll_title(at) -> str:
    for chart in at.get("plotly_chart"):
        title = (json.loads(chart.proto.spec).get("layout", {}).get("title") or {}).get("text", "")
        if title.startswith("Window 1 at t = "):
            return title
    raise AssertionError("no unroll figure")


def test_play_moves_the_one_slider_and_stops_at_the_last_step():
    at = goto(new_app(time_step="4"), "shapes")
    assert_clean(at)
    assert at.slider(key=panels.UNROLL_T_WIDGET).value == 3
    at.toggle(key=panels.UNROLL_PLAY_WIDGET).set_value(True).run()
    assert_clean(at)
    seen = [at.slider(key=panels.UNROLL_T_WIDGET).value]
    assert seen == [0] and _unroll_title(at) == "Window 1 at t = 0 of 0…3"
    for _ in range(3):  # each rerun while playing is a tick of the fragment's timer
        at.run()
        assert_clean(at)
        t = at.slider(key=panels.UNROLL_T_WIDGET).value
        seen.append(t)
        assert _unroll_title(at) == f"Window 1 at t = {t} of 0…3"
        assert any(f"`output_rnn[:, {t}, :]`" in m.value for m in at.markdown)  # the sentence follows
    assert seen == [0, 1, 2, 3]
    at.run()  # the tick after the last step ends Play
    assert_clean(at)
    assert at.toggle(key=panels.UNROLL_PLAY_WIDGET).value is False
    assert at.slider(key=panels.UNROLL_T_WIDGET).value == 3
