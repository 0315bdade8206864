"""The Train page's progress text names the forecast's network while it trains."""

from components import widgets


def test_progress_text_names_the_forecast_stage():
    run = {"epoch": 3, "epochs": 30, "batch": 5, "batches": 20}
    assert widgets.progress_text(run) == "Epoch 3 / 30 · batch 5 / 20"
    text = widgets.progress_text({**run, "stage": "forecast"})
    assert text.startswith("Forecast: training the direct network") and "epoch 3 / 30" in text
