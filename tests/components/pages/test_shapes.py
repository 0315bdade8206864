"""The Shapes page: the tutorial's seven steps traced through the real network.

Every expected shape is computed here from the knobs with the tutorial's formulas (step 2:
[batch_size*time_step, input_size], ...) and compared with what the page shows, both the
"with your numbers" column and the shape observed in the forward pass.
"""

from __future__ import annotations

import html
import json
import math
import re

import numpy as np
import plotly.graph_objects as go
import pytest

from components.figures import diagram
from components.figures import shapes as shape_figures
from components.literal import unescape_literal
from components.pages.shapes import code, equivalence, model_choice, panels, steps
from components.session import state
from model.data import load_csv
from model.engine.config import LstmConfig
from model.explain import shapes as explain_shapes
from model.explain.tutorial_graph import EquivalenceResult
from tests.components.conftest import (
    assert_clean,
    button,
    chart_titles,
    goto,
    new_app,
    plotly_specs,
    price_csv,
    stored_run,
    texts,
)

# ---------------------------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------------------------


def fmt(*dims: int) -> str:
    return "[" + ", ".join(str(d) for d in dims) + "]"


def knobs(at) -> dict[str, int]:
    return {
        "b": int(at.number_input(key="batch_size").value),
        "t": int(at.number_input(key="time_step").value),
        "n": len(at.multiselect(key="features").value),
        "u": int(at.number_input(key="rnn_unit").value),
        "l": int(at.number_input(key="layer_num").value),
    }


def expected(step: int, k: dict[str, int]) -> list[str]:
    """The tutorial's explanation of lstm(X), step by step, with the knobs' numbers."""
    b, t, n, u, layers = k["b"], k["t"], k["n"], k["u"], k["l"]
    return {
        1: [fmt(b, t, n)],  # X [batch_size, time_step, input_size]
        2: [f"[{b}*{t}, {n}] = {fmt(b * t, n)}", fmt(b * t, n)],  # [batch_size*time_step, input_size]
        3: [fmt(n, u), fmt(u), f"[{b}*{t}, {u}] = {fmt(b * t, u)}"],  # w_in, b_in, input_rnn
        4: [fmt(b, t, u)],  # [batch_size, time_step, rnn_unit]
        5: [fmt(b, t, u), f"{layers} × {fmt(b, u)}"],  # output_rnn; layer_num x (c, h) [batch, rnn_unit]
        6: [f"[{b}*{t}, {u}] = {fmt(b * t, u)}", fmt(u, 1), f"[{b}*{t}, 1] = {fmt(b * t, 1)}"],
        7: [fmt(b, t, 1)],  # an input of time_step steps gives time_step outputs
    }[step]


def shape_table(at) -> str:
    tables = [m.value for m in at.markdown if m.value.startswith("| | Tensor |")]
    assert len(tables) == 1, [m.value[:80] for m in at.markdown]
    return tables[0]


def highlighted_code(at) -> list[list[str]]:
    """The highlighted lines of the two code panels (TF1, Keras), as plain text."""
    panels = [m.value for m in at.markdown if "lens-code" in m.value]
    assert len(panels) == 2
    out = []
    for panel in panels:
        lines = re.findall(r'class="lens-code-line lens-code-hl"[^>]*>(.*?)</div>', panel)
        out.append([html.unescape(re.sub(r"<[^>]+>", "", line)) for line in lines])
    return out


def step_slider(at):
    sliders = [s for s in at.slider if s.label == "Step"]
    assert len(sliders) == 1
    return sliders[0]


def current_step(at) -> int:
    return int(at.session_state[steps.STEP])


def click(at, label: str):
    button(at, label).click().run()
    assert_clean(at)
    return at


def diagram_text(at) -> str:
    """Every label drawn in the plotly figures (annotations) and their hover texts."""
    parts = []
    for spec in plotly_specs(at):
        parts += [a.get("text", "") for a in spec.get("layout", {}).get("annotations", [])]
        parts += [str(tr.get("hovertext", "")) for tr in spec.get("data", [])]
    return "\n".join(parts)


