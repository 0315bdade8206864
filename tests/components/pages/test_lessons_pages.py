"""The preset picker on Train (URL, custom) and the lessons on Results (verdict, leak demo)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from components import run_client as run_store
from components.literal import unescape_literal
from components.pages import results_lessons
from components.pages import train as train_page
from components.session import state
from model.engine.presets import PRESETS
from model.runs import run_files
from tests.components.conftest import (
    assert_clean,
    button,
    chart_titles,
    goto,
    new_app,
    open_tab,
    texts,
    wait_run,
)

pytestmark = pytest.mark.slow


def captions(at) -> list[str]:
    return texts(at, "caption")


def test_the_picker_shows_the_default_preset_and_applies_the_tutorial_to_knobs_and_url():
    at = goto(new_app(), "train")
    assert_clean(at)
    picker = at.selectbox(key=train_page.PRESET_PICKER)
    assert picker.value == "sound"
    assert any("Active preset: **Sound**" in c for c in captions(at))
    assert "preset" not in at.query_params  # the default needs no parameter

    picker.set_value("tutorial").run()
    assert_clean(at)
    assert at.number_input(key="time_step").value == 90
    assert at.toggle(key="share_cell").value is True
    assert at.radio(key="target_mode").value == "next_window"
    assert at.selectbox(key=train_page.PRESET_PICKER).value == "tutorial"
    assert any("Active preset: **Tutorial, faithful**" in c for c in captions(at))
    assert at.query_params["preset"] == "tutorial"
    assert any(e.label == "Identical to the tutorial, knob by knob" for e in at.expander)

    # Any knob change makes the settings custom, in the picker, the page and the link.
    at.number_input(key="rnn_unit").set_value(12).run()
    assert_clean(at)
    assert at.selectbox(key=train_page.PRESET_PICKER).value is None
    assert any("Active preset: **custom**" in c for c in captions(at))
    assert "preset" not in at.query_params
    assert any(e.label == "1 knob(s) differ from the tutorial" for e in at.expander)

    at.selectbox(key=train_page.PRESET_PICKER).set_value("sound").run()
    assert at.number_input(key="time_step").value == 20
    assert at.number_input(key="rnn_unit").value == PRESETS["sound"].values["rnn_unit"]
    assert at.radio(key="target_as").value == "change"


def test_sound_preset_lists_what_differs_from_the_tutorial():
    at = goto(new_app(), "train")
    differences = [t.value for t in at.table]
    assert differences, "no difference table"
    table = differences[0]
    assert {"Predict", "time_step", "Patience", "Share one cell across layers"} <= set(table["Knob"])
    row = table[table["Knob"] == "time_step"].iloc[0]
    assert (row["Tutorial"], row["Now"]) == ("90", "20")


def test_a_link_with_a_preset_and_a_knob_applies_both_and_a_bad_preset_warns():
    at = goto(new_app(preset="tutorial"), "train")
    assert_clean(at)
    assert at.number_input(key="time_step").value == 90
    assert at.selectbox(key=train_page.PRESET_PICKER).value == "tutorial"
    mixed = goto(new_app(preset="tutorial", time_step="30"), "train")
    assert mixed.number_input(key="time_step").value == 30
    assert mixed.toggle(key="share_cell").value is True
    assert mixed.selectbox(key=train_page.PRESET_PICKER).value is None
    bad = goto(new_app(preset="best"), "train")
    assert_clean(bad)
    assert any("preset='best'" in unescape_literal(w) for w in texts(bad, "warning"))  # shown literally
    assert bad.selectbox(key=train_page.PRESET_PICKER).value == "sound"


def test_results_say_whether_it_learned_and_show_the_leak_demo_on_request():
    at = goto(new_app(), "train")
    for key, value in {"rnn_unit": 4, "layer_num": 1, "time_step": 5, "epochs": 2}.items():
        at.number_input(key=key).set_value(value)
    at.radio(key="target_as").set_value("price")  # the leak shows best on a price target
    at.run()
    button(at, "Train").click().run()
    run_id = at.session_state[state.RUN_ID]
    record = wait_run(run_id, 180)
    assert record.status == "finished", record.error
    at.run()
    goto(at, "results")
    assert_clean(at)
    stored = run_files.load_evaluation(run_store.store(), run_id).metrics.copy()

    from model.orchestration.verdicts import run_verdict

    verdict = run_verdict(run_store.store(), run_id)
    main_table = at.table[0].value  # the Predictions tab's metrics table
    open_tab(at, "Did it learn?")
    assert_clean(at)
    assert "Did it learn anything?" in [s.value for s in at.subheader]
    said = texts(at, "success") + texts(at, "info") + texts(at, "warning") + texts(at, "error")
    assert said.count(verdict.text) == 2, said  # the card and the tab: one sentence
    assert "Predicted vs actual moves (test period)" in chart_titles(at)
    assert any(m.label == "Move correlation" for m in at.metric)
    open_tab(at, "Leak demo")

    # Off by default: no leak numbers anywhere.
    toggle = at.toggle(key=results_lessons.LEAK_TOGGLE)
    assert toggle.value is False
    assert not [t for t in at.table if results_lessons.LEAKED_LABEL in list(t.value.index)]
    toggle.set_value(True).run()
    assert_clean(at)
    leak_tables = [t.value for t in at.table if results_lessons.LEAKED_LABEL in list(t.value.index)]
    assert leak_tables
    shown = leak_tables[0]
    assert list(shown.index) == [results_lessons.HONEST_LABEL, results_lessons.LEAKED_LABEL,
                                 results_lessons.PERSISTENCE_LABEL]  # fmt: skip
    assert shown.loc[results_lessons.HONEST_LABEL, "RMSE"] != shown.loc[results_lessons.LEAKED_LABEL, "RMSE"]
    assert any(c.startswith("The tutorial rescales the test period") for c in texts(at, "caption"))
    assert "Which prices each scaler saw before the first test forecast" in chart_titles(at)
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    leak = [s for s in specs if "honest vs leaked" in (s["layout"].get("title") or {}).get("text", "")]
    assert [t["name"] for t in leak[0]["data"]] == [
        "actual",
        "honest (training statistics)",
        "leaked (test-period statistics)",
    ]
    # The stored metrics and the metrics table are the honest ones, with the demo on and off.
    pd.testing.assert_frame_equal(run_files.load_evaluation(run_store.store(), run_id).metrics, stored)
    assert at.metric[0].label == "Skill over persistence"  # the verdict card, first
    assert main_table.iloc[0]["RMSE"] == shown.loc[results_lessons.HONEST_LABEL, "RMSE"]
    at.toggle(key=results_lessons.LEAK_TOGGLE).set_value(False).run()
    pd.testing.assert_frame_equal(run_files.load_evaluation(run_store.store(), run_id).metrics, stored)
