"""Training progress as text for a command line: a bar redrawn in place on a terminal, one line
per finished epoch when the output is a file or a pipe (a log keeps a line per epoch, not the
hundreds of carriage-return redraws a bar makes)."""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, TextIO

if TYPE_CHECKING:
    from model.engine.training import Progress


def epoch_line(progress: Progress) -> str:
    """``epoch 3/20  loss 0.0123  val_loss 0.0150  4.2s``: the last finished epoch."""
    last = progress.history[-1] if progress.history else {}
    parts = [f"epoch {len(progress.history)}/{progress.epochs}"]
    parts += [f"{k} {v:.4f}" for k, v in last.items()]
    return "  ".join([*parts, f"{progress.elapsed:.1f}s"])


def bar_line(progress: Progress, width: int = 30) -> str:
    filled = int(width * progress.fraction)
    last = progress.history[-1] if progress.history else {}
    losses = "  ".join(f"{k} {v:.4f}" for k, v in last.items())
    return (
        f"[{'#' * filled}{'.' * (width - filled)}] epoch {progress.epoch}/{progress.epochs} "
        f"batch {progress.batch}/{progress.batches}  {losses}  {progress.elapsed:5.1f}s"
    )


class TextProgress:
    """A training listener (``execute_run(listener=...)``) that writes progress to ``stream``
    (stderr by default): a bar on a terminal, else a line per epoch; then the closing message."""

    def __init__(self, stream: TextIO | None = None, width: int = 30, terminal: bool | None = None):
        self._stream, self.width = stream, width
        self._terminal = terminal
        self._epochs_written = 0

    @property
    def stream(self) -> TextIO:
        return self._stream or sys.stderr

    @property
    def terminal(self) -> bool:
        if self._terminal is None:
            isatty = getattr(self.stream, "isatty", None)
            self._terminal = bool(isatty and isatty())
        return self._terminal

    def __call__(self, progress: Progress) -> None:
        if self.terminal:
            self.stream.write("\r" + bar_line(progress, self.width))
            if progress.finished:
                self.stream.write("\n")
        elif len(progress.history) > self._epochs_written:
            self._epochs_written = len(progress.history)
            self.stream.write(epoch_line(progress) + "\n")
        if progress.finished and progress.message:
            self.stream.write(progress.message + "\n")
        self.stream.flush()
