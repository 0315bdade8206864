"""The Explainer's figures: built without plotly's validation for speed, so every one must
re-validate; and they draw the record's own numbers."""

from __future__ import annotations

import json

import numpy as np
import plotly.graph_objects as go
import pytest

from components.figures import tour as figures
from components.pages.tour import stop_figure
from model.explain.tour_stops import CELL, tour_stops


@pytest.fixture(scope="module", params=[(4, 2, 5), (2, 1, 5)], ids=["4x2x5", "toy"])
def record(request):
    from model.engine.config import LstmConfig
    from model.engine.evaluation import evaluate
    from model.engine.network import build_network
    from model.engine.training import TrainedRun
    from model.engine.windows import prepare_data
    from model.explain.tour import tour_record
    from tests.model.factories import randomise, sine_frame

    units, layers, steps = request.param
    config = LstmConfig(rnn_unit=units, layer_num=layers, time_step=steps, features=("close", "change"))
    data = prepare_data(sine_frame(300), config)
    run = TrainedRun(model=randomise(build_network(config), 2), config=config, normaliser=data.normaliser,
                     history=[], stopped_reason="completed", best_epoch=None, seconds=0.0)  # fmt: skip
    return tour_record(run, data, evaluate(run, data), None, run_id=1)


def test_every_figure_of_every_stop_is_valid_plotly(record):
    figs = [figures.window_figure(record)]
    for stop in tour_stops(record):
        figs += [stop_figure(record, stop), figures.chain_figure(record, stop.time)]
        if figures.fits_one_screen(record):
            figs.append(figures.all_numbers_figure(record, stop.time))
    for fig in figs:
        if fig is None:
            continue
        go.Figure(fig.to_dict())  # raises on any invalid property
        json.dumps(fig.to_plotly_json(), default=str)


def test_a_stop_change_keeps_each_figures_ui_state_and_a_new_day_rezooms(record):
    """plotly.js patches a figure whose uirevision is unchanged (zoom and hover stay) instead of
    resetting it: the same value at every stop; the price chart's follows the day."""
    stops = tour_stops(record)
    revisions = {
        (stop_figure(record, stop) or figures.chain_figure(record, stop.time)).layout.uirevision
        for stop in stops
    } | {figures.chain_figure(record, stop.time).layout.uirevision for stop in stops}
    assert revisions == {"tour"}
    assert figures.window_figure(record).layout.uirevision == record.day


def test_the_cell_figure_draws_the_records_numbers(record):
    stop = next(s for s in tour_stops(record) if s.kind == CELL and s.step == 2)
    z = np.asarray(figures.cell_figure(record, stop.layer, stop.step).data[0].z)
    values = record.layers[stop.layer].values
    for row, name in enumerate(figures.CELL_ROWS):
        np.testing.assert_allclose(z[row], values[name][2])
    # c_t = f * c_(t-1) + i * g and h_t = o * tanh(c_t), as drawn
    np.testing.assert_allclose(z[7], z[4] * z[2] + z[3] * z[5], atol=1e-12)
    np.testing.assert_allclose(z[8], z[6] * np.tanh(z[7]), atol=1e-12)
    chain = figures.chain_figure(record, stop.time)
    boxes = chain.data[-1]
    highlighted = [k for k, c in enumerate(boxes.marker.color) if c == figures.HIGHLIGHT]
    assert highlighted == [stop.layer * record.time_step + 2]


def test_the_replay_figures_are_valid_and_follow_the_epoch(record):
    from model.explain.tour import ReplayRecord

    layers = [{k: np.stack([v * 0.5, v]) for k, v in layer.values.items()} for layer in record.layers]
    replay = ReplayRecord(record.day, np.array([record.prediction + 1.0, record.prediction]), layers, 2,
                          record.actual, record.persistence)  # fmt: skip
    line = figures.replay_figure(replay, 1)
    cell = figures.replay_cell_figure(record, replay, 1, 0, 1)
    for fig in (line, cell):
        go.Figure(fig.to_dict())
    assert line.data[-1].y == (record.prediction + 1.0,)  # the chosen epoch is marked
    np.testing.assert_allclose(np.asarray(cell.data[0].z)[4], record.layers[0].values["f"][1] * 0.5)
