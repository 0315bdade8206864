"""Fold runs belong to their walk-forward run: lists hide them (the CLI unless --folds), the parent
says how many folds it has, deleting the parent deletes its folds, a fold alone is refused."""

from __future__ import annotations

import pytest

from model.engine.config import LstmConfig
from model.errors import StoreError
from model.orchestration.walkforward import start_walk_forward
from model.runs import __main__ as runs_cli
from model.runs import evidence_store as es
from model.runs import fold_runs
from model.runs.store import open_store
from tests.model.evidence.helpers import synth
from tests.model.runs.helpers import TINY

CONFIG = LstmConfig(features=("close",), time_step=10, epochs=1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.process)])
def store(request, tmp_path):
    url = (
        f"sqlite:///{tmp_path / 'lens.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    opened = open_store(url, files_root=tmp_path / "files")
    yield opened
    opened.close()


@pytest.fixture
def sqlite_store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


def _ids(store) -> set[int]:
    return {r.id for r in store.list_runs()}


def test_index_hides_fold_runs_and_describes_parent_and_folds(sqlite_store):
    store = sqlite_store
    before = store.create_run(TINY, synth(0), "ui")
    parent = start_walk_forward(store, CONFIG, synth(2), folds=3, seeds=2)
    after = store.create_run(TINY, synth(0), "cli")
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    assert len(children) == 6
    index = fold_runs.fold_index(store)
    assert set(index.places) == set(children) == es.fold_child_ids(store)
    assert index.children[parent] == children  # (seed, fold) order
    assert index.parent_text(parent) == "3 folds × 2 seeds"
    assert index.parent_text(children[4]) == "fold 2/3, seed 2/2 of run " + str(parent)
    assert index.parent_text(before) == ""
    listed = store.list_runs()
    shown, hidden = fold_runs.visible_runs(listed, index)
    assert [r.id for r in shown] == [after, parent, before] and hidden == 6
    every, none_hidden = fold_runs.visible_runs(listed, index, folds=True)
    assert len(every) == 9 and none_hidden == 0
    one_seed = start_walk_forward(store, CONFIG, synth(2), folds=4, seeds=1)
    assert fold_runs.fold_index(store).parent_text(one_seed) == "4 folds"


def test_deleting_a_walk_forward_run_deletes_its_fold_runs(store):
    other = store.create_run(TINY, synth(0), "ui")
    parent = start_walk_forward(store, CONFIG, synth(2), folds=3, seeds=1)
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    dirs = [store.get_run(i).files_dir for i in (parent, *children)]
    for d in dirs:
        d.mkdir(parents=True, exist_ok=True)
    # A fold run alone is refused, with its parent named, and nothing is deleted.
    with pytest.raises(StoreError, match=rf"fold 2/3 of run {parent}.*delete run {parent}"):
        fold_runs.delete_run(store, children[1])
    assert _ids(store) == {other, parent, *children}
    deleted = fold_runs.delete_run(store, parent)
    assert deleted == [*children, parent]
    assert _ids(store) == {other}
    assert es.evidence_run(store, parent) is None and es.folds_of(store, parent) == []
    assert fold_runs.fold_index(store).places == {}
    assert not any(d.exists() for d in dirs)
    assert fold_runs.delete_run(store, other) == [other]  # an ordinary run: as before
    assert _ids(store) == set()


def test_a_running_fold_refuses_the_parents_delete_and_nothing_is_deleted(sqlite_store):
    store = sqlite_store
    parent = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=1)
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    store.fail(parent, "server restarted", status="interrupted")  # the parent ended, a fold still runs
    assert store.start(children[1])
    with pytest.raises(StoreError, match=rf"run {children[1]} is still running.*Stop the walk-forward run"):
        fold_runs.delete_run(store, parent)
    assert _ids(store) == {parent, *children}
    assert len(es.folds_of(store, parent)) == 2


def test_delete_order_lets_a_selected_parent_take_its_selected_folds(sqlite_store):
    store = sqlite_store
    parent = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=1)
    lone = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=1)
    a, b = (r.child_run_id for r in es.folds_of(store, parent))
    c, _ = (r.child_run_id for r in es.folds_of(store, lone))
    index = fold_runs.fold_index(store)
    assert fold_runs.delete_order([a, parent, b, c], index) == [parent, c]


def test_cli_lists_fold_runs_only_with_folds_and_deletes_a_parent_with_them(sqlite_store, capsys):
    store = sqlite_store
    url = str(store.engine.url)
    ordinary = store.create_run(TINY, synth(0), "cli")
    parent = start_walk_forward(store, CONFIG, synth(2), folds=3, seeds=1)
    children = [r.child_run_id for r in es.folds_of(store, parent)]

    def listed(*extra: str) -> tuple[list[int], str]:
        assert runs_cli.main(["--db", url, "list", *extra]) == 0
        out = capsys.readouterr().out
        ids = [int(line.split()[0]) for line in out.splitlines()[1:] if line.split()[0].isdigit()]
        return ids, out

    ids, out = listed()
    assert ids == [parent, ordinary]
    assert "[3 folds]" in out and "(3 fold runs of walk-forward runs hidden; --folds lists them)" in out
    ids, out = listed("--folds")
    assert ids == [*reversed(children), parent, ordinary] and "hidden" not in out
    assert f"[fold 1/3 of run {parent}]" in out
    ids, _ = listed("--limit", "1")
    assert ids == [parent]  # the limit counts the runs shown, not the hidden folds
    assert runs_cli.main(["--db", url, "delete", str(children[0])]) == 2  # refused, in one line
    assert "delete run" in capsys.readouterr().err
    assert runs_cli.main(["--db", url, "delete", str(parent)]) == 0
    assert capsys.readouterr().out.strip() == f"Deleted run {parent} and its 3 fold runs."
    assert _ids(store) == {ordinary}


def test_a_walk_forward_run_queued_by_another_session_needs_its_token(sqlite_store):
    from model.errors import StopRefusedError
    from model.runs import capability

    store, token = sqlite_store, capability.new_token()
    parent = start_walk_forward(store, CONFIG, synth(2), folds=2, seeds=1, owner=token)
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    with pytest.raises(StopRefusedError, match="queued for another session"):
        fold_runs.delete_run(store, parent)
    assert _ids(store) == {parent, *children}
    assert fold_runs.delete_run(store, parent, token) == [*children, parent]
    assert _ids(store) == set()
