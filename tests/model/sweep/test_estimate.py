"""Before a study starts: its time estimated from this machine's stored runs (seconds per epoch by size)."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from model.engine.config import LstmConfig
from model.engine.network import count_parameters
from model.sweep import estimate
from model.sweep.space import Param, SearchSpace

BASE = LstmConfig(rnn_unit=8, layer_num=1, time_step=10, epochs=4, batch_size=32)


def _run(config: LstmConfig, seconds: float, epochs: int, batches: int = 10, status: str = "finished"):
    return SimpleNamespace(
        status=status, seconds=seconds, epochs_run=epochs, config=config.to_dict(),
        progress={"batches": batches, "epoch": epochs},
    )  # fmt: skip


def test_rate_is_seconds_per_epoch_per_unit_of_work():
    run = _run(BASE, seconds=20.0, epochs=4, batches=10)
    work = count_parameters(BASE)["total"] * BASE.time_step * 10 * BASE.batch_size
    assert estimate.epoch_rates([run]) == [pytest.approx(5.0 / work)]
    # Unusable runs give no rate: unfinished, no duration, no epochs, no batches.
    unusable = [
        _run(BASE, 20.0, 4, status="failed"),
        _run(BASE, 0.0, 4),
        _run(BASE, 20.0, 0),
        _run(BASE, 20.0, 4, 0),
    ]
    assert estimate.epoch_rates(unusable) == []


def test_a_study_of_the_same_network_costs_trials_times_a_run_over_the_workers():
    rows = 600
    from model.engine.windows import window_counts

    batches = -(-window_counts(rows, BASE)["train"] // BASE.batch_size)  # the last batch is partial
    run = _run(BASE, seconds=12.0, epochs=4, batches=batches)  # 3 s an epoch on these rows
    space = SearchSpace(BASE, (Param("rnn_unit", "fixed", value=8),))
    one = estimate.estimate_study(space, [run], trials=6, workers=2, rows=rows)
    # The same network, the same epochs: a run's time (to a batch: windows are counted in whole batches).
    assert one.per_trial == pytest.approx(12.0, rel=0.1)
    assert one.seconds == pytest.approx(one.per_trial * 3)  # 6 trials in 3 waves of 2
    assert one.text.startswith("About ") and "on 2 workers (6 trials of about 1" in one.text
    bigger = SearchSpace(BASE, (Param("rnn_unit", "int", lo=64, hi=128),))
    assert estimate.estimate_study(bigger, [run], trials=6, workers=2, rows=rows).seconds > 10 * one.seconds
    assert estimate.estimate_study(space, [], trials=6, workers=2, rows=rows) is None


def test_minutes_read_as_people_say_them():
    assert estimate.format_minutes(42) == "42 s"
    assert estimate.format_minutes(6 * 60 + 10) == "6 min"
    assert estimate.format_minutes(3 * 3600) == "3.0 h"