def z_shape(value) -> tuple[int, ...]:
    """Shape of a heatmap's z in a plotly spec (a nested list, or plotly's base64 typed array)."""
    if isinstance(value, dict) and "bdata" in value:
        return tuple(int(d) for d in str(value["shape"]).split(","))
    return np.asarray(value).shape


def check_step(at, step: int) -> None:
    assert current_step(at) == step
    assert step_slider(at).value == step
    assert any(s.value.startswith(f"Step {step} of 7") for s in at.subheader)
    table = shape_table(at)
    for text in expected(step, knobs(at)):
        assert f"`{text}`" in table or f"`{text}` ✓" in table, (step, text, table)
    assert "✗" not in table
    assert "✓" in table


@pytest.fixture(scope="module")
def shapes_app():
    """One app on the Shapes page, shared by the read-only checks (TensorFlow is imported once)."""
    at = goto(new_app(), "shapes")
    assert_clean(at)
    return at


# ---------------------------------------------------------------------------------------------
# The page
# ---------------------------------------------------------------------------------------------


def test_page_renders_with_real_windows_and_fresh_weights(shapes_app):
    at = shapes_app
    assert at.title[0].value == "Shapes"
    assert [b.label for b in at.button if b.label in ("Previous", "Next")] == ["Previous", "Next"]
    assert button(at, "Previous").disabled and not button(at, "Next").disabled
    body = "\n".join(m.value for m in at.markdown)
    assert "**Model:** fresh untrained weights" in body
    assert "the last 80 windows of the loaded prices" in body
    assert any(re.fullmatch(r"Forward pass traced in \d+ ms\.", c.value) for c in at.caption)
    # The step diagram and the hidden-state heatmap are drawn.
    specs = plotly_specs(at)
    heat = [
        tr
        for spec in specs
        for tr in spec["data"]
        if tr["type"] == "heatmap" and "h = " in tr.get("hovertemplate", "")
    ]  # the hidden-state panels
    assert len(heat) == 2  # one panel per layer (layer_num 2)
    assert z_shape(heat[0]["z"]) == (20, 10)  # [time_step, rnn_unit]
    assert "[80, 20, 6]" in diagram_text(at)


def test_step_through_all_seven_steps_and_back():
    at = goto(new_app(), "shapes")
    check_step(at, 1)
    tf1_lines = {2: "tf.reshape(X,[-1,input_size])", 3: "tf.matmul(input,w_in)+b_in",
                 4: "tf.reshape(input_rnn,[-1,time_step,rnn_unit])", 5: "tf.nn.dynamic_rnn(",
                 6: "tf.matmul(output,w_out)+b_out", 7: "return pred,final_states"}  # fmt: skip
    keras_lines = {2: "layers.Dense(rnn_unit", 5: "x, h, c = lstm(x)", 6: "layers.Dense(1"}
    for step in range(2, 8):
        click(at, "Next")
        check_step(at, step)
        tf1, keras = highlighted_code(at)
        assert any(tf1_lines[step] in line for line in tf1), (step, tf1)
        if step in keras_lines:
            assert any(keras_lines[step] in line for line in keras), (step, keras)
        # The diagram of the step carries the observed output shapes.
        assert expected(step, knobs(at))[-1].split(" = ")[-1].split("× ")[-1] in diagram_text(at)
    assert button(at, "Next").disabled
    click(at, "Previous")
    check_step(at, 6)
    # The slider and the buttons share one step.
    step_slider(at).set_value(3).run()
    assert_clean(at)
    check_step(at, 3)
    click(at, "Next")
    check_step(at, 4)


def test_step_7_says_time_step_in_time_step_out(shapes_app):
    at = shapes_app
    step_slider(at).set_value(7).run()
    body = "\n".join(m.value for m in at.markdown)
    assert "an input of 20 steps gives an output of 20 steps" in body
    step_slider(at).set_value(1).run()


