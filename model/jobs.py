"""Training in a background thread that a UI session owns and polls.

The UI keeps one ``TrainingJob`` per session: the job holds its own stop flag, latest
progress and result, so two sessions never share state. Nothing here knows about Streamlit.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import pandas as pd

from model.config import LstmConfig
from model.errors import LensError
from model.training import Progress, TrainedRun, describe_stop, train_network
from model.windows import PreparedData, prepare_data


@dataclass(frozen=True)
class JobResult:
    run: TrainedRun
    data: PreparedData
    summary: str


class TrainingJob:
    """Prepare data and train in a daemon thread; poll ``progress``/``result``/``error``."""

    def __init__(self, frame: pd.DataFrame, config: LstmConfig):
        self.frame = frame
        self.config = config
        self.stop_event = threading.Event()
        self._lock = threading.Lock()
        self._progress: Progress | None = None
        self.result: JobResult | None = None
        self.error: str | None = None
        self.started_at: float | None = None
        self._thread = threading.Thread(target=self._work, name="lstm-lens-training", daemon=True)

    def start(self) -> "TrainingJob":
        self.started_at = time.time()
        self._thread.start()
        return self

    def _listen(self, progress: Progress) -> None:
        with self._lock:
            self._progress = progress

    def _work(self) -> None:
        try:
            data = prepare_data(self.frame, self.config)
            run = train_network(data, listener=self._listen, stop=self.stop_event)
            self.result = JobResult(run=run, data=data, summary=describe_stop(run))
        except LensError as exc:
            self.error = str(exc)
        except Exception as exc:  # noqa: BLE001 - shown in the page instead of killing the thread silently
            self.error = f"Training failed: {type(exc).__name__}: {exc}"

    @property
    def progress(self) -> Progress | None:
        with self._lock:
            return self._progress

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def stop(self) -> None:
        self.stop_event.set()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job ends (for tests and the CLI); True if it ended."""
        self._thread.join(timeout)
        return not self._thread.is_alive()
