"""How a training ended, in one sentence: said once for the engine, the command line and the pages.

TensorFlow-free (the Streamlit server's run client imports it).
"""

from __future__ import annotations

# A stop reason (model.engine.training's, or the run store's "pruned" and "cancelled") -> its
# sentence, formatted with epochs, best and seconds.
STOP_SENTENCES = {
    "user_stop": "Stopped by you after {epochs} epoch(s); kept the {best}.",
    "pruned": "Pruned by the sweep after {epochs} epoch(s); kept the {best}.",
    "cancelled": "Cancelled before it started.",
    "early_stopping": "Early stopping after {epochs} epoch(s): validation loss stopped improving; kept the {best}.",
    "completed": "Finished {epochs} epoch(s) in {seconds:.1f} s; kept the {best}.",
}


def describe_stop(reason: str | None, epochs: int, best_epoch: int | None, seconds: float | None) -> str:
    """The sentence for a training that ended for ``reason`` (unknown reasons read as completed)."""
    best = f"best epoch {best_epoch}" if best_epoch else "weights as they were (no epoch had finished)"
    template = STOP_SENTENCES.get(reason or "completed", STOP_SENTENCES["completed"])
    return template.format(epochs=epochs, best=best, seconds=seconds or 0.0)