@pytest.mark.slow  # traces several networks
def test_knob_changes_redraw_the_shapes():
    at = goto(new_app(), "shapes")
    step_slider(at).set_value(3).run()
    check_step(at, 3)
    at.number_input(key="rnn_unit").set_value(16).run()
    assert_clean(at)
    check_step(at, 3)
    table = shape_table(at)
    assert "`[6, 16]`" in table and "`[80*20, 16] = [1600, 16]`" in table
    assert "[1600, 16]" in diagram_text(at)
    at.number_input(key="time_step").set_value(30).run()
    at.number_input(key="batch_size").set_value(40).run()
    at.multiselect(key="features").set_value(["open", "close", "volume"]).run()
    assert_clean(at)
    assert knobs(at) == {"b": 40, "t": 30, "n": 3, "u": 16, "l": 2}
    check_step(at, 3)
    assert "`[40*30, 3] = [1200, 3]`" in shape_table(at)
    at.number_input(key="layer_num").set_value(3).run()
    step_slider(at).set_value(5).run()
    check_step(at, 5)
    assert "`3 × [40, 16]`" in shape_table(at)
    heat = [tr for spec in plotly_specs(at) for tr in spec["data"]
            if tr["type"] == "heatmap" and "h = " in tr.get("hovertemplate", "")]  # fmt: skip
    assert len(heat) == 3 and z_shape(heat[0]["z"]) == (30, 16)
    # The knobs are in the link, shared with the Train page.
    assert at.query_params["rnn_unit"] == ["16"] or at.query_params["rnn_unit"] == "16"


def test_knob_change_retraces_quickly_once_tensorflow_is_loaded(shapes_app):
    """A new architecture compiles once (~1 s); a seen one retraces in milliseconds."""
    at = shapes_app
    for value in (12, 10, 12, 10):
        at.number_input(key="rnn_unit").set_value(value).run()
        assert_clean(at)
    entry = at.session_state[model_choice.SHOWN_TRACE]
    assert entry.config.rnn_unit == 10
    assert entry.ms < 1000, entry.ms  # in the browser it is ~20 ms; AppTest's thread adds overhead


def test_share_cell_says_one_set_of_weights():
    at = goto(new_app(), "shapes")
    at.toggle(key="share_cell").set_value(True).run()
    step_slider(at).set_value(5).run()
    assert_clean(at)
    check_step(at, 5)
    infos = texts(at, "info")
    note = [i for i in infos if "all 2 layers use one set of weights" in i]
    assert note and "as the tutorial's code does" in note[0], infos
    assert "one set for all 2 layers" in shape_table(at)
    assert "ONE set of LSTM weights" in "\n".join(m.value for m in at.markdown)
    # The TF1 code is the tutorial's own: one cell object in every layer.
    tf1, _ = highlighted_code(at)
    assert any("[cell for _ in range(layer_num)]" in line for line in tf1)


def test_gate_panel_at_step_5_with_the_parameter_count():
    at = goto(new_app(), "shapes")
    step_slider(at).set_value(5).run()
    assert_clean(at)
    body = "\n".join(m.value for m in at.markdown)
    assert "`[batch_size, in + rnn_unit]` = `[80, 10+10]` = `[80, 20]`" in body
    assert "`[(in + rnn_unit), 4*rnn_unit]` = `[(10+10), 4*10]` = `[20, 40]`" in body
    u, n_in = 10, 10
    count = 4 * (n_in * u + u * u + u)
    assert "`4*(in*rnn_unit + rnn_unit*rnn_unit + rnn_unit)` = `4*(10*10 + 10*10 + 10)` = **840**" in body
    assert count == 840 and f"**{2 * count:,}** LSTM parameters" in body
    assert "equals the layer's own h: yes" in body
    assert "Inside lstm_1 at t = 1" in chart_titles(at)
    # Another layer and another time step.
    at.selectbox(key=panels.GATE_LAYER_WIDGET).set_value(1).run()
    at.slider(key=panels.GATE_T_WIDGET).set_value(7).run()
    assert_clean(at)
    assert "Inside lstm_2 at t = 7" in chart_titles(at)
    assert at.session_state[model_choice.SHOWN_TRACE].trace.gates.time_index == 7
    # Not shown on other steps.
    click(at, "Next")
    assert not any("Inside" in t for t in chart_titles(at))


