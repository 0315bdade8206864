"""A stored run's one verdict: judged once by the worker (single run) or from the fold records (walk-forward),
and the same Verdict when read back, recomputed, or taken from the walk-forward summary."""

from __future__ import annotations

import json

import pytest

from model.data import load_sample
from model.engine.config import LstmConfig
from model.evidence.verdict import TONE_OF, Verdict
from model.orchestration.verdicts import run_verdict
from model.orchestration.walkforward import load_walk_forward, run_walk_forward
from model.runs import evidence_store as es
from model.runs.execute import execute_run
from model.runs.store import open_store
from model.runs.verdicts import VERDICT_FILE, judge_stored_run, read_verdict

pytestmark = pytest.mark.slow  # trains two tiny networks for a few seconds

TINY = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=1)


@pytest.fixture
def store(tmp_path):
    store = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path)
    yield store
    store.close()


def test_a_single_runs_stored_verdict_is_the_one_recomputed_from_its_files(store):
    run_id = store.create_run(TINY, load_sample("SYNTH").frame.iloc[:700], "cli")
    record = execute_run(store, run_id)
    assert record.status == "finished", record.error
    stored = read_verdict(record.files_dir)
    assert stored is not None and stored.kind in TONE_OF and stored.tone == TONE_OF[stored.kind]
    assert stored == judge_stored_run(store, run_id) == run_verdict(store, run_id)
    assert stored.skill == pytest.approx(record.metric("skill"))
    assert set(stored.rungs) == {"drift", "mean_last", "ridge"} and not stored.walk_forward
    # A run stored before verdicts were: judged the same way from its predictions and prices.
    (record.files_dir / VERDICT_FILE).unlink()
    assert run_verdict(store, run_id) == stored


def test_a_walk_forward_runs_summary_holds_the_verdict_its_folds_give(store):
    result = run_walk_forward(store, TINY, load_sample("SYNTH").frame.iloc[:900], folds=2)
    verdict = run_verdict(store, result.run_id)
    assert verdict.walk_forward and verdict.folds == 2
    assert verdict == result.evidence.verdict == load_walk_forward(store, result.run_id).evidence.verdict
    summary = es.evidence_run(store, result.run_id).summary
    assert Verdict.from_dict(json.loads(json.dumps(summary["verdict"]))) == verdict
    # A fold's own run is judged on its own test period.
    child = es.folds_of(store, result.run_id)[0].child_run_id
    assert not run_verdict(store, child).walk_forward


def test_a_run_without_a_result_has_no_verdict(store):
    run_id = store.create_run(TINY, load_sample("SYNTH").frame.iloc[:700], "cli")
    assert run_verdict(store, run_id) is None  # queued
    store.fail(run_id, "no")
    assert run_verdict(store, run_id) is None
