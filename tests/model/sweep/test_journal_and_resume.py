"""A damaged sweeps journal is one clear line from list/status/start; resume --trials N runs N more."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from model.engine.config import LstmConfig
from model.sweep import study as studies
from model.sweep.space import SearchSpace, int_range
from model.sweep.storage import forget_storage

REPO = Path(__file__).resolve().parents[3]
SPACE = SearchSpace(LstmConfig(epochs=2), (int_range("rnn_unit", 4, 8),))
DAMAGE = {
    "not UTF-8": (b'{"op_code": 0, "worker_id": "\xc3(", "study_name": "x"}\n', "UnicodeDecodeError"),
    "not JSON": (b"{not json\n", "JSONDecodeError"),
    "unknown operation": (b'{"op_code": 99, "worker_id": "w"}\n', "AssertionError"),
}


def _sweep(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "model.sweep", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
        check=False,
    )


def _damaged(tmp_path: Path, line: bytes) -> Path:
    path = tmp_path / "sweeps.journal"
    storage = f"journal:{path}"
    studies.create_study("s1", SPACE, "sample:IBM", trials=3, storage=storage, run_db="sqlite:///unused.db")
    forget_storage(storage)  # the next open replays the file written below
    first, *rest = path.read_bytes().splitlines(keepends=True)
    path.write_bytes(first + line + b"".join(rest))  # damage in the middle: later lines still follow
    return path


@pytest.mark.slow
@pytest.mark.parametrize("kind", sorted(DAMAGE))
def test_a_damaged_journal_is_one_clear_line(tmp_path, kind):
    line, error = DAMAGE[kind]
    path = _damaged(tmp_path, line)
    before = path.read_bytes()
    for args in (["list"], ["status", "s1"], ["start", "--name", "s2", "--trials", "1", "--rnn-unit", "4:8"]):
        result = _sweep(*args, "--storage", f"journal:{path}", "--db", f"sqlite:///{tmp_path / 'lens.db'}")
        assert result.returncode == 2, (args, result.stdout, result.stderr)
        assert "Traceback" not in result.stderr, (args, result.stderr)
        assert f"error: The sweep journal {path} is damaged" in result.stderr and error in result.stderr
        assert "Move it aside" in result.stderr
    assert path.read_bytes() == before  # nothing written to the damaged file


def test_resume_runs_n_more_trials_whatever_the_old_budget(tmp_path):
    storage = f"journal:{tmp_path / 'sweeps.journal'}"
    study = studies.create_study(
        "s1", SPACE, "sample:IBM", trials=30, storage=storage, run_db="sqlite:///unused.db"
    )
    for value in range(9):
        study.tell(study.ask(), float(value))
    studies.request_stop("s1", storage)
    studies.resume_study("s1", storage, more_trials=2)
    study = studies.open_study("s1", storage)
    assert studies.settings_of(study).trials == 11
    for value in range(2):
        assert studies.budget_left(study)
        study.tell(study.ask(), float(value))
    assert not studies.budget_left(study)  # 2 more, not 2 + the 21 left of the old budget


@pytest.mark.process  # python -m model.sweep in a subprocess
def test_resume_help_says_n_more_trials():
    result = _sweep("resume", "--help")
    assert result.returncode == 0 and "N more trials" in " ".join(result.stdout.split())
