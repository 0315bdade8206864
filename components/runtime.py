"""Keep Streamlit's per-run housekeeping away from a model that trains in a background thread.

After EVERY script run, fragment reruns included, Streamlit 1.67 (``script_runner.py``):

1. calls ``keras.backend.clear_session()`` when keras is imported (``_clean_problem_modules``):
   it resets Keras' global state and TensorFlow's default graph, clears TF's eager kernel cache
   and runs ``gc.collect()`` — for every session of the process, while another session's model
   is training or predicting;
2. runs ``gc.collect(2)`` (``runner.postScriptGC``): with TensorFlow loaded that is ~0.2 s
   holding the GIL.

With the Train page polling twice a second, the training thread was starved (an epoch that
takes 0.5 s took tens of seconds in the server). ``protect_background_training()`` turns both
off for this process: the matplotlib cleanup is kept, Python's automatic GC still runs, and a
session's models stay alive only as long as its session_state holds them.
"""

from __future__ import annotations

import sys

_MARK = "__lstm_lens_patched__"


def _clean_problem_modules_without_keras() -> None:
    """Streamlit's cleanup minus keras.backend.clear_session()."""
    if "matplotlib.pyplot" in sys.modules:
        try:
            sys.modules["matplotlib.pyplot"].close("all")
        except Exception:  # noqa: BLE001 - never fail a script run over a cleanup
            pass


setattr(_clean_problem_modules_without_keras, _MARK, True)


def protect_background_training() -> None:
    """Idempotent; call once per script run from app.py (cheap)."""
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    if config.get_option("runner.postScriptGC"):
        config.set_option("runner.postScriptGC", False)
    if not getattr(script_runner._clean_problem_modules, _MARK, False):
        script_runner._clean_problem_modules = _clean_problem_modules_without_keras


def is_protected() -> bool:
    from streamlit import config
    from streamlit.runtime.scriptrunner import script_runner

    return getattr(script_runner._clean_problem_modules, _MARK, False) and not config.get_option(
        "runner.postScriptGC"
    )
