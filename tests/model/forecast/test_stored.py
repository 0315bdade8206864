"""The forecast is stored with the run (Parquet) and reopens identically."""

import pandas as pd
import pytest

from model.forecast.evaluate import forecast_horizon
from model.runs import forecasts, run_files
from model.runs.execute import execute_run
from model.runs.store import open_store
from tests.model.factories import sine_frame
from tests.model.runs.helpers import TINY, assert_same_forecast


@pytest.fixture
def store(tmp_path):
    opened = open_store(f"sqlite:///{tmp_path / 'lens.db'}", files_root=tmp_path / "files")
    yield opened
    opened.close()


@pytest.mark.slow
def test_a_run_forecast_round_trips_through_the_store(store):
    config = TINY.replace(horizon=5, forecast_strategy="recursive")
    run_id = store.create_run(config, sine_frame(300), "cli")
    record = execute_run(store, run_id)
    assert record.status == "finished", record.error
    stored, failure = forecasts.load_forecast(store, run_id)
    assert failure is None and stored is not None
    assert stored.strategy == "recursive" and stored.horizon == 5
    assert stored.fan["date"].dt.weekday.lt(5).all()
    # The saved model, reloaded, forecasts exactly what was stored.
    run, data, _ = run_files.load_trained(store, run_id)
    again = forecast_horizon(run, data)
    assert_same_forecast(stored, again)
    # Every method's test intervals are stored with it, the run's own method named.
    assert stored.method == config.interval_method
    assert set(stored.intervals["method"]) == {"split", "aci", "agaci"}
    pd.testing.assert_frame_equal(stored.intervals, again.intervals, check_dtype=False)
    # Written again and read back: the same record.
    forecasts.write_forecast(stored, store.files_root / "again")
    back = forecasts.read_forecast(store.files_root / "again")
    assert_same_forecast(stored, back)
    pd.testing.assert_frame_equal(stored.intervals, back.intervals)


@pytest.mark.slow
def test_a_forecast_that_cannot_be_made_keeps_the_run_and_says_why(store):
    # 60 rows, time_step 5: the run trains, but a 30-day direct target leaves too few training windows.
    config = TINY.replace(horizon=30, forecast_strategy="direct")
    run_id = store.create_run(config, sine_frame(60), "cli")
    record = execute_run(store, run_id)
    assert record.status == "finished", record.error
    stored, failure = forecasts.load_forecast(store, run_id)
    assert stored is None
    assert "Horizon 30 leaves" in failure and "training windows" in failure


def test_damaged_forecast_files_give_a_store_error(tmp_path):
    where = tmp_path / forecasts.HORIZON_DIR
    where.mkdir()
    (where / forecasts.META_FILE).write_text("{not json")
    with pytest.raises(Exception) as caught:
        forecasts.read_forecast(tmp_path)
    assert "damaged" in str(caught.value)
    assert forecasts.read_forecast(tmp_path / "nothing") is None


@pytest.mark.slow
def test_the_direct_network_reports_progress_but_not_epochs_of_the_run(store):
    config = TINY.replace(horizon=3, forecast_strategy="direct", epochs=2)
    run_id = store.create_run(config, sine_frame(300), "cli")
    seen = []
    original = store.progress

    def spy(rid, payload):
        seen.append(payload.get("stage"))
        return original(rid, payload)

    store.progress = spy
    record = execute_run(store, run_id)
    assert record.status == "finished", record.error
    assert len(record.history) == record.epochs_run == 2  # the run's own epochs only
    assert "forecast" in seen and seen.index("forecast") > 0  # after the run's own progress
    stored, _ = forecasts.load_forecast(store, run_id)
    assert stored.strategy == "direct" and stored.calibration == "expanding"
