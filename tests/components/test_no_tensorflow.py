"""The server never imports TensorFlow (~3.5 s, ~0.5 GB), whatever page is visited: training, the
Shapes trace, the leak demo, the Inside views and the Explainer's tour run in the worker pool's processes."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

from tests.components.conftest import APP, REPO

# The pages visited after Results, the Explainer (its tour and training replay) among them.
PAGES = ("shapes", "inside", "tour", "runs", "tune")

SCRIPT = textwrap.dedent(
    f"""
    import json, sys
    PAGES = {PAGES!r}
    from streamlit.testing.v1 import AppTest
    from components import run_client
    at = AppTest.from_file({APP!r}, default_timeout=60).run()
    data_ok = not at.exception and bool(at.get("plotly_chart"))
    data_tf = "tensorflow" in sys.modules
    at.switch_page("views/train.py").run()
    for key, value in dict(rnn_unit=4, layer_num=1, time_step=5, epochs=1).items():
        at.number_input(key=key).set_value(value)
    at.run()
    [b for b in at.button if b.label == "Train"][0].click().run()
    record = run_client.pool().wait(at.session_state["run_id"], timeout=120)
    at.run()
    train_ok = not at.exception and record.status == "finished"
    train_tf = "tensorflow" in sys.modules
    at.switch_page("views/results.py").run()
    results_ok = not at.exception and any(m.label == "Model RMSE" and m.value != "—" for m in at.metric)
    results_tf = "tensorflow" in sys.modules
    at.session_state["results_tab"] = "Leak demo"  # the lazy tabs run only the open one
    at.run()
    at.toggle(key="results_leak_demo").set_value(True).run()
    leak_ok = not at.exception and bool(at.table) and not at.error
    others = dict()
    for page in PAGES:
        at.switch_page("views/" + page + ".py").run()
        shown = page != "tour" or any(m.value.startswith("**Stop 1 of ") for m in at.markdown)
        others[page] = [not at.exception and not at.error and shown, "tensorflow" in sys.modules]
    print(json.dumps(dict(data_ok=data_ok, data_tf=data_tf, train_ok=train_ok, train_tf=train_tf,
                          results_ok=results_ok, results_tf=results_tf, leak_ok=leak_ok, others=others,
                          keras="keras" in sys.modules)))
    """
)


@pytest.mark.slow
def test_no_page_imports_tensorflow_into_the_server(tmp_path):
    env = dict(
        os.environ, TF_CPP_MIN_LOG_LEVEL="2", LENS_DB=f"sqlite:///{tmp_path / 'lens.db'}", LENS_WORKERS="1"
    )
    proc = subprocess.run(
        [sys.executable, "-c", SCRIPT], cwd=REPO, env=env, capture_output=True, text=True, timeout=240
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result == {
        "data_ok": True,
        "data_tf": False,
        "train_ok": True,
        "train_tf": False,
        "results_ok": True,
        "results_tf": False,
        "leak_ok": True,
        "others": {page: [True, False] for page in PAGES},
        "keras": False,
    }
