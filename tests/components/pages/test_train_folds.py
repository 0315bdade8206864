"""The Train page shows a walk-forward run as folds: "fold 2 of 3 · epoch 4 of 5" while it trains,
the folds' epochs when it ends (never "0 epoch(s)" or "no epoch had finished"), and the sidebar agrees.

The fold runs are written to the store by hand (no training): the page only reads them."""

from __future__ import annotations

from components import run_client
from components.session import state
from model.data import load_sample
from model.engine.config import LstmConfig
from model.orchestration.walkforward import start_walk_forward
from model.runs import evidence_store as es
from tests.components.conftest import assert_clean, chart_titles, goto, new_app, plotly_specs, texts

CONFIG = LstmConfig(rnn_unit=4, layer_num=1, time_step=5, epochs=5)


def _walk_forward(folds: int = 3) -> tuple[int, list[int]]:
    store = run_client.store()
    parent = start_walk_forward(store, CONFIG, load_sample("GOOG"), folds=folds, origin="ui")
    children = [r.child_run_id for r in es.folds_of(store, parent)]
    store.start(parent)
    return parent, children


def _train(run_id: int, epochs: int, finish: bool = True) -> None:
    store = run_client.store()
    store.start(run_id)
    for epoch in range(1, epochs + 1):
        store.add_epoch(run_id, epoch, loss=1.0 / epoch, val_loss=1.5 / epoch)
    if finish:
        store.finish(run_id, "finished", seconds=2.0)


def _progress_texts(at) -> list[str]:
    return [p.proto.text for p in at.get("progress")]


def test_a_finished_walk_forward_run_reports_its_folds_epochs():
    parent, children = _walk_forward()
    for child in children:
        _train(child, 5)
    run_client.store().finish(parent, "finished", seconds=30.0)
    at = new_app()
    at.run()
    at.session_state[state.RUN_ID] = parent
    goto(at, "train")
    assert_clean(at)
    said = " ".join(texts(at, "success") + texts(at, "caption"))
    assert "all 3 folds trained, 15 epochs (5 + 5 + 5)" in said
    assert "0 epoch" not in said and "no epoch had finished" not in said
    assert "Validation loss per epoch, per fold" in chart_titles(at)
    curves = next(
        s for s in plotly_specs(at) if s["layout"]["title"]["text"].startswith("Validation loss per")
    )
    assert [t["name"] for t in curves["data"]] == ["fold 1", "fold 2", "fold 3"]
    assert curves["layout"]["xaxis"]["tickformat"] == "d" and curves["layout"]["xaxis"]["dtick"] == 1
    sidebar = " ".join(str(c.value) for c in at.sidebar.caption)
    assert "15 epoch(s)" in sidebar


def test_a_training_walk_forward_run_names_the_fold_and_its_epoch():
    parent, children = _walk_forward()
    _train(children[0], 5)
    _train(children[1], 3, finish=False)
    run_client.store().progress(children[1], {"epoch": 4, "epochs": 5, "batch": 1, "batches": 3})
    at = new_app()
    at.run()
    at.session_state[state.RUN_ID] = parent
    goto(at, "train")
    assert_clean(at)
    bars = _progress_texts(at)
    assert "fold 2 of 3 · epoch 4 of 5 · 1 of 3 folds done" in bars, bars
    assert not any(b.startswith("Epoch ") for b in bars)
    assert "Loss per epoch · fold 2 of 3" in chart_titles(at)
    for child in children[1:]:  # end it, so no other test sees an active run
        run_client.store().finish(child, "finished", seconds=1.0)
    run_client.store().finish(parent, "finished", seconds=3.0)


def test_the_split_chart_draws_each_folds_test_period():
    from components.pages import train as train_page
    from components.session import walkforward as train_evidence

    prices = load_sample("GOOG")
    tests = train_page.fold_tests(len(prices.frame), prices.frame.index, CONFIG, 3)
    assert [t[0] for t in tests] == ["fold 1 test", "fold 2 test", "fold 3 test"]
    assert all(a[2] < b[1] for a, b in zip(tests, tests[1:]))  # one after another
    assert train_page.fold_tests(len(prices.frame), prices.frame.index, CONFIG, 0) == []
    assert train_page.fold_tests(30, prices.frame.index[:30], CONFIG, 3) == []  # do not fit: no bands
    at = goto(new_app(), "train")
    at.number_input(key=train_evidence.FOLDS).set_value(3).run()
    assert_clean(at)
    spec = next(
        s
        for s in plotly_specs(at)
        if (s["layout"].get("title") or {}).get("text", "").startswith("Walk-forward")
    )
    assert spec["layout"]["title"]["text"].startswith("Walk-forward: the 3 folds' test periods over close")
    labels = [a["text"] for a in spec["layout"]["annotations"]]
    assert labels == ["fold 1 test", "fold 2 test", "fold 3 test"]
