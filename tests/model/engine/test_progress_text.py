"""The command line's progress: a bar on a terminal, a line per epoch into a file or a pipe."""

import io

from model.engine.progress_text import TextProgress, epoch_line
from model.engine.training import Progress


def reports(epochs: int = 3, batches: int = 4):
    """What training reports: every batch of every epoch, then the finished report."""
    history: list[dict[str, float]] = []
    for epoch in range(1, epochs + 1):
        for batch in range(1, batches + 1):
            if batch == batches:
                history.append({"loss": 0.5 / epoch, "val_loss": 0.6 / epoch})
            yield Progress(epoch, epochs, batch, batches, 0.5, float(epoch), tuple(history))
    yield Progress(epochs, epochs, batches, batches, 0.5, 9.0, tuple(history), True, "Done: 3 epochs.")


def test_into_a_pipe_it_writes_one_line_per_epoch_and_the_closing_message():
    out = io.StringIO()  # not a terminal
    listener = TextProgress(out)
    for progress in reports():
        listener(progress)
    lines = out.getvalue().splitlines()
    assert "\r" not in out.getvalue()
    assert [line.split("  ")[0] for line in lines[:3]] == ["epoch 1/3", "epoch 2/3", "epoch 3/3"]
    assert "val_loss 0.3000" in lines[1]
    assert lines[3:] == ["Done: 3 epochs."]


def test_on_a_terminal_it_redraws_one_bar_per_report():
    out = io.StringIO()
    listener = TextProgress(out, terminal=True)
    for progress in reports():
        listener(progress)
    text = out.getvalue()
    assert text.count("\r") == 3 * 4 + 1
    assert text.endswith("\nDone: 3 epochs.\n")
    assert "batch 4/4" in text


def test_the_epoch_line_without_a_finished_epoch_says_zero():
    assert epoch_line(Progress(1, 5, 2, 4, 0.5, 1.25)) == "epoch 0/5  1.2s"
