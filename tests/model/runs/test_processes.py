"""The one way worker processes are started, limited, recycled and replaced (model.runs.processes)."""

from __future__ import annotations

import json
import time

from model.runs.processes import PROJECT_ROOT, ChildProcess, Recycler, Replacements, start_module, thread_env


def test_a_module_started_from_anywhere_runs_from_the_project_root_with_its_thread_budget(
    tmp_path, monkeypatch
):
    monkeypatch.chdir(tmp_path)  # the module must be found whatever the owner's working directory
    out, log = tmp_path / "env.json", tmp_path / "logs" / "probe.log"
    child = ChildProcess(start_module("tests.model.runs.env_probe", [out], threads=3, log=log))
    child.join(60)
    assert child.exitcode == 0
    child.release()
    seen = json.loads(out.read_text())
    assert seen["cwd"] == str(PROJECT_ROOT)
    assert seen["env"]["TF_NUM_INTRAOP_THREADS"] == seen["env"]["OMP_NUM_THREADS"] == "3"
    assert log.read_text().strip() == "probe ran"


def test_a_crashed_child_is_described_by_its_exit_code(tmp_path):
    child = ChildProcess(start_module("tests.model.runs.env_probe", [tmp_path / "x.json", 3]))
    child.join(60)
    assert child.describe_exit() == "exited with code 3"
    child.release()


def test_the_thread_environment_keeps_two_inter_op_threads():
    env = thread_env(1)
    assert env["OMP_NUM_THREADS"] == env["TF_NUM_INTRAOP_THREADS"] == "1"
    assert env["TF_NUM_INTEROP_THREADS"] == "2"
    assert thread_env(4)["TF_NUM_INTEROP_THREADS"] == "4"


def test_a_killed_child_is_described_by_its_signal():
    popen = start_module("http.server", ["0", "--bind", "127.0.0.1"])
    child = ChildProcess(popen)
    time.sleep(0.2)
    child.terminate()
    child.join(10)
    assert child.describe_exit() == "was killed by signal 15"
    child.release()


def test_recycling_after_max_jobs():
    recycler = Recycler(3)
    assert [recycler.done() for _ in range(3)] == [False, False, True]
    assert not any(Recycler(None).done() for _ in range(50))


def test_replacements_are_budgeted_per_slot_and_failed_starts_in_a_row():
    budget = Replacements(per_slot=2, max_failed_starts=3)
    assert [budget.allow("a") for _ in range(3)] == [True, True, False]
    assert budget.allow("b") and budget.total == 3
    assert not budget.failed_start() and not budget.failed_start()
    budget.started_ok()
    assert [budget.failed_start() for _ in range(3)] == [False, False, True]
