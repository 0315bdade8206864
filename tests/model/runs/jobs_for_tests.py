"""Jobs only the tests use, registered in every worker through ``LENS_EXTRA_JOBS`` (tests/conftest.py)."""

from __future__ import annotations

import os
import time

from model.runs.jobs import JobContext, job


@job("sleep")
def sleep_job(context: JobContext, seconds: float) -> int:
    """A job that takes a while (to kill its worker meanwhile, or to time out)."""
    time.sleep(float(seconds))
    return os.getpid()
