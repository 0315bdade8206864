"""One verdict everywhere: for the same stored runs (a single run trained by the CLI, a walk-forward run),
Results' card, Inside, the Runs table and the CLI (the training's Verdict: line, the walk-forward
report, ``model.runs show``) state one kind and one sentence: ``model.orchestration.verdicts.run_verdict``'s."""

from __future__ import annotations

import json
import re

import pytest

from components import run_client, worker_jobs
from components.verdict_view import CARD_KEY
from model.errors import LensError
from model.evidence.verdict import BAD, CAUTION, GOOD, NEUTRAL, TONE_OF
from tests.components.conftest import assert_clean, goto, new_app

pytestmark = pytest.mark.slow

ALERT = {GOOD: "success", CAUTION: "warning", BAD: "error", NEUTRAL: "info"}
TINY = ["--rnn-unit", "4", "--layer-num", "1", "--time-step", "5", "--epochs", "1"]


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """(single run id, its CLI output, walk-forward run id, its report), in the pages' store."""
    import os

    from model.data import load_sample
    from model.engine.config import LstmConfig
    from model.evidence.report import walk_forward_report
    from model.orchestration.walkforward import run_walk_forward
    from model.train import main

    csv = tmp_path_factory.mktemp("prices") / "synth.csv"
    load_sample("SYNTH").frame.iloc[:700].to_csv(csv, index_label="date")
    import contextlib
    import io

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert main(["--csv", str(csv), *TINY, "--db", os.environ["LENS_DB"]]) == 0
    printed = out.getvalue()
    single = int(re.search(r"Stored as run (\d+)", printed).group(1))
    config = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)
    result = run_walk_forward(run_client.store(), config, load_sample("SYNTH").frame.iloc[:700], folds=2)
    return single, printed, result.run_id, walk_forward_report(result)


def _verdict(run_id):
    from model.orchestration.verdicts import run_verdict

    verdict = run_verdict(run_client.store(), run_id)
    assert verdict is not None and verdict.kind in TONE_OF
    return verdict


def _alerts(at) -> list[tuple[str, str]]:
    """(kind, text) of every alert of the page, in page order."""
    return [
        (node.type, str(node.value))
        for node in at.main
        if node.type in ("success", "warning", "error", "info")
    ]


def _show_json(run_id) -> dict:
    import contextlib
    import io
    import os

    from model.runs.__main__ import main as runs_main

    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert runs_main(["--db", os.environ["LENS_DB"], "show", str(run_id)]) == 0
    return json.loads(out.getvalue())


def test_results_inside_runs_and_the_cli_state_one_verdict(runs, monkeypatch):
    single, printed, walk_forward, report = runs
    by_run = {single: _verdict(single), walk_forward: _verdict(walk_forward)}
    assert not by_run[single].walk_forward and by_run[walk_forward].walk_forward

    # The CLI: the training's Verdict: line, the walk-forward report's, and model.runs show.
    assert re.search(r"^Verdict: (.*)$", printed, re.M).group(1) == by_run[single].text
    assert re.search(r"^Verdict: (.*)$", report, re.M).group(1) == by_run[walk_forward].text
    for run_id, verdict in by_run.items():
        shown = _show_json(run_id)["verdict"]
        assert (shown["kind"], shown["text"]) == (verdict.kind, verdict.text)

    # Results: the card's sentence is the page's first alert, in the tone's colour.
    for run_id, verdict in by_run.items():
        at = goto(new_app(run=str(run_id)), "results")
        assert_clean(at)
        assert _alerts(at)[0] == (ALERT[verdict.tone], verdict.text)

    # Inside (the single run; the views that need a worker are left out here).
    def no_worker(*args, **kwargs):
        raise LensError("no worker in this test")

    monkeypatch.setattr(worker_jobs, "run_job", no_worker)
    at = goto(new_app(run=str(single)), "inside")
    assert_clean(at)
    verdict = by_run[single]
    assert (ALERT[verdict.tone], verdict.text) in _alerts(at)
    lag = next(text for kind, text in _alerts(at) if "correlation" in text)
    assert ("repeats the last price" in lag) == (verdict.kind == "repeats")

    # Runs: the verdict column holds the same sentence for each run.
    at = goto(new_app(), "runs")
    assert_clean(at)
    table = at.dataframe[0].value.set_index("run")
    for run_id, verdict in by_run.items():
        assert table.loc[run_id, "verdict"] == verdict.text


def test_the_verdict_card_is_the_first_thing_on_results(runs):
    single = runs[0]
    at = goto(new_app(run=str(single)), "results")
    assert_clean(at)
    blocks = [node for node in at.main.children.values()]
    keys = [getattr(getattr(b, "proto", None), "id", None) for b in blocks]
    # Title, the run's line (and, when the Data page holds other prices, its one note), then the
    # card (its container key), before any tab or chart.
    types = [b.type for b in blocks]
    card = next(i for i, b in enumerate(blocks) if CARD_KEY in str(getattr(b, "proto", "")))
    assert types[:2] == ["title", "markdown"] and card <= 3, (types, keys)
    assert "tab_container" not in types[:card] and "plotly_chart" not in types[:card]
    assert any(m.label == "Skill over persistence" for m in at.metric)