@pytest.mark.process  # a run trained by the worker pool
def test_the_open_run_is_traced_by_default_on_its_own_prices_and_statistics():
    """The open run's model (loaded in a worker), its knobs, its prices and its normaliser, whatever
    the Data page and the knobs hold; a fresh network is the explicit other choice."""
    from components import worker_jobs
    from model.data import load_sample
    from model.engine.windows import make_windows

    config = LstmConfig(rnn_unit=8, layer_num=1, time_step=10, epochs=2)
    record = stored_run(load_sample("IBM"), config=config)
    assert record.status == "finished", record.error
    at = goto(new_app(run=str(record.id)), "shapes")  # Data holds SYNTH, the knobs are the defaults
    assert_clean(at)
    body = unescape_literal("\n".join(m.value for m in at.markdown))
    assert f"Run {record.id} · IBM · 8x1, time_step 10 · trained 2 epochs" in body
    assert f"**Model:** the trained model of run {record.id} (2 epochs)" in body
    assert (
        f"of run {record.id}'s own prices" in body
        and "normalised with the trained model's statistics" in body
    )
    entry = at.session_state[model_choice.SHOWN_TRACE]
    assert entry.run_id == record.id and entry.config.rnn_unit == 8 and entry.config.time_step == 10
    # The windows are the run's prices normalised with the run's own statistics (newest first).
    prices = model_choice.run_table(record)
    normaliser = worker_jobs.normaliser(record)
    values = normaliser.features(prices.frame.loc[:, list(config.features)].to_numpy(dtype=np.float64))
    newest = make_windows(values, 10)[-1]
    np.testing.assert_allclose(entry.windows.x[0], newest.astype(np.float32), rtol=1e-6)
    assert "IBM" not in at.session_state[state.PRICES].source  # Data was not changed
    at.radio(key="shape_subject").set_value(model_choice.FRESH).run()
    assert_clean(at)
    body = "\n".join(m.value for m in at.markdown)
    assert "**Model:** fresh untrained weights" in body and "of the loaded prices" in body
    assert at.session_state[model_choice.SHOWN_TRACE].run_id is None
    check_step(at, 1)


def test_a_trained_model_is_never_run_on_windows_of_other_prices():
    from model.data import load_sample
    from model.engine.windows import training_normaliser
    from model.errors import DataError
    from model.runs import files

    config = LstmConfig(rnn_unit=4, layer_num=1, time_step=5)
    own = load_sample("MSFT")
    stored = model_choice.StoredModel(
        1, "then", training_normaliser(own.frame, config), files.fingerprint(own.frame)
    )
    source = model_choice.Source(True, config, stored, "run 1")
    assert model_choice.windows_for(own, config, source).real  # its own prices: traced
    with pytest.raises(DataError, match="normaliser holds the statistics of the prices it was trained on"):
        model_choice.windows_for(load_sample("SYNTH"), config, source)
    fresh = model_choice.Source(False, config, None, "fresh")
    assert model_choice.windows_for(
        load_sample("SYNTH"), config, fresh
    ).real  # fresh weights: its own statistics


def test_too_few_rows_fall_back_to_random_windows_with_a_note():
    at = goto(new_app(), "shapes")
    at.session_state[state.PRICES] = load_csv(price_csv(15))
    at.run()
    assert_clean(at)
    infos = texts(at, "info")
    assert any("15 rows, fewer than time_step 20" in i and "random windows" in i for i in infos), infos
    check_step(at, 1)


