"""PyTorch reference for `make bench`: the same network, data and training recipe as the engine.

    python -m scripts.torch_reference tutorial|large     (prints one JSON line)

Same architecture as ``model.engine.network.build_network``: Linear(input_size, rnn_unit) on every
step, layer_num LSTM layers of rnn_unit (one ``nn.LSTM`` per layer, or one shared layer
applied layer_num times with ``share_cell``), Linear(rnn_unit, 1) on every step. Same recipe
as the engine's fused path: Adam at the config's learning rate, MSE over every output step,
windows reshuffled each epoch, full batches only, one validation pass per epoch. Eager PyTorch
(its default), on all CPU cores.

Run in its own process by ``scripts/bench.py`` so that PyTorch and TensorFlow never share a
process (both bring their own thread pools). Needs torch (requirements-bench.txt), not
TensorFlow: the windows come from ``model.engine.windows.prepare_data``, which is numpy only.
"""

from __future__ import annotations

import json
import sys
import time


def build_reference(config):
    import torch
    from torch import nn

    class StackedLstm(nn.Module):
        def __init__(self):
            super().__init__()
            u = config.rnn_unit
            self.input_projection = nn.Linear(config.input_size, u)
            count = 1 if config.share_cell else config.layer_num
            self.lstms = nn.ModuleList(nn.LSTM(u, u, batch_first=True) for _ in range(count))
            self.dropout = nn.Dropout(config.dropout)
            self.output_projection = nn.Linear(u, 1)

        def forward(self, x):
            h = self.input_projection(x)
            for k in range(config.layer_num):
                h, _ = self.lstms[0 if config.share_cell else k](h)
                if config.dropout > 0 and k < config.layer_num - 1:
                    h = self.dropout(h)
            return self.output_projection(h)

    torch.manual_seed(config.seed)
    return StackedLstm()


def train_reference(config, data) -> dict[str, float]:
    """Train for config.epochs; return first-epoch and steady-epoch figures like the engine's bench."""
    import torch

    started = time.perf_counter()
    model = build_reference(config)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.learning_rate)
    loss_fn = torch.nn.MSELoss()
    x, y = torch.from_numpy(data.train.x), torch.from_numpy(data.train.y)
    x_val, y_val = torch.from_numpy(data.val.x), torch.from_numpy(data.val.y)
    n = len(x)
    batch = min(config.batch_size, n)
    generator = torch.Generator().manual_seed(config.seed)
    epoch_ends = []
    for _ in range(config.epochs):
        model.train()
        order = torch.randperm(n, generator=generator)
        for b in range(n // batch):
            idx = order[b * batch : (b + 1) * batch]
            optimizer.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            optimizer.step()
            float(loss)  # the engine reads every batch's loss too (progress, NaN guard)
        if len(x_val):
            model.eval()
            with torch.no_grad():
                float(loss_fn(model(x_val), y_val))
        epoch_ends.append(time.perf_counter() - started)
    steady = (epoch_ends[-1] - epoch_ends[0]) / max(1, len(epoch_ends) - 1)
    return {
        "first_epoch_s": epoch_ends[0],
        "steady_epoch_s": steady,
        "windows_per_s": n / steady,
        "threads": torch.get_num_threads(),
        "version": torch.__version__,
    }


def main(argv: list[str] | None = None) -> int:
    from model.engine.windows import prepare_data
    from scripts.bench import CONFIGS, synthetic_prices

    argv = sys.argv[1:] if argv is None else argv
    config = CONFIGS[argv[0] if argv else "tutorial"]
    data = prepare_data(synthetic_prices(), config)
    print(json.dumps(train_reference(config, data)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
