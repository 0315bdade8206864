"""Step navigation of the Shapes page: Previous / a slider / Next, sharing one step in session state."""

from __future__ import annotations

import streamlit as st

from model.explain.sources import N_STEPS

STEP = "shape_step"  # current step, 1..N_STEPS
STEP_WIDGET = "shape_step_slider"  # key prefix of the "Step" slider (one key per step)


def current_step() -> int:
    try:
        step = int(st.session_state.get(STEP, 1))
    except (TypeError, ValueError):
        step = 1
    return min(max(step, 1), N_STEPS)


def _set_step(step: int) -> None:
    st.session_state[STEP] = min(max(int(step), 1), N_STEPS)


def _go(delta: int) -> None:
    _set_step(current_step() + delta)


def _slider_moved(key: str) -> None:
    _set_step(st.session_state[key])


def step_nav() -> int:
    """Draw the navigation and return the current step."""
    step = current_step()
    st.session_state[STEP] = step
    left, middle, right = st.columns([1.8, 5, 1.8], vertical_alignment="bottom")
    left.button("Previous", on_click=_go, args=(-1,), disabled=step <= 1, width="stretch",
                icon=":material/arrow_back:")  # fmt: skip
    # A new key per step: the slider is drawn afresh at the step the buttons chose. Setting one
    # slider's value from the buttons instead makes the browser show the old value for a moment.
    key = f"{STEP_WIDGET}_{step}"
    middle.slider("Step", min_value=1, max_value=N_STEPS, value=step, key=key, on_change=_slider_moved,
                  args=(key,), help=f"The {N_STEPS} steps of the tutorial's lstm(X).")  # fmt: skip
    right.button("Next", on_click=_go, args=(1,), disabled=step >= N_STEPS, width="stretch",
                 icon=":material/arrow_forward:")  # fmt: skip
    return step