@pytest.mark.process
def test_equivalence_check_proves_the_same_predictions():
    """Spawns the TF1 subprocess (5-10 s)."""
    at = goto(new_app(), "shapes")
    click(at, equivalence.EQUIVALENCE_BUTTON)
    successes = texts(at, "success")
    assert successes, texts(at, "warning") + texts(at, "error")
    match = re.search(r"max abs diff ([0-9.e+-]+)", successes[0])
    assert match and float(match.group(1)) < 1e-5, successes[0]
    assert "every step has the same shape" in successes[0]
    table = at.dataframe[-2].value if len(at.dataframe) > 1 else at.dataframe[-1].value
    rows = [df.value for df in at.dataframe if "tutorial's TF1 graph" in df.value.columns]
    assert rows and (rows[0]["same"] == "✓").all() and len(rows[0]) >= 7, table
    # A knob change makes the stored result stale: the page says so instead of showing it.
    at.number_input(key="rnn_unit").set_value(12).run()
    assert not texts(at, "success")
    assert any("run it again" in c.value for c in at.caption)


def test_equivalence_check_that_cannot_run_says_why():
    at = goto(new_app(), "shapes")
    at.session_state[equivalence.EQUIVALENCE_PYTHON] = "/nonexistent/python3"
    click(at, equivalence.EQUIVALENCE_BUTTON)
    warnings = texts(at, "warning")
    said = [w for w in warnings if "The equivalence check could not run" in w]
    assert said and "/nonexistent/python3" in said[0], warnings
    assert not texts(at, "success")


# ---------------------------------------------------------------------------------------------
# Pure pieces
# ---------------------------------------------------------------------------------------------


def test_equivalence_view_for_each_outcome():
    shapes = {"1:X": (4, 5, 6), "2:input": (20, 6)}
    pred = np.zeros((4, 5, 1))
    ok = EquivalenceResult(True, 3e-7, pred, pred, dict(shapes), True, None, 6.2, trace_shapes=dict(shapes))
    view = equivalence.equivalence_view(ok)
    assert view.kind == "success" and "max abs diff 3.00e-07" in view.message
    assert "20 predictions" in view.message
    assert [r["same"] for r in view.rows] == ["✓", "✓"]

    theirs = {"1:X": (4, 5, 6), "2:input": (10, 6)}
    mismatch = "step 2: 'input' is [20, 6] in Keras but [10, 6] in the TF1 graph"
    wrong = EquivalenceResult(False, 0.25, pred, pred, theirs, False, None, 6.2, trace_shapes=dict(shapes),
                              mismatches=[mismatch])  # fmt: skip
    view = equivalence.equivalence_view(wrong)
    assert view.kind == "error" and "max abs diff 2.50e-01" in view.message and "step 2" in view.message
    assert [r["same"] for r in view.rows] == ["✓", "✗"]

    failed = EquivalenceResult(False, math.inf, None, None, {}, False, "TF1 needs tf-keras.", 0.4)
    view = equivalence.equivalence_view(failed)
    assert view.kind == "warning" and "could not run: TF1 needs tf-keras." in view.message


def test_fill_shape_uses_the_tutorials_symbols():
    values = {"batch_size": 80, "time_step": 20, "input_size": 6, "rnn_unit": 10}
    dims = explain_shapes.tutorial_dims("input", 2)
    symbolic = "[batch_size*time_step, input_size]"
    assert explain_shapes.fill_shape(dims, values) == (symbolic, "[80*20, 6]", (1600, 6))
    assert explain_shapes.fill_shape(explain_shapes.tutorial_dims("lstm_1.kernel", 2), values)[2] == (10, 40)
    assert explain_shapes.tutorial_dims("final_states[3].h", 2) == ("batch_size", "rnn_unit")
    assert explain_shapes.fill_shape(("1",), values) == ("[1]", "[1]", (1,))


def test_code_html_escapes_and_highlights():
    source = "a = 1\nif x < y and z > 0:\n    b = '<b>'\n"
    out = code.code_html(source, (2,), "Title & more")
    assert "Title &amp; more" in out
    assert "if x &lt; y and z &gt; 0:" in out and "&#x27;&lt;b&gt;&#x27;" in out
    assert out.count("lens-code-hl") == 1
    assert "\n" not in out  # one line: Markdown must not treat the indented code as a code block


