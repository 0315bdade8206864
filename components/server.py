"""Housekeeping of the Streamlit server process (not of one session).

Training runs in worker processes, but the Shapes page (its trace) and the Results page's leak
demo load TensorFlow and Keras into the server. From then on, after every script run Streamlit
calls ``keras.backend.clear_session()``, which runs a full ``gc.collect()``: with TensorFlow's
hundreds of thousands of long-lived objects that is a noticeable pause on every rerun, on every
page of every session (README, Speed). ``gc.freeze()`` (public Python) moves the objects alive at
that moment into a permanent generation that collections skip, so the collection is cheap again.
"""

from __future__ import annotations

import gc
import sys

_frozen = False


def freeze_imported_tensorflow() -> None:
    """Once TensorFlow is in this process, freeze the heap once (cheap to call every run)."""
    global _frozen
    if not _frozen and "tensorflow" in sys.modules:
        gc.collect()  # what is garbage now is freed, not frozen
        gc.freeze()
        _frozen = True
