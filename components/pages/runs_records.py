"""Small records the Runs page draws, computed from stored runs (pure: tested without Streamlit).

Optuna's visualization style: each function here takes ``RunRecord``s (and stored evaluations)
and returns a small table or record; ``components.figures.runs`` draws them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Callable, Sequence

import pandas as pd

from model.engine.config import KNOBS, LstmConfig

# Knobs that get their own column; the others show in "other knobs" when they differ from the defaults.
MAIN_KNOBS = ("rnn_unit", "layer_num", "time_step")
# What can be put on a scatter's y axis or colour a parallel-coordinates plot.
METRICS = {
    "test RMSE": ("rmse", "model"),
    "skill": ("skill", "model"),
    "direction %": ("direction", "model"),
    "MAE": ("mae", "model"),
    "MAPE %": ("mape", "model"),
}
# Knobs that are numbers (the axes of the parallel-coordinates plot and the scatter's x).
NUMERIC_KNOBS = tuple(name for name, spec in KNOBS.items() if spec.numeric)
# Config fields that fix which rows are the test period and what is predicted there.
SPLIT_FIELDS = ("target", "test_fraction")


def knob_text(value: Any) -> str:
    if isinstance(value, (tuple, list)):
        return "+".join(str(v) for v in value)
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def other_knobs(config: dict[str, Any]) -> str:
    """The knobs besides rnn_unit/layer_num/time_step that differ from the defaults, as one string."""
    differing = LstmConfig.from_dict(config).differences()
    return ", ".join(
        f"{name}={knob_text(value)}" for name, value in differing.items() if name not in MAIN_KNOBS
    )


# What a user looks for first: they come before the wide text columns (data, other knobs), so they
# are on screen without scrolling at 1280 px.
FIRST_COLUMNS = ("run", "status", "skill", "test RMSE", "epochs")
TABLE_COLUMNS = (
    *FIRST_COLUMNS,
    *("when", "data", "rnn_unit", "layer_num", "time_step", "other knobs", "parameters", "seconds"),
    *("direction %", "origin"),
)


def runs_table(records: Sequence, epochs: dict[int, int] | None = None) -> pd.DataFrame:
    """One row per run, newest first (as listed), indexed by run id; ``epochs`` overrides a run's
    epochs (a walk-forward run's: its folds' total, model.runs.fold_progress.fold_epochs)."""
    epochs = epochs or {}
    rows = []
    for r in records:
        cfg = r.config
        rows.append({
            "run": r.id,
            "when": pd.Timestamp(r.created).tz_convert(None) if r.created else pd.NaT,
            "data": r.data_description,
            "rnn_unit": cfg.get("rnn_unit"),
            "layer_num": cfg.get("layer_num"),
            "time_step": cfg.get("time_step"),
            "other knobs": other_knobs(cfg),
            "parameters": r.parameters,
            "epochs": epochs.get(r.id, r.epochs_run),
            "seconds": round(r.seconds, 1) if r.seconds is not None else None,
            "test RMSE": r.metric("rmse"),
            "skill": r.metric("skill"),
            "direction %": r.metric("direction"),
            "status": r.status,
            "origin": r.origin,
        })  # fmt: skip
    return pd.DataFrame(rows, columns=list(TABLE_COLUMNS)).set_index("run", drop=False)


def knob_values(records: Sequence) -> pd.DataFrame:
    """Every knob of every run as text (for the "any knob" filter), indexed by run id."""
    return pd.DataFrame(
        {
            name: [knob_text(r.config.get(name, spec.default)) for r in records]
            for name, spec in KNOBS.items()
        },
        index=pd.Index([r.id for r in records], name="run"),
    )


@dataclass(frozen=True)
class RunFilter:
    data: tuple[str, ...] = ()
    status: tuple[str, ...] = ()
    origin: tuple[str, ...] = ()
    knob: str | None = None
    knob_values: tuple[str, ...] = ()


def filter_runs(table: pd.DataFrame, knobs: pd.DataFrame, wanted: RunFilter) -> pd.DataFrame:
    """The rows of ``table`` that pass every filter (an empty filter passes everything)."""
    keep = pd.Series(True, index=table.index)
    for column, values in (("data", wanted.data), ("status", wanted.status), ("origin", wanted.origin)):
        if values:
            keep &= table[column].isin(values)
    if wanted.knob and wanted.knob_values:
        keep &= knobs.loc[table.index, wanted.knob].isin(wanted.knob_values)
    return table[keep]


def table_csv(table: pd.DataFrame) -> bytes:
    return table.to_csv(index=False).encode()


def with_walk_forward(table: pd.DataFrame, describe: Callable[[int], str]) -> pd.DataFrame:
    """The table with a "walk-forward" column after "data" ('5 folds' on a walk-forward run, 'fold
    2/5 of run 10' on a fold run, empty otherwise); unchanged when no listed run has a text."""
    texts = [describe(int(run_id)) for run_id in table["run"]]
    if not any(texts):
        return table
    out = table.copy()
    out.insert(list(out.columns).index("data") + 1, "walk-forward", texts)
    return out


def with_verdicts(table: pd.DataFrame, verdict_text: Callable[[int], str]) -> pd.DataFrame:
    """The table with a "verdict" column after the numbers shown first (skill, test RMSE, epochs):
    each run's one verdict sentence (``model.orchestration.verdicts``, the words Results, Inside and
    the CLI show), empty without one."""
    out = table.copy()
    first = [c for c in ("skill", "test RMSE", "epochs") if c in out.columns]
    where = list(out.columns).index(first[-1]) + 1 if first else len(out.columns)
    out.insert(where, "verdict", [verdict_text(int(run_id)) for run_id in table["run"]])
    return out


# ---------------------------------------------------------------------------------------------
# Comparing selected runs
# ---------------------------------------------------------------------------------------------


def has_predictions(record) -> bool:
    return record.status in ("finished", "stopped") and record.stop_reason != "cancelled"


def split_key(record) -> tuple:
    return (record.data_fingerprint, *(record.config.get(f) for f in SPLIT_FIELDS))


@dataclass(frozen=True)
class Comparable:
    """Which selected runs share the data and test period (so their predictions overlay), and why the rest do not."""

    runs: tuple  # RunRecords on the reference data and split, in selection order
    left_out: tuple[tuple[int, str], ...]  # (run id, reason)


def comparable_runs(records: Sequence) -> Comparable:
    """The largest group of selected runs with predictions on the same data fingerprint and split
    (ties: the group of the first selected run); every other run with the reason it was left out."""
    with_predictions = [r for r in records if has_predictions(r)]
    left_out = [(r.id, f"no stored predictions ({r.status})") for r in records if not has_predictions(r)]
    if not with_predictions:
        return Comparable((), tuple(left_out))
    keys = [split_key(r) for r in with_predictions]
    reference = max(dict.fromkeys(keys), key=keys.count)  # dict keeps first-seen order for ties
    ref = with_predictions[keys.index(reference)]
    kept = []
    for r, key in zip(with_predictions, keys):
        if key == reference:
            kept.append(r)
        elif key[0] != reference[0]:
            left_out.append((r.id, f"trained on other data ({r.data_description}) than run {ref.id}"))
        else:
            what = ", ".join(
                f"{f} {r.config.get(f)} vs {ref.config.get(f)}"
                for f in SPLIT_FIELDS
                if r.config.get(f) != ref.config.get(f)
            )
            left_out.append((r.id, f"another test period or target than run {ref.id} ({what})"))
    return Comparable(tuple(kept), tuple(sorted(left_out)))


@dataclass(frozen=True)
class PredictionOverlay:
    """The test period's actual prices, the persistence baseline and each run's one-day-ahead predictions."""

    actual: pd.Series
    persistence: pd.Series
    predicted: dict[str, pd.Series] = field(default_factory=dict)  # legend label -> series by date
    target: str = ""


def _one_step(evaluation) -> pd.DataFrame:
    test = evaluation.split("test")
    return test[test["step"] == 1].drop_duplicates("date").set_index("date").sort_index()


def prediction_overlay(runs: Sequence, evaluations: Sequence) -> PredictionOverlay:
    """For runs on the same data and split (``comparable_runs``): one line per run over the test period.

    Next-window runs contribute their first step ahead, so every line is a one-day-ahead forecast
    made on the same dates as persistence's.
    """
    if not runs:
        empty = pd.Series(dtype=float)
        return PredictionOverlay(empty, empty)
    frames = [_one_step(e) for e in evaluations]
    actual = pd.concat([f["actual"] for f in frames]).groupby(level=0).first().sort_index()
    persistence = pd.concat([f["baseline"] for f in frames]).groupby(level=0).first().sort_index()
    predicted = {}
    for record, frame in zip(runs, frames):
        cfg = record.config
        label = f"run {record.id} (rnn_unit {cfg.get('rnn_unit')}, layer_num {cfg.get('layer_num')}, time_step {cfg.get('time_step')})"
        predicted[label] = frame["predicted"].rename(label)
    for s in (actual, persistence):
        s.index = pd.DatetimeIndex(s.index)
    return PredictionOverlay(
        actual.rename("actual"),
        persistence.rename("persistence"),
        predicted,
        str(runs[0].config.get("target", "")),
    )


def loss_curves(records: Sequence) -> dict[str, list[float | None]]:
    """Validation loss per epoch of each run (training loss where a run had no validation)."""
    curves = {}
    for r in records:
        values = [h.get("val_loss", h.get("loss")) for h in r.history]
        if values:
            curves[f"run {r.id}"] = values
    return curves


def knob_metric_frame(records: Sequence) -> pd.DataFrame:
    """Numeric knobs and metrics of the runs that have metrics, one row per run (index: run id)."""
    rows = []
    for r in records:
        if not r.metrics:
            continue
        row: dict[str, Any] = {name: r.config.get(name, KNOBS[name].default) for name in NUMERIC_KNOBS}
        for label, (name, who) in METRICS.items():
            row[label] = r.metric(name, who)
        row["run"] = r.id
        rows.append(row)
    return pd.DataFrame(rows, columns=[*NUMERIC_KNOBS, *METRICS, "run"]).set_index("run")


def varying_knobs(frame: pd.DataFrame) -> list[str]:
    """Numeric knobs that take more than one value among these runs (the others add nothing to a plot)."""
    return [k for k in NUMERIC_KNOBS if k in frame and frame[k].nunique(dropna=True) > 1]


def metrics_table(records: Sequence) -> pd.DataFrame:
    """The stored metrics of the selected runs: one row per (run, who), the model first."""
    rows = []
    for r in records:
        for who in sorted(r.metrics, key=lambda w: (w != "model", w)):
            values = r.metrics[who]
            rows.append({
                "run": r.id,
                "who": who,
                "RMSE": values.get("rmse"),
                "MAE": values.get("mae"),
                "MAPE %": values.get("mape"),
                "direction %": values.get("direction"),
                "skill": values.get("skill"),
            })  # fmt: skip
    return pd.DataFrame(rows, columns=["run", "who", "RMSE", "MAE", "MAPE %", "direction %", "skill"])
