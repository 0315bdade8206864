"""python -m model.train --folds: the fold table, the ladder and the verdict; bad input in plain words."""

import re

import pytest

from model.runs import evidence_store as es
from model.runs.store import open_store
from model.train import main
from tests.model.factories import TINY_IBM_ARGS


@pytest.mark.slow
def test_cli_walk_forward_prints_folds_ladder_and_verdict(tmp_path, capsys):
    db = f"sqlite:///{tmp_path / 'lens.db'}"
    code = main(
        [*TINY_IBM_ARGS, "--folds", "3", "--fold-mode", "warm", "--seeds", "2", "--workers", "2", "--db", db]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    out = captured.out
    assert "Walk-forward: 3 folds (warm), 2 seed(s)" in out
    assert len(re.findall(r"^\s+[123]\s+\d{4}-\d\d-\d\d \.\. \d{4}-\d\d-\d\d", out, re.M)) == 3
    for label in (
        "Persistence (last value)",
        "Drift",
        "Mean of the last time_step values",
        "Ridge on the same windows",
    ):
        assert label in out
    assert "Diebold-Mariano vs persistence, pooled over 3 folds" in out
    assert "Skill spread: over seeds" in out
    from model.orchestration.verdicts import run_verdict

    verdict = re.search(r"^Verdict: (.*)$", out, re.M).group(1)
    run_id = int(re.search(r"Stored as run (\d+)", out).group(1))
    store = open_store(db, files_root=tmp_path)
    settings = es.evidence_run(store, run_id)
    assert (settings.folds, settings.mode, settings.seeds) == (3, "warm", 2)
    assert settings.summary["verdict"]["text"] == verdict == run_verdict(store, run_id).text
    rows = es.folds_of(store, run_id)
    assert len(rows) == 6 and all(r.status == "finished" for r in rows)
    assert [r.warm_from is not None for r in rows if r.seed_index == 0] == [False, True, True]


def test_cli_too_few_rows_for_the_folds_says_the_largest_k(tmp_path, capsys):
    code = main(
        [
            "--source",
            "sample:IBM",
            "--time-step",
            "20",
            "--folds",
            "80",
            "--db",
            f"sqlite:///{tmp_path / 'lens.db'}",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert "Too few rows for 80 walk-forward folds" in err and "Use at most" in err
    assert "Traceback" not in err
