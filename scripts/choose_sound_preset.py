"""Measure the candidates for the Sound preset (and the verdict thresholds) on the bundled samples.

    .venv/bin/python -m scripts.choose_sound_preset [--epochs 40] [--seeds 42 7] [--samples GOOG SYNTH]

Method: every candidate is trained on every bundled sample (the four stocks and the synthetic
series) with the same split (last 20% test, 10% of the rest validation), early stopping on the
validation loss, and scored on the test period against persistence. For each run it prints
skill (1 - RMSE model / RMSE persistence), the correlation of predicted with actual moves, and
the move ratio (RMS predicted move / RMS actual move) that ``model.engine.lessons`` thresholds.
The Sound preset is the candidate with the best mean skill over the samples; among candidates
within 0.005 of it (less than one retraining's seed noise), the cheapest (fewest parameters),
then the first listed (the candidates are listed from the tutorial's own values outwards).
Prints numbers, asserts nothing.
"""

from __future__ import annotations

import argparse
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import pandas as pd

from model.data import load_sample
from model.engine.evaluation import evaluate
from model.engine.network import count_parameters
from model.engine.presets import FAITHFUL_PRESET, SOUND_PRESET
from model.engine.training import train_network
from model.engine.windows import prepare_data
from model.evidence.verdict import evaluation_verdict

SAMPLES = ("AAPL", "GOOG", "IBM", "MSFT", "SYNTH")

# Candidates over the Sound preset's fixed choices (change target, separate cells, early stopping).
CANDIDATES: dict[str, dict] = {
    "change u10 L2 t20 lr6e-4": {},
    "change u32 L1 t20 lr1e-3": {"rnn_unit": 32, "layer_num": 1, "learning_rate": 0.001},
    "change u32 L2 t20 lr1e-3": {"rnn_unit": 32, "layer_num": 2, "learning_rate": 0.001},
    "change u10 L2 t60 lr2e-3": {"time_step": 60, "learning_rate": 0.002},
    "change u10 L2 t20 lr3e-3": {"learning_rate": 0.003},
}
REFERENCES: dict[str, dict] = {
    "price (old default) u10 L2 t20": {"target_as": "price"},
}


def run_one(sample: str, config) -> dict:
    prices = load_sample(sample)
    config = SOUND_PRESET.apply(config, prices.columns) if config is None else config
    data = prepare_data(prices.frame, config)
    started = time.perf_counter()
    run = train_network(data)
    evaluation = evaluate(run, data)
    verdict = evaluation_verdict(evaluation, data)
    return {
        "sample": sample,
        "skill": verdict.skill,
        "move_corr": verdict.move_correlation,
        "move_ratio": verdict.move_ratio,
        "verdict": verdict.kind,
        "epochs": len(run.history),
        "seconds": time.perf_counter() - started,
    }


def main(argv=None) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--epochs", type=int, default=40)
    p.add_argument("--seeds", type=int, nargs="+", default=[42])
    p.add_argument("--samples", nargs="+", default=list(SAMPLES))
    p.add_argument("--faithful", action="store_true", help="also train the faithful tutorial preset")
    args = p.parse_args(argv)

    rows = []
    plans = {
        **{k: ("sound", v) for k, v in CANDIDATES.items()},
        **{k: ("sound", v) for k, v in REFERENCES.items()},
    }
    if args.faithful:
        plans["tutorial, faithful"] = ("tutorial", {})
    for name, (base, changes) in plans.items():
        preset = SOUND_PRESET if base == "sound" else FAITHFUL_PRESET
        for sample in args.samples:
            columns = load_sample(sample).columns
            for seed in args.seeds:
                config = preset.apply(preset.config(), columns).replace(
                    epochs=args.epochs, seed=seed, **changes
                )
                row = run_one(sample, config)
                row.update(candidate=name, seed=seed, params=count_parameters(config)["total"])
                rows.append(row)
                print(
                    f"{name:32s} {sample:5s} seed {seed:3d}  skill {row['skill']:+.4f}  corr {row['move_corr']:+.3f}  "
                    f"ratio {row['move_ratio']:.3f}  {row['verdict']:8s} {row['epochs']:3d} ep {row['seconds']:5.1f} s",
                    flush=True,
                )
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print("\nSkill by candidate and sample (mean over seeds):")
    print(table.pivot_table(index="candidate", columns="sample", values="skill", aggfunc="mean").round(4))
    print("\nMove ratio by candidate and sample:")
    print(
        table.pivot_table(index="candidate", columns="sample", values="move_ratio", aggfunc="mean").round(3)
    )
    print("\nMove correlation by candidate and sample:")
    print(table.pivot_table(index="candidate", columns="sample", values="move_corr", aggfunc="mean").round(3))
    stocks = table[table["sample"] != "SYNTH"]
    summary = table.groupby("candidate").agg(
        mean_skill=("skill", "mean"), params=("params", "first"), seconds=("seconds", "mean")
    )
    summary["stock_skill"] = stocks.groupby("candidate")["skill"].mean()
    if len(args.seeds) > 1:
        summary["seed_spread"] = (
            table.groupby(["candidate", "sample"])["skill"].agg(np.ptp).groupby("candidate").max()
        )
    candidates = summary.loc[[c for c in CANDIDATES if c in summary.index]]
    best = candidates["mean_skill"].max()
    chosen = (
        candidates[candidates["mean_skill"] >= best - 0.005].sort_values("params", kind="stable").index[0]
    )
    print("\nSummary:")
    print(summary.sort_values("mean_skill", ascending=False).round(4))
    print(f"\nChosen for Sound: {chosen}")


if __name__ == "__main__":
    main()
