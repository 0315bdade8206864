"""Logging, configured once per process: the Streamlit server, the workers and the command lines.

Every module logs to ``logging.getLogger(__name__)``; ``configure`` decides where it goes:

- a rotating file per role under the runs directory, ``<runs>/logs/<role>.log`` (roles: ``server``,
  ``worker``, ``cli``, ``sweep``), INFO and up (DEBUG with ``verbose``), with tracebacks;
- the console (stderr): warnings and errors only (INFO and up with ``verbose``, the CLI's ``-v``),
  never a traceback: an exception the code caught was already said in words; its traceback is
  in the file (on the console with ``verbose``).

TensorFlow's own start-up lines (oneDNN, "Could not find cuda drivers", "failed call to cuInit" on
a CPU machine) are written by its C++ runtime to file descriptor 2 before any Python logging
exists, whatever ``TF_CPP_MIN_LOG_LEVEL`` says; ``import_tensorflow`` imports it with that
descriptor pointed at the log file, so they land there instead of on the console.

This module imports nothing from the project: every layer may use it.
"""

from __future__ import annotations

import contextlib
import logging
import logging.handlers
import os
import sys
from collections.abc import Iterator
from pathlib import Path

LOG_DIR = "logs"
MAX_BYTES = 5_000_000
BACKUPS = 3
FILE_FORMAT = "%(asctime)s %(levelname)s %(process)d %(name)s: %(message)s"
CONSOLE_FORMAT = "%(levelname)s %(name)s: %(message)s"
# Libraries that log a lot at INFO; their warnings still come through.
QUIET_LIBRARIES = ("absl", "tensorflow", "h5py", "urllib3", "matplotlib", "PIL", "fsspec", "numexpr")
_MARK = "_lens_handler"  # set on the handlers configure() adds, so a second call replaces them

log = logging.getLogger(__name__)


class ConsoleFormatter(logging.Formatter):
    """One line per record; a record's traceback is left to the log file unless ``tracebacks``."""

    def __init__(self, tracebacks: bool = False):
        super().__init__(CONSOLE_FORMAT)
        self.tracebacks = tracebacks

    def format(self, record: logging.LogRecord) -> str:
        if self.tracebacks or not (record.exc_info or record.exc_text):
            return super().format(record)
        plain = logging.makeLogRecord(record.__dict__)
        plain.exc_info, plain.exc_text, plain.stack_info = None, None, None
        where = current_log_file()
        return super().format(plain) + (f" (traceback in {where})" if where else "")


def log_file(role: str, files_root: str | Path) -> Path:
    return Path(files_root) / LOG_DIR / f"{role}.log"


def quiet_native_chatter() -> None:
    """Before TensorFlow is imported: its C++ logging at warnings and up (children inherit it)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


def configure(
    role: str, *, files_root: str | Path | None = None, verbose: bool = False, console: bool = True
) -> Path | None:
    """Configure this process's logging for ``role``; returns the log file (None when there is
    none: no ``files_root``, or the directory cannot be written, which is said on the console).
    Calling it again replaces what an earlier call set (the Streamlit server reruns app.py)."""
    quiet_native_chatter()
    root = logging.getLogger()
    for handler in [h for h in root.handlers if getattr(h, _MARK, False)]:
        root.removeHandler(handler)
        handler.close()
    root.setLevel(logging.DEBUG if verbose else logging.INFO)
    for name in QUIET_LIBRARIES:
        logging.getLogger(name).setLevel(logging.WARNING)
    logging.captureWarnings(True)
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setLevel(logging.INFO if verbose else logging.WARNING)
        stream.setFormatter(ConsoleFormatter(tracebacks=verbose))
        setattr(stream, _MARK, True)
        root.addHandler(stream)
    if files_root is None:
        return None
    path = log_file(role, files_root)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handler = logging.handlers.RotatingFileHandler(
            path, maxBytes=MAX_BYTES, backupCount=BACKUPS, encoding="utf-8", delay=True
        )
    except OSError as exc:
        log.warning("No log file (%s): %s", path, exc)
        return None
    handler.setFormatter(logging.Formatter(FILE_FORMAT))
    setattr(handler, _MARK, True)
    root.addHandler(handler)
    return path


def current_log_file() -> Path | None:
    """The file ``configure`` logs to in this process (None when it logs to the console only)."""
    for handler in logging.getLogger().handlers:
        if getattr(handler, _MARK, False) and isinstance(handler, logging.FileHandler):
            return Path(handler.baseFilename)
    return None


@contextlib.contextmanager
def native_stderr_to(path: Path | None) -> Iterator[None]:
    """File descriptor 2 points at ``path`` (appended; /dev/null when None) inside the block, so what
    C++ code writes there does not reach the console; Python's ``sys.stderr`` is flushed around it."""
    target = open(path, "ab") if path is not None else open(os.devnull, "wb")
    sys.stderr.flush()
    try:
        saved = os.dup(2)
    except OSError:  # no descriptor 2 at all (a detached process): nothing to protect
        target.close()
        yield
        return
    os.dup2(target.fileno(), 2)
    try:
        yield
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)
        os.close(saved)
        target.close()


def import_tensorflow():
    """``import tensorflow`` (and its device probe) with the C++ start-up chatter sent to this
    process's log file; returns the module. Cheap once TensorFlow is imported."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    quiet_native_chatter()
    with native_stderr_to(current_log_file()):
        import tensorflow as tf

        tf.config.list_physical_devices("GPU")  # the CUDA probe ("failed call to cuInit") happens here
    log.debug("TensorFlow %s imported", tf.__version__)
    return tf
