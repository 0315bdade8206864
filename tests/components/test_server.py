"""The server freezes its heap once TensorFlow is loaded, so Streamlit's per-run GC stays cheap."""

import pytest
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import gc
from components import server
server.freeze_imported_tensorflow()
assert gc.get_freeze_count() == 0, "froze before TensorFlow was imported"
import keras, tensorflow
server.freeze_imported_tensorflow()
frozen = gc.get_freeze_count()
assert frozen > 100_000, frozen
server.freeze_imported_tensorflow()
assert gc.get_freeze_count() == frozen, "froze twice"
print(frozen)
"""


@pytest.mark.process
def test_the_heap_is_frozen_once_tensorflow_is_imported_and_only_once():
    # A fresh interpreter: this test process may already hold TensorFlow (and must not be frozen).
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=REPO, capture_output=True, text=True, timeout=180)
    assert out.returncode == 0, out.stderr[-2000:]