@pytest.mark.parametrize(
    "config",
    [LstmConfig(), LstmConfig(rnn_unit=1, layer_num=1, time_step=2, features=("close",)),
     LstmConfig(rnn_unit=64, layer_num=4, time_step=60, share_cell=True)],
    ids=["default", "smallest", "shared-deep"],
)  # fmt: skip
def test_every_figure_is_valid_plotly(config):
    """The builders skip plotly's validation for speed: everything they draw must re-validate."""
    from model.explain import trace_shapes

    trace = trace_shapes(config, batch_size=3)
    figs = [shape_figures.step_figure(trace.step(n), config.share_cell) for n in range(1, 8)]
    figs += [shape_figures.gate_figure(g) for g in trace.layer_gates[:2]]
    figs.append(shape_figures.gate_values_figure(trace.gates.values, "gates"))
    figs.append(shape_figures.hidden_heatmap(trace.hidden, "h", None))
    figs += [shape_figures.unroll_figure(trace.unrolled, t) for t in (0, config.time_step - 1)]
    for fig in figs:
        spec = fig.to_dict()
        go.Figure(spec)  # raises on any invalid property
        json.dumps(fig.to_plotly_json(), default=str)
    # Step 5 draws one LSTM node per layer and a (c, h) pair under each.
    flow = shape_figures.step_flow(trace.step(5), config.share_cell)
    ops = [item for item in flow if isinstance(item, diagram.Op)]
    assert len(ops) == config.layer_num and all(len(op.below) == 2 for op in ops)


def test_box_sides_grow_with_the_dimensions():
    assert diagram.side(1) == 1.0 and diagram.side(2) == 2.0
    assert diagram.side(6) < diagram.side(80) < diagram.side(1600)
    assert diagram.side(1600) < 13  # log-scaled: 1 and 1,600 fit in one picture


def test_unroll_panel_steps_through_time():
    at = goto(new_app(), "shapes")
    assert_clean(at)
    assert any(s.value == "Unroll the LSTM in time" for s in at.subheader)
    slider = at.slider(key=panels.UNROLL_T_WIDGET)
    assert slider.value == 19  # the last step: where final_states is read
    body = "\n".join(m.value for m in at.markdown)
    assert "h_t is `output_rnn[:, 19, :]` and `final_states[1].h`; c_t is `final_states[1].c`" in body
    assert "h_t is `final_states[0].h`" in body
    assert "equals the layers' own outputs (every h_t, and the final c and h): yes" in body
    unroll_table = [m.value for m in at.markdown if m.value.startswith("| | Tensor at step t |")]
    assert len(unroll_table) == 1 and "✗" not in unroll_table[0]
    assert "`2 × [80, 10]`" in unroll_table[0] and "final_states[k].c" in unroll_table[0]
    spec = [s for s in plotly_specs(at) if "Window 1 at t = 19" in str(s.get("layout", {}).get("title", ""))]
    # One time control: the figure has no plotly slider, Play button or frames of its own.
    assert spec and not spec[0].get("frames") and not spec[0]["layout"].get("sliders")
    assert not spec[0]["layout"].get("updatemenus")
    # Step back in time: the last layer's h is still in output_rnn, nothing is in final_states.
    slider.set_value(3).run()
    assert_clean(at)
    body = "\n".join(m.value for m in at.markdown)
    assert "h_t is `output_rnn[:, 3, :]`; c_t is only inside `dynamic_rnn`" in body
    assert "Layer 1 (lstm_1): h_t is only inside `dynamic_rnn`" in body
    table = [m.value for m in at.markdown if m.value.startswith("| | Tensor at step t |")][0]
    assert "input_rnn[:, 3, :]" in table and "final_states" not in table
    assert "Window 1 at t = 3 of 0…19" in chart_titles(at)
    # The walkthrough's step survives a move in time.
    check_step(at, 1)
