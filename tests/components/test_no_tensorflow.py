"""The Data page (and the Train page before any training) must not import TensorFlow (~3.5 s)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

from tests.components.conftest import APP, REPO

SCRIPT = textwrap.dedent(
    f"""
    import json, sys
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file({APP!r}, default_timeout=60).run()
    data_ok = not at.exception and bool(at.get("plotly_chart"))
    data_tf = "tensorflow" in sys.modules
    at.switch_page("views/train.py").run()
    at.number_input(key="rnn_unit").set_value(16).run()
    train_ok = not at.exception
    train_tf = "tensorflow" in sys.modules
    print(json.dumps(dict(data_ok=data_ok, data_tf=data_tf, train_ok=train_ok, train_tf=train_tf,
                          keras="keras" in sys.modules)))
    """
)


def test_data_and_train_pages_do_not_import_tensorflow():
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2")
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {"data_ok": True, "data_tf": False, "train_ok": True, "train_tf": False, "keras": False}
